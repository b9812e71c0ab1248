"""RubricSet: versions of one rubric id side by side (blue/green), and what stays refused."""
from __future__ import annotations

import pytest
import yaml

from hallscore.core.rubric import DEFAULT_RUBRIC, RUBRICS_DIR, RubricError, load_any_rubric, parse_any_rubric
from hallscore.core.rubric_set import RubricSet, check_set
from tests.unit.helpers import clock, event, finding

BASE = load_any_rubric(DEFAULT_RUBRIC)
CHECKLIST = load_any_rubric(RUBRICS_DIR / "baofeng-checklist-2020.yaml")
TIER = "county"


def variant(**changes) -> object:
    data = yaml.safe_load(DEFAULT_RUBRIC.read_text(encoding="utf-8"))
    data.update(changes)
    return parse_any_rubric(yaml.safe_dump(data, allow_unicode=True), "variant.yaml")


def versions(rs: RubricSet, e) -> list[str]:
    return [r.rubric_version for r in rs.targets(e, TIER)]


def test_two_versions_of_one_id_may_overlap_and_both_score():
    draft = variant(version="2023.2")
    assert draft.id == BASE.id and draft.rubric_version != BASE.rubric_version
    check_set([BASE, draft, CHECKLIST])  # no error: blue/green
    rs = RubricSet((BASE, draft, CHECKLIST))
    both = [BASE.rubric_version, draft.rubric_version]
    assert versions(rs, clock("2026-11-16T09:07:00+08:00", hall="tongxu-county")) == both
    # a rule entry goes to every version of the id that owns the rule ...
    assert versions(rs, finding("2026-11-20T10:00:00+08:00", "tongxu.4.1", hall="tongxu-county")) == both
    # ... an unknown rule to every version of the first assessment id (kept as unknown_rule) ...
    assert versions(rs, finding("2026-11-20T10:00:00+08:00", "nobody.9.9", hall="tongxu-county")) == both
    # ... and a checklist's rule to the checklist only
    rule = CHECKLIST.groups[0].items[0].id
    assert versions(rs, finding("2026-11-20T10:00:00+08:00", rule, hall="tongxu-county")) == [CHECKLIST.rubric_version]


def test_effective_dates_still_decide():
    old = variant(version="2022.1", effective_to="2026-11-18")
    rs = RubricSet((old, BASE))
    assert versions(rs, clock("2026-11-18T09:07:00+08:00")) == [old.rubric_version, BASE.rubric_version]
    assert versions(rs, clock("2026-11-19T09:07:00+08:00")) == [BASE.rubric_version]
    veto = event("supervision.veto", "2026-11-19T10:00:00+08:00", {"rule_id": "tongxu.veto.bribery", "inspector": "x"},
                 staff=None)
    assert versions(rs, veto) == [BASE.rubric_version]


def test_what_stays_refused():
    with pytest.raises(RubricError, match="same rubric version"):
        check_set([BASE, variant()])
    renamed = variant(id="tongxu-weekly-copy")
    with pytest.raises(RubricError, match="share rule ids"):
        check_set([BASE, renamed])


def test_a_rule_entry_in_a_hall_no_rubric_scores_goes_nowhere():
    rs = RubricSet((BASE,))
    assert rs.targets(finding("2026-11-20T10:00:00+08:00", "nobody.9.9"), "village") == []
