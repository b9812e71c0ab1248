"""Run intake: `python -m services.intake.main` or `hallscore intake` (HALLSCORE_* env)."""
from __future__ import annotations

from hallscore.serve import run_http_service
from services.intake.app import create_app
from services.intake.settings import load_settings


def main() -> int:
    return run_http_service(load_settings, create_app)


if __name__ == "__main__":
    raise SystemExit(main())
