"""The 周通报 as data: queries + rubric + halls config -> JSON-ready dicts.

Money (score, deductions, bonuses, points, base_points) is always a string with exactly
two decimals ("98.50", "-2.00"): exact, and identical on both store backends.
Instants are ISO 8601 with the +08:00 offset; dates are ISO dates; weeks look like 2026-W47.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from hallscore.core.period_weeks import Period, parse_period
from hallscore.core.periods import IsoWeek
from hallscore.core.rubric import Rubric, RubricError, load_rubric
from hallscore.core.schedule import HallsConfig
from hallscore.store.adapter import Store

from . import queries
from .common import CENT, ZERO, BadInput, Conflict, NotFound, money
from .scope import Scope, resolve
from .seed_lines import SeedIndex
from .standings_report import Standings

__all__ = ["CENT", "ZERO", "BadInput", "Catalog", "Conflict", "NotFound", "RankingService", "money", "parse_week"]


def parse_week(text: str) -> IsoWeek:
    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise BadInput("week", str(exc)) from None


def period_of(kind: str, label: str) -> Period:
    """A week/month/quarter/year from its label, or BadInput naming the kind (422)."""
    try:
        return parse_period(kind, label)
    except ValueError as exc:
        raise BadInput(kind, str(exc)) from None


class Catalog:
    """Rubrics by version: the settings' rubric_file (the default) plus every other valid *.yaml
    beside it (audit). With `versions` (activation.StoredVersions, set by admin.install) the
    active version is the latest activation and replayed versions / projection labels resolve too."""

    def __init__(self, active_file: Path):
        self.default = load_rubric(active_file)  # a broken default rubric fails the start
        self.by_version: dict[str, Rubric] = {self.default.rubric_version: self.default}
        self.versions = None
        for path in sorted(Path(active_file).parent.glob("*.yaml")):
            try:
                r = load_rubric(path)
            except RubricError:
                continue
            self.by_version.setdefault(r.rubric_version, r)

    @property
    def active(self) -> Rubric:
        """The version served when none is asked for (read once per request)."""
        return self.get(None)

    def get(self, version: str | None) -> Rubric:
        if version is None or version == "":
            chosen = self.versions.active() if self.versions is not None else None
            return self.default if chosen is None else self.versions.resolve(self, chosen)
        found = self.by_version.get(version)
        if found is None and self.versions is not None:
            found = self.versions.rubric(version)
        if found is None:
            raise NotFound(f"rubric version {version!r} is not loaded "
                           f"(known: {', '.join(sorted(self.by_version))})")
        return found

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
    seeds: SeedIndex = field(default_factory=SeedIndex)

    def __post_init__(self) -> None:
        self.standings = Standings(self.store, self.halls_config)

    def hall_name(self, hall: str) -> str:
        entry = self.halls_config.halls.get(hall)
        return entry.name if entry is not None else hall

    def _known_hall(self, hall: str) -> None:
        if hall not in self.halls_config.halls and not queries.hall_has_data(self.store, hall):
            raise NotFound(f"unknown hall {hall!r}")

    def unit_has_data(self, hall: str, unit: str) -> bool:
        return queries.unit_has_data(self.store, hall, unit)

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
        """The hall's week first to last, with each unit's previous rank and rank change."""
        week = parse_week(week_text)
        rubric = self.catalog.get(rubric_version)
        self._known_hall(hall)
        scope = Scope("hall", hall, self.hall_name(hall), [hall])
        rep = self.standings.week(rubric, scope, period_of("week", str(week)))
        return {"hall": hall, "hall_name": self.hall_name(hall), "week": str(week),
                "monday": week.monday.isoformat(), "sunday": week.sunday.isoformat(),
                "rubric_version": rubric.rubric_version, "base_points": money(rubric.base_points),
                "title": rep["title"], "previous_week": rep["previous_week"],
                "units": rep["units"], "vetoes": rep["vetoes"]}

    def scope(self, kind: str, ident: str, rubric: Rubric) -> Scope:
        return resolve(kind, ident, self.halls_config, rubric, self._known_hall)

    def period(self, kind: str, scope_kind: str, ident: str, label: str,
               rubric_version: str | None = None, n: int = 3) -> dict:
        """A week, month, quarter or year ranking of a hall, a tier or a county."""
        period = period_of(kind, label)
        rubric = self.catalog.get(rubric_version)
        scope = self.scope(scope_kind, ident, rubric)
        if kind == "quarter":
            return self.standings.quarter(rubric, scope, period, n)
        return getattr(self.standings, kind)(rubric, scope, period)

    def line_json(self, rubric: Rubric, line: dict) -> dict:
        """One ledger line for the drill-down: rule, rule text, seed quote and line, source event."""
        name, seed = Catalog.rule(rubric, line["rule_id"])
        item = rubric.items().get(line["rule_id"])
        counted = line["status"] in ("applied", "capped") and line["kind"] != "veto"
        return {"rule_id": line["rule_id"], "rule_name": name,
                "rule_text": (item[1].interpretation or None) if item else None,
                "category": line["category"], "kind": line["kind"],
                "points": money(line["points"]), "status": line["status"],
                "counted": counted, "staff": line["staff"] or None,
                "occurred_at": line["occurred_at"].isoformat(),
                "detail": line["detail"], "revision": line["revision"],
                "source_id": line["source_id"], "seed": seed,
                "seed_line": self.seeds.line_of(seed["file"], seed["quote"]) if seed else None,
                "source_event": _source(line["source_event"])}

    def unit_week(self, hall: str, week_text: str, unit: str,
                  rubric_version: str | None = None) -> dict:
        report = self.ranking(hall, week_text, rubric_version)
        row = next((u for u in report["units"] if u["unit"] == unit), None)
        if row is None:
            entry = self.halls_config.halls.get(hall)
            if entry is None or unit not in entry.units:
                raise NotFound(f"unknown unit {unit!r} in hall {hall!r} for {report['week']}")
            row = {"rank": None, "previous_rank": None, "rank_change": None, "hall": hall,
                   "hall_name": report["hall_name"], "unit": unit,
                   "unit_name": self.halls_config.unit_name(hall, unit),
                   "score": report["base_points"], "deductions": "0.00", "bonuses": "0.00",
                   "vetoed": False}
        rubric = self.catalog.get(report["rubric_version"])
        lines = [self.line_json(rubric, line) for line in
                 queries.unit_lines(self.store, rubric.rubric_version, hall, parse_week(week_text), unit)]
        head = {k: report[k] for k in ("hall", "hall_name", "week", "monday", "sunday",
                                       "rubric_version", "base_points")}
        return {**head, **row, "lines": lines}
