"""What the assistant says when it cannot place a message."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.language import detect_language
from actions.unclear import ActionReadMessage, ActionRespondUnclear, is_emoji_only
from tests.actions.trackers import tracker_of, user_event


def responses_of(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


@pytest.mark.parametrize("text", ["😀", "😀 😀 🙏", "👍🏽", "?!", "❤️‍🔥"])
def test_symbols_without_words_are_emoji_only(text: str) -> None:
    assert is_emoji_only(text)


@pytest.mark.parametrize("text", ["", "   ", "ok 👍", "1Z 😀", "ciao"])
def test_words_digits_or_nothing_are_not_emoji_only(text: str) -> None:
    assert not is_emoji_only(text)


def test_italian_is_detected() -> None:
    assert detect_language("Buongiorno, il mio pacco non è ancora arrivato, dove si trova?") == "it"


def test_english_is_detected_and_short_text_is_not_guessed() -> None:
    assert detect_language("hello, my parcel still hasn't arrived, where is it?") == "en"
    assert detect_language("ok thx") is None


@pytest.mark.parametrize(
    ("text", "intent", "response"),
    [
        ("", "nlu_fallback", "utter_empty_message"),
        ("🙈🙈", "nlu_fallback", "utter_emoji_only"),
        ("word " * 300, "out_of_scope", "utter_message_too_long"),
        (
            "Hola, quiero saber dónde está mi pedido por favor",
            "nlu_fallback",
            "utter_other_language",
        ),
        ("what's the capital of peru", "out_of_scope", "utter_out_of_scope"),
        ("hmm the thing with the stuff", "nlu_fallback", "utter_not_understood"),
    ],
)
def test_each_kind_of_unclear_message_gets_its_own_reply(
    domain: dict[str, Any], text: str, intent: str, response: str
) -> None:
    dispatcher = CollectingDispatcher()
    ActionRespondUnclear().run(dispatcher, tracker_of([user_event(text, intent)]), domain)
    assert responses_of(dispatcher) == [response]


def read(text: str, intent: str = "affirm", entities: list | None = None) -> dict[str, Any]:
    event = user_event(text, intent)
    event["parse_data"]["entities"] = entities or []
    events = ActionReadMessage().run(CollectingDispatcher(), tracker_of([event]), {})
    return {e["name"]: e["value"] for e in events}


@pytest.mark.parametrize(
    "text", ["", "  ", "😀😀😀", "🙏 🙏", "?!", "Hola, ¿dónde está mi pedido?"]
)
def test_messages_without_readable_words_are_flagged_whatever_the_intent(text: str) -> None:
    assert read(text)["message_unreadable"] is True


@pytest.mark.parametrize("text", ["👍", "👍🏽", "ok", "where is my parcel", "yes please"])
def test_words_and_yes_no_emoji_are_readable(text: str) -> None:
    assert read(text)["message_unreadable"] is False


@pytest.mark.usefixtures("store_database")
def test_a_code_makes_a_foreign_message_readable() -> None:
    text = "Buongiorno, dove si trova il mio pacco 1Z5R89390357567127?"
    entities = [{"entity": "tracking_number", "value": "1Z5R89390357567127"}]
    assert read(text)["message_unreadable"] is True
    assert read(text, "track_parcel", entities)["message_unreadable"] is False


def test_the_conversation_language_is_taken_from_the_first_message_that_tells() -> None:
    slots = read("Buongiorno, il mio ordine non è ancora arrivato, dove si trova?")
    assert slots["language"] == "it"
    assert "language" not in read("ok")
