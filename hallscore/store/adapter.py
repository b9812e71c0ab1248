"""One small ClickHouse adapter: a real server (clickhouse-driver, native protocol) or
embedded chDB, driven by the SAME SQL.

URLs (see :func:`open_store`):
  ``chdb:///abs/path/to/dir``                   embedded chDB; the folder is created.
  ``clickhouse://[user[:pw]@]host[:port]/db``  server; ``db`` is created if missing.

Parameters are always clickhouse-driver style ``%(name)s`` (use ``%%`` for a literal
``%`` when params are given). chDB substitutes them client-side with
``clickhouse_driver.util.escape`` so quoting is byte-for-byte what the driver sends.

Python types returned by both backends (the contract):
  String / Enum8          -> str
  (U)Int8..64             -> int
  Float32/64              -> float
  Decimal(P,S)            -> decimal.Decimal, exact, never float. Built as the driver does,
                             Decimal(raw) / 10**S: -0.20 reads back as Decimal('-0.2').
                             Compare by value; quantize for display.
  Date                    -> datetime.date
  DateTime('Zone')        -> tz-aware datetime.datetime in that zone (pytz tzinfo, as the driver)
  DateTime (no zone)      -> naive datetime in the server / session timezone (Asia/Shanghai)
  Nullable(T)             -> None or T;  Array(T) -> list;  Tuple(...) -> tuple;  UUID -> uuid.UUID

Insert values: str, int, float, Decimal, date, datetime (aware: exact instant; naive: wall
time in the column's zone), None, UUID, Enum, list/tuple. Decimal digits beyond the column
scale are truncated toward zero on both backends (0.125 -> 0.12): quantize first.

Timezone: the dev server and the chDB session run in Asia/Shanghai. An aware datetime
*parameter* is rendered as wall time in that zone (driver behaviour), so comparisons with
DateTime('Asia/Shanghai') columns are exact.

Known 18.16 vs chDB 26.9 differences (write SQL that avoids them):
  * groupArray over Decimal128 -- e.g. of sum(Decimal(9,2)) -- SEGFAULTS the 18.16 server:
    cast first, ``toDecimal64(sum(points), 2)``.
  * toString(Decimal): '-9.00' on 18.16, '-9' on chDB. Format money in Python.

Errors: every backend failure is a :class:`StoreError` (``.code`` = ClickHouse error code
when known); connection failures are :class:`StoreUnavailable` (safe to retry later).
"""
from __future__ import annotations

import re
import struct
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import unquote, urlsplit

__all__ = ["Store", "StoreError", "StoreUnavailable", "open_store", "TIMEZONE"]

TIMEZONE = "Asia/Shanghai"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CODE = re.compile(r"Code:\s*(\d+)")
Params = Mapping[str, Any] | None


class StoreError(Exception):
    """A ClickHouse / chDB failure. ``code`` is the ClickHouse error code when known."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        if code is None:
            m = _CODE.search(message)
            code = int(m.group(1)) if m else None
        self.code = code


class StoreUnavailable(StoreError):
    """The backend cannot be reached (connection refused, timeout, data folder locked)."""


class Store(ABC):
    """Backend-neutral handle. Thread-safe: calls are serialised by a lock."""

    backend: str  # "server" | "chdb"
    url: str
    database: str

    def __init__(self) -> None:
        self._lock = threading.RLock()

    @abstractmethod
    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement without result rows (DDL, ALTER, OPTIMIZE, INSERT ... SELECT)."""

    @abstractmethod
    def query_with_names(self, sql: str, params: Params = None
                         ) -> tuple[list[str], list[tuple]]:
        """Run a SELECT; return (column names, rows as tuples)."""

    def query(self, sql: str, params: Params = None) -> list[tuple]:
        """Run a SELECT; return rows as tuples."""
        return self.query_with_names(sql, params)[1]

    def query_columns(self, sql: str, params: Params = None) -> list[list]:
        """Run a SELECT of String and integer columns; return one list per column
        (str / int values). The bulk path (a replay reads millions of rows): no
        per-value conversion, so use it only for String and (U)Int columns."""
        names, rows = self.query_with_names(sql, params)
        return [list(col) for col in zip(*rows)] if rows else [[] for _ in names]

    def query_dicts(self, sql: str, params: Params = None) -> list[dict]:
        """Run a SELECT; return rows as ``{column: value}`` dicts."""
        names, rows = self.query_with_names(sql, params)
        return [dict(zip(names, row)) for row in rows]

    @abstractmethod
    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> int:
        """Insert rows (batched); return the number of rows sent."""

    @abstractmethod
    def close(self) -> None:
        """Release the client / session. Idempotent."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


def check_identifier(name: str) -> str:
    """Table / column / database names are plain identifiers (optionally db.table)."""
    if not all(_IDENT.match(part) for part in name.split(".")) or name.count(".") > 1:
        raise ValueError(f"not a plain ClickHouse identifier: {name!r}")
    return name


def quote_identifier(name: str) -> str:
    """`name` or `db`.`table`, backtick-quoted (keywords such as `window` stay safe)."""
    return ".".join(f"`{part}`" for part in check_identifier(name).split("."))


def insert_head(table: str, columns: Sequence[str]) -> str:
    if not columns:
        raise ValueError("insert needs at least one column")
    cols = ", ".join(quote_identifier(c) for c in columns)
    return f"INSERT INTO {quote_identifier(table)} ({cols}) VALUES"


class ServerStore(Store):
    """clickhouse-driver over the native protocol (tested against 18.16)."""

    backend = "server"

    def __init__(self, url: str, host: str, port: int, database: str,
                 user: str = "default", password: str = "") -> None:
        super().__init__()
        from clickhouse_driver import Client, errors  # built here, never at import

        self.url, self.database, self._errors = url, database, errors
        kw = dict(host=host, port=port, user=user, password=password, client_name="hallscore",
                  connect_timeout=5, send_receive_timeout=300, sync_request_timeout=5)
        boot = Client(database="default", **kw)
        try:
            self._call(boot.execute, f"CREATE DATABASE IF NOT EXISTS {database}")
        finally:
            boot.disconnect()
        self._client = Client(database=database, **kw)

    def _call(self, fn, *args, **kwargs):
        e = self._errors
        try:
            return fn(*args, **kwargs)
        except (e.NetworkError, e.SocketTimeoutError, EOFError, OSError) as exc:
            raise StoreUnavailable(f"ClickHouse at {self.url} unavailable: {exc}") from exc
        except e.ServerException as exc:
            raise StoreError(str(exc), getattr(exc, "code", None)) from exc
        except e.Error as exc:
            raise StoreError(str(exc), getattr(exc, "code", None)) from exc

    def execute(self, sql: str, params: Params = None) -> None:
        with self._lock:
            self._call(self._client.execute, sql, params)

    def query_with_names(self, sql: str, params: Params = None):
        with self._lock:
            rows, types = self._call(self._client.execute, sql, params, with_column_types=True)
        return [name for name, _ in types], [tuple(r) for r in rows]

    def query_columns(self, sql: str, params: Params = None) -> list[list]:
        with self._lock:
            cols, types = self._call(self._client.execute, sql, params, columnar=True, with_column_types=True)
        return [list(c) for c in cols] if cols else [[] for _ in types]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> int:
        head = insert_head(table, columns)
        rows = [tuple(r) for r in rows]
        if not rows:
            return 0
        # Never an inline "INSERT ... VALUES (...)" string: it hangs 18.16 (PLATFORM.md).
        with self._lock:  # (types_check=True breaks str values for Enum columns)
            try:
                self._call(self._client.execute, head, rows)
            except (TypeError, ValueError, OverflowError, struct.error) as exc:
                raise StoreError(f"bad value for {table}{tuple(columns)}: {exc!r}") from exc
        return len(rows)

    def close(self) -> None:
        with self._lock:
            self._client.disconnect()


def open_store(url: str) -> Store:
    """Open a Store for ``chdb:///abs/dir`` or ``clickhouse://host:port/database``.

    Raises ValueError for a malformed URL and StoreUnavailable when the backend
    cannot be reached (or the chDB folder is locked by another process).
    """
    scheme, _, rest = url.partition("://")
    if scheme == "chdb":
        if not rest:
            raise ValueError(f"chdb URL needs a folder: {url!r}")
        from ._chdb import ChdbStore

        return ChdbStore(url, Path(unquote(rest)).expanduser().resolve())
    if scheme in ("clickhouse", "clickhouse+native"):
        parts = urlsplit(url)
        database = parts.path.strip("/") or "default"
        check_identifier(database)
        if "." in database:
            raise ValueError(f"bad database name in {url!r}")
        return ServerStore(url, parts.hostname or "127.0.0.1", parts.port or 9000, database,
                           unquote(parts.username or "default"), unquote(parts.password or ""))
    raise ValueError(f"unsupported store URL {url!r}: use chdb:///dir or clickhouse://host:port/db")
