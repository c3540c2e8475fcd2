"""`MessengerSender`: delivers one `OutboundMessage` through the Send API (the outbox's port).

One reply may take several requests: `typing_on` first (its failures are ignored; not before a
reply that follows the previous one of its turn), then one request per text part, quick replies
on the last. The page access token travels in the
`Authorization` header, never in a URL, so it cannot leak into logs or exception texts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from typing import Any

import aiohttp

from connectors.messenger.compose import MAX_TEXT_LENGTH, message_objects, messaging_fields
from connectors.messenger.events import PLATFORM
from connectors.messenger.outcomes import GraphError, result_for_error
from outbox.messages import OutboundMessage, SendOutcome, SendResult
from settings import Settings

logger = logging.getLogger(__name__)

# Replies whose first parts went out before a failure: a retry sends only the rest.
_MAX_REMEMBERED_PARTIAL_SENDS = 1000


class MessengerSender:
    """Sends replies to Messenger customers through `POST {graph_api_url}/me/messages`."""

    platform = PLATFORM

    def __init__(
        self,
        *,
        page_access_token: str,
        graph_api_url: str,
        session: aiohttp.ClientSession | None = None,
        timeout_seconds: float = 10.0,
        max_text_length: int = MAX_TEXT_LENGTH,
    ) -> None:
        """`session` is borrowed when given (the caller closes it); otherwise one is made on
        first use and closed by `close()`."""
        if not page_access_token:
            raise ValueError("a page access token is needed to send on Messenger")
        self._token = page_access_token
        self._url = graph_api_url.rstrip("/") + "/me/messages"
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        # The typing bubble is a nicety: a slow Graph API must not delay the reply much for it.
        self._typing_timeout = aiohttp.ClientTimeout(total=min(timeout_seconds, 3.0))
        self._max_text_length = max_text_length
        # reply key → (parts already delivered, their message ids)
        self._partial_sends: OrderedDict[str, tuple[int, tuple[str, ...]]] = OrderedDict()

    @classmethod
    def from_settings(
        cls, settings: Settings, session: aiohttp.ClientSession | None = None
    ) -> MessengerSender:
        """A sender on MESSENGER_PAGE_ACCESS_TOKEN and GRAPH_API_URL."""
        if not settings.messenger_page_access_token:
            raise ValueError("MESSENGER_PAGE_ACCESS_TOKEN is not set: cannot send on Messenger")
        return cls(
            page_access_token=settings.messenger_page_access_token,
            graph_api_url=settings.graph_api_url,
            session=session,
        )

    async def close(self) -> None:
        """Close the HTTP session if this sender made it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> MessengerSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver `message`: SENT with one message id per part, RETRY, or PERMANENT.

        When a long reply fails after some parts went out, those parts' ids are remembered (in
        this process) and a retry of the same reply continues where it stopped, so the customer
        does not read the first parts twice.
        """
        objects = message_objects(message, max_text_length=self._max_text_length)
        if not objects:
            return SendResult(SendOutcome.PERMANENT, error="Nothing to send: the reply is empty")
        key = _reply_key(message)
        parts_done, sent_ids = self._partial_sends.pop(key, (0, ()))
        # The bubble says "an answer is coming" before a turn's first reply. The replies after
        # it follow within milliseconds, and Messenger hides the bubble when a message arrives:
        # a bubble before each of them could not be seen, yet would cost each a round trip.
        if not message.follows_previous:
            await self._typing_on(message.user_id)

        fields = messaging_fields(message)
        for body in objects[parts_done:]:
            request = {"recipient": {"id": message.user_id}, **fields, "message": body}
            result = await self._post(request, from_person=message.from_person)
            if result.outcome is not SendOutcome.SENT:
                if result.outcome is SendOutcome.RETRY and parts_done:
                    self._remember_partial(key, parts_done, sent_ids)
                logger.info(
                    "Messenger send to %s: %s (%s)", message.user_id, result.outcome, result.error
                )
                return SendResult(
                    result.outcome,
                    platform_message_ids=sent_ids,
                    retry_after=result.retry_after,
                    error=result.error,
                )
            parts_done += 1
            sent_ids += result.platform_message_ids
        logger.debug("Messenger send to %s: %d part(s)", message.user_id, parts_done)
        return SendResult(SendOutcome.SENT, platform_message_ids=sent_ids)

    async def _typing_on(self, user_id: str) -> None:
        """Show the typing bubble; a reply must not fail because of it."""
        request = {"recipient": {"id": user_id}, "sender_action": "typing_on"}
        result = await self._post(request, from_person=False, timeout=self._typing_timeout)
        if result.outcome is not SendOutcome.SENT:
            logger.debug("Messenger typing_on for %s not shown: %s", user_id, result.error)

    async def _post(
        self,
        request: dict[str, Any],
        *,
        from_person: bool,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> SendResult:
        """One Send API call, mapped to an outcome. Never raises for HTTP or network trouble."""
        try:
            async with self._http().post(
                self._url,
                json=request,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=timeout or self._timeout,
            ) as response:
                raw = await response.read()
                status, headers = response.status, response.headers
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = self._redact(f"{type(error).__name__}: {error}")
            return SendResult(SendOutcome.RETRY, error=f"Messenger unreachable ({reason})")
        body = _json_or_none(raw)
        if 200 <= status < 300:
            mid = body.get("message_id") if isinstance(body, dict) else None
            return SendResult(SendOutcome.SENT, platform_message_ids=(str(mid),) if mid else ())
        result = result_for_error(
            GraphError.from_body(status, body), headers, from_person=from_person
        )
        return SendResult(
            result.outcome, retry_after=result.retry_after, error=self._redact(result.error or "")
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _redact(self, text: str) -> str:
        """Graph error messages may quote the token back; staff never see it."""
        return text.replace(self._token, "[redacted]")

    def _remember_partial(self, key: str, parts_done: int, sent_ids: tuple[str, ...]) -> None:
        self._partial_sends[key] = (parts_done, sent_ids)
        while len(self._partial_sends) > _MAX_REMEMBERED_PARTIAL_SENDS:
            self._partial_sends.popitem(last=False)


def _reply_key(message: OutboundMessage) -> str:
    """Identifies a reply by what it says and to whom (the port carries no outbox row id)."""
    content = json.dumps(
        [
            message.account_id,
            message.user_id,
            message.text,
            [[b.title, b.payload] for b in message.buttons],
            message.custom,
            message.from_person,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
