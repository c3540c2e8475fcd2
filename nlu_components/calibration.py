"""Intent confidences that mean what they say: temperature scaling of the classifier's ranking.

A classifier trained to near-zero loss on our own examples is sure of itself on anything: on real
customer messages most of its mistakes came with a confidence of 0.9 or more, so no threshold
could tell a guess from an answer. Dividing the log-probabilities by a temperature T > 1 and
renormalising keeps the ranking (and so the predicted intent) and spreads the confidence so that,
measured on real messages, a confidence of 0.7 is right about 70 % of the time.

T is chosen on the tune split of the real-customer development set (`bench/nlu_calibration.py`
fits it and prints the reliability table) and written into config.yml; the FallbackClassifier
after this component then compares a calibrated confidence with its threshold.
"""

from __future__ import annotations

import math
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

# log(0) guard: a ranking entry of exactly 0 stays (practically) 0 after scaling.
_FLOOR = 1e-12


def scaled(confidences: list[float], temperature: float) -> list[float]:
    """softmax(log(p) / T) of a probability vector."""
    logits = [math.log(max(p, _FLOOR)) / temperature for p in confidences]
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    total = sum(exps)
    return [e / total for e in exps]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TemperatureCalibrator(GraphComponent):
    """Rescales `intent_ranking` (the classifier must rank every intent: ranking_length 0)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"temperature": 1.0}

    def __init__(self, config: dict[str, Any]) -> None:
        self.temperature = float(config["temperature"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TemperatureCalibrator:
        return cls(config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        temperature = config.get("temperature", 1.0)
        if not isinstance(temperature, (int, float)) or temperature <= 0:
            raise ValueError(f"TemperatureCalibrator: temperature must be > 0, not {temperature!r}")

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY) or []
            if not ranking or self.temperature == 1.0:
                continue
            new = scaled([r[PREDICTED_CONFIDENCE_KEY] for r in ranking], self.temperature)
            ranking = [
                {**r, PREDICTED_CONFIDENCE_KEY: c} for r, c in zip(ranking, new, strict=False)
            ]
            ranking.sort(key=lambda r: -r[PREDICTED_CONFIDENCE_KEY])
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            intent = message.get(INTENT) or {}
            for r in ranking:
                if r.get("name") == intent.get("name"):
                    message.set(
                        INTENT,
                        {**intent, PREDICTED_CONFIDENCE_KEY: r[PREDICTED_CONFIDENCE_KEY]},
                        add_to_output=True,
                    )
                    break
        return messages
