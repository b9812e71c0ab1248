"""Which rubric version the ranking serves, as data: table `active_rubric` (store/schema.py).

Activating appends a row; the row with the highest activated_ns is the active
version. One INSERT is atomic, and every request reads the pointer once, so a
request sees the old version or the new one, never a mix. Nothing is deleted:
the table is the history of who switched what, when. With no row, the settings'
rubric_file is the active version (as before replays existed).

Also resolves versions no file in the rubrics folder has: a replayed draft or a
`~replay-` projection label is read through the rubric text its replay stored,
so `?rubric_version=<label>` answers for audit and comparison.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from hallscore.core.periods import SHANGHAI
from hallscore.core.rubric import Rubric, RubricError, load_any_rubric
from hallscore.core.rubric_set import rubric_files
from hallscore.replay import jobs
from hallscore.store.adapter import Store, StoreError

log = logging.getLogger(__name__)
ACTIVE_SQL = "SELECT rubric_version FROM active_rubric ORDER BY activated_ns DESC LIMIT 1"
HISTORY_SQL = """SELECT activated_at, rubric_version, previous, activated_by, note FROM active_rubric
ORDER BY activated_ns DESC LIMIT 50"""
# id@version+digest, optionally a replay's ~replay-<id> (anything else is not looked up)
VERSION_RE = re.compile(r"^[a-z0-9][a-z0-9._\-]{0,63}@[0-9A-Za-z.\-]{1,32}\+[0-9a-f]{8}(~replay-[0-9]{14}-[0-9a-f]{4})?$")
COLUMNS = ("activated_ns", "activated_at", "rubric_version", "previous", "activated_by", "note")


class ActivationError(ValueError):
    """A version that cannot be activated; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def active_version(store: Store) -> str | None:
    rows = store.query(ACTIVE_SQL)
    return rows[0][0] if rows else None


def history(store: Store) -> list[dict]:
    return [{"activated_at": at.isoformat(), "rubric_version": v, "previous": p or None, "activated_by": by,
             "note": note} for at, v, p, by, note in store.query(HISTORY_SQL)]


def relabel(rubric: Rubric, label: str) -> Rubric:
    """The rubric's rules read under a projection label (its ledger rows carry the label)."""
    if label == rubric.rubric_version:
        return rubric
    copy = rubric.model_copy()
    copy.__dict__["rubric_version"] = label  # cached_property slot: the label is the ledger key
    return copy


def base_version(label: str) -> str:
    return label.split(jobs.LABEL_MARK, 1)[0]


def live_files(rubrics_dir: Path) -> dict[str, Path]:
    """rubric_version -> file of every valid assessment rubric in the live rubrics folder."""
    out = {}
    for path in rubric_files(rubrics_dir):
        try:
            r = load_any_rubric(path)
        except RubricError:
            continue
        if isinstance(r, Rubric):
            out[r.rubric_version] = path
    return out


def activate(store: Store, version: str, rubrics_dir: Path, current: str, *, actor: str = "", note: str = "") -> dict:
    """Make `version` the active one. Its file must be in the live rubrics folder (it is
    copied there from its replay when it came as an upload, so the scoring worker keeps
    scoring it after its next restart); a version not scored live must have a finished
    replay, or the ranking would show base points for every unit."""
    if jobs.LABEL_MARK in version:
        raise ActivationError(422, f"{version!r} is a replay's projection label; activate a rubric version "
                                   f"({base_version(version)})")
    files = live_files(rubrics_dir)
    copied = None
    if version not in files:
        job = jobs.by_label(store, version)
        if job is None:
            if jobs.text_of(store, version) is not None:
                raise ActivationError(409, f"rubric version {version!r} has no finished replay yet; "
                                           "finish (or resume) its replay first")
            raise ActivationError(404, f"rubric version {version!r}: no file in {rubrics_dir} and never replayed; "
                                       "replay it first (hallscore replay --rubric FILE ...)")
        if job.hall:
            raise ActivationError(409, f"rubric version {version!r} was replayed for hall {job.hall} only; "
                                       "replay it for every hall before activating it")
        rubric = job.rubric()
        copied = rubrics_dir / f"{rubric.id}-{rubric.version}-{rubric.digest}.yaml"
        try:
            copied.write_text(job.rubric_text, encoding="utf-8")
        except OSError as exc:
            raise ActivationError(500, f"cannot write {copied} into the live rubrics folder: {exc}") from None
        log.info("activation: wrote %s into the live rubrics folder", copied)
    now = time.time_ns()
    store.insert("active_rubric", COLUMNS, [(now, datetime.now(SHANGHAI).replace(microsecond=0), version,
                                             current or "", actor, note)])
    return {"active": version, "previous": current or None, "file": str(copied or files[version]),
            "copied": copied is not None,
            "note": ("the scoring worker scores the new file after its next restart" if copied else
                     "already scored live")}


class StoredVersions:
    """The active pointer (re-read at most every `ttl_s`), and rubrics by version or label
    from the live rubrics folder or the text a replay stored."""

    def __init__(self, store: Callable[[], Store | None], rubrics_dir: Path | None = None, ttl_s: float = 1.0):
        self._store, self.rubrics_dir, self.ttl_s = store, rubrics_dir, ttl_s
        self._active: tuple[float, str | None] = (0.0, None)
        self._rubrics: dict[str, Rubric] = {}
        self._files: tuple[float, dict[str, Path]] = (0.0, {})
        self._lock = threading.Lock()

    def _live_files(self) -> dict[str, Path]:
        if self.rubrics_dir is None:
            return {}
        with self._lock:
            at, files = self._files
            if time.monotonic() - at < 5.0:
                return files
        files = live_files(self.rubrics_dir)
        with self._lock:
            self._files = (time.monotonic(), files)
        return files

    def forget(self) -> None:
        """After an activation in this process: the next request reads the pointer."""
        with self._lock:
            self._active = (0.0, None)

    def active(self) -> str | None:
        with self._lock:
            at, version = self._active
            if time.monotonic() - at < self.ttl_s:
                return version
        store = self._store()
        if store is None:
            return None
        try:
            version = active_version(store)
        except StoreError as exc:  # an old store without the table, or a hiccup: keep the default
            log.warning("cannot read the active rubric version: %s", exc)
            version = None
        with self._lock:
            self._active = (time.monotonic(), version)
        return version

    def resolve(self, catalog, version: str) -> Rubric:
        """The activated version's rubric; the catalog's default (logged) if it cannot be read."""
        found = catalog.by_version.get(version) or self.rubric(version)
        if found is None:
            log.error("the activated rubric version %s cannot be read; serving %s", version,
                      catalog.default.rubric_version)
            return catalog.default
        return found

    def rubric(self, version: str) -> Rubric | None:
        """`version` (a rubric version or a projection label) from the live folder or a replay."""
        with self._lock:
            if version in self._rubrics:
                return self._rubrics[version]
        if not VERSION_RE.match(version):
            return None
        base = base_version(version)
        rubric = None
        path = self._live_files().get(base)
        if path is not None:
            rubric = load_any_rubric(path)
        else:
            store = self._store()
            found = jobs.text_of(store, base) if store is not None else None
            rubric = jobs.load_rubric_text(*found) if found is not None else None
        if rubric is None or rubric.rubric_version != base:
            return None
        rubric = relabel(rubric, version)
        with self._lock:
            self._rubrics[version] = rubric
        return rubric
