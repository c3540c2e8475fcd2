"""Tickets: the queue's order, claiming, replies, notes, the transcript, ending — on both
databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk import tickets
from desk.tickets import DeskError, TicketConflict, TicketNotFound
from inbox import accept
from outbox.messages import OutboundMessage
from store.models import (
    Agent,
    AgentRole,
    HandoffRequest,
    HandoffStatus,
    OutboxMessage,
    OutboxStatus,
    Priority,
    Resolution,
)
from tests.desk.core.conftest import AddTicket
from tests.inbox.database import customer_message

WEEK = timedelta(days=7)


def test_the_queue_puts_priority_first_then_the_earliest_sla(
    sessions: sessionmaker[Session], add_ticket: AddTicket
) -> None:
    normal_soon = add_ticket(priority=Priority.NORMAL, sla_in=timedelta(minutes=5))
    urgent_late = add_ticket(priority=Priority.URGENT, sla_in=timedelta(minutes=50))
    urgent_soon = add_ticket(priority=Priority.URGENT, sla_in=timedelta(minutes=10))
    high = add_ticket(priority=Priority.HIGH, sla_in=timedelta(minutes=1))

    with sessions() as session:
        order = [t.id for t in tickets.queue(session)]
    assert order == [urgent_soon, urgent_late, high, normal_soon]


def test_closed_tickets_leave_the_queue(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent("alice")
    stays, leaves = add_ticket(), add_ticket()
    with sessions.begin() as session:
        tickets.end(session, leaves, agent, Resolution.CLOSED)
    with sessions() as session:
        assert [t.id for t in tickets.queue(session)] == [stays]
        assert {t.id for t in tickets.queue(session, include_closed=True)} == {stays, leaves}
        assert tickets.queue_counts(session) == {"open": 1, "claimed": 0}


def test_two_agents_claiming_at_once_exactly_one_wins(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    ticket = add_ticket()
    agents = [make_agent("alice"), make_agent("bob")]
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(agent: Agent) -> None:
        start.wait()
        try:
            with sessions.begin() as session:
                tickets.claim(session, ticket, agent.id)
            outcomes[agent.username] = "won"
        except TicketConflict as error:
            outcomes[agent.username] = str(error)

    threads = [threading.Thread(target=claim, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [name for name, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1
    loser = ({"alice", "bob"} - set(winners)).pop()
    assert outcomes[loser] == f"Ticket {ticket} is already taken by {winners[0].title()}."
    with sessions() as session:
        row = session.get(HandoffRequest, ticket)
        assert row is not None and row.status is HandoffStatus.CLAIMED
        assert row.assignee_id == next(a.id for a in agents if a.username == winners[0])


def test_claiming_your_own_ticket_again_is_harmless(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    ticket, alice = add_ticket(), make_agent("alice")
    for _ in range(2):
        with sessions.begin() as session:
            tickets.claim(session, ticket, alice.id)
    with pytest.raises(TicketNotFound), sessions.begin() as session:
        tickets.claim(session, 999_999, alice.id)


def test_a_reply_goes_to_the_outbox_as_a_persons_message_and_claims_the_ticket(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    ticket, alice = add_ticket(user="c1"), make_agent("alice")

    with sessions.begin() as session:
        outbox_id = tickets.reply(session, ticket, alice, "  Hi, I'm Alice.  ", reply_window=WEEK)

    with sessions() as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        assert (row.platform, row.account_id, row.user_id) == ("messenger", "page-1", "c1")
        assert (row.text, row.from_person, row.agent_id) == ("Hi, I'm Alice.", True, alice.id)
        assert row.handoff_request_id == ticket and row.status is OutboxStatus.PENDING
        handoff = session.get(HandoffRequest, ticket)
        assert handoff is not None and handoff.status is HandoffStatus.CLAIMED
        assert handoff.assignee_id == alice.id and handoff.first_response_at is not None


def test_a_reply_is_refused_when_another_agent_has_the_ticket(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    ticket, alice, bob = add_ticket(), make_agent("alice"), make_agent("bob")
    with sessions.begin() as session:
        tickets.claim(session, ticket, alice.id)

    with pytest.raises(TicketConflict, match="already taken by Alice"), sessions.begin() as session:
        tickets.reply(session, ticket, bob, "Hello", reply_window=WEEK)

    admin = make_agent("carol", AgentRole.ADMIN)
    with sessions.begin() as session:  # an admin may step in
        tickets.reply(session, ticket, admin, "Hello from Carol", reply_window=WEEK)
    with sessions() as session:
        assert [r.text for r in session.scalars(select(OutboxMessage))] == ["Hello from Carol"]


def test_past_the_platforms_window_a_reply_is_refused_with_the_reason_and_nothing_is_stored(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    eight_days_ago = datetime.now(UTC) - timedelta(days=8)
    ticket, alice = add_ticket(created_at=eight_days_ago), make_agent("alice")

    with pytest.raises(DeskError) as refused, sessions.begin() as session:
        tickets.reply(session, ticket, alice, "Sorry for the wait", reply_window=WEEK)

    assert str(refused.value) == (
        "Messenger lets a person reply only within 7 days of the customer's last message, and "
        "theirs was 8 days ago. Reach them another way (the order's e-mail), or close the ticket."
    )
    with sessions() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
    with sessions.begin() as session:  # a platform without a window (X) takes it
        tickets.reply(session, ticket, alice, "Sorry for the wait", reply_window=None)


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "The reply is empty."), ("x" * 5001, "The reply is 5,001 characters; the limit")],
)
def test_empty_or_huge_replies_are_refused(
    sessions: sessionmaker[Session],
    add_ticket: AddTicket,
    make_agent: Callable[..., Agent],
    text: str,
    message: str,
) -> None:
    ticket, alice = add_ticket(), make_agent("alice")
    with pytest.raises(DeskError, match=message), sessions.begin() as session:
        tickets.reply(session, ticket, alice, text, reply_window=WEEK)


def test_a_customer_message_goes_to_the_open_ticket_and_not_after_it_is_closed(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    ticket, alice = add_ticket(user="c1"), make_agent("alice")
    later = datetime.now(UTC) + timedelta(minutes=3)

    with sessions.begin() as session:
        assert tickets.take_customer_message(session, "messenger:page-1:c1", later) == ticket
        assert tickets.take_customer_message(session, "messenger:page-1:other", later) is None
    with sessions() as session:
        row = session.get(HandoffRequest, ticket)
        assert row is not None and row.last_customer_message_at == later

    with sessions.begin() as session:
        tickets.end(session, ticket, alice, Resolution.RETURNED_TO_BOT)
    with sessions.begin() as session:
        assert tickets.take_customer_message(session, "messenger:page-1:c1", later) is None


def test_the_transcript_is_the_bots_record_then_everything_since_in_order(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=10)
    ticket = add_ticket(
        user="c1",
        created_at=start,
        transcript=[
            {"sender": "customer", "text": "where is my parcel", "at": start.timestamp() - 60},
            {"sender": "bot", "text": "Your tracking number?", "at": start.timestamp() - 59},
            {"sender": "customer", "text": "I want a human", "at": start.timestamp() - 5},
        ],
    )
    alice = make_agent("alice")
    with sessions.begin() as session:
        from outbox.enqueue import enqueue

        enqueue(session, [OutboundMessage("messenger", "page-1", "c1", "A person will answer")])
    accept(sessions, [customer_message("hello??", user="c1")])
    with sessions.begin() as session:
        tickets.add_note(session, ticket, alice, "Checked the courier: parcel at depot.")
    with sessions.begin() as session:
        tickets.reply(session, ticket, alice, "It's at the depot.", reply_window=WEEK)

    with sessions() as session:
        detail = tickets.detail(session, ticket)
    assert [(e.kind, e.text) for e in detail.transcript] == [
        ("customer", "where is my parcel"),
        ("bot", "Your tracking number?"),
        ("customer", "I want a human"),
        ("bot", "A person will answer"),
        ("customer", "hello??"),
        ("note", "Checked the courier: parcel at depot."),
        ("agent", "It's at the depot."),
    ]
    agent_line = detail.transcript[-1]
    assert (agent_line.author, agent_line.delivery) == ("Alice", "pending")
    assert detail.as_json(datetime.now(UTC))["transcript"][-1]["author"] == "Alice"


def test_only_the_owner_or_an_admin_may_end_a_claimed_ticket(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    ticket, alice, bob = add_ticket(), make_agent("alice"), make_agent("bob")
    with sessions.begin() as session:
        tickets.claim(session, ticket, alice.id)
    with pytest.raises(TicketConflict), sessions.begin() as session:
        tickets.end(session, ticket, bob, Resolution.CLOSED)
    with sessions.begin() as session:
        tickets.end(session, ticket, alice, Resolution.CLOSED)
    with sessions() as session:
        row = session.get(HandoffRequest, ticket)
        assert row is not None and row.status is HandoffStatus.CLOSED
        assert row.resolution is Resolution.CLOSED and row.closed_at is not None
    with pytest.raises(TicketConflict, match="is closed"), sessions.begin() as session:
        tickets.reply(session, ticket, alice, "one more thing", reply_window=WEEK)


def test_the_version_moves_with_every_change(
    sessions: sessionmaker[Session], add_ticket: AddTicket, make_agent: Callable[..., Agent]
) -> None:
    seen = set()

    def version() -> str:
        with sessions() as session:
            return tickets.version(session)

    seen.add(version())
    ticket = add_ticket()
    seen.add(version())
    alice = make_agent("alice")
    with sessions.begin() as session:
        tickets.claim(session, ticket, alice.id)
    seen.add(version())
    with sessions.begin() as session:
        tickets.add_note(session, ticket, alice, "note")
    seen.add(version())
    assert len(seen) == 4
