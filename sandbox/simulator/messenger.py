"""A fake Messenger: the Graph Send API and User Profile API as a real aiohttp server on
loopback, and Meta's webhook client that POSTs signed events to our gateway. Shared by tests,
benchmarks and the local sandbox.

    async with MessengerSimulator(app_secret="s3cret", page_id="1234") as sim:
        sender = MessengerSender(page_access_token="token", graph_api_url=sim.graph_api_url)
        await sim.post_message(webhook_url, user_id="42", text="Where is my parcel?", name="Ann")
        calls = await sim.wait_for_sends(1)

A customer who wrote with a `name` (or was given one with `add_profile`) has a profile:
`GET /{version}/{psid}?fields=first_name,last_name` answers with it, as Meta does for people who
messaged the page; webhooks themselves carry no name, as on Meta.

It checks what Meta checks (limits, messaging type, token) so a connector bug shows up as the same
error code Meta would answer, and it can be told to fail the next sends.
The signature is computed here on its own, not with the connector's code, so the two check each
other.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

# Error bodies as Meta sends them, for `fail_next(error=...)`.
SERVER_ERROR = {
    "message": "An unexpected error has occurred. Please retry your request later.",
    "type": "OAuthException",
    "code": 2,
    "is_transient": True,
}
RATE_LIMITED = {
    "message": "(#613) Calls to this api have exceeded the rate limit.",
    "type": "OAuthException",
    "code": 613,
}
USER_UNAVAILABLE = {
    "message": "(#551) This person isn't available right now.",
    "type": "OAuthException",
    "code": 551,
    "error_subcode": 1545041,
}
OUTSIDE_WINDOW = {
    "message": "(#10) This message is sent outside of allowed window.",
    "type": "OAuthException",
    "code": 10,
    "error_subcode": 2018278,
}
INVALID_TOKEN = {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}
# What Meta answers (HTTP 400) for a PSID the page does not know.
UNKNOWN_OBJECT_SUBCODE = 33

_LIMITS = {"text": 2000, "quick_replies": 13, "title": 20, "payload": 1000}
_MESSAGE_TAGS = {
    "HUMAN_AGENT",
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
    "ACCOUNT_UPDATE",
}
_SENDER_ACTIONS = {"typing_on", "typing_off", "mark_seen"}
# Fields the User Profile API gives a page for a person who messaged it (a subset).
_PROFILE_FIELDS = {"id", "name", "first_name", "last_name", "profile_pic"}
_SIGN = object()  # default of `signature`: sign the body correctly
# Where our gateway serves the Messenger webhook, when a bare gateway URL is given.
DEFAULT_WEBHOOK_PATH = "/webhooks/messenger"


@dataclass(frozen=True)
class GraphCall:
    """One Send API request the simulator received, and what it answered."""

    path: str
    body: dict[str, Any]
    access_token: str | None
    status: int
    message_id: str | None = None

    @property
    def recipient_id(self) -> str | None:
        recipient = self.body.get("recipient")
        return str(recipient.get("id")) if isinstance(recipient, dict) else None

    @property
    def is_message(self) -> bool:
        return "message" in self.body

    @property
    def text(self) -> str | None:
        message = self.body.get("message")
        return message.get("text") if isinstance(message, dict) else None

    @property
    def quick_replies(self) -> list[dict[str, Any]]:
        message = self.body.get("message")
        return list(message.get("quick_replies") or []) if isinstance(message, dict) else []

    @property
    def sender_action(self) -> str | None:
        return self.body.get("sender_action")

    @property
    def messaging_type(self) -> str | None:
        return self.body.get("messaging_type")

    @property
    def tag(self) -> str | None:
        return self.body.get("tag")

    @property
    def delivered(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class ProfileLookup:
    """One User Profile API request the simulator received, and its answer's status."""

    user_id: str
    url: str  # path and query string as requested: a token must never be in it
    header_token: str | None  # the token from the Authorization header, if it came there
    status: int


@dataclass
class _Failure:
    status: int
    error: dict[str, Any]
    headers: dict[str, str]
    sender_actions: bool


@dataclass(frozen=True)
class WebhookResponse:
    """Our gateway's answer to a webhook the simulator posted."""

    status: int
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text)


class MessengerSimulator:
    """The Graph Send API on loopback plus Meta's side of the webhook."""

    def __init__(
        self,
        *,
        app_secret: str,
        page_id: str = "100000000000001",
        page_access_token: str | None = None,
        version: str = "v21.0",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """`page_access_token`: when given, Send API calls with another token get error 190."""
        self.app_secret = app_secret
        self.page_id = page_id
        self.page_access_token = page_access_token
        self.version = version
        self.calls: list[GraphCall] = []
        self.lookups: list[ProfileLookup] = []
        self.profiles: dict[str, tuple[str, str]] = {}  # PSID → (first name, last name)
        self._lookup_failures: deque[tuple[int, dict[str, Any]]] = deque()
        self._host, self._port = host, port
        self._failures: deque[_Failure] = deque()
        self._let_through = 0  # successful sends still due before the queued failures start
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._clock = itertools.count(int(time.time() * 1000))

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(f"/{self.version}/me/messages", self._send_api)
        app.router.add_post(f"/{self.version}/{{page_id}}/messages", self._send_api)
        app.router.add_get(f"/{self.version}/{{user_id}}", self._profile_api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._client = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MessengerSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def graph_api_url(self) -> str:
        """What GRAPH_API_URL should be for the connector to send here."""
        return f"http://{self._host}:{self._port}/{self.version}"

    # --- the Send API side: what the customer receives ----------------------------------------

    @property
    def sends(self) -> list[GraphCall]:
        """Messages delivered to customers (sender actions and refused calls left out)."""
        return [c for c in self.calls if c.is_message and c.delivered]

    @property
    def sender_actions(self) -> list[GraphCall]:
        return [c for c in self.calls if c.sender_action is not None]

    def received(self, user_id: str) -> list[str]:
        """The texts this customer has received, in order."""
        return [c.text or "" for c in self.sends if c.recipient_id == user_id]

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        error: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        after: int = 0,
        sender_actions: bool = False,
    ) -> None:
        """Refuse the next `count` message sends with `status` and a Graph `error` body.

        `after`: let that many sends succeed first. Sender actions (typing) are not failed
        unless `sender_actions` is set, so a test of the reply is not spent on the typing bubble.
        """
        body = dict(error) if error is not None else _default_error(status)
        self._let_through = after
        for _ in range(count):
            self._failures.append(_Failure(status, body, dict(headers or {}), sender_actions))

    def reset(self) -> None:
        """Forget recorded calls and queued failures (profiles stay)."""
        self.calls.clear()
        self.lookups.clear()
        self._failures.clear()
        self._lookup_failures.clear()
        self._let_through = 0

    async def wait_for_sends(self, count: int, timeout: float = 5.0) -> list[GraphCall]:
        """The delivered messages once there are at least `count`; TimeoutError otherwise."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.sends) < count:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            texts = [c.text for c in self.sends]
            raise TimeoutError(
                f"{len(texts)} of {count} Messenger sends after {timeout}s: {texts}"
            ) from None
        return self.sends

    async def _send_api(self, request: web.Request) -> web.Response:
        token = _access_token(request)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._record(request, {}, token, 400, _graph_error(100, "Invalid JSON body"))
        if self.page_access_token is not None and token != self.page_access_token:
            return self._record(request, body, token, 400, {"error": INVALID_TOKEN})
        failure = self._next_failure(is_action="sender_action" in body)
        if failure is not None:
            return self._record(
                request, body, token, failure.status, {"error": failure.error}, failure.headers
            )
        problem = _validate(body)
        if problem is not None:
            return self._record(request, body, token, 400, _graph_error(100, problem))
        recipient = body["recipient"]["id"]
        if "sender_action" in body:
            return self._record(request, body, token, 200, {"recipient_id": recipient})
        mid = f"m_{uuid.uuid4().hex}"
        answer = {"recipient_id": recipient, "message_id": mid}
        return self._record(request, body, token, 200, answer, message_id=mid)

    # --- the User Profile API: who a PSID is ---------------------------------------------------

    def add_profile(self, user_id: str, name: str) -> None:
        """The customer `user_id` is called `name` ("Giulia Rossi": first name up to the first
        space, the rest the last name)."""
        first, _, last = name.strip().partition(" ")
        self.profiles[user_id] = (first, last.strip())

    def fail_next_lookups(
        self, count: int = 1, *, status: int = 500, error: Mapping[str, Any] | None = None
    ) -> None:
        """Refuse the next `count` profile lookups with `status` and a Graph `error` body."""
        body = dict(error) if error is not None else _default_error(status)
        self._lookup_failures.extend((status, body) for _ in range(count))

    async def _profile_api(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user_id"]
        status, answer = self._profile_answer(
            user_id, _access_token(request), request.query.get("fields")
        )
        url, header_token = str(request.rel_url), _header_token(request)
        self.lookups.append(ProfileLookup(user_id, url, header_token, status))
        self._changed.set()
        return web.json_response(answer, status=status)

    def _profile_answer(
        self, user_id: str, token: str | None, fields: str | None
    ) -> tuple[int, dict[str, Any]]:
        if self.page_access_token is not None and token != self.page_access_token:
            return 400, {"error": INVALID_TOKEN}
        if self._lookup_failures:
            status, error = self._lookup_failures.popleft()
            return status, {"error": error}
        profile = self.profiles.get(user_id)
        if profile is None:
            answer = _graph_error(
                100,
                f"Unsupported get request. Object with ID '{user_id}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
            )
            error = answer["error"]
            error.update(type="GraphMethodException", error_subcode=UNKNOWN_OBJECT_SUBCODE)
            return 400, answer
        wanted = [f for f in (fields or "first_name,last_name,profile_pic").split(",") if f]
        unknown = [f for f in wanted if f not in _PROFILE_FIELDS]
        if unknown:
            message = f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (User)"
            return 400, _graph_error(100, message)
        first, last = profile
        known = {
            "id": user_id,
            "name": f"{first} {last}".strip(),
            "first_name": first,
            "last_name": last,
            "profile_pic": f"https://platform-lookaside.example/{user_id}.jpg",
        }
        return 200, {field: known[field] for field in wanted} | {"id": user_id}

    def _next_failure(self, *, is_action: bool) -> _Failure | None:
        if not self._failures or (is_action and not self._failures[0].sender_actions):
            return None
        if self._let_through > 0:
            if not is_action:
                self._let_through -= 1
            return None
        return self._failures.popleft()

    def _record(
        self,
        request: web.Request,
        body: dict[str, Any],
        token: str | None,
        status: int,
        answer: dict[str, Any],
        headers: Mapping[str, str] | None = None,
        message_id: str | None = None,
    ) -> web.Response:
        self.calls.append(GraphCall(request.path, body, token, status, message_id))
        self._changed.set()
        return web.json_response(answer, status=status, headers=dict(headers or {}))

    # --- the webhook side: Meta posting events to our gateway ---------------------------------

    def sign(self, body: bytes) -> str:
        """The `X-Hub-Signature-256` value Meta would send with `body`."""
        digest = hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        return f"sha256={digest}"

    def message_event(
        self,
        user_id: str,
        text: str | None = None,
        *,
        mid: str | None = None,
        quick_reply_payload: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        timestamp: int | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """A `messaging[]` item: the customer wrote (or tapped a quick reply, or sent a file).

        `name` is not in the event (Meta sends none): it becomes the customer's profile."""
        if name:
            self.add_profile(user_id, name)
        message: dict[str, Any] = {"mid": mid or _new_mid()}
        if text is not None:
            message["text"] = text
        if quick_reply_payload is not None:
            message["quick_reply"] = {"payload": quick_reply_payload}
        if attachments:
            message["attachments"] = attachments
        return self._item(user_id, {"message": message}, timestamp)

    def postback_event(
        self,
        user_id: str,
        payload: str,
        title: str = "",
        *,
        mid: str | None = None,
        timestamp: int | None = None,
    ) -> dict[str, Any]:
        """The customer pressed a button of a template or the persistent menu."""
        postback: dict[str, Any] = {"title": title, "payload": payload}
        if mid is not None:
            postback["mid"] = mid
        return self._item(user_id, {"postback": postback}, timestamp)

    def echo_event(self, user_id: str, text: str, *, app_id: int = 1) -> dict[str, Any]:
        """Our own message to `user_id`, echoed back by Meta (sender is the page)."""
        item = self._item(user_id, {}, None)
        item["sender"], item["recipient"] = {"id": self.page_id}, {"id": user_id}
        item["message"] = {"mid": _new_mid(), "is_echo": True, "app_id": app_id, "text": text}
        return item

    def read_event(self, user_id: str) -> dict[str, Any]:
        return self._item(user_id, {"read": {"watermark": next(self._clock)}}, None)

    def delivery_event(self, user_id: str, mids: list[str] | None = None) -> dict[str, Any]:
        delivery = {"mids": mids or [], "watermark": next(self._clock)}
        return self._item(user_id, {"delivery": delivery}, None)

    def reaction_event(self, user_id: str, mid: str, emoji: str = "❤") -> dict[str, Any]:
        reaction = {"mid": mid, "action": "react", "reaction": "love", "emoji": emoji}
        return self._item(user_id, {"reaction": reaction}, None)

    @staticmethod
    def attachment(kind: str, url: str | None = None, **payload: Any) -> dict[str, Any]:
        """An attachment as Meta sends it: `attachment("image", "https://…/a.jpg")`."""
        if url is not None:
            payload["url"] = url
        return {"type": kind, "payload": payload}

    def entry(self, *items: dict[str, Any], standby: bool = False) -> dict[str, Any]:
        """One `entry` for our page holding `items` (under `standby` when another app owns the
        thread)."""
        return {
            "id": self.page_id,
            "time": next(self._clock),
            "standby" if standby else "messaging": list(items),
        }

    @staticmethod
    def webhook_body(*entries: dict[str, Any]) -> dict[str, Any]:
        """A page webhook body: several entries make a batch."""
        return {"object": "page", "entry": list(entries)}

    async def post_webhook(
        self,
        url: str,
        body: Mapping[str, Any] | bytes,
        *,
        signature: Any = _SIGN,
        content_type: str = "application/json",
    ) -> WebhookResponse:
        """POST `body` to our webhook `url` as Meta would, signed with the app secret.

        `url` is the webhook's full URL, or the gateway's bare URL (then `/webhooks/messenger`).
        `signature=None` leaves the header out; a string is sent as the header value as is.
        """
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": content_type}
        if signature is _SIGN:
            headers["X-Hub-Signature-256"] = self.sign(raw)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = str(signature)
        async with self._http().post(_webhook(url), data=raw, headers=headers) as response:
            return WebhookResponse(response.status, await response.text(), dict(response.headers))

    async def post_events(self, url: str, *items: dict[str, Any]) -> WebhookResponse:
        """`items` in one entry, one signed POST."""
        return await self.post_webhook(url, self.webhook_body(self.entry(*items)))

    async def post_message(
        self, url: str, user_id: str, text: str, **kwargs: Any
    ) -> WebhookResponse:
        """The customer `user_id` writes `text` (see `message_event` for the options)."""
        return await self.post_events(url, self.message_event(user_id, text, **kwargs))

    async def post_postback(
        self, url: str, user_id: str, payload: str, title: str = ""
    ) -> WebhookResponse:
        return await self.post_events(url, self.postback_event(user_id, payload, title))

    async def verify(
        self, url: str, verify_token: str, challenge: str = "1158201444", mode: str = "subscribe"
    ) -> WebhookResponse:
        """Meta's subscription check: GET with hub.mode, hub.verify_token and hub.challenge."""
        params = {"hub.mode": mode, "hub.verify_token": verify_token, "hub.challenge": challenge}
        async with self._http().get(_webhook(url), params=params) as response:
            return WebhookResponse(response.status, await response.text(), dict(response.headers))

    def _item(self, user_id: str, event: dict[str, Any], timestamp: int | None) -> dict[str, Any]:
        return {
            "sender": {"id": user_id},
            "recipient": {"id": self.page_id},
            "timestamp": timestamp if timestamp is not None else next(self._clock),
            **event,
        }

    def _http(self) -> aiohttp.ClientSession:
        if self._client is None:
            raise RuntimeError("start the simulator first (async with MessengerSimulator(...))")
        return self._client


def _webhook(url: str) -> str:
    """The webhook URL: a bare gateway URL gets our webhook path."""
    if urlsplit(url).path in ("", "/"):
        return url.rstrip("/") + DEFAULT_WEBHOOK_PATH
    return url


def _validate(body: dict[str, Any]) -> str | None:
    """What Meta would refuse in a Send API body (error code 100), or None."""
    recipient = body.get("recipient")
    if not isinstance(recipient, dict) or not recipient.get("id"):
        return "(#100) The parameter recipient is required"
    if "sender_action" in body:
        if "message" in body:
            return "(#100) Cannot send both message and sender_action at the same time"
        if body["sender_action"] not in _SENDER_ACTIONS:
            return "(#100) Param sender_action must be one of typing_on, typing_off, mark_seen"
        return None
    message = body.get("message")
    if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
        return "(#100) Param message must contain text or attachment"
    messaging_type = body.get("messaging_type")
    if messaging_type not in {"RESPONSE", "UPDATE", "MESSAGE_TAG"}:
        return "(#100) Param messaging_type must be RESPONSE, UPDATE or MESSAGE_TAG"
    if messaging_type == "MESSAGE_TAG" and body.get("tag") not in _MESSAGE_TAGS:
        return "(#100) A valid tag is required with messaging_type MESSAGE_TAG"
    if len(message.get("text") or "") > _LIMITS["text"]:
        return "(#100) Length of param message[text] must be less than or equal to 2000"
    replies = message.get("quick_replies") or []
    if len(replies) > _LIMITS["quick_replies"]:
        return "(#100) param message[quick_replies] must have at most 13 items"
    for reply in replies:
        if reply.get("content_type") == "text" and not reply.get("title"):
            return "(#100) param title must be non-empty for text quick replies"
        if len(reply.get("title") or "") > _LIMITS["title"]:
            return "(#100) Quick reply title must be at most 20 characters"
        if len(reply.get("payload") or "") > _LIMITS["payload"]:
            return "(#100) Quick reply payload must be at most 1000 characters"
    return None


def _access_token(request: web.Request) -> str | None:
    return _header_token(request) or request.query.get("access_token")


def _header_token(request: web.Request) -> str | None:
    authorization = request.headers.get("Authorization", "")
    for scheme in ("Bearer ", "OAuth "):
        if authorization.startswith(scheme):
            return authorization[len(scheme) :]
    return None


def _graph_error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code}}


def _default_error(status: int) -> dict[str, Any]:
    if status == 429:
        return dict(RATE_LIMITED)
    if status >= 500:
        return dict(SERVER_ERROR)
    return {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}


def _new_mid() -> str:
    return f"m_{uuid.uuid4().hex}"
