"""The deadline clock: a thread that calls service.tick() every few seconds,
so a case goes overdue when its day ends even if nothing else happens."""
from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, tick: Callable[[], int], interval_s: float) -> None:
        self.tick, self.interval_s = tick, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0
        self.last_error: str | None = None

    def start(self) -> "Ticker":
        self._thread = threading.Thread(target=self._run, name="rectification-timer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                n = self.tick()
                self.ticks += 1
                if n:
                    log.info("deadline check wrote %d events", n)
            except Exception as exc:  # e.g. the disk is full: log, keep ticking
                self.last_error = repr(exc)
                log.exception("deadline check failed")
