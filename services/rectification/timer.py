"""The deadline clock: a thread that calls service.tick() every few seconds,
so a case goes overdue when its day ends even if nothing else happens."""
from __future__ import annotations

import logging
from typing import Callable

from hallscore.background import BackgroundLoop

log = logging.getLogger(__name__)


class Ticker(BackgroundLoop):
    thread_name = "rectification-timer"

    def __init__(self, tick: Callable[[], int], interval_s: float) -> None:
        self.tick, self.interval_s = tick, interval_s
        super().__init__()
        self.ticks = 0
        self.last_error: str | None = None

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
