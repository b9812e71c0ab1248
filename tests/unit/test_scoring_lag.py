"""services/scoring/lag.py and faust_sensors.py without a broker (the real
worker on Tansu: tests/integration/test_scoring_metrics.py)."""
from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from services.scoring import faust_sensors
from services.scoring.lag import LagGauge, partition_lag


class FakeConsumer:
    """The bits of faust's aiokafka Consumer that lag.py reads."""

    def __init__(self, highwater: dict, committed: dict, earliest: dict | None = None, fail: bool = False):
        self._hw, self.fail, self.earliest, self.asked = highwater, fail, earliest or {}, []
        self._committed_offset = defaultdict(lambda: None, committed)

    def assignment(self):
        if self.fail:
            raise RuntimeError("consumer not started")
        return set(self._hw)

    def highwater(self, tp):
        if isinstance(self._hw[tp], Exception):
            raise self._hw[tp]
        return self._hw[tp]

    async def earliest_offsets(self, *tps):
        self.asked.append(set(tps))
        if isinstance(self.earliest, Exception):
            raise self.earliest
        return {tp: self.earliest[tp] for tp in tps}


A0, A1, A2, A3, L0 = TP("ev", 0), TP("ev", 1), TP("ev", 2), TP("ev", 3), TP("ledger", 0)


def test_lag_is_highwater_minus_committed_else_log_start():
    c = FakeConsumer(highwater={A0: 100, A1: 50, A2: None, A3: AssertionError("Partition is not assigned"), L0: 9},
                     committed={A0: 40, L0: 1})
    # A0: committed; A1: never committed -> log start (e.g. 50 after
    # retention: 0, not its whole high-water mark); A2: no fetch answer yet,
    # A3: revoked meanwhile -> no sample; L0: not an input topic.
    assert partition_lag(c, ["ev"], {A1: 50}) == {("ev", 0): 60, ("ev", 1): 0}
    assert partition_lag(c, ["ev"], {A1: 0}) == {("ev", 0): 60, ("ev", 1): 50}
    assert partition_lag(c, ["ev"]) == {("ev", 0): 60}  # log start unknown: no sample
    assert A1 not in c._committed_offset  # read without inserting into faust's defaultdict
    assert partition_lag(FakeConsumer({A0: 3}, {A0: 7}), ["ev"]) == {("ev", 0): 0}  # never negative
    assert partition_lag(FakeConsumer({}, {}, fail=True), ["ev"]) == {}


def test_refresh_asks_log_start_once_and_only_until_committed():
    reg = CollectorRegistry()
    lg = LagGauge(Gauge("t_lag2", "t", ["topic", "partition"], registry=reg), ["ev"])
    c = FakeConsumer({A0: 10, A1: 20}, {A0: 4}, earliest={A1: 5})
    assert asyncio.run(lg.refresh(c)) == {("ev", 0): 6, ("ev", 1): 15}
    assert asyncio.run(lg.refresh(c)) == {("ev", 0): 6, ("ev", 1): 15}
    assert c.asked == [{A1}]  # cached
    c._committed_offset[A1] = 20
    assert asyncio.run(lg.refresh(c)) == {("ev", 0): 6, ("ev", 1): 0}
    down = FakeConsumer({A0: 10, A2: 20}, {A0: 4}, earliest=RuntimeError("broker away"))
    assert asyncio.run(lg.refresh(down)) == {("ev", 0): 6}  # A2 skipped, A0 still reported


def test_gauge_drops_series_of_revoked_partitions():
    reg = CollectorRegistry()
    gauge = Gauge("t_lag", "t", ["topic", "partition"], registry=reg)
    lg = LagGauge(gauge, ["ev"])
    asyncio.run(lg.refresh(FakeConsumer({A0: 10, A1: 20}, {A0: 4, A1: 20})))
    assert reg.get_sample_value("t_lag", {"topic": "ev", "partition": "0"}) == 6
    assert reg.get_sample_value("t_lag", {"topic": "ev", "partition": "1"}) == 0
    asyncio.run(lg.refresh(FakeConsumer({A1: 25}, {A1: 20})))  # A0 revoked
    assert reg.get_sample_value("t_lag", {"topic": "ev", "partition": "0"}) is None
    assert reg.get_sample_value("t_lag", {"topic": "ev", "partition": "1"}) == 5


def test_faust_metrics_fields_names_and_seconds():
    reg = CollectorRegistry()
    m = faust_sensors.build_metrics(reg, prefix="x_")
    assert isinstance(m, FaustMetrics) and all(f is not None for f in m)  # every field of this faust version
    mon = PrometheusMonitor(metrics=m)
    mon.on_commit_completed(consumer=None, state=mon.time() - 0.25)  # faust passes ms: stored as seconds
    assert 0.2 < reg.get_sample_value("x_commit_latency_seconds_sum") < 5
    mon.on_tp_commit({TP("ev", 2): 17})
    assert reg.get_sample_value("x_committed_offset", {"topic": "ev", "partition": "2"}) == 17
    names = {mf.name for mf in reg.collect()}
    # no gauge named *_total, no ms unit, no faust spelling "commited"
    gauges = {mf.name for mf in reg.collect() if mf.type == "gauge"}
    assert not any(n.endswith("_total") for n in gauges), gauges
    assert not any("_ms" in n or "commited" in n for n in names), names
    text = generate_latest(reg).decode()
    assert "x_events_total " in text and "x_rebalances_in_progress " in text


def test_shared_metrics_is_one_set_per_process():
    assert faust_sensors.shared_metrics() is faust_sensors.shared_metrics()
    a, b = faust_sensors.make_monitor(), faust_sensors.make_monitor()
    assert a is not b and a._metrics is b._metrics


def test_scoring_names_do_not_collide_with_faust_sensors():
    from services.scoring import metrics

    faust_sensors.shared_metrics()
    from prometheus_client import REGISTRY

    ours = {n for n in REGISTRY._names_to_collectors if n.startswith("hallscore_scoring_")}
    faust = {n for n in ours if n.startswith(faust_sensors.PREFIX)}
    assert metrics.CONSUMER_LAG in REGISTRY._names_to_collectors.values()
    assert faust and len(ours - faust) >= 8
    with pytest.raises(ValueError):  # the registry refuses duplicates: creating them twice fails loudly
        faust_sensors.build_metrics()
