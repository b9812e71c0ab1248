"""Start an HTTP service: settings from the environment, then uvicorn. One home
for what intake, ranking and rectification do the same way at start-up."""
from __future__ import annotations

import logging
import sys
from typing import Any, Callable

import uvicorn

from hallscore.core.datafile import DataFileError
from hallscore.settings import SettingsError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def run_http_service(load_settings: Callable[[], Any], create_app: Callable[[Any], Any],
                     check: Callable[[Any], None] | None = None) -> int:
    """Exit code 2 with the reason on stderr for a bad variable or data file (fail
    fast, before any client is built); else serve until SIGINT/SIGTERM.

    One worker process: each service keeps per-process state (intake's dedupe,
    rectification's SQLite outbox, ranking's projector)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        settings = load_settings()
        if check is not None:
            check(settings)
        app = create_app(settings)  # reads the rubric and halls files
    except (SettingsError, DataFileError) as exc:  # a DataFileError names file:line
        print(exc, file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port, workers=1, log_level="info")
    return 0
