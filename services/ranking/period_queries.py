"""SQL over a span of weeks and several halls: the aggregates every ranking is built from.

SQL only aggregates; which weeks count, vetoes, ranks and awards are decided in the
pure core (hallscore.core.standings / awards). Same portability and FINAL rules as
queries.py: ledger is read with FINAL and WHERE filters only sorting-key columns
(rubric_version, hall, week_monday, unit, source_id, rule_id); conditions on columns a
later revision may change (kind, status, points, occurred_at) sit in -If aggregates or in
HAVING, after the FINAL merge. raw_events are immutable per (hall, unit, event_id), so
DISTINCT / min / uniqExact over them need no FINAL (a duplicate adds nothing); the same
holds for the two pre-aggregates (min and existence).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hallscore.core.period_weeks import week_end
from hallscore.core.periods import SHANGHAI, IsoWeek
from hallscore.core.standings import Span, Veto
from hallscore.store.adapter import Store

from .queries import COUNTED

# (1) counted points per hall, week and unit.
SPAN_TOTALS_SQL = f"""
SELECT hall, week_monday, unit,
       toDecimal64(sumIf(points, kind = 'deduction' AND {COUNTED}), 2) AS deductions,
       toDecimal64(sumIf(points, kind = 'bonus' AND {COUNTED}), 2) AS bonuses
FROM ledger FINAL
WHERE rubric_version = %(rv)s AND hall IN %(halls)s
  AND week_monday >= %(first)s AND week_monday <= %(last)s
GROUP BY hall, week_monday, unit
"""

# (2) each unit's first event (a unit is listed from the week of its first event on),
# from the unit_first_seen pre-aggregate (materialized view on raw_events, schema.py).
FIRST_SEEN_SQL = """
SELECT hall, unit, minMerge(first_at) AS first_at
FROM unit_first_seen
WHERE hall IN %(halls)s
GROUP BY hall, unit
"""

# (3) the weeks each hall had any data in (an event, or a ledger line of any version),
# from the hall_weeks pre-aggregate (materialized views on raw_events and ledger).
DATA_WEEKS_SQL = """
SELECT DISTINCT hall, monday FROM hall_weeks
WHERE hall IN %(halls)s AND monday >= %(first)s AND monday <= %(last)s
"""

# The same two answers straight from the raw tables (a scan of the hall's events): what
# (2) and (3) replace; bench/ranking_query.py times both.
FIRST_SEEN_RAW_SQL = """
SELECT hall, unit, min(occurred_at) AS first_at
FROM raw_events
WHERE hall IN %(halls)s AND occurred_at < %(until)s
GROUP BY hall, unit
"""

DATA_WEEKS_RAW_SQL = """
SELECT hall, monday FROM (
    SELECT DISTINCT hall, week_monday AS monday FROM ledger
    WHERE hall IN %(halls)s AND week_monday >= %(first)s AND week_monday <= %(last)s
    UNION ALL
    SELECT DISTINCT hall, toMonday(occurred_at, 'Asia/Shanghai') AS monday FROM raw_events
    WHERE hall IN %(halls)s AND occurred_at >= %(start)s AND occurred_at < %(until)s
) GROUP BY hall, monday
"""

# (4) applied vetoes from the start of the first week's year (one row per ledger key).
# rule_id is a sorting-key column (a withdrawn veto keeps its rule id and changes kind),
# so narrowing to the rubric's veto ids in WHERE is safe and skips nearly every row.
VETOES_SQL = """
SELECT hall, unit, rule_id, source_id, max(occurred_at) AS at
FROM ledger FINAL
WHERE rubric_version = %(rv)s AND hall IN %(halls)s
  AND week_monday >= %(scan_from)s AND week_monday <= %(last)s AND rule_id IN %(veto_ids)s
GROUP BY hall, week_monday, unit, source_id, rule_id
HAVING countIf(kind = 'veto' AND status = 'applied') > 0
ORDER BY at, hall, unit, rule_id
"""

# (5) per staff member: what core.staff.staff_scores sums, over the span.
STAFF_TOTALS_SQL = f"""
SELECT hall, unit, staff,
       toDecimal64(sumIf(points, kind = 'deduction' AND {COUNTED}), 2) AS deductions,
       toDecimal64(sumIf(points, kind = 'bonus' AND {COUNTED}), 2) AS bonuses,
       countIf(kind = 'deduction' AND {COUNTED} AND points != 0) AS occurrences,
       countIf(kind != 'veto' AND {COUNTED}) AS counted
FROM ledger FINAL
WHERE rubric_version = %(rv)s AND hall IN %(halls)s
  AND week_monday >= %(first)s AND week_monday <= %(last)s
GROUP BY hall, unit, staff
HAVING counted > 0 AND staff != ''
"""

# (6) per staff member: events in the span, 非常满意 reviews and completed transactions.
STAFF_ACTIVITY_SQL = """
SELECT hall, unit, staff,
       uniqExactIf(event_id, `type` = 'review.submitted'
                   AND visitParamExtractString(payload, 'level') = '非常满意') AS praised,
       uniqExactIf(event_id, `type` = 'transaction.completed') AS transactions
FROM raw_events
WHERE hall IN %(halls)s AND occurred_at >= %(start)s AND occurred_at < %(until)s AND staff != ''
GROUP BY hall, unit, staff
"""


def key(hall: str, unit: str) -> str:
    return f"{hall}/{unit}"


def split_key(k: str) -> tuple[str, str]:
    hall, _, unit = k.partition("/")
    return hall, unit


def _bounds(weeks: tuple[IsoWeek, ...]) -> dict:
    first, last = weeks[0].monday, weeks[-1].monday
    first_year = (first + timedelta(days=3)).year
    return {"first": first, "last": last, "until": week_end(weeks[-1]),
            "start": datetime(first.year, first.month, first.day, tzinfo=SHANGHAI),
            "scan_from": date(first_year, 1, 1) - timedelta(days=6)}


def load_span(store: Store, rv: str, halls: list[str], weeks: tuple[IsoWeek, ...], base: Decimal,
              veto_ids: tuple[str, ...], pre_aggregated: bool = True) -> Span:
    """Four queries: totals, first events, data weeks and vetoes of the halls over the weeks
    (pre_aggregated=False reads first events and data weeks from the raw tables instead)."""
    p = {"rv": rv, "halls": tuple(halls) or ("",), "veto_ids": tuple(veto_ids) or ("",), **_bounds(weeks)}
    totals: dict[IsoWeek, dict[str, tuple[Decimal, Decimal]]] = {}
    for hall, monday, unit, ded, bon in store.query(SPAN_TOTALS_SQL, p):
        totals.setdefault(IsoWeek.of_date(monday), {})[key(hall, unit)] = (ded, bon)
    first_sql, weeks_sql = (FIRST_SEEN_SQL, DATA_WEEKS_SQL) if pre_aggregated else \
        (FIRST_SEEN_RAW_SQL, DATA_WEEKS_RAW_SQL)
    first_seen = {key(h, u): at for h, u, at in store.query(first_sql, p)}
    data_weeks: dict[str, set[IsoWeek]] = {}
    for hall, monday in store.query(weeks_sql, p):
        data_weeks.setdefault(hall, set()).add(IsoWeek.of_date(monday))
    vetoes = [Veto(key(h, u), r, s, at) for h, u, r, s, at in store.query(VETOES_SQL, p)]
    return Span(base, weeks, totals, first_seen, data_weeks, vetoes)


def staff_totals(store: Store, rv: str, halls: list[str], weeks: tuple[IsoWeek, ...]) -> list[tuple]:
    """(hall, unit, staff, deductions, bonuses, occurrences) of staff with a counted line."""
    p = {"rv": rv, "halls": tuple(halls) or ("",), **_bounds(weeks)}
    return [r[:6] for r in store.query(STAFF_TOTALS_SQL, p)]


def staff_activity(store: Store, halls: list[str], weeks: tuple[IsoWeek, ...]) -> list[tuple]:
    """(hall, unit, staff, praised, transactions) of staff with an event in the weeks."""
    p = {"halls": tuple(halls) or ("",), **_bounds(weeks)}
    return store.query(STAFF_ACTIVITY_SQL, p)
