"""The ranking app served by uvicorn in a thread, on a free port (for a browser or a CLI)."""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import uvicorn

from hallscore.store.adapter import Store
from services.ranking.app import create_app
from services.ranking.settings import RankingSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(store: Store, **settings) -> Iterator[str]:
    """Yield the base URL of a ranking app (projector off) over `store`."""
    app = create_app(RankingSettings(clickhouse_url="chdb:///unused", projector=False, open_access=True, **settings), store=store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "ranking app did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(10)
