"""Citizen phone numbers never appear in clear in any service's log or ranking answer.

Runs the embedded system (every service its own process, logs in data/logs),
posts a 差评 review carrying a citizen_phone, waits until scoring scored it,
the ranking projector stored it and rectification opened its case, then greps
every log file and the ranking answers for the number.
"""
from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from hallscore.embedded import EmbeddedSystem, Ports

pytestmark = pytest.mark.integration
HALL, UNIT, WEEK = "tongxu-county", "tx-rsj", "2026-W47"
PHONE = "13912345678"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(cond, what: str, timeout_s: float = 40):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_phone_masked_in_logs_and_ranking(tmp_path: Path):
    ports = Ports(broker=_free_port(), intake=_free_port(), ranking=_free_port(), scoring_web=_free_port(),
                  scoring_metrics=_free_port(), rectification=_free_port())
    system = EmbeddedSystem(data_dir=tmp_path / "data", ports=ports)
    try:
        system.start()
        from services.intake.db import db_path
        from services.intake.tokens import TokenStore
        token = TokenStore(db_path(system.data_dir)).issue(HALL, "pj-01")
        manager = {"Authorization": f"Bearer {system.issue_user('manager', HALL)}"}
        review = {"event_id": "phone-review-0001", "type": "review.submitted", "schema_version": 1,
                  "occurred_at": "2026-11-18T10:00:00+08:00", "hall": HALL, "unit": UNIT, "window": "A07",
                  "staff": "tx-rsj-02", "device": "pj-01",
                  "payload": {"level": "非常不满意", "channel": "evaluator", "real_name": True,
                              "citizen_phone": PHONE, "comment": f"call me on {PHONE[:3]} please"}}
        r = httpx.post(f"{system.intake_url}/v1/events", headers={"Authorization": f"Bearer {token}"},
                       json=review, timeout=30)
        assert r.status_code == 200, r.text
        metrics = f"http://127.0.0.1:{ports.scoring_metrics}/metrics"
        _wait(lambda: 'hallscore_scoring_events_total{type="review.submitted"}' in httpx.get(metrics).text,
              "scoring to score the review")
        detail = f"{system.ranking_url}/v1/halls/{HALL}/weeks/{WEEK}/units/{UNIT}"
        _wait(lambda: "phone-review-0001" in httpx.get(detail, headers=manager, timeout=10).text, "the ledger line in ranking")
        _wait(lambda: 'hallscore_rectification_source_events_total' in httpx.get(
            f"{system.rectification_url}/metrics", timeout=10).text, "rectification to consume the review", 20)
        answers = [httpx.get(detail, headers=manager, timeout=10).text,
                   httpx.get(f"{system.ranking_url}/v1/halls/{HALL}/weeks/{WEEK}/ranking", headers=manager,
                             timeout=10).text,
                   httpx.get(f"{system.ranking_url}/halls/{HALL}/weeks/{WEEK}/units/{UNIT}", headers=manager,
                             timeout=10).text,
                   httpx.get(f"{system.rectification_url}/metrics", timeout=10).text]
        time.sleep(1.0)  # let the last log lines land
    finally:
        system.stop()
    logs = sorted(system.logs.glob("*.log"))
    assert {p.stem for p in logs} >= {"intake", "scoring", "ranking", "rectification", "broker"}
    total = sum(p.stat().st_size for p in logs)
    leaks = [p.name for p in logs if PHONE in p.read_text(errors="replace")]
    print(f"\nphone masking: {len(logs)} log files, {total} bytes grepped, clear number found in {leaks or 'none'}; "
          f"ranking answers checked: {len(answers)}")
    assert not leaks, f"citizen phone in clear in {leaks}"
    assert not [a for a in answers if PHONE in a]
