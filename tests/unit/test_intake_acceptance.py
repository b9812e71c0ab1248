"""Intake: the pure acceptance decisions, then the HTTP app with a fake producer."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from schemas.registry import event_to_json, parse_event
from schemas.topics import all_topics
from services.intake import acceptance as acc
from services.intake.app import create_app
from services.intake.archive import Archive
from services.intake.settings import IntakeSettings
from services.intake.tokens import TokenStore

HALL = "tongxu-county"


def clock(event_id: str, *, hall: str = HALL, unit: str = "tx-rsj", direction: str = "in", **over) -> dict:
    raw = {"event_id": event_id, "type": "attendance.clock", "schema_version": 1,
           "occurred_at": "2026-11-16T08:41:00+08:00", "hall": hall, "unit": unit, "window": "A07",
           "staff": "tx-rsj-01", "device": "att-01", "payload": {"direction": direction, "method": "face"}}
    raw.update(over)
    return raw


def review(event_id: str, *, unit: str = "tx-swj", level: str = "满意") -> dict:
    return {"event_id": event_id, "type": "review.submitted", "schema_version": 1,
            "occurred_at": "2026-11-16T09:00:00+08:00", "hall": HALL, "unit": unit, "device": "pj-01",
            "payload": {"level": level, "channel": "evaluator", "real_name": False}}


def body(x) -> bytes:
    return json.dumps(x, ensure_ascii=False).encode()


# --- pure functions ---------------------------------------------------------

def test_parse_bearer():
    assert acc.parse_bearer("Bearer hs_abc_def") == "hs_abc_def"
    assert acc.parse_bearer("bearer   tok ") == "tok"
    for bad in (None, "", "Bearer", "Bearer  ", "Basic dXNlcg==", "tok"):
        assert acc.parse_bearer(bad) is None


def test_decode_body_shapes_and_limits():
    assert acc.decode_body(body(clock("evt-00000001")), 5) == [clock("evt-00000001")]
    assert len(acc.decode_body(body([clock(f"evt-0000000{i}") for i in range(5)]), 5)) == 5
    cases = {b"": 422, b"  ": 422, b"{not json": 422, b"\xff\xfe": 422, b"[]": 422, b"42": 422,
             b'"x"': 422, b"null": 422, body([{}] * 6): 413, b"[" * 100000: 422}
    for raw, status in cases.items():
        with pytest.raises(acc.Rejection) as e:
            acc.decode_body(raw, 5)
        assert e.value.status == status, raw[:20]
        assert isinstance(e.value.detail, str) and e.value.detail
    with pytest.raises(acc.Rejection, match="6 > 5"):
        acc.decode_body(body([{}] * 6), 5)


def test_validate_names_each_bad_item_index_and_field():
    raws = [clock("evt-00000001"), clock("evt-00000002", direction="sideways"), "nope",
            clock("evt-00000004", hall="bad hall!"), {"type": "weather.report"}]
    with pytest.raises(acc.Rejection) as e:
        acc.validate_items(raws)
    assert e.value.status == 422
    got = {(d["index"], d["field"]) for d in e.value.detail}
    assert got == {(1, "payload.direction"), (2, "(event)"), (3, "hall"), (4, "type")}
    by_index = {d["index"]: d for d in e.value.detail}
    assert by_index[1]["event_id"] == "evt-00000002" and by_index[2]["event_id"] is None
    assert all(d["message"] for d in e.value.detail)


def test_items_carry_canonical_json_and_its_hash():
    [it] = acc.validate_items([clock("evt-00000001", payload={"direction": "in"})])  # method defaulted
    assert it.body == event_to_json(parse_event(clock("evt-00000001")))
    assert acc.records_for([it]) == [("hallscore.attendance", b"tongxu-county/tx-rsj", it.body)]


def test_scope_names_items_of_other_halls():
    items = acc.validate_items([clock("evt-00000001"), clock("evt-00000002", hall="other-hall")])
    acc.check_scope(items[:1], HALL)
    with pytest.raises(acc.Rejection) as e:
        acc.check_scope(items, HALL)
    assert e.value.status == 403
    assert [(d["index"], d["event_id"]) for d in e.value.detail] == [(1, "evt-00000002")]


def test_same_id_twice_in_request():
    same = acc.validate_items([clock("evt-00000001"), clock("evt-00000001")])
    acc.check_request_conflicts(same)  # identical repeat: fine
    plan = acc.classify(same, {})
    assert [r["status"] for r in plan.results] == ["accepted", "duplicate"] and len(plan.new) == 1
    differ = acc.validate_items([clock("evt-00000001"), clock("evt-00000001", direction="out")])
    with pytest.raises(acc.Rejection) as e:
        acc.check_request_conflicts(differ)
    assert e.value.status == 422 and e.value.detail[0]["index"] == 1


def test_classify_against_archive():
    items = acc.validate_items([clock("evt-00000001"), clock("evt-00000002"), review("evt-00000003")])
    known = {"evt-00000001": items[0].sha256}
    plan = acc.classify(items, known)
    assert [it.event_id for it in plan.new] == ["evt-00000002", "evt-00000003"]
    assert plan.response()["accepted"] == 2 and plan.response()["duplicates"] == 1
    with pytest.raises(acc.Rejection) as e:
        acc.classify(items, {"evt-00000002": "0" * 64})
    assert e.value.status == 409 and e.value.detail[0]["event_id"] == "evt-00000002"


# --- the app with a fake producer ---------------------------------------------

class FakeFuture:
    def __init__(self, error=None):
        self.error = error

    def get(self, timeout=None):
        if self.error:
            raise self.error
        return "ok"


class FakeProducer:
    """Records sends; `fail` = 'send' raises at send(), 'ack' fails the future."""

    def __init__(self):
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.fail: str | None = None
        self.closed = False

    def send(self, topic, key=None, value=None):
        if self.fail == "send":
            raise TimeoutError("metadata not available")
        if self.fail == "ack":
            return FakeFuture(TimeoutError("delivery timed out"))
        self.sent.append((topic, key, value))
        return FakeFuture()

    def close(self, timeout=None):
        self.closed = True


@pytest.fixture
def env(tmp_path):
    settings = IntakeSettings(kafka_bootstrap="127.0.0.1:1", data_dir=tmp_path / "data", max_batch=10)
    producer, topics_calls = FakeProducer(), []
    app = create_app(settings, producer_factory=lambda b: producer,
                     setup_topics=lambda b, t: topics_calls.append(t))
    tokens = TokenStore(settings.db_path)
    token = tokens.issue(HALL, "att-01")
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield type("Env", (), dict(client=client, producer=producer, tokens=tokens, token=token,
                                   archive=Archive(settings.db_path), topics_calls=topics_calls))
    assert producer.closed


def test_startup_ensures_all_topics(env):
    assert env.topics_calls == [all_topics()]


def test_auth_missing_unknown_revoked(env):
    c = env.client
    assert c.post("/v1/events", content=body(clock("evt-00000001")), headers={"Authorization": ""}).status_code == 401
    forged = env.token[:-4] + "AAAA"
    r = c.post("/v1/events", content=body(clock("evt-00000001")), headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    env.tokens.revoke(env.token.split("_")[1])
    assert c.post("/v1/events", content=body(clock("evt-00000001"))).status_code == 401
    assert env.producer.sent == []


def test_accept_then_duplicate_then_conflict(env):
    c = env.client
    batch = [clock("evt-00000001"), review("evt-00000002")]
    r = c.post("/v1/events", content=body(batch))
    assert r.status_code == 200, r.text
    assert r.json() == {"results": [{"event_id": "evt-00000001", "status": "accepted"},
                                    {"event_id": "evt-00000002", "status": "accepted"}],
                        "accepted": 2, "duplicates": 0}
    assert [(t, k) for t, k, _ in env.producer.sent] == [
        ("hallscore.attendance", b"tongxu-county/tx-rsj"), ("hallscore.reviews", b"tongxu-county/tx-swj")]
    assert env.producer.sent[0][2] == event_to_json(parse_event(batch[0]))
    assert set(env.archive.lookup(["evt-00000001", "evt-00000002"])) == {"evt-00000001", "evt-00000002"}

    r = c.post("/v1/events", content=body([clock("evt-00000001"), clock("evt-00000003")]))
    assert r.json()["results"] == [{"event_id": "evt-00000001", "status": "duplicate"},
                                   {"event_id": "evt-00000003", "status": "accepted"}]
    assert len(env.producer.sent) == 3  # the duplicate was not re-published

    r = c.post("/v1/events", content=body([clock("evt-00000004"), clock("evt-00000001", direction="out")]))
    assert r.status_code == 409 and r.json()["detail"][0] == {
        "index": 1, "event_id": "evt-00000001", "field": "event_id",
        "message": "event_id was already accepted with different content"}
    assert len(env.producer.sent) == 3 and env.archive.lookup(["evt-00000004"]) == {}


def test_invalid_item_rejects_whole_batch(env):
    r = env.client.post("/v1/events", content=body([clock("evt-00000001"), clock("evt-00000002", direction="up")]))
    assert r.status_code == 422
    [d] = r.json()["detail"]
    assert (d["index"], d["event_id"], d["field"]) == (1, "evt-00000002", "payload.direction")
    assert env.producer.sent == [] and env.archive.count() == 0


def test_service_only_event_types_are_refused_from_devices(env):
    examples = Path(__file__).resolve().parents[2] / "schemas" / "examples"
    closing = json.loads((examples / "case.called_back.v1.json").read_text(encoding="utf-8"))
    overdue = json.loads((examples / "rectification.overdue.v1.json").read_text(encoding="utf-8"))
    for raw in (closing, overdue, {**closing, "payload": {"broken": True}}):
        r = env.client.post("/v1/events", content=body([clock("evt-00000001"), {**raw, "hall": HALL}]))
        assert r.status_code == 422, r.text
        [d] = r.json()["detail"]
        assert (d["index"], d["field"]) == (1, "type") and raw["type"] in d["message"]
        assert "not accepted from devices" in d["message"]
    assert env.producer.sent == [] and env.archive.count() == 0
    assert acc.device_type_error("review.submitted") is None


def test_other_hall_is_forbidden(env):
    r = env.client.post("/v1/events", content=body([clock("evt-00000001"), clock("evt-00000002", hall="yj-town")]))
    assert r.status_code == 403 and r.json()["detail"][0]["index"] == 1
    assert env.producer.sent == []


def test_bad_bodies_and_batch_limits(env):
    c = env.client
    assert c.post("/v1/events", content=b"{oops").status_code == 422
    assert "empty array" in c.post("/v1/events", content=b"[]").json()["detail"]
    r = c.post("/v1/events", content=body([clock(f"evt-{i:08d}") for i in range(11)]))
    assert r.status_code == 413 and "11 > 10" in r.json()["detail"]
    assert c.post("/v1/events", content=body([clock(f"evt-{i:08d}") for i in range(10)])).status_code == 200
    r = c.post("/v1/events", content=body([clock("evt-00000099"), clock("evt-00000099", direction="out")]))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "event_id"


def test_broker_failure_is_503_and_nothing_recorded(env, monkeypatch):
    import services.intake.service as service

    monkeypatch.setattr(service, "broker_reachable", lambda b, timeout_s=1.0: True)
    for mode in ("send", "ack"):
        env.producer.fail = mode
        r = env.client.post("/v1/events", content=body([clock("evt-00000001"), review("evt-00000002")]))
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert "retry" in r.json()["detail"]
        assert env.archive.count() == 0
    # The broker is back: topics are ensured again, then the same ids go through.
    env.producer.fail = None
    calls = len(env.topics_calls)
    r = env.client.post("/v1/events", content=body([clock("evt-00000001"), review("evt-00000002")]))
    assert r.status_code == 200 and r.json()["accepted"] == 2
    assert len(env.topics_calls) == calls + 1 and env.archive.count() == 2


def test_unreachable_broker_after_failure_answers_503_fast(env):
    env.producer.fail = "ack"
    assert env.client.post("/v1/events", content=body(clock("evt-00000001"))).status_code == 503
    env.producer.fail = None  # but 127.0.0.1:1 refuses connections
    r = env.client.post("/v1/events", content=body(clock("evt-00000001")))
    assert r.status_code == 503 and "unreachable" in r.json()["detail"]


def test_healthz_and_metrics(env):
    c = env.client
    assert c.get("/healthz").json() == {"status": "ok", "broker_reachable": False, "last_publish_ok": True}
    c.post("/v1/events", content=body([clock("evt-00000001"), review("evt-00000002")]))
    c.post("/v1/events", content=body([clock("evt-00000001")]))
    c.post("/v1/events", content=body([clock("evt-00000003", direction="up"), {"type": "x"}]))
    text = c.get("/metrics").text
    for line in ('hallscore_intake_events_total{outcome="accepted",type="attendance.clock"} 1.0',
                 'hallscore_intake_events_total{outcome="accepted",type="review.submitted"} 1.0',
                 'hallscore_intake_events_total{outcome="duplicate",type="attendance.clock"} 1.0',
                 'hallscore_intake_events_total{outcome="rejected",type="attendance.clock"} 1.0',
                 'hallscore_intake_events_total{outcome="rejected",type="unknown"} 1.0',
                 'hallscore_intake_requests_total{status="200"} 2.0',
                 'hallscore_intake_requests_total{status="422"} 1.0',
                 "hallscore_intake_publish_seconds_count 1.0"):
        assert line in text, line


def test_republish_on_start_sends_archive_in_order(env, tmp_path):
    env.client.post("/v1/events", content=body([clock(f"evt-{i:08d}") for i in range(7)]))
    settings = IntakeSettings(kafka_bootstrap="127.0.0.1:1", data_dir=tmp_path / "data", republish_on_start=True)
    fresh = FakeProducer()
    with TestClient(create_app(settings, producer_factory=lambda b: fresh, setup_topics=lambda b, t: None)):
        assert fresh.sent == env.producer.sent  # same records, same order, before serving


def test_no_clients_built_at_import_or_create(tmp_path):
    settings = IntakeSettings(kafka_bootstrap="127.0.0.1:1", data_dir=tmp_path / "d")
    create_app(settings, producer_factory=lambda b: pytest.fail("producer built outside lifespan"))
    assert not settings.db_path.exists()


def test_concurrent_requests_never_publish_one_id_twice(env, monkeypatch):
    import threading
    import time

    quick_get = FakeFuture.get

    def slow_get(self, timeout=None):
        time.sleep(0.2)  # hold the first request inside publish
        return quick_get(self, timeout)

    monkeypatch.setattr(FakeFuture, "get", slow_get)
    results = []
    bodies = [body(clock("evt-00000001")), body(clock("evt-00000001", direction="out"))]
    threads = [threading.Thread(target=lambda b=b: results.append(env.client.post("/v1/events", content=b)))
               for b in bodies]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(5)
    assert sorted(r.status_code for r in results) == [200, 409]
    assert len(env.producer.sent) == 1 and env.archive.count() == 1
