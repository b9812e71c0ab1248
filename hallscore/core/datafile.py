"""Loading a YAML data file (rubric, halls) into a validated model, with
errors that name the file, the line, the field and the reason — a hall
manager edits these files by hand and must be told where they went wrong."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError


class DataFileError(ValueError):
    """A data file that cannot be used; the message names file, line and field."""


def _locate(root: yaml.Node | None, loc: tuple, missing: bool = False) -> tuple[int | None, str]:
    """(line, field path) in the YAML file for a pydantic error location.

    Parts that name nothing in the file (a union's tag) are dropped, so the
    line is the deepest node the location reaches and the path reads as the
    user wrote it. A missing field keeps its name (its parent's line)."""
    node, path = root, []
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if nxt is not None:
                node = nxt
                path.append(str(part))
            elif missing and part is loc[-1]:
                path.append(str(part))
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            path.append(str(part))
    line = node.start_mark.line + 1 if node is not None else None
    return line, ".".join(path) or "(file)"


def load_yaml_model(path: str | Path, model: type[BaseModel] | TypeAdapter, error: type[DataFileError] = DataFileError) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    return parse_yaml_model(text, path, model, error)


def parse_yaml_model(text: str, path: str | Path, model: type[BaseModel] | TypeAdapter,
                     error: type[DataFileError] = DataFileError) -> Any:
    """load_yaml_model for text already read (an upload); `path` names it in errors."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise error(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    validate = model.validate_python if isinstance(model, TypeAdapter) else model.model_validate
    try:
        return validate(data)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            line, field = _locate(root, e["loc"], e["type"] == "missing")
            lines.append(f"{path}:{line or '?'}: {field}: {e['msg']}")
        raise error("\n".join(lines)) from None
