"""Issue #6 under `hallscore up`: kill -9 of any process, broker included, loses nothing.

A device keeps posting events through intake (each batch retried until it is
answered 200) while the broker, the scoring worker, rectification, intake and
ranking are killed with SIGKILL, one at a time, each after the previous one has
recovered (`up` restarts them: hallscore/embedded.py supervise()). Then, once the
system has settled:
  (a) every acknowledged event is in intake's archive once and in ClickHouse
      raw_events once (and nothing the device was not told about is archived);
  (b) the live scores equal a full recount: a replay of the active rubric over the
      week gives an empty diff, and every live ledger line that counts (not withdrawn)
      equals the replay's, 0-point lines included.

After the broker restart the scoring worker rebuilds from a log where intake's
republished archive interleaves with newer events, so the new worker may reach a
line's final state at a lower event count than the old worker's last row of it, or
never write a line the old one wrote from a partial view. Hence a row version
(lineage epoch << 32 | count, hallscore/core/ledger.py) and the projector retiring a
lost lineage's lines (services/ranking/lineage.py); before that, 2-11 stale 0-point
absence lines per run showed here.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import threading
import time
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

import httpx
import pytest

from hallscore.core.periods import SHANGHAI
from hallscore.core.rubric import DEFAULT_RUBRIC
from hallscore.core.schedule import load_halls
from tests.e2e.test_walking_system import HALL, WEEK, Up

pytestmark = pytest.mark.e2e

UNITS = sorted(load_halls().halls[HALL].units)
DAYS = [date(2026, 11, 16) + timedelta(days=d) for d in range(5)]  # Mon-Fri of 2026-W47
KILL_ORDER = ("broker", "scoring", "rectification", "intake", "ranking")
PREFIX = "kill9-"
# Same columns as tests/integration/test_replay.py: everything a ledger row says except
# `revision` (live: events when the line last changed; replay: the whole unit-week).
CONTENT = "rule_id, source_id, hall, unit, staff, category, kind, status, points, week_monday, occurred_at, detail, period"


def make_event(n: int) -> dict:
    """Event n of the device: clock-ins/outs (some late/early), transactions and their reviews."""
    rnd = random.Random(n)
    unit, day = rnd.choice(UNITS), rnd.choice(DAYS)
    staff = f"{unit}-{rnd.randint(1, 5):02d}"
    at = lambda h, m: datetime.combine(day, dtime(h, m, rnd.randint(0, 59)), tzinfo=SHANGHAI).isoformat()
    base = {"event_id": f"{PREFIX}{n:06d}", "schema_version": 1, "hall": HALL, "unit": unit, "staff": staff,
            "device": "demo-gateway"}
    kind = n % 4
    if kind == 0:
        return {**base, "type": "attendance.clock", "occurred_at": at(8, rnd.randint(0, 40)),
                "payload": {"direction": "in", "method": "face"}}
    if kind == 1:
        return {**base, "type": "attendance.clock", "occurred_at": at(17, rnd.randint(10, 50)),
                "payload": {"direction": "out", "method": "face"}}
    if kind == 2:
        return {**base, "type": "transaction.completed", "occurred_at": at(10, rnd.randint(0, 59)),
                "payload": {"transaction_id": f"T-{PREFIX}{n:06d}", "matter": "", "on_the_spot": True, "trips": 1,
                            "statutory_limit_days": 20, "promised_limit_days": 5, "online_depth": 3}}
    level = rnd.choice(["非常满意"] * 6 + ["满意", "基本满意", "不满意", "非常不满意"])
    return {**base, "type": "review.submitted", "occurred_at": at(11, rnd.randint(0, 59)),
            "payload": {"level": level, "channel": "evaluator", "transaction_id": f"T-{PREFIX}{n - 1:06d}",
                        "real_name": rnd.random() < 0.7, "invited": rnd.random() < 0.98}}


class Device(threading.Thread):
    """Posts batches without pause; a batch is retried (same ids) until intake answers 200."""

    def __init__(self, intake: str, token: str, batch: int = 10, pause_s: float = 0.15) -> None:
        super().__init__(daemon=True)
        self.intake, self.headers, self.batch, self.pause_s = intake, {"Authorization": f"Bearer {token}"}, batch, pause_s
        self.acked: dict[str, str] = {}  # event id -> status in the 200 answer
        self.statuses: dict[str, int] = {}  # answer (or error) -> count
        self.last_ack = 0.0
        self.stopping = threading.Event()
        self.n = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            events = [make_event(self.n + i) for i in range(self.batch)]
            self.n += self.batch
            self._until_acked(events)
            time.sleep(self.pause_s)

    def _until_acked(self, events: list[dict]) -> None:
        """Finishes the batch even when stopping: an id is then either acknowledged or never sent."""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                r = httpx.post(f"{self.intake}/v1/events", json=events, headers=self.headers, timeout=15)
                key = str(r.status_code)
            except httpx.HTTPError as exc:
                r, key = None, type(exc).__name__
            self.statuses[key] = self.statuses.get(key, 0) + 1
            if r is not None and r.status_code == 200:
                results = r.json()["results"]
                assert {x["status"] for x in results} <= {"accepted", "duplicate"}, results
                self.acked.update((x["event_id"], x["status"]) for x in results)
                self.last_ack = time.monotonic()
                return
            assert r is None or r.status_code == 503, r.text
            time.sleep(0.3)
        raise AssertionError("a batch was not acknowledged within 180 s")

    def stop(self) -> None:
        self.stopping.set()
        self.join(200)
        assert not self.is_alive()


def processes(up: Up) -> dict:
    return json.loads((up.data_dir / "processes.json").read_text())


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def health_url(up: Up, name: str) -> str:
    ports = up.ports
    return {"broker": f"{up.intake}/healthz", "intake": f"{up.intake}/healthz", "ranking": f"{up.ranking}/healthz",
            "rectification": f"http://127.0.0.1:{ports['rectification']}/healthz",
            "scoring": f"http://127.0.0.1:{ports['scoring-metrics']}/metrics"}[name]


def kill_and_recover(up: Up, device: Device, name: str, timeout_s: float = 150) -> float:
    """SIGKILL `name`; wait for `up` to restart it, for it to answer, and for a new acknowledgement."""
    pid = processes(up)["pids"][name]
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    deadline = killed + timeout_s
    while time.monotonic() < deadline:
        assert up.proc.poll() is None, f"`up` exited after killing {name}:\n{up._logs()}"
        try:
            restarted = processes(up)["pids"][name] not in (pid, None)
        except (OSError, ValueError, KeyError):
            restarted = False  # being rewritten
        if restarted and healthy(health_url(up, name)) and device.last_ack > killed + 1:
            return time.monotonic() - killed
        time.sleep(0.25)
    raise AssertionError(f"{name} did not recover within {timeout_s:.0f} s after kill -9:\n{up._logs()}")


def sentinels() -> list[dict]:
    """One inspection finding per unit, sent last: events of a unit share a partition, in order,
    so once a unit's sentinel line is in the ranking, scoring has done all that unit's events."""
    return [{"event_id": f"{PREFIX}sentinel-{unit}", "type": "supervision.finding", "schema_version": 1,
             "occurred_at": "2026-11-20T16:00:00+08:00", "hall": HALL, "unit": unit, "device": "demo-gateway",
             "payload": {"rule_id": "tongxu.4.9", "count": 1, "inspector": "环境股", "evidence": ["kill9.jpg"],
                         "note": "kill -9 test: last event"}} for unit in UNITS]


def settle(up: Up, headers: dict, read_ranking, timeout_s: float = 300) -> float:
    """Until every unit's sentinel is scored and projected, then the projector is caught up and
    the ranking unchanged for 3 polls (rectification's own events settle meanwhile)."""
    t0 = time.monotonic()
    waiting = set(UNITS)
    while waiting and time.monotonic() - t0 < timeout_s:
        for unit in sorted(waiting):
            try:
                r = httpx.get(f"{up.ranking}/v1/halls/{HALL}/weeks/{WEEK}/units/{unit}", headers=headers, timeout=10)
                ids = {(l.get("source_event") or {}).get("event_id") for l in r.json()["lines"]} if r.status_code == 200 else set()
            except (httpx.HTTPError, ValueError, KeyError):
                ids = set()
            if f"{PREFIX}sentinel-{unit}" in ids:
                waiting.discard(unit)
        time.sleep(1)
    last, same = None, 0
    while not waiting and time.monotonic() - t0 < timeout_s:
        try:
            caught_up = httpx.get(f"{up.ranking}/healthz", timeout=5).json().get("projector", {}).get("caught_up")
            now = read_ranking()
        except (httpx.HTTPError, ValueError, AssertionError):
            caught_up, now = False, None
        same = same + 1 if caught_up and now is not None and now == last else 0
        if same >= 3:
            return time.monotonic() - t0
        last = now
        time.sleep(1.5)
    raise AssertionError(f"not settled within {timeout_s:.0f} s (sentinels not scored: {sorted(waiting)}):\n{up._logs()}")


def replay_diff(up: Up, headers: dict) -> dict:
    """Replay the active rubric over the week (a full recount from raw_events); its diff."""
    body = {"rubric": DEFAULT_RUBRIC.read_text(encoding="utf-8"), "file_name": DEFAULT_RUBRIC.name,
            "from": "2026-11-16", "to": "2026-11-22", "hall": HALL}
    r = httpx.post(f"{up.ranking}/v1/admin/replays", json=body, headers=headers, timeout=30)
    assert r.status_code == 202, r.text
    job = r.json()
    deadline = time.monotonic() + 120
    while (status := httpx.get(f"{up.ranking}/v1/admin/replays/{job['id']}", headers=headers,
                               timeout=10).json())["status"] == "running":
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    assert status["status"] == "done", status
    diff = httpx.get(f"{up.ranking}/v1/admin/replays/{job['id']}/diff", headers=headers, timeout=60)
    assert diff.status_code == 200, diff.text
    return {**diff.json(), "label": status["label"], "events_total": status.get("events_total")}


def archive_counts(data_dir: Path) -> dict[str, int]:
    from services.intake.db import db_path

    with sqlite3.connect(db_path(data_dir)) as conn:
        return dict(conn.execute("SELECT event_id, count(*) FROM events GROUP BY event_id").fetchall())


def test_kill9_of_any_process_loses_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HALLSCORE_DEMO", "false")  # `up --no-demo`: only this test's events
    up = Up(tmp_path / "data")
    up.data_dir.mkdir()
    t_start = time.monotonic()
    try:
        took = up.start()
        print(f"\n[kill9] hallscore up (no demo) ready in {took:.1f} s")
        token = (up.data_dir / "demo-token.txt").read_text().strip()
        headers = up.manager
        ranking_url = f"{up.ranking}/v1/halls/{HALL}/weeks/{WEEK}/ranking"

        def read_ranking() -> dict:
            r = httpx.get(ranking_url, headers=headers, timeout=10)
            assert r.status_code == 200, r.text
            return r.json()

        device = Device(up.intake, token)
        device.start()
        time.sleep(5)
        recovered = {}
        for name in KILL_ORDER:
            recovered[name] = kill_and_recover(up, device, name)
            print(f"[kill9] kill -9 {name}: recovered (restarted, answering, events acknowledged again) "
                  f"in {recovered[name]:.1f} s; {len(device.acked)} acknowledged so far")
            time.sleep(3)
        device.stop()
        device._until_acked(sentinels())
        restarts = processes(up)["restarts"]
        settled = settle(up, headers, read_ranking)
        body = read_ranking()
        diff = replay_diff(up, headers)
        assert up.stop() == 0
        up_out = (up.data_dir / "up-0.out").read_text(errors="replace")

        from hallscore.store.adapter import open_store

        store = open_store(f"chdb://{up.data_dir / 'clickhouse'}")
        try:
            raw = dict(store.query("SELECT event_id, count() FROM raw_events FINAL WHERE hall = %(h)s "
                                   "AND startsWith(event_id, %(p)s) GROUP BY event_id", {"h": HALL, "p": PREFIX}))
            [(raw_rows,)] = store.query("SELECT count() FROM raw_events WHERE hall = %(h)s AND startsWith(event_id, %(p)s)",
                                        {"h": HALL, "p": PREFIX})
            where = "hall = %(h)s AND week_monday = toDate('2026-11-16')"
            live = store.query(f"SELECT {CONTENT} FROM ledger FINAL WHERE rubric_version = %(rv)s AND {where} "
                               f"AND status != 'withdrawn' ORDER BY source_id, rule_id",
                               {"rv": body["rubric_version"], "h": HALL})
            replayed = store.query(f"SELECT {CONTENT} FROM ledger FINAL WHERE rubric_version = %(rv)s AND {where} "
                                   f"AND status != 'withdrawn' ORDER BY source_id, rule_id",
                                   {"rv": diff["label"], "h": HALL})
        finally:
            store.close()
        archived = archive_counts(up.data_dir)
    finally:
        up.stop()

    acked = set(device.acked)
    lost_archive = acked - set(archived)
    unacked_archived = set(archived) - acked
    lost_raw = acked - set(raw)
    twice = {k: n for k, n in {**archived, **raw}.items() if n != 1}
    changed = sum(len(v) for v in diff["changes"].values())
    restarts_txt = ", ".join(f"{k} {v}" for k, v in restarts.items() if k != "up")
    print(f"[kill9] settled {settled:.1f} s after the last recovery; total {time.monotonic() - t_start:.0f} s\n"
          f"[kill9] acked={len(acked)} (answers: {device.statuses}), archived={len(archived)}, "
          f"raw_events={len(raw)} ({raw_rows} rows before merge), lost={len(lost_archive | lost_raw)}, "
          f"counted twice={len(twice)}, archived but never acknowledged={len(unacked_archived)}\n"
          f"[kill9] units compared={len(body['units'])}, replay events={diff['events_total']}, "
          f"differences={changed}, ledger lines live={len(live)} replay={len(replayed)} "
          f"equal={live == replayed} (lines only live {len(set(live) - set(replayed))}, only replay "
          f"{len(set(replayed) - set(live))})\n[kill9] restarts: {restarts_txt}")
    assert not lost_archive and not lost_raw, (sorted(lost_archive)[:5], sorted(lost_raw)[:5])
    assert not twice and not unacked_archived
    assert set(archived) == set(raw) == acked
    assert diff["identical"] and changed == 0, diff["summary"]
    only_live, only_replay = sorted(set(live) - set(replayed)), sorted(set(replayed) - set(live))
    for row in only_live[:5] + only_replay[:5]:
        print("[kill9] ledger line only in", "live" if row in only_live else "replay", row[:9], row[11])
    # Every line the live ledger counts is the recount's, even those worth 0: lines a lost
    # scoring lineage left are withdrawn by the projector (services/ranking/lineage.py).
    assert len(live) > 0 and live == replayed, "the live ledger differs from the recount"
    assert len(body["units"]) == len(UNITS)
    assert {k: restarts[k] for k in KILL_ORDER} == {"broker": 1, "intake": 1, "ranking": 1,
                                                    "scoring": 2, "rectification": 2}  # with the broker + own kill
    for name in KILL_ORDER:  # each restart was announced on up's console
        who = "broker (Tansu)" if name == "broker" else name
        assert f"{who} 进程退出 (signal 9 (SIGKILL))" in up_out, up_out[-3000:]
