"""Rules over the classifier's guess, for what a support agent would never get wrong.

1. A message that carries a tracking number or an order code is about that code.

Real customers put codes inside thanks, greetings and stories the classifier cannot place ("hi
1Z… ??", "thx but still nothing 403-…"); declining or greeting back such a message ignores the
one thing the customer gave us. After the classifier (and the FallbackClassifier), an intent that
would not look the code up becomes `track_parcel` (a tracking number) or `order_status` (an order
code). Intents that already act on a code or a person (delivery problems, refunds, complaints,
…) are kept: their actions check and look the code up too.

2. A greeting or thanks glued to a problem is about the problem ("hi, thanks for last time, but
my parcel never arrived"): when the classifier says greet / thank / goodbye and the message
tells of a problem, the best-ranked intent that is not small talk is taken instead.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

# Intents whose answer would not look a code up.
_IGNORES_CODES = frozenset(
    {"greet", "goodbye", "thank", "affirm", "deny", "faq", "out_of_scope", "nlu_fallback"}
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CodeIntentOverride(GraphComponent):
    """Sets a code-carrying message's intent to the one that looks the code up."""

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
    ) -> CodeIntentOverride:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") not in _IGNORES_CODES:
                continue
            kinds = {e.get(ENTITY_ATTRIBUTE_TYPE) for e in message.get(ENTITIES) or []}
            if "tracking_number" in kinds:
                name = "track_parcel"
            elif "order_code" in kinds:
                name = "order_status"
            else:
                continue
            # Decided by the code, not guessed: certain.
            message.set(INTENT, {"name": name, "confidence": 1.0}, add_to_output=True)
        return messages


_SMALL_TALK = frozenset({"greet", "thank", "goodbye", "affirm", "deny"})
# Words of a problem or a request, as a customer glues them to "hi" or "thanks".
_PROBLEM = re.compile(
    r"\b(never|not|still|late|lost|missing|damaged|broken|wrong|where|why|issue|problem|"
    r"complain\w*|waiting)\b|n't\b",
    re.IGNORECASE,
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RequestOverSmallTalk(GraphComponent):
    """greet / thank / goodbye with a problem in it: the best-ranked request intent instead."""

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
    ) -> RequestOverSmallTalk:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            text = message.get(TEXT) or ""
            if intent not in ("greet", "thank", "goodbye") or not _PROBLEM.search(text):
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            request = next(
                (r for r in ranking if r.get("name") not in _SMALL_TALK | {"nlu_fallback"}),
                None,
            )
            if request is not None:
                message.set(INTENT, dict(request), add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OutOfScopeOnlyWhenSure(GraphComponent):
    """`out_of_scope` only above `threshold`; below it, the best-ranked intent of the shop.

    Declining a real request costs a customer; answering an off-topic message as the nearest
    shop topic costs a sentence. So an unsure "this isn't about the shop" yields to the shop
    intent ranked next (the FallbackClassifier after this still catches a guess that is unsure
    overall). The threshold is chosen on the tune split (bench/nlu_calibration.py).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"threshold": 0.0}

    def __init__(self, config: dict[str, Any]) -> None:
        self.threshold = float(config.get("threshold", 0.0))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OutOfScopeOnlyWhenSure:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if (
                intent.get("name") != "out_of_scope"
                or intent.get("confidence", 0) >= self.threshold
            ):
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            shop = next(
                (r for r in ranking if r.get("name") not in ("out_of_scope", "nlu_fallback")), None
            )
            if shop is not None:
                message.set(INTENT, dict(shop), add_to_output=True)
        return messages
