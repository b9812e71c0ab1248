"""The system as a user runs it: `hallscore up` (what `make up` runs), then
the README's curl steps, then a restart with the same data folder."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

HALL, WEEK, UNIT = "tongxu-county", "2026-W47", "tx-rsj"
LATE = {"event_id": "readme-late-0001", "type": "attendance.clock", "schema_version": 1,
        "occurred_at": "2026-11-20T09:07:00+08:00", "hall": HALL, "unit": UNIT, "staff": "tx-rsj-09",
        "device": "demo-gateway", "payload": {"direction": "in"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Up:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.ports = {k: _free_port() for k in ("broker", "intake", "ranking", "scoring-web", "scoring-metrics",
                                                   "rectification")}
        self.proc: subprocess.Popen | None = None
        self.output: list[str] = []

    @property
    def ranking(self) -> str:
        return f"http://127.0.0.1:{self.ports['ranking']}"

    @property
    def manager(self) -> dict[str, str]:
        """The demo hall manager's token that `up` issues (rankings need a user token)."""
        return {"Authorization": f"Bearer {(self.data_dir / 'demo-manager-token.txt').read_text().strip()}"}

    @property
    def intake(self) -> str:
        return f"http://127.0.0.1:{self.ports['intake']}"

    def start(self, timeout_s: float = 240) -> float:
        args = [sys.executable, "-m", "hallscore.cli", "up", "--data-dir", str(self.data_dir)]
        for k, v in self.ports.items():
            args += [f"--{k}-port", str(v)]
        t0 = time.monotonic()
        out = self.data_dir / f"up-{len(self.output)}.out"
        self.proc = subprocess.Popen(args, stdout=open(out, "wb"), stderr=subprocess.STDOUT,
                                     env={**os.environ, "COLUMNS": "120"})
        deadline = t0 + timeout_s
        buf = ""
        while time.monotonic() < deadline:
            buf = out.read_text(errors="replace") if out.exists() else ""
            if "hallscore is up" in buf:
                self.output.append(buf)
                return time.monotonic() - t0
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"hallscore up did not come up:\n{buf[-4000:]}\n{self._logs()}")

    def _logs(self) -> str:
        out = []
        for log in sorted((self.data_dir / "logs").glob("*.log")):
            out.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]))
        return "\n".join(out)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            return self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    up = Up(tmp_path_factory.mktemp("hallscore-data"))
    took = up.start()
    print(f"\n[e2e] hallscore up ready (demo loaded, scores settled) in {took:.1f} s")
    yield up
    up.stop()


def ranking(up: Up) -> dict:
    r = httpx.get(f"{up.ranking}/v1/halls/{HALL}/weeks/{WEEK}/ranking", headers=up.manager, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def score_of(body: dict, unit: str) -> Decimal:
    return next(Decimal(str(u["score"])) for u in body["units"] if u["unit"] == unit)


def post(up: Up, events, token: str) -> httpx.Response:
    return httpx.post(f"{up.intake}/v1/events", json=events, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_ranking_first_to_last_with_the_demo_week(system):
    body = ranking(system)
    units = body["units"]
    assert len(units) >= 20
    scores = [Decimal(str(u["score"])) for u in units]
    assert scores == sorted(scores, reverse=True), "first to last"
    assert len(set(scores)) > 3, "a realistic spread, not everyone equal"
    for prev, cur in zip(units, units[1:]):
        assert cur["rank"] == (prev["rank"] if Decimal(str(cur["score"])) == Decimal(str(prev["score"])) else units.index(cur) + 1)
    page = httpx.get(f"{system.ranking}/halls/{HALL}/weeks/{WEEK}", headers=system.manager, timeout=10)
    assert page.status_code == 200 and "通许县政务服务中心" in page.text


def test_late_arrival_lowers_the_score_once_and_is_listed(system):
    token = (system.data_dir / "demo-token.txt").read_text().strip()
    before = score_of(ranking(system), UNIT)
    r = post(system, LATE, token)
    assert r.status_code == 200, r.text
    assert r.json()["results"] == [{"event_id": LATE["event_id"], "status": "accepted"}]
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        if score_of(ranking(system), UNIT) != before:
            break
        time.sleep(0.1)
    took = time.monotonic() - t0
    print(f"\n[e2e] late arrival visible in the ranking after {took:.2f} s")
    assert score_of(ranking(system), UNIT) == before - 2
    detail = httpx.get(f"{system.ranking}/v1/halls/{HALL}/weeks/{WEEK}/units/{UNIT}", headers=system.manager,
                       timeout=10).json()
    reasons = [l for l in detail["lines"] if l["source_event"] and l["source_event"]["event_id"] == LATE["event_id"]]
    assert [(l["rule_id"], Decimal(str(l["points"]))) for l in reasons] == [("tongxu.4.10", Decimal(-2))]

    again = post(system, LATE, token)
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "duplicate"
    time.sleep(2)
    assert score_of(ranking(system), UNIT) == before - 2


def test_bad_event_and_foreign_token(system):
    token = (system.data_dir / "demo-token.txt").read_text().strip()
    bad = {**LATE, "event_id": "readme-bad-0001", "payload": {"direction": "sideways"}}
    r = post(system, bad, token)
    assert r.status_code == 422
    assert "payload.direction" in json.dumps(r.json())
    issued = subprocess.run([sys.executable, "-m", "hallscore.cli", "token", "issue", "--hall", "other-hall",
                             "--device", "dev-9", "--data-dir", str(system.data_dir)], capture_output=True, text=True)
    assert issued.returncode == 0, issued.stderr
    other = next(w for w in issued.stdout.split() if w.startswith("hs_"))
    r = post(system, {**LATE, "event_id": "readme-foreign-0001"}, other)
    assert r.status_code == 403


def test_a_unit_reads_the_ranking_but_not_another_units_lines(system):
    """User tokens are held by rectification; ranking asks it (/v1/me) for every new token."""
    issued = subprocess.run([sys.executable, "-m", "hallscore.cli", "user", "issue", "--role", "unit", "--hall", HALL,
                             "--unit", "tx-gaj", "--data-dir", str(system.data_dir)], capture_output=True, text=True)
    assert issued.returncode == 0, issued.stderr
    unit = {"Authorization": f"Bearer {issued.stdout.split()[0]}"}
    base = f"{system.ranking}/v1/halls/{HALL}/weeks/{WEEK}"
    assert httpx.get(f"{base}/ranking", headers=unit, timeout=10).status_code == 200
    assert httpx.get(f"{base}/units/tx-gaj", headers=unit, timeout=10).status_code == 200
    r = httpx.get(f"{base}/units/{UNIT}", headers=unit, timeout=10)
    assert r.status_code == 403 and UNIT in r.json()["detail"]
    assert httpx.post(f"{base}/publish", json={}, headers=unit, timeout=10).status_code == 403
    assert httpx.get(f"{base}/ranking", timeout=10).status_code == 401
    page = httpx.get(f"{system.ranking}/halls/{HALL}/weeks/{WEEK}", timeout=10)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_bad_review_at_intake_opens_a_rectification_case(system):
    rect = f"http://127.0.0.1:{system.ports['rectification']}"
    issued = subprocess.run([sys.executable, "-m", "hallscore.cli", "user", "issue", "--role", "manager", "--hall", HALL,
                             "--data-dir", str(system.data_dir)], capture_output=True, text=True)
    assert issued.returncode == 0, issued.stderr
    manager = {"Authorization": f"Bearer {issued.stdout.split()[0]}"}
    cases = lambda: httpx.get(f"{rect}/v1/cases", params={"hall": HALL, "kind": "bad_review", "limit": 0},
                              headers=manager, timeout=10).json()["count"]
    t0 = time.monotonic()
    while cases() < 300 and time.monotonic() - t0 < 60:  # the demo's 差评, consumed from hallscore.reviews
        time.sleep(0.5)
    demo = cases()
    assert demo >= 300
    bad = {**LATE, "event_id": "readme-bad-review-0001", "type": "review.submitted", "staff": "tx-rsj-02",
           "payload": {"level": "非常不满意", "channel": "evaluator", "real_name": True}}
    token = (system.data_dir / "demo-token.txt").read_text().strip()
    t0 = time.monotonic()
    assert post(system, bad, token).status_code == 200
    while cases() == demo and time.monotonic() - t0 < 10:
        time.sleep(0.05)
    took = time.monotonic() - t0
    print(f"\n[e2e] {demo} demo 差评 cases; a new 差评 became a case {took:.2f} s after the intake POST")
    assert cases() == demo + 1 and took < 5


def test_restart_with_the_same_data_folder_keeps_everything(system):
    before = ranking(system)
    assert system.stop() == 0
    took = system.start()
    print(f"\n[e2e] restart ready in {took:.1f} s")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and ranking(system) != before:
        time.sleep(1)
    assert ranking(system) == before
    token = (system.data_dir / "demo-token.txt").read_text().strip()
    assert post(system, LATE, token).json()["results"][0]["status"] == "duplicate"
