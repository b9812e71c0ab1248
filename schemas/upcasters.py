"""Upcasters: turn a stored/older event dict into the next schema_version.

Registered as UPCASTERS[(type, from_version)] = function(dict) -> dict whose
schema_version is from_version + 1. Replay and intake both run events through
`upcast` so that the scoring core only ever sees the current shape.
"""
from __future__ import annotations

from typing import Callable

Upcaster = Callable[[dict], dict]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def register(type_: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    def deco(fn: Upcaster) -> Upcaster:
        UPCASTERS[(type_, from_version)] = fn
        return fn

    return deco


def upcast(raw: dict, current: dict[str, int], upcasters: dict[tuple[str, int], Upcaster] | None = None) -> dict:
    """Apply upcasters until the event reaches its type's current version.

    Unknown types and versions are left alone: validation reports them.
    """
    table = UPCASTERS if upcasters is None else upcasters
    type_ = raw.get("type")
    version = raw.get("schema_version")
    target = current.get(type_) if isinstance(type_, str) else None
    while isinstance(version, int) and target is not None and version < target:
        step = table.get((type_, version))
        if step is None:
            break
        raw = step(dict(raw))
        version = raw.get("schema_version")
    return raw
