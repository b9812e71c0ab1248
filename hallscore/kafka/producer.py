"""The one way hallscore publishes events: acks=all, bounded waits, all-or-error.

Intake answers a client only after every record of a request is acknowledged
by the broker; if anything fails it answers 503 and the client retries.
Delivery is therefore at-least-once: a timed-out record may still land, so
consumers de-duplicate by event id.
"""
from __future__ import annotations

import time
from typing import Any, Iterable

from kafka import KafkaProducer

# Defaults chosen so an unreachable broker surfaces within ~5 s (intake can
# then answer 503) instead of the client defaults of 60-120 s.
PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all",
    # Idempotence OFF on purpose. On Tansu (dev/test broker) an idempotent
    # kafka-python producer breaks for good after a broker restart
    # (UnknownProducerIdError on every send). On Apache Kafka this costs only
    # the broker-side de-dup of retried batches, which our consumers already
    # do by event id, so it is harmless there.
    "enable_idempotence": False,
    # Without idempotence, retries with several requests in flight can
    # reorder records of one key; one in flight keeps per-partition order.
    "max_in_flight_requests_per_connection": 1,
    "retries": 5,
    "retry_backoff_ms": 200,
    "linger_ms": 5,  # small: intake latency matters more than batch size
    "batch_size": 64 * 1024,
    "request_timeout_ms": 3000,
    # Upper bound from send() to success/failure (>= request_timeout + linger).
    "delivery_timeout_ms": 5000,
    # send() blocks this long at most when metadata is missing (broker down).
    "max_block_ms": 3000,
    "reconnect_backoff_ms": 100,
    "reconnect_backoff_max_ms": 1000,
    "bootstrap_timeout_ms": 10000,
    # Topics are created explicitly (admin.ensure_topics) with their partition
    # count; never let a produce auto-create one (Tansu would use 4 partitions,
    # e.g. after a restart that lost all topics). Kafka: same, harmless.
    "allow_auto_create_topics": False,
}


class PublishError(RuntimeError):
    """At least one record of a batch was not acknowledged. Acknowledge nothing."""

    def __init__(self, message: str, failed: int, total: int, first_error: BaseException | None):
        super().__init__(message)
        self.failed = failed
        self.total = total
        self.first_error = first_error


def make_producer(bootstrap: str, **overrides: Any) -> KafkaProducer:
    """A KafkaProducer with PRODUCER_DEFAULTS; keys/values are raw bytes."""
    cfg = {**PRODUCER_DEFAULTS, "client_id": "hallscore", **overrides}
    return KafkaProducer(bootstrap_servers=bootstrap, **cfg)


def send_all(
    producer: KafkaProducer,
    records: Iterable[tuple[str, bytes | None, bytes]],
    timeout_s: float = 10.0,
) -> None:
    """Send (topic, key, value) records and wait for every acknowledgement.

    Returns only if all were acknowledged; otherwise raises one PublishError
    (after waiting for / giving up on all of them, never on the first one,
    so the error counts how many failed).
    """
    records = list(records)
    deadline = time.monotonic() + timeout_s
    futures = []
    errors: list[BaseException] = []
    for topic, key, value in records:
        try:
            # May block up to max_block_ms if metadata is unavailable.
            futures.append(producer.send(topic, key=key, value=value))
        except Exception as e:  # KafkaTimeoutError, closed producer, too large...
            errors.append(e)
            break  # broker/metadata trouble: the rest would fail the same way
    failed = len(records) - len(futures)  # never handed to the producer
    for fut in futures:
        try:
            fut.get(timeout=max(deadline - time.monotonic(), 0.0))
        except Exception as e:  # broker error, delivery timeout, or our deadline
            errors.append(e)
            failed += 1
    if errors:
        raise PublishError(
            f"{failed} of {len(records)} records not acknowledged: {errors[0]!r}",
            failed=failed, total=len(records), first_error=errors[0],
        )
