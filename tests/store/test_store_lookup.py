"""What the bot can read about the demo codes (demo data loaded at DEMO_NOW, 2025-03-12 10:00 UTC).

The codes are listed in store/demo_data/README.md; other parts of the bot rely on them.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from store.lookup import OrderInfo, ShipmentInfo, find_order, find_shipment
from store.models import OrderStatus, ShipmentStatus


def test_ups_parcel_in_transit_with_an_expected_delivery_date(demo: Session) -> None:
    shipment = find_shipment(demo, "1Z5R89390357567127")

    assert shipment is not None
    assert shipment.courier_code == "ups"
    assert shipment.courier_name == "UPS"
    assert shipment.status is ShipmentStatus.IN_TRANSIT
    assert shipment.estimated_delivery == date(2025, 3, 13)
    assert shipment.delivered_at is None
    assert shipment.order_code == "112-1234567-1234567"


def test_the_last_scan_is_the_latest_event(demo: Session) -> None:
    shipment = find_shipment(demo, "1Z5R89390357567127")

    assert shipment is not None and shipment.last_event is not None
    assert shipment.last_event.occurred_at == datetime(2025, 3, 12, 4, 0, tzinfo=UTC)
    assert shipment.last_event.location == "Vittuone, IT"
    assert shipment.last_event.description == "Departed from facility"
    assert shipment.last_event.status is ShipmentStatus.IN_TRANSIT


@pytest.mark.parametrize(
    "typed", ["1z5r89390357567127", " 1Z5R 8939 0357 5671 27 ", "1Z 5R8 939 035 756 712 7"]
)
def test_customers_spelling_of_a_tracking_number_finds_it(demo: Session, typed: str) -> None:
    shipment = find_shipment(demo, typed)

    assert shipment is not None and shipment.tracking_number == "1Z5R89390357567127"


def test_unknown_tracking_number_is_none(demo: Session) -> None:
    assert find_shipment(demo, "1ZXX3150YW44070023") is None


def test_shipped_order_lists_its_ups_shipment(demo: Session) -> None:
    order = find_order(demo, "112-1234567-1234567")

    assert order is not None
    assert order.status is OrderStatus.SHIPPED
    assert order.customer_name == "Giulia Rossi"
    assert order.total_amount == Decimal("89.90") and order.currency == "EUR"
    assert order.placed_at == datetime(2025, 3, 8, 8, 0, tzinfo=UTC)
    assert "Trail running shoes" in order.items_summary
    assert [s.tracking_number for s in order.shipments] == ["1Z5R89390357567127"]
    assert order.shipments[0] == find_shipment(demo, "1Z5R89390357567127")


def test_paid_order_not_shipped_yet_has_no_shipments(demo: Session) -> None:
    order = find_order(demo, "#12345")

    assert order is not None
    assert order.status is OrderStatus.PAID
    assert order.shipments == ()


def test_delivered_order_has_a_delivered_usps_shipment(demo: Session) -> None:
    order = find_order(demo, "ord-7f3k9q")

    assert order is not None and order.code == "ORD-7F3K9Q"
    assert order.status is OrderStatus.DELIVERED
    (shipment,) = order.shipments
    assert shipment.courier_code == "usps"
    assert shipment.status is ShipmentStatus.DELIVERED
    assert shipment.delivered_at == datetime(2025, 3, 10, 5, 0, tzinfo=UTC)
    assert shipment.last_event is not None
    assert shipment.last_event.occurred_at == shipment.delivered_at
    assert shipment.last_event.status is ShipmentStatus.DELIVERED


def test_delivery_attempt_with_no_one_home_is_an_exception(demo: Session) -> None:
    order = find_order(demo, "ORD-9C4N7R")

    assert order is not None
    (shipment,) = order.shipments
    assert shipment.status is ShipmentStatus.EXCEPTION
    assert shipment.last_event is not None
    assert "no one home" in shipment.last_event.description


def test_an_order_can_ship_in_several_parcels(demo: Session) -> None:
    order = find_order(demo, "112-4455667-8899001")

    assert order is not None
    assert {(s.courier_code, s.status) for s in order.shipments} == {
        ("ups", ShipmentStatus.DELIVERED),
        ("s10", ShipmentStatus.IN_TRANSIT),
    }


def test_a_shipment_can_be_known_without_its_order(demo: Session) -> None:
    shipment = find_shipment(demo, "1Z8V92A70367203024")

    assert shipment is not None
    assert shipment.order_code is None


def test_unknown_order_code_is_none(demo: Session) -> None:
    assert find_order(demo, "#99999") is None


def test_results_are_frozen_and_usable_after_the_session_closes(demo: Session) -> None:
    order = find_order(demo, "112-1234567-1234567")
    demo.close()

    assert isinstance(order, OrderInfo) and isinstance(order.shipments[0], ShipmentInfo)
    assert order.shipments[0].last_event is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.status = OrderStatus.CANCELLED  # type: ignore[misc]
