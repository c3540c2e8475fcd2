"""The assistant end to end: REST channel → Rasa engine → action server → real database.

Each test runs twice, on an SQLite file and on PostgreSQL (skipped when unreachable). Demo codes
are listed in store/demo_data/README.md.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from sandbox.chat import Chat
from store.db import session_factory
from store.models import HandoffRequest

pytestmark = pytest.mark.engine

UPS_IN_TRANSIT = "1Z5R89390357567127"
UPS_WRONG_CHECK_DIGIT = "1Z5R89390357567128"
# A valid UPS number (courier test data) that is not in the demo store.
UPS_NOT_IN_STORE = "1Z999AA10123456784"


def handoffs_for(database_url: str, chat: Chat) -> list[HandoffRequest]:
    with session_factory(database_url)() as session:
        query = sa.select(HandoffRequest).where(HandoffRequest.conversation_id == chat.sender)
        return list(session.scalars(query))


def only_handoff(database_url: str, chat: Chat) -> HandoffRequest:
    found = handoffs_for(database_url, chat)
    assert len(found) == 1, f"expected one handoff request, found {len(found)}"
    return found[0]


def events_named(chat: Chat, name: str) -> list[dict[str, Any]]:
    return [e for e in chat.tracker()["events"] if e["event"] == name]


def test_greeting_says_it_is_automated_and_shows_the_menu(chat: Chat) -> None:
    messages = chat.send("hi there")
    assert "automated assistant" in messages[0]["text"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Track a parcel" in titles and "Talk to a person" in titles
    assert all(len(t) <= 20 for t in titles)  # Messenger's quick-reply title limit


def test_tracks_a_demo_parcel_by_a_valid_ups_number(chat: Chat) -> None:
    reply = chat.say(f"hey where is my parcel {UPS_IN_TRANSIT} ??")
    assert "UPS" in reply and UPS_IN_TRANSIT in reply
    assert "on its way" in reply
    assert "Expected delivery" in reply and "Latest update" in reply


def test_asks_for_the_code_when_the_first_message_has_none(chat: Chat) -> None:
    asked = chat.say("where is my package??")
    assert "tracking number" in asked
    reply = chat.say(UPS_IN_TRANSIT.lower()[:9] + " " + UPS_IN_TRANSIT.lower()[9:])
    assert "on its way" in reply


def test_wrong_check_digit_names_the_courier_then_hands_off_after_two_reasks(
    chat: Chat, assistant_database: str
) -> None:
    first = chat.say(f"tracking {UPS_WRONG_CHECK_DIGIT}")
    assert "UPS" in first and "last digit doesn't match" in first
    second = chat.say(UPS_WRONG_CHECK_DIGIT)
    assert "last digit doesn't match" in second
    assert not handoffs_for(assistant_database, chat)
    third = chat.say(UPS_WRONG_CHECK_DIGIT)
    assert "passing you to a person" in third
    handoff = only_handoff(assistant_database, chat)
    assert handoff.reason == "invalid_code"
    # Asked three times for one code: the person taking over sees it once, with its problem.
    assert [c["problem"] for c in handoff.context["codes"]] == ["check_digit"]
    assert events_named(chat, "pause")


def test_order_status_from_an_order_code_in_the_first_message(chat: Chat) -> None:
    reply = chat.say("hi what's the status of my order #12345 pls")
    assert "#12345" in reply and "paid" in reply


def test_faq_is_answered_from_the_knowledge_base(chat: Chat) -> None:
    reply = chat.say("how much does shipping cost?")
    assert "€" in reply or "free" in reply.lower()
    assert "person" not in reply.lower()  # answered, not deflected


def test_asking_for_a_person_stores_a_handoff_with_context_and_pauses_the_bot(
    chat: Chat, assistant_database: str
) -> None:
    chat.say(f"where is {UPS_IN_TRANSIT}")
    reply = chat.say("i want to talk to a real person")
    assert "passing you to a person" in reply
    handoff = only_handoff(assistant_database, chat)
    assert handoff.reason == "customer_request"
    assert handoff.platform == "messenger" and handoff.customer_name == "Giulia Rossi"
    assert handoff.context["intents"][-1] == "human_handoff"
    assert "track_parcel" in handoff.context["intents"]
    [code] = handoff.context["codes"]
    assert code["normalized"] == UPS_IN_TRANSIT and code["courier"] == "UPS"
    assert code["lookup"]["found"] and code["lookup"]["status"] == "in_transit"
    said = [line["text"] for line in handoff.context["transcript"]]
    assert "i want to talk to a real person" in said
    assert any("on its way" in text for text in said)
    # The desk's ticket: a plain request ranks normal, with its SLA clock running.
    assert handoff.status == "open" and handoff.priority == "normal"
    assert handoff.sla_due_at is not None and handoff.sla_due_at > handoff.created_at
    # The bot stays silent from now on: a person owns the conversation.
    assert chat.send("hello?") == []


def test_unknown_code_hands_off_with_what_the_lookup_found(
    chat: Chat, assistant_database: str
) -> None:
    reply = chat.say(f"where is my parcel {UPS_NOT_IN_STORE}")
    assert "couldn't find" in reply and "passing you to a person" in reply
    handoff = only_handoff(assistant_database, chat)
    assert handoff.reason == "unknown_code"
    assert handoff.context["codes"][-1]["lookup"] == {"found": False, "summary": "not found"}


def test_delivery_problem_answers_the_status_and_hands_off(
    chat: Chat, assistant_database: str
) -> None:
    reply = chat.say(f"my parcel {UPS_IN_TRANSIT} arrived completely damaged")
    assert "passing you to a person" in reply
    handoff = only_handoff(assistant_database, chat)
    assert handoff.reason == "delivery_problem"
    assert handoff.context["codes"][-1]["lookup"]["found"] is True
    assert handoff.priority == "high" and handoff.priority_signals == ["lost or damaged parcel"]


def test_complaint_goes_to_a_person_with_an_apology(chat: Chat, assistant_database: str) -> None:
    reply = chat.say("this is the worst customer service ever, absolutely unacceptable")
    assert "sorry" in reply.lower() and "passing you to a person" in reply
    handoff = only_handoff(assistant_database, chat)
    assert handoff.reason == "complaint"
    # A complaint in angry words goes to the top of the queue.
    assert handoff.priority == "urgent"
    assert handoff.priority_signals == ["complaint", "angry wording"]


def test_two_unclear_messages_in_a_row_bring_in_a_person(
    chat: Chat, assistant_database: str
) -> None:
    # "/nlu_fallback" is what the engine records for a message it is unsure of.
    first = chat.send("/nlu_fallback")
    assert "not sure I understood" in first[0]["text"] and first[0]["buttons"]  # the menu
    assert "passing you to a person" in chat.say("/nlu_fallback")
    assert only_handoff(assistant_database, chat).reason == "repeated_misunderstanding"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", "empty"),
        ("😀😀😀", "emojis"),
        ("🙏 🙏", "emojis"),
        ("Buongiorno, il mio pacco non è ancora arrivato e vorrei sapere dove si trova", "English"),
        # A clear request buried in 5,000 characters is still answered as that request.
        ("my parcel is late and i am waiting at home. " * 114, "tracking number"),
        ("blah " * 1000, "long message"),
    ],
    ids=["empty", "emoji-only", "emoji-with-spaces", "italian", "5000-chars-request", "5000-chars"],
)
def test_bad_input_gets_a_clear_reply(chat: Chat, message: str, expected: str) -> None:
    reply = chat.say(message)
    assert expected in reply
    assert "something went wrong" not in reply


def test_out_of_scope_is_declined_with_the_menu(chat: Chat) -> None:
    messages = chat.send("what's the weather like in paris tomorrow")
    assert "orders and deliveries" in messages[0]["text"]
    assert messages[0]["buttons"]


def test_another_question_while_asked_for_a_code_is_answered_then_the_form_asks_again(
    chat: Chat, assistant_database: str
) -> None:
    assert "tracking number" in chat.say("where's my parcel")
    reply = chat.say("how much does shipping cost?")
    assert "can't recognise" not in reply and "€" in reply
    assert "tracking number" in reply  # and the form asks again
    assert "on its way" in chat.say(UPS_IN_TRANSIT)
    assert not handoffs_for(assistant_database, chat)
