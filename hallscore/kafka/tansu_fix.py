"""Correct end offsets for Tansu's ListOffsets bug; harmless on Apache Kafka.

Tansu 0.6.0 answers ListOffsets(LATEST) with "base offset of the last batch
+ 1" instead of the log end offset, while the high-water mark in a Fetch
response is right. faust reads changelog end offsets through aiokafka's
AIOKafkaConsumer.end_offsets during table recovery, so on Tansu recovery
stops early and silently drops table updates; lag figures are wrong too.

Fix: end offset = max(ListOffsets answer, high-water mark of a fetch). On a
correct broker both are equal (or the fetch is a moment newer), so the max
changes nothing there.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any, Iterable, Mapping, Optional

from kafka import KafkaConsumer
from kafka import TopicPartition as KTP

log = logging.getLogger(__name__)

_PATCHED_ATTR = "_hallscore_end_offsets_fix"


class EndOffsetsError(RuntimeError):
    """High-water marks could not be read in time."""


def _ktp(tp: Any) -> KTP:
    # Accepts kafka-python / aiokafka / faust TopicPartitions or (topic, p).
    return KTP(tp[0], tp[1]) if isinstance(tp, tuple) else KTP(tp.topic, tp.partition)


def true_end_offsets(
    bootstrap: str | list[str],
    tps: Iterable[Any],
    listed: Optional[Mapping[Any, int]] = None,
    timeout_s: float = 10.0,
    **consumer_cfg: Any,
) -> dict[Any, int]:
    """Log end offsets, keyed like the given tps: max(ListOffsets, fetch high-water).

    ``listed`` is the ListOffsets answer if the caller already has it
    (aiokafka patch); otherwise it is asked here. Raises EndOffsetsError if
    a partition's high-water mark cannot be read within timeout_s.
    """
    tps = list(tps)
    if not tps:
        return {}
    ktps = {tp: _ktp(tp) for tp in tps}
    deadline = time.monotonic() + timeout_s
    ms = max(int(timeout_s * 1000), 1000)
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="hallscore-end-offsets",
        group_id=None,  # plain assign: no group join, no commits
        enable_auto_commit=False,
        # If listed-1 is below the log start (retention), restart there: the
        # fetch still carries the high-water mark.
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=64 * 1024,  # one batch is enough for the HW
        request_timeout_ms=ms,
        bootstrap_timeout_ms=ms,
        **consumer_cfg,
    )
    try:
        assigned = list(set(ktps.values()))
        consumer.assign(assigned)
        if listed is None:
            answer = consumer.end_offsets(assigned, timeout_ms=ms)
            listed_k = {k: answer[k] for k in assigned}
        else:
            listed_k = {ktps[tp]: off for tp, off in listed.items() if tp in ktps}
        for k in assigned:
            # Start just before the (possibly too low) listed end: the fetch
            # then returns a little data plus the partition's high-water mark.
            consumer.seek(k, max(listed_k.get(k, 0) - 1, 0))
        hw: dict[KTP, int] = {}
        while True:
            for k in assigned:
                if k not in hw and consumer.highwater(k) is not None:
                    hw[k] = consumer.highwater(k)
                    consumer.pause(k)  # no more fetches for this one
            if len(hw) == len(assigned):
                break
            if time.monotonic() >= deadline:
                missing = sorted(set(assigned) - set(hw))
                raise EndOffsetsError(f"no high-water mark within {timeout_s}s for {missing}")
            consumer.poll(timeout_ms=100)
        return {tp: max(listed_k.get(k, 0), hw[k]) for tp, k in ktps.items()}
    finally:
        consumer.close(autocommit=False)


def install_end_offsets_fix(timeout_s: float = 10.0) -> None:
    """Patch aiokafka AIOKafkaConsumer.end_offsets to return true end offsets.

    Call once before faust/aiokafka consumers start; repeated calls are no-ops.
    If the high-water lookup fails, the ListOffsets answer is returned as
    before and an error is logged (correct on Kafka; on Tansu recovery may
    then be short, which the log makes visible).
    """
    from aiokafka import AIOKafkaConsumer

    original = AIOKafkaConsumer.end_offsets
    if getattr(original, _PATCHED_ATTR, False):
        return

    @functools.wraps(original)
    async def end_offsets(self, partitions):
        listed = await original(self, partitions)
        client = self._client
        if getattr(client, "_security_protocol", "PLAINTEXT") != "PLAINTEXT":
            # Tansu here is local plaintext; a secured cluster is real Kafka,
            # whose answer is right. Don't guess its SSL/SASL settings.
            return listed
        if getattr(self, "_isolation_level", "read_uncommitted") != "read_uncommitted":
            # read_committed end = last stable offset, which may be below the
            # high-water mark on Kafka: raising it would be wrong there.
            return listed
        loop = asyncio.get_running_loop()
        call = functools.partial(
            true_end_offsets, client._bootstrap_servers, list(listed), listed, timeout_s
        )
        try:
            # kafka-python blocks: keep it off the event loop (faust runs this
            # on its consumer thread's loop during table recovery).
            fixed = await loop.run_in_executor(None, call)
        except Exception:
            log.exception("end_offsets fix: high-water lookup failed; using ListOffsets answer")
            return listed
        if fixed != listed:
            log.debug("end_offsets corrected: %s -> %s", listed, fixed)
        return fixed

    setattr(end_offsets, _PATCHED_ATTR, True)
    AIOKafkaConsumer.end_offsets = end_offsets
