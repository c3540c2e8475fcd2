"""The desk sub-application: sessions, guards, templates, and the routes of each part."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware

from desk.web import admin_page, api, events, pages, reports_page
from desk.web.auth import cookie_storage, guard
from settings import Settings

HERE = Path(__file__).resolve().parent


def create_desk_app(settings: Settings) -> web.Application:
    """Mount with `gateway.add_subapp("/desk", create_desk_app(settings))`."""
    # Body size: checked by auth.guard (aiohttp ignores a sub-app's client_max_size).
    app = web.Application(
        middlewares=[session_middleware(cookie_storage(settings)), guard],
    )
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_static("/static/", HERE / "static", name="static")
    app.add_routes(pages.routes)
    app.add_routes(api.routes)
    app.add_routes(events.routes)
    events.setup(app)
    app.add_routes(reports_page.routes)
    app.add_routes(admin_page.routes)
    return app
