"""Replay on chDB and on a real ClickHouse 18.16 server, through the ranking service's admin API.

The demo county hall's events go into raw_events as the projector writes them, and
the live ledger as the live worker would leave it (the pure core over the events as
the devices sent them, written through the projector's row function). Then:
  * replaying the active rubric gives a zero diff and the same rows, row by row;
  * replaying the draft that doubles the late-arrival deduction moves exactly the
    units with a counted tongxu.4.10 line, each by 2 points in each such week;
  * activation switches the ranking's default; the old version still answers;
  * an interrupted replay resumes, skipping what it wrote; the CLI runs it directly.
"""
from __future__ import annotations

import io
import json
import shutil
import threading
import time
from datetime import date
from functools import lru_cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from hallscore.core.periods import IsoWeek
from hallscore.core.rubric import DEFAULT_RUBRIC, RUBRICS_DIR, load_rubric
from hallscore.core.rubric_set import load_rubric_set, rubric_files
from hallscore.core.schedule import load_halls
from hallscore.demo.generate import DEMO_HALL, demo_events
from hallscore.replay import engine, jobs
from hallscore.replay.fold import Router, fold
from hallscore.store.schema import LEDGER_COLUMNS, RAW_EVENT_COLUMNS
from schemas.registry import parse_event
from services.ranking.app import create_app
from services.ranking.rows import ledger_row, raw_event_row
from services.ranking.settings import RankingSettings

pytestmark = pytest.mark.integration

DRAFT = RUBRICS_DIR / "drafts" / "tongxu-weekly-2023-late-x2.yaml"
SPAN = {"from": "2026-10-26", "to": "2026-11-22"}
HALLS = load_halls()
ACTIVE = load_rubric(DEFAULT_RUBRIC).rubric_version
# Everything a ledger row says except `revision` (live: the count of events when the
# line last changed; replay: the count of the whole unit-period) and rubric_version
# (the label is the point of a projection).
CONTENT = "rule_id, source_id, hall, unit, staff, category, kind, status, points, week_monday, occurred_at, detail, period"


@lru_cache(maxsize=1)
def demo() -> tuple[list[tuple], list[tuple]]:
    """(raw_events rows, live ledger rows) of the demo."""
    raws = list(demo_events(HALLS))
    events = [raw_event_row(json.dumps(r).encode()) for r in raws]
    live = load_rubric_set(rubric_files(RUBRICS_DIR))
    parsed = [parse_event(r) for r in raws]
    ledger = []
    for rubric in live.assessments():
        lines, _ = fold(parsed, rubric, Router(live, rubric, HALLS), HALLS)
        ledger += [ledger_row(json.dumps(line.to_json()).encode()) for line in lines]
    return events, ledger


@pytest.fixture
def loaded(store, tmp_path):
    events, ledger = demo()
    store.insert("raw_events", RAW_EVENT_COLUMNS, events)
    store.insert("ledger", LEDGER_COLUMNS, ledger)
    rubrics = tmp_path / "rubrics"
    shutil.copytree(RUBRICS_DIR, rubrics, ignore=shutil.ignore_patterns("drafts"))
    return store, rubrics


def _replay(client: TestClient, path: Path) -> dict:
    r = client.post("/v1/admin/replays", json={"rubric": path.read_text(encoding="utf-8"), "file_name": path.name,
                                               **SPAN})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while (status := client.get(f"/v1/admin/replays/{r.json()['id']}").json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert status["status"] == "done" and status["events_done"] == status["events_total"] == len(demo()[0])
    return status


def _rows(store, label: str, where: str = "1") -> list[tuple]:
    return store.query(f"SELECT {CONTENT} FROM ledger FINAL WHERE rubric_version = %(rv)s AND {where} "
                       f"ORDER BY source_id, rule_id", {"rv": label})


def test_replay_diff_activate(loaded):
    store, rubrics = loaded
    settings = RankingSettings(clickhouse_url="chdb:///unused", projector=False, open_access=True, rubrics_dir=rubrics)
    with TestClient(create_app(settings, store=store)) as client:
        same = _replay(client, DEFAULT_RUBRIC)
        assert same["label"].startswith(f"{ACTIVE}~replay-") and same["against"] == ACTIVE
        # determinism: the live projection, row by row (a live 'withdrawn' line counts nothing
        # and a replay never produces one: its reason is already gone when the fold is evaluated)
        live = _rows(store, ACTIVE, "status != 'withdrawn'")
        assert len(live) > 600 and _rows(store, same["label"]) == live
        diff = client.get(f"/v1/admin/replays/{same['id']}/diff").json()
        assert diff["identical"] and not any(diff["changes"].values())

        draft = _replay(client, DRAFT)
        assert draft["label"] == draft["rubric_version"] != ACTIVE  # a draft: under its own version
        diff = client.get(f"/v1/admin/replays/{draft['id']}/diff").json()
        moved = {(c["unit"], c["period"]): c["score_change"] for c in diff["changes"]["week"] if c["score_change"] != "0.00"}
        late = store.query("""SELECT unit, week_monday FROM ledger FINAL WHERE rubric_version = %(rv)s
                              GROUP BY unit, week_monday
                              HAVING sumIf(points, rule_id = 'tongxu.4.10' AND status IN ('applied', 'capped')) < 0""",
                           {"rv": ACTIVE})
        assert moved == {(u, str(IsoWeek.of_date(m))): "-2.00" for u, m in late}
        assert {c["unit"] for c in diff["changes"]["year"] if c["score_change"] != "0.00"} == {u for u, _ in late}
        xlsx = client.get(f"/v1/admin/replays/{draft['id']}/diff.xlsx")
        wb = load_workbook(io.BytesIO(xlsx.content))
        assert xlsx.status_code == 200 and len(wb.sheetnames) == 5 and wb.worksheets[1].max_row == len(diff["changes"]["week"]) + 1

        url = f"/v1/halls/{DEMO_HALL}/weeks/2026-W47/ranking"
        before = client.get(url).json()
        assert before["rubric_version"] == ACTIVE
        r = client.post("/v1/admin/rubric/activate", json={"version": draft["rubric_version"], "note": "test"})
        assert r.status_code == 200 and r.json()["copied"] and (rubrics / Path(r.json()["file"]).name).exists()
        assert client.get(url).json()["rubric_version"] == draft["rubric_version"]
        assert client.get(url, params={"rubric_version": ACTIVE}).json() == before  # old version, for audit
        assert client.get(url, params={"rubric_version": same["label"]}).json()["units"] == before["units"]
        assert client.get("/v1/admin/rubric/active").json()["history"][0]["previous"] == ACTIVE

        bad = client.post("/v1/admin/replays", json={"rubric": "format: 1\nid: x\nkind: assessment\n", **SPAN})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "rubric"]
        assert ":1: " in bad.json()["detail"][0]["msg"] or ":3: " in bad.json()["detail"][0]["msg"]
        assert client.post("/v1/admin/rubric/activate", json={"version": same["label"]}).status_code == 422
        assert client.post("/v1/admin/rubric/activate", json={"version": "x@1+00000000"}).status_code == 404


def test_an_interrupted_replay_resumes(loaded):
    store, rubrics = loaded
    live = load_rubric_set(rubric_files(rubrics))
    first, last = (date.fromisoformat(SPAN[k]) for k in ("from", "to"))
    job = jobs.save(store, jobs.new_job(DEFAULT_RUBRIC.read_text(encoding="utf-8"), "t.yaml", first, last, None,
                                        ACTIVE, {ACTIVE}))
    stop = threading.Event()
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) > 5:
            stop.set()  # as if the process stopped after a few units

    engine.BATCH_UNITS, saved = 2, engine.BATCH_UNITS
    try:
        with pytest.raises(engine.Stopped):
            engine.run(store, job, live, HALLS, progress=progress, stop=stop)
    finally:
        engine.BATCH_UNITS = saved
    assert jobs.get(store, job.id).status == "running" and 0 < len(jobs.done_units(store, job.id)) < 22
    out = engine.run(store, jobs.get(store, job.id), live, HALLS)
    assert out.skipped_units >= 4 and out.job.status == "done"
    assert _rows(store, job.label) == _rows(store, ACTIVE, "status != 'withdrawn'")


def test_cli_runs_a_replay_itself_with_clickhouse_url(loaded, monkeypatch):
    store, rubrics = loaded
    if store.backend != "chdb":
        pytest.skip("the CLI opens the store itself; one backend is enough")
    from hallscore.cli import app

    monkeypatch.setenv("HALLSCORE_RUBRICS_DIR", str(rubrics))
    url = f"chdb://{store.path}"
    r = CliRunner().invoke(app, ["replay", "--clickhouse-url", url, "--rubric", str(DRAFT), "--from", SPAN["from"],
                                 "--to", SPAN["to"], "--rows", "3"])
    assert r.exit_code == 0, r.output
    assert "19,396 events" in r.output and "周排名 weekly ranks" in r.output
    version = load_rubric(DRAFT).rubric_version
    r = CliRunner().invoke(app, ["rubric", "activate", version, "--clickhouse-url", url])
    assert r.exit_code == 0 and "active:" in r.output, r.output
