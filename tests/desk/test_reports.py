"""The reports' figures, on rows with known times, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.orm import Session

from desk.preferences import save_business_hours
from desk.reports import Report, build_report, percentile
from desk.sla import breached
from desk.staff import create_agent
from desk.web.auth import new_secret
from gateway.app import create_app
from settings import Settings
from store.db import prepare_database, session_factory
from store.models import (
    HandoffReason,
    HandoffRequest,
    HandoffStatus,
    InboxMessage,
    InboxStatus,
    OutboxMessage,
    OutboxStatus,
)
from tests.store.conftest import backend, new_database_url

__all__ = ["backend", "new_database_url"]

D1, D2 = date(2025, 3, 10), date(2025, 3, 11)
NOW = datetime(2025, 3, 11, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def at(day: date, clock: str) -> datetime:
    """An instant in UTC: `at(D1, "09:00:00.5")`."""
    return datetime.fromisoformat(f"{day.isoformat()}T{clock}").replace(tzinfo=UTC)


@pytest.fixture
def database_url(new_database_url: Callable[[], str]) -> str:
    return new_database_url()


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = prepare_database(database_url, load_demo=False)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


class Rows:
    """Writes inbox, outbox and ticket rows with the times a test gives."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def message(self, conversation: str, received: datetime) -> int:
        platform, account, user = conversation.split(":")
        row = InboxMessage(
            platform=platform,
            account_id=account,
            user_id=user,
            platform_message_id=f"m{next(_ids)}",
            conversation_key=conversation,
            text="hello",
            attachments=[],
            sent_at=received,
            received_at=received,
            status=InboxStatus.DONE,
            attempts=1,
            next_attempt_at=received,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def reply(
        self,
        conversation: str,
        created: datetime,
        *,
        to: int | None = None,
        sent: datetime | None = None,
        status: OutboxStatus = OutboxStatus.SENT,
        position: int = 0,
    ) -> None:
        """A bot reply to inbox message `to`, or (to=None) a person's reply."""
        platform, account, user = conversation.split(":")
        self.session.add(
            OutboxMessage(
                inbox_message_id=to,
                platform=platform,
                account_id=account,
                user_id=user,
                conversation_key=conversation,
                position=position,
                text="answer",
                buttons=[],
                from_person=to is None,
                status=status,
                attempts=1,
                next_attempt_at=created,
                platform_message_ids=[],
                created_at=created,
                sent_at=sent if status is OutboxStatus.SENT else None,
            )
        )
        self.session.flush()

    def ticket(
        self,
        conversation: str,
        created: datetime,
        reason: HandoffReason,
        *,
        claimed: datetime | None = None,
        first_response: datetime | None = None,
        due: datetime | None = None,
    ) -> HandoffRequest:
        platform, _, user = conversation.split(":")
        row = HandoffRequest(
            created_at=created,
            updated_at=created,
            status=HandoffStatus.CLAIMED if claimed else HandoffStatus.OPEN,
            platform=platform,
            conversation_id=conversation,
            customer_id=user,
            reason=reason,
            summary="needs a person",
            context={},
            priority_signals=[],
            claimed_at=claimed,
            first_response_at=first_response,
            sla_due_at=due,
        )
        self.session.add(row)
        self.session.flush()
        return row


A, B, E = "messenger:page:a", "messenger:page:b", "messenger:page:e"
C, D = "x:brand:c", "x:brand:d"


@pytest.fixture
def two_days(session: Session) -> list[HandoffRequest]:
    """Two days of messages and tickets on Messenger and X, with a message either side."""
    rows = Rows(session)
    # Outside the range: the day before and the day after.
    rows.reply(
        A,
        at(D1, "00:00:01"),
        to=rows.message(A, at(date(2025, 3, 9), "23:59:59")),
        sent=at(D1, "00:00:01"),
    )
    rows.message(E, at(date(2025, 3, 12), "00:00:00"))
    # A: the bot answers at once; a failed reply is made good by the answer to the next message.
    m1 = rows.message(A, at(D1, "09:00:00"))
    rows.reply(A, at(D1, "09:00:00.2"), to=m1, sent=at(D1, "09:00:00.5"))
    rows.reply(A, at(D1, "09:00:00.2"), to=m1, sent=at(D1, "09:00:02"), position=1)
    m2 = rows.message(A, at(D1, "09:01:00"))
    rows.reply(A, at(D1, "09:01:01"), to=m2, status=OutboxStatus.FAILED)
    m3 = rows.message(A, at(D1, "09:02:00"))
    rows.reply(A, at(D1, "09:02:00.5"), to=m3, sent=at(D1, "09:02:01"))  # 1 s exactly
    # B: a complaint handed to a person, who answers late; the customer's last word unanswered.
    m4 = rows.message(B, at(D1, "10:00:00"))
    rows.reply(B, at(D1, "10:00:02"), to=m4, sent=at(D1, "10:00:10"))
    complaint = rows.ticket(
        B,
        at(D1, "10:00:01"),
        HandoffReason.COMPLAINT,
        claimed=at(D1, "10:04:00"),
        first_response=at(D1, "10:20:00"),
        due=at(D1, "10:15:00"),
    )
    rows.message(B, at(D1, "10:05:00"))
    rows.reply(B, at(D1, "10:20:00"), sent=at(D1, "10:20:01"))
    rows.message(B, at(D1, "10:30:00"))
    # C (X): a message just before midnight answered after it; next morning a handoff whose
    # acknowledgement is still pending and that nobody answers before its due time.
    m7 = rows.message(C, at(D1, "23:59:59"))
    rows.reply(C, at(D2, "00:00:30"), to=m7, sent=at(D2, "00:00:40"))
    m8 = rows.message(C, at(D2, "08:00:00"))
    rows.reply(C, at(D2, "08:00:01"), to=m8, status=OutboxStatus.PENDING)
    waiting = rows.ticket(
        C,
        at(D2, "08:00:00"),
        HandoffReason.CUSTOMER_REQUEST,
        claimed=at(D2, "08:10:00"),
        due=at(D2, "09:00:00"),
    )
    # D (X): handed off, picked up in a minute, answered within its SLA.
    rows.message(D, at(D2, "09:00:00"))
    quick = rows.ticket(
        D,
        at(D2, "09:00:00"),
        HandoffReason.CUSTOMER_REQUEST,
        claimed=at(D2, "09:01:00"),
        first_response=at(D2, "09:03:00"),
        due=at(D2, "09:30:00"),
    )
    rows.reply(D, at(D2, "09:03:00"), sent=at(D2, "09:03:02"))
    session.commit()
    return [complaint, waiting, quick]


def report(session: Session, platform: str | None = None, tz: str = "UTC") -> Report:
    return build_report(session, D1, D2, ZoneInfo(tz), platform=platform, now=NOW)


def test_inbound_messages_and_the_share_answered_per_day_and_platform(
    session: Session, two_days: list[HandoffRequest]
) -> None:
    figures = {(m.day, m.platform): (m.inbound, m.answered) for m in report(session).messages}
    assert figures == {
        (D1, "messenger"): (6, 5),  # all but the last word in B
        (D1, "x"): (1, 1),
        (D2, "x"): (2, 1),  # the pending acknowledgement does not count
    }


def test_bot_first_response_times_fall_in_their_buckets(
    session: Session, two_days: list[HandoffRequest]
) -> None:
    result = report(session)
    assert result.bot_buckets[0].label == "< 1 s"
    figures = {(d.day, d.platform): d.counts for d in result.bot_first_response}
    assert figures == {
        (D1, "messenger"): (1, 1, 1, 0, 0),  # 0.5 s (the first of two replies), 1 s, 10 s
        (D1, "x"): (0, 0, 0, 1, 0),  # 41 s, across midnight: counted on the message's day
    }


def test_human_first_response_in_minutes_buckets(
    session: Session, two_days: list[HandoffRequest]
) -> None:
    figures = {(d.day, d.platform): d.counts for d in report(session).human_first_response}
    assert figures == {
        (D1, "messenger"): (0, 0, 1, 0, 0, 0),  # 19 min 59 s
        (D2, "x"): (1, 0, 0, 0, 0, 0),  # 3 min; the unanswered ticket is not in it
    }


def test_containment_counts_conversations_without_a_ticket_that_day(
    session: Session, two_days: list[HandoffRequest]
) -> None:
    figures = {
        (c.day, c.platform): (c.conversations, c.contained) for c in report(session).containment
    }
    assert figures == {
        (D1, "messenger"): (2, 1),  # A yes, B handed off
        (D1, "x"): (1, 1),  # C's ticket came the next day
        (D2, "x"): (2, 0),
    }
    assert report(session).containment[0].share_contained == 0.5


def test_handoffs_by_reason(session: Session, two_days: list[HandoffRequest]) -> None:
    figures = {(h.day, h.platform, h.reason): h.count for h in report(session).handoffs}
    assert figures == {
        (D1, "messenger", "complaint"): 1,
        (D2, "x", "customer_request"): 2,
    }


def test_pickup_median_and_p90_per_day_per_platform_and_overall(
    session: Session, two_days: list[HandoffRequest]
) -> None:
    figures = {
        (p.day, p.platform): (p.picked_up, p.median_seconds, p.p90_seconds)
        for p in report(session).pickup
    }
    assert figures == {
        (D1, None): (1, 239.0, 239.0),
        (D1, "messenger"): (1, 239.0, 239.0),
        (D2, None): (2, 330.0, pytest.approx(546.0)),  # 60 s and 600 s
        (D2, "x"): (2, 330.0, pytest.approx(546.0)),
    }


def test_sla_breaches_agree_with_desk_sla(session: Session, two_days: list[HandoffRequest]) -> None:
    figures = {(s.day, s.platform): (s.tickets, s.breached) for s in report(session).sla}
    assert figures == {(D1, "messenger"): (1, 1), (D2, "x"): (2, 1)}
    late = [t.id for t in two_days if breached(t.sla_due_at, t.first_response_at, NOW)]
    assert late == [two_days[0].id, two_days[1].id]


def test_a_platform_filter_leaves_the_others_out(
    session: Session, two_days: list[HandoffRequest]
) -> None:
    result = report(session, platform="x")
    assert {m.platform for m in result.messages} == {"x"}
    assert {(h.day, h.count) for h in result.handoffs} == {(D2, 2)}
    assert result.containment[0].day == D1 and result.platforms == ("x",)
    assert {p.platform for p in result.pickup} == {None, "x"}
    assert result.as_json()["messages"] == [
        {"day": "2025-03-10", "platform": "x", "inbound": 1, "answered": 1, "share_answered": 1.0},
        {"day": "2025-03-11", "platform": "x", "inbound": 2, "answered": 1, "share_answered": 0.5},
    ]


def test_days_are_the_desk_time_zone_calendar_days_even_across_dst(session: Session) -> None:
    rows = Rows(session)
    rome = ZoneInfo("Europe/Rome")
    # 23:30 UTC is already the next day in Rome (UTC+1 in March, UTC+2 from the 30th).
    rows.message(A, datetime(2025, 3, 28, 23, 30, tzinfo=UTC))  # 29th 00:30 in Rome
    rows.message(A, datetime(2025, 3, 29, 22, 59, tzinfo=UTC))  # 29th 23:59
    rows.message(A, datetime(2025, 3, 30, 21, 59, tzinfo=UTC))  # 30th 23:59 (CEST): 23-hour day
    rows.message(A, datetime(2025, 3, 30, 22, 0, tzinfo=UTC))  # 31st 00:00
    rows.message(A, datetime(2025, 3, 28, 22, 59, tzinfo=UTC))  # 28th: outside
    session.commit()
    result = build_report(session, date(2025, 3, 29), date(2025, 3, 31), rome, now=NOW)
    assert [(m.day.day, m.inbound) for m in result.messages] == [(29, 2), (30, 1), (31, 1)]
    assert result.days == [date(2025, 3, 29), date(2025, 3, 30), date(2025, 3, 31)]


def test_an_empty_range_has_no_figures_and_a_long_one_is_refused(session: Session) -> None:
    result = build_report(session, D1, D1 + timedelta(days=13), ZoneInfo("UTC"), now=NOW)
    assert result.messages == () and result.pickup == () and len(result.days) == 14
    with pytest.raises(ValueError, match="at most 92 days"):
        build_report(session, D1, D1 + timedelta(days=92), ZoneInfo("UTC"), now=NOW)
    with pytest.raises(ValueError, match="before it starts"):
        build_report(session, D2, D1, ZoneInfo("UTC"), now=NOW)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)


# --- the page -------------------------------------------------------------------------------


class Tables(HTMLParser):
    """The data tables of the reports page, by chart id: rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.svgs: dict[str, int] = {}
        self._figure: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "figure":
            self._figure = found.get("id")
            assert self._figure is not None
            self.tables[self._figure] = []
        elif tag == "svg" and self._figure and found.get("role") == "img":
            self.svgs[self._figure] = self.svgs.get(self._figure, 0) + 1
        elif tag == "tr" and self._figure:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._figure:
            if self._row:
                self.tables[self._figure].append(self._row)
            self._row = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@dataclass
class Console:
    url: str
    http: aiohttp.ClientSession


@pytest.fixture
async def console(database_url: str, session: Session) -> AsyncIterator[Console]:
    """The gateway (with the desk) on the test's database, and a browser signed in as staff."""
    save_business_hours(
        session, {"timezone": "UTC", "weekly": {"monday": ["09:00-18:00"]}, "closed_dates": []}
    )
    create_agent(session, "ada", "Ada", "a long enough password")
    session.commit()
    settings = Settings(database_url=database_url, desk_secret_key=new_secret())
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    # The session cookie is for 127.0.0.1: a jar that keeps cookies of IP addresses.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        url = str(server.make_url("")).rstrip("/")
        try:
            yield Console(url, http)
        finally:
            await server.close()


async def sign_in(console: Console, username: str = "ada") -> None:
    async with console.http.post(
        f"{console.url}/desk/api/login",
        json={"username": username, "password": "a long enough password"},
    ) as response:
        assert response.status == 200, await response.text()


async def test_the_reports_page_needs_a_signed_in_member_of_staff(console: Console) -> None:
    async with console.http.get(f"{console.url}/desk/reports", allow_redirects=False) as response:
        assert response.status == 303
        assert response.headers["Location"].startswith("/desk/login?next=/desk/reports")
    async with console.http.get(f"{console.url}/desk/reports.json") as response:
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "unauthenticated"


async def test_the_reports_page_draws_every_chart_with_the_numbers_in_tables(
    console: Console, session: Session, two_days: list[HandoffRequest]
) -> None:
    await sign_in(console)
    async with console.http.get(
        f"{console.url}/desk/reports", params={"from": "2025-03-10", "to": "2025-03-11"}
    ) as response:
        assert response.status == 200
        assert "script-src" not in response.headers["Content-Security-Policy"]
        page = await response.text()
    assert "<script" not in page and " style=" not in page  # nothing the CSP would block
    tables = Tables()
    tables.feed(page)
    charts = ["inbound", "answered", "bot-first-response", "human-first-response",
              "containment", "handoffs", "pickup", "sla"]  # fmt: skip
    assert list(tables.tables) == charts
    assert all(tables.svgs[chart] == 1 for chart in charts)
    assert tables.tables["inbound"] == [
        ["10 Mar", "Messenger", "6", "5", "83%"],
        ["10 Mar", "X", "1", "1", "100%"],
        ["11 Mar", "X", "2", "1", "50%"],
    ]
    assert tables.tables["bot-first-response"] == [
        ["10 Mar", "Messenger", "1", "1", "1", "0", "0"],
        ["10 Mar", "X", "0", "0", "0", "1", "0"],
    ]
    assert tables.tables["containment"][2] == ["11 Mar", "X", "2", "0", "0%"]
    assert ["11 Mar", "X", "Customer request", "2"] in tables.tables["handoffs"]
    assert ["11 Mar", "All", "2", "5.5 min", "9.1 min"] in tables.tables["pickup"]
    assert tables.tables["sla"] == [["10 Mar", "Messenger", "1", "1"], ["11 Mar", "X", "2", "1"]]
    # The bars carry the same numbers (their tooltips), stacked by platform.
    assert "<title>10 Mar · Messenger: 6</title>" in page
    assert "<title>11 Mar · X: 50%</title>" in page
    assert 'class="json-link" href="/desk/reports.json?from=2025-03-10&amp;to=2025-03-11"' in page


async def test_the_json_report_has_the_pages_figures_and_honours_the_platform(
    console: Console, session: Session, two_days: list[HandoffRequest]
) -> None:
    await sign_in(console)
    query = {"from": "2025-03-10", "to": "2025-03-11", "platform": "x"}
    async with console.http.get(f"{console.url}/desk/reports.json", params=query) as response:
        assert response.status == 200
        figures = await response.json()
    expected = build_report(session, D1, D2, ZoneInfo("UTC"), platform="x").as_json()
    assert figures.pop("generated_at") and expected.pop("generated_at")
    # SLA breaches depend on "now" (a ticket without a reply breaches once due): both are late.
    assert figures == expected
    assert figures["handoffs"] == [
        {"day": "2025-03-11", "platform": "x", "reason": "customer_request", "count": 2}
    ]


async def test_a_bad_range_is_explained_on_the_page_and_in_json(console: Console) -> None:
    await sign_in(console)
    async with console.http.get(
        f"{console.url}/desk/reports", params={"from": "2025-03-10", "to": "yesterday"}
    ) as response:
        assert response.status == 400
        assert "to: &#39;yesterday&#39; is not a date like 2025-03-14." in await response.text()
    async with console.http.get(
        f"{console.url}/desk/reports.json", params={"platform": "telegram"}
    ) as response:
        assert response.status == 400
        assert "Unknown platform 'telegram'" in (await response.json())["error"]["message"]
    async with console.http.get(f"{console.url}/desk/reports") as response:
        page = await response.text()
        assert response.status == 200 and "No data in this range" in page


async def test_a_report_is_counted_at_most_once_a_minute_per_filter(
    console: Console, session: Session, two_days: list[HandoffRequest]
) -> None:
    await sign_in(console)
    url = f"{console.url}/desk/reports.json"
    query = {"from": "2025-03-10", "to": "2025-03-11"}

    async def inbound(params: dict[str, str]) -> tuple[str, int]:
        async with console.http.get(url, params=params) as response:
            figures = await response.json()
        return figures["generated_at"], sum(m["inbound"] for m in figures["messages"])

    first = await inbound(query)
    Rows(session).message(A, at(D1, "12:00:00"))
    session.commit()
    assert await inbound(query) == first  # the same report, a moment old
    assert (await inbound({**query, "platform": "messenger"}))[1] == 7  # another filter: fresh
