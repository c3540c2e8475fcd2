"""Codes read in context: numbers the customer names as a code, and code-shaped numbers that
are really phone numbers, case numbers or a mention.

The regex extractor knows the shapes of the couriers' numbers and of the brand's order codes.
Customers also write codes of other shapes and name them ("order no: 7206731", "Tracking ID
Q22645230353", "AWB 5180700371394"): those are taken too, as written, so the action server can
check them and say what is wrong. And:

The courier formats include bare runs of 10 to 12 digits (DHL, FedEx, …), and customers write
their phone number ("call me on 9140560819"), a case id or an anonymised @mention next to a code
in the same shape. Shape alone can't tell them apart; the words around can. After the regex
extractor, a digits-only `tracking_number`:

- is dropped when phone or case words come just before it ("call me on", "mob", "case id", …)
  and no tracking word does;
- of phone length (10–11 digits), or written in groups with fewer than 14 digits, is kept only
  when tracking words stand around it ("tracking no", "AWB", "where is", "be delivered", …).
  Not "delivery" alone: real customers write "delivery guy's number 0902…" often.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, TEXT
from rasa.shared.nlu.training_data.message import Message

# How far before and after the number its context words may stand.
_BEFORE = 30
_AFTER = 25
_TRACKING_WORDS = re.compile(
    r"\b(track\w*|trk|awb|air ?way ?bill|waybill|consignment|shipment|parcel|package|pkg|"
    r"courier|ups|usps|fedex|dhl|dpd|yodel|hermes|evri|royal mail|lasership|ontrac|"
    r"where is|where's|wheres|be delivered|arrive|exception|depot)\b",
    re.IGNORECASE,
)
_OTHER_NUMBER_WORDS = re.compile(
    r"\b(call\w*|phone|mob(ile)?|cell|tel|whats ?app|contact|ph|case|ticket|ref(erence)?|"
    r"complaint|sr|id|otp|pin|imei|account|a/c|acct|invoice|number)\b",
    re.IGNORECASE,
)


# "order no: 7206731", "tracking id - Q2264…", "AWB NO 5180…": a name, then a code-looking token
# (letters and digits, dashes inside, at least five digits).
_CUED = re.compile(
    r"\b(?:(?P<order>order(?:\s*(?:id|no|num|number|ref))?\s*(?:\.|#|:|-)*)|"
    r"(?P<tracking>(?:track(?:ing)?|trk|awb|consignment|way\s?bill|shipping|shipment)"
    r"(?:\s*(?:id|no|num|number|ref))?\s*(?:\.|#|:|-)*))"
    r"\s*(?:is\s+)?(?P<code>(?=(?:[A-Z-]*[0-9]){5})[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)


# A marketplace order number mistyped (a digit too many or too few, a dash missing): still the
# customer's order code, to be checked and answered ("that doesn't look right").
_ORDER_LIKE = re.compile(
    r"(?<![A-Za-z0-9-])(?:[0-9]{1,4}-[0-9]{6,9}-[0-9]{5,9}|[0-9]{3}-[0-9]{13,14})(?![A-Za-z0-9-])"
)


def cued_codes(text: str) -> list[tuple[str, int, int]]:
    """(entity, start, end) of the codes the customer names in `text`, and mistyped order
    numbers."""
    found = []
    for match in _CUED.finditer(text):
        entity = "order_code" if match.group("order") else "tracking_number"
        found.append((entity, match.start("code"), match.end("code")))
    for match in _ORDER_LIKE.finditer(text):
        if not any(start < match.end() and match.start() < end for _, start, end in found):
            found.append(("order_code", match.start(), match.end()))
    return found


def keep_tracking_number(text: str, start: int, end: int) -> bool:
    """Whether the digits-only candidate text[start:end] reads as a tracking number here."""
    value = text[start:end]
    digits = re.sub(r"\s", "", value)
    if not digits.isdigit():
        return True  # letters in it (1Z…, TBA…, S10): no phone looks like that
    if start > 0 and text[start - 1] == "@":
        return False  # an anonymised @mention
    if not text[:start].strip(" #:.-") and not text[end:].strip(" ?!.,"):
        return True  # the whole message is the number: the answer to "what's your number?"
    before = text[max(0, start - _BEFORE) : start]
    after = text[end : end + _AFTER]
    if _OTHER_NUMBER_WORDS.search(before) and not _TRACKING_WORDS.search(before):
        return False
    phone_shaped = 10 <= len(digits) <= 11 or (len(digits) < 14 and value != digits)
    return not phone_shaped or bool(_TRACKING_WORDS.search(before) or _TRACKING_WORDS.search(after))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CodesInContext(GraphComponent):
    """Adds codes the customer names; drops tracking numbers the context says are not."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CodesInContext:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = message.get(ENTITIES) or []
            text = message.get(TEXT) or ""
            kept = [
                e
                for e in entities
                if e.get(ENTITY_ATTRIBUTE_TYPE) != "tracking_number"
                or keep_tracking_number(text, int(e["start"]), int(e["end"]))
            ]
            for entity, start, end in cued_codes(text):
                if any(int(e["start"]) < end and start < int(e["end"]) for e in kept):
                    continue  # the regex found it (or part of it) already
                kept.append(
                    {
                        "entity": entity,
                        "start": start,
                        "end": end,
                        "value": text[start:end],
                        "extractor": "CodesInContext",
                    }
                )
            if kept != entities:
                kept.sort(key=lambda e: int(e["start"]))
                message.set(ENTITIES, kept, add_to_output=True)
        return messages
