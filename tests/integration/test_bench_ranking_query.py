"""Smoke run of bench/ranking_query.py at a small size (the 10M-row run is manual: see
docs/bulletins.md). Checks it runs and that both query paths give the same ranking."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
BENCH = Path(__file__).resolve().parents[2] / "bench" / "ranking_query.py"


def test_bench_runs_small():
    spec = importlib.util.spec_from_file_location("bench_ranking_query", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.run(rows=40_000, runs=10)
    assert figures["ledger_rows"] >= 40_000 and figures["units_in_ranking"] == 20
    assert set(figures["ms"]) == {"ranking", "ranking_raw", "totals", "slice", "scan"}
    print("\n" + bench.report(figures))
