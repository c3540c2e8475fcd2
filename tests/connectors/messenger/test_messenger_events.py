"""Parsing Messenger webhook JSON into neutral messages (pure): the shapes HTTP tests skip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.messenger.events import NotAPageWebhook, parse_webhook


def page(*items: dict[str, object], standby: bool = False) -> dict[str, object]:
    key = "standby" if standby else "messaging"
    return {"object": "page", "entry": [{"id": "P", "time": 1_700_000_000_000, key: list(items)}]}


def message(**fields: object) -> dict[str, object]:
    return {"sender": {"id": "U"}, "recipient": {"id": "P"}, "timestamp": 1_700_000_000_500,
            "message": {"mid": "m_1", **fields}}  # fmt: skip


def test_messenger_location_and_shared_link_are_described() -> None:
    location = {"type": "location", "payload": {"coordinates": {"lat": 45.46, "long": 9.19}}}
    link = {"type": "fallback", "title": "Our returns page", "url": "https://shop.example/r"}
    [parsed] = parse_webhook(page(message(attachments=[location, link]))).messages
    assert [(a.kind, a.description) for a in parsed.attachments] == [
        ("location", "[location 45.46,9.19]"),
        ("link", "[link: Our returns page]"),
    ]
    assert parsed.attachments[1].url == "https://shop.example/r"


def test_messenger_numeric_ids_become_strings_and_time_is_utc() -> None:
    item = message(text="hi")
    item["sender"], item["recipient"] = {"id": 42}, {"id": 7}
    [parsed] = parse_webhook(page(item)).messages
    assert (parsed.user_id, parsed.account_id) == ("42", "7")
    assert parsed.sent_at == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)


def test_messenger_missing_timestamp_falls_back_to_the_entry_time() -> None:
    item = message(text="hi")
    del item["timestamp"]
    [parsed] = parse_webhook(page(item)).messages
    assert parsed.sent_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_messenger_standby_items_are_counted_not_returned() -> None:
    parsed = parse_webhook(page(message(text="hi"), standby=True))
    assert parsed.messages == ()
    assert parsed.standby == 1


@pytest.mark.parametrize("body", [None, "page", {"object": "page", "entry": {}}, {"entry": []}])
def test_messenger_envelope_errors_are_refused(body: object) -> None:
    with pytest.raises(NotAPageWebhook):
        parse_webhook(body)
