"""Retire the lines of a lost scoring lineage when a rebuilt one shows up.

A ledger row's revision is (lineage epoch << 32) | events folded
(hallscore.core.ledger). Normally one lineage scores a unit-period from its
first event on. When the scoring worker had to rebuild a unit-period from
scratch (the embedded broker lost its changelog), its lines carry a later
epoch and outrank the old ones row by row — but a line the old lineage wrote
and the new one never writes (its reason came from a partial view, e.g. an
absence judged before a late punch arrived) would stay. So when a batch
brings lines of a newer lineage for a unit-period, every line an older
lineage left there is written again as `withdrawn` at version (epoch << 32),
the lowest of the new lineage: any line the new lineage (re)writes beats it.

On a healthy Apache Kafka the changelog is never lost, every unit-period has
one lineage, and this costs one lookup per unit-period the first time the
projector sees it.
"""
from __future__ import annotations

from decimal import Decimal

from hallscore.core.ledger import LINEAGE_SHIFT, lineage_of
from hallscore.store.adapter import Store
from hallscore.store.schema import LEDGER_COLUMNS

_I = {c: i for i, c in enumerate(LEDGER_COLUMNS)}
_KEY = ("rubric_version", "hall", "unit", "period")
DETAIL = "不再适用（评分重建后未再出现）"
_CACHE_MAX = 200_000

# Tuples, not lists: the driver renders a list as an Array, which IN refuses on old servers.
# FINAL merges each line to its latest row first; no WHERE on a column that a newer
# row may change (status, revision): those are filtered here, after the merge.
_SQL = f"""
SELECT {", ".join(LEDGER_COLUMNS)} FROM ledger FINAL
WHERE rubric_version IN %(rubric_versions)s AND hall IN %(halls)s AND unit IN %(units)s
  AND period IN %(periods)s
"""


def _key(row) -> tuple:
    return tuple(row[_I[c]] for c in _KEY)


class Lineages:
    """Per unit-period, the newest lineage already made exclusive (cache)."""

    def __init__(self) -> None:
        self.known: dict[tuple, int] = {}
        self.retired = 0  # rows written as withdrawn (stats, tests)

    def retire_older(self, store: Store, rows: list[tuple]) -> list[tuple]:
        """Withdrawn copies of every older-lineage line of the unit-periods that
        `rows` (ledger rows about to be inserted) bring a newer lineage for."""
        newest: dict[tuple, int] = {}
        for r in rows:
            epoch = lineage_of(r[_I["revision"]])
            k = _key(r)
            if epoch > self.known.get(k, 0) and epoch > newest.get(k, 0):
                newest[k] = epoch
        if not newest:
            return []
        params = {name: tuple(sorted({k[i] for k in newest})) for i, name in
                  enumerate(("rubric_versions", "halls", "units", "periods"))}
        out = []
        for old in store.query(_SQL, params):
            epoch = newest.get(_key(old))
            if epoch is None or lineage_of(old[_I["revision"]]) >= epoch or old[_I["status"]] == "withdrawn":
                continue
            out.append(_withdrawn(old, epoch))
        if len(self.known) > _CACHE_MAX:
            self.known.clear()
        self.known.update(newest)
        self.retired += len(out)
        return out


def _withdrawn(old: tuple, epoch: int) -> tuple:
    row = list(old)
    row[_I["status"]] = "withdrawn"
    row[_I["points"]] = Decimal("0.00")
    row[_I["detail"]] = DETAIL
    row[_I["revision"]] = epoch << LINEAGE_SHIFT
    return tuple(row)
