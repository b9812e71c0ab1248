"""Scoring worker configuration from the environment (prefix HALLSCORE_).

The rubric and halls files are part of the configuration: `load_config()`
reads and validates both before the worker starts, so a broken file stops
the worker at once with the file, the field and the reason, instead of
scoring with half a rubric or failing on the first event.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hallscore.core.datafile import DataFileError as ConfigFileError
from hallscore.core.rubric import RUBRICS_DIR, RubricError
from hallscore.core.rubric_set import RubricSet, load_rubric_set, rubric_files
from hallscore.core.schedule import DEFAULT_HALLS_FILE, HallsConfig, load_halls
from hallscore.settings import ENV_PREFIX, DataDir, SettingsError, settings_from_env


class ScoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    kafka_bootstrap: str = Field(min_length=1, description="host:port[,host:port...] of the Kafka (or embedded Tansu) broker.")
    data_dir: DataDir = Field(default=Path("data"), description="Folder for the worker's local state (faust datadir under <data_dir>/<app_id>); created if missing.")
    rubrics_dir: Path = Field(default=RUBRICS_DIR, description="Folder of rubric YAML files in force (all *.yaml); validated at start.")
    halls_file: Path = Field(default=DEFAULT_HALLS_FILE, description="Halls YAML (working hours); validated at start.")
    table_store: str = Field(default="memory://", description="faust table store: memory:// (replays the changelog at start) or rocksdb:// (local, fast restart).")
    web_port: int = Field(default=6066, ge=1, le=65535, description="faust web (worker status pages).")
    web_host: str = "127.0.0.1"
    metrics_port: int = Field(default=8102, ge=0, le=65535, description="Prometheus /metrics (own HTTP server); 0 disables it.")
    metrics_host: str = "127.0.0.1"
    lag_refresh_s: float = Field(default=5.0, gt=0, le=300, description="Seconds between refreshes of hallscore_scoring_consumer_lag (from the consumer's own state; a broker call only for partitions the group never committed).")
    app_id: str = Field(default="hallscore-scoring", min_length=1, pattern=r"^[A-Za-z0-9._\-]+$", description="faust app id = consumer group id = changelog topic prefix.")
    topic_replication_factor: int = Field(default=1, ge=1, le=5, description="Replication of the topics faust creates (table changelogs).")
    log_level: str = Field(default="info", pattern=r"^(?i:debug|info|warning|error|critical)$")

    @field_validator("table_store")
    @classmethod
    def _known_store(cls, v: str) -> str:
        if v != "memory://" and not v.startswith("rocksdb://"):
            raise ValueError("must be 'memory://' or 'rocksdb://'")
        if v.startswith("rocksdb://") and not (find_spec("rocksdict") or find_spec("rocksdb")):
            raise ValueError("rocksdb:// needs the rocksdict package (pip install rocksdict)")
        return v

    @property
    def faust_datadir(self) -> Path:
        return self.data_dir / self.app_id


def load_settings(**overrides) -> ScoringSettings:
    """Settings from env (+ overrides); a clear SettingsError naming each bad variable."""
    return settings_from_env(ScoringSettings, "scoring", **overrides)


@dataclass(frozen=True)
class ScoringConfig:
    rubrics: RubricSet
    halls: HallsConfig


def load_halls_checked(path: str | Path) -> HallsConfig:
    """load_halls; errors name the file, the field and the reason."""
    return load_halls(path)


def load_config(settings: ScoringSettings) -> ScoringConfig:
    """Rubric + halls, validated. Raises RubricError / ConfigFileError."""
    files = rubric_files(settings.rubrics_dir)
    if not files:
        raise RubricError(f"{settings.rubrics_dir}: no rubric files (*.yaml)")
    rubrics = load_rubric_set(files)
    halls = load_halls_checked(settings.halls_file)
    return ScoringConfig(rubrics, halls)


__all__ = ["ScoringSettings", "SettingsError", "ConfigFileError", "RubricError", "ScoringConfig",
           "load_settings", "load_config", "load_halls_checked"]
