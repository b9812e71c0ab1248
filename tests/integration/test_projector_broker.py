"""The projector against the embedded Tansu broker: exactly-once effect, and an outage.

Every test uses its own topics and consumer group (unique names), so the shared broker's
other traffic never mixes in.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from kafka import KafkaConsumer, TopicPartition

from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import IsoWeek
from hallscore.core.rubric import DEFAULT_RUBRIC
from hallscore.core.schedule import load_halls
from hallscore.kafka.admin import ensure_topics
from hallscore.kafka.producer import make_producer, send_all
from hallscore.store.adapter import open_store
from hallscore.store.devserver import find_server_binary, start_dev_server
from hallscore.store.schema import ensure_schema
from schemas.topics import DEFAULT_PARTITIONS, FAMILY_TOPICS
from services.ranking.projector import Projector
from services.ranking.report import Catalog, RankingService
from tests.fixtures.kafka import unique_name
from tests.unit.test_ranking_queries import RV

pytestmark = pytest.mark.integration
TIMEOUT_S = 60.0


def topics_for_test() -> tuple[dict[str, str], str]:
    tag = uuid.uuid4().hex[:8]
    return {fam: f"{name}-{tag}" for fam, name in FAMILY_TOPICS.items()}, f"hallscore.ledger-{tag}"


def event_topics(fams: dict[str, str]) -> list[str]:
    return [t for f, t in fams.items() if f != "case"]  # case transitions have their own table


def event(hall: str, n: int, unit: str, type_: str = "attendance.clock", payload=None) -> dict:
    return {"event_id": f"evt-{hall}-{n:04d}", "type": type_, "schema_version": 1,
            "occurred_at": f"2026-11-17T08:{n % 60:02d}:00+08:00", "hall": hall, "unit": unit,
            "device": "dev-01", "staff": "s1", "payload": payload or {"direction": "in"}}


def ledger(hall: str, unit: str, source: str, points: str, status="applied", revision=1) -> dict:
    at = datetime.fromisoformat("2026-11-17T08:40:00+08:00")
    return LedgerLine(RV, "tongxu.4.10", source, hall, unit, "s1", "tongxu.4", "deduction",
                      Decimal(points), status, IsoWeek.of(at).monday, at, "", revision).to_json()


def produce(bootstrap: str, records: list[tuple[str, bytes]]) -> None:
    producer = make_producer(bootstrap)
    try:
        send_all(producer, [(topic, b"key", value) for topic, value in records])
    finally:
        producer.close()


def committed(bootstrap: str, group: str, topics: list[str]) -> dict:
    probe = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        return {(t, p): probe.committed(TopicPartition(t, p))
                for t in topics for p in range(DEFAULT_PARTITIONS)}
    finally:
        probe.close(autocommit=False)


def wait_for(cond, what: str, timeout_s: float = TIMEOUT_S) -> float:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout_s:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - t0


def projected(p: Projector) -> int:
    s = p.stats()
    return sum(s["rows"].values()) + sum(s["rejected"].values())


def scenario(hall: str, fams: dict[str, str], ledger_topic: str) -> list[tuple[str, bytes]]:
    """8 records: 3 events (+1 duplicate), ledger lines with a duplicate, a higher-revision
    replacement and a stale revision arriving last, and one poison record."""
    review = event(hall, 3, "u-c", "review.submitted",
                   {"level": "满意", "channel": "sms", "real_name": True, "citizen_phone": "13800000000"})
    ev = [event(hall, 1, "u-a"), event(hall, 2, "u-b"), review]
    out = [(fams["review" if e["type"].startswith("review") else "attendance"], json.dumps(e).encode())
           for e in ev]
    out.append((fams["attendance"], json.dumps(ev[0]).encode()))                     # duplicate
    lines = [ledger(hall, "u-a", f"evt-{hall}-0001", "-2.00"),
             ledger(hall, "u-a", f"evt-{hall}-0001", "-2.00"),                     # duplicate
             ledger(hall, "u-b", f"evt-{hall}-0002", "-3.00"),
             ledger(hall, "u-b", f"evt-{hall}-0002", "0", "withdrawn", revision=2),  # replacement
             ledger(hall, "u-c", f"evt-{hall}-0003", "-1.004", revision=5),
             ledger(hall, "u-c", f"evt-{hall}-0003", "-5.00", revision=4)]           # stale, late
    out += [(ledger_topic, json.dumps(line).encode()) for line in lines]
    out.append((ledger_topic, b"not json"))                                           # poison
    return out


def check_store(store, hall: str) -> None:
    counts = store.query("SELECT (SELECT count() FROM raw_events FINAL WHERE hall = %(h)s), "
                         "(SELECT count() FROM ledger FINAL WHERE hall = %(h)s)", {"h": hall})
    assert counts == [(3, 3)]
    svc = RankingService(store, Catalog(DEFAULT_RUBRIC), load_halls())
    ranking = [(u["unit"], u["score"], u["rank"]) for u in svc.ranking(hall, "2026-W47")["units"]]
    assert ranking == [("u-b", "100.00", 1), ("u-c", "99.00", 2), ("u-a", "98.00", 3)]
    payload = store.query("SELECT payload FROM raw_events FINAL WHERE unit = 'u-c' AND hall = %(h)s",
                          {"h": hall})[0][0]
    assert json.loads(payload)["citizen_phone"] == "138****0000"


def test_projects_exactly_once_and_ranking_follows_replacement(kafka_bootstrap, tmp_path):
    fams, ledger_topic = topics_for_test()
    topics = [*fams.values(), ledger_topic]
    ensure_topics(kafka_bootstrap, {t: DEFAULT_PARTITIONS for t in topics})
    hall, group = unique_name("hall"), unique_name("projector")
    records = scenario(hall, fams, ledger_topic)
    produce(kafka_bootstrap, records)
    store = open_store(f"chdb://{tmp_path / 'chdb'}")
    ensure_schema(store)
    p = Projector(store, kafka_bootstrap, group=group, event_topics=event_topics(fams),
                  ledger_topic=ledger_topic, case_topic=fams["case"], batch_max_rows=3, batch_max_ms=100).start()
    try:
        took = wait_for(lambda: projected(p) == len(records), "all records projected")
        wait_for(lambda: p.stats()["caught_up"], "caught_up")
        s = p.stats()
        print(f"\nprojected {len(records)} records in {took:.1f} s (incl. group join): {s}")
        assert s["rows"] == {"raw_events": 4, "ledger": 6, "case_events": 0} and s["rejected"]["ledger"] == 1
        assert s["batches"] >= 3 and s["insert_failures"] == 0 and s["lag"] == 0
        check_store(store, hall)
        offsets = committed(kafka_bootstrap, group, topics)
        assert sum(o or 0 for o in offsets.values()) == len(records)
        t0 = time.monotonic()
        p.stop()
        assert not p.running and time.monotonic() - t0 < 5
    finally:
        p.stop()
        store.close()


def test_outage_retries_without_commit_then_catches_up(kafka_bootstrap, tmp_path):
    if find_server_binary() is None:
        pytest.skip("clickhouse-server not installed (apt-get install -y clickhouse-server)")
    server_dir = tmp_path / "clickhouse"
    url, stop_server = start_dev_server(server_dir, database="projector_outage")
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    store = open_store(url)
    ensure_schema(store)
    store.close()  # drop the idle connection first: the server waits ~12 s for open ones
    stop_server()  # ClickHouse is down from here on; the store reconnects when it is back
    fams, ledger_topic = topics_for_test()
    topics = [*fams.values(), ledger_topic]
    ensure_topics(kafka_bootstrap, {t: DEFAULT_PARTITIONS for t in topics})
    hall, group = unique_name("hall"), unique_name("projector")
    records = scenario(hall, fams, ledger_topic)
    produce(kafka_bootstrap, records)
    kw = dict(group=group, event_topics=event_topics(fams), ledger_topic=ledger_topic, case_topic=fams["case"],
              batch_max_rows=100, batch_max_ms=100, backoff_initial_s=0.1, backoff_max_s=0.5)
    first = Projector(store, kafka_bootstrap, **kw).start()
    try:
        wait_for(lambda: first.stats()["insert_failures"] >= 3, "insert retries")
        s = first.stats()
        assert s["retrying"] and not s["caught_up"] and sum(s["rows"].values()) == 0
        assert "unavailable" in s["last_error"]
        assert all(o is None for o in committed(kafka_bootstrap, group, topics).values())
        t0 = time.monotonic()
        first.stop()  # while ClickHouse is still down: stops promptly, commits nothing
        assert not first.running and time.monotonic() - t0 < 5
        assert all(o is None for o in committed(kafka_bootstrap, group, topics).values())

        second = Projector(store, kafka_bootstrap, **kw).start()
        try:
            wait_for(lambda: second.stats()["insert_failures"] >= 1, "second projector retrying")
            _, stop_server = start_dev_server(server_dir, database="projector_outage", tcp_port=port)
            took = wait_for(lambda: projected(second) == len(records), "catch-up after restart")
            print(f"\ncaught up {took:.1f} s after ClickHouse came back: {second.stats()}")
            check_store(store, hall)
            offsets = committed(kafka_bootstrap, group, topics)
            assert sum(o or 0 for o in offsets.values()) == len(records)
        finally:
            second.stop()
    finally:
        first.stop()
        store.close()
        stop_server()
