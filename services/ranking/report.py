"""The 周通报 as data: queries + rubric + halls config -> JSON-ready dicts.

Money (score, deductions, bonuses, points, base_points) is always a string with exactly
two decimals ("98.50", "-2.00"): exact, and identical on both store backends.
Instants are ISO 8601 with the +08:00 offset; dates are ISO dates; weeks look like 2026-W47.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hallscore.core.periods import IsoWeek
from hallscore.core.ranking import UnitScore, rank, weekly_score
from hallscore.core.rubric import Rubric, RubricError, load_rubric
from hallscore.core.schedule import HallsConfig
from hallscore.store.adapter import Store

from . import queries

CENT = Decimal("0.01")
ZERO = Decimal(0)


class NotFound(LookupError):
    """An unknown hall, unit or rubric version (404)."""


class BadInput(ValueError):
    """A malformed request value (422); `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def money(value: Decimal) -> str:
    q = value.quantize(CENT)
    return str(q if not q.is_zero() else ZERO.quantize(CENT))


def parse_week(text: str) -> IsoWeek:
    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise BadInput("week", str(exc)) from None


class Catalog:
    """Rubrics by version: the active one plus every other valid *.yaml beside it (audit)."""

    def __init__(self, active_file: Path):
        self.active = load_rubric(active_file)  # a broken active rubric fails the start
        self.by_version: dict[str, Rubric] = {self.active.rubric_version: self.active}
        for path in sorted(Path(active_file).parent.glob("*.yaml")):
            try:
                r = load_rubric(path)
            except RubricError:
                continue
            self.by_version.setdefault(r.rubric_version, r)

    def get(self, version: str | None) -> Rubric:
        if version is None or version == "":
            return self.active
        try:
            return self.by_version[version]
        except KeyError:
            raise NotFound(f"rubric version {version!r} is not loaded "
                           f"(known: {', '.join(sorted(self.by_version))})") from None

    @staticmethod
    def rule(rubric: Rubric, rule_id: str) -> tuple[str | None, dict | None]:
        """(name, seed {file, quote}) of a rule of the rubric, or (None, None)."""
        found = rubric.items().get(rule_id)
        rule = found[1] if found else (rubric.bonus(rule_id) or rubric.veto(rule_id))
        if rule is None:
            cat = next((c for c in rubric.categories if c.id == rule_id), None)
            rule = cat
        if rule is None:
            return None, None
        return rule.name, {"file": rule.seed.file, "quote": rule.seed.quote}


def _source(event: dict | None) -> dict | None:
    if event is None:
        return None
    try:
        payload = json.loads(event["payload"])
    except ValueError:
        payload = event["payload"]
    return {"event_id": event["event_id"], "type": event["type"],
            "occurred_at": event["occurred_at"].isoformat(), "device": event["device"],
            "staff": event["staff"] or None, "payload": payload}


@dataclass
class RankingService:
    store: Store
    catalog: Catalog
    halls_config: HallsConfig

    def hall_name(self, hall: str) -> str:
        entry = self.halls_config.halls.get(hall)
        return entry.name if entry is not None else hall

    def _known_hall(self, hall: str) -> None:
        if hall not in self.halls_config.halls and not queries.hall_has_data(self.store, hall):
            raise NotFound(f"unknown hall {hall!r}")

    def halls(self) -> list[dict]:
        return [{"hall": h, "hall_name": self.hall_name(h)} for h in queries.halls(self.store)]

    def weeks(self, hall: str) -> dict:
        self._known_hall(hall)
        out = []
        for monday in queries.weeks(self.store, hall):
            w = IsoWeek.of_date(monday)
            out.append({"week": str(w), "monday": w.monday.isoformat(), "sunday": w.sunday.isoformat()})
        return {"hall": hall, "hall_name": self.hall_name(hall), "weeks": out}

    def ranking(self, hall: str, week_text: str, rubric_version: str | None = None) -> dict:
        week = parse_week(week_text)
        rubric = self.catalog.get(rubric_version)
        self._known_hall(hall)
        data = queries.week_data(self.store, rubric.rubric_version, hall, week)
        entries = []
        for unit in data.units:
            ded, bon = data.totals.get(unit, (ZERO, ZERO))
            entries.append(UnitScore(unit, weekly_score(rubric.base_points, ded, bon), ded, bon,
                                     unit in data.vetoed))
        units = [{"rank": r.rank, "unit": r.entry.unit,
                  "unit_name": self.halls_config.unit_name(hall, r.entry.unit),
                  "score": money(r.entry.score), "deductions": money(r.entry.deductions),
                  "bonuses": money(r.entry.bonuses), "vetoed": r.entry.vetoed}
                 for r in rank(entries)]
        return {"hall": hall, "hall_name": self.hall_name(hall), "week": str(week),
                "monday": week.monday.isoformat(), "sunday": week.sunday.isoformat(),
                "rubric_version": rubric.rubric_version, "base_points": money(rubric.base_points),
                "units": units}

    def unit_week(self, hall: str, week_text: str, unit: str,
                  rubric_version: str | None = None) -> dict:
        report = self.ranking(hall, week_text, rubric_version)
        row = next((u for u in report["units"] if u["unit"] == unit), None)
        if row is None:
            entry = self.halls_config.halls.get(hall)
            if entry is None or unit not in entry.units:
                raise NotFound(f"unknown unit {unit!r} in hall {hall!r} for {report['week']}")
            row = {"rank": None, "unit": unit, "unit_name": self.halls_config.unit_name(hall, unit),
                   "score": report["base_points"], "deductions": "0.00", "bonuses": "0.00",
                   "vetoed": False}
        rubric = self.catalog.get(report["rubric_version"])
        lines = []
        for line in queries.unit_lines(self.store, rubric.rubric_version, hall,
                                       parse_week(week_text), unit):
            name, seed = Catalog.rule(rubric, line["rule_id"])
            counted = line["status"] in ("applied", "capped") and line["kind"] != "veto"
            lines.append({"rule_id": line["rule_id"], "rule_name": name,
                          "category": line["category"], "kind": line["kind"],
                          "points": money(line["points"]), "status": line["status"],
                          "counted": counted, "staff": line["staff"] or None,
                          "occurred_at": line["occurred_at"].isoformat(),
                          "detail": line["detail"], "revision": line["revision"],
                          "source_id": line["source_id"], "seed": seed,
                          "source_event": _source(line["source_event"])})
        head = {k: report[k] for k in ("hall", "hall_name", "week", "monday", "sunday",
                                       "rubric_version", "base_points")}
        return {**head, **row, "lines": lines}
