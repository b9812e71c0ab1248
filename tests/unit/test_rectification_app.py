"""The rectification API with a fake producer and a clock the test moves:
roles and scope, refusals, sources, calendars, restart."""
from __future__ import annotations

import json

import pytest

from schemas.registry import parse_event
from tests.rectification_env import HALL, Api, FakeClock, issue_tokens, open_api, settings


@pytest.fixture
def api(tmp_path):
    clock = FakeClock("2026-11-02T09:00:00+08:00")
    client, producer = open_api(settings(tmp_path), clock)
    with client:
        a = Api(client, issue_tokens(tmp_path), clock)
        a.producer = producer
        a.dir = tmp_path
        yield a


def a_list(api, units=("tx-rsj",) * 2, **over) -> dict:
    body = {"hall": HALL, "title": "第一轮评估问题清单", "round": "first_round", "deadline": "2026-11-13",
            "items": [{"unit": u, "rule_id": "tongxu.5.2", "title": f"柜面不整洁 {i}"} for i, u in enumerate(units)],
            **over}
    return api.ok("POST", "/v1/lists", "manager", 201, json=body)


def review(event_id: str, level="非常不满意", unit="tx-rsj", at="2026-11-03T10:00:00+08:00", device="pj-01"):
    return parse_event({"event_id": event_id, "type": "review.submitted", "schema_version": 1, "occurred_at": at,
                        "hall": HALL, "unit": unit, "window": "A07", "staff": "tx-rsj-02", "device": device,
                        "payload": {"level": level, "channel": "evaluator", "real_name": True,
                                    "citizen_phone": "13800000000", "comment": "等太久"}})


def test_scope_and_roles(api):
    lst = a_list(api, units=("tx-rsj", "tx-swj"))
    rsj, swj = (i["case_id"] for i in lst["items"])
    assert api.call("GET", f"/v1/cases/{rsj}", "").status_code == 401
    assert api.ok("GET", f"/v1/cases/{rsj}", "rsj")["unit"] == "tx-rsj"
    for method, path, body in (("GET", f"/v1/cases/{swj}", None),
                               ("POST", f"/v1/cases/{swj}/evidence", {"evidence": ["x.jpg"]}),
                               ("GET", f"/v1/cases?hall={HALL}&unit=tx-swj", None),
                               ("GET", f"/v1/rates?hall={HALL}&unit=tx-swj&period=2026-11", None)):
        r = api.call(method, path, "rsj", json=body)
        assert r.status_code == 403 and "tx-rsj" in r.json()["detail"], (path, r.text)
    listed = api.ok("GET", "/v1/cases", "rsj")
    assert {c["unit"] for c in listed["cases"]} == {"tx-rsj"}
    assert [i["unit"] for i in api.ok("GET", f"/v1/lists/{lst['list_id']}", "rsj")["items"]] == ["tx-rsj"]
    # A unit cannot verify or issue; an auditor reads all, changes nothing; another hall's manager sees nothing.
    api.ok("POST", f"/v1/cases/{rsj}/evidence", "rsj", json={"evidence": ["after.jpg"]})
    r = api.call("POST", f"/v1/cases/{rsj}/accept", "rsj", json={})
    assert r.status_code == 403 and r.json()["detail"]["error"] == "NotPermitted"
    assert api.call("POST", "/v1/lists", "rsj", json={"hall": HALL, "title": "x", "items": [
        {"unit": "tx-rsj", "rule_id": "tongxu.5.2", "title": "x"}]}).status_code == 403
    assert api.ok("GET", f"/v1/cases/{swj}", "auditor")["state"] == "open"
    assert api.call("POST", f"/v1/cases/{rsj}/accept", "auditor", json={}).status_code == 403
    for path in (f"/v1/cases/{rsj}", f"/v1/lists/{lst['list_id']}", f"/v1/cases?hall={HALL}"):
        assert api.call("GET", path, "other_manager").status_code == 403
    assert api.ok("GET", "/v1/cases", "other_manager")["count"] == 0
    assert api.call("POST", f"/v1/cases/{rsj}/accept", "other_manager", json={}).status_code == 403


def test_refusals_are_clear_4xx(api):
    [item] = a_list(api, units=("tx-rsj",))["items"]
    cid = item["case_id"]
    r = api.call("POST", f"/v1/cases/{cid}/accept", "manager", json={})
    assert r.status_code == 409 and "no evidence" in r.json()["detail"]["reason"]
    r = api.call("POST", f"/v1/cases/{cid}/evidence", "rsj", json={})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "evidence"
    r = api.call("POST", f"/v1/cases/{cid}/evidence", "rsj", json={"evidence": "x.jpg"})
    assert r.status_code == 422 and "evidence" in r.text  # FastAPI names the field
    r = api.call("POST", f"/v1/cases/{cid}/verify", "manager", json={"substantiated": True})
    assert r.status_code == 409 and "allowed now: submit_evidence" in r.json()["detail"]["reason"]
    assert api.call("GET", "/v1/cases/pl-nope", "manager").status_code == 404
    bad = {"hall": HALL, "title": "x", "items": [{"unit": "tx-rsj", "rule_id": "tongxu.9.9", "title": "x"}]}
    r = api.call("POST", "/v1/lists", "manager", json=bad)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "items.0.rule_id"
    bad["items"][0].update(rule_id="tongxu.5.2", unit="tx-nope")
    assert api.call("POST", "/v1/lists", "manager", json=bad).json()["detail"]["field"] == "items.0.unit"
    r = api.call("GET", f"/v1/rates?hall={HALL}&period=November", "manager")
    assert r.status_code == 422 and r.json()["detail"]["field"] == "period"
    r = api.call("POST", f"/v1/cases/{cid}/deadline", "manager", json={"milestone": "close", "reason": "x"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "due"


def test_bad_review_opens_once_and_moves_the_callback_rate(api):
    svc = api.rt.service
    ev = review("pj-2026-11-03-0001")
    cid = svc.on_source_event(ev)
    assert svc.on_source_event(ev) == cid and len(svc.cases) == 1  # redelivery: the same case
    assert svc.on_source_event(review("pj-2026-11-03-0002", level="满意")) is None
    case = api.ok("GET", f"/v1/cases/{cid}", "rsj")
    assert case["kind"] == "bad_review" and case["details"]["citizen_phone"] == "13800000000"
    assert api.ok("GET", f"/v1/cases/{cid}", "auditor")["details"]["citizen_phone"] == "138****0000"
    assert {d["milestone"]: d["due"] for d in case["deadlines"]} == {
        "contact": "2026-11-03", "rectify": "2026-11-10", "close": "2026-11-10"}
    rates = lambda: api.ok("GET", f"/v1/rates?hall={HALL}&unit=tx-rsj&period=2026-11", "manager")["total"]["rates"]
    assert rates()["bad_reviews_called_back"]["text"] == "0/1"
    api.ok("POST", f"/v1/cases/{cid}/verify", "manager", json={"substantiated": True, "note": "属实"})
    api.ok("POST", f"/v1/cases/{cid}/evidence", "rsj", json={"evidence": ["取号引导.jpg"]})
    api.ok("POST", f"/v1/cases/{cid}/accept", "manager", json={})
    done = api.ok("POST", f"/v1/cases/{cid}/callback", "rsj", json={"outcome": "satisfied"})
    assert done["state"] == "closed"
    r = rates()
    assert [r[n]["text"] for n in ("bad_reviews_verified", "bad_reviews_rectified_on_time",
                                   "bad_reviews_called_back")] == ["1/1", "1/1", "1/1"]


def test_complaint_outcome_goes_to_scoring_once(api):
    svc = api.rt.service
    filed = parse_event({"event_id": "cs-filed-0001", "type": "complaint.filed", "schema_version": 1,
                         "occurred_at": "2026-11-02T10:00:00+08:00", "hall": HALL, "unit": "tx-rsj",
                         "device": "complaint-sys", "payload": {"complaint_id": "C2026-118",
                                                                "channel": "hard_matters_window"}})
    cid = svc.on_source_event(filed)
    assert api.ok("GET", f"/v1/cases/{cid}", "manager")["title"] == "办不成事监督窗口工单 C2026-118"
    api.ok("POST", f"/v1/cases/{cid}/forward", "manager", json={"note": "转办"})
    api.ok("POST", f"/v1/cases/{cid}/urge", "manager", json={"note": "督办"})
    api.ok("POST", f"/v1/cases/{cid}/evidence", "rsj", json={"evidence": ["反馈.pdf"], "note": "已解决"})
    api.ok("POST", f"/v1/cases/{cid}/verify", "manager", json={"substantiated": True})
    api.flush()
    outcomes = [json.loads(v) for t, _, v in api.producer.sent if t == "hallscore.complaints"]
    assert [(o["type"], o["payload"]["complaint_id"], o["payload"]["substantiated"]) for o in outcomes] == [
        ("complaint.outcome", "C2026-118", True)]
    assert svc.on_source_event(parse_event(outcomes[0])) is None  # our own event coming back


def test_holiday_schedule_redates_provisional_deadlines(api):
    api.clock.set("2026-12-30T09:00:00+08:00")
    cid = api.rt.service.on_source_event(review("pj-2026-12-30-0001", at="2026-12-30T10:00:00+08:00"))
    case = api.ok("GET", f"/v1/cases/{cid}", "manager")
    assert case["provisional"] and {d["milestone"]: d["provisional"] for d in case["deadlines"]} == {
        "contact": False, "rectify": True, "close": True}
    api.clock.set("2027-01-20T09:00:00+08:00")
    api.tick()
    late = api.ok("GET", f"/v1/cases/{cid}", "manager")
    assert late["overdue"] == ["contact"]  # a guessed deadline never costs points
    assert [d["overdue_pending_calendar"] for d in late["deadlines"]] == [False, True, True]
    schedule = {"source": "test data", "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}]}
    assert api.call("PUT", "/v1/calendars/2027", "rsj", json=schedule).status_code == 403
    bad = api.call("PUT", "/v1/calendars/2027", "manager", json={**schedule, "workdays": ["2027-01-04"]})
    assert bad.status_code == 422 and "Monday" in bad.json()["detail"]["reason"]
    out = api.ok("PUT", "/v1/calendars/2027", "manager", json=schedule)
    assert out["provisional_deadlines_left"] == 0 and (api.dir / "calendars" / "2027.yaml").exists()
    now = api.ok("GET", f"/v1/cases/{cid}", "manager")
    assert not now["provisional"] and now["overdue"] == ["close", "contact", "rectify"]
    assert {d["milestone"]: d["due"] for d in now["deadlines"]}["close"] == "2027-01-07"
    years = {y["year"]: y["source"] for y in api.ok("GET", "/v1/calendars", "auditor")["years"]}
    assert years[2027].startswith("schedule:") and years[2026] == "chinese-calendar"


def test_restart_rebuilds_every_case_from_the_store(tmp_path):
    clock = FakeClock()
    client, _ = open_api(settings(tmp_path), clock)
    with client:
        api = Api(client, issue_tokens(tmp_path), clock)
        lst = a_list(api)
        api.ok("POST", f"/v1/cases/{lst['items'][0]['case_id']}/evidence", "rsj", json={"evidence": ["a"]})
        clock.set("2026-11-14T00:00:00+08:00")
        assert api.tick() == 2 and api.tick() == 0  # two items overdue, once
        before = api.ok("GET", f"/v1/lists/{lst['list_id']}", "manager")
    client, producer = open_api(settings(tmp_path, republish_on_start=True), clock)
    with client:
        api2 = Api(client, api.tokens, clock)
        assert api2.ok("GET", f"/v1/lists/{lst['list_id']}", "manager") == before
        assert api2.tick() == 0  # the overdue flags came back from the store: nothing raised twice
        api2.flush()
        types = [json.loads(v)["type"] for _, _, v in producer.sent]
        assert types.count("case.opened") == 2 and types.count("rectification.overdue") == 2
        assert len(types) == 7  # every stored event again, for a fresh broker
        metrics = client.get("/metrics").text
        assert 'hallscore_rectification_cases{kind="problem_item",status="open"} 2.0' in metrics
        assert 'hallscore_rectification_cases{kind="problem_item",status="overdue"} 2.0' in metrics
        assert api2.ok("GET", "/healthz", "")["cases"] == 2
