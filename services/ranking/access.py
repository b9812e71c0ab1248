"""Who may read which ranking, unit page or bulletin (user tokens, hallscore.access).

The rectification service issues and holds user tokens; ranking asks it
(`GET {users_url}/v1/me` with the caller's token) and keeps each answer for
`ttl_s`, so a revoked token stops working within that time and a burst of
page loads costs one call. One guard runs before every route and reads the
route's own path parameters:

  hall (+ unit, path or ?unit=)  may_read(hall, unit)        else 403
  tier / county                  may_read_any(its halls)     else 403
  POST / PUT                     may_manage(hall)            else 403
  no or unknown token            401 (HTML: the login page)
  users service unreachable      503

Open: /healthz, /metrics, /static, /login, /logout, the OpenAPI docs, and
/v1/admin (its own HALLSCORE_ADMIN_TOKEN). Browsers send the token as the
`hallscore_token` cookie set by /login; API clients as a bearer header.
"""
from __future__ import annotations

import hashlib
import threading
import time
from typing import Callable, Protocol

import httpx
from fastapi import Request
from fastapi.security import HTTPBearer

from hallscore.access import Principal, may_manage, may_read, may_read_any, scope_text
from hallscore.bearer import parse_bearer

COOKIE = "hallscore_token"
OPEN_PREFIXES = ("/healthz", "/metrics", "/static/", "/login", "/logout", "/docs", "/redoc", "/openapi.json",
                 "/v1/admin/")
# Documents the header in OpenAPI (vendors, schemathesis); the guard does the checking.
bearer_scheme = HTTPBearer(auto_error=False, description="A user token `hu_...` (hallscore user issue).")


class Unauthorized(Exception):
    """No token, or one the users service does not know (401)."""


class Forbidden(Exception):
    """A valid token outside its scope (403)."""


class UsersUnavailable(Exception):
    """The users service did not answer (503): neither allow nor deny."""


class Users(Protocol):
    def verify(self, token: str) -> Principal | None: ...


class RemoteUsers:
    """Verify through the rectification service's /v1/me, with a short cache."""

    def __init__(self, base_url: str, ttl_s: float = 30.0, timeout_s: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = base_url.rstrip("/") + "/v1/me"
        self.ttl_s, self.timeout_s, self.clock = ttl_s, timeout_s, clock
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal | None:
        key = hashlib.sha256(token.encode()).hexdigest()  # never keep the token itself
        now = self.clock()
        with self._lock:
            hit = self._cache.get(key)
        if hit and hit[0] > now:
            return hit[1]
        try:
            r = httpx.get(self.url, headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise UsersUnavailable(f"the users service at {self.url} did not answer ({exc.__class__.__name__})")
        if r.status_code == 401:
            who = None
        elif r.status_code == 200:
            who = Principal.from_json(r.json())
        else:
            raise UsersUnavailable(f"the users service at {self.url} answered {r.status_code}")
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + self.ttl_s, who)
        return who


def token_of(request: Request) -> str | None:
    return parse_bearer(request.headers.get("authorization")) or request.cookies.get(COOKIE) or None


def is_open(path: str) -> bool:
    return path.startswith(OPEN_PREFIXES)


def authenticate(users: Users, request: Request) -> Principal:
    token = token_of(request)
    who = users.verify(token) if token else None
    if who is None:
        raise Unauthorized("missing, unknown or revoked user token: send 'Authorization: Bearer hu_...' "
                           "(issue one with `hallscore user issue`) or log in at /login")
    return who


def check(p: Principal, request: Request, halls_of: Callable[[str, str], list[str]]) -> None:
    """Raise Forbidden unless `p` may do this request (see the module docstring)."""
    params = request.path_params
    hall = params.get("hall")
    unit = params.get("unit") or request.query_params.get("unit")
    if request.method not in ("GET", "HEAD"):
        if hall is None or not may_manage(p, hall):
            raise Forbidden(f"only the manager of hall {hall!r} may do this; {scope_text(p)}")
        return
    if hall is not None:
        if not may_read(p, hall, unit):
            what = f"unit {unit!r} of hall {hall!r}" if unit else f"hall {hall!r}"
            raise Forbidden(f"this token may not read {what}: {scope_text(p)}")
        return
    for kind in ("tier", "county"):
        # An unknown tier/county has no halls: let the route answer 404.
        halls = halls_of(kind, params[kind]) if kind in params else []
        if halls and not may_read_any(p, halls):
            raise Forbidden(f"this token may not read {kind} {params[kind]!r}: {scope_text(p)}")
