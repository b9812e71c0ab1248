"""End-to-end latency: an event accepted by intake -> its ledger line visible in ranking's API.

    .venv/bin/python bench/e2e_latency.py [N]

Starts the embedded default (Tansu, intake, scoring worker, ranking + chDB,
rectification; as `hallscore up`, without the demo) on free ports, then posts
N late clock-ins one at a time (each deducts points) and polls the unit's
week in ranking every 10 ms until the event's line appears. Prints p50/p99
of POST -> 200 and of 200 -> visible. No asserts.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx

from _common import DEMO_HALL, county_events, exit_on_sigterm, free_port, issue_token, pct  # noqa: E402
from hallscore.embedded import EmbeddedSystem, Ports  # noqa: E402


def main() -> None:
    exit_on_sigterm()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    pairs = sorted({(e["unit"], e["staff"]) for e in county_events(1) if e["type"] == "attendance.clock"})
    with tempfile.TemporaryDirectory(prefix="hallscore-e2e-") as d:
        ports = Ports(*(free_port() for _ in range(6)))
        system = EmbeddedSystem(data_dir=Path(d) / "data", ports=ports)
        system.start()
        try:
            token = issue_token(system.data_dir)
            manager = {"Authorization": f"Bearer {system.issue_user('manager', DEMO_HALL)}"}
            accept, visible = [], []
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
                for i in range(n):
                    unit, staff = pairs[i % len(pairs)]
                    day = 16 + (i // len(pairs)) % 5  # Mon 16 .. Fri 20 Nov 2026 (2026-W47)
                    eid = f"e2e-late-{i:05d}"
                    ev = {"event_id": eid, "type": "attendance.clock", "schema_version": 1,
                          "occurred_at": f"2026-11-{day}T09:07:00+08:00", "hall": DEMO_HALL, "unit": unit,
                          "staff": staff, "device": "bench", "payload": {"direction": "in"}}
                    t0 = time.perf_counter()
                    r = c.post(f"{system.intake_url}/v1/events", json=ev)
                    t1 = time.perf_counter()
                    assert r.status_code == 200, r.text
                    url = f"{system.ranking_url}/v1/halls/{DEMO_HALL}/weeks/2026-W47/units/{unit}"
                    deadline = t1 + 60
                    while eid not in c.get(url, headers=manager).text:
                        if time.perf_counter() > deadline:
                            raise RuntimeError(f"{eid} not visible after 60 s")
                        time.sleep(0.01)
                    t2 = time.perf_counter()
                    accept.append(t1 - t0)
                    visible.append(t2 - t1)
        finally:
            system.stop()
    print(f"events: {n} (one per request, sequential; ranking polled every 10 ms)")
    print(f"POST -> 200 (accept):      p50 {pct(accept, 50) * 1000:7.1f} ms   p99 {pct(accept, 99) * 1000:7.1f} ms")
    print(f"accept -> visible ranking: p50 {pct(visible, 50) * 1000:7.1f} ms   p99 {pct(visible, 99) * 1000:7.1f} ms")
    tot = [a + v for a, v in zip(accept, visible)]
    print(f"total:                     p50 {pct(tot, 50) * 1000:7.1f} ms   p99 {pct(tot, 99) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
