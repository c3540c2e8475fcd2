"""Where is my parcel / order status: collect a code, check it, answer from the store."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import conversation
from actions.handoff import hand_off
from actions.responses import render
from actions.runtime import sessions
from codes import CodeCheck, check_code, find_codes
from settings import get_settings
from store.business_hours import load_business_hours
from store.lookup import OrderInfo, ShipmentInfo, find_order, find_shipment
from store.models import HandoffReason

# After this many re-asks for a code the form gives up and a person takes over.
MAX_REASKS = 2

_ASK_BY_PURPOSE = {
    "track_parcel": "utter_ask_parcel_code_track",
    "order_status": "utter_ask_parcel_code_order",
    "delivery_problem": "utter_ask_parcel_code_problem",
}


def code_record(check: CodeCheck) -> dict[str, Any]:
    """A code check as kept in the conversation (and shown to staff on handoff)."""
    return {
        "code": check.raw,
        "kind": check.kind,
        "normalized": check.normalized,
        "valid": check.valid,
        "problem": check.problem,
        "courier": check.courier_name,
        "courier_code": check.courier_code,
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
        checks = [*(tracker.get_slot("code_checks") or []), code_record(check)]
        if check.valid:
            return {"parcel_code": code, "code_checks": checks, "code_attempts": 0}
        attempts = int(tracker.get_slot("code_attempts") or 0) + 1
        give_up = attempts > MAX_REASKS  # keep the bad code: the answer action hands off
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
            return events + hand_off(dispatcher, tracker, domain, HandoffReason.INVALID_CODE)

        with sessions()() as session:
            if check.kind == "tracking_number":
                shipment = find_shipment(session, check.normalized)
                order = None
            else:
                order = find_order(session, check.normalized)
                shipment = None
        record = {**code_record(check), "lookup": lookup_record(shipment, order)}
        checks = (
            [*checks[:-1], record]
            if checks and checks[-1]["code"] == check.raw
            else [
                *checks,
                record,
            ]
        )
        events.append(SlotSet("code_checks", checks))

        if shipment is None and order is None:
            dispatcher.utter_message(response="utter_handoff_unknown_code", code=check.normalized)
            return events + hand_off(
                dispatcher, tracker, domain, HandoffReason.UNKNOWN_CODE, checks
            )

        language = tracker.get_slot("language") or "en"
        if order is not None:
            answer_order(dispatcher, domain, order, language)
        if shipment is not None:
            answer_shipment(dispatcher, domain, shipment, language)
        if conversation.parcel_purpose(tracker) == "delivery_problem":
            return events + hand_off(
                dispatcher, tracker, domain, HandoffReason.DELIVERY_PROBLEM, checks
            )
        return events


def lookup_record(shipment: ShipmentInfo | None, order: OrderInfo | None) -> dict[str, Any]:
    """What the lookup found, in a form staff can read at a glance."""
    if shipment is not None:
        return {
            "found": True,
            "type": "shipment",
            "status": shipment.status,
            "estimated_delivery": _iso(shipment.estimated_delivery),
            "last_event": shipment.last_event.description if shipment.last_event else None,
            "order_code": shipment.order_code,
            "summary": f"shipment {shipment.status}",
        }
    if order is not None:
        return {
            "found": True,
            "type": "order",
            "status": order.status,
            "placed_at": _iso(order.placed_at),
            "shipments": [s.tracking_number for s in order.shipments],
            "summary": f"order {order.status}",
        }
    return {"found": False, "summary": "not found"}


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def answer_order(
    dispatcher: CollectingDispatcher, domain: DomainDict, order: OrderInfo, language: str
) -> None:
    """The order's state; shipped orders are followed by each shipment's answer."""
    dispatcher.utter_message(
        response=f"utter_order_{order.status}",
        code=order.code,
        items=order.items_summary,
        placed=format_date(order.placed_at, "d MMM", locale=language),
    )
    for shipment in order.shipments:
        answer_shipment(dispatcher, domain, shipment, language)


def answer_shipment(
    dispatcher: CollectingDispatcher, domain: DomainDict, shipment: ShipmentInfo, language: str
) -> None:
    """Status, latest scan, expected delivery and what to do next."""
    tz = load_business_hours(get_settings().business_hours_path).timezone
    last_event = ""
    if shipment.last_event is not None:
        place = f", {shipment.last_event.location}" if shipment.last_event.location else ""
        last_event = render(
            domain,
            "utter_last_event",
            when=format_datetime(
                shipment.last_event.occurred_at, "EEE d MMM, HH:mm", tzinfo=tz, locale=language
            ),
            description=shipment.last_event.description,
            place=place,
        )
    eta = ""
    if shipment.estimated_delivery is not None:
        day = format_date(shipment.estimated_delivery, "EEEE d MMMM", locale=language)
        eta = render(domain, "utter_eta", eta=day)
    url = check_code(shipment.tracking_number).tracking_url
    link = render(domain, "utter_tracking_link", url=url) if url else ""
    delivered = (
        format_datetime(shipment.delivered_at, "EEEE d MMMM", tzinfo=tz, locale=language)
        if shipment.delivered_at
        else ""
    )
    dispatcher.utter_message(
        response=f"utter_shipment_{shipment.status}",
        courier=shipment.courier_name,
        number=shipment.tracking_number,
        last_event=last_event,
        eta=eta,
        link=link,
        delivered=delivered,
    )
