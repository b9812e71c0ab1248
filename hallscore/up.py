"""The run command's story: start everything, load the demo once, print URLs."""
from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hallscore.core.schedule import load_halls
from hallscore.demo.generate import DEMO_HALL, DEMO_WEEKS, demo_events
from hallscore.demo.load import post_events
from hallscore.embedded import EmbeddedSystem
from services.intake.archive import Archive
from services.intake.db import db_path

DEMO_DEVICE = "demo-gateway"


def _demo_token(system: EmbeddedSystem) -> tuple[str, Path]:
    """The demo hall's device token, issued once and kept in the data folder."""
    from services.intake.tokens import TokenStore

    path = system.data_dir / "demo-token.txt"
    if not path.exists():
        tokens = TokenStore(db_path(system.data_dir))
        path.write_text(tokens.issue(DEMO_HALL, DEMO_DEVICE, note="hallscore up demo") + "\n")
        path.chmod(0o600)
    return path.read_text().strip(), path


def _manager_token(system: EmbeddedSystem) -> tuple[str, Path]:
    """A manager token of the demo hall (rankings, bulletins, cases need a user token),
    issued once and kept in the data folder like the device token."""
    path = system.data_dir / "demo-manager-token.txt"
    if not path.exists():
        token = system.issue_user("manager", DEMO_HALL, name="演示 环境股 (hallscore up)")
        path.write_text(token + "\n")
        path.chmod(0o600)
    return path.read_text().strip(), path


def _scored_events(metrics_url: str) -> float:
    """Events the scoring worker has processed, from its Prometheus metrics."""
    try:
        text = httpx.get(metrics_url, timeout=2).text
    except httpx.HTTPError:
        return 0.0
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("hallscore_scoring_events_total{"))


def _wait_settled(system: EmbeddedSystem, expected: int, timeout_s: float = 180.0) -> bool:
    """Wait until scoring has seen every archived event and the projections
    have caught up with its ledger, showing progress on the way."""
    metrics = f"http://127.0.0.1:{system.ports.scoring_metrics}/metrics"
    columns = (TextColumn("评分 scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    deadline = time.monotonic() + timeout_s
    with Progress(*columns) as progress:
        task = progress.add_task("scoring", total=expected)
        while time.monotonic() < deadline:
            system.check_children()
            done = _scored_events(metrics)
            progress.update(task, completed=min(done, expected))
            if done >= expected:
                break
            time.sleep(0.5)
        else:
            return False
    caught_up = 0
    while time.monotonic() < deadline and caught_up < 2:
        try:
            health = httpx.get(f"{system.ranking_url}/healthz", timeout=5).json()
            caught_up = caught_up + 1 if health.get("caught_up") else 0
        except (httpx.HTTPError, ValueError):
            caught_up = 0
        time.sleep(1)
    return caught_up >= 2


def bring_up(system: EmbeddedSystem, *, demo: bool) -> int:
    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    typer.echo(f"hallscore: starting in {system.data_dir} (logs in {system.logs})")
    try:
        system.start()
        token, token_path = _demo_token(system)
        manager, manager_path = _manager_token(system)
        week = DEMO_WEEKS[-1]
        api = f"{system.ranking_url}/v1/halls/{DEMO_HALL}/weeks/{week}/ranking"
        marker = system.data_dir / "demo-loaded"
        if demo and not marker.exists():
            totals = post_events(system.intake_url, token, demo_events(load_halls()))
            marker.write_text(f"{totals}\n")
            typer.echo(f"demo: {totals['accepted']} events accepted")
        settled = _wait_settled(system, Archive(db_path(system.data_dir)).count())
        typer.echo("scores up to date" if settled else "scoring is still catching up; the pages fill in as it does")
        typer.echo(f"""
hallscore is up in {time.monotonic() - started:.0f} s.  Ctrl-C stops everything.

  登录 log in (browser):        {system.ranking_url}/login   paste the manager token below
  demo manager token (环境股):  {manager}
                               (also in {manager_path}; API: -H "Authorization: Bearer <token>")
  周通报 weekly ranking (page): {system.ranking_url}/halls/{DEMO_HALL}/weeks/{week}
  weekly ranking (JSON API):   {api}
  ranking home:                {system.ranking_url}/
  intake API:                  {system.intake_url}/v1/events   (docs: {system.intake_url}/docs)
  rectification (整改/差评):    {system.rectification_url}/v1/cases   (docs: {system.rectification_url}/docs; tokens: hallscore user issue)
  demo device token:           {token_path}
  metrics:                     {system.intake_url}/metrics  {system.ranking_url}/metrics  http://127.0.0.1:{system.ports.scoring_metrics}/metrics
  Kafka bootstrap (embedded):  {system.broker.bootstrap if system.broker else '-'}
""")
        while not stopping:
            system.supervise()  # restarts what died; raises on a crash loop
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # a child died or did not start: say which, stop the rest
        typer.echo(f"hallscore: {exc}", err=True)
        return 1
    finally:
        typer.echo("stopping …")
        system.stop()
        typer.echo("stopped.")
