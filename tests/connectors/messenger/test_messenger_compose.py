"""Turning a reply into Send API messages: splitting and quick replies (pure)."""

from __future__ import annotations

from connectors.messenger.compose import message_objects, quick_replies, split_text
from outbox.messages import Button, OutboundMessage


def test_messenger_short_text_is_one_part_unchanged() -> None:
    assert split_text("Hello!  How can I help?") == ["Hello!  How can I help?"]


def test_messenger_blank_text_has_no_parts() -> None:
    assert split_text("  \n ") == []


def test_messenger_split_prefers_line_breaks_and_sentence_ends() -> None:
    text = "First line of text\nSecond one here. Third sentence? Fourth!"
    assert split_text(text, limit=30) == [
        "First line of text",
        "Second one here.",
        "Third sentence? Fourth!",
    ]


def test_messenger_sentence_longer_than_the_limit_is_cut_between_words() -> None:
    text = "one two three four five six seven eight nine ten"
    parts = split_text(text, limit=15)
    assert all(len(p) <= 15 for p in parts)
    assert " ".join(parts) == text


def test_messenger_word_longer_than_the_limit_is_cut_anywhere() -> None:
    parts = split_text("a " + "y" * 25 + " b.", limit=10)
    assert all(len(p) <= 10 for p in parts)
    assert "".join(parts).replace(" ", "") == "a" + "y" * 25 + "b."


def test_messenger_quick_reply_payload_is_cut_to_1000_and_blank_titles_dropped() -> None:
    replies = quick_replies([Button("   ", "/nothing"), Button("Go", "p" * 1500)])
    assert replies == [{"content_type": "text", "title": "Go", "payload": "p" * 1000}]


def test_messenger_custom_payload_is_sent_after_the_text() -> None:
    template = {"attachment": {"type": "template", "payload": {"template_type": "button"}}}
    message = OutboundMessage("messenger", "page", "42", "Here you go.", custom=template)
    assert message_objects(message) == [{"text": "Here you go."}, template]
