"""What the gateway gives the desk's handlers (read with `request.config_dict[KEY]`)."""

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from desk.live import TicketWatcher
from desk.service import Desk

DESK = web.AppKey("desk", Desk)
WATCHER = web.AppKey("desk_watcher", TicketWatcher)
DESK_SESSIONS: web.AppKey[sessionmaker[Session]] = web.AppKey("desk_sessions")
