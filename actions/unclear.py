"""Messages the engine cannot place: empty, emoji-only, very long, foreign, or off-topic."""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import conversation
from actions.handoff import hand_off
from actions.language import detect_language
from actions.lookups import codes_in_latest_message, merge_check
from actions.signals import has_problem_or_anger
from store.models import HandoffReason

# Longer than any question a customer types on a phone: ask for the gist (or a person).
LONG_MESSAGE_CHARS = 1000
# Emoji that answer a yes/no question; the NLU is trained on them, so they stay readable.
_YES_NO_EMOJI = frozenset("👍👌✅👎❌")
_CODE_ENTITIES = frozenset({"tracking_number", "order_code"})
# A refusal costs a customer more than a question: only this sure (calibrated confidence, see
# bench/nlu_calibration.py) does the bot say a message is not something it can help with.
SURE_OUT_OF_SCOPE = 0.9
_RESPONSES = {
    "empty": "utter_empty_message",
    "emoji_only": "utter_emoji_only",
    "other_language": "utter_other_language",
}


def is_emoji_only(text: str) -> bool:
    """True when the message has symbols (emoji, punctuation) but no letters or digits."""
    stripped = "".join(ch for ch in text if not ch.isspace())
    return bool(stripped) and not any(unicodedata.category(ch)[0] in ("L", "N") for ch in stripped)


def _is_yes_no_emoji(text: str) -> bool:
    # Skin tones and variation selectors are modifiers (category Sk/Mn), not the emoji itself.
    core = [ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Sk", "Mn")]
    core = [ch for ch in core if not 0x1F3FB <= ord(ch) <= 0x1F3FF and ch != "\ufe0f"]
    return bool(core) and all(ch in _YES_NO_EMOJI for ch in core)


def unreadable_kind(text: str, has_code: bool = False) -> tuple[str | None, str | None]:
    """(why the message can't be read — "empty", "emoji_only", "other_language" — or None,
    the language detected). A message with a code in it is readable in any language."""
    text = text.strip()
    if not text:
        return "empty", None
    if is_emoji_only(text):
        return (None if _is_yes_no_emoji(text) else "emoji_only"), None
    language = detect_language(text)
    if language not in (None, "en") and not has_code:
        return "other_language", language
    return None, language


def _has_code(tracker: Tracker) -> bool:
    entities: list[dict[str, Any]] = tracker.latest_message.get("entities") or []
    return any(e.get("entity") in _CODE_ENTITIES for e in entities)


class ActionReadMessage(Action):
    """Runs on every customer message (a custom slot mapping): can the NLU read it at all?"""

    def name(self) -> str:
        return "action_read_message"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        kind, language = unreadable_kind(conversation.latest_text(tracker), _has_code(tracker))
        events: list[EventType] = [SlotSet("message_unreadable", kind is not None)]
        # The conversation's language is the one of its first message long enough to tell.
        if language in ("en", "it") and tracker.get_slot("language") is None:
            events.append(SlotSet("language", language))
        return events + _codes_in_context(tracker)


def _codes_in_context(tracker: Tracker) -> list[EventType]:
    """Every code the customer writes, whatever the message is about, is checked and looked up
    at once, so the handoff's context and the ticket have it. A parcel question without a code
    ("it's still not here") is about the code given earlier in the conversation."""
    checks: list[dict[str, Any]] = list(tracker.get_slot("code_checks") or [])
    found = codes_in_latest_message(tracker)
    for lookup in found:
        checks = merge_check(checks, lookup.record)
    events: list[EventType] = [SlotSet("code_checks", checks)] if found else []
    earlier = [c for c in checks if c.get("valid")]
    if (
        not found
        and earlier
        and conversation.latest_intent(tracker) in conversation.PARCEL_PURPOSES
        and tracker.get_slot("parcel_code") is None
    ):
        events.append(SlotSet("parcel_code", earlier[-1]["code"]))
    return events


class ActionRespondUnclear(Action):
    """Say clearly why the message could not be answered; twice in a row, bring in a person."""

    def name(self) -> str:
        return "action_respond_unclear"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = conversation.latest_text(tracker)
        kind, _ = unreadable_kind(text, _has_code(tracker))
        if kind is not None:
            dispatcher.utter_message(response=_RESPONSES[kind])
            return []
        if len(text) > LONG_MESSAGE_CHARS:
            dispatcher.utter_message(response="utter_message_too_long")
            return []
        intent = conversation.latest_intent(tracker)
        first_message = len(conversation.user_events(tracker)) <= 1
        troubled = has_problem_or_anger(text)
        if intent == "out_of_scope":
            # "I can't help with that" is only for a calm first message surely about something
            # else: a customer with a problem, an angry one or one writing again is offered a
            # person, and a less sure guess gets the menu question instead of a refusal.
            if troubled or not first_message:
                dispatcher.utter_message(response="utter_out_of_scope_offer_person")
            elif conversation.latest_confidence(tracker) >= SURE_OUT_OF_SCOPE:
                dispatcher.utter_message(response="utter_out_of_scope")
            else:
                dispatcher.utter_message(response="utter_not_understood")
            return []
        if conversation.previous_user_intent(tracker) in conversation.UNCLEAR_INTENTS:
            return hand_off(dispatcher, tracker, domain, HandoffReason.REPEATED_MISUNDERSTANDING)
        # Not sure what it is: no guess acted on. A problem gets a person offered at once; anything
        # else one short question, with the menu.
        if troubled:
            dispatcher.utter_message(response="utter_offer_person_unsure")
        else:
            dispatcher.utter_message(response="utter_not_understood")
        return []
