"""Post the demo events to intake the way a device gateway would."""
from __future__ import annotations

import time
from typing import Iterable

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class LoadError(RuntimeError):
    pass


def post_events(intake_url: str, token: str, events: Iterable[dict], *, batch: int = 500,
                show_progress: bool = True, retries: int = 20) -> dict[str, int]:
    events = list(events)
    totals = {"accepted": 0, "duplicates": 0}
    headers = {"Authorization": f"Bearer {token}"}
    columns = (TextColumn("演示数据 demo events"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with httpx.Client(base_url=intake_url, headers=headers, timeout=60) as client, \
            Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task("load", total=len(events))
        for start in range(0, len(events), batch):
            chunk = events[start:start + batch]
            for attempt in range(retries):
                r = client.post("/v1/events", json=chunk)
                if r.status_code == 200:
                    body = r.json()
                    totals["accepted"] += body["accepted"]
                    totals["duplicates"] += body["duplicates"]
                    break
                if r.status_code == 503:  # broker busy or restarting: same ids again is safe
                    time.sleep(float(r.headers.get("Retry-After", "1")))
                    continue
                raise LoadError(f"intake answered {r.status_code}: {r.text[:500]}")
            else:
                raise LoadError("intake kept answering 503")
            progress.advance(task, len(chunk))
    return totals
