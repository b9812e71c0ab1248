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
}
EVENT_TOPICS: tuple[str, ...] = tuple(FAMILY_TOPICS.values())
LEDGER_TOPIC = f"{PREFIX}.ledger"  # score-ledger rows from scoring
VETO_TOPIC = f"{PREFIX}.vetoes"  # 一票否决 raised, per unit-year

# Every topic the system owns has the same partition count so that faust can
# co-partition tables with all of them.
DEFAULT_PARTITIONS = 4


def topic_for(event_type: str) -> str:
    family = event_type.split(".", 1)[0]
    try:
        return FAMILY_TOPICS[family]
    except KeyError:
        raise ValueError(f"no topic for event type {event_type!r}") from None


def unit_key(hall: str, unit: str) -> bytes:
    """Message key: unit ids are unique within a hall, so the key is both."""
    return f"{hall}/{unit}".encode()


def all_topics(partitions: int = DEFAULT_PARTITIONS) -> dict[str, int]:
    return {t: partitions for t in (*EVENT_TOPICS, LEDGER_TOPIC, VETO_TOPIC)}
