"""`hallscore bulletin ...`: publish a 周通报, export it, record an annual component.

Each command calls the running ranking service over HTTP (the process that owns the
store), so it works the same with embedded chDB and with a ClickHouse server.
"""
from __future__ import annotations

import os
from pathlib import Path

import httpx
import typer

bulletin_app = typer.Typer(no_args_is_help=True, help="周通报: publish, export; annual components (年终考核).")
URL = typer.Option(os.environ.get("HALLSCORE_RANKING_URL", "http://127.0.0.1:8101"), "--ranking-url",
                   help="The ranking service (env HALLSCORE_RANKING_URL).")


_auth: dict[str, str] = {}


@bulletin_app.callback()
def _token(token: str = typer.Option(os.environ.get("HALLSCORE_TOKEN", ""), "--token", show_default=False,
                                     help="A manager user token hu_... (env HALLSCORE_TOKEN; `hallscore user issue`).")
           ) -> None:
    if token:
        _auth["Authorization"] = f"Bearer {token}"


def _fail(r: httpx.Response) -> None:
    try:
        detail = r.json().get("detail", r.text)
    except ValueError:
        detail = r.text
    if isinstance(detail, list):
        detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
    typer.echo(f"{r.status_code}: {detail}", err=True)
    raise typer.Exit(1)


def _call(method: str, url: str, **kw) -> httpx.Response:
    try:
        r = httpx.request(method, url, timeout=60, headers=_auth, **kw)
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach the ranking service at {url}: {exc}", err=True)
        raise typer.Exit(2)
    if r.status_code >= 400:
        _fail(r)
    return r


@bulletin_app.command("publish")
def publish(hall: str = typer.Option(...), week: str = typer.Option(..., help="e.g. 2026-W47"),
            by: str = typer.Option("", "--by", help="Who publishes (shown on the bulletin)."),
            ranking_url: str = URL) -> None:
    """Freeze the week's 周通报 (a week is published once; late data shows as 更正)."""
    r = _call("POST", f"{ranking_url}/v1/halls/{hall}/weeks/{week}/publish", json={"published_by": by})
    body = r.json()
    b, meta = body["bulletin"], body["published"]
    typer.echo(f"已发布 {b['title']} at {meta['published_at']} ({len(b['units'])} units, "
               f"{meta['ledger']['rows']} ledger lines)")
    typer.echo(f"page: {ranking_url}/halls/{hall}/weeks/{week}/bulletin")


@bulletin_app.command("export")
def export(hall: str = typer.Option(...), week: str = typer.Option(...),
           out: Path = typer.Option(None, help="Default: bulletin-HALL-WEEK.xlsx"), ranking_url: str = URL) -> None:
    """Save the week's 周通报 as an Excel workbook (published if it is, else the draft)."""
    r = _call("GET", f"{ranking_url}/v1/halls/{hall}/weeks/{week}/bulletin.xlsx")
    path = out or Path(f"bulletin-{hall}-{week}.xlsx")
    path.write_bytes(r.content)
    typer.echo(str(path))


@bulletin_app.command("component")
def component(hall: str = typer.Option(...), year: int = typer.Option(...), unit: str = typer.Option(...),
              component_id: str = typer.Option(..., "--component", help="e.g. tongxu.year.other"),
              value: str = typer.Option(..., help="The component's score, e.g. 88.5"),
              by: str = typer.Option("", "--by"), note: str = typer.Option(""), ranking_url: str = URL) -> None:
    """Record an annual component a manager scores (rubric folding.year, source: manual)."""
    r = _call("PUT", f"{ranking_url}/v1/halls/{hall}/years/{year}/units/{unit}/components/{component_id}",
              json={"value": value, "recorded_by": by, "note": note})
    body = r.json()
    typer.echo(f"recorded {body['component']} = {body['value']} for {hall}/{unit} {year}")
