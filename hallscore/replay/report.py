"""A replay's diff as a JSON-ready report, and as an xlsx workbook (the what-if tool's output).

Money and scores are strings with two decimals, like every ranking answer.
"""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Callable

from hallscore.core.rubric import Rubric
from hallscore.core.schedule import HallsConfig
from hallscore.store.adapter import Store

from . import diff, jobs, read

CENT = Decimal("0.01")
FLAGS = {"quarter": "award", "year": "vetoed"}  # what old_flag / new_flag mean per level
TITLES = {"week": "周排名 weekly ranks", "month": "月度 monthly scores", "quarter": "季度 quarterly (优质窗口 awards)",
          "year": "年度 annual (一票否决 vetoes)"}


def _money(v: Decimal | None) -> str | None:
    if v is None:
        return None
    q = v.quantize(CENT)
    return str(q if not q.is_zero() else Decimal(0).quantize(CENT))


def _signed(v: Decimal | None) -> str | None:
    text = _money(v)
    return None if text is None else (text if text.startswith("-") or text == "0.00" else f"+{text}")


def row(c: diff.Change, unit_name: Callable[[str, str], str]) -> dict:
    out = {"period": c.period, "complete": c.complete, "hall": c.hall, "unit": c.unit,
           "unit_name": unit_name(c.hall, c.unit), "old_rank": c.old_rank, "new_rank": c.new_rank,
           "rank_change": c.rank_change, "old_score": _money(c.old_score), "new_score": _money(c.new_score),
           "score_change": _signed(c.score_change)}
    if c.level in FLAGS:
        out[f"old_{FLAGS[c.level]}"], out[f"new_{FLAGS[c.level]}"] = c.old_flag, c.new_flag
    return out


def diff_report(store: Store, job: jobs.Job, old: Rubric, new: Rubric, halls: HallsConfig) -> dict:
    """What would change from `old` (read under its rubric_version / label) to the job's projection."""
    scope = [job.hall] if job.hall else sorted({w.hall for w in read.units(store, job.start, job.end)})
    changes = diff.compare(store, scope, job.date_from, job.date_to, old.rubric_version, old, job.label, new)
    by_level: dict[str, list[dict]] = {level: [] for level in diff.LEVELS}
    for c in changes:
        by_level[c.level].append(row(c, halls.unit_name))
    return {"replay": job.id, "old": old.rubric_version, "new": job.label, "rubric_version": job.rubric_version,
            "date_from": job.date_from.isoformat(), "date_to": job.date_to.isoformat(), "halls": scope,
            "identical": not changes, "summary": diff.summary(changes), "changes": by_level}


_SCORES = ("old_score", "new_score", "score_change")  # numbers in the sheet
_HEAD = ["period", "complete", "hall", "unit", "unit_name", "old_rank", "new_rank", "rank_change", "old_score",
         "new_score", "score_change"]


def xlsx_bytes(report: dict) -> bytes:
    """The report as a workbook: a summary sheet and one sheet per level."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "概要 Summary"
    for k in ("replay", "old", "new", "date_from", "date_to"):
        ws.append([k, report[k]])
    ws.append(["halls", ", ".join(report["halls"])])
    ws.append(["identical", "yes — nothing would change" if report["identical"] else "no"])
    ws.append([])
    ws.append(["level", "rows", "periods", "units", "units whose score changes"])
    for level, s in report["summary"].items():
        ws.append([TITLES[level], s["rows"], s["periods"], s["units"], s["units_score_changed"]])
    for level in diff.LEVELS:
        sheet = wb.create_sheet(TITLES[level].split(" ")[0] + " " + level)
        head = _HEAD + ([f"old_{FLAGS[level]}", f"new_{FLAGS[level]}"] if level in FLAGS else [])
        sheet.append(head)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for r in report["changes"][level]:
            sheet.append([float(r[h]) if h in _SCORES and r[h] is not None else r.get(h) for h in head])
        sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
