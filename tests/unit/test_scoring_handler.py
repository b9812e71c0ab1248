"""services.scoring.handler: the glue between Kafka messages and the core."""
from __future__ import annotations

import json

import pytest

from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
from hallscore.core.rubric_set import RubricSet
from hallscore.core.schedule import load_halls
from services.scoring import handler
from tests.unit.helpers import clock, event, finding

RUBRIC = load_rubric(DEFAULT_RUBRIC)
RUBRICS = RubricSet((RUBRIC,))
HALLS = load_halls()


def veto(at: str, rule_id: str = "tongxu.veto.bribery", **kw):
    return event("supervision.veto", at, {"rule_id": rule_id, "inspector": "县纪委"}, staff=None, **kw)


class Table(dict):
    """The unit_periods table, as the agent uses it (values go through JSON)."""

    def feed(self, e):
        [scored] = handler.score(e, self.get, RUBRICS, HALLS)
        self[scored.key] = json.loads(json.dumps(scored.state))
        return scored


def test_decode_rejects_non_json_and_contract_violations():
    with pytest.raises(handler.InvalidMessage) as exc:
        handler.decode(b"{nope")
    assert exc.value.reason == "not_json"
    with pytest.raises(handler.InvalidMessage) as exc:
        handler.decode(None)
    assert exc.value.reason == "not_json"
    with pytest.raises(handler.InvalidMessage) as exc:
        handler.decode(json.dumps({"type": "attendance.clock", "schema_version": 1}).encode())
    assert exc.value.reason == "contract" and "event_id" in str(exc.value)
    e = clock("2026-11-16T08:41:00+08:00")
    assert handler.decode(e.model_dump_json().encode()) == e


def test_table_key_is_rubric_hall_unit_period():
    rv = RUBRIC.rubric_version
    assert handler.state_key_for(clock("2026-11-16T08:41:00+08:00", unit="u9", hall="h1"), RUBRIC) == f"{rv}/h1/u9/2026-W47"
    # Sunday 23:30 UTC is Monday in Shanghai: the next ISO week.
    assert handler.state_key_for(clock("2026-11-22T23:30:00+00:00"), RUBRIC) == f"{rv}/tx/u1/2026-W48"


def test_new_event_sends_changed_lines_duplicate_resends_all():
    t = Table()
    late = clock("2026-11-16T08:41:00+08:00")
    s1 = t.feed(late)
    assert not s1.duplicate
    assert [(l.rule_id, str(l.points), l.source_id) for l in s1.lines] == [("tongxu.4.10", "-2", late.event_id)]
    s2 = t.feed(finding("2026-11-17T10:00:00+08:00", "tongxu.4.1"))
    assert [l.rule_id for l in s2.lines] == ["tongxu.4.1"]  # only what changed
    s3 = t.feed(late)  # redelivery
    assert s3.duplicate
    assert sorted(l.rule_id for l in s3.lines) == ["tongxu.4.1", "tongxu.4.10"]  # everything current
    assert {l.revision for l in s3.lines} == {2}  # no new revision: nothing counts twice
    assert s3.state == t[s3.key]  # state unchanged by the duplicate


def test_duplicate_resends_withdrawals_too():
    t = Table()
    late = clock("2026-11-16T08:41:00+08:00")
    early = clock("2026-11-16T08:10:00+08:00")
    t.feed(late)
    s = t.feed(early)  # an earlier punch: the late line is withdrawn
    assert [(l.source_id, l.status) for l in s.lines] == [(late.event_id, "withdrawn")]
    assert t[s.key]["emitted"][f"{late.event_id}|tongxu.4.10"].startswith("0|withdrawn|")
    again = t.feed(early)
    assert again.duplicate
    assert [(l.source_id, l.status, l.revision) for l in again.lines] == [(late.event_id, "withdrawn", 2)]


def test_veto_raised_once_and_again_only_on_redelivery_of_its_source():
    t = Table()
    vetoes: dict[str, dict] = {}

    def feed(e):
        scored = t.feed(e)
        raised = handler.vetoes_to_raise(scored, vetoes.get)
        for r in raised:
            vetoes[r.key] = r.entry
        return raised

    v = veto("2026-11-18T10:00:00+08:00")
    raised = feed(v)
    assert [r.message for r in raised] == [{"hall": "tx", "unit": "u1", "year": 2026, "rule_id": "tongxu.veto.bribery",
                                            "source_id": v.event_id, "occurred_at": "2026-11-18T10:00:00+08:00"}]
    assert vetoes == {"tx/u1/2026": {"rule_ids": ["tongxu.veto.bribery"], "source_ids": [v.event_id]}}
    assert feed(clock("2026-11-18T08:41:00+08:00")) == []  # other events of the week: not again
    assert [r.message["source_id"] for r in feed(v)] == [v.event_id]  # its own redelivery: again
    v2 = veto("2026-11-19T10:00:00+08:00", rule_id="tongxu.veto.illegal-fees")
    assert [r.message["source_id"] for r in feed(v2)] == [v2.event_id]
    assert vetoes["tx/u1/2026"]["source_ids"] == sorted([v.event_id, v2.event_id])
    assert feed(veto("2026-11-19T11:00:00+08:00", rule_id="tongxu.no-such-veto")) == []  # unknown rule: no veto


def test_veto_year_is_the_shanghai_year():
    v = veto("2026-12-31T17:00:00+00:00")  # 2027-01-01 01:00 in Shanghai
    raised = handler.vetoes_to_raise(Table().feed(v), lambda k: None)
    assert [(r.key, r.message["year"]) for r in raised] == [("tx/u1/2027", 2027)]


def test_a_state_built_from_empty_carries_the_workers_lineage_and_keeps_it():
    """Row version = (lineage << 32) | events folded: a rebuilt state outranks a lost one
    (services/ranking/lineage.py); a state recovered from the changelog keeps its lineage."""
    from hallscore.core.ledger import LINEAGE_SHIFT, lineage_of

    stored: dict = {}
    late = clock("2026-11-16T08:41:00+08:00")
    [s1] = handler.score(late, stored.get, RUBRICS, HALLS, epoch=1_800_000_000)
    assert [(lineage_of(l.revision), l.revision & ((1 << LINEAGE_SHIFT) - 1)) for l in s1.lines] == \
        [(1_800_000_000, 1)]
    stored[s1.key] = json.loads(json.dumps(s1.state))
    # a later worker (newer epoch) continuing from the changelog stays in the same lineage
    [s2] = handler.score(finding("2026-11-17T10:00:00+08:00", "tongxu.4.1"), stored.get, RUBRICS, HALLS,
                         epoch=1_900_000_000)
    assert {lineage_of(l.revision) for l in s2.lines} == {1_800_000_000}
    assert {l.revision for l in s2.lines} == {(1_800_000_000 << LINEAGE_SHIFT) | 2}
    # epoch 0 (replays, tests): the version is the plain count, as before
    [s3] = handler.score(late, {}.get, RUBRICS, HALLS)
    assert [l.revision for l in s3.lines] == [1]
