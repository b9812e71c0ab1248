"""Resident memory (RSS) of each process of the embedded default after loading events.

    .venv/bin/python bench/memory.py [BLOCKS]

Starts the embedded default (as `hallscore up`, without its demo) on free ports,
measures RSS idle, after the demo county's 4 weeks (19,396 events), and after
BLOCKS 4-week blocks in total (default 3 = 12 weeks, 58,188 events; 13 = a
county-year, 252,148 events), each time once scoring has scored every event
and the projector has stored it. No asserts.
"""
from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

from _common import county_events, exit_on_sigterm, free_port, issue_token  # noqa: E402
from hallscore.demo.load import post_events  # noqa: E402
from hallscore.embedded import EmbeddedSystem, Ports  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def metric_sum(url: str, name: str, label: str = "") -> float:
    total = 0.0
    for line in httpx.get(url, timeout=10).text.splitlines():
        if line.startswith(name) and label in line and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def snapshot(system: EmbeddedSystem) -> dict[str, float]:
    out = {"broker": rss_mb(system.broker.proc.pid)}
    for c in system.children:
        out[c.name] = rss_mb(c.proc.pid)
    return out


def wait_done(system: EmbeddedSystem, n: int, timeout_s: float = 1800) -> float:
    t0 = time.monotonic()
    scoring = f"http://127.0.0.1:{system.ports.scoring_metrics}/metrics"
    ranking = f"{system.ranking_url}/metrics"
    while time.monotonic() - t0 < timeout_s:
        scored = metric_sum(scoring, "hallscore_scoring_events_total")
        stored = metric_sum(ranking, "hallscore_projector_rows_total", 'table="raw_events"')
        lag = metric_sum(ranking, "hallscore_projector_lag_records")
        if scored >= n and stored >= n and lag == 0:
            return time.monotonic() - t0
        time.sleep(1.0)
    raise RuntimeError(f"not done after {timeout_s} s")


def main() -> None:
    exit_on_sigterm()
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    events = county_events(blocks)
    with tempfile.TemporaryDirectory(prefix="hallscore-mem-") as d:
        system = EmbeddedSystem(data_dir=Path(d) / "data", ports=Ports(*(free_port() for _ in range(6))))
        system.start()
        rows = []
        try:
            time.sleep(3)
            rows.append(("idle", 0, snapshot(system), 0.0))
            token = issue_token(system.data_dir)
            loaded = 0
            for label, upto in (("demo county, 4 weeks", 19396), (f"{blocks * 4} weeks", len(events))):
                if upto <= loaded:
                    continue
                t0 = time.monotonic()
                post_events(system.intake_url, token, events[loaded:upto], show_progress=False)
                loaded = upto
                wait_done(system, loaded)
                rows.append((label, loaded, snapshot(system), time.monotonic() - t0))
        finally:
            system.stop()
    names = list(rows[0][2])
    print(f"{'after':24} {'events':>8} {'load+score s':>12} " + " ".join(f"{n:>14}" for n in names))
    for label, n, snap, secs in rows:
        print(f"{label:24} {n:8d} {secs:12.1f} " + " ".join(f"{snap[k]:11.0f} MB" for k in names))


if __name__ == "__main__":
    main()
