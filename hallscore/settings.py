"""What every service's settings share: the env prefix, the error, data dirs.

Each service keeps its own typed settings class (services/*/settings.py);
this module only holds the mechanics so they are written once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import AfterValidator, ValidationError
from pydantic_settings import BaseSettings

ENV_PREFIX = "HALLSCORE_"
S = TypeVar("S", bound=BaseSettings)


class SettingsError(RuntimeError):
    """Configuration that cannot work; the message names each bad variable."""


def settings_from_env(cls: type[S], service: str, **overrides) -> S:
    """Build `cls` from the environment (+ overrides), or raise SettingsError
    with one line per bad variable, e.g. `HALLSCORE_DATA_DIR: is required but not set`."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            name = ENV_PREFIX + "_".join(str(p) for p in e["loc"]).upper() if e["loc"] else "(settings)"
            missing = e["type"] == "missing"
            got = "" if missing or not e["loc"] else f" (got {e.get('input')!r})"
            lines.append(f"  {name}: {'is required but not set' if missing else e['msg']}{got}")
        raise SettingsError(f"invalid {service} configuration:\n" + "\n".join(lines)) from None


def _ensure_dir(v: Path) -> Path:
    v = v.expanduser()
    try:
        v.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"cannot create data_dir {str(v)!r}: {e.strerror or e}") from None
    return v


# A folder setting that is created on load (fails naming the folder if it can't be).
DataDir = Annotated[Path, AfterValidator(_ensure_dir)]


def _existing_file(v: Path) -> Path:
    v = v.expanduser()
    if not v.is_file():
        raise ValueError(f"no such file: {str(v)!r}")
    return v


# A data file setting (rubric, halls, deadlines) that must exist at start.
ExistingFile = Annotated[Path, AfterValidator(_existing_file)]
