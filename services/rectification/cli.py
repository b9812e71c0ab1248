"""Operator commands: user tokens for the rectification API, and holiday schedules.

    hallscore user issue --role manager --hall tongxu-county --name 环境股
    hallscore user issue --role unit --hall tongxu-county --unit tx-rsj
    hallscore user issue --role auditor            # every hall
    hallscore calendar set 2027.yaml               # the State Council's notice, as data
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer

from hallscore.core.workdays import REPO_CALENDARS, Calendar, CalendarError, load_schedule
from services.rectification.calendars import write_schedule
from services.rectification.settings import db_path
from services.rectification.users import ROLES, UserStore

user_app = typer.Typer(help="User tokens for the rectification API (manager / unit / auditor).", no_args_is_help=True)
calendar_app = typer.Typer(help="Holiday schedules (节假日安排) as data, for working-day deadlines.",
                           no_args_is_help=True)

DataDir = Annotated[Path, typer.Option("--data-dir", envvar="HALLSCORE_DATA_DIR",
                                       help="Data folder (holds rectification.sqlite and calendars/).")]


def _users(data_dir: Path) -> UserStore:
    data_dir.mkdir(parents=True, exist_ok=True)
    return UserStore(db_path(data_dir))


@user_app.command()
def issue(
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    hall: Annotated[Optional[str], typer.Option("--hall", help="Hall id (an auditor without one reads every hall).")] = None,
    unit: Annotated[Optional[str], typer.Option("--unit", help="Unit id (unit tokens only).")] = None,
    name: Annotated[str, typer.Option("--name", help="Who holds it, for the records.")] = "",
    data_dir: DataDir = Path("./data"),
) -> None:
    """Issue a token and print it ONCE: only its hash is stored."""
    try:
        token = _users(data_dir).issue(role, hall, unit, name)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(token)
    typer.echo("Give this token to its holder now: it cannot be shown again.", err=True)


@user_app.command()
def revoke(token_id: str, data_dir: DataDir = Path("./data")) -> None:
    """Revoke a token by its id (the part between 'hu_' and the next '_')."""
    if not _users(data_dir).revoke(token_id):
        typer.echo(f"error: no active user token with id {token_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {token_id}")


@user_app.command("list")
def list_users(data_dir: DataDir = Path("./data")) -> None:
    """List user tokens (ids, roles, scope, state; never secrets)."""
    for u in _users(data_dir).list():
        state = "active" if u.revoked_at is None else f"revoked {u.revoked_at}"
        typer.echo(f"{u.token_id}\t{u.role}\t{u.hall or '*'}\t{u.unit or '-'}\t{state}\t{u.created_at}\t{u.name}")


def _load(path: Path):
    try:
        return load_schedule(path)
    except CalendarError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from None


@calendar_app.command("check")
def check(path: Path) -> None:
    """Validate a schedule file; prints each problem with its line."""
    s = _load(path)
    typer.echo(f"OK {s.year}: {len(s.holidays)} holidays ({len(s.off_days)} days off), {len(s.workdays)} 调休 workdays")


@calendar_app.command("set")
def set_(path: Path, data_dir: DataDir = Path("./data")) -> None:
    """Install a year's schedule into the data folder (a running service picks it up
    at its next deadline check and re-dates provisional deadlines)."""
    s = _load(path)
    typer.echo(f"wrote {write_schedule(data_dir / 'calendars', s)}")


@calendar_app.command("show")
def show(year: int, data_dir: DataDir = Path("./data")) -> None:
    """Every working day of a year and where the answer comes from."""
    try:
        cal = Calendar.from_dirs(REPO_CALENDARS, data_dir / "calendars")
    except CalendarError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{year}: {cal.source(year)}")
    d, end = date(year, 1, 1), date(year, 12, 31)
    while d <= end:
        if cal.is_workday(d) != (d.weekday() < 5):
            typer.echo(f"  {d} {d:%a} {'working day (调休)' if cal.is_workday(d) else 'holiday'}")
        d += timedelta(days=1)
