"""Intake events/s (HTTP POST batches, validation, dedupe, archive, acks=all) vs a raw
kafka-python producer sending the same records to the same embedded broker.

    .venv/bin/python bench/intake_throughput.py [N_EVENTS] [BATCH]

Prints both rates and their ratio (intake / raw). No asserts.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from _common import county_events, free_port, issue_token  # noqa: E402  (sets sys.path)
from hallscore.kafka.admin import ensure_topics  # noqa: E402
from hallscore.kafka.broker import EmbeddedBroker  # noqa: E402
from hallscore.kafka.producer import PRODUCER_DEFAULTS  # noqa: E402
from kafka import KafkaProducer  # noqa: E402
from schemas.registry import event_to_json, parse_event  # noqa: E402
from schemas.topics import all_topics, topic_for, unit_key  # noqa: E402


def raw_producer_rate(bootstrap: str, events: list[dict]) -> float:
    records = [(topic_for(e["type"]), unit_key(e["hall"], e["unit"]), event_to_json(parse_event(e))) for e in events]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False,
                             linger_ms=PRODUCER_DEFAULTS["linger_ms"], batch_size=PRODUCER_DEFAULTS["batch_size"])
    try:
        t0 = time.perf_counter()
        futures = [producer.send(t, key=k, value=v) for t, k, v in records]
        producer.flush()
        for f in futures:
            f.get(timeout=30)
        return len(records) / (time.perf_counter() - t0)
    finally:
        producer.close()


def intake_rate(bootstrap: str, events: list[dict], batch: int, tmp: Path) -> float:
    port = free_port()
    env = {**os.environ, "HALLSCORE_KAFKA_BOOTSTRAP": bootstrap, "HALLSCORE_DATA_DIR": str(tmp / "intake"),
           "HALLSCORE_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    log = open(tmp / "intake.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "hallscore.cli", "intake"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"intake did not start; see {tmp / 'intake.log'}")
            time.sleep(0.2)
        token = issue_token(tmp / "intake")
        bodies = [json.dumps(events[i:i + batch], ensure_ascii=False).encode() for i in range(0, len(events), batch)]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}",
                                                 "Content-Type": "application/json"}, timeout=120) as c:
            t0 = time.perf_counter()
            for body in bodies:
                r = c.post("/v1/events", content=body)
                assert r.status_code == 200, r.text[:300]
            return len(events) / (time.perf_counter() - t0)
    finally:
        proc.terminate()
        proc.wait(15)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 19396
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    events = county_events(1 + (n - 1) // 19396)[:n]
    with tempfile.TemporaryDirectory(prefix="hallscore-bench-") as d:
        tmp = Path(d)
        with EmbeddedBroker(port=0, log_path=tmp / "tansu.log") as broker:
            ensure_topics(broker.bootstrap, all_topics())
            raw = raw_producer_rate(broker.bootstrap, [{**e, "event_id": e["event_id"] + "-raw"} for e in events])
            http = intake_rate(broker.bootstrap, events, batch, tmp)
    print(f"events: {n}, intake batch: {batch}")
    print(f"raw kafka-python producer (acks=all): {raw:10.0f} events/s")
    print(f"intake HTTP POST (one client):        {http:10.0f} events/s")
    print(f"ratio intake / raw producer:          {http / raw:10.3f}")


if __name__ == "__main__":
    main()
