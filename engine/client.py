"""The Rasa engine over HTTP: one dialogue turn (REST channel) and reading a conversation back.

Rasa 3.6's REST channel answers 200 with whatever the turn produced, even when the turn crashed
inside: an empty answer alone cannot tell "nothing to say" (the bot is paused while a person has
the conversation) from "failed". The tracker can: a finished turn is saved with the user message,
a crashed one is not. So an empty answer is checked against the tracker, and a turn not found
there raises `EngineUnavailable`, to be retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from engine.replies import EngineReply, from_rest_messages, rest_messages_of_bot_event

log = logging.getLogger(__name__)


class EngineUnavailable(Exception):
    """The engine did not complete the turn: down, erroring, too slow, or it crashed inside."""


class EngineClient:
    """An async client for one engine (one language's model). Close it when done.

    `timeout`: seconds for a whole turn (the engine may call the action server several times);
    `tracker_timeout`: seconds for reading a tracker.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        tracker_timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.tracker_timeout = tracker_timeout
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EngineClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def turn(
        self, sender_id: str, text: str, metadata: Mapping[str, Any]
    ) -> list[EngineReply]:
        """Send one customer message; the bot's replies (none while a person has the chat).

        `metadata` must carry `inbox_message_id` for an empty answer to be checked.
        """
        body = {"sender": sender_id, "message": text, "metadata": dict(metadata)}
        answer = await self._request("POST", "/webhooks/rest/webhook", self.timeout, json=body)
        if not isinstance(answer, list):
            raise EngineUnavailable(f"the engine answered {type(answer).__name__}, not a list")
        replies = from_rest_messages(answer)
        inbox_message_id = metadata.get("inbox_message_id")
        if replies or inbox_message_id is None:
            return replies
        recorded = await self.replies_after(sender_id, inbox_message_id)
        if recorded is None:
            raise EngineUnavailable(
                "the engine answered nothing and did not record the message: the turn failed "
                "inside the engine (see its log)"
            )
        return recorded

    async def replies_after(
        self, sender_id: str, inbox_message_id: int | str
    ) -> list[EngineReply] | None:
        """The replies the engine gave to that inbox message, or None if it never handled it.

        Reads the conversation's tracker for the user message whose metadata carries
        `inbox_message_id`; its replies are the bot messages up to the end of that turn.
        """
        path = f"/conversations/{quote(sender_id, safe='')}/tracker"
        tracker = await self._request(
            "GET", path, self.tracker_timeout, params={"include_events": "ALL"}
        )
        events = tracker.get("events") if isinstance(tracker, Mapping) else None
        if not isinstance(events, list):
            raise EngineUnavailable("the engine's tracker has no event list")
        return _replies_to(events, str(inbox_message_id))

    async def resume(self, sender_id: str) -> None:
        """Let the bot answer this conversation again (it was paused by a handoff).

        Appends `resume` and `action_listen` to a paused tracker; a conversation that is not
        paused is left alone, so calling it twice is harmless.
        """
        path = f"/conversations/{quote(sender_id, safe='')}/tracker"
        state = await self._request(
            "GET", path, self.tracker_timeout, params={"include_events": "NONE"}
        )
        if isinstance(state, Mapping) and not state.get("paused"):
            return
        # The handoff turn ended paused, before the bot listened: without the listen the next
        # message follows `action_handoff` directly, a state no rule or story knows, and the
        # policies fall back ("something went wrong") and hand off again.
        await self._request(
            "POST",
            f"{path}/events",
            self.tracker_timeout,
            json=[{"event": "resume"}, {"event": "action", "name": "action_listen"}],
        )

    async def _request(self, method: str, path: str, timeout: float, **kwargs: Any) -> Any:
        params = dict(kwargs.pop("params", {}))
        if self.token:
            params["token"] = self.token
        try:
            async with self._client().request(
                method,
                f"{self.url}{path}",
                params=params,
                timeout=aiohttp.ClientTimeout(total=timeout),
                **kwargs,
            ) as response:
                if response.status != 200:
                    # 4xx too: a wrong token or URL is a configuration error, and the message
                    # must wait for it to be fixed rather than be dropped.
                    detail = (await response.text())[:200]
                    raise EngineUnavailable(f"{method} {path}: HTTP {response.status} {detail}")
                return await response.json(content_type=None)
        except TimeoutError as error:
            raise EngineUnavailable(f"{method} {path}: no answer in {timeout:.0f} s") from error
        except (aiohttp.ClientError, ValueError) as error:
            raise EngineUnavailable(f"{method} {path}: {type(error).__name__}: {error}") from error

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: it must belong to the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session


def _replies_to(events: list[Any], inbox_message_id: str) -> list[EngineReply] | None:
    start = next(
        (
            index
            for index, event in enumerate(events)
            if isinstance(event, Mapping)
            and event.get("event") == "user"
            and str((event.get("metadata") or {}).get("inbox_message_id")) == inbox_message_id
        ),
        None,
    )
    if start is None:
        return None
    messages: list[dict[str, Any]] = []
    for event in events[start + 1 :]:
        kind = event.get("event") if isinstance(event, Mapping) else None
        # The turn ends when the bot listens again (absent while paused) or the next message.
        if kind == "user" or (kind == "action" and event.get("name") == "action_listen"):
            break
        if kind == "bot":
            messages.extend(rest_messages_of_bot_event(event))
    return from_rest_messages(messages)
