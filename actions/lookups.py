"""A code checked and looked up in the store, and the answer that tells the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.responses import render
from actions.runtime import sessions
from codes import CodeCheck, check_code
from settings import get_settings
from store.business_hours import load_business_hours
from store.lookup import OrderInfo, ShipmentInfo, find_order, find_shipment


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


@dataclass(frozen=True)
class Lookup:
    """A checked code and what the store holds for it."""

    check: CodeCheck
    shipment: ShipmentInfo | None
    order: OrderInfo | None

    @property
    def known(self) -> bool:
        return self.shipment is not None or self.order is not None

    @property
    def record(self) -> dict[str, Any]:
        """As kept in `code_checks` and shown to staff."""
        return {**code_record(self.check), "lookup": lookup_record(self.shipment, self.order)}


def look_up(check: CodeCheck) -> Lookup:
    """The store's shipment or order for a valid code."""
    if not check.valid:
        return Lookup(check, None, None)
    with sessions()() as session:
        if check.kind == "tracking_number":
            return Lookup(check, find_shipment(session, check.normalized), None)
        return Lookup(check, None, find_order(session, check.normalized))


def merge_check(checks: list[dict[str, Any]], record: dict[str, Any]) -> list[dict[str, Any]]:
    """`checks` with `record` in: replacing the earlier record of the same code, else added."""
    key = record.get("normalized") or record.get("code")
    kept = [c for c in checks if (c.get("normalized") or c.get("code")) != key]
    return [*kept, record]


def answer_lookup(
    dispatcher: CollectingDispatcher, domain: DomainDict, found: Lookup, language: str
) -> None:
    """What the store knows of the code, in the customer's words."""
    if found.order is not None:
        answer_order(dispatcher, domain, found.order, language)
    if found.shipment is not None:
        answer_shipment(dispatcher, domain, found.shipment, language)


def codes_in_latest_message(tracker: Tracker) -> list[Lookup]:
    """Every tracking number and order code of the customer's latest message, checked and
    looked up (the engine found them; the text is the customer's, exactly as written)."""
    seen: set[str] = set()
    found = []
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") not in ("tracking_number", "order_code"):
            continue
        check = check_code(str(entity.get("value") or ""))
        key = check.normalized or check.raw
        if key in seen:
            continue
        seen.add(key)
        found.append(look_up(check))
    return found


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
