"""Kafka topics and keys: part of the contract with every producer."""
from __future__ import annotations

PREFIX = "hallscore"

# Input topics, one per event family. All are keyed by unit (see unit_key) so
# that every event of a unit lands on one partition, in order, and the
# scoring tables (keyed by unit) are co-partitioned with them.
FAMILY_TOPICS: dict[str, str] = {
    "attendance": f"{PREFIX}.attendance",
    "review": f"{PREFIX}.reviews",
    "transaction": f"{PREFIX}.transactions",
    "complaint": f"{PREFIX}.complaints",
    "supervision": f"{PREFIX}.supervision",
    # Written by the rectification service only (never accepted from devices):
    "case": f"{PREFIX}.cases",  # every case transition; projected to case_events
    "rectification": f"{PREFIX}.rectification",  # rectification.overdue, for scoring
}
CASE_TOPIC = FAMILY_TOPICS["case"]
# Families a device token may send through intake; the others are written by
# services (a unit must not be able to close its own case by posting events).
DEVICE_FAMILIES: frozenset[str] = frozenset({"attendance", "review", "transaction", "complaint", "supervision"})
# Topics scoring consumes and the projector copies into raw_events: every
# family but the case transitions, which have their own table.
EVENT_TOPICS: tuple[str, ...] = tuple(t for f, t in FAMILY_TOPICS.items() if f != "case")
LEDGER_TOPIC = f"{PREFIX}.ledger"  # score-ledger rows from scoring
VETO_TOPIC = f"{PREFIX}.vetoes"  # 一票否决 raised, per unit-year

# Every topic the system owns has the same partition count so that faust can
# co-partition tables with all of them.
DEFAULT_PARTITIONS = 4


def topic_for(event_type: str) -> str:
    try:
        return FAMILY_TOPICS[family_of(event_type)]
    except KeyError:
        raise ValueError(f"no topic for event type {event_type!r}") from None


def unit_key(hall: str, unit: str) -> bytes:
    """Message key: unit ids are unique within a hall, so the key is both."""
    return f"{hall}/{unit}".encode()


def all_topics(partitions: int = DEFAULT_PARTITIONS) -> dict[str, int]:
    return {t: partitions for t in (*EVENT_TOPICS, CASE_TOPIC, LEDGER_TOPIC, VETO_TOPIC)}


def family_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]
