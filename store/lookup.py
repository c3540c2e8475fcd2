"""What the bot's actions read: a shipment by tracking number, an order by code.

Results are frozen dataclasses, not ORM objects, so they stay usable after the session closes.
Codes are put in canonical form first, so any spelling a customer types finds the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from store import canonical
from store.models import Order, OrderStatus, Shipment, ShipmentEvent, ShipmentStatus


@dataclass(frozen=True)
class EventInfo:
    """One tracking scan."""

    occurred_at: datetime  # timezone-aware (UTC)
    location: str
    description: str
    status: ShipmentStatus


@dataclass(frozen=True)
class ShipmentInfo:
    """A parcel as the bot may describe it."""

    tracking_number: str
    courier_code: str
    courier_name: str
    status: ShipmentStatus
    estimated_delivery: date | None
    delivered_at: datetime | None  # timezone-aware (UTC)
    last_event: EventInfo | None
    order_code: str | None  # None when the shipment is not linked to a known order


@dataclass(frozen=True)
class OrderInfo:
    """An order as the bot may describe it (no email or address: nothing to leak in a DM)."""

    code: str
    status: OrderStatus
    placed_at: datetime  # timezone-aware (UTC)
    customer_name: str
    items_summary: str
    total_amount: Decimal
    currency: str
    shipments: tuple[ShipmentInfo, ...]  # oldest first; empty until the order ships


def find_shipment(session: Session, tracking_number: str) -> ShipmentInfo | None:
    """The shipment with this tracking number (any spacing or case), or None."""
    number = canonical.tracking_number(tracking_number).number
    query = (
        select(Shipment)
        .where(Shipment.tracking_number == number)
        .options(selectinload(Shipment.events), selectinload(Shipment.order))
    )
    shipment = session.scalars(query).one_or_none()
    return _shipment_info(shipment) if shipment is not None else None


def find_order(session: Session, order_code: str) -> OrderInfo | None:
    """The order with this code (any spacing or case), with its shipments, or None."""
    code = canonical.order_code(order_code)
    query = (
        select(Order)
        .where(Order.code == code)
        .options(selectinload(Order.shipments).selectinload(Shipment.events))
    )
    order = session.scalars(query).one_or_none()
    if order is None:
        return None
    return OrderInfo(
        code=order.code,
        status=order.status,
        placed_at=order.placed_at,
        customer_name=order.customer_name,
        items_summary=order.items_summary,
        total_amount=order.total_amount,
        currency=order.currency,
        shipments=tuple(_shipment_info(shipment, order.code) for shipment in order.shipments),
    )


def _shipment_info(shipment: Shipment, order_code: str | None = None) -> ShipmentInfo:
    if order_code is None and shipment.order is not None:
        order_code = shipment.order.code
    return ShipmentInfo(
        tracking_number=shipment.tracking_number,
        courier_code=shipment.courier_code,
        courier_name=shipment.courier_name,
        status=shipment.status,
        estimated_delivery=shipment.estimated_delivery,
        delivered_at=shipment.delivered_at,
        last_event=_event_info(shipment.events[-1]) if shipment.events else None,
        order_code=order_code,
    )


def _event_info(event: ShipmentEvent) -> EventInfo:
    return EventInfo(
        occurred_at=event.occurred_at,
        location=event.location,
        description=event.description,
        status=event.status,
    )
