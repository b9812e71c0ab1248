"""Intake configuration from the environment (prefix HALLSCORE_)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "HALLSCORE_"


class SettingsError(RuntimeError):
    """The environment does not describe a usable intake configuration."""


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    kafka_bootstrap: str = Field(min_length=1, description="host:port[,host:port...] of the Kafka (or embedded Tansu) broker.")
    data_dir: Path = Field(description="Folder for intake.sqlite (tokens + archive of accepted events); created if missing.")
    host: str = "127.0.0.1"
    port: int = Field(default=8100, ge=1, le=65535)
    max_batch: int = Field(default=500, ge=1, le=5000, description="Most events one POST may carry.")
    # The embedded default sets this True: its in-memory broker keeps nothing
    # across restarts, so the archive is replayed into it on every start.
    republish_on_start: bool = False
    publish_timeout_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("data_dir")
    @classmethod
    def _create_data_dir(cls, v: Path) -> Path:
        v = v.expanduser()
        try:
            v.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ValueError(f"cannot create data_dir {str(v)!r}: {e.strerror or e}") from None
        return v

    @property
    def db_path(self) -> Path:
        return self.data_dir / "intake.sqlite"


def load_settings(**overrides) -> IntakeSettings:
    """Settings from env (+ overrides); a clear SettingsError naming each bad variable."""
    try:
        return IntakeSettings(**overrides)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            name = ENV_PREFIX + "_".join(str(p) for p in e["loc"]).upper()
            msg = "is required but not set" if e["type"] == "missing" else e["msg"]
            got = "" if e["type"] == "missing" else f" (got {e.get('input')!r})"
            lines.append(f"  {name}: {msg}{got}")
        raise SettingsError("invalid intake configuration:\n" + "\n".join(lines)) from None
