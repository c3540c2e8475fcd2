"""The platforms the gateway serves: each connector's parts, and whether it is configured."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

import connectors.messenger as messenger
import connectors.x as x
from connectors.x.api import build_client
from connectors.x.send import XSender
from connectors.x.webhook import routes as x_routes
from inbox.messages import InboundMessage
from outbox.messages import PlatformSender
from settings import Settings

Accept = Callable[[Sequence[InboundMessage]], Awaitable[Any]]
# A customer's name from their user id, None when the platform does not say.
NameLookup = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class Channel:
    """What the gateway needs of one platform's connector."""

    platform: str
    native_quick_replies: bool
    webhook_configured: Callable[[Settings], bool]
    sending_configured: Callable[[Settings], bool]
    routes: Callable[[Accept, Settings], list[web.RouteDef]]
    sender: Callable[[Settings, aiohttp.ClientSession], PlatformSender]
    # For the desk: how late a person may still reply, and the customer's profile address.
    person_reply_window: timedelta | None
    profile_url: Callable[[str, str | None], str | None]
    # Where webhooks carry no name, how the desk asks for it (None: the messages carry it).
    name_lookup: Callable[[Settings, aiohttp.ClientSession], NameLookup] | None = None


CHANNELS = (
    Channel(
        platform=messenger.PLATFORM,
        native_quick_replies=messenger.NATIVE_QUICK_REPLIES,
        webhook_configured=lambda s: bool(s.messenger_app_secret),
        sending_configured=lambda s: bool(s.messenger_page_access_token),
        routes=lambda accept, s: messenger.routes(accept, s),
        sender=lambda s, http: messenger.MessengerSender.from_settings(s, session=http),
        person_reply_window=messenger.PERSON_REPLY_WINDOW,
        profile_url=messenger.profile_url,
        name_lookup=lambda s, http: messenger.MessengerProfiles.from_settings(s, http).name,
    ),
    Channel(
        platform=x.PLATFORM,
        native_quick_replies=x.NATIVE_QUICK_REPLIES,
        webhook_configured=lambda s: bool(s.x_consumer_secret) and s.x_mode == "webhook",
        sending_configured=lambda s: bool(s.x_access_token and s.x_consumer_key),
        routes=lambda accept, s: x_routes(accept, s),
        sender=lambda s, http: XSender(build_client(s, session=http)),
        person_reply_window=x.PERSON_REPLY_WINDOW,
        profile_url=x.profile_url,
    ),
)
