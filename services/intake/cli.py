"""Operator commands for device tokens: issue, revoke, list.

    python -m services.intake.cli issue --hall tongxu-county --device att-01 --note "A07 clock"
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.intake.db import db_path
from services.intake.tokens import TokenStore

token_app = typer.Typer(help="Device tokens for POST /v1/events (each scoped to one hall).", no_args_is_help=True)

DataDir = Annotated[Path, typer.Option(
    "--data-dir", envvar="HALLSCORE_DATA_DIR", help="Intake data folder (holds intake.sqlite).",
)]


def _store(data_dir: Path) -> TokenStore:
    data_dir.mkdir(parents=True, exist_ok=True)
    return TokenStore(db_path(data_dir))


@token_app.command()
def issue(
    hall: Annotated[str, typer.Option("--hall", help="Hall id the token may send events for.")],
    device: Annotated[str, typer.Option("--device", help="Device id (for the operator's records).")],
    note: Annotated[str, typer.Option("--note", help="Free text, e.g. where the device is.")] = "",
    data_dir: DataDir = Path("./data"),
) -> None:
    """Issue a token and print it ONCE: only its hash is stored."""
    try:
        token = _store(data_dir).issue(hall, device, note)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(token)
    typer.echo("Store this token on the device now: it cannot be shown again.", err=True)


@token_app.command()
def revoke(token_id: str, data_dir: DataDir = Path("./data")) -> None:
    """Revoke a token by its id (the part between 'hs_' and the next '_')."""
    if not _store(data_dir).revoke(token_id):
        typer.echo(f"error: no active token with id {token_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {token_id}")


@token_app.command("list")
def list_tokens(data_dir: DataDir = Path("./data")) -> None:
    """List tokens (ids, halls, devices, state; never secrets)."""
    for t in _store(data_dir).list():
        state = "active" if t.active else f"revoked {t.revoked_at}"
        typer.echo(f"{t.token_id}\t{t.hall}\t{t.device}\t{state}\t{t.created_at}\t{t.note}")


if __name__ == "__main__":
    token_app()
