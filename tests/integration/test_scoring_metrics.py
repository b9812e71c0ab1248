"""The scoring worker's consumer lag and faust sensor series, on the real Tansu broker.

The worker runs as a subprocess (as in test_scoring_worker.py) with the lag
refreshed every 0.5 s, and /metrics is polled while it works:
  1. warm-up events, so every partition has history (a lag computed from
     offset 0 instead of the committed offset would then show too much);
  2. one hallscore_scoring_consumer_lag series per event topic and partition
     (6 x 4), all 0 once the warm-up is consumed;
  3. a batch of N events: during it the lag of the partitions that got a
     good share of the batch must go above 0 and never above what was
     produced to that partition after it read 0 (end offsets measured
     independently: max of ListOffsets and a fetch's high-water mark);
  4. all back to 0 once consumed, and the group's committed offsets (read
     from the broker) equal the true end offsets, so that 0 is true;
  5. faust's sensor series (hallscore_scoring_faust_*) are there and moved;
     with promtool installed, the whole /metrics page passes
     `promtool check metrics` (Prometheus naming conventions).
Figures are printed (run with -s).
"""
from __future__ import annotations

import shutil
import subprocess
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from hallscore.kafka.admin import ensure_topics
from hallscore.kafka.tansu_fix import true_end_offsets
from schemas.topics import DEFAULT_PARTITIONS, EVENT_TOPICS, all_topics
from tests.integration.test_scoring_worker import Worker, _canonical, _demo, _produce, _wait

pytestmark = pytest.mark.integration

WARMUP_EVENTS = 600
BATCH_EVENTS = 4000
TIMEOUT_S = 120.0
LAG = "hallscore_scoring_consumer_lag"
ALL_TPS = {(t, p) for t in EVENT_TOPICS for p in range(DEFAULT_PARTITIONS)}


def _scrape(worker: Worker) -> tuple[str, dict[str, dict[tuple, float]]]:
    """(/metrics text, {sample name: {sorted label items: value}}); ('', {}) if not up."""
    try:
        text = urllib.request.urlopen(worker.metrics_url, timeout=2).read().decode()
    except OSError:
        return "", {}
    out: dict[str, dict[tuple, float]] = defaultdict(dict)
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[s.name][tuple(sorted(s.labels.items()))] = s.value
    return text, out


def _lag(samples: dict[str, dict[tuple, float]]) -> dict[tuple[str, int], float]:
    return {(dict(k)["topic"], int(dict(k)["partition"])): v for k, v in samples.get(LAG, {}).items()}


def _ends(bootstrap: str) -> dict[tuple[str, int], int]:
    return {(tp.topic, tp.partition): off for tp, off in
            true_end_offsets(bootstrap, [TopicPartition(t, p) for t, p in sorted(ALL_TPS)]).items()}


def _committed(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        return {(t, p): c.committed(TopicPartition(t, p)) or 0 for t, p in sorted(ALL_TPS)}
    finally:
        c.close(autocommit=False)


def test_scoring_lag_and_faust_sensors(kafka_bootstrap: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    ensure_topics(kafka_bootstrap, all_topics(DEFAULT_PARTITIONS))
    app_id = f"hallscore-scoring-lag-{run}"
    worker = Worker(kafka_bootstrap, tmp_path / "data", app_id, tmp_path)
    worker.env["HALLSCORE_LAG_REFRESH_S"] = "0.5"
    demo = _demo(f"it-lag-{run}", run)
    assert len(demo) >= WARMUP_EVENTS + BATCH_EVENTS
    try:
        # ---- 1-2: warm-up, then every partition's series at 0 -------------
        _produce(kafka_bootstrap, (_canonical(r) for r in demo[:WARMUP_EVENTS]))
        worker.start()
        samples: dict = {}

        def all_zero() -> bool:
            nonlocal samples
            if not worker.alive():
                pytest.fail(f"worker exited; log:\n{worker.tail()}")
            samples = _scrape(worker)[1]
            lag = _lag(samples)
            return set(lag) == ALL_TPS and not any(lag.values())

        ready_s = _wait("a lag series per event partition, all 0", all_zero, TIMEOUT_S, 0.2)
        assert set(_lag(samples)) == ALL_TPS  # one series per topic and partition, no extra
        before = _ends(kafka_bootstrap)
        assert sum(before.values()) >= WARMUP_EVENTS
        events_before = sum(samples.get("hallscore_scoring_events_total", {}).values())

        # ---- 3: a batch; lag above 0 while it is worked through -----------
        batch = demo[WARMUP_EVENTS:WARMUP_EVENTS + BATCH_EVENTS]
        _produce(kafka_bootstrap, (_canonical(r) for r in batch))
        after = _ends(kafka_bootstrap)
        produced = {tp: after[tp] - before[tp] for tp in ALL_TPS}
        assert sum(produced.values()) == len(batch)
        max_lag: dict[tuple[str, int], float] = defaultdict(float)
        polls = 0

        def drained() -> bool:
            nonlocal samples, polls
            if not worker.alive():
                pytest.fail(f"worker exited; log:\n{worker.tail()}")
            samples = _scrape(worker)[1]
            lag = _lag(samples)
            polls += 1
            for tp, v in lag.items():
                max_lag[tp] = max(max_lag[tp], v)
            done = sum(samples.get("hallscore_scoring_events_total", {}).values()) - events_before
            return done >= len(batch) and set(lag) == ALL_TPS and not any(lag.values())

        drain_s = _wait("the batch processed, committed and lag back to 0", drained, TIMEOUT_S, 0.1)
        print(f"\n[scoring-lag] all {len(ALL_TPS)} series at 0 {ready_s:.1f}s after start "
              f"({WARMUP_EVENTS} warm-up events); batch of {len(batch)}: lag back to 0 after "
              f"{drain_s:.1f}s ({polls} scrapes); max total lag seen {sum(max_lag.values()):.0f}, "
              f"per partition (seen/produced): "
              + ", ".join(f"{t.split('.')[-1]}[{p}] {max_lag[(t, p)]:.0f}/{produced[(t, p)]}"
                          for t, p in sorted(ALL_TPS) if produced[(t, p)]))
        over = {tp: (max_lag[tp], produced[tp]) for tp in ALL_TPS if max_lag[tp] > produced[tp]}
        assert not over, f"lag above what was produced after it read 0 (seen, produced): {over}"
        big = [tp for tp in ALL_TPS if produced[tp] >= len(batch) // 10]
        assert big, produced
        unseen = [tp for tp in big if max_lag[tp] == 0]
        assert not unseen, f"no lag ever seen on {unseen} although {[produced[tp] for tp in unseen]} records came in"

        # ---- 4: the 0 is true: committed offsets = end offsets -------------
        ends, committed = _ends(kafka_bootstrap), _committed(kafka_bootstrap, app_id)
        behind = {tp: (committed[tp], ends[tp]) for tp in ALL_TPS if committed[tp] != ends[tp]}
        assert not behind, f"lag 0 but committed != end offset (committed, end): {behind}"

        # ---- 5: faust's sensors ------------------------------------------
        text, samples = _scrape(worker)

        def total(name: str, **labels: str) -> float:
            return sum(v for k, v in samples.get(name, {}).items() if labels.items() <= set(k))

        moved = {
            "hallscore_scoring_faust_messages_received_total": total("hallscore_scoring_faust_messages_received_total"),
            "hallscore_scoring_faust_events_total": total("hallscore_scoring_faust_events_total"),
            "hallscore_scoring_faust_table_operations_total{unit_periods,keys_updated}": total(
                "hallscore_scoring_faust_table_operations_total", table="table.unit_periods", operation="keys_updated"),
            "hallscore_scoring_faust_messages_sent_total": total("hallscore_scoring_faust_messages_sent_total"),
            "hallscore_scoring_faust_commit_latency_seconds_count": total("hallscore_scoring_faust_commit_latency_seconds_count"),
            "hallscore_scoring_faust_assignments_total{completed}": total("hallscore_scoring_faust_assignments_total", operation="completed"),
        }
        print(f"[scoring-lag] faust sensors: {moved}")
        assert moved["hallscore_scoring_faust_events_total"] >= len(batch) + WARMUP_EVENTS, moved
        assert moved["hallscore_scoring_faust_messages_received_total"] >= len(batch) + WARMUP_EVENTS, moved
        assert all(v > 0 for v in moved.values()), moved
        # faust's end offsets (high-water marks seen with fetched records) agree with the truth
        faust_end = {(dict(k)["topic"], int(dict(k)["partition"])): v
                     for k, v in samples.get("hallscore_scoring_faust_end_offset", {}).items()}
        wrong = {tp: (v, ends[tp]) for tp, v in faust_end.items() if tp in ALL_TPS and v != ends[tp]}
        assert not wrong, f"faust end offsets differ from the true end offsets: {wrong}"
        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], check=False, input=text, capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, r.stdout + r.stderr
        code, _ = worker.terminate()
        assert code == 0, worker.tail()
    except BaseException:
        print(f"\n[scoring-lag] worker log ({worker.log_path}):\n{worker.tail(60)}")
        raise
    finally:
        worker.cleanup()
