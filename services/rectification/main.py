"""Run rectification: `python -m services.rectification.main` or `hallscore rectification`
(HALLSCORE_* env; see settings.py). ONE process per data folder: the case state and
the SQLite outbox are owned by it."""
from __future__ import annotations

from hallscore.serve import run_http_service
from services.rectification.app import create_app
from services.rectification.runtime import check_files
from services.rectification.settings import load_settings


def main() -> int:
    return run_http_service(load_settings, create_app, check=check_files)


if __name__ == "__main__":
    raise SystemExit(main())
