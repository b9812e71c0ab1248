"""Run rectification: `python -m services.rectification.main` or `hallscore rectification`
(configuration from HALLSCORE_* env; see settings.py)."""
from __future__ import annotations

import logging
import sys

import uvicorn

from hallscore.core.datafile import DataFileError
from services.rectification.app import create_app
from services.rectification.runtime import check_files
from services.rectification.settings import RectificationSettings, SettingsError, load_settings


def serve(settings: RectificationSettings) -> None:
    """Serve until interrupted. ONE process per data folder: the case state and
    the SQLite outbox are owned by this process."""
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, workers=1, log_level="info")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except SettingsError as e:
        print(e, file=sys.stderr)
        return 2
    try:
        check_files(settings)
    except DataFileError as e:  # a bad deadlines / calendar / rubric file: say which line
        print(e, file=sys.stderr)
        return 2
    serve(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
