"""Entry point: `python -m services.ranking.main` (or hallscore's CLI) serves the ranking app."""
from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .settings import RankingSettings, SettingsError, load_settings


def serve(settings: RankingSettings) -> None:
    """Run the app with uvicorn until SIGINT/SIGTERM (the lifespan stops the projector)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    serve(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
