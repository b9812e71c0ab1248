"""The 周通报 of a hall-week: built live, published (frozen), restated when late lines arrive.

Publishing stores one immutable row in `bulletins`: the whole bulletin JSON, the rubric
version, when and by whom, and the ledger lines it was computed from (per unit:
source|rule -> kind|status|points, plus their count and highest revision). Reading a
published week returns exactly that JSON. The live recount is compared with it: units
whose rank, score or veto differ form the 更正 (restatement), each with the ledger lines
that are new or different since publication (hallscore.core.restatement) and when their
source events were received. Nothing ever updates or deletes a published row.
"""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone

from hallscore.core.periods import SHANGHAI
from hallscore.core.restatement import changed_lines, changed_units, line_key

from . import bulletin_store, queries
from .common import BadInput, Conflict, money
from .report import RankingService, parse_week

_PUBLISH_LOCK = threading.Lock()


def _title(hall_name: str, period_title: str) -> str:
    return f"{hall_name}窗口单位考核周通报（{period_title}）"


class Bulletins:
    def __init__(self, service: RankingService):
        self.svc = service

    def build(self, hall: str, week_text: str, rubric_version: str | None = None) -> dict:
        """The live bulletin: ranking first to last, deductions summary, vetoes."""
        report = self.svc.ranking(hall, week_text, rubric_version)
        rubric = self.svc.catalog.get(report["rubric_version"])
        names = {u["unit"]: u["unit_name"] for u in report["units"]}
        items: dict[str, list[dict]] = {}
        for unit, rule_id, kind, n, pts in bulletin_store.summary(
                self.svc.store, rubric.rubric_version, hall, parse_week(week_text).monday):
            name = self.svc.catalog.rule(rubric, rule_id)[0]
            items.setdefault(unit, []).append({"rule_id": rule_id, "rule_name": name, "kind": kind,
                                               "count": n, "points": money(pts)})
        deductions = [{"unit": u["unit"], "unit_name": u["unit_name"], "deductions": u["deductions"],
                       "bonuses": u["bonuses"], "items": items[u["unit"]]}
                      for u in report["units"] if u["unit"] in items]
        deductions += [{"unit": unit, "unit_name": names.get(unit, unit), "deductions": "", "bonuses": "",
                        "items": rows} for unit, rows in items.items() if unit not in names]
        return {**report, "county": self._county(hall), "title": _title(report["hall_name"], report["title"]),
                "period_title": report["title"], "deductions_summary": deductions}

    def _county(self, hall: str) -> str:
        entry = self.svc.halls_config.halls.get(hall)
        return entry.county if entry is not None else ""

    # -- publishing -------------------------------------------------------------------
    def publish(self, hall: str, week_text: str, published_by: str = "",
                rubric_version: str | None = None) -> dict:
        week = parse_week(week_text)
        rubric = self.svc.catalog.get(rubric_version)
        self.svc._known_hall(hall)
        with _PUBLISH_LOCK:
            existing = bulletin_store.published(self.svc.store, hall, week.monday)
            if existing is not None:
                raise Conflict(f"{hall} {week} 已于 {existing['published_at'].isoformat()} 发布，"
                               "已发布的周通报不可更改（迟到的数据以更正形式显示）")
            for _ in range(5):  # lines, bulletin, lines again: retry if the ledger moved meanwhile
                before = bulletin_store.lines(self.svc.store, rubric.rubric_version, hall, week.monday)
                body = self.build(hall, str(week), rubric.rubric_version)
                after = bulletin_store.lines(self.svc.store, rubric.rubric_version, hall, week.monday)
                if before == after:
                    break
            else:
                raise Conflict("账本数据正在更新，请稍后再发布")
            if not body["units"]:
                raise BadInput("week", f"{hall} has no data for {week}: nothing to publish")
            line_set, rows, max_revision = after
            now = datetime.now(timezone.utc).replace(microsecond=0)
            record = {"hall": hall, "week_monday": week.monday, "week": str(week),
                      "publish_id": uuid.uuid4().hex, "rubric_version": rubric.rubric_version,
                      "published_at": now, "published_by": published_by.strip()[:200],
                      "ledger_rows": rows, "ledger_max_revision": max_revision,
                      "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                      "lines": json.dumps(line_set, ensure_ascii=False, separators=(",", ":"))}
            bulletin_store.insert(self.svc.store, record)
        return self.view(hall, str(week))

    # -- reading ----------------------------------------------------------------------
    def view(self, hall: str, week_text: str) -> dict:
        """{status: published|draft, bulletin, published (meta) | None, restatement | None}."""
        week = parse_week(week_text)
        self.svc._known_hall(hall)
        rec = bulletin_store.published(self.svc.store, hall, week.monday)
        if rec is None:
            return {"status": "draft", "bulletin": self.build(hall, str(week)), "published": None,
                    "restatement": None}
        meta = {"publish_id": rec["publish_id"], "rubric_version": rec["rubric_version"],
                "published_at": rec["published_at"].astimezone(SHANGHAI).isoformat(),
                "published_by": rec["published_by"] or None,
                "ledger": {"rows": rec["ledger_rows"], "max_revision": rec["ledger_max_revision"]}}
        return {"status": "published", "bulletin": rec["body"], "published": meta,
                "restatement": self.restatement(hall, str(week), rec)}

    def restatement(self, hall: str, week_text: str, rec: dict) -> dict | None:
        rv = rec["rubric_version"]
        week = parse_week(week_text)
        if rv not in self.svc.catalog.by_version:
            return {"as_of": _now(), "units": [], "lines_changed": 0,
                    "note": f"评分细则 {rv} 已不在服务中，无法重算"}
        live = self.build(hall, week_text, rv)
        live_lines, _, _ = bulletin_store.lines(self.svc.store, rv, hall, week.monday)
        changed = changed_lines(rec["lines"], live_lines)
        units = changed_units(rec["body"]["units"], live["units"])
        if not units and not changed:
            return None
        names = {u["unit"]: u["unit_name"] for u in live["units"] + rec["body"]["units"]}
        rubric = self.svc.catalog.get(rv)
        for u in units:
            u["unit_name"] = names.get(u["unit"], u["unit"])
            u["lines"] = self._lines(rubric, hall, week, u["unit"], set(changed.get(u["unit"], ())))
        shown = {u["unit"] for u in units}
        return {"as_of": _now(), "units": units,
                "lines_changed": sum(len(k) for k in changed.values()),
                "lines_changed_elsewhere": sum(len(k) for u, k in changed.items() if u not in shown)}

    def _lines(self, rubric, hall: str, week, unit: str, keys: set[str]) -> list[dict]:
        raw = [x for x in queries.unit_lines(self.svc.store, rubric.rubric_version, hall, week, unit)
               if line_key(x["source_id"], x["rule_id"]) in keys]
        received = bulletin_store.received(self.svc.store, hall, sorted({x["source_id"] for x in raw}))
        out = []
        for x in raw:
            line = self.svc.line_json(rubric, x)
            at = received.get(x["source_id"])
            line["received_at"] = at.isoformat() if at is not None else None
            out.append(line)
        return out

    def published_weeks(self, hall: str) -> dict[str, str]:
        return {w: at.astimezone(SHANGHAI).isoformat()
                for w, at in bulletin_store.published_weeks(self.svc.store, hall).items()}


def _now() -> str:
    return datetime.now(SHANGHAI).replace(microsecond=0).isoformat()

