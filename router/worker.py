"""The router: takes customer messages from the inbox, runs the dialogue turn, fills the outbox.

Engine or desk: while a ticket holds the conversation (a person took it over), the message goes
to the ticket and the engine is not called at all; otherwise the engine answers.

Per message: the text for the engine (a payload, a numbered choice, or text plus attachment
descriptions), the turn, then in one transaction the replies into the outbox and the message
marked done; the outbox sender runs that transaction, claims the first reply in it and sends
the replies as soon as it commits. Engine unreachable: the message goes back to `pending` with
back-off, so its conversation waits while others go on; nothing is dropped.

Exactly once across crashes: a message claimed before (its worker died, or the engine timed out
after perhaps finishing the turn) is first looked up in the engine's tracker; if the engine
already handled it, the replies recorded there are enqueued and the message is not sent again.
The outbox's UNIQUE (inbox_message_id, position) makes enqueueing a turn twice a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from structlog.contextvars import bound_contextvars

from engine.client import EngineUnavailable
from engine.replies import EngineReply
from inbox.accept import AcceptResult, accept, accept_in, acceptor
from inbox.messages import InboundMessage
from outbox.backoff import Backoff
from outbox.claim_loop import ClaimLoop, on_claims_thread
from outbox.enqueue import latest_buttons
from outbox.messages import Button, OutboundMessage
from router import inbox_queue
from router.engine_input import engine_metadata, engine_text
from router.inbox_queue import Turn

log = logging.getLogger(__name__)

# An engine restart takes about a minute: look again within half of that once it is back.
ENGINE_BACKOFF = Backoff(base=1.0, cap=30.0)


class Engine(Protocol):
    """What the router needs from the engine (`engine.client.EngineClient`)."""

    async def turn(
        self, sender_id: str, text: str, metadata: Mapping[str, Any]
    ) -> list[EngineReply]: ...

    async def replies_after(
        self, sender_id: str, inbox_message_id: int | str
    ) -> list[EngineReply] | None: ...


class Outbox(Protocol):
    """Where a turn's replies go (`outbox.OutboxWorker`)."""

    async def write_and_send(self, write: Callable[[Session], bool], conversation_key: str) -> bool:
        """Run `write` (it enqueues the conversation's replies) and send them at once."""
        ...


class Router:
    """Runs dialogue turns for the inbox's messages, `concurrency` conversations at a time."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        engine: Engine,
        *,
        concurrency: int = 16,
        platforms_without_quick_replies: Collection[str] = (),
        outbox: Outbox | None = None,
        on_ticket_message: Callable[[], None] | None = None,
        poll_interval: float = 1.0,
        backoff: Backoff = ENGINE_BACKOFF,
        lease: float = 180.0,
        release_claims_at_start: bool | None = None,
    ) -> None:
        """`platforms_without_quick_replies`: where buttons are shown as a numbered list, so a
        reply "2" or an option's title means that option (the connectors say which).

        `outbox`: the sender to hand each turn's replies to, so they go out the moment they are
        committed (the transaction that stores them claims the first); without it, they wait
        in the outbox for whoever claims them. `on_ticket_message` runs after a message went to
        a person's ticket (live consoles).
        `lease` must outlast a turn (the engine client's timeout plus two tracker reads): a
        message still processing after it is taken again. `release_claims_at_start` (default: on
        SQLite, where only one router process may run) retakes at once what the previous run
        left processing.
        """
        self.session_factory = session_factory
        self.engine = engine
        self.platforms_without_quick_replies = frozenset(platforms_without_quick_replies)
        self.outbox = outbox
        self.on_ticket_message = on_ticket_message
        self.backoff = backoff
        self.lease = lease
        if release_claims_at_start is None:
            bind = session_factory.kw.get("bind")
            release_claims_at_start = bind is not None and bind.dialect.name == "sqlite"
        self.release_claims_at_start = release_claims_at_start
        # No slot free: only store, and tell the loop.
        self._accept_only = acceptor(session_factory, on_new=self.notify)
        self._loop = ClaimLoop(
            "router",
            lambda limit: inbox_queue.claim_due(self.session_factory, limit, self.lease),
            self._handle,
            concurrency=concurrency,
            poll_interval=poll_interval,
        )

    async def start(self) -> None:
        """Start taking messages (from the running event loop)."""
        if self.release_claims_at_start:
            released = await asyncio.to_thread(inbox_queue.release_claims, self.session_factory)
            if released:
                log.warning(
                    "router: %d messages left processing by the last run are retaken", released
                )
        self._loop.start()

    def notify(self) -> None:
        """New messages were accepted: look now rather than at the next poll."""
        self._loop.notify()

    async def accept(self, messages: Sequence[InboundMessage]) -> AcceptResult:
        """Store `messages` in the inbox (committed when this returns: the connectors' `accept`)
        and, with a slot free, take the first due one in the same transaction: its turn starts
        the moment that commits. The others are left to the loop, which is told.
        """
        reservation = self._loop.reserve()
        if reservation is None:
            return await self._accept_only(messages)
        work = asyncio.ensure_future(on_claims_thread(self._accept_and_take, messages))
        # Started when the transaction is over, whatever happens to our caller meanwhile.
        work.add_done_callback(lambda done: reservation.start(_taken(done)))
        result, taken = await asyncio.shield(work)
        if result.new > (taken is not None):
            self.notify()
        return result

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking messages; give turns in flight `grace` s to finish."""
        await self._loop.stop(grace)

    def _accept_and_take(
        self, messages: Sequence[InboundMessage]
    ) -> tuple[AcceptResult, Turn | None]:
        keys = {message.conversation_key for message in messages}
        try:
            with self.session_factory.begin() as session:
                result = accept_in(session, messages)
                if not result.new:
                    return result, None
                return result, inbox_queue.claim_first_in(session, self.lease, keys)
        except IntegrityError:
            # Another router process claimed a message of one of these conversations between
            # our read and our write; the whole transaction was undone: store them alone.
            log.info("router: claim raced with another router; accepting without it")
            return accept(self.session_factory, messages), None

    async def _handle(self, turn: Turn) -> None:
        # Every log line of this turn, ours and the libraries', names its conversation.
        with bound_contextvars(conversation=turn.conversation_key):
            await self._handle_turn(turn)

    async def _handle_turn(self, turn: Turn) -> None:
        try:
            # A person holds the conversation: the message is theirs, the bot says nothing.
            # (Checked again in the transaction that gives it to the ticket: if the ticket ended
            # since the claim, the bot answers after all.)
            if turn.held and await self._give_to_ticket(turn):
                return
            replies = await self._replies(turn)
        except (EngineUnavailable, OperationalError) as error:
            delay = self.backoff.delay(turn.attempt)
            log.warning(
                "router: message %d of %s waits %.1f s (try %d): %s",
                turn.inbox_id,
                turn.conversation_key,
                delay,
                turn.attempt,
                error,
            )
            await asyncio.to_thread(
                inbox_queue.postpone, self.session_factory, turn, delay, str(error)
            )
            return
        except Exception as error:
            log.exception("router: message %d could not be processed", turn.inbox_id)
            if await asyncio.to_thread(
                inbox_queue.mark_failed,
                self.session_factory,
                turn,
                f"{type(error).__name__}: {error}",
            ):
                self.notify()  # the conversation goes on: its next message is due
            return
        await self._finish(turn, [self._outbound(turn, reply) for reply in replies])

    async def _give_to_ticket(self, turn: Turn) -> bool:
        ticket_id = await asyncio.to_thread(inbox_queue.give_to_ticket, self.session_factory, turn)
        if ticket_id is None:
            return False
        log.info("router: message %d went to ticket %d", turn.inbox_id, ticket_id)
        if self.on_ticket_message is not None:
            self.on_ticket_message()
        self.notify()  # the conversation's next message, if any, is due now
        return True

    async def _finish(self, turn: Turn, outgoing: list[OutboundMessage]) -> None:
        next_waiting: list[bool] = []

        def write(session: Session) -> bool:
            if not inbox_queue.finish_turn_in(session, turn, outgoing):
                return False
            # A message of the conversation that came during the turn is due now: the loop is
            # told, rather than looking for one after every turn (a claim of everything due
            # that would compete with the sending of this turn's replies).
            next_waiting.append(inbox_queue.has_waiting(session, turn.conversation_key))
            return True

        if outgoing and self.outbox is not None:
            ours = await self.outbox.write_and_send(write, turn.conversation_key)
        else:
            ours = await asyncio.to_thread(self._in_transaction, write)
        if not ours:
            log.warning("router: message %d was taken over by another worker", turn.inbox_id)
        elif any(next_waiting):
            self.notify()

    def _in_transaction(self, write: Callable[[Session], bool]) -> bool:
        with self.session_factory.begin() as session:
            return write(session)

    async def _replies(self, turn: Turn) -> list[EngineReply]:
        if turn.attempt > 1:
            # Tried before: the engine may have finished that turn (a crash after it answered,
            # or a timeout on our side). Its tracker says; never run a turn twice.
            handled = await self.engine.replies_after(turn.conversation_key, turn.inbox_id)
            if handled is not None:
                log.info("router: message %d was already answered; enqueueing that", turn.inbox_id)
                return handled
        text = engine_text(turn, await self._offered_buttons(turn))
        return await self.engine.turn(turn.conversation_key, text, engine_metadata(turn))

    async def _offered_buttons(self, turn: Turn) -> tuple[Button, ...]:
        if turn.payload or turn.platform not in self.platforms_without_quick_replies:
            return ()
        return await asyncio.to_thread(self._latest_buttons, turn.conversation_key)

    def _latest_buttons(self, conversation_key: str) -> tuple[Button, ...]:
        with self.session_factory() as session:
            return latest_buttons(session, conversation_key)

    @staticmethod
    def _outbound(turn: Turn, reply: EngineReply) -> OutboundMessage:
        return OutboundMessage(
            platform=turn.platform,
            account_id=turn.account_id,
            user_id=turn.user_id,
            text=reply.text,
            buttons=reply.buttons,
            custom=reply.custom,
        )


def _taken(work: asyncio.Future[tuple[AcceptResult, Turn | None]]) -> Turn | None:
    if work.cancelled() or work.exception() is not None:
        return None
    return work.result()[1]
