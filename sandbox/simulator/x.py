"""A fake X: the API v2 DM endpoints and an Account Activity webhook client, on loopback.

One simulator for tests, benchmarks and the local sandbox:

    async with XSimulator(consumer_secret="…", account_id="1000") as sim:
        client = build_client(sim.settings())           # X_API_URL → sim.api_url
        await sim.post_dm(gateway_url, "2001", "where is my parcel?", name="Ada", screen_name="ada")
        sent = await sim.wait_for_sends(1, timeout=5)   # what the customer received

Like X it checks the OAuth 1.0a signature of every API call (401 otherwise), refuses DMs over
10,000 characters (400), lists DM events newest first with opaque pagination tokens and only the
fields asked for, rejects unknown query parameters (400), and echoes our own sends to the webhook
(as X does) once `register_webhook` has passed the CRC check.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from oauthlib.oauth1 import Client as OAuth1Client
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849 import utils as oauth_utils

from connectors.x.crc import crc_response
from connectors.x.signature import SIGNATURE_HEADER, sign
from settings import Settings

MAX_DM_CHARS = 10_000
_DM_EVENT_PARAMS = {
    "dm_event.fields",
    "event_types",
    "expansions",
    "max_results",
    "media.fields",
    "pagination_token",
    "tweet.fields",
    "user.fields",
}
_DEFAULT_EVENT_FIELDS = ("id", "event_type", "text")
_FIRST_ID = 1_870_000_000_000_000_000  # snowflake-sized, increasing: later events, larger ids


class CrcFailed(AssertionError):
    """The gateway's CRC answer is not what X expects (X would not register the webhook)."""


@dataclass(frozen=True)
class XUser:
    id: str
    name: str
    screen_name: str


@dataclass(frozen=True)
class SentDM:
    """A DM the bot sent: what the customer received."""

    participant_id: str
    text: str
    event_id: str


@dataclass(frozen=True)
class Delivery:
    """One webhook POST to the gateway and its answer."""

    event_id: str | None
    status: int
    body: str


@dataclass(frozen=True)
class DMEvent:
    """One event in the account's DM history, in both directions."""

    id: str
    event_type: str
    sender_id: str
    recipient_id: str
    text: str
    created_ms: int
    quick_reply_metadata: str | None = None
    media: dict[str, Any] | None = None  # {"media_key", "type", "url"}


@dataclass
class _Failure:
    status: int
    reset_in: float | None
    detail: str | None


class XSimulator:
    """A real aiohttp server playing X for our account (see the module docstring)."""

    def __init__(
        self,
        *,
        consumer_key: str = "sim-consumer-key",
        consumer_secret: str = "sim-consumer-secret",
        access_token: str = "sim-access-token",
        access_token_secret: str = "sim-access-token-secret",
        account_id: str = "1000",
        account_name: str = "Shop Support",
        account_screen_name: str = "ShopSupport",
        host: str = "127.0.0.1",
        port: int = 0,  # 0: any free port
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.access_token = access_token
        self.access_token_secret = access_token_secret
        self.account_id = account_id
        self.host = host
        self.port = port
        self.sent: list[SentDM] = []  # what customers received, in order
        self.events: list[DMEvent] = []  # the account's DM history, both directions, oldest first
        self.users = {account_id: XUser(account_id, account_name, account_screen_name)}
        self.api_calls: list[tuple[str, str]] = []  # (method, path)
        self.webhook_url: str | None = None  # where our own sends are echoed, once registered
        self.echoes: list[Delivery] = []  # the echoes delivered, and the gateway's answers
        self._ids = itertools.count(_FIRST_ID)
        self._send_failures: list[_Failure | None] = []  # None: that call goes through
        self._read_failures: list[_Failure | None] = []
        self._closed_dms: set[str] = set()
        self._sends_changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._echo_tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> XSimulator:
        app = web.Application()
        app.add_routes(
            [
                web.post("/2/dm_conversations/with/{participant_id}/messages", self._create_dm),
                web.get("/2/dm_events", self._dm_events),
            ]
        )
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in list(self._echo_tasks):
            task.cancel()
        await asyncio.gather(*self._echo_tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The base to set as X_API_URL."""
        return f"http://{self.host}:{self.port}"

    def settings(self, **overrides: Any) -> Settings:
        """Settings whose X credentials and X_API_URL match this simulator."""
        values: dict[str, Any] = {
            "x_consumer_key": self.consumer_key,
            "x_consumer_secret": self.consumer_secret,
            "x_access_token": self.access_token,
            "x_access_token_secret": self.access_token_secret,
            "x_api_url": self.api_url,
            "x_account_id": self.account_id,
        }
        return Settings(**(values | overrides))

    # --- what the test or the sandbox user does -------------------------------------------------

    def customer_sends(
        self,
        user_id: str,
        text: str,
        *,
        name: str | None = None,
        screen_name: str | None = None,
        quick_reply_metadata: str | None = None,
        media_type: str | None = None,
    ) -> DMEvent:
        """A customer DMs our account: the event joins the history `GET /2/dm_events` lists."""
        self._remember_user(user_id, name, screen_name)
        event_id = str(next(self._ids))
        media = None
        if media_type:
            media = {
                "media_key": f"3_{event_id}",
                "type": media_type,
                "url": f"https://pbs.twimg.com/dm/{event_id}.jpg",
                "link": f"https://t.co/{event_id[-10:]}",
            }
            text = f"{text} {media['link']}".strip()
        event = DMEvent(
            id=event_id,
            event_type="MessageCreate",
            sender_id=user_id,
            recipient_id=self.account_id,
            text=text,
            created_ms=int(time.time() * 1000),
            quick_reply_metadata=quick_reply_metadata,
            media=media,
        )
        self.events.append(event)
        return event

    def conversation_event(self, user_id: str, event_type: str = "ParticipantsJoin") -> DMEvent:
        """An event that is not a message (joins and leaves of group conversations)."""
        event = DMEvent(
            id=str(next(self._ids)),
            event_type=event_type,
            sender_id=user_id,
            recipient_id=self.account_id,
            text="",
            created_ms=int(time.time() * 1000),
        )
        self.events.append(event)
        return event

    async def post_dm(
        self,
        gateway_url: str,
        user_id: str,
        text: str,
        *,
        name: str | None = None,
        screen_name: str | None = None,
        quick_reply_metadata: str | None = None,
        media_type: str | None = None,
    ) -> Delivery:
        """A customer DMs us and X delivers it to the webhook at `gateway_url`, signed."""
        event = self.customer_sends(
            user_id,
            text,
            name=name,
            screen_name=screen_name,
            quick_reply_metadata=quick_reply_metadata,
            media_type=media_type,
        )
        delivery = await self.post_activity(gateway_url, self.activity_payload([event]))
        return Delivery(event.id, delivery.status, delivery.body)

    async def post_activity(
        self,
        gateway_url: str,
        payload: dict[str, Any] | bytes,
        *,
        signed: bool = True,
        signature: str | None = None,
        content_type: str = "application/json",
    ) -> Delivery:
        """POST any Account Activity body, signed like X unless told otherwise."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": content_type}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        elif signed:
            headers[SIGNATURE_HEADER] = sign(self.consumer_secret, body)
        async with self._client().post(gateway_url, data=body, headers=headers) as response:
            return Delivery(None, response.status, await response.text())

    def activity_payload(self, events: list[DMEvent]) -> dict[str, Any]:
        """The Account Activity JSON X POSTs for these DM events."""
        users = {
            user_id: self._aaa_user(self.users[user_id])
            for event in events
            for user_id in (event.sender_id, event.recipient_id)
            if user_id in self.users
        }
        return {
            "for_user_id": self.account_id,
            "direct_message_events": [self._aaa_event(event) for event in events],
            "users": users,
        }

    async def check_crc(self, gateway_url: str) -> None:
        """Do X's CRC against the gateway; raise `CrcFailed` unless the answer is right."""
        token = secrets.token_urlsafe(24)
        async with self._client().get(gateway_url, params={"crc_token": token}) as response:
            body = await response.text()
        expected = crc_response(self.consumer_secret, token)
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if response.status != 200 or answer != expected:
            raise CrcFailed(f"CRC answer {response.status} {body!r}, expected {expected}")

    async def register_webhook(self, gateway_url: str) -> None:
        """Register the gateway like X does (CRC first); from then on our sends echo to it."""
        await self.check_crc(gateway_url)
        self.webhook_url = gateway_url

    def fail_next_sends(
        self,
        count: int,
        status: int = 500,
        *,
        after: int = 0,
        reset_in: float = 60,
        detail: str | None = None,
    ) -> None:
        """After `after` more sends go through, `count` fail with `status` (429s carry
        x-rate-limit-reset `reset_in` seconds ahead; `detail` is X's error text)."""
        self._send_failures.extend([None] * after)
        self._send_failures.extend(_Failure(status, reset_in, detail) for _ in range(count))

    def fail_next_reads(
        self, count: int, status: int = 500, *, reset_in: float = 60, detail: str | None = None
    ) -> None:
        """The next `count` `GET /2/dm_events` fail with `status`."""
        self._read_failures.extend(_Failure(status, reset_in, detail) for _ in range(count))

    def close_dms(self, user_id: str) -> None:
        """This customer stops accepting our DMs (or blocks us): sends to them get 403."""
        self._closed_dms.add(user_id)

    async def echoes_delivered(self) -> list[Delivery]:
        """Wait until every echo of our sends has reached the webhook; the deliveries so far."""
        await asyncio.gather(*self._echo_tasks, return_exceptions=True)
        return list(self.echoes)

    async def wait_for_sends(self, count: int, timeout: float = 5.0) -> list[SentDM]:
        """The DMs sent so far, once there are at least `count` (TimeoutError otherwise)."""
        try:
            async with asyncio.timeout(timeout), self._sends_changed:
                await self._sends_changed.wait_for(lambda: len(self.sent) >= count)
        except TimeoutError:
            texts = [dm.text for dm in self.sent]
            raise TimeoutError(
                f"{len(texts)} of {count} X sends after {timeout} s: {texts}"
            ) from None
        return list(self.sent)

    # --- the API ----------------------------------------------------------------------------------

    async def _create_dm(self, request: web.Request) -> web.Response:
        self.api_calls.append((request.method, request.path))
        refused = self._refusal(request, self._send_failures)
        if refused is not None:
            return refused
        participant_id = request.match_info["participant_id"]
        if participant_id in self._closed_dms:
            return _problem(403, "You are not permitted to send this user a Direct Message.")
        try:
            body = await request.json()
        except ValueError:
            return _problem(400, "The request body is not valid JSON.")
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            return _problem(400, "text or attachments is required.")
        if len(text) > MAX_DM_CHARS:
            return _problem(400, f"text must be at most {MAX_DM_CHARS} characters.")
        event = DMEvent(
            id=str(next(self._ids)),
            event_type="MessageCreate",
            sender_id=self.account_id,
            recipient_id=participant_id,
            text=text,
            created_ms=int(time.time() * 1000),
        )
        self.events.append(event)
        async with self._sends_changed:
            self.sent.append(SentDM(participant_id, text, event.id))
            self._sends_changed.notify_all()
        if self.webhook_url is not None:
            self._echo(event)
        conversation = "-".join(sorted((self.account_id, participant_id), key=int))
        return web.json_response(
            {"data": {"dm_conversation_id": conversation, "dm_event_id": event.id}},
            status=201,
            headers=_rate_limit_headers(remaining=199),
        )

    async def _dm_events(self, request: web.Request) -> web.Response:
        self.api_calls.append((request.method, request.path))
        refused = self._refusal(request, self._read_failures)
        if refused is not None:
            return refused
        query = request.query
        unknown = sorted(set(query) - _DM_EVENT_PARAMS)
        if unknown:
            return _problem(400, f"The query parameters {unknown} are not allowed here.")
        try:
            max_results = int(query.get("max_results", "100"))
        except ValueError:
            max_results = 0
        if not 1 <= max_results <= 100:
            return _problem(400, "max_results must be between 1 and 100.")
        events = list(reversed(self.events))  # newest first
        if "event_types" in query:
            wanted = set(query["event_types"].split(","))
            events = [event for event in events if event.event_type in wanted]
        if "pagination_token" in query:
            before = _token_id(query["pagination_token"])
            if before is None:
                return _problem(400, "The pagination_token is not valid.")
            events = [event for event in events if int(event.id) < before]
        page, more = events[:max_results], len(events) > max_results
        meta: dict[str, Any] = {"result_count": len(page)}
        if more:
            meta["next_token"] = _token(int(page[-1].id))
        body: dict[str, Any] = {"meta": meta}
        if page:
            fields = set(_list(query.get("dm_event.fields"))) | set(_DEFAULT_EVENT_FIELDS)
            body["data"] = [self._v2_event(event, fields) for event in page]
            includes = self._includes(page, query)
            if includes:
                body["includes"] = includes
        return web.json_response(body, headers=_rate_limit_headers(remaining=299))

    def _refusal(
        self, request: web.Request, failures: list[_Failure | None]
    ) -> web.Response | None:
        """401 for a bad OAuth 1.0a signature, else the next scripted failure, if any."""
        problem = self._oauth_problem(request)
        if problem is not None:
            return _problem(401, problem)
        failure = failures.pop(0) if failures else None
        if failure is None:
            return None
        headers = {}
        if failure.status == 429:
            reset = int(time.time() + (failure.reset_in or 0))
            headers = _rate_limit_headers(remaining=0, reset=reset)
        return _problem(failure.status, failure.detail, headers=headers)

    def _oauth_problem(self, request: web.Request) -> str | None:
        """Why X would refuse this request's OAuth 1.0a user context, or None when it is right."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return "This endpoint requires OAuth 1.0a user context."
        try:
            given = dict(oauth_utils.parse_authorization_header(header))
        except ValueError:
            return "Malformed OAuth header."
        if given.get("oauth_consumer_key") != self.consumer_key:
            return "Unknown consumer key."
        if given.get("oauth_token") != self.access_token:
            return "Unknown access token."
        params = oauth_signature.collect_parameters(
            uri_query=request.rel_url.raw_query_string, headers={"Authorization": header}
        )
        base = oauth_signature.signature_base_string(
            request.method,
            oauth_signature.base_string_uri(str(request.url.with_query(None))),
            oauth_signature.normalize_parameters(params),
        )
        ours = OAuth1Client(
            self.consumer_key,
            client_secret=self.consumer_secret,
            resource_owner_secret=self.access_token_secret,
        )
        expected = oauth_signature.sign_hmac_sha1_with_client(base, ours)
        received = oauth_utils.unescape(given.get("oauth_signature", ""))
        if not hmac.compare_digest(expected.encode(), received.encode()):
            return "Could not authenticate you (bad OAuth signature)."
        return None

    # --- shapes ---------------------------------------------------------------------------------

    def _v2_event(self, event: DMEvent, fields: set[str]) -> dict[str, Any]:
        full: dict[str, Any] = {
            "id": event.id,
            "event_type": event.event_type,
            "text": event.text,
            "sender_id": event.sender_id,
            "created_at": datetime.fromtimestamp(event.created_ms / 1000, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "dm_conversation_id": "-".join(sorted((event.sender_id, event.recipient_id), key=int)),
        }
        if event.media:
            full["attachments"] = {"media_keys": [event.media["media_key"]]}
        if event.event_type != "MessageCreate":
            del full["text"]
        return {key: value for key, value in full.items() if key in fields}

    def _includes(self, page: list[DMEvent], query: Any) -> dict[str, Any]:
        expansions = set(_list(query.get("expansions")))
        includes: dict[str, Any] = {}
        if "sender_id" in expansions:
            user_fields = set(_list(query.get("user.fields"))) | {"id", "name", "username"}
            senders = dict.fromkeys(event.sender_id for event in page)
            includes["users"] = [
                {
                    key: value
                    for key, value in {
                        "id": user.id,
                        "name": user.name,
                        "username": user.screen_name,
                    }.items()
                    if key in user_fields
                }
                for user in (self.users[sender] for sender in senders if sender in self.users)
            ]
        if "attachments.media_keys" in expansions:
            media_fields = set(_list(query.get("media.fields"))) | {"media_key", "type"}
            includes["media"] = [
                {key: value for key, value in event.media.items() if key in media_fields}
                for event in page
                if event.media
            ]
        return {key: value for key, value in includes.items() if value}

    def _aaa_event(self, event: DMEvent) -> dict[str, Any]:
        message_data: dict[str, Any] = {
            "text": event.text,
            "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        }
        if event.quick_reply_metadata is not None:
            message_data["quick_reply_response"] = {
                "type": "options",
                "metadata": event.quick_reply_metadata,
            }
        if event.media:
            message_data["attachment"] = {
                "type": "media",
                "media": {
                    "id": int(event.id),
                    "id_str": event.id,
                    "media_url_https": event.media["url"],
                    "url": event.media["link"],
                    "type": event.media["type"],
                },
            }
        return {
            "type": "message_create",
            "id": event.id,
            "created_timestamp": str(event.created_ms),
            "message_create": {
                "target": {"recipient_id": event.recipient_id},
                "sender_id": event.sender_id,
                "message_data": message_data,
            },
        }

    @staticmethod
    def _aaa_user(user: XUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "created_timestamp": "1420070400000",
            "name": user.name,
            "screen_name": user.screen_name,
            "protected": False,
            "verified": False,
        }

    # --- plumbing -------------------------------------------------------------------------------

    def _remember_user(self, user_id: str, name: str | None, screen_name: str | None) -> None:
        known = self.users.get(user_id)
        self.users[user_id] = XUser(
            user_id,
            name or (known.name if known else f"Customer {user_id}"),
            screen_name or (known.screen_name if known else f"customer{user_id}"),
        )

    def _echo(self, event: DMEvent) -> None:
        """X tells the webhook about our own sends too, a moment after the API call."""

        async def deliver(url: str) -> None:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                delivery = await self.post_activity(url, self.activity_payload([event]))
                self.echoes.append(Delivery(event.id, delivery.status, delivery.body))

        assert self.webhook_url is not None
        task = asyncio.get_running_loop().create_task(deliver(self.webhook_url))
        self._echo_tasks.add(task)
        task.add_done_callback(self._echo_tasks.discard)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use XSimulator as `async with XSimulator(...) as sim`")
        return self._session


def _problem(
    status: int, detail: str | None, *, headers: dict[str, str] | None = None
) -> web.Response:
    """X API v2's error body (RFC 7807 "problem details")."""
    title = {
        400: "Invalid Request",
        401: "Unauthorized",
        403: "Forbidden",
        429: "Too Many Requests",
    }.get(status, "Service Unavailable" if status >= 500 else "Error")
    body = {"title": title, "detail": detail or title, "type": "about:blank", "status": status}
    return web.json_response(body, status=status, headers=headers)


def _rate_limit_headers(*, remaining: int, reset: int | None = None) -> dict[str, str]:
    return {
        "x-rate-limit-limit": "300",
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(reset if reset is not None else int(time.time()) + 900),
    }


def _list(value: str | None) -> list[str]:
    return [item for item in (value or "").split(",") if item]


def _token(before_id: int) -> str:
    """Opaque to clients, as X's are."""
    return f"{before_id:x}".upper()


def _token_id(token: str) -> int | None:
    try:
        return int(token, 16)
    except ValueError:
        return None
