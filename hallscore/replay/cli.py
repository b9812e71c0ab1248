"""`hallscore replay ...` and `hallscore rubric activate VERSION` (docs/replay.md).

    hallscore replay --rubric FILE --from 2026-10-26 --to 2026-11-22 [--hall H] [--xlsx out.xlsx]
    hallscore replay diff ID [--xlsx out.xlsx]      hallscore replay status [ID]
    hallscore replay resume ID                      hallscore rubric activate VERSION

By default the running ranking service does the work (--ranking-url, default
http://127.0.0.1:8101): the file is uploaded, the replay runs there, a progress
bar follows it. With --clickhouse-url (a ClickHouse server, or a chdb:// folder
no running service holds) the CLI runs the replay itself.
"""
from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from .backends import BackendError, Direct, Remote

replay_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                         help="Recompute scores under a rubric from the event archive; compare; resume.")
console = Console()

RANKING_URL = typer.Option(os.environ.get("HALLSCORE_RANKING_URL", "http://127.0.0.1:8101"), "--ranking-url",
                           help="The running ranking service (env HALLSCORE_RANKING_URL).")
CLICKHOUSE_URL = typer.Option(None, "--clickhouse-url",
                              help="Run here against this store instead: clickhouse://host:port/db or a chdb:// "
                                   "folder no running service holds.")
TOKEN = typer.Option(os.environ.get("HALLSCORE_ADMIN_TOKEN", ""), "--admin-token", show_default=False,
                     help="Bearer token when the service sets HALLSCORE_ADMIN_TOKEN (env HALLSCORE_ADMIN_TOKEN).")


def _backend(ranking_url: str, clickhouse_url: str | None, token: str):
    if not clickhouse_url:
        return Remote(ranking_url, token)
    from hallscore.core.rubric import DEFAULT_RUBRIC, RUBRICS_DIR
    from hallscore.core.schedule import DEFAULT_HALLS_FILE, load_halls

    env = os.environ.get
    return Direct(clickhouse_url, Path(env("HALLSCORE_RUBRICS_DIR", str(RUBRICS_DIR))),
                  Path(env("HALLSCORE_RUBRIC_FILE", str(DEFAULT_RUBRIC))),
                  load_halls(Path(env("HALLSCORE_HALLS_FILE", str(DEFAULT_HALLS_FILE)))))


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2026-10-26", param_hint=name) from None


def _bar() -> Progress:
    return Progress(TextColumn("重算 replay"), BarColumn(), MofNCompleteColumn(), TextColumn("events"),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console)


def _run(fn) -> dict:
    with _bar() as bar:
        task = bar.add_task("replay", total=None)
        return fn(lambda done, total: bar.update(task, completed=done, total=total or None))


def _fail(exc: Exception) -> None:
    console.print(f"[red]hallscore: {exc}[/red]")
    raise typer.Exit(1)


@replay_app.callback()
def replay(ctx: typer.Context,
           rubric: Path = typer.Option(None, "--rubric", exists=True, dir_okay=False, help="The rubric file to replay."),
           first: str = typer.Option(None, "--from", help="First day (widened to its rubric period's start)."),
           last: str = typer.Option(None, "--to", help="Last day (widened to its rubric period's end)."),
           hall: str = typer.Option(None, "--hall", help="Only this hall (default: every hall with events)."),
           against: str = typer.Option(None, "--against", help="Compare with this version (default: the active one)."),
           xlsx: Path = typer.Option(None, "--xlsx", help="Also write the diff as a workbook."),
           rows: int = typer.Option(25, "--rows", help="Rows per table shown (all are in --xlsx)."),
           ranking_url: str = RANKING_URL, clickhouse_url: str = CLICKHOUSE_URL, token: str = TOKEN) -> None:
    """Replay a rubric over a span of the event archive, then show what would change."""
    ctx.obj = (ranking_url, clickhouse_url, token)
    if ctx.invoked_subcommand is not None:
        return
    if rubric is None or first is None or last is None:
        console.print(ctx.get_help())
        raise typer.Exit(2)
    try:
        with _backend(ranking_url, clickhouse_url, token) as backend:
            status = _run(lambda p: backend.start(rubric.read_text(encoding="utf-8"), rubric.name,
                                                  _day(first, "--from"), _day(last, "--to"), hall, against, p))
            _finish(backend, status, xlsx, rows)
    except BackendError as exc:
        _fail(exc)


def _finish(backend, status: dict, xlsx: Path | None, rows: int) -> None:
    console.print(f"replay {status['id']}: {status['status']}, {status.get('events_done', 0):,} events, "
                  f"{status.get('lines', 0):,} ledger lines under [bold]{status['label']}[/bold]"
                  + (f" ({status['events_per_s']:,} events/s)" if status.get("events_per_s") else ""))
    if status.get("rejected"):
        console.print(f"[yellow]{status['rejected']} archived events are not valid events and were skipped: "
                      f"{status.get('first_error') or ''}[/yellow]")
    if status["status"] != "done":
        _fail(BackendError(f"replay {status['id']} is {status['status']} {status.get('error') or ''}; "
                           f"continue it with: hallscore replay resume {status['id']}"))
    show_diff(backend.diff(status["id"]), rows)
    if xlsx:
        xlsx.write_bytes(backend.xlsx(status["id"]))
        console.print(f"wrote {xlsx}")


LEVEL_TITLES = {"week": "周排名 weekly ranks", "month": "月度 monthly scores",
                "quarter": "季度 quarterly scores and 优质窗口 awards", "year": "年度 annual results (一票否决)"}


def show_diff(report: dict, rows: int = 25) -> None:
    console.print(f"\ndiff {report['old']}  ->  {report['new']}, {report['date_from']} .. {report['date_to']}, "
                  f"halls: {', '.join(report['halls']) or '-'}")
    if report["identical"]:
        console.print("[green]identical: no rank, score, award or veto would change[/green]")
        return
    for level, changes in report["changes"].items():
        s = report["summary"][level]
        if not changes:
            console.print(f"{LEVEL_TITLES[level]}: no change")
            continue
        table = Table(title=f"{LEVEL_TITLES[level]}: {s['units']} units in {s['periods']} periods change "
                            f"({s['units_score_changed']} change score)", title_justify="left")
        flag = {"quarter": "award", "year": "vetoed"}.get(level)
        for head in ("period", "unit", "name", "rank", "score", "Δ score") + ((flag,) if flag else ()):
            table.add_column(head, justify="right" if head in ("rank", "score", "Δ score") else "left")
        for c in changes[:rows]:
            period = c["period"] + ("" if c["complete"] else "*")
            rank = f"{c['old_rank'] or '-'} → {c['new_rank'] or '-'}"
            score = f"{c['old_score'] or '-'} → {c['new_score'] or '-'}"
            extra = (f"{_yn(c['old_' + flag])} → {_yn(c['new_' + flag])}",) if flag else ()
            table.add_row(period, c["unit"], c["unit_name"], rank, score, c["score_change"] or "-", *extra)
        console.print(table)
        if len(changes) > rows:
            console.print(f"… {len(changes) - rows} more rows (--rows N, or --xlsx FILE)")
    console.print("* the period is only partly inside the replayed span: computed from the replayed weeks")


def _yn(v) -> str:
    return "-" if v is None else ("yes" if v else "no")


@replay_app.command("diff")
def diff_cmd(ctx: typer.Context, job_id: str = typer.Argument(..., help="The replay id."),
             xlsx: Path = typer.Option(None, "--xlsx", help="Write the diff as a workbook."),
             rows: int = typer.Option(25, "--rows")) -> None:
    """What a finished replay would change, as tables (and xlsx)."""
    try:
        with _backend(*ctx.obj) as backend:
            show_diff(backend.diff(job_id), rows)
            if xlsx:
                xlsx.write_bytes(backend.xlsx(job_id))
                console.print(f"wrote {xlsx}")
    except BackendError as exc:
        _fail(exc)


@replay_app.command("status")
def status_cmd(ctx: typer.Context, job_id: str = typer.Argument(None, help="A replay id (default: list them).")) -> None:
    """A replay's status and progress, or the latest replays."""
    try:
        with _backend(*ctx.obj) as backend:
            found = [backend.status(job_id)] if job_id else backend.all()
    except BackendError as exc:
        _fail(exc)
    table = Table("id", "status", "label", "span", "events", "done")
    for s in found:
        table.add_row(s["id"], s["status"], s["label"], f"{s['date_from']} .. {s['date_to']}",
                      f"{s.get('events_done', 0):,}/{s.get('events_total', 0):,}", f"{s.get('percent', 0)}%")
    console.print(table)


@replay_app.command("resume")
def resume_cmd(ctx: typer.Context, job_id: str = typer.Argument(..., help="The replay id."),
               xlsx: Path = typer.Option(None, "--xlsx"), rows: int = typer.Option(25, "--rows")) -> None:
    """Continue an interrupted replay where it stopped (units already written are skipped)."""
    try:
        with _backend(*ctx.obj) as backend:
            _finish(backend, _run(lambda p: backend.resume(job_id, p)), xlsx, rows)
    except BackendError as exc:
        _fail(exc)


def activate_cmd(version: str = typer.Argument(..., help="The rubric version, e.g. tongxu-weekly@2023.1+36059a76."),
                 note: str = typer.Option("", "--note", help="Why (kept in the activation history)."),
                 ranking_url: str = RANKING_URL, clickhouse_url: str = CLICKHOUSE_URL, token: str = TOKEN) -> None:
    """Make a replayed (or live) rubric version the one the ranking serves; the old stays queryable."""
    try:
        with _backend(ranking_url, clickhouse_url, token) as backend:
            done = backend.activate(version, note)
    except BackendError as exc:
        _fail(exc)
    console.print(f"active: [bold]{done['active']}[/bold] (was {done['previous'] or '-'}) at "
                  f"{datetime.now():%H:%M:%S}; file {done['file']}; {done['note']}")
    if done.get("previous"):
        console.print(f"the previous version still answers: ?rubric_version={done['previous']}")
