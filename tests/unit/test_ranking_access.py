"""Who may read what in the ranking service: user-token scopes (access.py), the login
cookie, and token checks through the users service with a cache."""
from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from hallscore.access import Principal
from services.ranking import access
from services.ranking.app import create_app
from tests.unit.test_ranking_app import settings, store  # noqa: F401  (the module's one chDB store)
from tests.unit.test_ranking_queries import HALL

W = f"/v1/halls/{HALL}/weeks/2026-W47"
TOKENS = {
    "hu_unit": Principal("unit", HALL, "tx-rsj", "t1"),
    "hu_manager": Principal("manager", HALL, None, "t2"),
    "hu_auditor": Principal("auditor", None, None, "t3"),
    "hu_other_manager": Principal("manager", "other-hall", None, "t4"),
}


class FakeUsers:
    def __init__(self):
        self.down = False

    def verify(self, token):
        if self.down:
            raise access.UsersUnavailable("users service down (test)")
        return TOKENS.get(token)


@pytest.fixture(scope="module")
def users():
    return FakeUsers()


@pytest.fixture(scope="module")
def app_client(store, users):  # noqa: F811
    with TestClient(create_app(settings(open_access=False, users_url="http://users.invalid"), store=store,
                               users=users)) as c:
        yield c


def get(c, path, token=None, **kw):
    return c.get(path, headers={"Authorization": f"Bearer {token}"} if token else {}, follow_redirects=False, **kw)


def test_no_token_is_401_and_a_page_asks_to_log_in(app_client):
    r = get(app_client, f"{W}/ranking")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "hallscore user issue" in r.json()["detail"]
    assert get(app_client, f"{W}/ranking", "hu_forged").status_code == 401
    r = get(app_client, f"/halls/{HALL}/weeks/2026-W47")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fhalls%2F")
    for open_path in ("/healthz", "/metrics", "/login", "/openapi.json"):
        assert get(app_client, open_path).status_code == 200, open_path


def test_a_unit_reads_its_hall_ranking_and_only_its_own_lines(app_client):
    assert get(app_client, f"{W}/ranking", "hu_unit").status_code == 200
    assert get(app_client, f"{W}/units/tx-rsj", "hu_unit").json()["unit"] == "tx-rsj"
    r = get(app_client, f"{W}/units/tx-gaj", "hu_unit")
    assert r.status_code == 403 and "tx-gaj" in r.json()["detail"] and "tx-rsj" in r.json()["detail"]
    assert get(app_client, f"/halls/{HALL}/weeks/2026-W47/units/tx-gaj", "hu_unit").status_code == 403
    assert get(app_client, f"/halls/{HALL}/weeks/2026-W47/units/tx-gaj/panel", "hu_unit").status_code == 403
    assert get(app_client, f"/halls/{HALL}/dashboard?unit=tx-gaj", "hu_unit").status_code == 403
    assert get(app_client, f"/v1/halls/{HALL}/years/2026/units/tx-gaj/components", "hu_unit").status_code == 403
    assert get(app_client, "/v1/halls/other-hall/weeks/2026-W47/ranking", "hu_unit").status_code == 403
    assert [h["hall"] for h in get(app_client, "/v1/halls", "hu_unit").json()["halls"]] == [HALL]


def test_only_the_halls_manager_publishes_or_records(app_client):
    for token in ("hu_unit", "hu_auditor", "hu_other_manager"):
        r = app_client.post(f"{W}/publish", json={}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403 and "manager" in r.json()["detail"], token
        r = app_client.put(f"/v1/halls/{HALL}/years/2026/units/tx-rsj/components/party", json={"value": "90"},
                           headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403, token
    # the manager passes the guard; the route itself then judges the input
    r = app_client.post(f"/v1/halls/{HALL}/weeks/nope/publish", json={},
                        headers={"Authorization": "Bearer hu_manager"})
    assert r.status_code == 422


def test_managers_and_auditors(app_client):
    assert get(app_client, f"{W}/units/tx-gaj", "hu_manager").status_code == 200
    assert get(app_client, "/v1/halls/other-hall/weeks/2026-W47/ranking", "hu_manager").status_code == 403
    assert get(app_client, "/v1/halls/other-hall/weeks/2026-W47/ranking", "hu_other_manager").status_code == 200
    assert get(app_client, "/v1/halls/other-hall/weeks/2026-W47/ranking", "hu_auditor").status_code == 200
    assert len(get(app_client, "/v1/halls", "hu_auditor").json()["halls"]) == 2
    county = "/v1/counties/%E9%80%9A%E8%AE%B8%E5%8E%BF/months/2026-11/ranking"  # 通许县
    assert get(app_client, county, "hu_unit").status_code == 200  # its hall is ranked there
    assert get(app_client, county, "hu_other_manager").status_code == 403
    assert get(app_client, "/v1/counties/nowhere/months/2026-11/ranking", "hu_unit").status_code == 404


def test_users_service_down_is_503_not_a_guess(app_client, users):
    users.down = True
    try:
        r = get(app_client, f"{W}/ranking", "hu_manager")
        assert r.status_code == 503 and "token" in r.json()["detail"]
    finally:
        users.down = False


def test_login_cookie(app_client):
    c = app_client
    r = c.post("/login", content="token=hu_forged&next=%2F", follow_redirects=False)
    assert r.status_code == 401 and "令牌无效" in r.text
    r = c.post("/login", content=f"token=hu_unit&next=%2Fhalls%2F{HALL}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/halls/{HALL}"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    try:
        assert c.get(f"/halls/{HALL}/weeks/2026-W47/units/tx-rsj").status_code == 200
        assert c.get(f"/halls/{HALL}/weeks/2026-W47/units/tx-gaj").status_code == 403
    finally:
        c.cookies.clear()
    r = c.post("/login", content="token=hu_unit&next=%2F%2Fevil.example", follow_redirects=False)
    assert r.headers["location"] == "/"  # never an open redirect
    c.cookies.clear()


def test_remote_users_asks_once_per_ttl(monkeypatch):
    calls = []
    now = [0.0]

    def fake_get(url, headers, timeout):
        calls.append(headers["Authorization"])
        if headers["Authorization"] == "Bearer hu_good":
            return httpx.Response(200, json={"role": "unit", "hall": HALL, "unit": "tx-rsj", "token_id": "t9",
                                             "name": ""})
        return httpx.Response(401, json={"detail": "no"})

    monkeypatch.setattr(access.httpx, "get", fake_get)
    users = access.RemoteUsers("http://rect:8103/", ttl_s=30, clock=lambda: now[0])
    assert users.url == "http://rect:8103/v1/me"
    assert users.verify("hu_good").unit == "tx-rsj" and users.verify("hu_good").unit == "tx-rsj"
    assert users.verify("hu_bad") is None and users.verify("hu_bad") is None
    assert len(calls) == 2
    now[0] = 31.0  # after the ttl a revoked token is asked about again
    users.verify("hu_good")
    assert len(calls) == 3

    def down(url, headers, timeout):
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(access.httpx, "get", down)
    now[0] = 100.0
    with pytest.raises(access.UsersUnavailable):
        users.verify("hu_good")
