"""The replay fold (all of a unit-period's events, evaluated once) ends where the live
handler (one event at a time, evaluated after each) ends: same lines, field by field."""
from __future__ import annotations

import json
import random
from pathlib import Path

from hallscore.core.rubric import RUBRICS_DIR, load_rubric
from hallscore.core.rubric_set import load_rubric_set, rubric_files
from hallscore.core.schedule import load_halls
from hallscore.demo.generate import demo_events
from hallscore.replay.fold import Router, fold, with_rubric
from schemas.registry import parse_event
from services.scoring import handler

HALLS = load_halls()
LIVE = load_rubric_set(rubric_files(RUBRICS_DIR))
DRAFT = load_rubric(Path(RUBRICS_DIR) / "drafts" / "tongxu-weekly-2023-late-x2.yaml")
UNITS = {"tx-rsj", "tx-gaj", "tx-gjj", "tx-jtj"}
COMPARED = ("rubric_version", "rule_id", "source_id", "hall", "unit", "staff", "category", "kind", "points",
            "status", "week_monday", "occurred_at", "detail", "period")


def _events() -> list:
    raws = [r for r in demo_events(HALLS) if r["unit"] in UNITS]
    rnd = random.Random(7)
    raws += rnd.sample(raws, 150)  # redeliveries
    rnd.shuffle(raws)  # and another arrival order
    return [parse_event(r) for r in raws]


EVENTS = _events()


def _live_end_state() -> dict[tuple, dict]:
    """Run the scoring handler event by event; the ledger keeps the last line sent per key."""
    table: dict[str, dict] = {}
    ledger: dict[tuple, dict] = {}
    for e in EVENTS:
        for scored in handler.score(e, table.get, LIVE, HALLS):
            table[scored.key] = json.loads(json.dumps(scored.state))
            for line in scored.lines:
                ledger[(line.rubric_version, line.source_id, line.rule_id)] = line.to_json()
    return ledger


def test_fold_once_equals_the_live_handler_event_by_event():
    live = {k: v for k, v in _live_end_state().items() if v["status"] != "withdrawn"}
    replayed = {}
    for rubric in LIVE.assessments():
        lines, folded = fold(EVENTS, rubric, Router(LIVE, rubric, HALLS), HALLS)
        replayed.update({(l.rubric_version, l.source_id, l.rule_id): l.to_json() for l in lines})
    county = {r.rubric_version for r in LIVE.assessments() if "county" in r.applies_to.tiers}
    assert len(replayed) > 100 and {k[0] for k in replayed} == county  # the demo hall is a county hall
    assert replayed.keys() == live.keys()
    for key, line in replayed.items():
        assert {f: line[f] for f in COMPARED} == {f: live[key][f] for f in COMPARED}, key


def test_a_draft_of_the_same_id_sees_the_same_events_and_doubles_late_arrivals():
    rubrics = with_rubric(LIVE, DRAFT)
    base = next(r for r in LIVE.assessments() if r.id == DRAFT.id)
    old, n_old = fold(EVENTS, base, Router(rubrics, base, HALLS), HALLS)
    new, n_new = fold(EVENTS, DRAFT, Router(rubrics, DRAFT, HALLS), HALLS)
    assert n_old == n_new == len(EVENTS)
    late = lambda lines: {(l.unit, l.week_monday): l.points for l in lines  # noqa: E731
                          if l.rule_id == "tongxu.4.10" and l.status == "applied"}
    assert late(old) and {k: 2 * v for k, v in late(old).items()} == late(new)
    others = lambda lines: {(l.source_id, l.rule_id, l.points) for l in lines if l.rule_id != "tongxu.4.10"}  # noqa: E731
    assert others(old) == others(new)
