"""The scoring worker as a subprocess against the embedded Tansu broker.

One test, in phases (figures are printed; run with -s to see them):
  1. scenario: a late clock-in, a duplicate of it, a dissatisfied review, a
     supervision finding and a veto (after two invalid messages, which must
     be skipped) -> ledger lines and exactly one veto message;
  2. throughput: demo events through the worker, events/s measured from
     the worker's own counter;
  3. crash: kill -9 mid-stream, produce more events while it is down
     (including redelivered copies and a second veto), restart, and compare
     the final ledger (latest revision per source|rule) with the pure core
     run over every event: nothing lost, nothing extra;
  4. SIGTERM stops the worker cleanly (exit 0).

Every event of the run carries one hall id unique to the run, so leftovers of
other tests on the shared broker (same fixed topic names) are filtered out.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Iterable, Optional

import pytest
from kafka import KafkaConsumer, TopicPartition

from hallscore.core.evaluate import evaluate, evaluate_checklist
from hallscore.core.periods import period_label
from hallscore.core.rubric import RUBRICS_DIR, Rubric
from hallscore.core.rubric_set import load_rubric_set, rubric_files
from hallscore.core.schedule import DEFAULT_HALLS_FILE, load_halls
from hallscore.core.unit_period import UnitPeriod, state_key
from hallscore.demo.generate import demo_events
from hallscore.kafka.admin import ensure_topics
from hallscore.kafka.producer import make_producer, send_all
from schemas.registry import parse_event
from schemas.topics import DEFAULT_PARTITIONS, LEDGER_TOPIC, VETO_TOPIC, all_topics, topic_for, unit_key

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
THROUGHPUT_EVENTS = int(os.environ.get("HALLSCORE_IT_THROUGHPUT_EVENTS", "5000"))
CRASH_EVENTS = int(os.environ.get("HALLSCORE_IT_CRASH_EVENTS", "3000"))
WHILE_DOWN_EVENTS = 1000
READY_TIMEOUT_S = 60.0
PHASE_TIMEOUT_S = 120.0
# Fields a ledger line must match the pure core on (revision is when the
# line last changed, so it is not compared).
COMPARED = ("rubric_version", "rule_id", "source_id", "hall", "unit", "staff", "category", "kind", "points",
            "status", "week_monday", "occurred_at", "detail")


# --------------------------------------------------------------------- helpers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, cond: Callable[[], bool], timeout_s: float, every_s: float = 0.1) -> float:
    """Poll cond() until true; return the seconds it took, fail after timeout_s."""
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout_s:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(every_s)
    return time.monotonic() - t0


class Worker:
    """`python -m services.scoring` as a subprocess, configured by env."""

    def __init__(self, bootstrap: str, data_dir: Path, app_id: str, log_dir: Path):
        self.env = {
            **os.environ,
            "HALLSCORE_KAFKA_BOOTSTRAP": bootstrap,
            "HALLSCORE_DATA_DIR": str(data_dir),
            "HALLSCORE_APP_ID": app_id,
            "HALLSCORE_WEB_PORT": str(_free_port()),
            "HALLSCORE_METRICS_PORT": str(_free_port()),
            "PYTHONUNBUFFERED": "1",
        }
        self.metrics_url = f"http://127.0.0.1:{self.env['HALLSCORE_METRICS_PORT']}/metrics"
        self.log_dir = log_dir
        self.proc: Optional[subprocess.Popen] = None
        self.runs = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"scoring-worker-{self.runs}.log"

    def start(self) -> None:
        self.runs += 1
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "services.scoring"], cwd=REPO, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def metrics(self) -> dict[str, float]:
        """Sum of each hallscore_scoring_* sample family (labels summed), {} if not up."""
        try:
            text = urllib.request.urlopen(self.metrics_url, timeout=1).read().decode()
        except OSError:
            return {}
        out: dict[str, float] = defaultdict(float)
        for line in text.splitlines():
            if line.startswith("hallscore_scoring_"):
                name, _, value = line.rpartition(" ")
                name = name.split("{", 1)[0]
                if not name.endswith("_created"):
                    out[name] += float(value)
        return dict(out)

    def processed(self) -> float:
        if not self.alive():
            raise AssertionError(f"worker exited with {self.proc.returncode}; log:\n{self.tail()}")
        return self.metrics().get("hallscore_scoring_events_total", 0.0)

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def kill9(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout_s: float = 20.0) -> tuple[int, float]:
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout_s)
        return code, time.monotonic() - t0

    def cleanup(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


class TopicReader:
    """Reads LEDGER_TOPIC and VETO_TOPIC from the beginning, keeping this run's hall."""

    def __init__(self, bootstrap: str, hall: str):
        self.hall = hall
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        tps = [TopicPartition(t, p) for t in (LEDGER_TOPIC, VETO_TOPIC) for p in range(DEFAULT_PARTITIONS)]
        self.consumer.assign(tps)
        self.consumer.seek_to_beginning(*tps)
        self.ledger: list[dict] = []
        self.vetoes: list[dict] = []

    def poll(self) -> None:
        for tp, records in self.consumer.poll(timeout_ms=100, max_records=50_000).items():
            for r in records:
                v = json.loads(r.value)
                if v.get("hall") != self.hall:
                    continue
                (self.ledger if tp.topic == LEDGER_TOPIC else self.vetoes).append(v)

    def latest(self) -> tuple[dict[tuple[str, str], dict], list[str]]:
        """Latest line per (source_id, rule_id) by max revision; plus conflicts
        (same key and revision, different content: would make the ledger
        ambiguous downstream)."""
        best: dict[tuple[str, str], dict] = {}
        conflicts: list[str] = []
        for line in self.ledger:
            k = (line["source_id"], line["rule_id"])
            old = best.get(k)
            if old is None or line["revision"] > old["revision"]:
                best[k] = line
            elif line["revision"] == old["revision"] and line != old:
                conflicts.append(f"{k} rev {line['revision']}: {old['points']}/{old['status']} vs {line['points']}/{line['status']}")
        return best, conflicts

    def close(self) -> None:
        self.consumer.close(autocommit=False)


def _raw(hall: str, unit: str, type_: str, at: str, payload: dict, *, event_id: str, staff: Optional[str] = "s1") -> dict:
    raw = {"event_id": event_id, "type": type_, "schema_version": 1, "occurred_at": at, "hall": hall, "unit": unit,
           "device": "it-dev", "payload": payload}
    if staff is not None:
        raw["staff"] = staff
    return raw


def _canonical(raw: dict) -> tuple[str, bytes, bytes]:
    e = parse_event(raw)
    return topic_for(e.type), unit_key(e.hall, e.unit), e.model_dump_json().encode()


def _produce(bootstrap: str, records: Iterable[tuple[str, bytes, bytes]]) -> tuple[int, float]:
    records = list(records)
    p = make_producer(bootstrap, linger_ms=20)
    t0 = time.monotonic()
    try:
        for i in range(0, len(records), 2000):
            send_all(p, records[i:i + 2000], timeout_s=30)
    finally:
        p.close(timeout=5)
    return len(records), time.monotonic() - t0


def _demo(hall: str, run: str) -> list[dict]:
    """The demo month with this run's hall and event ids."""
    out = []
    for raw in demo_events(load_halls(DEFAULT_HALLS_FILE)):
        out.append({**raw, "hall": hall, "event_id": f"{run}-{raw['event_id']}"})
    return out


def _reference(raws: Iterable[dict]) -> tuple[dict[tuple[str, str], dict], set[str]]:
    """The pure core over every event: expected latest ledger + applied veto sources."""
    rubrics = load_rubric_set(rubric_files(RUBRICS_DIR))
    halls = load_halls(DEFAULT_HALLS_FILE)
    states: dict[str, tuple] = {}
    for raw in raws:
        e = parse_event(raw)
        for r in rubrics.targets(e, halls.tier(e.hall)):
            k = state_key(r.rubric_version, e.hall, e.unit, period_label(r.period, e.occurred_at))
            st = states.setdefault(k, (r, UnitPeriod.empty_for(e, r.period)))[1]
            st.apply(e, halls.schedule(e.hall))
    expected: dict[tuple[str, str], dict] = {}
    vetoes: set[str] = set()
    for r, st in states.values():
        lines = (evaluate(st, r, halls.schedule(st.hall), halls.roster(st.hall, st.unit)) if isinstance(r, Rubric)
                 else evaluate_checklist(st, r))
        for line in lines:
            expected[(line.source_id, line.rule_id)] = line.to_json()
            if line.kind == "veto" and line.status == "applied":
                vetoes.add(line.source_id)
    return expected, vetoes


def _diff(latest: dict[tuple[str, str], dict], expected: dict[tuple[str, str], dict]) -> list[str]:
    live = {k: v for k, v in latest.items() if v["status"] != "withdrawn"}
    problems = [f"missing {k}" for k in expected.keys() - live.keys()]
    problems += [f"extra {k}: {live[k]['points']}/{live[k]['status']}" for k in live.keys() - expected.keys()]
    for k in expected.keys() & live.keys():
        bad = [f for f in COMPARED if live[k][f] != expected[k][f]]
        if bad:
            problems.append(f"differs {k}: " + ", ".join(f"{f}={live[k][f]!r} want {expected[k][f]!r}" for f in bad))
    return problems


# ------------------------------------------------------------------------ test
def test_scoring_worker_end_to_end(kafka_bootstrap: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    hall = f"it-{run}"
    ensure_topics(kafka_bootstrap, all_topics(DEFAULT_PARTITIONS))
    worker = Worker(kafka_bootstrap, tmp_path / "data", f"hallscore-scoring-it-{run}", tmp_path)
    reader = TopicReader(kafka_bootstrap, hall)
    produced: list[dict] = []  # every valid event sent (duplicates included)
    try:
        # ---- phase 1: scenario -------------------------------------------
        t_start = time.monotonic()
        worker.start()
        unit = "u-scn"
        late = _raw(hall, unit, "attendance.clock", "2026-11-16T08:41:00+08:00", {"direction": "in"},
                    event_id=f"{run}-late")
        scenario = [
            late,
            late,  # the duplicate: same id, same bytes
            _raw(hall, unit, "review.submitted", "2026-11-16T09:10:00+08:00",
                 {"level": "不满意", "channel": "evaluator", "real_name": True}, event_id=f"{run}-review"),
            _raw(hall, unit, "supervision.finding", "2026-11-17T10:00:00+08:00",
                 {"rule_id": "tongxu.4.1", "inspector": "环境股"}, event_id=f"{run}-finding"),
            _raw(hall, unit, "supervision.veto", "2026-11-18T10:00:00+08:00",
                 {"rule_id": "tongxu.veto.bribery", "inspector": "县纪委"}, event_id=f"{run}-veto", staff=None),
        ]
        key = unit_key(hall, unit)
        invalid = [("hallscore.attendance", key, b"{not json"),
                   ("hallscore.attendance", key, json.dumps({**late, "event_id": f"{run}-bad", "type": "attendance.nope"}).encode())]
        _produce(kafka_bootstrap, invalid + [_canonical(r) for r in scenario])
        produced += scenario

        def sources() -> Counter:
            reader.poll()
            return Counter(l["source_id"] for l in reader.ledger)

        # The duplicate re-sends the unit-week's current lines, so two rows
        # of the late source mean the duplicate was processed too.
        first_s = _wait("the scenario's ledger lines", lambda: (c := sources())[f"{run}-late"] >= 2
                        and all(c[f"{run}-{s}"] for s in ("review", "finding", "veto")), READY_TIMEOUT_S)
        time.sleep(1.0)  # anything extra (a second veto) would show up now
        reader.poll()
        print(f"\n[scoring] worker start + first scenario ledger lines: {first_s:.1f}s "
              f"(python start, group join, table recovery)")

        latest, conflicts = reader.latest()
        assert not conflicts, conflicts
        late_rows = [l for l in reader.ledger if l["source_id"] == f"{run}-late"]
        assert {(l["rule_id"], l["points"], l["status"]) for l in late_rows} == {("tongxu.4.10", "-2", "applied")}, late_rows
        assert "迟到 11 分钟" in late_rows[0]["detail"]
        mine = {k: v for k, v in latest.items() if v["unit"] == unit}
        assert sorted((k[1], v["points"]) for k, v in mine.items()) == sorted(
            [("tongxu.4.10", "-2"), ("tongxu.2.4", "-2"), ("tongxu.4.1", "-1"), ("tongxu.veto.bribery", "0")])
        # The duplicate adds nothing: one late key, -5 in total for the unit.
        assert sum(float(v["points"]) for v in mine.values()) == -5.0
        assert len(reader.vetoes) == 1, reader.vetoes
        v = reader.vetoes[0]
        assert (v["unit"], v["year"], v["rule_id"], v["source_id"]) == (unit, 2026, "tongxu.veto.bribery", f"{run}-veto")
        m = worker.metrics()
        assert m.get("hallscore_scoring_invalid_total", 0) >= 2 and m.get("hallscore_scoring_duplicates_total", 0) >= 1, m
        print(f"[scoring] scenario: {len(reader.ledger)} ledger rows for {len(mine)} keys, "
              f"{len(reader.vetoes)} veto; metrics {json.dumps({k: v for k, v in m.items() if 'seconds' not in k})}")

        # ---- phase 2: throughput ----------------------------------------
        demo = _demo(hall, run)
        batch = demo[:THROUGHPUT_EVENTS]
        base = worker.processed()
        n, produce_s = _produce(kafka_bootstrap, (_canonical(r) for r in batch))
        produced += batch
        first = _wait("the first demo event", lambda: worker.processed() > base, PHASE_TIMEOUT_S, 0.02)
        total_s = _wait(f"{n} demo events processed", lambda: worker.processed() >= base + n, PHASE_TIMEOUT_S, 0.05)
        print(f"[scoring] throughput: produced {n} events in {produce_s:.2f}s; worker processed them in "
              f"{total_s:.2f}s after production = {n / max(total_s - first, 1e-3):.0f} events/s "
              f"(first event {first:.2f}s after production; end to end {n / total_s:.0f} events/s)")

        # ---- phase 3: kill -9 mid-stream, produce while down, restart ----
        crash = demo[THROUGHPUT_EVENTS:THROUGHPUT_EVENTS + CRASH_EVENTS]
        down = demo[THROUGHPUT_EVENTS + CRASH_EVENTS:THROUGHPUT_EVENTS + CRASH_EVENTS + WHILE_DOWN_EVENTS]
        assert crash and down, "demo too small for the chosen sizes"
        base = worker.processed()
        _produce(kafka_bootstrap, (_canonical(r) for r in crash))
        produced += crash
        _wait("the worker midway through the crash batch", lambda: worker.processed() >= base + len(crash) // 3,
              PHASE_TIMEOUT_S, 0.01)
        done_before_kill = worker.processed() - base
        worker.kill9()
        # While it is down: new events, copies of already processed ones (a
        # device retry), and a second veto in another unit.
        veto2 = _raw(hall, "u-veto2", "supervision.veto", "2026-11-19T15:00:00+08:00",
                     {"rule_id": "tongxu.veto.illegal-fees", "inspector": "县纪委"}, event_id=f"{run}-veto2", staff=None)
        again = batch[:200]
        _produce(kafka_bootstrap, (_canonical(r) for r in [*down, *again, veto2]))
        produced += [*down, *again, veto2]

        t_restart = time.monotonic()
        worker.start()
        metrics_up = _wait("metrics after restart", lambda: bool(worker.metrics()), READY_TIMEOUT_S, 0.05)
        first_after = _wait("the first event after restart", lambda: worker.processed() > 0, READY_TIMEOUT_S, 0.05)
        expected, expected_vetoes = _reference(produced)

        def ledger_matches() -> bool:
            reader.poll()
            latest, _ = reader.latest()
            return not _diff(latest, expected) and {v["source_id"] for v in reader.vetoes} >= expected_vetoes

        try:
            _wait("the ledger to equal the pure core", ledger_matches, PHASE_TIMEOUT_S, 0.5)
        except pytest.fail.Exception:
            latest, _ = reader.latest()
            problems = _diff(latest, expected)
            print(f"[scoring] {len(problems)} differences, first: {problems[:10]}\n{worker.tail()}")
            raise
        recovered_s = time.monotonic() - t_restart
        latest, conflicts = reader.latest()
        m = worker.metrics()
        veto_counts = Counter(v["source_id"] for v in reader.vetoes)
        print(f"[scoring] crash: killed after {done_before_kill:.0f}/{len(crash)} events; restart: metrics up "
              f"{metrics_up:.1f}s, first event {first_after:.1f}s (process start, group join after the dead "
              f"member's session expiry, changelog replay), ledger equal to the pure core "
              f"{recovered_s:.1f}s after restart")
        print(f"[scoring] after restart the worker processed {m.get('hallscore_scoring_events_total', 0):.0f} events "
              f"({m.get('hallscore_scoring_duplicates_total', 0):.0f} duplicates = redeliveries + the 200 copies); "
              f"{len(produced)} events produced ({len({r['event_id'] for r in produced})} distinct), "
              f"{len(reader.ledger)} ledger rows, {len(latest)} keys ({len(expected)} expected, 0 lost), "
              f"vetoes {dict(veto_counts)}")
        assert not conflicts, conflicts[:10]
        assert not _diff(latest, expected)
        assert set(veto_counts) == expected_vetoes == {f"{run}-veto", f"{run}-veto2"}

        # ---- phase 4: graceful stop ---------------------------------------
        code, stop_s = worker.terminate()
        print(f"[scoring] SIGTERM: exit {code} in {stop_s:.1f}s; total test {time.monotonic() - t_start:.0f}s")
        assert code == 0, worker.tail()
    except BaseException:
        print(f"\n[scoring] worker log ({worker.log_path}):\n{worker.tail(60)}")
        raise
    finally:
        worker.cleanup()
        reader.close()
