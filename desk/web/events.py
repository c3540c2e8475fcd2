"""Live updates: GET /desk/events, a server-sent event stream for signed-in staff.

Each open console page holds one stream. It gets `event: tickets` with the tickets' version
(desk.live.TicketWatcher) at once and whenever any ticket changes; live.js then re-fetches the
page's fragments. A comment line every 15 seconds keeps proxies from closing an idle stream and
notices a browser that went away. On shutdown every stream is ended first, so the server does not
wait out its shutdown timeout for pages that would never hang up.
"""

from __future__ import annotations

import asyncio
import contextlib
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator

from aiohttp import web

from desk.web.auth import current_agent
from desk.web.state import WATCHER

routes = web.RouteTableDef()

HEARTBEAT_SECONDS = 15.0
RECONNECT_MS = 2000  # how soon a browser reconnects after the stream broke
# Checked this often whether the browser hung up (aiohttp does not cancel the handler then).
GONE_CHECK_SECONDS = 1.0
STREAMS: web.AppKey[set[asyncio.Event]] = web.AppKey("desk_event_streams")


def setup(app: web.Application) -> None:
    """Keep track of open streams so shutdown can end them (call before the app starts)."""
    app[STREAMS] = set()
    app.on_shutdown.append(_end_streams)


async def _end_streams(app: web.Application) -> None:
    for stop in app[STREAMS]:
        stop.set()


@routes.get("/events")
async def events(request: web.Request) -> web.StreamResponse:
    if await current_agent(request) is None:
        return web.Response(status=401, text="Sign in first.")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Accel-Buffering": "no",  # nginx: pass each event on at once
        }
    )
    await response.prepare(request)
    stop = asyncio.Event()
    streams = request.app[STREAMS]
    streams.add(stop)
    try:
        await response.write(f"retry: {RECONNECT_MS}\n\n".encode())
        await _stream(request, response, request.config_dict[WATCHER].changes(), stop)
    except ConnectionError:
        pass  # the page was closed or reloaded: nothing to tell anyone
    finally:
        streams.discard(stop)
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response


async def _stream(
    request: web.Request,
    response: web.StreamResponse,
    versions: AsyncIterator[str],
    stop: asyncio.Event,
) -> None:
    """Write each version as it comes, a heartbeat when none came for a while; until `stop` or
    the browser hangs up."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.create_task(stop.wait())
    following = asyncio.ensure_future(anext(versions))
    last_write = loop.time()
    try:
        while not stopping.done() and not _gone(request):
            await asyncio.wait(
                {following, stopping}, timeout=GONE_CHECK_SECONDS, return_when=FIRST_COMPLETED
            )
            if following.done():
                await response.write(f"event: tickets\ndata: {following.result()}\n\n".encode())
                following = asyncio.ensure_future(anext(versions))
                last_write = loop.time()
            elif loop.time() - last_write >= HEARTBEAT_SECONDS:
                await response.write(b": still here\n\n")
                last_write = loop.time()
    finally:
        for task in (following, stopping):
            task.cancel()
        await asyncio.gather(following, stopping, return_exceptions=True)
        if hasattr(versions, "aclose"):
            await versions.aclose()


def _gone(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()
