"""Intake against a real (embedded Tansu) broker: publish, dedupe, outage, republish."""
from __future__ import annotations

import json
import socket
import time
import uuid
from collections import Counter, defaultdict

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer, TopicPartition

from hallscore.kafka.broker import EmbeddedBroker
from schemas.registry import event_to_json, parse_event
from schemas.topics import EVENT_TOPICS, topic_for, unit_key
from services.intake.app import create_app
from services.intake.archive import Archive
from services.intake.settings import IntakeSettings
from services.intake.tokens import TokenStore

pytestmark = pytest.mark.integration

HALL = "tongxu-county"


def make_events(n: int, tag: str) -> list[dict]:
    out = []
    for i in range(n):
        base = {"event_id": f"{tag}-{i:05d}", "schema_version": 1, "hall": HALL, "unit": f"unit-{i % 4}",
                "occurred_at": f"2026-11-16T08:{i % 60:02d}:00+08:00", "device": "dev-1"}
        kind = i % 3
        if kind == 0:
            base.update(type="attendance.clock", staff=f"s{i % 5}", payload={"direction": "in"})
        elif kind == 1:
            base.update(type="review.submitted", payload={"level": "满意", "channel": "evaluator", "real_name": True})
        else:
            base.update(type="transaction.completed", payload={"transaction_id": f"T{i}"})
        out.append(base)
    return out


def read_topics(bootstrap: str, topics=EVENT_TOPICS, timeout_s: float = 20.0) -> list:
    """Every record of the topics, from the beginning up to the fetch high-water mark."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", fetch_max_wait_ms=100)
    try:
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records, deadline = [], time.monotonic() + timeout_s
        while True:
            for recs in consumer.poll(timeout_ms=200).values():
                records.extend(recs)
            hw = {tp: consumer.highwater(tp) for tp in tps}
            if all(hw[tp] is not None and consumer.position(tp) >= hw[tp] for tp in tps):
                return records
            assert time.monotonic() < deadline, f"topics not read to the end in time: {hw}"
    finally:
        consumer.close(autocommit=False)


def ours(records, ids) -> dict[str, list]:
    by_id = defaultdict(list)
    for r in records:
        eid = json.loads(r.value)["event_id"]
        if eid in ids:
            by_id[eid].append(r)
    return by_id


def start_intake(tmp_path, bootstrap: str, **kw):
    settings = IntakeSettings(kafka_bootstrap=bootstrap, data_dir=tmp_path / "data", **kw)
    client = TestClient(create_app(settings))
    client.__enter__()
    token = TokenStore(settings.db_path).issue(HALL, "dev-1")
    client.headers["Authorization"] = f"Bearer {token}"
    return client, Archive(settings.db_path)


def post(client, events):
    return client.post("/v1/events", content=json.dumps(events, ensure_ascii=False).encode())


def test_batch_lands_once_each_keyed_by_unit_and_repost_is_duplicate(tmp_path, kafka_bootstrap):
    client, archive = start_intake(tmp_path, kafka_bootstrap)
    try:
        events = make_events(60, f"ib-{uuid.uuid4().hex[:8]}")
        ids = {e["event_id"] for e in events}
        r = post(client, events)
        assert r.status_code == 200, r.text
        assert (r.json()["accepted"], r.json()["duplicates"]) == (60, 0)

        records = read_topics(kafka_bootstrap)
        got = ours(records, ids)
        assert set(got) == ids and all(len(v) == 1 for v in got.values())
        for e in events:
            [rec] = got[e["event_id"]]
            assert rec.topic == topic_for(e["type"])
            assert rec.key == unit_key(HALL, e["unit"]) == f"{HALL}/{e['unit']}".encode()
            assert rec.value == event_to_json(parse_event(e))
        # A unit's events of one topic sit on one partition in the order posted.
        for (topic, key), recs in _group(got.values()).items():
            assert len({r.partition for r in recs}) == 1
            assert [r.offset for r in recs] == sorted(r.offset for r in recs)
        assert archive.count() == 60

        r = post(client, events)
        assert r.status_code == 200 and (r.json()["accepted"], r.json()["duplicates"]) == (0, 60)
        after = read_topics(kafka_bootstrap)
        assert Counter(r.topic for r in after) == Counter(r.topic for r in records)  # topics unchanged
        assert all(len(v) == 1 for v in ours(after, ids).values())
    finally:
        client.__exit__(None, None, None)


def _group(rec_lists):
    out = defaultdict(list)
    for [r] in rec_lists:
        out[(r.topic, r.key)].append(r)
    for recs in out.values():
        recs.sort(key=lambda r: json.loads(r.value)["event_id"])  # posting order
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_broker_outage_503_nothing_recorded_then_retry_and_republish(tmp_path):
    # Own broker on a FIXED port: the session fixture restarts on a new port,
    # which a running intake (bound to one bootstrap) could not follow.
    broker = EmbeddedBroker(port=_free_port(), log_path=tmp_path / "tansu.log").start()
    client = None
    try:
        client, archive = start_intake(tmp_path, broker.bootstrap)
        first, second = make_events(6, "out-a"), make_events(6, "out-b")
        assert post(client, first).json()["accepted"] == 6

        broker.stop()
        t0 = time.monotonic()
        r = post(client, second)
        first_503 = time.monotonic() - t0
        assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
        assert first_503 < 15, first_503
        t0 = time.monotonic()
        r = post(client, second)  # known broken: a quick reachability probe answers
        next_503 = time.monotonic() - t0
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        print(f"\n503 latency: first after broker loss {first_503:.2f}s, next {next_503:.3f}s")
        assert archive.count() == 6 and archive.lookup(e["event_id"] for e in second) == {}
        assert client.get("/healthz").json()["broker_reachable"] is False

        broker.start()  # same port, EMPTY (in-memory): no topics, no data
        assert broker.bootstrap == f"127.0.0.1:{broker.port}"
        r = post(client, second)  # the client's retry, same ids
        assert r.status_code == 200 and r.json()["accepted"] == 6, r.text
        got = ours(read_topics(broker.bootstrap), {e["event_id"] for e in first + second})
        assert set(got) == {e["event_id"] for e in second}  # the restart lost the first six
        assert archive.count() == 12
        client.__exit__(None, None, None)
        client = None

        # Restart broker and intake with republish_on_start: the archive refills the broker.
        broker.stop()
        broker.start()
        client, _ = start_intake(tmp_path, broker.bootstrap, republish_on_start=True)
        got = ours(read_topics(broker.bootstrap), {e["event_id"] for e in first + second})
        assert len(got) == 12 and all(len(v) == 1 for v in got.values())
        assert post(client, first).json()["duplicates"] == 6
    finally:
        if client is not None:
            client.__exit__(None, None, None)
        broker.stop()
