"""Broker kill -9 mid-load, intake NOT restarted: 503 while down, nothing lost, each event once.

Tansu (the embedded broker) keeps nothing across a restart, so the data folder
must hold everything acknowledged: intake's archive is the durable outbox and
its BrokerWatch (services/intake/recovery.py) republishes it when the broker
comes back empty. A projector into chDB must then hold every acknowledged
event exactly once (raw_events FINAL, and no id twice even before merges
would be fine too: we count FINAL rows per id).
"""
from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from hallscore.kafka.broker import EmbeddedBroker
from hallscore.store.adapter import open_store
from hallscore.store.schema import ensure_schema
from services.intake.app import create_app
from services.intake.archive import Archive
from services.intake.settings import IntakeSettings
from services.intake.tokens import TokenStore
from services.ranking.projector import Projector
from tests.integration.test_intake_broker import HALL, _free_port, make_events

pytestmark = pytest.mark.integration
BATCH, BATCHES = 25, 60
OUTAGE_S = 6.0


def test_broker_kill9_mid_load_intake_refills_it_and_every_ack_is_counted_once(tmp_path):
    broker = EmbeddedBroker(port=_free_port(), log_path=tmp_path / "tansu.log").start()
    settings = IntakeSettings(kafka_bootstrap=broker.bootstrap, data_dir=tmp_path / "data",
                              republish_on_start=True, broker_watch_interval_s=0.5, publish_timeout_s=5)
    client = TestClient(create_app(settings))
    client.__enter__()
    token = TokenStore(settings.db_path).issue(HALL, "dev-1")
    client.headers["Authorization"] = f"Bearer {token}"
    archive = Archive(settings.db_path)
    store = open_store(f"chdb://{tmp_path / 'chdb'}")
    ensure_schema(store)
    projector = Projector(store, broker.bootstrap, group="rel-projector", batch_max_ms=100,
                          backoff_max_s=1.0).start()
    batches = [make_events(BATCH, f"rel{b:03d}") for b in range(BATCHES)]
    acked: set[str] = set()
    statuses: list[tuple[float, int]] = []  # (time, status) of every POST
    lost_acks: list[str] = []
    down_503_s: list[float] = []
    killed_at = restarted_at = None
    try:
        def post_until_accepted(events) -> None:
            body = json.dumps(events).encode()
            while True:
                t0 = time.monotonic()
                r = client.post("/v1/events", content=body)
                statuses.append((t0, r.status_code))
                if r.status_code == 200:
                    ids = [x["event_id"] for x in r.json()["results"]]
                    # acknowledged => already in the durable archive
                    in_archive = archive.lookup(ids)
                    lost_acks.extend(i for i in ids if i not in in_archive)
                    acked.update(ids)
                    return
                assert r.status_code == 503 and r.headers["retry-after"], r.text
                assert archive.lookup(e["event_id"] for e in events) == {}, "503 but archived"
                down_503_s.append(time.monotonic() - t0)
                time.sleep(0.2)  # a device's retry (Retry-After shortened for the test)

        for i, events in enumerate(batches):
            if i == BATCHES // 3:
                broker.kill()  # SIGKILL mid-load
                killed_at = time.monotonic()
                threading.Timer(OUTAGE_S, broker.start).start()
            if killed_at and not restarted_at and broker.running:
                restarted_at = time.monotonic()
            post_until_accepted(events)
        if restarted_at is None:
            restarted_at = time.monotonic()
        n_503 = sum(1 for _, s in statuses if s == 503)
        assert n_503 > 0, "the outage was not seen by any request"
        assert not lost_acks, f"acknowledged but not archived: {lost_acks[:5]}"

        wanted = {e["event_id"] for b in batches for e in b}
        assert acked == wanted and archive.count() == len(wanted)
        deadline = time.monotonic() + 45
        while True:
            rows = store.query("SELECT event_id, count() FROM raw_events FINAL WHERE hall = %(h)s GROUP BY event_id",
                               {"h": HALL})
            got = {eid: n for eid, n in rows}
            if set(got) >= wanted or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        missing = wanted - set(got)
        twice = {k: n for k, n in got.items() if n != 1}
        health = client.get("/healthz").json()
        [(stored_rows,)] = store.query("SELECT count() FROM raw_events WHERE hall = %(h)s", {"h": HALL})
        print(f"\nbroker kill -9 mid-load: {len(acked)} acknowledged, {n_503} answers 503 while down "
              f"(latency first {down_503_s[0] if down_503_s else float('nan'):.2f}s, "
              f"max {max(down_503_s, default=float('nan')):.2f}s), broker recoveries {health.get('broker_recoveries')}, "
              f"archive {archive.count()}, in ClickHouse {len(got)} (missing {len(missing)}, "
              f"counted twice {len(twice)}; {stored_rows} rows without FINAL), "
              f"lost acks {len(lost_acks)}, 503 answers {sorted(round(x, 3) for x in down_503_s)}")
        assert not missing, f"{len(missing)} acknowledged events never reached ClickHouse: {sorted(missing)[:5]}"
        assert not twice and set(got) == wanted
        assert health["broker_recoveries"] >= 1
    finally:
        projector.stop()
        store.close()
        client.__exit__(None, None, None)
        broker.stop()
