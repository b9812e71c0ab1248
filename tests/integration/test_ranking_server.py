"""The ranking on a real ClickHouse 18.16 server and on chDB: same data, identical JSON."""
from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient

from hallscore.store.adapter import open_store
from hallscore.store.schema import ensure_schema
from services.ranking.app import create_app
from services.ranking.settings import RankingSettings
from tests.unit.test_ranking_queries import EXPECTED_W47, HALL, as_tuples, seed, service

pytestmark = pytest.mark.integration

URLS = [
    "/v1/halls",
    f"/v1/halls/{HALL}/weeks",
    "/v1/halls/other-hall/weeks",
    *(f"/v1/halls/{HALL}/weeks/{w}/ranking" for w in ("2026-W47", "2026-W48", "2026-W46", "2026-W01",
                                                       "2025-W52")),
    *(f"/v1/halls/{HALL}/weeks/2026-W47/units/{u}" for u, *_ in EXPECTED_W47),
    f"/v1/halls/{HALL}/weeks/2026-W48/units/tx-gaj",
    f"/v1/halls/{HALL}/weeks/2026-W01/units/tx-mzj",
    f"/v1/halls/{HALL}/weeks/2026-W47/units/tx-gzc",
    # errors must match too
    f"/v1/halls/{HALL}/weeks/2026-W54/ranking",
    "/v1/halls/nowhere/weeks/2026-W47/ranking",
    f"/v1/halls/{HALL}/weeks/2026-W47/units/nobody",
]
PAGES = ["/", f"/halls/{HALL}", f"/halls/{HALL}/weeks/2026-W47",
         f"/halls/{HALL}/weeks/2026-W47/units/tx-rsj", f"/halls/{HALL}/weeks/2026-W47/units/tx-bdc"]


def test_ranking_on_each_backend(store):
    seed(store)
    svc = service(store)
    assert as_tuples(svc.ranking(HALL, "2026-W47")) == EXPECTED_W47
    detail = svc.unit_week(HALL, "2026-W47", "tx-rsj")
    assert [(x["rule_id"], x["status"], x["points"]) for x in detail["lines"]] == [
        ("tongxu.4.7", "withdrawn", "-4.00"), ("tongxu.4.10", "applied", "-2.00"),
        ("tongxu.4.10", "capped", "0.00"), ("tongxu.3.2", "capped", "-1.00"),
        ("tongxu.2.4", "below_threshold", "0.00"), ("tongxu.9.9", "unknown_rule", "-7.00")]
    assert detail["lines"][4]["source_event"]["payload"]["citizen_phone"] == "138****0000"
    runs = []
    for _ in range(10):
        t0 = time.perf_counter()
        svc.ranking(HALL, "2026-W47")
        runs.append(time.perf_counter() - t0)
    print(f"\nranking on {store.backend}: median {sorted(runs)[5] * 1000:.1f} ms")


def _answers(url: str) -> tuple[dict, dict]:
    settings = RankingSettings(clickhouse_url=url, projector=False, open_access=True)
    with open_store(url) as s:
        ensure_schema(s)
        seed(s)
        with TestClient(create_app(settings, store=s)) as client:
            json_answers = {u: (r.status_code, r.json()) for u in URLS for r in [client.get(u)]}
            html_answers = {u: (r.status_code, r.text) for u in PAGES for r in [client.get(u)]}
        if s.backend == "server":
            s.execute(f"DROP DATABASE {s.database}")
    return json_answers, html_answers


def test_identical_json_and_pages_on_server_and_chdb(clickhouse_server_url, tmp_path):
    server_url = clickhouse_server_url.rsplit("/", 1)[0] + f"/hallscore_t_{uuid.uuid4().hex[:12]}"
    chdb_json, chdb_html = _answers(f"chdb://{tmp_path / 'chdb'}")
    server_json, server_html = _answers(server_url)
    for u in URLS:
        assert server_json[u] == chdb_json[u], u
    assert server_html == chdb_html
    status = {u: code for u, (code, _) in chdb_json.items()}
    assert list(status.values()).count(200) == len(URLS) - 3
    assert [status[u] for u in URLS[-3:]] == [422, 404, 404]
    ranking = chdb_json[f"/v1/halls/{HALL}/weeks/2026-W47/ranking"][1]
    assert [(u["unit"], u["rank"]) for u in ranking["units"]][:3] == [("tx-gaj", 1), ("tx-scjg", 1),
                                                                     ("tx-zls", 3)]
