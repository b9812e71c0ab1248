"""The coverage tables (docs/rubric-coverage/) and the shipped rubrics agree."""
import re
from pathlib import Path

import pytest

from hallscore.core.rubric import RUBRICS_DIR, load_any_rubric, seeded_rules

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rubric-coverage"
ID = re.compile(r"`([a-z0-9][a-z0-9._\-]*\.[a-z0-9._\-]+)`")


RUBRICS = [load_any_rubric(p) for p in sorted(RUBRICS_DIR.glob("*.yaml"))]
PREFIXES = {r.id.split("-")[0] for r in RUBRICS}


def _ids_by_seed() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in RUBRICS:
        for rule_id, ref in seeded_rules(r):
            if ref is not None:
                out.setdefault(ref.file[:3], set()).add(rule_id)
    return out


def test_every_seed_document_has_a_table():
    assert {p.stem for p in DOCS.glob("*.md")} >= {"000", "001", "002", "003", "004"}


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_rules_named_in_a_table_exist_and_every_rule_is_named(seed):
    text = (DOCS / f"{seed}.md").read_text(encoding="utf-8")
    known = {rid for r in RUBRICS for rid, _ in seeded_rules(r)}
    named = {m for m in ID.findall(text) if not m.endswith((".yaml", ".md", ".txt", ".py"))}
    rule_like = {n for n in named if n.split(".")[0].split("-")[0] in PREFIXES}
    assert rule_like - known == set(), "ids in the table that no rubric has"
    ours = _ids_by_seed().get(seed, set())
    assert ours, f"no rubric rule quotes seed {seed}"
    missing = {rid for rid in ours if rid not in named}
    assert missing == set(), "rubric rules the table does not mention"
