"""Consumer lag of the scoring worker's input topics, from faust's own consumer state.

Why computed here, from the worker's in-memory state, and not by asking the
broker: Tansu (dev/tests) answers ListOffsets(LATEST) with a too-low end
offset (shared/PLATFORM.md), so a lag built on end_offsets() or on
kafka-consumer-groups would be wrong there. The high-water mark that every
fetch response carries is right on Tansu and on Apache Kafka, and aiokafka
keeps the last one per assigned partition (``highwater(tp)``): no broker
round trip, nothing Tansu-specific, exact on a correct broker.

    lag(tp) = high-water mark - committed offset

The committed offset is the one faust committed for the group (read from the
broker when the partition is assigned, updated at each commit): the usual
Kafka definition, what kafka-consumer-groups shows. It moves every
commit_interval (2.8 s), so lag reads 0 only once processed events are also
committed, i.e. nothing would be redelivered after a crash. A partition the
group has never committed counts from the log start offset (where the
'earliest' reset starts reading; asked once with ListOffsets(EARLIEST),
which Tansu answers right, and forgotten at the first commit): a new group
then shows its whole backlog, and a partition emptied by retention reads 0.
Not the fetch position: the first fetch may already have buffered the whole
partition, which would read 0 before anything is processed (seen on Tansu).
A partition with no fetch answer yet has no sample.

Limits: the high-water mark is as of the last fetch of that partition; while
faust holds a partition back (stream buffer full, table recovery) it is not
refetched and the lag can read low by the records produced since. Only the
partitions assigned to this worker are reported; Prometheus sums workers.

``refresh()`` runs from an app timer (settings.lag_refresh_s, 5 s): a few
dict reads per partition, on the worker's event loop, never on the agent's
path; a broker round trip only for partitions not committed yet.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Iterable, Mapping, Optional

from prometheus_client import Gauge

log = logging.getLogger(__name__)


def _committed(consumer: Any, tp: Any) -> Optional[int]:
    # faust's Consumer keeps the group's committed offset per partition
    # (a defaultdict: .get() so reading it adds nothing).
    offset = getattr(consumer, "_committed_offset", {}).get(tp)
    return offset if isinstance(offset, int) and offset >= 0 else None


def partition_lag(consumer: Any, topics: Iterable[str],
                  log_start: Optional[Mapping[Any, int]] = None) -> dict[tuple[str, int], int]:
    """{(topic, partition): records behind} for the assigned partitions of ``topics``.

    ``consumer`` is the faust app's consumer (``app.consumer``); ``log_start``
    the log start offsets of partitions never committed (see uncommitted()).
    Partitions whose high-water mark or base is not known are left out.
    """
    out: dict[tuple[str, int], int] = {}
    for tp, hw in _highwaters(consumer, topics).items():
        base = _committed(consumer, tp)
        if base is None and log_start is not None:
            base = log_start.get(tp)
        if base is None:
            continue
        out[(tp.topic, tp.partition)] = max(hw - base, 0)
    return out


def uncommitted(consumer: Any, topics: Iterable[str]) -> list[Any]:
    """Assigned partitions with a high-water mark but no committed offset."""
    return [tp for tp in _highwaters(consumer, topics) if _committed(consumer, tp) is None]


def _highwaters(consumer: Any, topics: Iterable[str]) -> dict[Any, int]:
    wanted = set(topics)
    try:
        assigned = [tp for tp in consumer.assignment() if tp.topic in wanted]
    except Exception:  # consumer not started yet / rebalancing
        return {}
    out = {}
    for tp in assigned:
        try:
            hw = consumer.highwater(tp)
        except Exception:  # revoked between assignment() and here
            continue
        if hw is not None:
            out[tp] = hw
    return out


class LagGauge:
    """Keeps a {topic, partition} Gauge equal to partition_lag(); series of
    partitions no longer assigned are removed, not left at their last value."""

    def __init__(self, gauge: Gauge, topics: Iterable[str], timeout_s: float = 10.0):
        self.gauge = gauge
        self.topics = tuple(topics)
        self.timeout_s = timeout_s
        self._labelled: set[tuple[str, str]] = set()
        self._log_start: dict[Any, int] = {}  # partitions not committed yet

    async def refresh(self, consumer: Any) -> dict[tuple[str, int], int]:
        todo = uncommitted(consumer, self.topics)
        self._log_start = {tp: off for tp, off in self._log_start.items() if tp in todo}
        missing = [tp for tp in todo if tp not in self._log_start]
        if missing:
            try:
                found = await asyncio.wait_for(consumer.earliest_offsets(*missing), self.timeout_s)
                self._log_start.update({tp: off for tp, off in found.items() if isinstance(off, int)})
            except Exception as exc:  # broker busy/unreachable: no sample for these this time
                log.debug("lag: log start offsets of %s unavailable: %r", missing, exc)
        return self.set(partition_lag(consumer, self.topics, self._log_start))

    def set(self, lag: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        now = set()
        for (topic, partition), n in lag.items():
            labels = (topic, str(partition))
            self.gauge.labels(*labels).set(n)
            now.add(labels)
        for labels in self._labelled - now:
            try:
                self.gauge.remove(*labels)
            except KeyError:
                pass
        self._labelled = now
        return lag
