"""Publishing a 周通报 freezes it; a late event shows as a restatement (更正) beside the
frozen numbers, never as a silent change; exports (xlsx, printable page); tier and county
rankings over several halls. On chDB and on ClickHouse 18.16."""
from __future__ import annotations

from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hallscore.core.schedule import DEFAULT_HALLS_FILE, load_halls
from hallscore.demo.generate import demo_events
from hallscore.store.schema import CASE_EVENT_COLUMNS
from services.ranking.app import create_app
from services.ranking.settings import RankingSettings
from tests.demo_ledger import DemoLedger

pytestmark = pytest.mark.integration

HALL, WEEK, UNIT = "tongxu-county", "2026-W47", "tx-rsj"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
TITLE = "通许县政务服务中心窗口单位考核周通报（2026年第47周）"
LATE = {"event_id": "late-0001", "type": "attendance.clock", "schema_version": 1,
        "occurred_at": "2026-11-20T09:07:00+08:00", "hall": HALL, "unit": UNIT, "staff": "tx-rsj-09",
        "device": "att-02", "payload": {"direction": "in", "method": "face"}}


def _client(store, halls_file: Path = DEFAULT_HALLS_FILE) -> TestClient:
    settings = RankingSettings(clickhouse_url="chdb:///unused", projector=False, open_access=True, halls_file=halls_file)
    return TestClient(create_app(settings, store=store))


def test_publish_freezes_and_a_late_event_is_a_visible_restatement(store):
    demo = DemoLedger(store).load_demo()
    with _client(store) as client:
        draft = client.get(f"/v1/halls/{HALL}/weeks/{WEEK}/bulletin").json()
        assert draft["status"] == "draft" and draft["restatement"] is None
        assert draft["bulletin"]["title"] == TITLE
        r = client.post(f"/v1/halls/{HALL}/weeks/{WEEK}/publish", json={"published_by": "环境股 张三"})
        assert r.status_code == 201, r.text
        published = r.json()
        assert published["status"] == "published" and published["restatement"] is None
        assert published["bulletin"] == draft["bulletin"]
        assert published["published"]["published_by"] == "环境股 张三"
        assert published["published"]["ledger"]["rows"] > 0
        frozen = published["bulletin"]
        before = {u["unit"]: u for u in frozen["units"]}
        assert before[UNIT]["score"] == "100.00"

        again = client.post(f"/v1/halls/{HALL}/weeks/{WEEK}/publish")
        assert again.status_code == 409 and "已于" in again.json()["detail"]
        assert client.post(f"/v1/halls/{HALL}/weeks/2026-W61/publish").json()["detail"][0]["loc"] == ["path", "week"]
        assert client.post(f"/v1/halls/{HALL}/weeks/2026-W30/publish").status_code == 422  # no data that week
        assert client.post(f"/v1/halls/{HALL}/weeks/{WEEK}/publish", json={"nobody": 1}).status_code == 422

        # A device that was offline uploads a late clock-in for the published week.
        lines = demo.add([LATE], received_at=datetime.now(timezone.utc))
        assert [(x.rule_id, str(x.points)) for x in lines if x.source_id == LATE["event_id"]] == [("tongxu.4.10", "-2")]
        live = client.get(f"/v1/halls/{HALL}/weeks/{WEEK}/ranking").json()
        assert {u["unit"]: u for u in live["units"]}[UNIT]["score"] == "98.00"

        view = client.get(f"/v1/halls/{HALL}/weeks/{WEEK}/bulletin").json()
        assert view["bulletin"] == frozen, "a published bulletin never changes"
        restated = view["restatement"]
        assert restated is not None
        mine = next(u for u in restated["units"] if u["unit"] == UNIT)
        assert mine["published"]["score"] == "100.00" and mine["now"]["score"] == "98.00"
        assert mine["published"]["rank"] != mine["now"]["rank"]
        late = [x for x in mine["lines"] if x["source_id"] == LATE["event_id"]]
        assert [(x["rule_id"], x["points"], x["source_event"]["device"]) for x in late] == \
            [("tongxu.4.10", "-2.00", "att-02")]
        assert late[0]["received_at"] >= view["published"]["published_at"]  # arrived after publication
        assert late[0]["seed"]["quote"] == "10.上班迟到或早退(2分)"
        if SEEDS.is_dir():  # the seed document's line the rule quotes
            assert late[0]["seed_line"] == _line_of(SEEDS / late[0]["seed"]["file"], "10.上班迟到或早退(2分)")
        others = {u["unit"] for u in restated["units"]} - {UNIT}
        assert all(before[u]["rank"] != {x["unit"]: x for x in live["units"]}[u]["rank"] for u in others)

        page = client.get(f"/halls/{HALL}/weeks/{WEEK}/bulletin")
        assert page.status_code == 200 and TITLE in page.text and "更正" in page.text
        assert "已发布" in page.text and "late-0001" not in page.text.split('id="restatement"')[0]
        assert page.text.index(before[frozen["units"][0]["unit"]]["unit_name"]) < \
            page.text.index(frozen["units"][-1]["unit_name"])

        x = client.get(f"/v1/halls/{HALL}/weeks/{WEEK}/bulletin.xlsx")
        assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
        wb = load_workbook(BytesIO(x.content))
        ws = wb["周通报"]
        assert ws["A1"].value == TITLE
        rows = [r for r in ws.iter_rows(min_row=6, values_only=True) if r[0] is not None]
        assert [(r[0], r[1], f"{r[2]:.2f}") for r in rows] == \
            [(u["rank"], u["unit_name"], u["score"]) for u in frozen["units"]]
        assert wb.sheetnames == ["周通报", "扣分情况", "一票否决", "更正"]
        assert any(row[0] == before[UNIT]["unit_name"] for row in wb["更正"].iter_rows(min_row=4, values_only=True))
        listed = client.get(f"/v1/halls/{HALL}/bulletins").json()["published"]
        assert [w["week"] for w in listed] == [WEEK]
        form = client.post(f"/halls/{HALL}/weeks/2026-W46/publish", data={"published_by": "李四"},
                           follow_redirects=False)
        assert form.status_code == 303 and form.headers["location"].endswith("/weeks/2026-W46/bulletin")
        assert client.post(f"/halls/{HALL}/weeks/2026-W46/publish").status_code == 409


def _line_of(path: Path, quote: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if quote in line)


def test_dashboard_shows_the_rectification_summary_from_case_events(store):
    DemoLedger(store).load_demo()
    with _client(store) as client:
        assert "整改数据暂无" in client.get(f"/halls/{HALL}/dashboard").text
        rows = []
        for case, unit, states in (("br-1", "tx-rsj", ["open", "closed"]), ("br-2", "tx-rsj", ["open"]),
                                   ("cp-1", "tx-gaj", ["received", "overdue-mark", "closed"])):
            for seq, state in enumerate(states, start=1):
                overdue = state == "overdue-mark"
                rows.append((f"{case}-{seq:04d}", "case.overdue" if overdue else "case.opened", case, seq,
                             "bad_review", "received" if overdue else state, HALL, unit,
                             datetime(2026, 11, 16 + seq, 10, tzinfo=timezone.utc), "system", "", None, 0,
                             None, "", "", "{}"))
        store.insert("case_events", CASE_EVENT_COLUMNS, rows + rows[:1])  # a redelivered copy
        page = client.get(f"/halls/{HALL}/dashboard?week=2026-W47").text
        section = page.split('id="rectification"')[1]
        assert "整改数据暂无" not in section and "按期办结率" in section
        assert "<td>县人力资源和社会保障局</td><td class=\"num\">2</td><td class=\"num\">1</td>" \
               "<td class=\"num\">0</td><td class=\"num\">50.0%</td>" in section
        assert "<td>县公安局</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td>" in section


def _three_halls(tmp_path: Path) -> Path:
    """The demo hall, a second county hall (杞县) and a township centre of 通许县."""
    doc = yaml.safe_load(DEFAULT_HALLS_FILE.read_text(encoding="utf-8"))
    units = doc["halls"][HALL]["units"]
    doc["halls"]["qi-county"] = {"name": "杞县政务服务中心", "tier": "county", "county": "杞县",
                                 "units": {u: {"name": "杞" + v["name"], "staff": v["staff"]} for u, v in units.items()}}
    doc["halls"]["tx-town"] = {"name": "朱砂镇便民服务中心", "tier": "township", "county": "通许县",
                               "units": {"zs-bm": {"name": "朱砂镇便民服务中心"}}}
    path = tmp_path / "halls.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_tier_and_county_rank_units_across_halls(store, tmp_path):
    halls_file = _three_halls(tmp_path)
    halls = load_halls(halls_file)
    demo = DemoLedger(store, halls).load_demo()
    w47 = [e for e in demo_events(halls)
           if "2026-11-16" <= e["occurred_at"][:10] <= "2026-11-22" and e["type"] != "supervision.veto"]
    demo.add([{**e, "hall": "qi-county", "event_id": "qi-" + e["event_id"]} for e in w47]
             + [{**w47[0], "hall": "tx-town", "unit": "zs-bm", "staff": "zs-01", "event_id": "town-0001"}])
    with _client(store, halls_file) as client:
        tier = client.get("/v1/tiers/county/weeks/2026-W47/ranking").json()
        per_hall = {h: client.get(f"/v1/halls/{h}/weeks/2026-W47/ranking").json()["units"]
                    for h in ("tongxu-county", "qi-county")}
        assert tier["scope"]["halls"] == ["qi-county", "tongxu-county"] and len(tier["units"]) == 44
        assert {(u["hall"], u["unit"], u["score"]) for u in tier["units"]} == \
            {(h, u["unit"], u["score"]) for h, us in per_hall.items() for u in us}
        scores = [float(u["score"]) for u in tier["units"]]
        assert scores == sorted(scores, reverse=True)
        assert all(u["rank"] == 1 + sum(s > float(u["score"]) for s in scores) for u in tier["units"])
        county = client.get("/v1/counties/通许县/months/2026-11/ranking").json()
        assert county["scope"]["halls"] == ["tongxu-county"] and county["scope"]["skipped_halls"] == ["tx-town"]
        hall_month = client.get("/v1/halls/tongxu-county/months/2026-11/ranking").json()
        assert [(u["unit"], u["score"], u["rank"]) for u in county["units"]] == \
            [(u["unit"], u["score"], u["rank"]) for u in hall_month["units"]]
        quarter = client.get("/v1/tiers/county/quarters/2026-Q4/ranking?n=5").json()
        assert len(quarter["awards"]["quality_windows"]) >= 5 and quarter["awards"]["n"] == 5
        assert all(not u["vetoed"] for u in quarter["awards"]["quality_windows"] for u in [
            next(x for x in quarter["units"] if (x["hall"], x["unit"]) == (u["hall"], u["unit"]))])
        page = client.get("/tiers/county/weeks/2026-W47")
        assert page.status_code == 200 and "杞县政务服务中心" in page.text and "<th>大厅</th>" in page.text
