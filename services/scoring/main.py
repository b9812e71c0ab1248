"""Run the scoring worker: `run(settings)` (for a CLI command) or
`python -m services.scoring` (settings from HALLSCORE_* env).

SIGTERM / SIGINT stop the worker gracefully (mode's Worker handles both:
the agent finishes its event, offsets are committed, the producer flushed).
Exit codes: 0 stopped, 2 bad configuration (settings, rubric or halls file),
1 the broker could not be set up.
"""
from __future__ import annotations

import sys

import faust

from hallscore.core.rubric import RubricError
from hallscore.kafka.admin import ensure_topics
from schemas.topics import DEFAULT_PARTITIONS, all_topics
from services.scoring import metrics
from services.scoring.app import create_app
from services.scoring.settings import ConfigFileError, ScoringSettings, SettingsError, load_config, load_settings


def _fail(msg: str, code: int) -> int:
    print(f"hallscore scoring: cannot start:\n{msg}", file=sys.stderr, flush=True)
    return code


def run(settings: ScoringSettings) -> int:
    """Validate config, create topics, run the worker until stopped."""
    try:
        config = load_config(settings)  # fail fast on a broken rubric/halls file
    except (RubricError, ConfigFileError) as exc:
        return _fail(str(exc), 2)
    try:
        # Before any consumer asks for them: Tansu would auto-create a topic
        # with 4 partitions on a metadata request (and loses all on restart).
        ensure_topics(settings.kafka_bootstrap, all_topics(DEFAULT_PARTITIONS),
                      replication=settings.topic_replication_factor)
    except Exception as exc:  # TopicSetupError, or one of kafka-python's many errors
        return _fail(f"broker {settings.kafka_bootstrap}: {exc}", 1)
    app = create_app(settings, config)
    # Up before the worker (also up during table recovery); the app's own
    # start-up task does the same for workers started another way.
    metrics.serve(settings.metrics_host, settings.metrics_port)
    worker = faust.Worker(app, loglevel=settings.log_level.lower())
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main() -> int:
    """`python -m services.scoring`: settings from the environment."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc), 2)
    return run(settings)
