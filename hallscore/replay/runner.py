"""Replay jobs run in background threads of the process that owns the store.

In the embedded default only the ranking process may open the chDB folder, so it
runs replays for the CLI (services/ranking/admin.py): one thread per job, progress
kept in memory for polling and in `replay_units` for resuming. A job the table
says is running but no thread of this process runs (the process stopped midway)
reads as `interrupted`; `resume` continues it where it stopped.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from hallscore.core.rubric_set import RubricSet
from hallscore.core.schedule import HallsConfig
from hallscore.store.adapter import Store

from . import engine, jobs

log = logging.getLogger(__name__)


@dataclass
class _Live:
    thread: threading.Thread
    stop: threading.Event
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)
    outcome: engine.Outcome | None = None
    error: str = ""


class Runner:
    def __init__(self, store: Callable[[], Store], live: Callable[[], RubricSet], halls: HallsConfig):
        self._store, self._live, self.halls = store, live, halls
        self._jobs: dict[str, _Live] = {}
        self._lock = threading.Lock()

    def running(self, job_id: str) -> bool:
        with self._lock:
            j = self._jobs.get(job_id)
        return j is not None and j.thread.is_alive()

    def start(self, job: jobs.Job) -> None:
        """Run (or resume) the job in a new thread; a job already running here is left alone."""
        with self._lock:
            if job.id in self._jobs and self._jobs[job.id].thread.is_alive():
                return
            live = _Live(threading.Thread(target=self._run, args=(job,), name=f"replay-{job.id}", daemon=True),
                         threading.Event())
            self._jobs[job.id] = live
        live.thread.start()

    def _run(self, job: jobs.Job) -> None:
        live = self._jobs[job.id]

        def progress(done: int, total: int) -> None:
            live.done, live.total = done, total

        try:
            live.outcome = engine.run_guarded(self._store(), job, self._live(), self.halls, progress=progress,
                                              stop=live.stop)
        except Exception as exc:  # noqa: BLE001 - recorded on the job by run_guarded
            live.error = f"{type(exc).__name__}: {exc}"
            log.exception("replay %s failed", job.id)

    def stop_all(self, timeout_s: float = 10.0) -> None:
        with self._lock:
            live = list(self._jobs.values())
        for j in live:
            j.stop.set()
        for j in live:
            j.thread.join(timeout_s)

    def status(self, job: jobs.Job) -> dict:
        """The job as JSON with its progress: from this process while it runs here, else from the table."""
        store = self._store()
        body = job.public()
        with self._lock:
            live = self._jobs.get(job.id)
        if live is not None and live.thread.is_alive():
            body.update(status="running", events_done=live.done, events_total=live.total or job.events_total,
                        seconds=round(time.monotonic() - live.started, 1))
        else:
            body.update(jobs.progress(store, job.id))
            if job.status == "running":
                body["status"] = "interrupted"
        if live is not None and live.outcome is not None:
            o = live.outcome
            body.update(seconds=round(o.seconds, 2), events_per_s=round(o.events_per_s),
                        skipped_units=o.skipped_units, first_errors=o.first_errors)
        return jobs.with_percent(body)
