"""What the assistant guarantees real customers, whatever its classifier makes of their words.

Through the live engine (REST channel → Rasa → action server → real database), on SQLite and on
PostgreSQL. The messages are written the way customers write to a brand on social media. Demo
codes: store/demo_data/README.md.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.chat import Chat
from sandbox.stack import Service
from tests.engine.test_assistant_flows import handoffs_for, only_handoff

pytestmark = pytest.mark.engine

UPS_IN_TRANSIT = "1Z5R89390357567127"  # order 112-1234567-1234567, in transit
UPS_EXCEPTION = "1Z879E930346834440"  # ORD-9C4N7R: delivery attempted, no one home
USPS_DELIVERED = "9400111206206406260787"  # ORD-7F3K9Q: delivered two days ago
ORDER_PAID = "#12345"  # paid, not shipped yet
ORDER_SHIPPED = "112-1234567-1234567"
SENT_AWAY = "only able to help with your orders and deliveries"


def parse(engine: Service, text: str) -> dict[str, Any]:
    reply = requests.post(f"{engine.url}/model/parse", json={"text": text}, timeout=30)
    reply.raise_for_status()
    answer: dict[str, Any] = reply.json()
    return answer


def codes_found(engine: Service, text: str) -> list[tuple[str, str]]:
    return [(e["entity"], e["value"]) for e in parse(engine, text)["entities"]]


def bot_responses(chat: Chat) -> list[str]:
    """The domain responses the bot used, oldest first."""
    return [
        (e.get("metadata") or {}).get("utter_action", "")
        for e in chat.tracker()["events"]
        if e["event"] == "bot"
    ]


# --- a code is never declined or ignored ---------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        f"thanks!! {UPS_IN_TRANSIT}",
        f"lol my smart speaker is broken again, anyway {UPS_IN_TRANSIT}",
        f"hello @ShopHelp {UPS_IN_TRANSIT}",
        f"{UPS_IN_TRANSIT} ???",
    ],
    ids=["with-thanks", "with-off-topic-words", "with-greeting", "code-alone"],
)
def test_a_message_with_a_tracking_number_gets_the_lookup(chat: Chat, message: str) -> None:
    reply = chat.say(message)
    assert UPS_IN_TRANSIT in reply and "on its way" in reply
    assert SENT_AWAY not in reply


def test_a_complaint_naming_its_order_gets_the_lookup_and_a_person_with_the_code_in_the_ticket(
    chat: Chat, assistant_database: str
) -> None:
    reply = chat.say(
        f"honestly the WORST service, order {ORDER_PAID} and nobody has replied to my emails in "
        "a week, absolutely useless"
    )
    assert "paid" in reply  # what the store knows about the order
    assert "passing you to a person" in reply
    handoff = only_handoff(assistant_database, chat)
    [code] = handoff.context["codes"]
    assert code["normalized"] == ORDER_PAID and code["kind"] == "order_code"
    assert code["lookup"]["found"] and code["lookup"]["status"] == "paid"
    assert ORDER_PAID in handoff.summary


def test_a_late_parcel_with_its_number_gets_the_lookup_and_a_person_with_both_in_the_ticket(
    chat: Chat, assistant_database: str
) -> None:
    reply = chat.say(
        f"my parcel {UPS_EXCEPTION} was supposed to come yesterday and it STILL isnt here, "
        "this is the 2nd time!!"
    )
    assert UPS_EXCEPTION in reply and "passing you to a person" in reply
    handoff = only_handoff(assistant_database, chat)
    assert handoff.reason == "delivery_problem"
    [code] = handoff.context["codes"]
    assert code["normalized"] == UPS_EXCEPTION and code["lookup"]["status"] == "exception"


# --- "I can't help with that" only for messages about other things --------------------------


def test_a_calm_question_about_something_else_is_declined(chat: Chat) -> None:
    assert SENT_AWAY in chat.say("what's the capital of australia?")


def test_an_angry_customer_is_never_sent_away(chat: Chat) -> None:
    reply = chat.say("my music app keeps crashing every time i open it, this is ridiculous!!!")
    assert SENT_AWAY not in reply
    assert "person" in reply  # handed to a person, or offered one


def test_a_customer_with_a_problem_is_never_sent_away(chat: Chat) -> None:
    reply = chat.say("been waiting 3 days for someone to help me and still nothing")
    assert SENT_AWAY not in reply
    assert "person" in reply or "tracking number" in reply


def test_a_customer_writing_again_is_never_sent_away(chat: Chat) -> None:
    chat.say("hi")
    reply = chat.say("what's the capital of australia?")
    assert SENT_AWAY not in reply
    assert "person" in reply


def test_an_angry_customer_reaches_a_person_at_once_or_with_one_yes(
    chat: Chat, assistant_database: str
) -> None:
    first = chat.say("my music app keeps crashing every time i open it, this is ridiculous!!!")
    if "passing you to a person" not in first:
        assert "passing you to a person" in chat.say("yes please")
    assert only_handoff(assistant_database, chat)


# --- every code anywhere in the conversation is in the ticket --------------------------------


def test_every_code_the_customer_gives_is_validated_looked_up_and_in_the_ticket(
    chat: Chat, assistant_database: str
) -> None:
    chat.say("hiya")
    chat.say(f"order {ORDER_PAID} still hasn't shipped?")
    chat.say(f"oh and where is {USPS_DELIVERED}")
    chat.say("1Z5R89390357567128 is another one")  # UPS shape, wrong check digit
    chat.say("can i talk to a real person please")
    handoff = only_handoff(assistant_database, chat)
    codes = {c["normalized"] or c["code"]: c for c in handoff.context["codes"]}
    assert codes[ORDER_PAID]["lookup"]["status"] == "paid"
    assert codes[USPS_DELIVERED]["lookup"]["status"] == "delivered"
    assert codes["1Z5R89390357567128"]["valid"] is False
    assert codes["1Z5R89390357567128"]["problem"] == "check_digit"


# --- several requests: the actionable one wins -----------------------------------------------


def test_the_problem_wins_over_hi_and_thanks(chat: Chat) -> None:
    reply = chat.say("hi there, thanks for the help last time! but my parcel never arrived :(")
    assert "automated assistant" not in reply and "You're welcome" not in reply
    assert "tracking number" in reply or "passing you to a person" in reply


# --- a short reply is read as the answer to the bot's question --------------------------------


def test_done_after_being_asked_for_the_code_is_read_as_the_answer(chat: Chat) -> None:
    assert "tracking number" in chat.say("where is my package")
    reply = chat.say(f"done, sent it: {UPS_IN_TRANSIT}")
    assert "on its way" in reply


def test_a_problem_told_after_a_lookup_is_about_that_parcel(
    chat: Chat, assistant_database: str
) -> None:
    assert "delivered" in chat.say(f"where is {USPS_DELIVERED}")
    reply = chat.say("i did check with the neighbours, it's not there. it never arrived")
    assert "passing you to a person" in reply
    handoff = only_handoff(assistant_database, chat)
    assert handoff.reason == "delivery_problem"
    assert [c["normalized"] for c in handoff.context["codes"]] == [USPS_DELIVERED]
    asked = [name for name in bot_responses(chat) if name.startswith("utter_ask_parcel_code")]
    assert asked == []  # the code given before is the one: never asked for again


# --- a message that needs a person reaches one within two turns --------------------------------


def test_a_delivery_problem_without_a_code_reaches_a_person_on_the_second_turn(
    chat: Chat, assistant_database: str
) -> None:
    assert "tracking number" in chat.say("my parcel arrived smashed to pieces")
    reply = chat.say("i dont have it, the email is gone. just sort it out!!")
    assert "passing you to a person" in reply
    assert only_handoff(assistant_database, chat).reason == "delivery_problem"


def test_a_refund_request_reaches_a_person_with_one_yes(
    chat: Chat, assistant_database: str
) -> None:
    first = chat.say("i was charged twice for my order and i want my money back")
    assert "person" in first
    assert "passing you to a person" in chat.say("yes")
    assert handoffs_for(assistant_database, chat)


# --- codes in real text --------------------------------------------------------------------


def test_an_s10_number_written_in_groups_is_found_whole(engine: Service) -> None:
    found = codes_found(engine, "trk no LX 687 496 511 IT can u check pls")
    assert found == [("tracking_number", "LX 687 496 511 IT")]


@pytest.mark.parametrize(
    "message",
    [
        "call me on 9140560819 about my delivery",
        "my mobile no is 07700 900123, nobody rang",
        "I paid 1299.00 for it and 49.99 shipping",
        "@115850 @115821 where is my stuff",
        "case id 4077348942 still not resolved",
    ],
    ids=["indian-mobile", "uk-mobile", "prices", "mentions", "case-id"],
)
def test_phone_numbers_prices_and_case_ids_are_not_tracking_numbers(
    engine: Service, message: str
) -> None:
    assert codes_found(engine, message) == []


def test_a_code_the_customer_names_is_taken_whatever_its_shape(engine: Service) -> None:
    found = codes_found(engine, "Order no: 7206731 is not delivered, tracking id Q22645230353")
    assert found == [("order_code", "7206731"), ("tracking_number", "Q22645230353")]
