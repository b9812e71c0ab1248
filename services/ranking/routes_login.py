"""Browser log-in: paste a user token once, get it back as an HttpOnly cookie.

GET  /login?next=/halls/...   the form (token field)
POST /login                   token=hu_...&next=... -> 303 to next, cookie set; 401 + form if unknown
POST /logout                  cookie cleared -> 303 /login
The cookie is SameSite=Strict, so another site cannot make a browser publish a bulletin with it.
"""
from __future__ import annotations

from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from .access import COOKIE, UsersUnavailable
from .pages import _e, page

router = APIRouter(include_in_schema=False)
MAX_AGE_S = 12 * 3600  # a working day; the token itself stays valid until revoked


def safe_next(value: str | None) -> str:
    """Only a path on this site (no //host, no scheme): an open redirect otherwise."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def login_form(next_path: str, error: str = "") -> str:
    err = f'<p class="down">{_e(error)}</p>' if error else ""
    return page("登录 Log in", f"""{err}
<p>请粘贴管理员发给您的用户令牌（hu_ 开头）。Paste your user token (starts with hu_).</p>
<form method="post" action="/login">
<input type="hidden" name="next" value="{_e(next_path)}">
<p><input type="password" name="token" size="80" autocomplete="off" autofocus required></p>
<p><button type="submit">登录 Log in</button></p></form>
<p class="muted">令牌由 <code>hallscore user issue</code> 签发。Tokens are issued with <code>hallscore user issue</code>.</p>""")


def login_redirect(request: Request) -> RedirectResponse:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(path, safe='')}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(next: str | None = None):
    return login_form(safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request):
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    next_path = safe_next((form.get("next") or ["/"])[0])
    users = request.app.state.users
    if users is None:  # open access: nothing to log in to
        return RedirectResponse(next_path, status_code=303)
    try:
        who = users.verify(token) if token else None
    except UsersUnavailable as exc:
        return HTMLResponse(login_form(next_path, f"暂时无法验证令牌，请稍后再试。{exc}"), status_code=503)
    if who is None:
        return HTMLResponse(login_form(next_path, "令牌无效或已被撤销。Unknown or revoked token."), status_code=401)
    resp = RedirectResponse(next_path, status_code=303)
    resp.set_cookie(COOKIE, token, max_age=MAX_AGE_S, httponly=True, samesite="strict",
                    secure=request.url.scheme == "https")
    return resp


@router.post("/logout")
def logout():
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp
