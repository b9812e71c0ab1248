"""Shared helpers of the benchmarks: events, ports, a token, the embedded system."""
from __future__ import annotations

import copy
import re
import socket
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hallscore.core.schedule import load_halls  # noqa: E402
from hallscore.demo.generate import DEMO_HALL, demo_events  # noqa: E402

_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T")
_D = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shift(value, days: int):
    if isinstance(value, dict):
        return {k: _shift(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, days) for v in value]
    if isinstance(value, str) and _DT.match(value):
        return (datetime.fromisoformat(value) - timedelta(days=days)).isoformat()
    if isinstance(value, str) and _D.match(value):
        return (date.fromisoformat(value) - timedelta(days=days)).isoformat()
    return value


def county_events(blocks: int = 1) -> list[dict]:
    """The demo county's 4 weeks (19,396 events), plus blocks-1 earlier 4-week copies
    (dates moved back 28 days each, new ids): blocks=13 is a county-year."""
    base = demo_events(load_halls())
    out = list(base)
    for k in range(1, blocks):
        for e in base:
            c = _shift(copy.deepcopy(e), 28 * k)
            c["event_id"] = f"{e['event_id']}-b{k:02d}"
            for key in ("transaction_id", "complaint_id", "finding_id"):
                if isinstance(c.get("payload", {}).get(key), str):
                    c["payload"][key] = f"{c['payload'][key]}-b{k:02d}"
            out.append(c)
    return out


def issue_token(data_dir: Path, hall: str = DEMO_HALL, device: str = "bench") -> str:
    from services.intake.db import db_path
    from services.intake.tokens import TokenStore
    return TokenStore(db_path(data_dir)).issue(hall, device)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def exit_on_sigterm() -> None:
    """SIGTERM (e.g. from `timeout`) runs the finally blocks, which stop the child processes."""
    import signal

    def _exit(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, _exit)
