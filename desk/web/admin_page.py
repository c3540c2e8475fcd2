"""The admin page: staff accounts, business hours and time zone, SLA targets, canned replies.

Admins only. Every change is a plain HTML form (with the session's CSRF token) posted to its own
route; a change that is saved redirects back to the page (Post/Redirect/Get) with a notice, a
change that is refused shows the page again with the reason next to the form, keeping what
was typed (never a password), and stores nothing.

    GET  /desk/admin
    POST /desk/admin/agents                 add a member of staff
    POST /desk/admin/agents/{id}            action=role|deactivate|reactivate|password
    POST /desk/admin/hours                  business hours, time zone, closed dates
    POST /desk/admin/sla                    minutes to a first reply, per priority
    POST /desk/admin/canned                 add a canned reply
    POST /desk/admin/canned/{id}            action=save|delete
"""

from __future__ import annotations

import asyncio
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.preferences import (
    MAX_SLA_MINUTES,
    business_hours_document,
    save_business_hours,
    save_sla_targets,
    sla_targets,
)
from desk.staff import StaffError, create_agent, list_agents, update_agent
from desk.tickets import REPLY_MAX
from desk.web.auth import admin_only, agent_of, csrf_token
from desk.web.state import DESK_SESSIONS
from store.business_hours import WEEKDAYS
from store.models import AgentRole, CannedReply, Priority

routes = web.RouteTableDef()

T = TypeVar("T")
NOTICE = "admin_notice"  # the session key of the "saved" message shown once after a redirect
TITLE_MAX = 100


class Refused(ValueError):
    """A change the page refuses; the message is for the admin."""


@dataclass(frozen=True)
class Problem:
    """A refused change: which form (`section`), why, and what was typed to show it again."""

    section: str
    message: str
    typed: Mapping[str, str]


# --- the page -------------------------------------------------------------------------------


@routes.get("/admin", name="admin")
@admin_only
async def admin_page(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    notice = session.pop(NOTICE, None)
    return await _render(request, notice=notice)


async def _render(
    request: web.Request, *, notice: str | None = None, problem: Problem | None = None
) -> web.Response:
    def read(session: Session) -> dict[str, Any]:
        data = {
            "agents": list_agents(session),
            "hours": business_hours_document(session),
            "sla": {priority.value: minutes for priority, minutes in sla_targets(session).items()},
            "canned": list(session.scalars(select(CannedReply).order_by(CannedReply.title))),
        }
        session.expunge_all()
        return data

    data = await _in_transaction(request, read)
    hours = data["hours"]
    typed = dict(problem.typed) if problem else {}
    hours_form = {
        "timezone": typed.get("timezone", hours.get("timezone", "")),
        "days": [
            (day, typed.get(f"hours_{day}", ", ".join(hours.get("weekly", {}).get(day) or [])))
            for day in WEEKDAYS
        ],
        "closed_dates": typed.get("closed_dates", "\n".join(hours.get("closed_dates") or [])),
    }
    context = {
        "agent": agent_of(request),
        "csrf_token": await csrf_token(request),
        "section": "admin",
        "notice": notice,
        "problem": problem,
        "typed": typed,
        "agents": data["agents"],
        "roles": [role.value for role in AgentRole],
        "hours": hours_form,
        "timezones": timezones(),
        "sla": [(p.value, typed.get(p.value, str(data["sla"][p.value]))) for p in Priority],
        "max_sla_minutes": MAX_SLA_MINUTES,
        "canned": data["canned"],
        "title_max": TITLE_MAX,
        "reply_max": REPLY_MAX,
    }
    response = aiohttp_jinja2.render_template("admin.html", request, context)
    if problem is not None:
        response.set_status(400)
    return response


@cache
def timezones() -> list[str]:
    """Every IANA time zone this machine knows, for the time zone select."""
    return sorted(zoneinfo.available_timezones())


# --- the changes ----------------------------------------------------------------------------


@routes.post("/admin/agents")
@admin_only
async def add_agent(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = _field(form, "username")
    name = _field(form, "display_name")

    def add(session: Session) -> str:
        agent = create_agent(session, username, name, _password(form), _role(_field(form, "role")))
        return f"Added {agent.display_name} ({agent.username}, {agent.role.value})."

    return await _change(request, "agents", add, typed={"username": username, "display_name": name})


@routes.post(r"/admin/agents/{agent_id:\d+}")
@admin_only
async def change_agent(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    agent_id = int(request.match_info["agent_id"])
    action = _field(form, "action")

    def change(session: Session) -> str:
        if action == "role":
            agent = update_agent(session, agent_id, role=_role(_field(form, "role")))
            return f"{agent.display_name} is now {agent.role.value}."
        if action in ("deactivate", "reactivate"):
            agent = update_agent(session, agent_id, active=action == "reactivate")
            state = "can sign in again" if agent.active else "can no longer sign in"
            return f"{agent.display_name} {state}."
        if action == "password":
            password = _password(form)
            if not password:
                raise Refused("Type the new password.")
            agent = update_agent(session, agent_id, password=password)
            return f"{agent.display_name}'s password was reset."
        raise Refused(f"Unknown action {action!r}.")

    return await _change(request, "agents", change)


@routes.post("/admin/hours")
@admin_only
async def save_hours(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    typed = {key: _field(form, key) for key in ("timezone", "closed_dates")}
    typed |= {f"hours_{day}": _field(form, f"hours_{day}") for day in WEEKDAYS}
    document = {
        "timezone": typed["timezone"],
        "weekly": {
            day: [part.strip() for part in typed[f"hours_{day}"].split(",") if part.strip()]
            for day in WEEKDAYS
        },
        "closed_dates": [d for d in re.split(r"[\s,]+", typed["closed_dates"]) if d],
    }

    def save(session: Session) -> str:
        hours = save_business_hours(session, document)
        return f"Business hours saved ({hours.timezone.key})."

    return await _change(request, "hours", save, typed=typed)


@routes.post("/admin/sla")
@admin_only
async def save_sla(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    typed = {p.value: _field(form, p.value) for p in Priority}

    def save(session: Session) -> str:
        targets = save_sla_targets(session, typed)
        return "SLA targets saved: " + ", ".join(
            f"{priority.value} {minutes} min" for priority, minutes in targets.items()
        )

    return await _change(request, "sla", save, typed=typed)


@routes.post("/admin/canned")
@admin_only
async def add_canned(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    title, text = _field(form, "title"), _field(form, "text")

    def add(session: Session) -> str:
        _check_canned(session, title, text)
        session.add(CannedReply(title=title, text=text))
        return f"Canned reply {title!r} added."

    return await _change(request, "canned", add, typed={"title": title, "text": text})


@routes.post(r"/admin/canned/{canned_id:\d+}")
@admin_only
async def change_canned(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    canned_id = int(request.match_info["canned_id"])
    action = _field(form, "action")
    title, text = _field(form, "title"), _field(form, "text")

    def change(session: Session) -> str:
        row = session.get(CannedReply, canned_id)
        if row is None:
            raise Refused(f"There is no canned reply {canned_id} (deleted meanwhile?).")
        if action == "delete":
            session.delete(row)
            return f"Canned reply {row.title!r} deleted."
        if action != "save":
            raise Refused(f"Unknown action {action!r}.")
        _check_canned(session, title, text, canned_id)
        row.title, row.text = title, text
        return f"Canned reply {title!r} saved."

    return await _change(request, "canned", change)


def _check_canned(session: Session, title: str, text: str, own_id: int | None = None) -> None:
    if not title or len(title) > TITLE_MAX:
        raise Refused(f"A canned reply needs a title of 1 to {TITLE_MAX} characters.")
    if not text:
        raise Refused("A canned reply needs a text.")
    if len(text) > REPLY_MAX:
        raise Refused(f"The text is {len(text):,} characters; replies take up to {REPLY_MAX:,}.")
    taken = session.scalar(select(CannedReply.id).where(CannedReply.title == title))
    if taken is not None and taken != own_id:
        raise Refused(f"There is already a canned reply called {title!r}.")


# --- helpers --------------------------------------------------------------------------------


async def _change(
    request: web.Request,
    section: str,
    work: Callable[[Session], str],
    *,
    typed: Mapping[str, str] | None = None,
) -> web.StreamResponse:
    """Run `work` in one transaction: saved → redirect with its notice; refused → the page
    again with the reason, nothing stored."""
    try:
        notice = await _in_transaction(request, work)
    except (Refused, StaffError, ValueError) as error:
        return await _render(request, problem=Problem(section, str(error), typed or {}))
    session = await get_session(request)
    session[NOTICE] = notice
    raise web.HTTPSeeOther(f"/desk/admin#{section}")


async def _in_transaction(request: web.Request, work: Callable[[Session], T]) -> T:
    sessions = request.config_dict[DESK_SESSIONS]

    def run() -> T:
        with sessions.begin() as session:
            return work(session)

    return await asyncio.to_thread(run)


def _field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _password(form: Mapping[str, Any]) -> str:
    # Not stripped: spaces at either end may be part of a password.
    value = form.get("password")
    return value if isinstance(value, str) else ""


def _role(value: str) -> AgentRole:
    try:
        return AgentRole(value)
    except ValueError:
        raise Refused(f"Unknown role {value!r}: choose agent or admin.") from None
