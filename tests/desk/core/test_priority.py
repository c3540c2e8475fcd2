"""Ranking tickets: complaints, lost parcels, repeated contact and anger rank higher."""

from __future__ import annotations

import pytest

from desk.priority import is_angry, rank
from store.models import HandoffReason, Priority


def test_a_plain_request_for_a_person_is_normal() -> None:
    assert rank(HandoffReason.CUSTOMER_REQUEST, ["can I talk to someone please"]) == (
        Priority.NORMAL,
        [],
    )


def test_a_complaint_is_high_and_an_angry_complaint_urgent() -> None:
    assert rank(HandoffReason.COMPLAINT, ["the courier was rude"]) == (
        Priority.HIGH,
        ["complaint"],
    )
    assert rank(HandoffReason.COMPLAINT, ["this is UNACCEPTABLE!!!"]) == (
        Priority.URGENT,
        ["complaint", "angry wording"],
    )


def test_a_lost_parcel_is_known_from_the_lookup_or_the_wording() -> None:
    lookup_says = [{"code": "1Z…", "lookup": {"found": True, "status": "exception"}}]
    assert rank(HandoffReason.DELIVERY_PROBLEM, ["where is it"], lookup_says)[1] == [
        "lost or damaged parcel"
    ]
    in_transit = [{"lookup": {"found": True, "status": "in_transit"}}]
    assert rank(HandoffReason.DELIVERY_PROBLEM, ["where is it"], in_transit) == (
        Priority.NORMAL,
        [],
    )
    assert rank(HandoffReason.DELIVERY_PROBLEM, ["my parcel never arrived"])[0] is Priority.HIGH
    assert rank(HandoffReason.DELIVERY_PROBLEM, ["the box came smashed"])[0] is Priority.HIGH


def test_a_customer_handed_off_before_ranks_higher() -> None:
    assert rank(HandoffReason.CUSTOMER_REQUEST, ["hi"], earlier_tickets=1) == (
        Priority.HIGH,
        ["repeated contact"],
    )


@pytest.mark.parametrize(
    "text",
    ["this is ridiculous", "WHERE IS MY ORDER YOU PEOPLE", "answer me!!!", "what a scam"],
)
def test_angry_wording(text: str) -> None:
    assert is_angry(text)


@pytest.mark.parametrize(
    "text",
    ["my UPS number is 1Z999AA10123456784", "order ORD-12345 from DHL", "thanks a lot!"],
)
def test_codes_and_courier_names_in_capitals_are_not_shouting(text: str) -> None:
    assert not is_angry(text)
