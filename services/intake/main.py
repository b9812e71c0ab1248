"""Run intake: `python -m services.intake.main` (configuration from HALLSCORE_* env)."""
from __future__ import annotations

import logging
import sys

import uvicorn

from services.intake.app import create_app
from services.intake.settings import IntakeSettings, SettingsError, load_settings


def serve(settings: IntakeSettings) -> None:
    """Serve until interrupted. One process only: dedupe of concurrent requests is per process."""
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, workers=1, log_level="info")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except SettingsError as e:
        print(e, file=sys.stderr)
        raise SystemExit(2) from None
    serve(settings)


if __name__ == "__main__":
    main()
