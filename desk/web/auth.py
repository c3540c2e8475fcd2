"""Who is signed in, and the guards every desk route goes through.

- Sessions live in a cookie that is encrypted and signed (aiohttp-session's Fernet storage):
  HttpOnly, SameSite=Strict, Secure behind TLS (`DESK_COOKIE_SECURE`). The session holds the
  agent's id and a CSRF token; the agent is read from the database on every request, so a
  deactivated account is out at once.
- Every state-changing request (POST, PUT, PATCH, DELETE) must come from our own pages: a
  cross-site `Sec-Fetch-Site` or a foreign `Origin` is refused, and the session's CSRF token
  must come back in the `X-CSRF-Token` header or the `csrf_token` form field. The JSON login is
  the one exception to the token (there is no session yet): it accepts only
  `application/json`, which a cross-site form cannot send.
- Under /desk/api/ failures are JSON `{"error": {"code", "message"}}`; pages redirect to the
  sign-in page or show the message.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp_session import get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from desk.staff import SignIn, sign_in
from desk.web.state import DESK_SESSIONS
from settings import REPO_ROOT, Settings
from store.models import Agent, AgentRole

log = logging.getLogger(__name__)

API_PREFIX = "/desk/api/"
COOKIE_NAME = "desk_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes that check no CSRF token (they have no session yet); still same-site only.
TOKENLESS = frozenset({"/desk/api/login"})
# Replies and notes are at most 5,000 characters; no desk request needs more than this.
MAX_BODY_BYTES = 64 * 1024
SECRET_FILE = REPO_ROOT / "var" / "desk_secret.key"
SIGN_IN_FIRST = "Sign in first (POST /desk/api/login)."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AGENT_KEY: web.RequestKey[Agent | None] = web.RequestKey("desk_agent")


def cookie_storage(settings: Settings) -> EncryptedCookieStorage:
    """The session store for these settings."""
    return EncryptedCookieStorage(
        secret_key(settings),
        cookie_name=COOKIE_NAME,
        httponly=True,
        samesite="Strict",
        secure=settings.desk_cookie_secure,
        path="/desk",
        max_age=int(timedelta(hours=settings.desk_session_hours).total_seconds()),
    )


def secret_key(settings: Settings, path: Path = SECRET_FILE) -> bytes:
    """`DESK_SECRET_KEY`, else a key made once and kept in `path` (readable by us only)."""
    if settings.desk_secret_key:
        key = base64.urlsafe_b64decode(settings.desk_secret_key.encode())
        if len(key) != 32:
            raise ValueError("DESK_SECRET_KEY must be 32 bytes, url-safe base64 encoded")
        return key
    if path.exists():
        return base64.urlsafe_b64decode(path.read_bytes().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(base64.urlsafe_b64encode(key))
    log.warning("desk: no DESK_SECRET_KEY; made one in %s", path)
    return key


def new_secret() -> str:
    """A fresh value for DESK_SECRET_KEY."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def is_api(request: web.Request) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(status: int, code: str, message: str, **headers: str) -> web.Response:
    """The API's error shape."""
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers or None
    )


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer; same-site and CSRF checks on every change."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        # The gateway's own limit is larger (webhooks); a sub-app's client_max_size is ignored.
        return _secure(_too_large(request))
    if request.method in UNSAFE_METHODS:
        refused = await _refuse_forged(request)
        if refused is not None:
            return _secure(refused)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        if is_api(request) and error.status >= 400:
            response = json_error(error.status, _code(error.status), error.reason or "error")
        else:
            _secure(error)
            raise
    return _secure(response)


async def _refuse_forged(request: web.Request) -> web.StreamResponse | None:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site in ("cross-site", "same-site") or (
        origin is not None and not _same_origin(origin, request)
    ):
        return _forbidden(request, "cross_site", "Cross-site requests are refused.")
    if request.path in TOKENLESS:
        if request.content_type != "application/json":
            return json_error(415, "unsupported_media_type", "Send the login as application/json.")
        return None
    if is_api(request) and await current_agent(request) is None:
        # Without a session there is no token to compare: say what is really missing.
        return json_error(401, "unauthenticated", SIGN_IN_FIRST)
    session = await get_session(request)
    expected = session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = str((await request.post()).get(CSRF_FIELD) or "")
    if not expected or not given or not secrets.compare_digest(str(expected), given):
        return _forbidden(
            request, "csrf", "Missing or wrong CSRF token: reload the page and try again."
        )
    return None


def _too_large(request: web.Request) -> web.StreamResponse:
    message = f"The body is larger than {MAX_BODY_BYTES // 1024} KiB, the limit."
    if is_api(request):
        return json_error(413, "too_large", message)
    return web.Response(status=413, text=message, content_type="text/plain")


def _same_origin(origin: str, request: web.Request) -> bool:
    parts = urlsplit(origin)
    return parts.netloc == request.host and parts.scheme in ("http", "https")


def _forbidden(request: web.Request, code: str, message: str) -> web.StreamResponse:
    if is_api(request):
        return json_error(403, code, message)
    return web.Response(status=403, text=message, content_type="text/plain")


def _secure(response: Any) -> Any:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        429: "too_many_requests",
    }.get(status, "error")


async def csrf_token(request: web.Request) -> str:
    """The session's CSRF token (made on first use): put it in forms and fetch headers."""
    session = await get_session(request)
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


async def current_agent(request: web.Request) -> Agent | None:
    """The signed-in, active member of staff, or None."""
    if AGENT_KEY in request:
        return request[AGENT_KEY]
    session = await get_session(request)
    agent_id = session.get("agent_id")
    agent = None
    if isinstance(agent_id, int):
        agent = await asyncio.to_thread(_load_agent, request, agent_id)
        if agent is None or not agent.active:
            session.invalidate()
            agent = None
    request[AGENT_KEY] = agent
    return agent


def _load_agent(request: web.Request, agent_id: int) -> Agent | None:
    with request.config_dict[DESK_SESSIONS]() as session:
        agent = session.get(Agent, agent_id)
        if agent is not None:
            session.expunge(agent)
        return agent


async def log_in(request: web.Request, username: str, password: str) -> SignIn:
    """Check the credentials (throttled); on success start a fresh session for the agent."""
    address = request.remote or "unknown"

    def check() -> SignIn:
        with request.config_dict[DESK_SESSIONS].begin() as session:
            result = sign_in(session, username, password, address)
            if result.agent is not None:
                session.expunge(result.agent)
            return result

    result = await asyncio.to_thread(check)
    if result.agent is not None:
        # A new session (new cookie, new CSRF token): a session fixed before sign-in is useless.
        session = await new_session(request)
        session["agent_id"] = result.agent.id
        session["csrf"] = secrets.token_urlsafe(32)
        request[AGENT_KEY] = result.agent
        log.info("desk: %s signed in", result.agent.username)
    else:
        log.info("desk: sign-in refused (throttled: %s)", result.retry_after > 0)
    return result


async def log_out(request: web.Request) -> None:
    session = await get_session(request)
    session.invalidate()
    request[AGENT_KEY] = None


def signed_in(handler: Handler) -> Handler:
    """Only for signed-in staff: the API answers 401, pages send to the sign-in page."""

    @wraps(handler)
    async def check(request: web.Request) -> web.StreamResponse:
        if await current_agent(request) is None:
            if is_api(request):
                return json_error(401, "unauthenticated", SIGN_IN_FIRST)
            raise web.HTTPSeeOther(f"/desk/login?next={request.path_qs}")
        return await handler(request)

    return check


def admin_only(handler: Handler) -> Handler:
    """Only for admins (and signed in)."""

    @signed_in
    @wraps(handler)
    async def check(request: web.Request) -> web.StreamResponse:
        agent = await current_agent(request)
        if agent is None or agent.role is not AgentRole.ADMIN:
            if is_api(request):
                return json_error(403, "forbidden", "Only admins may do this.")
            return web.Response(status=403, text="Only admins may open this page.")
        return await handler(request)

    return check


def agent_of(request: web.Request) -> Agent:
    """The signed-in agent, inside a `signed_in` handler."""
    agent = request.get(AGENT_KEY)
    if agent is None:
        raise web.HTTPUnauthorized(reason="Sign in first.")
    return agent
