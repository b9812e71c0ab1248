"""Embedded chDB backend of :mod:`hallscore.store.adapter` (same SQL, same Python types).

Results are read as JSONCompact (with the column types in ``meta``) and converted per
type to what clickhouse-driver returns. Inserts are rendered as escaped VALUES text in
batches; aware datetimes are sent as Unix timestamps so the instant is exact.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Sequence
from uuid import UUID

import pytz
from clickhouse_driver.util.escape import escape_chars_map, escape_params

from .adapter import TIMEZONE, Params, Store, StoreError, StoreUnavailable, insert_head

BATCH_ROWS = 5000
# Same escaping context as the driver talking to a server whose timezone is TIMEZONE.
_CONTEXT = SimpleNamespace(server_info=SimpleNamespace(get_timezone=lambda: TIMEZONE))
_SETUP = (
    f"SET session_timezone = '{TIMEZONE}'",
    "SET output_format_json_quote_decimals = 1",
    "SET output_format_json_quote_64bit_integers = 1",
    "SET output_format_json_quote_denormals = 1",
    "SET output_format_json_named_tuples_as_objects = 0",
)


def _split_top(s: str) -> list[str]:
    """Split a type argument list on top-level commas."""
    parts, depth, cur, quote = [], 0, [], False
    for ch in s:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and ch == ",":
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


def _strip_name(part: str) -> str:
    """'name Type' (named tuple element) -> 'Type'."""
    head = part.split("(", 1)[0]
    return part.split(" ", 1)[1].strip() if " " in head else part


def _datetime(tz: str | None) -> Callable[[str], datetime]:
    zone = pytz.timezone(tz) if tz else None

    def conv(v: str) -> datetime:
        naive = datetime.fromisoformat(v)
        return zone.localize(naive) if zone else naive
    return conv


def _decimal(scale: int) -> Callable[[str], Decimal]:
    """Exactly what clickhouse-driver returns: Decimal(raw integer) / 10**scale."""
    div = 10 ** scale

    def conv(v: str) -> Decimal:
        text = str(v)
        neg = text.startswith("-")
        whole, _, frac = text.lstrip("-+").partition(".")
        raw = int(whole + frac.ljust(scale, "0"))
        raw = -raw if neg else raw
        return Decimal(raw) / div if scale >= 1 else Decimal(raw)
    return conv


@lru_cache(maxsize=512)
def converter(t: str) -> Callable[[Any], Any]:
    """Python converter for one JSONCompact value of ClickHouse type ``t``."""
    def inner(prefix: str) -> str:
        return t[len(prefix):-1]
    if t.startswith("Nullable("):
        f = converter(inner("Nullable("))
        return lambda v: None if v is None else f(v)
    if t.startswith("LowCardinality("):
        return converter(inner("LowCardinality("))
    if t.startswith("Array("):
        f = converter(inner("Array("))
        return lambda v: [f(x) for x in v]
    if t.startswith("Tuple("):
        fs = [converter(_strip_name(p)) for p in _split_top(inner("Tuple("))]
        return lambda v: tuple(f(x) for f, x in zip(fs, v))
    if t.startswith("Decimal"):
        return _decimal(int(t[t.rindex(",") + 1 if "," in t else t.index("(") + 1:-1]))
    if t.startswith(("Int", "UInt")):
        return int
    if t.startswith("Float"):
        return float
    if t in ("Date", "Date32"):
        return date.fromisoformat
    if t.startswith("DateTime"):
        args = _split_top(t[t.index("(") + 1:-1]) if "(" in t else []
        zones = [a.strip("'") for a in args if a.startswith("'")]
        return _datetime(zones[0] if zones else None)
    if t == "UUID":
        return UUID
    return lambda v: v


def literal(v: Any) -> str:
    """One VALUES literal, matching what the driver would store for the same value."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if v != v else ("inf" if v > 0 else "-inf"))
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, datetime):
        if v.tzinfo is not None:  # the exact instant, independent of any timezone
            return str(int(v.timestamp()))
        return v.strftime("'%Y-%m-%d %H:%M:%S'")  # wall time in the column's zone
    if isinstance(v, date):
        return v.strftime("'%Y-%m-%d'")
    if isinstance(v, str):
        return "'%s'" % "".join(escape_chars_map.get(c, c) for c in v)
    if isinstance(v, Enum):
        return literal(v.value)
    if isinstance(v, UUID):
        return f"'{v}'"
    if isinstance(v, list):
        return "[%s]" % ", ".join(literal(x) for x in v)
    if isinstance(v, tuple):
        return "(%s)" % ", ".join(literal(x) for x in v)
    raise TypeError(f"cannot insert a {type(v).__name__} value: {v!r}")


def substitute(sql: str, params: Params) -> str:
    """clickhouse-driver's client-side substitution, identical quoting."""
    if params is None:
        return sql
    if not isinstance(params, dict):
        raise ValueError("Parameters are expected in dict form")
    return sql % escape_params(params, _CONTEXT)


class ChdbStore(Store):
    """Embedded chDB session on one folder (one process per folder, see PLATFORM.md)."""

    backend = "chdb"
    database = "default"

    def __init__(self, url: str, path: Path) -> None:
        super().__init__()
        import chdb.session  # built here, never at import

        self.url, self.path = url, path
        path.mkdir(parents=True, exist_ok=True)
        try:
            self._session = chdb.session.Session(str(path))
        except Exception as exc:  # "Cannot lock file .../status": another process owns it
            raise StoreUnavailable(f"chDB folder {path} unavailable: {exc}") from exc
        self._closed = False
        for stmt in _SETUP:
            self._run(stmt)

    def _run(self, sql: str, fmt: str = "CSV"):
        if self._closed:
            raise StoreUnavailable(f"store {self.url} is closed")
        try:
            return self._session.query(sql, fmt)
        except Exception as exc:
            raise StoreError(str(exc)) from exc

    def execute(self, sql: str, params: Params = None) -> None:
        sql = substitute(sql, params)
        with self._lock:
            self._run(sql)

    def query_with_names(self, sql: str, params: Params = None):
        sql = substitute(sql, params)
        with self._lock:
            res = self._run(sql, "JSONCompact")
            text = res.bytes() if hasattr(res, "bytes") else bytes(res)
        if not text.strip():
            return [], []
        doc = json.loads(text)
        meta = doc.get("meta", [])
        convs = [converter(m["type"]) for m in meta]
        rows = [tuple(f(v) for f, v in zip(convs, row)) for row in doc.get("data", [])]
        return [m["name"] for m in meta], rows

    def query_columns(self, sql: str, params: Params = None) -> list[list]:
        """Arrow from chDB, converted column-wise in C++ (~0.1 us a value)."""
        import pyarrow as pa

        sql = substitute(sql, params)
        with self._lock:
            res = self._run(sql, "ArrowStream")
            data = res.bytes() if hasattr(res, "bytes") else bytes(res)
        if not data:
            return []
        table = pa.ipc.open_stream(data).read_all()
        return [col.to_pylist() for col in table.columns]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> int:
        head = insert_head(table, columns)
        n, batch = 0, []
        width = len(columns)
        with self._lock:
            for row in rows:
                if len(row) != width:
                    raise StoreError(f"row has {len(row)} values for {width} columns: {row!r}")
                try:
                    batch.append("(%s)" % ", ".join(literal(v) for v in row))
                except TypeError as exc:
                    raise StoreError(f"bad value for {table}{tuple(columns)}: {exc}") from exc
                if len(batch) >= BATCH_ROWS:
                    self._run(head + " " + ",".join(batch))
                    n, batch = n + len(batch), []
            if batch:
                self._run(head + " " + ",".join(batch))
                n += len(batch)
        return n

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._session.close()
