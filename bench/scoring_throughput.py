"""Scoring events/s: the faust worker vs a raw aiokafka consumer applying the same pure fold.

    .venv/bin/python bench/scoring_throughput.py [N_EVENTS]

Fills the event topics of a fresh embedded broker with N events of the demo
county (keyed by unit, as intake does), then
  1. raw: one aiokafka consumer (no group) reads them and calls the same core
     (services.scoring.handler.decode / score / vetoes_to_raise) with dicts as
     tables; no changelog, no ledger produce;
  2. worker: the real scoring worker (subprocess, memory tables) scores them:
     counted from its first to its last scored event (hallscore_scoring_events_total).
Prints both rates and the ratio (worker / raw). No asserts.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from _common import county_events, free_port  # noqa: E402
from hallscore.kafka.admin import ensure_topics  # noqa: E402
from hallscore.kafka.broker import EmbeddedBroker  # noqa: E402
from hallscore.kafka.producer import make_producer, send_all  # noqa: E402
from schemas.registry import event_to_json, parse_event  # noqa: E402
from schemas.topics import EVENT_TOPICS, all_topics, topic_for, unit_key  # noqa: E402
from services.scoring import handler  # noqa: E402
from services.scoring.settings import ScoringSettings, load_config  # noqa: E402


async def raw_fold(bootstrap: str, n: int) -> float:
    from aiokafka import AIOKafkaConsumer

    config = load_config(ScoringSettings(kafka_bootstrap=bootstrap))
    unit_periods: dict = {}
    vetoes: dict = {}
    consumer = AIOKafkaConsumer(*EVENT_TOPICS, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        done, t0 = 0, None
        while done < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=2000)
            for records in batch.values():
                for rec in records:
                    t0 = t0 or time.perf_counter()
                    event = handler.decode(rec.value)
                    scored_all = handler.score(event, unit_periods.get, config.rubrics, config.halls)
                    raised = [v for s in scored_all for v in handler.vetoes_to_raise(s, vetoes.get)]
                    for s in scored_all:
                        unit_periods[s.key] = s.state
                        for line in s.lines:
                            handler.encode(line.to_json())
                    for v in raised:
                        vetoes[v.key] = v.entry
                    done += 1
        return n / (time.perf_counter() - t0)
    finally:
        await consumer.stop()


def worker_rate(bootstrap: str, n: int, tmp: Path) -> float:
    port = free_port()
    env = {**os.environ, "HALLSCORE_KAFKA_BOOTSTRAP": bootstrap, "HALLSCORE_DATA_DIR": str(tmp / "scoring"),
           "HALLSCORE_METRICS_PORT": str(port), "HALLSCORE_WEB_PORT": str(free_port()), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "hallscore.cli", "scoring"], env=env,
                            stdout=open(tmp / "scoring.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/metrics"

    def scored() -> float:
        try:
            return sum(float(line.rsplit(" ", 1)[1]) for line in httpx.get(url, timeout=5).text.splitlines()
                       if line.startswith("hallscore_scoring_events_total"))
        except httpx.HTTPError:
            return 0.0
    try:
        first = None
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            s = scored()
            if s > 0 and first is None:
                first = (time.perf_counter(), s)
            if s >= n:
                return (s - first[1]) / (time.perf_counter() - first[0])
            time.sleep(0.1)
        raise RuntimeError("worker too slow")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 19396
    events = county_events(1 + (n - 1) // 19396)[:n]
    with tempfile.TemporaryDirectory(prefix="hallscore-bench-") as d:
        tmp = Path(d)
        with EmbeddedBroker(port=0, log_path=tmp / "tansu.log") as broker:
            ensure_topics(broker.bootstrap, all_topics())
            producer = make_producer(broker.bootstrap)
            records = [(topic_for(e["type"]), unit_key(e["hall"], e["unit"]), event_to_json(parse_event(e)))
                       for e in events]
            for i in range(0, len(records), 5000):
                send_all(producer, records[i:i + 5000], timeout_s=60)
            producer.close()
            raw = asyncio.run(raw_fold(broker.bootstrap, n))
            worker = worker_rate(broker.bootstrap, n, tmp)
    print(f"events: {n}")
    print(f"raw aiokafka consumer + same pure fold: {raw:9.0f} events/s")
    print(f"scoring worker (faust, memory tables):  {worker:9.0f} events/s")
    print(f"ratio worker / raw fold:                {worker / raw:9.3f}")


if __name__ == "__main__":
    main()
