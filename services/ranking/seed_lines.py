"""The line of a seed document a rule's quote comes from (for the drill-down).

Quotes are matched ignoring whitespace, as the rubric seed test does. The seed folder
is HALLSCORE_SEEDS_DIR, or ../shared/seeds beside the repository; without it (or for a
user's own document that is not there) the line is simply unknown (None).
"""
from __future__ import annotations

from pathlib import Path

DEFAULT_SEEDS_DIR = Path(__file__).resolve().parents[3] / "shared" / "seeds"


class SeedIndex:
    def __init__(self, directory: Path | None = None):
        d = directory if directory is not None else DEFAULT_SEEDS_DIR
        self.directory = d if d.is_dir() else None
        self._cache: dict[str, tuple[str, tuple[int, ...]] | None] = {}

    def _text(self, file: str) -> tuple[str, tuple[int, ...]] | None:
        if file not in self._cache:
            self._cache[file] = self._read(file)
        return self._cache[file]

    def _read(self, file: str) -> tuple[str, tuple[int, ...]] | None:
        """The document without whitespace, and the line number of each kept character."""
        if self.directory is None or "/" in file or "\\" in file:
            return None
        path = self.directory / file
        if not path.is_file():
            return None
        chars, lines = [], []
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            for ch in line:
                if not ch.isspace():
                    chars.append(ch)
                    lines.append(n)
        return "".join(chars), tuple(lines)

    def line_of(self, file: str, quote: str) -> int | None:
        found = self._text(file)
        if found is None:
            return None
        text, lines = found
        pos = text.find("".join(quote.split()))
        return lines[pos] if pos >= 0 else None
