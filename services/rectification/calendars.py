"""A hall manager's holiday schedule, written into the data folder where the
calendar looks first (`hallscore calendar set`, PUT /v1/calendars/{year})."""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from hallscore.core.workdays import YearSchedule


def write_schedule(folder: Path, schedule: YearSchedule) -> Path:
    """Write `<folder>/<year>.yaml` atomically (a reader never sees half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{schedule.year}.yaml"
    data = schedule.model_dump(mode="json", by_alias=True)
    text = (f"# {schedule.year} 节假日安排, supplied by a hall manager (hallscore calendar set)\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
