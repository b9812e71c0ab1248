"""Case transitions -> ClickHouse `case_events` through the projector, on chDB
and on the real server (the `store` fixture runs both), with the portable
current-state query."""
from __future__ import annotations

import json
import time

import pytest

from hallscore.kafka.admin import ensure_topics
from hallscore.kafka.producer import make_producer, send_all
from schemas.topics import DEFAULT_PARTITIONS, unit_key
from services.ranking.projector import Projector
from tests.fixtures.kafka import unique_name
from tests.rectification_env import HALL, Api, FakeClock, issue_tokens, open_api, settings

pytestmark = pytest.mark.integration


def case_events(tmp_path) -> list[bytes]:
    """A few real histories, written by the service (fake producer)."""
    clock = FakeClock("2026-11-02T09:00:00+08:00")
    client, producer = open_api(settings(tmp_path), clock)
    with client:
        api = Api(client, issue_tokens(tmp_path), clock)
        lst = api.ok("POST", "/v1/lists", "manager", 201, json={
            "hall": HALL, "title": "清单", "deadline": "2026-11-06",
            "items": [{"unit": "tx-rsj", "rule_id": "tongxu.5.2", "title": "a"},
                      {"unit": "tx-swj", "rule_id": "tongxu.3.1", "title": "b"}]})
        a, b = (i["case_id"] for i in lst["items"])
        api.ok("POST", f"/v1/cases/{a}/evidence", "rsj", json={"evidence": ["x.jpg"]})
        api.ok("POST", f"/v1/cases/{a}/accept", "manager", json={})
        review = api.ok("POST", "/v1/cases", "manager", 201, json={
            "kind": "bad_review", "hall": HALL, "unit": "tx-rsj", "level": "非常不满意", "citizen_phone": "13800000000"})
        clock.set("2026-11-10T08:00:00+08:00")
        api.tick()  # b overdue, the review's deadlines too
        api.flush()
    return [v for t, _, v in producer.sent if t == "hallscore.cases"], (a, b, review["case_id"])


def test_projector_writes_case_events(kafka_bootstrap, tmp_path, store):
    values, (a, b, r) = case_events(tmp_path / "svc")
    topic, ledger = unique_name("hallscore.cases"), unique_name("hallscore.ledger")
    ensure_topics(kafka_bootstrap, {topic: DEFAULT_PARTITIONS, ledger: DEFAULT_PARTITIONS})
    producer = make_producer(kafka_bootstrap)
    try:  # every record twice (a republish) and one poison record
        send_all(producer, [(topic, unit_key(HALL, json.loads(v)["unit"]), v) for v in values * 2]
                 + [(topic, b"x", b"not json")])
    finally:
        producer.close()
    p = Projector(store, kafka_bootstrap, group=unique_name("projector"), event_topics=[], ledger_topic=ledger,
                  case_topic=topic, batch_max_rows=50, batch_max_ms=100).start()
    try:
        t0 = time.monotonic()
        while p.stats()["rows"]["case_events"] + p.stats()["rejected"]["case_events"] < 2 * len(values) + 1:
            assert time.monotonic() - t0 < 30, p.stats()
            time.sleep(0.05)
    finally:
        p.stop()
    assert p.stats()["rejected"]["case_events"] == 1
    [(n,)] = store.query("SELECT count() FROM case_events FINAL WHERE hall = %(h)s", {"h": HALL})
    assert n == len(values)
    states = dict(store.query(
        "SELECT case_id, argMax(state, seq) FROM case_events FINAL WHERE hall = %(h)s GROUP BY case_id", {"h": HALL}))
    assert states == {a: "closed", b: "open", r: "open"}
    overdue = store.query("SELECT case_id, milestone, due FROM case_events FINAL WHERE `type` = 'case.overdue' "
                          "ORDER BY case_id, milestone")
    assert [(x[0], x[1], x[2].isoformat()) for x in overdue if x[0] == b] == [(b, "close", "2026-11-06")]
    assert {x[1] for x in overdue if x[0] == r} == {"contact", "rectify", "close"}
    [(payload, started)] = store.query("SELECT payload, started_on FROM case_events FINAL "
                                       "WHERE case_id = %(c)s AND seq = 1", {"c": r})
    assert json.loads(payload)["details"]["citizen_phone"] == "138****0000"
    assert started.isoformat() == "2026-11-02"
