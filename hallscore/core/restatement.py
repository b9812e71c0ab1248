"""更正 (restatement) of a published bulletin, pure: what changed since it was frozen.

A published bulletin keeps, beside its numbers, the set of ledger lines it was
computed from: per unit, line key (source|rule) -> signature (kind|status|points).
Later, the live lines are compared with that set: a key that is new, or whose
signature differs, is a line that arrived (or changed) after publication — a late
device upload, a correction, a withdrawn deduction. The units whose score or rank
differ from the frozen ones are the restatement; the frozen numbers never change.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable

CENT = Decimal("0.01")

LineSet = dict[str, dict[str, str]]  # unit -> line key -> signature


def line_key(source_id: str, rule_id: str) -> str:
    return f"{source_id}|{rule_id}"


def signature(kind: str, status: str, points) -> str:
    """Points at two decimals, so the same line reads the same from either backend."""
    return f"{kind}|{status}|{Decimal(points).quantize(CENT)}"


def line_set(rows: Iterable[tuple]) -> LineSet:
    """From (unit, source_id, rule_id, kind, status, points) rows."""
    out: LineSet = {}
    for unit, source_id, rule_id, kind, status, points in rows:
        out.setdefault(unit, {})[line_key(source_id, rule_id)] = signature(kind, status, points)
    return out


def changed_lines(frozen: LineSet, live: LineSet) -> dict[str, list[str]]:
    """unit -> keys of lines that are new or different since publication (sorted)."""
    out = {}
    for unit in sorted(set(frozen) | set(live)):
        before, now = frozen.get(unit, {}), live.get(unit, {})
        keys = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
        if keys:
            out[unit] = keys
    return out


def changed_units(frozen_rows: list[dict], live_rows: list[dict]) -> list[dict]:
    """Units whose rank, score or veto differs (or that appeared / disappeared), in the
    live order; each with `published` and `now` ({rank, score, vetoed} or None)."""
    def pick(row: dict | None) -> dict | None:
        return None if row is None else {"rank": row["rank"], "score": row["score"], "vetoed": row["vetoed"]}

    before = {r["unit"]: r for r in frozen_rows}
    now = {r["unit"]: r for r in live_rows}
    order = [r["unit"] for r in live_rows] + [u for u in before if u not in now]
    out = []
    for unit in order:
        b, n = pick(before.get(unit)), pick(now.get(unit))
        if b != n:
            out.append({"unit": unit, "published": b, "now": n})
    return out
