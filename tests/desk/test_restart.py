"""A restart (a new desk app on the same database) keeps the queue, who owns what, and the SLA
timers: nothing of it lives in the process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

API = "/desk/api"


def without_clock(ticket: dict[str, Any]) -> dict[str, Any]:
    """The ticket minus what moves with the wall clock alone."""
    return {key: value for key, value in ticket.items() if key != "waiting_seconds"}


async def snapshot(client: Any) -> dict[str, Any]:
    queue = await client.get(f"{API}/tickets?status=all")
    assert queue.status == 200
    details = {}
    for ticket in queue.body["tickets"]:
        answer = await client.get(f"{API}/tickets/{ticket['id']}")
        assert answer.status == 200
        details[ticket["id"]] = without_clock(answer.body)
    return {
        "queue": [without_clock(t) for t in queue.body["tickets"]],
        "open_queue": [t["id"] for t in (await client.get(f"{API}/tickets")).body["tickets"]],
        "counts": queue.body["counts"],
        "details": details,
    }


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_restart_keeps_the_queue_ownership_and_sla_timers(
    start_desk: Any, desk_data: Any
) -> None:
    now = datetime.now(UTC)
    desk_data.agent("alice")
    desk_data.agent("bob")
    overdue = desk_data.ticket(
        reason="complaint",
        priority="urgent",
        sla_due_at=now - timedelta(minutes=3),
        at=now - timedelta(minutes=20),
    )
    owned = desk_data.ticket(priority="high", sla_due_at=now + timedelta(minutes=25))
    answered = desk_data.ticket(priority="normal", sla_due_at=now + timedelta(minutes=55))
    waiting = desk_data.ticket(priority="normal", sla_due_at=now + timedelta(minutes=58))
    closed = desk_data.ticket()

    first = await start_desk()
    alice, bob = await first.client(), await first.client()
    assert (await alice.login("alice")).status == 200
    assert (await bob.login("bob")).status == 200
    assert (await alice.post(f"{API}/tickets/{owned}/claim")).status == 200
    assert (await bob.post(f"{API}/tickets/{answered}/messages", {"text": "On it"})).status == 202
    assert (
        await alice.post(f"{API}/tickets/{overdue}/notes", {"text": "Courier called"})
    ).status == 201
    assert (await bob.post(f"{API}/tickets/{closed}/close")).status == 200
    before = await snapshot(alice)
    cookies = list(alice.http.session.cookie_jar)
    await first.close()

    second = await start_desk()
    alice_again = await second.client()
    # The session lives in the (encrypted) cookie, not in the process: still signed in.
    alice_again.http.session.cookie_jar.update_cookies({c.key: c for c in cookies})
    me = await alice_again.get(f"{API}/me")
    assert me.status == 200 and me.body["agent"]["username"] == "alice"
    alice_again.csrf = me.body["csrf_token"]
    after = await snapshot(alice_again)

    assert after == before
    assert after["open_queue"] == [overdue, owned, answered, waiting]
    assert after["counts"] == {"open": 2, "claimed": 2}
    overdue_ticket = after["details"][overdue]
    assert overdue_ticket["sla_breached"] is True
    assert datetime.fromisoformat(overdue_ticket["sla_due_at"]) == now - timedelta(minutes=3)
    assert after["details"][owned]["assignee"]["name"] == "Alice"
    assert after["details"][answered]["first_response_at"] is not None
    assert after["details"][answered]["sla_breached"] is False

    # Ownership is enforced by the new process as by the old one.
    bob_again = await second.client()
    assert (await bob_again.login("bob")).status == 200
    taken = await bob_again.post(f"{API}/tickets/{owned}/claim")
    assert taken.status == 409
    assert taken.body["error"]["message"] == f"Ticket {owned} is already taken by Alice."
    assert (await bob_again.post(f"{API}/tickets/{waiting}/claim")).status == 200
