"""The actions' part of the real-customer guarantees: codes kept from any message, nobody with a
problem sent away, no guess acted on."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.parcels import ValidateParcelForm
from actions.signals import has_problem_or_anger
from actions.unclear import ActionReadMessage, ActionRespondUnclear
from tests.actions.trackers import bot_event, tracker_of, user_event

UPS_IN_TRANSIT = "1Z5R89390357567127"
USPS_DELIVERED = "9400111206206406260787"


def with_codes(text: str, intent: str, *codes: tuple[str, str]) -> dict[str, Any]:
    event = user_event(text, intent)
    event["parse_data"]["entities"] = [{"entity": kind, "value": value} for kind, value in codes]
    return event


def slots_after_reading(events: list[dict[str, Any]], slots: dict[str, Any] | None = None):
    out = ActionReadMessage().run(CollectingDispatcher(), tracker_of(events, slots), {})
    return {e["name"]: e["value"] for e in out}


def replies(events: list[dict[str, Any]], domain: dict[str, Any]) -> list[str]:
    dispatcher = CollectingDispatcher()
    ActionRespondUnclear().run(dispatcher, tracker_of(events), domain)
    return [m["response"] for m in dispatcher.messages]


@pytest.mark.usefixtures("store_database")
def test_a_code_in_a_complaint_is_checked_and_looked_up_at_once() -> None:
    event = with_codes(
        f"worst service ever, where is {UPS_IN_TRANSIT}", "complaint",
        ("tracking_number", UPS_IN_TRANSIT),
    )  # fmt: skip
    [record] = slots_after_reading([event])["code_checks"]
    assert record["normalized"] == UPS_IN_TRANSIT and record["valid"]
    assert record["lookup"]["found"] and record["lookup"]["status"] == "in_transit"


@pytest.mark.usefixtures("store_database")
def test_the_same_code_twice_is_one_record_and_new_codes_are_added() -> None:
    earlier = slots_after_reading(
        [with_codes(UPS_IN_TRANSIT, "track_parcel", ("tracking_number", UPS_IN_TRANSIT))]
    )["code_checks"]
    event = with_codes(
        f"{UPS_IN_TRANSIT} and {USPS_DELIVERED}", "out_of_scope",
        ("tracking_number", UPS_IN_TRANSIT), ("tracking_number", USPS_DELIVERED),
    )  # fmt: skip
    checks = slots_after_reading([event], {"code_checks": earlier})["code_checks"]
    assert [c["normalized"] for c in checks] == [UPS_IN_TRANSIT, USPS_DELIVERED]


@pytest.mark.usefixtures("store_database")
def test_a_parcel_problem_without_a_code_is_about_the_code_given_before() -> None:
    earlier = slots_after_reading(
        [with_codes(USPS_DELIVERED, "track_parcel", ("tracking_number", USPS_DELIVERED))]
    )["code_checks"]
    slots = slots_after_reading(
        [user_event("it never arrived", "delivery_problem")], {"code_checks": earlier}
    )
    assert slots["parcel_code"] == USPS_DELIVERED
    # Not for another topic, and not when the message brings its own code.
    other = slots_after_reading(
        [user_event("i want a refund", "return_refund")], {"code_checks": earlier}
    )
    assert "parcel_code" not in other


def test_a_message_without_codes_leaves_the_codes_alone() -> None:
    assert "code_checks" not in slots_after_reading([user_event("hi", "greet")])


@pytest.mark.parametrize(
    "text",
    [
        "my parcel never arrived",
        "still waiting for my refund",
        "this is RIDICULOUS",
        "wtf is going on",
        "I haven't received anything",
    ],
)
def test_problem_and_anger_words_are_recognised(text: str) -> None:
    assert has_problem_or_anger(text)


@pytest.mark.parametrize(
    "text", ["what's the capital of peru", "recommend a good film", "hello there"]
)
def test_calm_messages_without_a_problem_are_not_flagged(text: str) -> None:
    assert not has_problem_or_anger(text)


def test_a_calm_first_message_surely_about_something_else_is_declined(
    domain: dict[str, Any],
) -> None:
    events = [user_event("what's the capital of peru", "out_of_scope", confidence=0.95)]
    assert replies(events, domain) == ["utter_out_of_scope"]


def test_a_less_sure_out_of_scope_guess_gets_the_menu_question_not_a_refusal(
    domain: dict[str, Any],
) -> None:
    events = [user_event("what's the capital of peru", "out_of_scope", confidence=0.7)]
    assert replies(events, domain) == ["utter_not_understood"]


def test_an_off_topic_message_with_a_problem_is_offered_a_person(domain: dict[str, Any]) -> None:
    events = [user_event("my streaming app still won't load, useless", "out_of_scope")]
    assert replies(events, domain) == ["utter_out_of_scope_offer_person"]


def test_an_off_topic_message_from_a_customer_writing_again_is_offered_a_person(
    domain: dict[str, Any],
) -> None:
    events = [
        user_event("hi", "greet"),
        bot_event("Hi!", "utter_greet"),
        user_event("what's the capital of peru", "out_of_scope"),
    ]
    assert replies(events, domain) == ["utter_out_of_scope_offer_person"]


def test_an_unsure_guess_with_a_problem_offers_a_person_not_a_guess(domain: dict[str, Any]) -> None:
    events = [user_event("it still hasn't come and nobody answers", "nlu_fallback")]
    assert replies(events, domain) == ["utter_offer_person_unsure"]


def test_an_unsure_guess_without_a_problem_asks_one_question_with_the_menu(
    domain: dict[str, Any],
) -> None:
    events = [user_event("the thing with the stuff", "nlu_fallback")]
    assert replies(events, domain) == ["utter_not_understood"]
    [response] = domain["responses"]["utter_not_understood"]
    assert response["buttons"]  # the menu


def test_words_instead_of_a_code_for_a_delivery_problem_end_the_asking() -> None:
    events = [
        user_event("my parcel arrived smashed", "delivery_problem"),
        bot_event("Could you send me your tracking number?", "utter_ask_parcel_code_problem"),
        user_event("i dont have it, just sort it out", "delivery_problem"),
    ]
    result = ValidateParcelForm().validate_parcel_code(
        "i dont have it, just sort it out", CollectingDispatcher(), tracker_of(events), {}
    )
    assert result["parcel_code"] is not None  # the form ends: the answer action hands off
    assert result["code_checks"] == []  # words are no code to show staff
