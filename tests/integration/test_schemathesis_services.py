"""schemathesis against every service's OpenAPI, in process over ASGI: no answer is a 5xx.

Each app runs with fakes for what is outside it (a producer that acknowledges
everything, no topic setup, no consumer), so a 503 "broker unreachable" can
not happen and every 5xx would be a bug. Ranking runs on chDB in a temp
folder seeded with the unit tests' week; rectification with a fixed clock.
Requests carry a valid token of the hall (and a manager's for rectification)
so generated cases reach past authentication.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from hallscore.store.adapter import open_store
from hallscore.store.schema import ensure_schema
from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.intake.tokens import TokenStore
from services.ranking.app import create_app as ranking_app
from services.ranking.settings import RankingSettings
from tests.rectification_env import FakeClock, FakeProducer, issue_tokens
from tests.rectification_env import settings as rect_settings
from tests.unit.test_ranking_queries import seed

pytestmark = pytest.mark.integration
EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
_TMP = Path(tempfile.mkdtemp(prefix="hallscore-schemathesis-"))

# -- intake --------------------------------------------------------------------
_intake_settings = IntakeSettings(kafka_bootstrap="127.0.0.1:1", data_dir=_TMP / "intake")
_INTAKE_TOKEN = TokenStore(_intake_settings.db_path).issue("tongxu-county", "dev-fuzz")
intake = schemathesis.openapi.from_asgi(
    "/openapi.json", intake_app(_intake_settings, producer_factory=lambda b: FakeProducer(),
                                setup_topics=lambda b, t: None))

# -- ranking (own chDB path, opened and closed by the app's lifespan) ------------
_chdb = _TMP / "ranking-chdb"


# -- rectification -------------------------------------------------------------
_rect_dir = _TMP / "rectification"
_rect_settings = rect_settings(_rect_dir)
_RECT_TOKENS = issue_tokens(_rect_dir)
from services.rectification.app import create_app as rect_app  # noqa: E402

rectification = schemathesis.openapi.from_asgi(
    "/openapi.json", rect_app(_rect_settings, clock=FakeClock(), producer_factory=lambda b: FakeProducer(),
                              setup_topics=lambda b, t: None, consume=False))


def _no_5xx(case, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}")


@intake.parametrize()
@EXAMPLES
def test_intake_never_5xx(case):
    _no_5xx(case, _INTAKE_TOKEN)


def test_ranking_never_5xx():
    # The app is built here, not at import: chDB holds one data path per
    # process, so its store is opened for this test only and closed after.
    from hypothesis import given as _given

    store = open_store(f"chdb://{_chdb}")
    try:
        ensure_schema(store)
        seed(store)
        app = ranking_app(RankingSettings(clickhouse_url=f"chdb://{_chdb}", projector=False, open_access=True), store=store)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [r.ok() for r in schema.get_all_operations()]
        assert operations
        for op in operations:
            @EXAMPLES
            @_given(case=op.as_strategy())
            def check(case):
                _no_5xx(case, None)

            check()
    finally:
        store.close()


@rectification.parametrize()
@EXAMPLES
def test_rectification_never_5xx(case):
    _no_5xx(case, _RECT_TOKENS["manager"])


# The intake route reads a raw body (one event or an array), which its OpenAPI does not
# describe field by field: fuzz it from the contract's examples with mutated fields.
import json as _json  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_EXAMPLES = [_json.loads(p.read_text(encoding="utf-8"))
             for p in sorted((Path(__file__).resolve().parents[2] / "schemas" / "examples").glob("*.json"))]
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
                     max_leaves=8)


@st.composite
def _mutated_event(draw):
    ev = _json.loads(_json.dumps(draw(st.sampled_from(_EXAMPLES))))
    ev["hall"] = "tongxu-county"
    for _ in range(draw(st.integers(0, 3))):
        target = ev if draw(st.booleans()) or not isinstance(ev.get("payload"), dict) else ev["payload"]
        key = draw(st.sampled_from(sorted(target) + ["extra"]))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(_JSON)
    return ev


def test_intake_event_bodies_never_5xx():
    app = intake_app(IntakeSettings(kafka_bootstrap="127.0.0.1:1", data_dir=_TMP / "intake-bodies"),
                     producer_factory=lambda b: FakeProducer(), setup_topics=lambda b, t: None)
    with TestClient(app) as client:
        token = TokenStore(app.state.intake.settings.db_path).issue("tongxu-county", "dev-fuzz")
        client.headers["Authorization"] = f"Bearer {token}"
        seen: dict[int, int] = {}

        @settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        @given(st.one_of(_mutated_event(), st.lists(_mutated_event(), min_size=1, max_size=4), _JSON))
        def post(body):
            r = client.post("/v1/events", content=_json.dumps(body, ensure_ascii=False).encode())
            seen[r.status_code] = seen.get(r.status_code, 0) + 1
            assert r.status_code < 500, r.text[:500]

        post()
        print(f"\nintake fuzz: answers by status {dict(sorted(seen.items()))}")
        assert 200 in seen and 422 in seen
