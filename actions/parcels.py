"""Where is my parcel / order status: collect a code, check it, answer from the store."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import conversation
from actions.handoff import hand_off
from actions.lookups import answer_lookup, code_record, look_up, merge_check
from codes import check_code, find_codes
from store.models import HandoffReason

# After this many re-asks for a code the form gives up and a person takes over.
MAX_REASKS = 2

_ASK_BY_PURPOSE = {
    "track_parcel": "utter_ask_parcel_code_track",
    "order_status": "utter_ask_parcel_code_order",
    "delivery_problem": "utter_ask_parcel_code_problem",
}


def _given_code(slot_value: Any) -> str:
    """The code itself: the slot may hold a list of entities or a whole sentence."""
    if isinstance(slot_value, list):
        slot_value = slot_value[0] if slot_value else ""
    text = str(slot_value or "").strip()
    spans = find_codes(text)
    return spans[0][2] if spans and spans[0][2] != text else text


class ActionAskParcelCode(Action):
    """Ask for the code — worded for why it's needed, or saying what was wrong with the last one."""

    def name(self) -> str:
        return "action_ask_parcel_code"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        checks = tracker.get_slot("code_checks") or []
        if (tracker.get_slot("code_attempts") or 0) > 0 and checks and not checks[-1]["valid"]:
            last = checks[-1]
            if last["problem"] == "check_digit":
                dispatcher.utter_message(
                    response="utter_code_bad_check_digit", courier=last["courier"]
                )
            else:
                dispatcher.utter_message(response="utter_code_unrecognised", code=last["code"])
            return []
        dispatcher.utter_message(response=_ASK_BY_PURPOSE[conversation.parcel_purpose(tracker)])
        return []


class ValidateParcelForm(FormValidationAction):
    """Check every code the customer gives; re-ask at most twice, then let a person take over."""

    def name(self) -> str:
        return "validate_parcel_form"

    def validate_parcel_code(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        code = _given_code(slot_value)
        entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
        # A bare "12345" counts as an order number only when it answers our question.
        answering = not entities & {"tracking_number", "order_code"}
        check = check_code(code, answering_question=answering)
        checks: list[dict[str, Any]] = list(tracker.get_slot("code_checks") or [])
        if check.valid:
            checks = merge_check(checks, code_record(check))
            return {"parcel_code": code, "code_checks": checks, "code_attempts": 0}
        attempts = int(tracker.get_slot("code_attempts") or 0) + 1
        # A customer with a delivery problem who answers with words, not a code, is not asked
        # again and again: a person finds the order. Words are no code to show staff either.
        no_code_given = not find_codes(code) and not any(ch.isdigit() for ch in code)
        if not no_code_given:
            checks = merge_check(checks, code_record(check))
        give_up = attempts > MAX_REASKS or (
            no_code_given and conversation.parcel_purpose(tracker) == "delivery_problem"
        )  # keep the bad code: the answer action hands off
        return {
            "parcel_code": code if give_up else None,
            "code_checks": checks,
            "code_attempts": attempts,
        }


class ActionAnswerParcel(Action):
    """Answer from the store; unknown codes and delivery problems go to a person."""

    def name(self) -> str:
        return "action_answer_parcel"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        code = str(tracker.get_slot("parcel_code") or "")
        checks: list[dict[str, Any]] = list(tracker.get_slot("code_checks") or [])
        check = check_code(code, answering_question=True)
        events: list[EventType] = [SlotSet("parcel_code", None), SlotSet("code_attempts", 0)]
        if not check.valid:
            problem = conversation.parcel_purpose(tracker) == "delivery_problem"
            reason = HandoffReason.DELIVERY_PROBLEM if problem else HandoffReason.INVALID_CODE
            return events + hand_off(dispatcher, tracker, domain, reason)

        found = look_up(check)
        checks = merge_check(checks, found.record)
        events.append(SlotSet("code_checks", checks))

        if not found.known:
            dispatcher.utter_message(response="utter_handoff_unknown_code", code=check.normalized)
            return events + hand_off(
                dispatcher, tracker, domain, HandoffReason.UNKNOWN_CODE, checks
            )

        answer_lookup(dispatcher, domain, found, tracker.get_slot("language") or "en")
        if conversation.parcel_purpose(tracker) == "delivery_problem":
            return events + hand_off(
                dispatcher, tracker, domain, HandoffReason.DELIVERY_PROBLEM, checks
            )
        return events
