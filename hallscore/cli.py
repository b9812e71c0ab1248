"""The `hallscore` command: run the system, one service, or a chore."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="hallscore: 政务服务窗口考评 scoring, veto and ranking.")
rubric_app = typer.Typer(no_args_is_help=True, help="Rubric files (考核细则).")
app.add_typer(rubric_app, name="rubric")

DATA_DIR = typer.Option(Path(os.environ.get("HALLSCORE_DATA_DIR", "data")), "--data-dir", help="Data folder (system of record).")


@app.command()
def intake() -> None:
    """Run the intake service (env: HALLSCORE_KAFKA_BOOTSTRAP, HALLSCORE_DATA_DIR, HALLSCORE_PORT)."""
    from services.intake.main import main

    sys.exit(main())


@app.command()
def scoring() -> None:
    """Run the scoring worker (faust; env: HALLSCORE_KAFKA_BOOTSTRAP, HALLSCORE_RUBRICS_DIR, HALLSCORE_HALLS_FILE, ...)."""
    from services.scoring.main import main

    sys.exit(main())


@app.command()
def ranking() -> None:
    """Run the ranking service and its projections (env: HALLSCORE_CLICKHOUSE_URL, HALLSCORE_KAFKA_BOOTSTRAP, ...)."""
    from services.ranking.main import main

    sys.exit(main())


@app.command()
def rectification() -> None:
    """Run the rectification service: cases, 差评, complaints (env: HALLSCORE_KAFKA_BOOTSTRAP, HALLSCORE_DATA_DIR, HALLSCORE_PORT=8103)."""
    from services.rectification.main import main

    sys.exit(main())


@app.command()
def up(
    data_dir: Path = DATA_DIR,
    broker_port: int = typer.Option(19092, envvar="HALLSCORE_BROKER_PORT"),
    intake_port: int = typer.Option(8100, envvar="HALLSCORE_INTAKE_PORT"),
    ranking_port: int = typer.Option(8101, envvar="HALLSCORE_RANKING_PORT"),
    scoring_web_port: int = typer.Option(6066, envvar="HALLSCORE_SCORING_WEB_PORT"),
    scoring_metrics_port: int = typer.Option(8102, envvar="HALLSCORE_SCORING_METRICS_PORT"),
    rectification_port: int = typer.Option(8103, envvar="HALLSCORE_RECTIFICATION_PORT"),
    demo: bool = typer.Option(True, envvar="HALLSCORE_DEMO",
                              help="Load the demo county hall on first start (--no-demo: start empty)."),
) -> None:
    """Run the whole system on this machine (embedded broker + chDB), with demo data."""
    from hallscore.embedded import EmbeddedSystem, Ports
    from hallscore.up import bring_up

    system = EmbeddedSystem(data_dir.resolve(), Ports(broker_port, intake_port, ranking_port, scoring_web_port, scoring_metrics_port,
                                                      rectification=rectification_port))
    sys.exit(bring_up(system, demo=demo))


@app.command("demo")
def demo_cmd(
    intake_url: str = typer.Option("http://127.0.0.1:8100"),
    token: str = typer.Option(..., envvar="HALLSCORE_TOKEN", help="A device token of the demo hall."),
) -> None:
    """Post the demo county hall's events to a running intake."""
    from hallscore.core.schedule import load_halls
    from hallscore.demo.generate import demo_events
    from hallscore.demo.load import post_events

    totals = post_events(intake_url, token, demo_events(load_halls()))
    typer.echo(f"accepted {totals['accepted']}, duplicates {totals['duplicates']}")


@rubric_app.command("check")
def rubric_check(paths: list[Path] = typer.Argument(..., help="Rubric files; several are also checked as one set.")) -> None:
    """Validate rubric files; prints each problem with its line and field."""
    from hallscore.core.rubric import Checklist, RubricError, Rubric, load_any_rubric
    from hallscore.core.rubric_set import check_set

    loaded, failed = [], False
    for path in paths:
        try:
            r = load_any_rubric(path)
        except RubricError as exc:
            typer.echo(str(exc), err=True)
            failed = True
            continue
        loaded.append(r)
        if isinstance(r, Rubric):
            n = sum(len(c.items) for c in r.categories)
            what = f"{len(r.categories)} categories, {n} items, {len(r.bonuses)} bonuses, {len(r.vetoes)} vetoes"
        elif isinstance(r, Checklist):
            what = f"{len(r.groups)} groups, {sum(len(g.items) for g in r.groups)} checks"
        else:
            what = f"{len(r.targets)} targets"
        typer.echo(f"OK {path}: {r.kind} {r.rubric_version}: {what}")
    if len(loaded) > 1:
        try:
            check_set(loaded)
        except RubricError as exc:
            typer.echo(str(exc), err=True)
            failed = True
    if failed:
        raise typer.Exit(1)


def _mount_token_app() -> None:
    try:
        from services.intake.cli import token_app
    except ImportError:  # pragma: no cover - intake not installed
        return
    app.add_typer(token_app, name="token", help="Device tokens (issue / revoke / list).")


_mount_token_app()


def _mount_rectification_apps() -> None:
    from services.rectification.cli import calendar_app, user_app

    app.add_typer(user_app, name="user", help="User tokens for the rectification API (issue / revoke / list).")
    app.add_typer(calendar_app, name="calendar", help="Holiday schedules for working-day deadlines (check / set / show).")


_mount_rectification_apps()


def _mount_replay_apps() -> None:
    from hallscore.replay.cli import activate_cmd, replay_app

    app.add_typer(replay_app, name="replay", help="Recompute scores under a rubric from the event archive; diff; resume.")
    rubric_app.command("activate")(activate_cmd)


_mount_replay_apps()


def _mount_bulletin_app() -> None:
    from services.ranking.cli import bulletin_app

    app.add_typer(bulletin_app, name="bulletin", help="周通报: publish, export; annual components (calls the ranking service).")


_mount_bulletin_app()

if __name__ == "__main__":
    app()
