"""Shared test wiring for the rectification service: a controllable clock,
a fake producer, settings in a temp folder, tokens, and an API client."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from hallscore.core.periods import SHANGHAI
from services.rectification.app import create_app
from services.rectification.settings import RectificationSettings, db_path
from services.rectification.users import UserStore

HALL = "tongxu-county"


class FakeClock:
    """The service's only source of 'now': tests move it instead of sleeping for days."""

    def __init__(self, start: str = "2026-11-02T09:00:00+08:00") -> None:
        self.at = datetime.fromisoformat(start)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.at

    def set(self, iso: str) -> None:
        with self._lock:
            self.at = datetime.fromisoformat(iso).astimezone(SHANGHAI)

    def advance(self, **kw) -> None:
        with self._lock:
            self.at += timedelta(**kw)


class _Future:
    def get(self, timeout=None):
        return "ok"


@dataclass
class FakeProducer:
    sent: list = field(default_factory=list)

    def send(self, topic, key=None, value=None):
        self.sent.append((topic, key, value))
        return _Future()

    def close(self, timeout=None):
        pass


def settings(data_dir: Path, bootstrap: str = "127.0.0.1:1", **over) -> RectificationSettings:
    over.setdefault("timer_interval_s", 3600.0)  # tests tick by hand
    return RectificationSettings(kafka_bootstrap=bootstrap, data_dir=data_dir, **over)


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    clock: FakeClock

    @property
    def rt(self):
        return self.client.app.state.rt

    def call(self, method: str, path: str, who: str, **kw):
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kw)

    def ok(self, method: str, path: str, who: str, status: int = 200, **kw) -> dict:
        r = self.call(method, path, who, **kw)
        assert r.status_code == status, f"{method} {path} as {who}: {r.status_code} {r.text}"
        return r.json()

    def tick(self) -> int:
        return self.rt.service.tick()

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until the publisher thread has sent every stored event."""
        deadline = time.monotonic() + timeout_s
        self.rt.service.wake.set()
        while self.rt.service.store.count_unpublished():
            assert time.monotonic() < deadline, "events still unpublished"
            time.sleep(0.02)


def issue_tokens(data_dir: Path, hall: str = HALL) -> dict[str, str]:
    users = UserStore(db_path(data_dir))
    return {
        "manager": users.issue("manager", hall, name="环境股"),
        "other_manager": users.issue("manager", "other-hall"),
        "rsj": users.issue("unit", hall, "tx-rsj"),
        "swj": users.issue("unit", hall, "tx-swj"),
        "auditor": users.issue("auditor", None),
    }


def open_api(s: RectificationSettings, clock: FakeClock, producer=None, **kw) -> tuple[TestClient, FakeProducer]:
    producer = producer or FakeProducer()
    kw.setdefault("consume", False)
    kw.setdefault("setup_topics", lambda b, t: None)
    app = create_app(s, clock=clock, producer_factory=lambda b: producer, **kw)
    return TestClient(app), producer
