"""Topic creation at start-up, idempotent.

Every service calls ensure_topics() for the topics it touches before its
first produce/consume: on Tansu a client's metadata request for an unknown
topic auto-creates it with 4 partitions (and an in-memory Tansu loses its
topics on every restart), so topics must exist with the right partition
count *before* anything else asks for them.
"""
from __future__ import annotations

import logging
import time

import kafka.errors as Errors
from kafka import KafkaAdminClient

log = logging.getLogger(__name__)


class TopicSetupError(RuntimeError):
    """A topic could not be created or did not become visible in time."""


def ensure_topics(
    bootstrap: str,
    topics: dict[str, int],
    replication: int = 1,
    timeout_s: float = 15.0,
) -> dict[str, int]:
    """Create missing topics (name -> partitions); existing ones are fine.

    Returns the partition count each topic actually has. An existing topic
    with a different count is NOT changed (partition counts of keyed topics
    must not change under running consumers); it is logged as a warning and
    visible in the return value for callers that want to refuse to start.
    """
    if not topics:
        return {}
    deadline = time.monotonic() + timeout_s
    ms = int(timeout_s * 1000)
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="hallscore-admin",
        request_timeout_ms=ms,
        bootstrap_timeout_ms=ms,
    )
    try:
        spec = {
            name: {"num_partitions": parts, "replication_factor": replication}
            for name, parts in topics.items()
        }
        resp = admin.create_topics(spec, timeout_ms=ms, raise_errors=False)
        for t in resp["topics"]:
            err = Errors.for_code(t["error_code"])
            if err is Errors.NoError or err is Errors.TopicAlreadyExistsError:
                continue
            raise TopicSetupError(
                f"create topic {t['name']!r} failed: {err.__name__} {t.get('error_message') or ''}"
            )
        return _wait_visible(admin, topics, deadline)
    finally:
        admin.close()


def _wait_visible(admin: KafkaAdminClient, topics: dict[str, int], deadline: float) -> dict[str, int]:
    """Poll metadata until every topic shows all partitions with a leader."""
    pending: dict[str, str] = {}
    while True:
        try:
            described = {t["name"]: t for t in admin.describe_topics(list(topics))}
        except Exception as e:  # transient (e.g. controller moving): retry
            described, pending = {}, {"*": repr(e)}
        actual: dict[str, int] = {}
        pending = {}
        for name in topics:
            t = described.get(name)
            if t is None or t["error_code"] != 0 or not t["partitions"]:
                pending[name] = "not in metadata yet"
            elif any(p["leader_id"] < 0 for p in t["partitions"]):
                pending[name] = "partition without leader"
            else:
                actual[name] = len(t["partitions"])
        if not pending:
            for name, want in topics.items():
                if actual[name] != want:
                    log.warning(
                        "topic %s exists with %d partitions, wanted %d (left unchanged)",
                        name, actual[name], want,
                    )
            return actual
        if time.monotonic() >= deadline:
            raise TopicSetupError(f"topics not ready in time: {pending}")
        time.sleep(0.1)
