"""The ranking app over HTTP (chDB, projector off), settings, and the projector's row rules."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from hallscore.store.adapter import Store, StoreUnavailable, open_store
from hallscore.store.schema import LEDGER_COLUMNS, ensure_schema
from services.ranking.app import create_app
from services.ranking.rows import RowError, ledger_row, mask_phone, quantize_points, raw_event_row
from services.ranking.settings import RankingSettings, SettingsError, load_settings
from tests.unit.test_ranking_queries import EXPECTED_W47, HALL, line, seed

NASTY = "<img src=x onerror=alert('x')>&\""  # no "/": a path segment cannot carry one


def settings(**kw) -> RankingSettings:
    return RankingSettings(**{"clickhouse_url": "chdb:///unused", "projector": False, "open_access": True, **kw})


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = open_store(f"chdb://{tmp_path_factory.mktemp('ranking-app') / 'chdb'}")
    ensure_schema(store)
    seed(store)
    store.insert("ledger", LEDGER_COLUMNS, [
        line(NASTY, "tongxu.4.10", "evt-nasty-1", "deduction", "-1.00", "applied",
             "2026-11-18T09:00:00+08:00", hall="other-hall", detail=NASTY)])
    yield store
    store.close()


@pytest.fixture(scope="module")
def client(store):
    with TestClient(create_app(settings(), store=store)) as c:
        yield c


def test_json_ranking_and_unit(client):
    r = client.get(f"/v1/halls/{HALL}/weeks/2026-W47/ranking")
    assert r.status_code == 200
    units = [(u["unit"], u["score"], u["deductions"], u["bonuses"], u["vetoed"], u["rank"])
             for u in r.json()["units"]]
    assert units == EXPECTED_W47
    d = client.get(f"/v1/halls/{HALL}/weeks/2026-W47/units/tx-rsj").json()
    assert d["score"] == "97.00" and len(d["lines"]) == 6
    assert client.get("/v1/halls").json()["halls"][1]["hall_name"] == "通许县政务服务中心"
    assert client.get(f"/v1/halls/{HALL}/weeks").json()["weeks"][0]["week"] == "2026-W48"


def test_json_errors_are_4xx(client):
    r = client.get(f"/v1/halls/{HALL}/weeks/2026-W99/ranking")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "week"]
    assert client.get(f"/v1/halls/{HALL}/weeks/W47/units/tx-rsj").status_code == 422
    assert client.get("/v1/halls/nowhere/weeks/2026-W47/ranking").status_code == 404
    assert client.get("/v1/halls/nowhere/weeks").status_code == 404
    assert client.get(f"/v1/halls/{HALL}/weeks/2026-W47/units/nobody").status_code == 404
    r = client.get(f"/v1/halls/{HALL}/weeks/2026-W47/ranking", params={"rubric_version": "x@9"})
    assert r.status_code == 404 and "x@9" in r.json()["detail"]
    assert client.get("/v1/halls/%27%3B%20DROP%20TABLE%20ledger/weeks").status_code == 404


def test_html_pages_escape_and_link(client):
    index = client.get("/")
    assert index.status_code == 200 and 'href="/halls/tongxu-county"' in index.text
    page = client.get(f"/halls/{HALL}/weeks/2026-W47")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for label in ("名次", "窗口单位", "得分", "扣分", "加分", "一票否决"):
        assert f"<th>{label}</th>" in page.text
    assert page.text.index("县公安局") < page.text.index("县税务局")  # first to last
    other = client.get("/halls/other-hall/weeks/2026-W47").text
    assert "<img" not in other and "&lt;img src=x onerror=alert(&#x27;x&#x27;)&gt;&amp;&quot;" in other
    assert "/units/%3Cimg%20src%3Dx%20onerror%3Dalert%28%27x%27%29%3E%26%22" in other
    unit = client.get(f"/halls/{HALL}/weeks/2026-W47/units/tx-rsj")
    assert unit.status_code == 200
    assert "10.上班迟到或早退(2分)" in unit.text and "138****0000" in unit.text
    assert "13800000000" not in unit.text and "已撤销" in unit.text
    nasty = client.get("/halls/other-hall/weeks/2026-W47/units/%3Cimg%20src%3Dx%20onerror%3Dalert%28%27x%27%29%3E%26%22")
    assert nasty.status_code == 200 and "<img" not in nasty.text and "&lt;img" in nasty.text
    bad = client.get(f"/halls/{HALL}/weeks/2026-W77")
    assert bad.status_code == 422 and "week" in bad.text and bad.headers["content-type"].startswith("text/html")
    assert client.get("/halls/nowhere").status_code == 404


def test_healthz_and_metrics(client):
    h = client.get("/healthz")
    assert h.status_code == 200 and h.json()["store"] == {"backend": "chdb", "ok": True, "error": None}
    assert h.json()["projector"] is None
    m = client.get("/metrics").text
    assert 'hallscore_ranking_query_seconds_count{endpoint="ranking"}' in m
    assert "hallscore_projector_running 0.0" in m


class DownStore(Store):
    backend, url, database = "server", "clickhouse://127.0.0.1:1/x", "x"

    def execute(self, sql, params=None):
        return None  # ensure_schema "worked" before the server went away

    def query_with_names(self, sql, params=None):
        raise StoreUnavailable("ClickHouse at clickhouse://127.0.0.1:1/x unavailable: refused")

    def insert(self, table, columns, rows):
        raise StoreUnavailable("down")

    def close(self):
        pass


def test_store_down_is_503_with_a_message():
    with TestClient(create_app(settings(), store=DownStore())) as c:
        r = c.get(f"/v1/halls/{HALL}/weeks/2026-W47/ranking")
        assert r.status_code == 503 and "unavailable" in r.json()["detail"]
        assert c.get("/").status_code == 503 and "数据库暂时不可用" in c.get("/").text
        assert c.get("/healthz").status_code == 503
        # bad input is still a 4xx, decided before the store is asked
        assert c.get(f"/v1/halls/{HALL}/weeks/nope/ranking").status_code == 422


def test_settings_fail_fast(monkeypatch, tmp_path):
    for var in ("CLICKHOUSE_URL", "KAFKA_BOOTSTRAP", "PROJECTOR", "RUBRIC_FILE", "HALLS_FILE", "USERS_URL",
                "OPEN_ACCESS"):
        monkeypatch.delenv(f"HALLSCORE_{var}", raising=False)
    with pytest.raises(SettingsError, match="HALLSCORE_CLICKHOUSE_URL: is required"):
        load_settings()
    monkeypatch.setenv("HALLSCORE_CLICKHOUSE_URL", "chdb:///tmp/x")
    with pytest.raises(SettingsError, match="HALLSCORE_USERS_URL is required"):
        load_settings(projector=False)
    with pytest.raises(SettingsError, match="must start with http"):
        load_settings(projector=False, users_url="rect:8103")
    monkeypatch.setenv("HALLSCORE_USERS_URL", "http://127.0.0.1:8103")
    with pytest.raises(SettingsError, match="HALLSCORE_KAFKA_BOOTSTRAP is required"):
        load_settings()
    with pytest.raises(SettingsError, match="HALLSCORE_RUBRIC_FILE"):
        load_settings(projector=False, rubric_file=tmp_path / "missing.yaml")
    monkeypatch.setenv("HALLSCORE_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    s = load_settings()
    assert (s.port, s.projector_group, s.batch_max_rows, s.batch_max_ms) == (8101, "hallscore-projector", 5000, 200)


def test_rows_mask_quantize_and_reject():
    assert mask_phone("13800000000") == "138****0000" and mask_phone("12345") == "***45"
    assert quantize_points(Decimal("-0.125")) == Decimal("-0.13")
    doc = {"event_id": "evt-00000001", "type": "review.submitted", "schema_version": 1,
           "occurred_at": "2026-11-16T08:41:00+08:00", "hall": "h", "unit": "u", "device": "d",
           "payload": {"level": "满意", "channel": "sms", "real_name": False, "citizen_phone": "13912345678"}}
    row = raw_event_row(json.dumps(doc).encode())
    assert json.loads(row[-1])["citizen_phone"] == "139****5678" and row[5] == ""
    good = line("u", "r", "s", "deduction", "-1.005", "applied", "2026-11-16T08:41:00+08:00")
    assert good[LEDGER_COLUMNS.index("points")] == Decimal("-1.01")
    for bad in (None, b"{", b"[]", json.dumps({**doc, "type": "x.y"}).encode()):
        with pytest.raises(RowError):
            raw_event_row(bad)
    ok = json.loads(json.dumps({"rubric_version": "v", "rule_id": "r", "source_id": "s", "hall": "h",
                                "unit": "u", "staff": "", "category": "c", "kind": "deduction",
                                "points": "-1", "status": "applied", "week_monday": "2026-11-16",
                                "occurred_at": "2026-11-16T08:41:00+08:00", "detail": "", "revision": 1}))
    assert ledger_row(json.dumps(ok).encode())[LEDGER_COLUMNS.index("status")] == "applied"
    for change in ({"status": "gone"}, {"kind": "penalty"}, {"points": "abc"}, {"revision": -1},
                   {"week_monday": "2026-11-17"}, {"occurred_at": "2026-11-16T08:41:00"},
                   {"occurred_at": "2200-01-01T00:00:00+08:00"}, {"extra": 1}, {"points": "1e9"}):
        with pytest.raises(RowError):
            ledger_row(json.dumps({**ok, **change}).encode())
