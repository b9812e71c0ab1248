"""ClickHouse DDL for hallscore. Portable: ClickHouse 18.16 and chDB 26.9.

No LowCardinality, CODEC, TTL, DateTime64, JSON or Map (18.16 lacks them); all
timestamps are DateTime('Asia/Shanghai'); money is Decimal(9,2).
"""
from __future__ import annotations

from .adapter import Store

__all__ = ["RAW_EVENT_COLUMNS", "LEDGER_COLUMNS", "KINDS", "DDL", "ensure_schema"]

RAW_EVENTS = "raw_events"
LEDGER = "ledger"

RAW_EVENT_COLUMNS: tuple[str, ...] = (
    "event_id", "type", "schema_version", "hall", "unit", "window", "staff", "device",
    "occurred_at", "received_at", "payload",
)

LEDGER_COLUMNS: tuple[str, ...] = (
    "rubric_version", "rule_id", "source_id", "hall", "unit", "staff", "category", "kind",
    "status", "points", "week_monday", "occurred_at", "detail", "revision", "period",
)

KINDS: tuple[str, ...] = ("deduction", "bonus", "veto")

# `window` and `type` are quoted with backticks: harmless everywhere, and `window` is a
# keyword in newer ClickHouse SQL.
RAW_EVENTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {RAW_EVENTS} (
    event_id String,
    `type` String,
    schema_version UInt16,
    hall String,
    unit String,
    `window` String,
    staff String,
    device String,
    occurred_at DateTime('Asia/Shanghai'),
    received_at DateTime('Asia/Shanghai'),
    payload String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (hall, unit, event_id)
"""

LEDGER_DDL = f"""
CREATE TABLE IF NOT EXISTS {LEDGER} (
    rubric_version String,
    rule_id String,
    source_id String,
    hall String,
    unit String,
    staff String,
    category String,
    kind Enum8('deduction' = 1, 'bonus' = 2, 'veto' = 3),
    status String,
    points Decimal(9, 2),
    week_monday Date,
    occurred_at DateTime('Asia/Shanghai'),
    detail String,
    revision UInt64,
    period String
) ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYear(week_monday)
ORDER BY (rubric_version, hall, week_monday, unit, source_id, rule_id)
"""

DDL: tuple[str, ...] = (RAW_EVENTS_DDL, LEDGER_DDL)


def ensure_schema(store: Store) -> None:
    """Create the tables if missing. Idempotent; safe on every start."""
    for stmt in DDL:
        store.execute(stmt)
