"""Ranking queries and the 周通报 report on embedded chDB (fast, no server).

`seed(store)` writes one hall's data straight into raw_events / ledger through the
projector's own row builders; the integration tests reuse it on the real server.
"""
from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal

import pytest
import yaml

from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import IsoWeek
from hallscore.core.rubric import DEFAULT_RUBRIC, Rubric, load_rubric
from hallscore.core.schedule import load_halls
from hallscore.store.adapter import open_store
from hallscore.store.schema import LEDGER_COLUMNS, RAW_EVENT_COLUMNS, ensure_schema
from services.ranking import queries
from services.ranking.report import BadInput, Catalog, NotFound, RankingService
from services.ranking.rows import ledger_row, raw_event_row

HALL = "tongxu-county"
RV = load_rubric(DEFAULT_RUBRIC).rubric_version
OLD_RUBRIC_TEXT = DEFAULT_RUBRIC.read_text(encoding="utf-8").replace('version: "2023.1"', 'version: "2023.0"')
OLD_RV = Rubric.model_validate(yaml.safe_load(OLD_RUBRIC_TEXT)).rubric_version
W47 = IsoWeek(2026, 47)
RECEIVED = datetime.fromisoformat("2026-11-23T09:00:00+08:00")

# (unit, score, deductions, bonuses, vetoed, rank) of 2026-W47, first to last.
EXPECTED_W47 = [
    ("tx-gaj", "100.00", "0.00", "0.00", False, 1),   # events, no ledger lines: full base
    ("tx-scjg", "100.00", "-5.00", "5.00", False, 1),  # tie shares rank 1 ...
    ("tx-zls", "99.50", "-0.50", "0.00", False, 3),   # ... so the next one is 3
    ("tx-bdc", "98.50", "-1.50", "0.00", True, 4),    # veto this week
    ("tx-mzj", "97.50", "-2.50", "0.00", False, 5),   # veto of 2025 and a withdrawn veto
    ("tx-rsj", "97.00", "-3.00", "0.00", False, 6),   # capped / withdrawn / below threshold
    ("tx-swj", "90.00", "-10.00", "0.00", True, 7),   # vetoed in March, still this year
]


def raw(event_id, type_, when, unit, payload, *, hall=HALL, staff="s1"):
    doc = {"event_id": event_id, "type": type_, "schema_version": 1, "occurred_at": when,
           "hall": hall, "unit": unit, "device": "dev-01", "payload": payload}
    if staff:
        doc["staff"] = staff
    return raw_event_row(json.dumps(doc).encode(), RECEIVED)


def clock(event_id, when, unit, direction="in", **kw):
    return raw(event_id, "attendance.clock", when, unit, {"direction": direction}, **kw)


def finding(event_id, when, unit, rule_id, type_="supervision.finding"):
    return raw(event_id, type_, when, unit, {"rule_id": rule_id, "count": 1, "inspector": "环境股"},
               staff=None)


def line(unit, rule_id, source_id, kind, points, status, when, *, revision=1, hall=HALL, rv=RV,
         category="c", detail="", staff=""):
    at = datetime.fromisoformat(when)
    doc = LedgerLine(rv, rule_id, source_id, hall, unit, staff, category, kind, Decimal(points),
                     status, IsoWeek.of(at).monday, at, detail, revision).to_json()
    return ledger_row(json.dumps(doc).encode())


def seed(store) -> None:
    review = {"level": "不满意", "channel": "evaluator", "real_name": True,
              "citizen_phone": "13800000000"}
    events = [
        clock("evt-gaj-1", "2026-11-17T08:25:00+08:00", "tx-gaj"),
        clock("evt-gaj-9", "2026-11-24T08:25:00+08:00", "tx-gaj"),
        finding("evt-scjg-1", "2026-11-17T10:00:00+08:00", "tx-scjg", "tongxu.5.1"),
        finding("evt-scjg-2", "2026-11-18T10:00:00+08:00", "tx-scjg", "tongxu.bonus.county-praise",
                "supervision.commendation"),
        clock("evt-zls-1", "2026-11-22T23:59:59+08:00", "tx-zls"),       # last second of W47
        clock("evt-ybj-1", "2026-11-23T00:00:00+08:00", "tx-ybj"),       # first second of W48
        clock("evt-bdc-1", "2026-11-19T08:40:00+08:00", "tx-bdc"),
        finding("evt-bdc-2", "2026-11-20T15:00:00+08:00", "tx-bdc", "tongxu.veto.disobedience",
                "supervision.veto"),
        finding("evt-mzj-0", "2025-12-30T10:00:00+08:00", "tx-mzj", "tongxu.veto.bribery",
                "supervision.veto"),
        clock("evt-mzj-1", "2026-11-18T08:50:00+08:00", "tx-mzj"),
        clock("evt-rsj-1", "2026-11-16T08:45:00+08:00", "tx-rsj", staff="tx-rsj-01"),
        clock("evt-rsj-2", "2026-11-16T17:20:00+08:00", "tx-rsj", "out", staff="tx-rsj-01"),
        finding("evt-rsj-3", "2026-11-17T10:00:00+08:00", "tx-rsj", "tongxu.3.2"),
        raw("evt-rsj-5", "review.submitted", "2026-11-18T09:00:00+08:00", "tx-rsj", review),
        finding("evt-swj-0", "2026-03-03T10:00:00+08:00", "tx-swj", "tongxu.veto.bribery",
                "supervision.veto"),
        clock("evt-swj-1", "2026-11-18T08:31:00+08:00", "tx-swj"),
        clock("evt-x-01", "2026-11-18T08:31:00+08:00", "x", hall="other-hall"),
    ]
    ledger = [
        line("tx-gaj", "tongxu.4.10", "evt-gaj-0", "deduction", "-3.00", "applied", "2026-11-10T08:40:00+08:00"),
        line("tx-gaj", "tongxu.veto.bribery", "evt-gaj-9", "veto", "0", "applied", "2026-11-24T08:25:00+08:00"),
        line("tx-gaj", "tongxu.4.10", "evt-gaj-1", "deduction", "-9.00", "applied", "2026-11-17T08:25:00+08:00",
             rv=OLD_RV),
        line("tx-scjg", "tongxu.5.1", "evt-scjg-1", "deduction", "-5.00", "applied", "2026-11-17T10:00:00+08:00"),
        line("tx-scjg", "tongxu.bonus.county-praise", "evt-scjg-2", "bonus", "5.00", "applied",
             "2026-11-18T10:00:00+08:00", category="bonus"),
        line("tx-zls", "tongxu.4.10", "evt-zls-1", "deduction", "-0.50", "applied", "2026-11-22T23:59:59+08:00"),
        line("tx-bdc", "tongxu.4.10", "evt-bdc-1", "deduction", "-1.50", "applied", "2026-11-19T08:40:00+08:00"),
        line("tx-bdc", "tongxu.veto.disobedience", "evt-bdc-2", "veto", "0", "applied", "2026-11-20T15:00:00+08:00"),
        line("tx-mzj", "tongxu.veto.bribery", "evt-mzj-0", "veto", "0", "applied", "2025-12-30T10:00:00+08:00"),
        line("tx-mzj", "tongxu.4.10", "evt-mzj-1", "deduction", "-2.50", "applied", "2026-11-18T08:50:00+08:00"),
        line("tx-mzj", "tongxu.veto.conflict", "evt-mzj-2", "veto", "0", "applied", "2026-11-18T11:00:00+08:00"),
        line("tx-rsj", "tongxu.4.10", "evt-rsj-1", "deduction", "-2.00", "applied", "2026-11-16T08:45:00+08:00",
             staff="tx-rsj-01", detail="迟到 15 分钟"),
        line("tx-rsj", "tongxu.4.10", "evt-rsj-2", "deduction", "0.00", "capped", "2026-11-16T17:20:00+08:00",
             staff="tx-rsj-01"),
        line("tx-rsj", "tongxu.3.2", "evt-rsj-3", "deduction", "-1.00", "capped", "2026-11-17T10:00:00+08:00"),
        line("tx-rsj", "tongxu.4.7", "evt-rsj-4", "deduction", "-4.00", "applied", "2026-11-17T08:31:00+08:00"),
        line("tx-rsj", "tongxu.2.4", "evt-rsj-5", "deduction", "0.00", "below_threshold",
             "2026-11-18T09:00:00+08:00"),
        line("tx-rsj", "tongxu.9.9", "evt-rsj-6", "deduction", "-7.00", "unknown_rule", "2026-11-19T09:00:00+08:00"),
        line("tx-swj", "tongxu.veto.bribery", "evt-swj-0", "veto", "0", "applied", "2026-03-03T10:00:00+08:00"),
        line("tx-swj", "tongxu.5.1", "evt-swj-1", "deduction", "-10.00", "applied", "2026-11-18T08:31:00+08:00"),
        line("x", "tongxu.5.1", "evt-x-01", "deduction", "-5.00", "applied", "2026-11-18T08:31:00+08:00",
             hall="other-hall"),
    ]
    # Later revisions, in later inserts (other parts): a withdrawn deduction (its points
    # kept non-zero on purpose: status decides), a withdrawn veto, and a replayed event.
    later = [
        line("tx-rsj", "tongxu.4.7", "evt-rsj-4", "deduction", "-4.00", "withdrawn", "2026-11-16T00:00:00+08:00",
             revision=2),
        line("tx-mzj", "tongxu.veto.conflict", "evt-mzj-2", "deduction", "0", "withdrawn",
             "2026-11-16T00:00:00+08:00", revision=3),
    ]
    store.insert("raw_events", RAW_EVENT_COLUMNS, events)
    store.insert("ledger", LEDGER_COLUMNS, ledger)
    store.insert("ledger", LEDGER_COLUMNS, later)
    store.insert("raw_events", RAW_EVENT_COLUMNS, events[:3])


def service(store) -> RankingService:
    return RankingService(store, Catalog(DEFAULT_RUBRIC), load_halls())


@pytest.fixture(scope="module")
def chdb_store(tmp_path_factory):
    s = open_store(f"chdb://{tmp_path_factory.mktemp('ranking') / 'chdb'}")
    ensure_schema(s)
    seed(s)
    yield s
    s.close()


def as_tuples(report):
    return [(u["unit"], u["score"], u["deductions"], u["bonuses"], u["vetoed"], u["rank"])
            for u in report["units"]]


def test_week_ranking_order_ties_base_and_veto(chdb_store):
    report = service(chdb_store).ranking(HALL, "2026-W47")
    assert as_tuples(report) == EXPECTED_W47
    assert report["hall_name"] == "通许县政务服务中心" and report["base_points"] == "100.00"
    assert (report["monday"], report["sunday"], report["rubric_version"]) == ("2026-11-16", "2026-11-22", RV)
    assert report["units"][0]["unit_name"] == "县公安局"


def test_units_and_vetoes_follow_week_and_year_bounds(chdb_store):
    svc = service(chdb_store)
    w48 = {u["unit"]: u for u in svc.ranking(HALL, "2026-W48")["units"]}
    assert "tx-ybj" in w48 and w48["tx-gaj"]["vetoed"] and w48["tx-ybj"]["score"] == "100.00"
    assert w48["tx-gaj"]["deductions"] == "0.00"  # W46's -3.00 stays in W46
    w46 = {u["unit"]: (u["score"], u["vetoed"]) for u in svc.ranking(HALL, "2026-W46")["units"]}
    assert w46 == {"tx-gaj": ("97.00", False), "tx-mzj": ("100.00", False), "tx-swj": ("100.00", True)}
    # 2026-W01 runs 2025-12-29..2026-01-04; its Thursday is in 2026, the 2025 veto is not.
    w01 = svc.ranking(HALL, "2026-W01")["units"]
    assert [(u["unit"], u["vetoed"]) for u in w01] == [("tx-mzj", False)]
    assert svc.ranking(HALL, "2025-W52")["units"] == []


def test_other_rubric_version_for_audit(chdb_store, tmp_path):
    rubric_dir = tmp_path / "rubrics"
    rubric_dir.mkdir()
    (rubric_dir / "active.yaml").write_text(DEFAULT_RUBRIC.read_text(encoding="utf-8"), encoding="utf-8")
    (rubric_dir / "old.yaml").write_text(OLD_RUBRIC_TEXT, encoding="utf-8")
    svc = RankingService(chdb_store, Catalog(rubric_dir / "active.yaml"), load_halls())
    report = svc.ranking(HALL, "2026-W47", OLD_RV)
    assert report["rubric_version"] == OLD_RV
    assert as_tuples(report)[-1] == ("tx-gaj", "91.00", "-9.00", "0.00", False, 7)
    with pytest.raises(NotFound, match="2099"):
        svc.ranking(HALL, "2026-W47", "tongxu-weekly@2099")


def test_unit_detail_lines_rules_seeds_and_sources(chdb_store):
    d = service(chdb_store).unit_week(HALL, "2026-W47", "tx-rsj")
    assert (d["rank"], d["score"], d["deductions"], d["vetoed"]) == (6, "97.00", "-3.00", False)
    got = [(x["rule_id"], x["status"], x["points"], x["counted"], x["occurred_at"]) for x in d["lines"]]
    assert got == [
        ("tongxu.4.7", "withdrawn", "-4.00", False, "2026-11-16T00:00:00+08:00"),
        ("tongxu.4.10", "applied", "-2.00", True, "2026-11-16T08:45:00+08:00"),
        ("tongxu.4.10", "capped", "0.00", True, "2026-11-16T17:20:00+08:00"),
        ("tongxu.3.2", "capped", "-1.00", True, "2026-11-17T10:00:00+08:00"),
        ("tongxu.2.4", "below_threshold", "0.00", False, "2026-11-18T09:00:00+08:00"),
        ("tongxu.9.9", "unknown_rule", "-7.00", False, "2026-11-19T09:00:00+08:00"),
    ]
    late = d["lines"][1]
    assert late["rule_name"] == "上班迟到或早退" and late["staff"] == "tx-rsj-01"
    assert late["seed"] == {"file": "001_b51b8369e18af487.txt", "quote": "10.上班迟到或早退(2分)"}
    assert late["detail"] == "迟到 15 分钟"
    assert late["source_event"] == {
        "event_id": "evt-rsj-1", "type": "attendance.clock", "occurred_at": "2026-11-16T08:45:00+08:00",
        "device": "dev-01", "staff": "tx-rsj-01", "payload": {"direction": "in", "method": "face"}}
    review = d["lines"][4]["source_event"]
    assert review["payload"]["citizen_phone"] == "138****0000"
    assert d["lines"][5]["rule_name"] is None and d["lines"][5]["seed"] is None
    assert d["lines"][0]["source_event"] is None  # evt-rsj-4 never reached raw_events


def test_unit_detail_veto_and_bonus(chdb_store):
    svc = service(chdb_store)
    bdc = svc.unit_week(HALL, "2026-W47", "tx-bdc")
    assert bdc["vetoed"] and bdc["lines"][-1]["rule_name"] == "蓄意不服从大厅管理影响办公秩序"
    scjg = svc.unit_week(HALL, "2026-W47", "tx-scjg")
    assert [x["kind"] for x in scjg["lines"]] == ["deduction", "bonus"]
    assert scjg["lines"][1]["rule_name"] == "被县领导表扬"
    quiet = svc.unit_week(HALL, "2026-W47", "tx-gaj")
    assert (quiet["score"], quiet["lines"]) == ("100.00", [])
    # listed in the halls file but without any event yet: base points, no rank
    assert svc.unit_week(HALL, "2026-W47", "tx-gzc")["rank"] is None
    with pytest.raises(NotFound):
        svc.unit_week(HALL, "2026-W47", "no-such-unit")


def test_halls_weeks_and_bad_input(chdb_store):
    svc = service(chdb_store)
    assert svc.halls() == [{"hall": "other-hall", "hall_name": "other-hall"},
                           {"hall": HALL, "hall_name": "通许县政务服务中心"}]
    assert [w["week"] for w in svc.weeks(HALL)["weeks"]] == [
        "2026-W48", "2026-W47", "2026-W46", "2026-W10", "2026-W01"]
    assert svc.weeks("other-hall")["weeks"][0] == {"week": "2026-W47", "monday": "2026-11-16",
                                                   "sunday": "2026-11-22"}
    with pytest.raises(NotFound):
        svc.weeks("nowhere")
    with pytest.raises(NotFound):
        svc.ranking("nowhere", "2026-W47")
    for bad in ("2026-47", "2026-W54", "2025-W53", "x' OR 1=1"):
        with pytest.raises(BadInput) as err:
            svc.ranking(HALL, bad)
        assert err.value.field == "week"
    with pytest.raises(NotFound):
        svc.ranking("O'Brien \\ %(x)s 引号\"", "2026-W47")


def test_raw_queries_and_latency(chdb_store):
    data = queries.week_data(chdb_store, RV, HALL, W47)
    assert data.vetoed == {"tx-bdc", "tx-swj"}
    assert data.totals["tx-rsj"] == (Decimal("-3.00"), Decimal("0.00"))
    svc = service(chdb_store)
    svc.ranking(HALL, "2026-W47")  # warm
    runs = []
    for _ in range(20):
        t0 = time.perf_counter()
        svc.ranking(HALL, "2026-W47")
        runs.append(time.perf_counter() - t0)
    runs.sort()
    print(f"\nranking on chDB (test data): median {runs[10] * 1000:.1f} ms, max {runs[-1] * 1000:.1f} ms")
    assert runs[10] < 2.0
