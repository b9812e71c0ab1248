"""Intake configuration from the environment (prefix HALLSCORE_)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hallscore.settings import ENV_PREFIX, DataDir, SettingsError, settings_from_env
from services.intake.db import db_path

__all__ = ["IntakeSettings", "SettingsError", "load_settings"]


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    kafka_bootstrap: str = Field(min_length=1, description="host:port[,host:port...] of the Kafka (or embedded Tansu) broker.")
    data_dir: DataDir = Field(description="Folder for intake.sqlite (tokens + archive of accepted events); created if missing.")
    host: str = "127.0.0.1"
    port: int = Field(default=8100, ge=1, le=65535)
    max_batch: int = Field(default=500, ge=1, le=5000, description="Most events one POST may carry.")
    # The embedded default sets this True: its in-memory broker keeps nothing
    # across restarts, so the archive is replayed into it on every start.
    republish_on_start: bool = False
    # Republish the archive when the broker comes back after an outage or
    # restarted empty (services/intake/recovery.py). None: same as
    # republish_on_start (on in the embedded default, off for Apache Kafka).
    republish_on_recovery: bool | None = None
    broker_watch_interval_s: float = Field(default=1.0, gt=0, le=60)

    @property
    def watch_broker(self) -> bool:
        return self.republish_on_start if self.republish_on_recovery is None else self.republish_on_recovery
    publish_timeout_s: float = Field(default=10.0, gt=0, le=300)

    @property
    def db_path(self) -> Path:
        return db_path(self.data_dir)


def load_settings(**overrides) -> IntakeSettings:
    """Settings from env (+ overrides); a clear SettingsError naming each bad variable."""
    return settings_from_env(IntakeSettings, "intake", **overrides)
