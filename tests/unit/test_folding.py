from decimal import Decimal

from hallscore.core.folding import month_scores, year_result
from hallscore.core.ledger import LedgerLine
from hallscore.core.periods import IsoWeek
from hallscore.core.rubric import DEFAULT_RUBRIC, load_rubric
from hallscore.core.staff import staff_scores

D = Decimal
FOLD = load_rubric(DEFAULT_RUBRIC).folding


def test_weeks_fold_into_the_month_of_their_thursday():
    weeks = {IsoWeek(2026, 44): D(90), IsoWeek(2026, 45): D(95), IsoWeek(2026, 49): D(80)}
    # W44 runs Mon 26 Oct - Sun 1 Nov; its Thursday is 29 Oct: October.
    assert month_scores(weeks) == {(2026, 10): D(90), (2026, 11): D("95.00"), (2026, 12): D(80)}


def test_year_is_25_percent_monthly_plus_manual_and_a_veto_fails_it():
    months = {(2026, m): D(90) for m in range(1, 13)}
    incomplete = year_result(2026, FOLD.year, months, {}, vetoed=False)
    assert incomplete.total is None and incomplete.missing == ("tongxu.year.other",) and incomplete.passed is None
    done = year_result(2026, FOLD.year, months, {"tongxu.year.other": D(80)}, vetoed=False)
    assert done.total == D("22.50") + D("60.00") and done.passed is True
    vetoed = year_result(2026, FOLD.year, months, {"tongxu.year.other": D(100)}, vetoed=True)
    assert vetoed.passed is False and vetoed.total == D("97.50")


def _line(staff, points, kind="deduction", status="applied", unit="u1"):
    from datetime import date, datetime, timezone

    return LedgerLine("r@1", "x", f"s-{staff}-{points}", "h", unit, staff, "c", kind, D(points), status,
                      date(2026, 11, 16), datetime(2026, 11, 16, tzinfo=timezone.utc), "", 1)


def test_staff_scores_rank_by_score_then_fewer_occurrences():
    lines = [_line("a", -2), _line("b", -2), _line("b", 0, status="capped"), _line("c", 5, kind="bonus"),
             _line("a", -5, status="withdrawn"), _line("", -3)]
    got = [(s.staff, s.score, s.occurrences) for s in staff_scores(lines, D(100))]
    assert got == [("c", D(105), 0), ("a", D(98), 1), ("b", D(98), 1)]
