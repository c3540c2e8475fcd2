"""The one-line summary and the wait the customer is promised."""

from __future__ import annotations

import pytest

from actions.handoff import estimated_wait_minutes, summary
from store.models import HandoffReason


def test_summary_names_reason_code_lookup_and_what_the_customer_said() -> None:
    checks = [
        {
            "courier": "UPS",
            "kind": "tracking_number",
            "normalized": "1Z5R89390357567127",
            "lookup": {"found": True, "summary": "shipment in_transit"},
        }
    ]
    line = summary(HandoffReason.DELIVERY_PROBLEM, "it arrived broken", checks)
    assert line == (
        'Delivery problem — UPS 1Z5R89390357567127 — shipment in_transit — "it arrived broken"'
    )


def test_summary_leaves_out_button_payloads_and_cuts_long_messages() -> None:
    assert summary(HandoffReason.CUSTOMER_REQUEST, "/human_handoff", []) == "Asked for a person"
    line = summary(HandoffReason.COMPLAINT, "x" * 500, [])
    assert len(line) < 140 and line.endswith('..."')


@pytest.mark.parametrize(("waiting", "minutes"), [(0, 5), (1, 5), (4, 10), (9, 20), (30, 65)])
def test_wait_grows_with_the_queue_shared_by_the_people_on_shift(
    waiting: int, minutes: int
) -> None:
    # defaults: 4 minutes a request, 2 people on shift; rounded up to 5 minutes, never under 5
    assert estimated_wait_minutes(waiting) == minutes
