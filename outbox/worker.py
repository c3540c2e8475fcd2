"""The outbox sender: delivers due replies through each platform's `PlatformSender`.

Outcomes: SENT → `sent` with the platform's message ids; RETRY → `pending` again after an
exponential back-off with jitter (never before the platform's `retry_after`); PERMANENT →
`failed`, with the error on the row (`last_error`, what staff see) and in the log.

At least once, not exactly once: a crash after the platform accepted a reply and before we
recorded it leaves the row `sending`; when its lease runs out it is sent again. The window is
the time between the platform's answer and one UPDATE, which follows it immediately.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from structlog.contextvars import bound_contextvars

from outbox import queue
from outbox.backoff import Backoff
from outbox.claim_loop import ClaimLoop, on_claims_thread
from outbox.messages import PlatformSender, SendOutcome, SendResult
from outbox.queue import Delivery, NextReply, Recorded

log = logging.getLogger(__name__)

# X rate-limit windows are 15 minutes: retries may wait that long, no longer.
SEND_BACKOFF = Backoff(base=2.0, cap=900.0)


class OutboxWorker:
    """Sends the outbox's due replies, `concurrency` conversations at a time.

    `senders` maps a platform name to its sender; the mapping is read at every claim, so the
    gateway may fill it after creating the worker. Rows of platforms without a sender wait.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        senders: Mapping[str, PlatformSender],
        *,
        concurrency: int = 16,
        poll_interval: float = 1.0,
        backoff: Backoff = SEND_BACKOFF,
        max_attempts: int | None = None,
        send_timeout: float = 60.0,
        lease: float = 180.0,
        release_claims_at_start: bool | None = None,
        on_result: Callable[[Delivery, SendResult], None] | None = None,
    ) -> None:
        """`max_attempts`: give up (failed) after that many RETRY outcomes; None: never.

        `on_result` is told every send's outcome (the gateway's metrics).

        `lease` must outlast `send_timeout`: a row still `sending` after its lease is sent
        again. `release_claims_at_start` (default: on SQLite, where only one sender process may
        run) resends at once what the previous run left `sending`.
        """
        if lease <= send_timeout:
            raise ValueError("lease must be longer than send_timeout")
        self.session_factory = session_factory
        self.senders = senders
        self.on_result = on_result
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.send_timeout = send_timeout
        self.lease = lease
        if release_claims_at_start is None:
            release_claims_at_start = _is_sqlite(session_factory)
        self.release_claims_at_start = release_claims_at_start
        self._loop = ClaimLoop(
            "outbox",
            self._claim,
            self._deliver,
            concurrency=concurrency,
            poll_interval=poll_interval,
        )

    async def start(self) -> None:
        """Start sending (from the running event loop)."""
        if self.release_claims_at_start:
            released = await asyncio.to_thread(queue.release_claims, self.session_factory)
            if released:
                log.warning("outbox: %d replies left sending by the last run are resent", released)
        self._loop.start()

    def notify(self) -> None:
        """New replies were enqueued: look now rather than at the next poll."""
        self._loop.notify()

    async def write_and_send(self, write: Callable[[Session], bool], conversation_key: str) -> bool:
        """Run `write(session)`, which enqueues replies of `conversation_key` (False: it wrote
        nothing), in a transaction that also claims the conversation's first due reply; once
        it commits, send that reply and the ones after it at once. Returns what `write` did.

        For the router: a turn's replies go out without waiting for the claim loop, and without
        a write of their own before the first. They are claimed under the same rules as the
        loop's claims (one reply sending per conversation, oldest first, with a lease), so the
        loop and other processes may take part of them and nothing goes out twice. A reply to
        retry waits for the loop, due after its back-off. With every slot busy, `write` runs
        alone and the loop is told.
        """
        reservation = self._loop.reserve()
        if reservation is None:
            written = await asyncio.to_thread(self._write, write)
            if written:
                self.notify()
            return written
        work = asyncio.ensure_future(
            on_claims_thread(self._write_and_claim, write, conversation_key)
        )
        # Started when the transaction is over, whatever happens to our caller meanwhile: a
        # reply it claimed goes out even if the router is stopped while it commits.
        work.add_done_callback(lambda done: reservation.start(_claimed(done)))
        written, _ = await asyncio.shield(work)
        return written

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming; give sends in flight `grace` s to finish."""
        await self._loop.stop(grace)

    def _claim(self, limit: int) -> list[Delivery]:
        return queue.claim_due(self.session_factory, list(self.senders), limit, self.lease)

    def _write(self, write: Callable[[Session], bool]) -> bool:
        with self.session_factory.begin() as session:
            return write(session)

    def _write_and_claim(
        self, write: Callable[[Session], bool], conversation_key: str
    ) -> tuple[bool, Delivery | None]:
        next_reply = NextReply(list(self.senders), self.lease)
        try:
            with self.session_factory.begin() as session:
                if not write(session):
                    return False, None
                return True, queue.claim_next_in(session, next_reply, conversation_key)
        except IntegrityError:
            # Another process claimed one of the conversation's replies between our read and our
            # write, and goes on with the conversation; the whole transaction was undone.
            log.info("outbox: claim raced with another sender; writing without it")
            return self._write(write), None

    async def _deliver(self, delivery: Delivery) -> Delivery | None:
        """Send one reply and record the outcome; the conversation's next reply, if that write
        claimed it."""
        with bound_contextvars(conversation=delivery.message.conversation_key):
            result = await self._send(delivery)
            if self.on_result is not None:
                self.on_result(delivery, result)
            record = self._recording(delivery, result)
            # Going on with the conversation is a claim: none once stopping.
            following = None if self._loop.stopping else NextReply(list(self.senders), self.lease)
            recorded = await on_claims_thread(record, following)
        if not recorded.ours:
            log.warning(
                "outbox: reply %d was taken over by another worker (lease of %.0f s ran out)",
                delivery.outbox_id,
                self.lease,
            )
        return recorded.following

    def _recording(
        self, delivery: Delivery, result: SendResult
    ) -> Callable[[NextReply | None], Recorded]:
        """The write that records `result` (logged here), as a call taking the `NextReply`."""
        ids = list(result.platform_message_ids)
        if result.outcome is SendOutcome.SENT:
            return functools.partial(queue.mark_sent, self.session_factory, delivery, ids)
        if result.outcome is SendOutcome.RETRY and not self._out_of_attempts(delivery):
            delay = self.backoff.delay(delivery.attempt, result.retry_after)
            error = result.error or "the platform asked us to try again later"
            log.info(
                "outbox: reply %d (try %d) not sent, retrying in %.1f s: %s",
                delivery.outbox_id,
                delivery.attempt,
                delay,
                error,
            )
            return functools.partial(
                queue.retry_later, self.session_factory, delivery, delay, error, ids
            )
        error = result.error or "the platform refused the reply"
        if result.outcome is SendOutcome.RETRY:
            error = f"gave up after {delivery.attempt} tries: {error}"
        log.warning(
            "outbox: reply %d to %s could not be delivered: %s",
            delivery.outbox_id,
            delivery.message.conversation_key,
            error,
        )
        return functools.partial(queue.mark_failed, self.session_factory, delivery, error, ids)

    async def _send(self, delivery: Delivery) -> SendResult:
        sender = self.senders.get(delivery.message.platform)
        if sender is None:  # removed from the registry after the claim
            return SendResult(SendOutcome.RETRY, error="no sender for this platform")
        try:
            return await asyncio.wait_for(sender.send(delivery.message), self.send_timeout)
        except TimeoutError:
            return SendResult(SendOutcome.RETRY, error=f"no answer in {self.send_timeout:.0f} s")
        except Exception as error:
            # A connector should turn failures into results; one that raises is retried rather
            # than losing the reply, and the traceback goes to the log.
            log.exception("outbox: sender for %s raised", delivery.message.platform)
            return SendResult(SendOutcome.RETRY, error=f"{type(error).__name__}: {error}")

    def _out_of_attempts(self, delivery: Delivery) -> bool:
        return self.max_attempts is not None and delivery.attempt >= self.max_attempts


def _claimed(work: asyncio.Future[tuple[bool, Delivery | None]]) -> Delivery | None:
    if work.cancelled() or work.exception() is not None:
        return None
    return work.result()[1]


def _is_sqlite(session_factory: sessionmaker[Session]) -> bool:
    bind = session_factory.kw.get("bind")
    return bind is not None and bind.dialect.name == "sqlite"
