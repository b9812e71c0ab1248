"""The deadlines file: valid, quoting the seeds it cites, with region overrides."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from hallscore.core.cases.model import KINDS, MILESTONES
from hallscore.core.cases.policy import DEFAULT_POLICY_FILE, DeadlinePolicy, PolicyError, load_policy, plan_deadlines
from hallscore.core.workdays import Calendar

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def test_shipped_file_covers_every_kind_and_quotes_its_seeds():
    policy = load_policy(DEFAULT_POLICY_FILE)
    for kind in KINDS:
        p = policy.for_hall("any-hall", kind)
        assert set(p.milestones) == set(MILESTONES[kind])
        for rule in p.milestones.values():
            if rule.seed is None:
                continue
            seed = SEEDS / rule.seed.file
            if not seed.exists():
                if os.environ.get("CI"):
                    pytest.fail(f"seed documents not found at {SEEDS}")
                pytest.skip(f"seed documents not found at {SEEDS}")
            assert rule.seed.quote in seed.read_text(encoding="utf-8"), (kind, rule.seed.quote)
    assert policy.for_hall("x", "problem_item").scoring.rule == "item"


def _policy(regions: dict) -> DeadlinePolicy:
    base = load_policy(DEFAULT_POLICY_FILE).model_dump()
    return DeadlinePolicy.model_validate({**base, "regions": regions})


def test_a_region_overrides_single_milestones_for_its_halls():
    p = _policy({"complex": {"halls": ["town-a"], "bad_review": {"milestones": {"rectify": {"workdays": 15}}}}})
    assert p.for_hall("town-a", "bad_review").milestones["rectify"].workdays == 15
    assert p.for_hall("town-a", "bad_review").milestones["close"].workdays == 5  # not overridden
    assert p.for_hall("tongxu-county", "bad_review").milestones["rectify"].workdays == 5
    rules = {r.milestone: r.due for r in plan_deadlines(p.for_hall("town-a", "bad_review"), date(2026, 9, 30), Calendar())}
    assert rules == {"contact": date(2026, 9, 30), "rectify": date(2026, 10, 27), "close": date(2026, 10, 13)}


@pytest.mark.parametrize("regions, words", [
    ({"r": {"halls": ["a"], "bad_review": {"milestones": {"fix": {"workdays": 1}}}}}, "unknown milestone"),
    ({"r1": {"halls": ["a"]}, "r2": {"halls": ["a"]}}, "is in regions"),
    ({"r": {"halls": ["a"], "complaint": {"scoring": {"milestone": "rectify", "rule": "item"}}}}, "not a milestone"),
    ({"r": {"halls": ["a"], "complaint": {"milestones": {"close": {"workdays": -1}}}}}, "greater than or equal"),
])
def test_mistakes_are_refused(regions, words):
    with pytest.raises(ValueError, match=words):
        _policy(regions)


def test_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "deadlines.yaml"
    bad.write_text(DEFAULT_POLICY_FILE.read_text(encoding="utf-8").replace("workdays: 20", "workdays: twenty"),
                   encoding="utf-8")
    with pytest.raises(PolicyError, match=r"deadlines.yaml:\d+: default.problem_item.milestones.close.workdays"):
        load_policy(bad)
