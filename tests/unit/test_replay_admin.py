"""The admin routes' refusals (chDB, no events needed): token, broken rubric, bad span, unknown ids."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from hallscore.core.rubric import DEFAULT_RUBRIC, RUBRICS_DIR
from hallscore.store.adapter import open_store
from hallscore.store.schema import ensure_schema
from services.ranking.app import create_app
from services.ranking.settings import RankingSettings

TEXT = DEFAULT_RUBRIC.read_text(encoding="utf-8")
SPAN = {"from": "2026-10-26", "to": "2026-11-22"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = open_store(f"chdb://{tmp_path_factory.mktemp('replay-admin') / 'chdb'}")
    ensure_schema(store)
    settings = RankingSettings(clickhouse_url="chdb:///unused", projector=False, open_access=True, rubrics_dir=RUBRICS_DIR,
                               admin_token="s3cret")
    with TestClient(create_app(settings, store=store), headers={"Authorization": "Bearer s3cret"}) as c:
        yield c
    store.close()


def test_admin_routes_need_the_token(client):
    for header in ("", "Bearer wrong", "s3cret"):
        r = client.get("/v1/admin/replays", headers={"Authorization": header})
        assert r.status_code == 401 and "HALLSCORE_ADMIN_TOKEN" in r.json()["detail"]
    assert client.get("/v1/admin/replays").json() == {"replays": []}
    assert client.get("/v1/halls").status_code == 200  # the public pages need nothing


def test_a_broken_rubric_is_a_422_naming_line_and_field(client):
    broken = TEXT.replace("per_occurrence: 2\n        cap: 2\n        facts: [late_arrival", "per_occurrence: 2\n        cap: 9\n        facts: [late_arrival", 1)
    assert broken != TEXT
    r = client.post("/v1/admin/replays", json={"rubric": broken, "file_name": "mine.yaml", **SPAN})
    assert r.status_code == 422
    [err] = r.json()["detail"]
    assert err["loc"] == ["body", "rubric"] and err["msg"].startswith("mine.yaml:") and "cap 9" in err["msg"]
    r = client.post("/v1/admin/replays", json={"rubric": "kind: checklist\n", **SPAN})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "rubric"]
    kpi = (RUBRICS_DIR / "weidong-kpi-2021.yaml").read_text(encoding="utf-8")
    r = client.post("/v1/admin/replays", json={"rubric": kpi, **SPAN})
    assert r.status_code == 422 and "only assessment rubrics" in r.json()["detail"][0]["msg"]


def test_bad_span_fields_and_versions(client):
    r = client.post("/v1/admin/replays", json={"rubric": TEXT, "from": "2026-11-22", "to": "2026-10-26"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "to"]
    r = client.post("/v1/admin/replays", json={"rubric": TEXT, "from": "2026-13-01", "to": "2026-10-26"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "from"]
    r = client.post("/v1/admin/replays", json={"rubric": TEXT, **SPAN, "against": "nope@1+00000000"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "against"]
    r = client.post("/v1/admin/replays", json={"rubric": TEXT, **SPAN, "colour": "red"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "colour"]
    assert client.get("/v1/admin/replays/nope").status_code == 404
    assert client.get("/v1/admin/replays/nope/diff").status_code == 404
    r = client.post("/v1/admin/rubric/activate", json={"version": "x@1+00000000"})
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["body", "version"]


def test_an_empty_archive_replays_to_nothing_and_the_default_stays_active(client):
    r = client.post("/v1/admin/replays", json={"rubric": TEXT, **SPAN})
    assert r.status_code == 202
    job = r.json()
    for _ in range(200):
        if (s := client.get(f"/v1/admin/replays/{job['id']}").json())["status"] != "running":
            break
        time.sleep(0.05)
    assert s["status"] == "done" and s["events_total"] == 0 and s["percent"] == 100.0
    assert client.get(f"/v1/admin/replays/{job['id']}/diff").json()["identical"] is True
    active = client.get("/v1/admin/rubric/active").json()
    assert active["source"] == "settings" and active["history"] == []
