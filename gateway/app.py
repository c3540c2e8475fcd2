"""The gateway app: webhooks in, the router and the outbox sender running beside them, and
the desk (agent console and its API) at /desk.

connector → inbox → router → engine → outbox → connector, in one process that holds no state
of its own: run several behind a load balancer on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import datetime

import aiohttp
import sqlalchemy as sa
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.orm import Session, sessionmaker

from connectors.x.api import build_client
from connectors.x.polling import run_polling
from desk.live import TicketWatcher
from desk.names import keep_names_filled
from desk.service import ChannelRules, Desk
from desk.web import create_desk_app
from desk.web.state import DESK, DESK_SESSIONS, WATCHER
from engine.client import EngineClient
from gateway.channels import CHANNELS, Channel
from gateway.metrics import Metrics
from inbox.accept import AcceptResult
from inbox.messages import InboundMessage
from inbox.poll_cursors import DatabaseCursorStore
from outbox.messages import PlatformSender
from outbox.worker import OutboxWorker
from router.worker import Router
from settings import Settings, get_settings
from store.db import prepare_database, session_factory
from store.models import InboxMessage

log = structlog.get_logger(__name__)

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
Accept = Callable[[Sequence[InboundMessage]], Awaitable[AcceptResult]]
ACCEPT: web.AppKey[Accept] = web.AppKey("accept")
ROUTER = web.AppKey("router", Router)
OUTBOX = web.AppKey("outbox", OutboxWorker)
SESSIONS: web.AppKey[sessionmaker[Session]] = web.AppKey("sessions")

# Webhook bodies are checked against each connector's own 1 MiB limit; this only has to be
# larger so the connector, not aiohttp, answers with its clear error.
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def create_app(settings: Settings | None = None) -> web.Application:
    """The gateway for `settings`; the pipeline starts with the app and stops with it."""
    settings = settings or get_settings()
    app = web.Application(client_max_size=MAX_REQUEST_BYTES, middlewares=[_time_webhooks])
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    for channel in CHANNELS:
        if channel.webhook_configured(settings):
            app.add_routes(channel.routes(_accept_into(app, channel.platform), settings))
    app.add_routes([web.get("/metrics", _metrics), web.get("/healthz", _health)])
    app.add_subapp("/desk", create_desk_app(settings))
    app.cleanup_ctx.append(_pipeline)
    return app


def _accept_into(app: web.Application, platform: str) -> Callable[..., Awaitable[AcceptResult]]:
    """The connectors' `accept`: stored (committed) in the inbox before the webhook answers."""

    async def accept(messages: Sequence[InboundMessage]) -> AcceptResult:
        result = await app[ACCEPT](messages)
        app[METRICS].inbound.labels(platform, "new").inc(result.new)
        app[METRICS].inbound.labels(platform, "duplicate").inc(result.duplicates)
        return result

    return accept


@web.middleware
async def _time_webhooks(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if not request.path.startswith("/webhooks/"):
        return await handler(request)
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        platform = request.path.removeprefix("/webhooks/").strip("/")
        request.app[METRICS].webhook_ack.labels(platform, str(status)).observe(
            time.perf_counter() - start
        )


async def _pipeline(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    database = await asyncio.to_thread(prepare_database, settings.database_url)
    sessions = session_factory(database)
    app[SESSIONS] = sessions
    app[METRICS].watch_inbox_lag(lambda: _oldest_pending(sessions))
    async with (
        aiohttp.ClientSession() as http,
        EngineClient(settings.engine_url, token=settings.rasa_token) as engine,
    ):
        senders: dict[str, PlatformSender] = {
            c.platform: c.sender(settings, http) for c in CHANNELS if c.sending_configured(settings)
        }
        outbox = OutboxWorker(sessions, senders, on_result=app[METRICS].count_send)
        watcher = TicketWatcher(sessions)
        router = Router(
            sessions,
            engine,
            platforms_without_quick_replies=[
                c.platform for c in CHANNELS if not c.native_quick_replies
            ],
            outbox=outbox,
            on_ticket_message=watcher.poke,
        )
        app[ROUTER], app[OUTBOX] = router, outbox
        app[ACCEPT] = router.accept
        app[DESK_SESSIONS], app[WATCHER] = sessions, watcher
        app[DESK] = Desk(
            sessions,
            engine,
            {
                c.platform: ChannelRules(
                    can_send=c.platform in senders,
                    person_reply_window=c.person_reply_window,
                    profile_url=c.profile_url,
                    lookup_name=(
                        c.name_lookup(settings, http)
                        if c.name_lookup is not None and c.platform in senders
                        else None
                    ),
                )
                for c in CHANNELS
            },
            on_outbox=outbox.notify,
            on_change=watcher.poke,
        )
        watcher.start()
        await outbox.start()
        await router.start()
        background = [_start_x_polling(app, settings, http)] if _x_polls(settings) else []
        polling = bool(background)
        # Names the platforms' messages lack are asked for beside the pipeline, not in it.
        if any(rules.lookup_name for rules in app[DESK].channels.values()):
            background.append(
                asyncio.create_task(keep_names_filled(app[DESK], watcher), name="desk-names")
            )
        log.info("gateway.started", platforms=sorted(senders), polling=polling)
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            await router.stop()
            await outbox.stop()
            await watcher.stop()
            database.dispose()


def _x_polls(settings: Settings) -> bool:
    return settings.x_mode == "polling" and bool(settings.x_account_id and settings.x_consumer_key)


def _start_x_polling(
    app: web.Application, settings: Settings, http: aiohttp.ClientSession
) -> asyncio.Task[None]:
    x = next(c for c in CHANNELS if c.platform == "x")
    return asyncio.create_task(
        run_polling(
            build_client(settings, session=http),
            _accept_into(app, x.platform),
            DatabaseCursorStore(app[SESSIONS], x.platform),
            interval=settings.x_poll_interval,
            account_id=str(settings.x_account_id),
        ),
        name="x-polling",
    )


def _oldest_pending(sessions: sessionmaker[Session]) -> datetime | None:
    with sessions() as session:
        return session.scalar(
            sa.select(sa.func.min(InboxMessage.received_at)).where(
                InboxMessage.status.in_(("pending", "processing"))
            )
        )


async def _metrics(request: web.Request) -> web.Response:
    body = await asyncio.to_thread(generate_latest, request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def channel_names() -> list[str]:
    """Every platform the gateway knows (for docs and checks)."""
    return [channel.platform for channel in CHANNELS]


__all__ = ["Channel", "channel_names", "create_app"]
