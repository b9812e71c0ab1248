"""ClickHouse DDL for hallscore. Portable: ClickHouse 18.16 and chDB 26.9.

No LowCardinality, CODEC, TTL, DateTime64, JSON or Map (18.16 lacks them); all
timestamps are DateTime('Asia/Shanghai'); money is Decimal(9,2).
"""
from __future__ import annotations

from .adapter import Store

__all__ = ["RAW_EVENT_COLUMNS", "LEDGER_COLUMNS", "CASE_EVENT_COLUMNS", "KINDS", "DDL", "ensure_schema"]

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

CASE_EVENTS = "case_events"
CASE_EVENT_COLUMNS: tuple[str, ...] = (
    "event_id", "type", "case_id", "seq", "kind", "state", "hall", "unit", "occurred_at", "actor_role",
    "milestone", "due", "provisional", "started_on", "rule_id", "list_id", "payload",
)

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

# Every transition of every rectification case (topic hallscore.cases), the
# read model behind audits and rates in SQL. A case's current state is the
# row with its highest seq: argMax(state, seq) ... GROUP BY case_id (seq is
# unique per case, so argMax has no ties). `due` is set on case.overdue and
# case.deadline_set rows; `started_on` on case.opened rows.
CASE_EVENTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {CASE_EVENTS} (
    event_id String,
    `type` String,
    case_id String,
    seq UInt32,
    kind String,
    state String,
    hall String,
    unit String,
    occurred_at DateTime('Asia/Shanghai'),
    actor_role String,
    milestone String,
    due Nullable(Date),
    provisional UInt8,
    started_on Nullable(Date),
    rule_id String,
    list_id String,
    payload String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (hall, unit, case_id, seq, event_id)
"""

DDL: tuple[str, ...] = (RAW_EVENTS_DDL, LEDGER_DDL, CASE_EVENTS_DDL)

# Published 周通报 (services/ranking/bulletin.py): immutable snapshots, never updated.
# `body` is the whole bulletin JSON; `lines` the ledger lines it was computed from
# (unit -> source|rule -> kind|status|points), compared with the live ledger to list
# restatements. A second publish of a week is refused; should one slip in (two
# ranking processes racing), readers take the earliest (published_at, publish_id).
BULLETINS_DDL = """
CREATE TABLE IF NOT EXISTS bulletins (
    hall String,
    week_monday Date,
    week String,
    publish_id String,
    rubric_version String,
    published_at DateTime('Asia/Shanghai'),
    published_by String,
    ledger_rows UInt64,
    ledger_max_revision UInt64,
    body String,
    lines String
) ENGINE = MergeTree
PARTITION BY toYear(week_monday)
ORDER BY (hall, week_monday, published_at, publish_id)
"""

# Annual components a manager records (rubric folding.year, source: manual). Every
# recording is kept (history); the latest per key is argMax(value, revision).
YEAR_COMPONENTS_DDL = """
CREATE TABLE IF NOT EXISTS year_components (
    hall String,
    year UInt16,
    unit String,
    component_id String,
    value Decimal(9, 2),
    recorded_at DateTime('Asia/Shanghai'),
    recorded_by String,
    note String,
    revision UInt64
) ENGINE = MergeTree
ORDER BY (hall, year, unit, component_id, revision)
"""

DDL += (BULLETINS_DDL, YEAR_COMPONENTS_DDL)

# Replays (hallscore/replay, docs/replay.md). `replays`: one row per state change of a
# replay job (created, running with totals, done / failed), the latest updated_ns wins;
# rubric_text is the replayed file as uploaded, so every projection label stays
# readable. `replay_units`: the (hall, unit) pairs a replay has written completely —
# progress, and what a resumed replay skips. `active_rubric`: every activation, kept;
# the row with the highest activated_ns is the version the ranking serves.
REPLAYS_DDL = """
CREATE TABLE IF NOT EXISTS replays (
    id String,
    label String,
    rubric_version String,
    rubric_id String,
    file_name String,
    rubric_text String,
    against String,
    date_from Date,
    date_to Date,
    hall String,
    status String,
    events_total UInt64,
    units_total UInt32,
    error String,
    created_at DateTime('Asia/Shanghai'),
    updated_at DateTime('Asia/Shanghai'),
    updated_ns UInt64
) ENGINE = ReplacingMergeTree(updated_ns)
ORDER BY id
"""

REPLAY_UNITS_DDL = """
CREATE TABLE IF NOT EXISTS replay_units (
    id String,
    hall String,
    unit String,
    events UInt64,
    lines UInt64,
    rejected UInt64,
    first_error String,
    done_at DateTime('Asia/Shanghai')
) ENGINE = ReplacingMergeTree
ORDER BY (id, hall, unit)
"""

ACTIVE_RUBRIC_DDL = """
CREATE TABLE IF NOT EXISTS active_rubric (
    activated_ns UInt64,
    activated_at DateTime('Asia/Shanghai'),
    rubric_version String,
    previous String,
    activated_by String,
    note String
) ENGINE = MergeTree
ORDER BY activated_ns
"""

DDL += (REPLAYS_DDL, REPLAY_UNITS_DDL, ACTIVE_RUBRIC_DDL)


# Pre-aggregates for the ranking queries (services/ranking/period_queries.py), fed by
# materialized views on every insert: each unit's first event (a unit is listed from
# the week of its first event on) and the weeks each hall had any data in. Reading them
# costs O(units) / O(weeks) instead of a scan of the hall's raw events. min() and
# existence are idempotent, so a replayed insert or a second backfill changes nothing;
# services/ranking/aggregates.py backfills rows inserted before the views existed.
UNIT_FIRST_SEEN_DDL = """
CREATE TABLE IF NOT EXISTS unit_first_seen (
    hall String,
    unit String,
    first_at AggregateFunction(min, DateTime('Asia/Shanghai'))
) ENGINE = AggregatingMergeTree
ORDER BY (hall, unit)
"""

UNIT_FIRST_SEEN_MV_DDL = """
CREATE MATERIALIZED VIEW IF NOT EXISTS unit_first_seen_mv TO unit_first_seen AS
SELECT hall, unit, minState(occurred_at) AS first_at FROM raw_events GROUP BY hall, unit
"""

HALL_WEEKS_DDL = """
CREATE TABLE IF NOT EXISTS hall_weeks (
    hall String,
    monday Date
) ENGINE = ReplacingMergeTree
ORDER BY (hall, monday)
"""

HALL_WEEKS_EVENTS_MV_DDL = """
CREATE MATERIALIZED VIEW IF NOT EXISTS hall_weeks_events_mv TO hall_weeks AS
SELECT hall, toMonday(occurred_at, 'Asia/Shanghai') AS monday FROM raw_events GROUP BY hall, monday
"""

HALL_WEEKS_LEDGER_MV_DDL = """
CREATE MATERIALIZED VIEW IF NOT EXISTS hall_weeks_ledger_mv TO hall_weeks AS
SELECT hall, week_monday AS monday FROM ledger GROUP BY hall, monday
"""

AGGREGATE_BACKFILLS_DDL = """
CREATE TABLE IF NOT EXISTS aggregate_backfills (
    name String,
    done_at DateTime('Asia/Shanghai')
) ENGINE = MergeTree
ORDER BY name
"""

DDL += (UNIT_FIRST_SEEN_DDL, UNIT_FIRST_SEEN_MV_DDL, HALL_WEEKS_DDL, HALL_WEEKS_EVENTS_MV_DDL,
        HALL_WEEKS_LEDGER_MV_DDL, AGGREGATE_BACKFILLS_DDL)


def ensure_schema(store: Store) -> None:
    """Create the tables if missing. Idempotent; safe on every start."""
    for stmt in DDL:
        store.execute(stmt)
