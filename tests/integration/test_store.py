"""The Store adapter on BOTH backends (embedded chDB 26.9 and a real ClickHouse 18.16)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from hallscore.store.adapter import StoreError, StoreUnavailable, open_store
from hallscore.store.devserver import free_port
from hallscore.store.schema import CASE_EVENT_COLUMNS, LEDGER_COLUMNS, RAW_EVENT_COLUMNS, ensure_schema

pytestmark = pytest.mark.integration

SHANGHAI = timezone(timedelta(hours=8))
WEEK = date(2026, 1, 5)  # a Monday
NASTY = "O'Brien \\ \"引号\" 市民中心\n\t第二行 %s %(x)s `tick` \x00end"


def ledger_row(**kw):
    row = dict(rubric_version="2026.1", rule_id="R-001", source_id="ev-1", hall="市民中心",
               unit="税务", staff="张三", category="服务", kind="deduction", status="applied",
               points=Decimal("-0.20"), week_monday=WEEK,
               occurred_at=datetime(2026, 1, 6, 9, 30, tzinfo=SHANGHAI), detail="", revision=1, period="2026-W02")
    row.update(kw)
    return tuple(row[c] for c in LEDGER_COLUMNS)


def raw_row(**kw):
    row = dict(event_id=str(uuid.uuid4()), type="ticket.called", schema_version=1,
               hall="市民中心", unit="税务", window="A01", staff="张三", device="kiosk-1",
               occurred_at=datetime(2026, 1, 6, 9, 30, tzinfo=SHANGHAI),
               received_at=datetime(2026, 1, 6, 9, 30, 1, tzinfo=SHANGHAI), payload="{}")
    row.update(kw)
    return tuple(row[c] for c in RAW_EVENT_COLUMNS)


def test_ensure_schema_is_idempotent(store):
    ensure_schema(store)
    ensure_schema(store)
    tables = store.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                         "ORDER BY name")
    assert {"case_events", "ledger", "raw_events"} <= {t for (t,) in tables}
    cols = store.query("DESCRIBE TABLE ledger")
    assert tuple(c[0] for c in cols) == LEDGER_COLUMNS
    types = {c[0]: c[1] for c in cols}
    assert types["points"] == "Decimal(9, 2)"
    assert types["occurred_at"] == "DateTime('Asia/Shanghai')"
    assert types["kind"] == "Enum8('deduction' = 1, 'bonus' = 2, 'veto' = 3)"
    assert tuple(c[0] for c in store.query("DESCRIBE TABLE raw_events")) == RAW_EVENT_COLUMNS
    case_cols = {c[0]: c[1] for c in store.query("DESCRIBE TABLE case_events")}
    assert tuple(case_cols) == CASE_EVENT_COLUMNS
    assert (case_cols["due"], case_cols["occurred_at"]) == ("Nullable(Date)", "DateTime('Asia/Shanghai')")


def test_replacing_ledger_final_returns_latest_revision(store):
    assert store.insert("ledger", LEDGER_COLUMNS, [
        ledger_row(source_id="ev-1", revision=1, points=Decimal("-0.20"), detail="first"),
        ledger_row(source_id="ev-2", revision=1, points=Decimal("-1.00"), detail="other"),
    ]) == 2
    # same key, higher revision, separate insert (separate part); then a stale revision
    store.insert("ledger", LEDGER_COLUMNS,
                 [ledger_row(source_id="ev-1", revision=3, points=Decimal("0.00"),
                             kind="veto", detail="corrected")])
    store.insert("ledger", LEDGER_COLUMNS,
                 [ledger_row(source_id="ev-1", revision=2, points=Decimal("-5.00"),
                             detail="stale")])
    sql = ("SELECT source_id, revision, kind, points, detail FROM ledger FINAL "
           "ORDER BY source_id")
    expected = [("ev-1", 3, "veto", Decimal("0.00"), "corrected"),
                ("ev-2", 1, "deduction", Decimal("-1.00"), "other")]
    assert store.query(sql) == expected
    store.execute("OPTIMIZE TABLE ledger FINAL")
    assert store.query("SELECT count() FROM ledger") == [(2,)]
    assert store.query(sql) == expected


def test_chinese_quotes_and_backslashes_round_trip(store):
    payload = '{"note": "窗口\\"A\\" 说：\'请稍候\'", "path": "C:\\\\temp"}'
    store.insert("raw_events", RAW_EVENT_COLUMNS,
                 [raw_row(event_id="e-1", staff=NASTY, payload=payload, window="窗口'7'")])
    got = store.query_dicts("SELECT staff, payload, `window`, hall FROM raw_events")
    assert got == [{"staff": NASTY, "payload": payload, "window": "窗口'7'", "hall": "市民中心"}]
    assert store.query("SELECT length(staff) FROM raw_events") == [(len(NASTY.encode()),)]


def test_decimal_points_sum_exactly(store):
    rows = [ledger_row(source_id=f"ev-{i}", points=Decimal("-0.20")) for i in range(10)]
    rows += [ledger_row(source_id="f", points=0.29, unit="社保")]  # a float, as sent by JSON
    store.insert("ledger", LEDGER_COLUMNS, rows)
    got = store.query("SELECT unit, sum(points) FROM ledger FINAL GROUP BY unit ORDER BY unit")
    assert got == [("社保", Decimal("0.29")), ("税务", Decimal("-2.00"))]
    assert all(isinstance(v, Decimal) for _, v in got)
    (total,), = store.query("SELECT toDecimal64(100, 2) + sum(points) FROM ledger FINAL")
    assert total == Decimal("98.29") and isinstance(total, Decimal)


def test_tomonday_uses_shanghai_week(store):
    instant = datetime(2026, 1, 4, 23, 30, tzinfo=timezone.utc)  # Sunday in UTC
    store.insert("raw_events", RAW_EVENT_COLUMNS, [raw_row(event_id="late", occurred_at=instant)])
    row = store.query_dicts(
        "SELECT occurred_at, toString(occurred_at) AS wall, "
        "toMonday(occurred_at, 'Asia/Shanghai') AS monday, "
        "toMonday(toDateTime(toUnixTimestamp(occurred_at), 'UTC'), 'UTC') AS utc_monday, "
        "toMonday(addSeconds(occurred_at, 3600), 'Asia/Shanghai') AS monday_later "
        "FROM raw_events")[0]
    assert row["occurred_at"] == instant and row["occurred_at"].utcoffset() == timedelta(hours=8)
    assert row["wall"] == "2026-01-05 07:30:00"
    assert row["monday"] == date(2026, 1, 5) == row["monday_later"]
    assert row["utc_monday"] == date(2025, 12, 29)
    # an aware datetime parameter matches the stored instant
    assert store.query("SELECT event_id FROM raw_events WHERE occurred_at = %(t)s",
                       {"t": instant}) == [("late",)]


def test_params_escaping_with_quotes(store):
    store.insert("raw_events", RAW_EVENT_COLUMNS,
                 [raw_row(event_id="q", staff="O'Brien"), raw_row(event_id="n", staff="x")])
    q = "SELECT event_id FROM raw_events WHERE staff = %(s)s ORDER BY event_id"
    assert store.query(q, {"s": "O'Brien"}) == [("q",)]
    assert store.query(q, {"s": "x' OR 1 = 1 OR staff = '"}) == []
    assert store.query("SELECT %(v)s AS v, %(d)s AS d, %(n)s AS n",
                       {"v": NASTY, "d": WEEK, "n": 7}) == [(NASTY, "2026-01-05", 7)]
    assert store.query("SELECT count() FROM raw_events WHERE event_id IN %(ids)s",
                       {"ids": ("q", "n", "zz")}) == [(2,)]


# sum(Decimal(9,2)) is Decimal128 and groupArray over Decimal128 SEGFAULTS 18.16: cast first.
RANKING_SQL = """
SELECT hall, unit, score, rnk, drnk
FROM
(
    SELECT hall,
           arraySort(x -> (-x.1, x.2), groupArray((score, unit))) AS sorted,
           arrayMap(x -> x.1, sorted) AS scores,
           arrayMap(x -> x.2, sorted) AS units,
           arrayMap((i, u) -> i - u + 1, arrayEnumerate(scores), arrayEnumerateUniq(scores))
               AS ranks,
           arrayEnumerateDense(scores) AS denses
    FROM
    (
        SELECT hall, unit, toDecimal64(100, 2) + toDecimal64(sum(points), 2) AS score
        FROM ledger FINAL
        WHERE rubric_version = %(rv)s AND week_monday = %(week)s
        GROUP BY hall, unit
    )
    GROUP BY hall
)
ARRAY JOIN units AS unit, scores AS score, ranks AS rnk, denses AS drnk
ORDER BY hall, rnk, unit
"""

RANKING_EXPECTED = [
    ("东区大厅", "公安", Decimal("100.00"), 1, 1),
    ("东区大厅", "医保", Decimal("99.50"), 2, 2),
    ("市民中心", "不动产", Decimal("99.80"), 1, 1),
    ("市民中心", "社保", Decimal("99.80"), 1, 1),
    ("市民中心", "税务", Decimal("97.00"), 3, 2),
]


def _ranking_rows():
    pts = [("市民中心", "税务", "-1.00"), ("市民中心", "税务", "-2.00"),
           ("市民中心", "社保", "-0.20"), ("市民中心", "不动产", "-0.30"),
           ("市民中心", "不动产", "0.10"), ("东区大厅", "医保", "-0.50"),
           ("东区大厅", "公安", "0.00")]
    rows = [ledger_row(hall=h, unit=u, points=Decimal(p), source_id=f"s{i}")
            for i, (h, u, p) in enumerate(pts)]
    rows.append(ledger_row(hall="东区大厅", unit="公安", week_monday=WEEK + timedelta(7),
                           points=Decimal("-9.00"), source_id="other-week"))
    rows.append(ledger_row(hall="市民中心", unit="税务", rubric_version="old",
                           points=Decimal("-9.00"), source_id="old-rubric"))
    return rows


def test_ranking_query_portable(store):
    store.insert("ledger", LEDGER_COLUMNS, _ranking_rows())
    got = store.query(RANKING_SQL, {"rv": "2026.1", "week": WEEK})
    assert got == RANKING_EXPECTED


def test_both_backends_return_identical_rows_and_types(clickhouse_server_url, tmp_path):
    """The same SQL on both backends gives equal values of equal Python types.

    (Not toString(Decimal): 18.16 gives '-9.00', chDB 26.9 gives '-9'.)"""
    probe = ("SELECT unit, kind, points, week_monday, occurred_at, revision, "
             "[1, 2] AS arr, (1, 'a') AS tup, "
             "CAST(NULL AS Nullable(String)) AS nul, toFloat64(points) AS f "
             "FROM ledger FINAL ORDER BY source_id")
    results = []
    base = clickhouse_server_url.rsplit("/", 1)[0]
    db = f"hallscore_t_{uuid.uuid4().hex[:12]}"
    for url in (f"chdb://{tmp_path / 'chdb'}", f"{base}/{db}"):
        with open_store(url) as s:
            ensure_schema(s)
            s.insert("ledger", LEDGER_COLUMNS, _ranking_rows())
            results.append((s.query(RANKING_SQL, {"rv": "2026.1", "week": WEEK}),
                            s.query_dicts(probe)))
            if s.backend == "server":
                s.execute(f"DROP DATABASE {db}")
    (rank_a, probe_a), (rank_b, probe_b) = results
    assert rank_a == rank_b == RANKING_EXPECTED
    assert probe_a == probe_b
    for ra, rb in zip(probe_a, probe_b):
        assert {k: type(v) for k, v in ra.items()} == {k: type(v) for k, v in rb.items()}
        assert ra["occurred_at"].utcoffset() == rb["occurred_at"].utcoffset()
        assert {k: str(v) for k, v in ra.items()} == {k: str(v) for k, v in rb.items()}


def test_errors_are_wrapped(store):
    with pytest.raises(StoreError) as exc:
        store.query("SELECT no_such_column FROM ledger")
    assert exc.value.code == 47  # UNKNOWN_IDENTIFIER on both
    with pytest.raises(StoreError):
        store.execute("CREATE TABLE broken (")


def test_unreachable_server_is_store_unavailable():
    with pytest.raises(StoreUnavailable):
        open_store(f"clickhouse://127.0.0.1:{free_port()}/nothing_here")


def test_bad_urls():
    for url in ("mysql://x/y", "chdb://", "clickhouse://127.0.0.1:9000/bad-name"):
        with pytest.raises(ValueError):
            open_store(url)
