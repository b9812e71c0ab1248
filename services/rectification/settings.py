"""Rectification configuration from the environment (prefix HALLSCORE_). Fails fast."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hallscore.core.cases.policy import DEFAULT_POLICY_FILE
from hallscore.core.rubric import RUBRICS_DIR
from hallscore.core.schedule import DEFAULT_HALLS_FILE
from hallscore.settings import ENV_PREFIX, DataDir, ExistingFile, SettingsError, settings_from_env

__all__ = ["RectificationSettings", "SettingsError", "load_settings"]


class RectificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    kafka_bootstrap: str = Field(min_length=1, description="host:port[,...] of the Kafka (or embedded Tansu) broker.")
    data_dir: DataDir = Field(description="Folder for rectification.sqlite (cases, users) and calendars/; created if missing.")
    host: str = "127.0.0.1"
    port: int = Field(default=8103, ge=1, le=65535)
    deadlines_file: ExistingFile = Field(default=DEFAULT_POLICY_FILE, description="Deadline rules per region and case kind.")
    rubrics_dir: Path = Field(default=RUBRICS_DIR, description="Rubrics in force (as scoring): a problem item must "
                              "name an item of one in force for its hall, so that an overdue item can be scored.")
    halls_file: ExistingFile = DEFAULT_HALLS_FILE
    consumer_group: str = Field(default="hallscore-rectification", min_length=1)
    # Seconds between deadline checks. A deadline ends at midnight, so a few
    # seconds of delay is invisible; dev and tests use the default.
    timer_interval_s: float = Field(default=5.0, gt=0, le=3600)
    # The embedded default sets this: its in-memory broker keeps nothing across
    # restarts, so every stored event is published again on start.
    republish_on_start: bool = False
    device_id: str = Field(default="rectification", pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$",
                           description="`device` of the events this service writes.")

    @field_validator("rubrics_dir")
    @classmethod
    def _folder(cls, v: Path) -> Path:
        v = v.expanduser()
        if not v.is_dir():
            raise ValueError(f"no such folder: {str(v)!r}")
        return v

    @property
    def db_path(self) -> Path:
        return db_path(self.data_dir)

    @property
    def calendars_dir(self) -> Path:
        return Path(self.data_dir) / "calendars"


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / "rectification.sqlite"


def load_settings(**overrides) -> RectificationSettings:
    """Settings from env (+ overrides); a clear SettingsError naming each bad variable."""
    return settings_from_env(RectificationSettings, "rectification", **overrides)
