"""A daemon thread that loops until stopped: the shape of every consumer,
publisher and timer a service runs beside its HTTP API."""
from __future__ import annotations

import threading


class BackgroundLoop:
    """Subclasses set `thread_name` and implement `_run`, checking `self._stop`."""

    thread_name = "background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _wake(self) -> None:
        """Interrupt a wait other than on `_stop` (override when there is one)."""

    def _run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
