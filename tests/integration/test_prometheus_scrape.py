"""A real Prometheus (Debian's `prometheus`) scrapes every service of the embedded system.

Starts the system as `hallscore up` does (Tansu broker, intake, scoring worker,
ranking with chDB, rectification, each its own process) on free ports,
posts a few events (one invalid), starts prometheus with a generated config
scraping all four, and asserts through its HTTP API that each job is up and
that the key series exist.
Missing prometheus binary: FAIL when CI is set (.ci/run installs it), skip otherwise.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from hallscore.embedded import EmbeddedSystem, Ports

pytestmark = pytest.mark.integration
HALL = "tongxu-county"

EXPECTED = {
    "hallscore-intake": ["hallscore_intake_events_total", "hallscore_intake_rejected_events_total",
                         "hallscore_intake_requests_total", "hallscore_intake_publish_seconds_bucket"],
    "hallscore-scoring": ["hallscore_scoring_events_total", "hallscore_scoring_vetoes_total",
                          "hallscore_scoring_event_to_score_seconds_bucket", "process_resident_memory_bytes",
                          "hallscore_scoring_consumer_lag", "hallscore_scoring_faust_messages_received_total",
                          "hallscore_scoring_faust_events_total", "hallscore_scoring_faust_table_operations_total",
                          "hallscore_scoring_faust_commit_latency_seconds_bucket",
                          "hallscore_scoring_faust_assignments_total"],
    "hallscore-ranking": ["hallscore_projector_running", "hallscore_projector_rows_total",
                          "hallscore_projector_consumer_lag", "hallscore_projector_lag_records",
                          "hallscore_ranking_query_seconds_bucket"],
    "hallscore-rectification": ["hallscore_rectification_cases", "hallscore_rectification_unpublished"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prometheus_bin() -> str:
    path = shutil.which("prometheus")
    if path is None:
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail("CI is set but the prometheus binary is missing (.ci/run installs Debian's prometheus)")
        pytest.skip("prometheus not installed (apt-get install prometheus)")
    return path


def _events(tag: str) -> list[dict]:
    base = {"schema_version": 1, "hall": HALL, "unit": "tx-rsj", "device": "dev-prom"}
    return [
        {**base, "event_id": f"{tag}-late-0001", "type": "attendance.clock", "staff": "tx-rsj-09",
         "occurred_at": "2026-11-20T09:07:00+08:00", "payload": {"direction": "in"}},
        {**base, "event_id": f"{tag}-txn-0001", "type": "transaction.completed",
         "occurred_at": "2026-11-20T10:00:00+08:00", "payload": {"transaction_id": f"{tag}-T1"}},
    ]


def _wait(cond, what: str, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def test_prometheus_scrapes_every_service(tmp_path: Path):
    prom_bin = _prometheus_bin()
    ports = Ports(broker=_free_port(), intake=_free_port(), ranking=_free_port(), scoring_web=_free_port(),
                  scoring_metrics=_free_port(), rectification=_free_port())
    system = EmbeddedSystem(data_dir=tmp_path / "data", ports=ports)
    prom = None
    try:
        system.start()
        from services.intake.db import db_path
        from services.intake.tokens import TokenStore
        token = TokenStore(db_path(system.data_dir)).issue(HALL, "dev-prom")
        hdr = {"Authorization": f"Bearer {token}"}
        r = httpx.post(f"{system.intake_url}/v1/events", headers=hdr, json=_events("prom"), timeout=30)
        assert r.status_code == 200, r.text
        bad = {**_events("prom-bad")[0], "payload": {"direction": "sideways"}}
        assert httpx.post(f"{system.intake_url}/v1/events", headers=hdr, json=bad, timeout=30).status_code == 422
        manager = {"Authorization": f"Bearer {system.issue_user('manager', HALL)}"}
        assert httpx.get(f"{system.ranking_url}/v1/halls/{HALL}/weeks/2026-W47/ranking", headers=manager,
                         timeout=30).status_code == 200
        scoring_metrics = f"http://127.0.0.1:{ports.scoring_metrics}/metrics"
        _wait(lambda: "hallscore_scoring_events_total{" in httpx.get(scoring_metrics, timeout=5).text,
              "the worker to score an event", 60)

        prom_port = _free_port()
        targets = {"hallscore-intake": ports.intake, "hallscore-ranking": ports.ranking,
                   "hallscore-scoring": ports.scoring_metrics, "hallscore-rectification": ports.rectification}
        config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                  "rule_files": [str(Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml")],
                  "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                                     for job, port in targets.items()]}
        (tmp_path / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
        prom = subprocess.Popen(
            [prom_bin, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=open(tmp_path / "prometheus.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        api = f"http://127.0.0.1:{prom_port}/api/v1"

        def query(q: str) -> list:
            try:
                body = httpx.get(f"{api}/query", params={"query": q}, timeout=5).json()
            except (httpx.HTTPError, ValueError):
                return []
            return body.get("data", {}).get("result", []) if body.get("status") == "success" else []

        ups = _wait(lambda: (lambda res: res if len(res) == len(targets) else None)(
            query('up{job=~"hallscore-.*"} == 1')), "every job to be up", 30)
        assert {u["metric"]["job"] for u in ups} == set(targets)
        missing: dict[str, list[str]] = {}

        def all_present():
            missing.clear()
            for job, names in EXPECTED.items():
                gone = [n for n in names if not query(f'{n}{{job="{job}"}}')]
                if gone:
                    missing[job] = gone
            return not missing

        try:
            _wait(all_present, "the expected series", 30)
        except AssertionError:
            raise AssertionError(f"series missing in Prometheus: {missing}") from None
        lag = query('hallscore_projector_consumer_lag{job="hallscore-ranking"}')
        print(f"\nprometheus scraped {len(targets)} jobs; projector lag series: {len(lag)} "
              f"(topics {sorted({s['metric']['topic'] for s in lag})[:3]}...)")
        assert {s["metric"]["topic"] for s in lag} >= {"hallscore.attendance", "hallscore.ledger"}
        rej = query('hallscore_intake_rejected_events_total{reason="invalid",type="attendance.clock"}')
        assert rej and float(rej[0]["value"][1]) == 1.0
        assert _wait(lambda: httpx.get(f"{api}/rules", timeout=5).json()["data"]["groups"], "rules loaded", 10)
        # the projector's per-partition figures must not break ranking's JSON health answer
        health = httpx.get(f"{system.ranking_url}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["projector"]["running"], health.text
    finally:
        if prom is not None:
            prom.terminate()
            try:
                prom.wait(10)
            except subprocess.TimeoutExpired:
                prom.kill()
        system.stop()
