"""The issue's scripted round, through the API, with the real broker and a
clock the test controls (nobody waits for days):

A problem list of 6 items is issued on Mon 2 Nov 2026, 整改期限 Fri 13 Nov.
3 items are rectified on time and verified; 1 is rejected, resubmitted and
verified; 2 get nothing. When the clock passes midnight the timer thread
(not the test) marks the 2 overdue and sends rectification.overdue for
scoring; the list and the unit's rates read 4/6.
"""
from __future__ import annotations

import json
import time
from datetime import date

import pytest

from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
from hallscore.kafka.producer import make_producer
from schemas.topics import CASE_TOPIC, FAMILY_TOPICS
from tests.integration.test_intake_broker import read_topics
from tests.rectification_env import (
    HALL,
    Api,
    FakeClock,
    issue_tokens,
    open_api,
    settings,
)

pytestmark = pytest.mark.integration
RULES = ["tongxu.5.2", "tongxu.5.2", "tongxu.4.1", "tongxu.5.3", "tongxu.5.2", "tongxu.3.1"]


def test_six_item_round_two_overdue_rates_4_of_6(kafka_bootstrap, tmp_path):
    clock = FakeClock("2026-11-02T09:00:00+08:00")
    s = settings(tmp_path, kafka_bootstrap, timer_interval_s=0.1)
    client, _ = open_api(s, clock, producer=make_producer(kafka_bootstrap), setup_topics=None)
    with client:
        api = Api(client, issue_tokens(tmp_path), clock)
        body = {"hall": HALL, "title": "2026年第一轮评估问题清单", "round": "first_round", "deadline": "2026-11-13",
                "items": [{"unit": "tx-rsj", "rule_id": r, "title": f"问题 {i + 1}"} for i, r in enumerate(RULES)]}
        lst = api.ok("POST", "/v1/lists", "manager", 201, json=body)
        ids = [i["case_id"] for i in lst["items"]]
        assert {i["deadlines"][0]["due"] for i in lst["items"]} == {"2026-11-13"}

        def step(at: str, cid: str, action: str, who: str, payload: dict) -> dict:
            clock.set(at)
            return api.ok("POST", f"/v1/cases/{cid}/{action}", who, json=payload)

        for cid in ids[:3]:
            step("2026-11-10T10:00:00+08:00", cid, "evidence", "rsj", {"evidence": ["整改后.jpg"]})
            step("2026-11-11T10:00:00+08:00", cid, "accept", "manager", {"note": "验收通过"})
        step("2026-11-10T11:00:00+08:00", ids[3], "evidence", "rsj", {"evidence": ["整改后.jpg"]})
        rejected = step("2026-11-11T11:00:00+08:00", ids[3], "reject", "manager", {"reason": "照片无法看出整改效果"})
        assert rejected["state"] == "rejected" and rejected["rejections"] == 1
        step("2026-11-12T09:00:00+08:00", ids[3], "evidence", "rsj", {"evidence": ["整改前后对比.jpg"], "note": "补充"})
        assert step("2026-11-13T16:00:00+08:00", ids[3], "accept", "manager", {})["state"] == "closed"

        clock.set("2026-11-13T23:59:58+08:00")
        time.sleep(0.3)  # several timer ticks: not overdue before the day ends
        assert api.ok("GET", f"/v1/lists/{lst['list_id']}", "manager")["counts"]["overdue"] == 0
        clock.set("2026-11-14T00:00:01+08:00")
        t0 = time.monotonic()
        while api.ok("GET", f"/v1/lists/{lst['list_id']}", "manager")["counts"]["overdue"] < 2:
            assert time.monotonic() - t0 < 5, "the timer did not raise the overdue items"
            time.sleep(0.05)
        report = api.ok("GET", f"/v1/lists/{lst['list_id']}", "manager")
        assert [i["overdue"] for i in report["items"]] == [[], [], [], [], ["close"], ["close"]]
        assert report["closed_by_deadline"]["text"] == "4/6" and report["counts"]["rejections"] == 1
        for period in ("2026-11", "2026-W45", "2026"):
            r = api.ok("GET", f"/v1/rates?hall={HALL}&unit=tx-rsj&period={period}", "rsj")
            assert r["total"]["rates"]["problem_items_closed_by_deadline"]["text"] == "4/6", period

        # Late evidence closes the item but never makes it on time; the timer raised each overdue once.
        step("2026-11-16T10:00:00+08:00", ids[4], "evidence", "rsj", {"evidence": ["迟交.jpg"]})
        step("2026-11-16T15:00:00+08:00", ids[4], "accept", "manager", {})
        time.sleep(0.3)
        r = api.ok("GET", f"/v1/rates?hall={HALL}&unit=tx-rsj&period=2026-11", "auditor")
        assert r["total"]["rates"]["problem_items_closed_by_deadline"]["text"] == "4/6"
        api.flush()

    notices = [json.loads(x.value) for x in read_topics(kafka_bootstrap, [FAMILY_TOPICS["rectification"]])]
    mine = sorted((n for n in notices if n["payload"]["case_id"] in ids), key=lambda n: n["payload"]["case_id"])
    assert [(n["payload"]["case_id"], n["payload"]["rule_id"], n["payload"]["count"], n["payload"]["deadline"])
            for n in mine] == [(ids[4], "tongxu.5.2", 1, "2026-11-13"), (ids[5], "tongxu.3.1", 1, "2026-11-13")]
    assert {(n["occurred_at"], n["hall"], n["unit"]) for n in mine} == {("2026-11-13T23:59:59+08:00", HALL, "tx-rsj")}
    # What scoring will charge in the unit's week 2026-W46 (the rubric's per-occurrence points).
    items = load_rubric(DEFAULT_RUBRIC).items()
    assert [items[n["payload"]["rule_id"]][1].per_occurrence for n in mine] == [2, 3]
    assert date.fromisoformat(mine[0]["payload"]["deadline"]).isocalendar()[:2] == (2026, 46)

    cases = [json.loads(x.value) for x in read_topics(kafka_bootstrap, [CASE_TOPIC])]
    overdue = sorted(e["payload"]["case_id"] for e in cases if e["type"] == "case.overdue" and e["payload"]["case_id"] in ids)
    assert overdue == ids[4:]
