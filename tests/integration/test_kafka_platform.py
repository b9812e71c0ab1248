"""hallscore.kafka against the embedded Tansu broker (the dev/test broker).

Figures (startup, PublishError latency, wrong vs right end offsets) are
printed; run with -s to see them.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from hallscore.kafka.admin import ensure_topics
from hallscore.kafka.broker import BrokerStartError, EmbeddedBroker
from hallscore.kafka.producer import PublishError, make_producer, send_all
from hallscore.kafka.tansu_fix import install_end_offsets_fix, true_end_offsets
from tests.fixtures.kafka import unique_name

pytestmark = pytest.mark.integration


def _partition_counts(bootstrap: str, topic: str, partitions: int, expect_total: int) -> dict[TopicPartition, int]:
    """Ground truth: count records per partition by reading from the start."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        c.assign(tps)
        c.seek_to_beginning(*tps)
        counts = Counter({tp: 0 for tp in tps})
        deadline = time.monotonic() + 20
        idle_until = None
        while time.monotonic() < deadline:
            got = c.poll(timeout_ms=200)
            for tp, recs in got.items():
                counts[tp] += len(recs)
            if sum(counts.values()) >= expect_total:
                # keep polling briefly: extra records would be a bug too
                idle_until = idle_until or time.monotonic() + 0.5
                if time.monotonic() >= idle_until:
                    break
        return dict(counts)
    finally:
        c.close(autocommit=False)


def _produce_in_batches(bootstrap: str, topic: str, batches: list[int]) -> int:
    """Several send_all calls of different sizes -> several batches per partition."""
    p = make_producer(bootstrap)
    try:
        n = 0
        for size in batches:
            send_all(p, [(topic, b"k%d" % (n + i), b"v%d" % (n + i)) for i in range(size)], 10)
            n += size
        return n
    finally:
        p.close(timeout=5)


def test_broker_starts_fast_and_answers_metadata(kafka_broker):
    print(f"\n[figure] tansu startup (spawn -> metadata ok): {kafka_broker.startup_s * 1000:.0f} ms")
    assert kafka_broker.running
    assert kafka_broker.startup_s < 5


def test_second_broker_on_same_port_is_refused(kafka_broker):
    # Tansu does not exit at once on AddrInUse, so without a check the probe
    # would succeed against the first broker.
    with pytest.raises(BrokerStartError, match="already in use"):
        EmbeddedBroker(port=kafka_broker.port).start()
    assert kafka_broker.running


def test_ensure_topics_is_idempotent(kafka_bootstrap):
    a, b = unique_name("t-a"), unique_name("t-b")
    want = {a: 3, b: 1}
    assert ensure_topics(kafka_bootstrap, want) == want
    assert ensure_topics(kafka_bootstrap, want) == want  # already exists: fine
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics([a, b])}
    finally:
        admin.close()
    assert described == want


def test_send_all_then_consume_exact_count(kafka_bootstrap):
    topic, group = unique_name("t-roundtrip"), unique_name("g-roundtrip")
    ensure_topics(kafka_bootstrap, {topic: 3})
    n = 3000
    sent = {b"v%d" % i for i in range(n)}
    producer = make_producer(kafka_bootstrap)
    try:
        t0 = time.monotonic()
        send_all(producer, [(topic, b"hall-%d" % (i % 17), b"v%d" % i) for i in range(n)], 30)
        print(f"\n[figure] send_all {n} records acks=all: {time.monotonic() - t0:.2f} s")
    finally:
        producer.close(timeout=5)

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        # Tansu holds a join for session_timeout/2: 6 s -> 3 s join.
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    try:
        got: list[bytes] = []
        t0 = time.monotonic()
        deadline = t0 + 30
        while len(got) < n and time.monotonic() < deadline:
            for recs in consumer.poll(timeout_ms=500).values():
                got.extend(r.value for r in recs)
        print(f"[figure] group consume {len(got)} records (incl. join): {time.monotonic() - t0:.2f} s")
        for recs in consumer.poll(timeout_ms=1000).values():  # nothing extra may follow
            got.extend(r.value for r in recs)
    finally:
        consumer.close(autocommit=False)
    assert len(got) == n
    assert set(got) == sent


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_send_all_to_dead_broker_raises_publish_error_fast(tmp_path, how):
    # Private broker: the shared one must stay up for other tests.
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        topic = unique_name("t-dead")
        ensure_topics(broker.bootstrap, {topic: 2})
        producer = make_producer(broker.bootstrap)
        try:
            send_all(producer, [(topic, b"k", b"before")], 10)  # healthy first
            getattr(broker, how)()
            records = [(topic, b"k%d" % i, b"after") for i in range(20)]
            t0 = time.monotonic()
            with pytest.raises(PublishError) as err:
                send_all(producer, records, timeout_s=10)
            elapsed = time.monotonic() - t0
            print(f"\n[figure] PublishError after broker {how}: {elapsed:.2f} s "
                  f"({err.value.failed}/{err.value.total} failed; {err.value.first_error!r})")
            assert err.value.failed == err.value.total == 20
            assert elapsed < 10.5
        finally:
            producer.close(timeout=1)


def test_true_end_offsets_match_records_produced(kafka_bootstrap):
    topic = unique_name("t-end")
    parts = 3
    ensure_topics(kafka_bootstrap, {topic: parts})
    total = _produce_in_batches(kafka_bootstrap, topic, [7, 1, 25, 3, 40, 2])
    truth = _partition_counts(kafka_bootstrap, topic, parts, total)
    assert sum(truth.values()) == total

    tps = list(truth)
    c = KafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=None)
    try:
        listed = c.end_offsets(tps)  # plain ListOffsets(LATEST)
    finally:
        c.close(autocommit=False)
    t0 = time.monotonic()
    fixed = true_end_offsets(kafka_bootstrap, tps)
    dt = time.monotonic() - t0
    print(f"\n[figure] produced per partition {[truth[tp] for tp in tps]} (total {total})")
    print(f"[figure] ListOffsets LATEST          {[listed[tp] for tp in tps]} (total {sum(listed.values())})")
    print(f"[figure] true_end_offsets            {[fixed[tp] for tp in tps]} ({dt * 1000:.0f} ms)")
    assert fixed == truth

    # Also correct for (topic, partition) tuples, and for an empty topic.
    assert true_end_offsets(kafka_bootstrap, [(topic, 0)]) == {(topic, 0): truth[tps[0]]}
    empty = unique_name("t-empty")
    ensure_topics(kafka_bootstrap, {empty: 2})
    assert true_end_offsets(kafka_bootstrap, [(empty, 0), (empty, 1)]) == {(empty, 0): 0, (empty, 1): 0}


def test_true_end_offsets_with_batches_larger_than_lookup_fetch_size(kafka_bootstrap):
    # The lookup fetches at most 64 KiB per partition; a bigger last batch
    # must still come back whole (KIP-74) and carry the high-water mark.
    topic = unique_name("t-big")
    ensure_topics(kafka_bootstrap, {topic: 1})
    p = make_producer(kafka_bootstrap, max_request_size=2_000_000)
    try:
        for _ in range(3):
            send_all(p, [(topic, None, b"x" * 300_000), (topic, None, b"y" * 300_000)], 10)
    finally:
        p.close(timeout=5)
    assert true_end_offsets(kafka_bootstrap, [(topic, 0)]) == {(topic, 0): 6}


def test_aiokafka_end_offsets_fix_returns_true_end_offsets(kafka_bootstrap, monkeypatch):
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition as ATP

    # Restore the unpatched method after this test.
    monkeypatch.setattr(AIOKafkaConsumer, "end_offsets", AIOKafkaConsumer.end_offsets)

    topic, empty = unique_name("t-aio"), unique_name("t-aio-empty")
    ensure_topics(kafka_bootstrap, {topic: 2, empty: 1})
    total = _produce_in_batches(kafka_bootstrap, topic, [5, 9, 1, 30, 4])
    truth = _partition_counts(kafka_bootstrap, topic, 2, total)
    expected = {ATP(tp.topic, tp.partition): n for tp, n in truth.items()}
    expected[ATP(empty, 0)] = 0
    tps = list(expected)

    async def end_offsets() -> dict:
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(tps)
            return await consumer.end_offsets(tps)
        finally:
            await consumer.stop()

    before = asyncio.run(end_offsets())
    install_end_offsets_fix()
    patched = AIOKafkaConsumer.end_offsets
    install_end_offsets_fix()  # idempotent: no double wrapping
    assert AIOKafkaConsumer.end_offsets is patched
    t0 = time.monotonic()
    after = asyncio.run(end_offsets())
    dt = time.monotonic() - t0
    print(f"\n[figure] aiokafka end_offsets unpatched {[before[tp] for tp in tps]}")
    print(f"[figure] aiokafka end_offsets patched   {[after[tp] for tp in tps]} "
          f"(expected {[expected[tp] for tp in tps]}; start+lookup+stop {dt * 1000:.0f} ms)")
    assert after == expected
    assert all(isinstance(tp, ATP) for tp in after)  # keys unchanged for callers
