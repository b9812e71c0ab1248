"""Export JSON Schema files for device vendors: `python -m schemas.export`.

One file per event type and version in schemas/jsonschema/, plus an index.
tests/unit/test_schemas.py fails when the committed files are stale.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from schemas.registry import ALL_MODELS, type_of, version_of

OUT = Path(__file__).resolve().parent / "jsonschema"


def rendered() -> dict[str, str]:
    files: dict[str, str] = {}
    index = []
    for model in ALL_MODELS:
        type_, version = type_of(model), version_of(model)
        name = f"{type_}.v{version}.json"
        schema = model.model_json_schema()
        schema["$id"] = f"https://hallscore.invalid/schemas/{name}"
        schema["title"] = f"{type_} v{version}"
        files[name] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        index.append({"type": type_, "schema_version": version, "file": name, "description": (model.__doc__ or "").strip()})
    files["index.json"] = json.dumps(index, ensure_ascii=False, indent=2) + "\n"
    return files


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(rendered())} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
