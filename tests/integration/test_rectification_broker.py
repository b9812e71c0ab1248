"""差评 through the real system path: a device posts a 非常不满意 review to
intake, intake publishes it to hallscore.reviews (real Tansu broker), the
rectification service's consumer opens a case; the hall completes verify ->
rectify -> callback through the API; every transition is on hallscore.cases."""
from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from schemas.topics import CASE_TOPIC
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.intake.tokens import TokenStore
from services.rectification.app import create_app
from services.rectification.settings import db_path
from services.rectification.users import UserStore
from tests.fixtures.kafka import unique_name
from tests.integration.test_intake_broker import read_topics
from tests.rectification_env import Api, FakeClock, settings

pytestmark = pytest.mark.integration


def wait_for(cond, what: str, timeout_s: float):
    t0 = time.monotonic()
    while True:
        got = cond()
        if got:
            return got, time.monotonic() - t0
        assert time.monotonic() - t0 < timeout_s, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(0.02)


def test_bad_review_posted_at_intake_opens_a_case_within_5_s(kafka_bootstrap, tmp_path):
    hall, unit = unique_name("hall"), "tx-rsj"
    intake_settings = IntakeSettings(kafka_bootstrap=kafka_bootstrap, data_dir=tmp_path / "intake")
    device_token = TokenStore(intake_settings.db_path).issue(hall, "pj-01")
    rect = settings(tmp_path / "rect", kafka_bootstrap, consumer_group=unique_name("rectification"))
    users = UserStore(db_path(rect.data_dir))
    tokens = {"manager": users.issue("manager", hall), "unit": users.issue("unit", hall, unit)}
    clock = FakeClock("2026-11-16T09:00:00+08:00")
    with TestClient(create_intake(intake_settings)) as intake, TestClient(create_app(rect, clock=clock)) as client:
        api = Api(client, tokens, clock)
        _, joined = wait_for(lambda: api.ok("GET", "/healthz", "")["consumer"]["assigned"], "consumer group join", 30)
        review = {"event_id": unique_name("pj-review"), "type": "review.submitted", "schema_version": 1,
                  "occurred_at": "2026-11-16T10:05:00+08:00", "hall": hall, "unit": unit, "window": "A07",
                  "staff": "tx-rsj-02", "device": "pj-01",
                  "payload": {"level": "非常不满意", "channel": "evaluator", "real_name": True,
                              "citizen_phone": "13800000000", "comment": "排队一个小时"}}
        t0 = time.monotonic()
        r = intake.post("/v1/events", json=review, headers={"Authorization": f"Bearer {device_token}"})
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        listed, _ = wait_for(lambda: api.ok("GET", f"/v1/cases?hall={hall}", "manager")["cases"], "the 差评 case", 5)
        latency = time.monotonic() - t0
        print(f"\n[rectification] consumer joined in {joined:.1f} s; 差评 case visible {latency:.3f} s after the "
              f"intake POST")
        assert latency < 5.0
        [case] = listed
        assert (case["kind"], case["state"], case["source_ref"]) == ("bad_review", "open", review["event_id"])
        cid = case["case_id"]

        rates = lambda: api.ok("GET", f"/v1/rates?hall={hall}&unit={unit}&period=2026-11", "manager")["total"]
        assert rates()["rates"]["bad_reviews_called_back"]["text"] == "0/1"
        api.ok("POST", f"/v1/cases/{cid}/verify", "manager", json={"substantiated": True, "note": "电话核实属实"})
        api.ok("POST", f"/v1/cases/{cid}/evidence", "unit", json={"evidence": ["增设取号引导.jpg"], "note": "已整改"})
        api.ok("POST", f"/v1/cases/{cid}/accept", "manager", json={})
        closed = api.ok("POST", f"/v1/cases/{cid}/callback", "unit", json={"outcome": "satisfied", "note": "满意"})
        assert closed["state"] == "closed"
        assert rates()["rates"]["bad_reviews_called_back"] == {"numerator": 1, "denominator": 1, "text": "1/1",
                                                                "percent": "100.0", "share": "1.0000"}
        # Redelivery (a second intake POST is a duplicate; a replay of the topic) opens nothing new.
        assert intake.post("/v1/events", json=review,
                           headers={"Authorization": f"Bearer {device_token}"}).json()["duplicates"] == 1
        api.flush()
        records = [json.loads(x.value) for x in read_topics(kafka_bootstrap, [CASE_TOPIC])]
        mine = sorted((e["payload"]["seq"], e["type"]) for e in records if e["payload"]["case_id"] == cid)
        assert mine == [(1, "case.opened"), (2, "case.verified"), (3, "case.evidence_submitted"),
                        (4, "case.evidence_accepted"), (5, "case.called_back")]
        assert len(api.ok("GET", f"/v1/cases?hall={hall}", "manager")["cases"]) == 1
