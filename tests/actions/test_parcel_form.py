"""Collecting a code: what is accepted, what is re-asked and how, and when the form gives up."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.parcels import ActionAskParcelCode, ValidateParcelForm
from tests.actions.trackers import bot_event, tracker_of, user_event

UPS_OK = "1Z5R89390357567127"
UPS_BAD = "1Z5R89390357567128"


def validate(text: str, slots: dict[str, Any] | None = None, with_entity: bool = True) -> dict:
    event = user_event(text, "track_parcel")
    if with_entity:
        event["parse_data"]["entities"] = [{"entity": "tracking_number", "value": text}]
    tracker = tracker_of([event], slots)
    return ValidateParcelForm().validate_parcel_code(text, CollectingDispatcher(), tracker, {})


def test_a_valid_number_fills_the_slot_and_is_recorded() -> None:
    result = validate(UPS_OK)
    assert result["parcel_code"] == UPS_OK and result["code_attempts"] == 0
    [record] = result["code_checks"]
    assert record["valid"] and record["courier"] == "UPS" and record["normalized"] == UPS_OK


def test_a_code_inside_a_sentence_is_taken_out_of_it() -> None:
    result = validate(f"it's {UPS_OK} thanks", with_entity=False)
    assert result["parcel_code"] == UPS_OK


def test_a_bare_number_counts_as_a_shop_order_only_as_an_answer() -> None:
    result = validate("12345", with_entity=False)
    assert result["parcel_code"] == "12345"
    assert result["code_checks"][-1]["normalized"] == "#12345"


def test_a_wrong_check_digit_is_reasked_twice_then_kept_for_the_handoff() -> None:
    first = validate(UPS_BAD)
    assert first["parcel_code"] is None and first["code_attempts"] == 1
    assert first["code_checks"][-1]["problem"] == "check_digit"
    second = validate(UPS_BAD, {"code_attempts": 1, "code_checks": first["code_checks"]})
    assert second["parcel_code"] is None and second["code_attempts"] == 2
    third = validate(UPS_BAD, {"code_attempts": 2, "code_checks": second["code_checks"]})
    assert third["parcel_code"] == UPS_BAD  # the form ends; the answer action hands off
    # The same code given three times is one code for the person taking over, with its problem.
    [record] = third["code_checks"]
    assert record["code"] == UPS_BAD and record["problem"] == "check_digit"


def asked(events: list[dict[str, Any]], slots: dict[str, Any], domain: dict[str, Any]) -> list:
    dispatcher = CollectingDispatcher()
    ActionAskParcelCode().run(dispatcher, tracker_of(events, slots), domain)
    return dispatcher.messages


def test_the_question_is_worded_for_why_the_code_is_needed(domain: dict[str, Any]) -> None:
    problem = asked([user_event("my parcel arrived broken", "delivery_problem")], {}, domain)
    assert problem[0]["response"] == "utter_ask_parcel_code_problem"
    order = asked([user_event("has my order shipped", "order_status")], {}, domain)
    assert order[0]["response"] == "utter_ask_parcel_code_order"


def test_a_reask_says_what_was_wrong(domain: dict[str, Any]) -> None:
    bad = validate(UPS_BAD)
    events = [user_event(UPS_BAD, "track_parcel"), bot_event("...", "utter_ask_parcel_code_track")]
    [message] = asked(events, {"code_attempts": 1, "code_checks": bad["code_checks"]}, domain)
    assert message["response"] == "utter_code_bad_check_digit"
    assert message["courier"] == "UPS"
    garbage = validate("hello123", with_entity=False)
    [message] = asked(events, {"code_attempts": 1, "code_checks": garbage["code_checks"]}, domain)
    assert message["response"] == "utter_code_unrecognised" and message["code"] == "hello123"
