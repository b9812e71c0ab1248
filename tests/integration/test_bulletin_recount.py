"""The demo county's weekly, monthly, quarterly and annual rankings (JSON and pages) agree
with an independent recount from the raw ledger lines, on chDB and on ClickHouse 18.16.

The demo is scored by the pure core and written straight into ClickHouse (tests/
demo_ledger.py); the recount (tests/recount.py) never touches SQL or the service code.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from hallscore.core.periods import IsoWeek
from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
from hallscore.core.staff import staff_scores
from services.ranking.app import create_app
from services.ranking.settings import RankingSettings
from tests.demo_ledger import DemoLedger
from tests.recount import CENT, Recount, at_midnight, ranks

pytestmark = pytest.mark.integration

HALL = "tongxu-county"
RUBRIC = load_rubric(DEFAULT_RUBRIC)
RV = RUBRIC.rubric_version
WEEKS = [IsoWeek(2026, w) for w in (44, 45, 46, 47)]


class _Rows(HTMLParser):
    """Cell texts of every <tr> of the first <table>."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.tables = [], None, 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
        elif tag == "tr" and self.tables == 1:
            self.rows.append([])
        elif tag in ("td", "th") and self.tables == 1:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.tables == 1:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_rows(client, url: str) -> list[list[str]]:
    r = client.get(url)
    assert r.status_code == 200, (url, r.text[:300])
    p = _Rows()
    p.feed(r.text)
    return p.rows[1:]


@pytest.fixture
def demo(store):
    d = DemoLedger(store).load_demo()
    app = create_app(RankingSettings(clickhouse_url="chdb:///unused", projector=False, open_access=True), store=store)
    with TestClient(app) as client:
        yield d, client, Recount(d.ledger(RV), list(d.lines.values()), d.events, HALL)


def _units(body: dict, *fields) -> dict:
    return {u["unit"]: tuple(u[f] for f in fields) for u in body["units"]}


def test_weeks_months_quarter_and_year_agree_with_a_recount(demo):
    _, client, rc = demo
    for week in WEEKS:
        body = client.get(f"/v1/halls/{HALL}/weeks/{week}/ranking").json()
        scores = rc.week(week.monday)
        r = ranks(scores)
        thursday = week.monday + timedelta(days=3)
        vetoed = rc.vetoed(thursday.year, at_midnight(week.monday + timedelta(days=7)))
        prev = week.shift(-1).monday
        before = ranks(rc.week(prev)) if prev in rc.data_mondays else {}
        assert _units(body, "score", "rank", "vetoed", "previous_rank", "rank_change") == {
            u: (f"{s:.2f}", r[u], u in vetoed, before.get(u), before[u] - r[u] if u in before else None)
            for u, s in scores.items()}, week
        assert [u["rank"] for u in body["units"]] == sorted(r.values())
        assert [[u["unit_name"], u["score"]] for u in body["units"]] == \
            [row[1:3] for row in page_rows(client, f"/halls/{HALL}/weeks/{week}")]

    for month in ((2026, 10), (2026, 11)):
        label = f"{month[0]}-{month[1]:02d}"
        body = client.get(f"/v1/halls/{HALL}/months/{label}/ranking").json()
        scores = rc.month(*month)
        assert len(scores) == 22
        assert _units(body, "score", "rank") == {u: (f"{s:.2f}", ranks(scores)[u]) for u, s in scores.items()}
        assert [[str(u["rank"]), u["unit_name"], u["score"]] for u in body["units"]] == \
            [row[:3] for row in page_rows(client, f"/halls/{HALL}/months/{label}")]

    body = client.get(f"/v1/halls/{HALL}/quarters/2026-Q4/ranking").json()
    scores = rc.quarter(2026, 4)
    assert _units(body, "score", "rank") == {u: (f"{s:.2f}", ranks(scores)[u]) for u, s in scores.items()}
    q_end = at_midnight(IsoWeek(2026, 53).monday + timedelta(days=7))
    vetoed = rc.vetoed(2026, q_end)
    assert vetoed and {u for u, (v,) in _units(body, "vetoed").items() if v} == vetoed
    eligible = {u: s for u, s in scores.items() if u not in vetoed}
    expected = sorted((rank, u) for u, rank in ranks(eligible).items() if rank <= 3)
    assert [(w["rank"], w["unit"]) for w in body["awards"]["quality_windows"]] == expected
    assert [(s["rank"], s["staff"], s["unit"], s["score"]) for s in body["awards"]["service_stars"]] == \
        _stars(rc, RUBRIC.base_points, IsoWeek(2026, 40).monday, q_end)
    assert [[str(u["rank"]), u["unit_name"], u["score"]] for u in body["units"]] == \
        [row[:3] for row in page_rows(client, f"/halls/{HALL}/quarters/2026-Q4")]

    _year(client, rc)


def _stars(rc: Recount, base: Decimal, first_monday, end) -> list[tuple]:
    lines = [x for x in rc.lines if first_monday <= x.week_monday and at_midnight(x.week_monday) < end]
    records = {(s.staff, s.unit): [s.score, s.occurrences, set(), set()] for s in staff_scores(lines, base)}
    for e in rc.events:
        at = datetime.fromisoformat(e["occurred_at"])
        if e.get("staff") and at_midnight(first_monday) <= at < end:
            rec = records.setdefault((e["staff"], e["unit"]), [base, 0, set(), set()])
            if e["type"] == "review.submitted" and e["payload"]["level"] == "非常满意":
                rec[2].add(e["event_id"])
            if e["type"] == "transaction.completed":
                rec[3].add(e["event_id"])
    tie = {k: (-v[0], v[1], -len(v[2]), -len(v[3])) for k, v in records.items()}
    rank = {k: 1 + sum(1 for t in tie.values() if t < tie[k]) for k in tie}
    stars = sorted((tie[k], k) for k in tie if rank[k] <= 3)
    return [(rank[k], k[0], k[1], f"{records[k][0]:.2f}") for _, k in stars]


def _year(client, rc: Recount) -> None:
    url = f"/v1/halls/{HALL}/years/2026/ranking"
    before = client.get(url).json()
    assert all(u["total"] is None and u["missing"] == ["tongxu.year.other"] for u in before["units"])
    months = rc.year_months(2026)
    units = sorted(months)
    manual = {u: Decimal(70 + i) + Decimal("0.5") for i, u in enumerate(units[:-1])}  # the last one: missing
    for u, v in manual.items():
        r = client.put(f"/v1/halls/{HALL}/years/2026/units/{u}/components/tongxu.year.other",
                       json={"value": str(v), "recorded_by": "环境股"})
        assert r.status_code == 200, r.text
    # a correction: the latest recording is the one in force
    first = units[0]
    manual[first] = Decimal("91.25")
    assert client.put(f"/v1/halls/{HALL}/years/2026/units/{first}/components/tongxu.year.other",
                      json={"value": "91.25", "note": "更正"}).status_code == 200
    vetoed = rc.vetoed(2026, at_midnight(IsoWeek(2026, 53).monday + timedelta(days=7)))
    totals = {}
    for u in units:
        monthly = (sum(months[u]) / len(months[u])).quantize(CENT, ROUND_HALF_UP)
        if u in manual:
            totals[u] = (monthly * Decimal("0.25")).quantize(CENT, ROUND_HALF_UP) + \
                (manual[u] * Decimal("0.75")).quantize(CENT, ROUND_HALF_UP)
    body = client.get(url).json()
    complete = {u: t for u, t in totals.items() if u not in vetoed}
    assert _units(body, "total", "passed", "rank") == {
        u: (f"{totals[u]:.2f}" if u in totals else None,
            False if u in vetoed else (True if u in totals else None),
            ranks(complete).get(u)) for u in units}
    assert body["units"][-1]["missing"] == ["tongxu.year.other"] and body["units"][-1]["unit"] == units[-1]
    history = client.get(f"/v1/halls/{HALL}/years/2026/units/{first}/components").json()["recorded"]
    assert [h["value"] for h in history] == ["70.50", "91.25"]
    rows = page_rows(client, f"/halls/{HALL}/years/2026")
    assert [r[1] for r in rows] == [u["unit_name"] for u in body["units"]]
    assert [r[4] for r in rows] == [u["total"] or "—" for u in body["units"]]
    bad = client.put(f"/v1/halls/{HALL}/years/2026/units/{first}/components/tongxu.year.monthly", json={"value": 1})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "component"
    assert client.put(f"/v1/halls/{HALL}/years/2026/units/{first}/components/tongxu.year.other",
                      json={"value": "1000.5"}).status_code == 422
    assert client.put(f"/v1/halls/{HALL}/years/2026/units/nobody/components/tongxu.year.other",
                      json={"value": "1"}).status_code == 404


def test_bad_periods_are_422_naming_the_field(demo):
    _, client, _ = demo
    for url, field in ((f"/v1/halls/{HALL}/months/2026-13/ranking", "month"),
                       (f"/v1/halls/{HALL}/months/202611/ranking", "month"),
                       (f"/v1/halls/{HALL}/quarters/2026-Q5/ranking", "quarter"),
                       (f"/v1/halls/{HALL}/years/26/ranking", "year"),
                       (f"/v1/halls/{HALL}/weeks/2026-W54/bulletin", "week"),
                       ("/v1/tiers/county/weeks/2026-W99/ranking", "week"),
                       (f"/v1/halls/{HALL}/weeks/0001-W01/ranking", "week"),
                       (f"/v1/halls/{HALL}/weeks/0001-W01/units/tx-rsj", "week")):
        r = client.get(url)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", field], (url, r.text)
    assert client.get(f"/halls/{HALL}/months/2026-13").status_code == 422
    assert client.get(f"/v1/halls/{HALL}/quarters/2026-Q4/ranking?n=0").status_code == 422
    assert client.get("/v1/tiers/city/months/2026-11/ranking").status_code == 404
    assert client.get("/v1/counties/nowhere/months/2026-11/ranking").status_code == 404
    assert client.get("/v1/halls/nowhere/months/2026-11/ranking").status_code == 404
