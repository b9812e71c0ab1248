"""Ranking service configuration from the environment (prefix HALLSCORE_). Fails fast."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hallscore.core.rubric import DEFAULT_RUBRIC, RUBRICS_DIR
from hallscore.core.schedule import DEFAULT_HALLS_FILE
from hallscore.settings import ENV_PREFIX, ExistingFile, SettingsError, settings_from_env

__all__ = ["RankingSettings", "SettingsError", "load_settings"]


class RankingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    clickhouse_url: str = Field(min_length=1, description="chdb:///abs/dir or clickhouse://host:port/db")
    kafka_bootstrap: str = Field(default="", description="host:port[,...]; required when the projector runs.")
    rubric_file: ExistingFile = Field(default=DEFAULT_RUBRIC, description="The ACTIVE rubric: its version's ledger rows are ranked.")
    halls_file: ExistingFile = DEFAULT_HALLS_FILE
    rubrics_dir: Path = Field(default=RUBRICS_DIR, description="The scoring worker's live rubrics folder (same "
                              "HALLSCORE_RUBRICS_DIR): replays route events as it does; activation copies a replayed "
                              "draft here.")
    admin_token: str = Field(default="", description="When set, /v1/admin (replays, activation) needs "
                             "'Authorization: Bearer <token>'; unset: open (the default binds 127.0.0.1).")
    users_url: str = Field(default="", description="Base URL of the service that holds user tokens (the "
                           "rectification service, e.g. http://127.0.0.1:8103): every read and write is checked "
                           "against the caller's token scope. Required unless HALLSCORE_OPEN_ACCESS=true.")
    users_cache_s: float = Field(default=30.0, ge=0, le=3600, description="Seconds a verified token is trusted "
                                 "before asking again (a revoked token stops within this time).")
    open_access: bool = Field(default=False, description="Serve everything without tokens (a closed test "
                              "network only): a unit could then read another unit's lines.")
    seeds_dir: Path | None = Field(default=None, description="Seed documents, for the line a rule quotes "
                                   "(default: ../shared/seeds beside the repository, if present).")
    host: str = "127.0.0.1"
    port: int = Field(default=8101, ge=1, le=65535)
    projector: bool = Field(default=True, description="Run the Kafka -> ClickHouse projector in this process.")
    projector_group: str = Field(default="hallscore-projector", min_length=1)
    batch_max_rows: int = Field(default=5000, ge=1, le=100_000)
    batch_max_ms: int = Field(default=200, ge=1, le=60_000)

    @field_validator("clickhouse_url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not v.startswith(("chdb://", "clickhouse://", "clickhouse+native://")):
            raise ValueError("must start with chdb:// or clickhouse://")
        return v

    @model_validator(mode="after")
    def _access_decided(self):
        if not self.users_url.strip() and not self.open_access:
            raise ValueError("HALLSCORE_USERS_URL is required (the rectification service's URL, which checks "
                             "user tokens), or set HALLSCORE_OPEN_ACCESS=true to serve without tokens")
        if self.users_url.strip() and not self.users_url.startswith(("http://", "https://")):
            raise ValueError("HALLSCORE_USERS_URL must start with http:// or https://")
        return self

    @model_validator(mode="after")
    def _bootstrap_when_projecting(self):
        if self.projector and not self.kafka_bootstrap.strip():
            raise ValueError("HALLSCORE_KAFKA_BOOTSTRAP is required when HALLSCORE_PROJECTOR is true")
        return self


def load_settings(**overrides) -> RankingSettings:
    """Settings from env (+ overrides); a clear SettingsError naming each bad variable."""
    return settings_from_env(RankingSettings, "ranking", **overrides)
