"""Rasa intent classifier for Chinese: logistic regression over words, characters and meaning.

The sparse sentence features (character 1–3-grams, jieba words, regex hits) carry the wording
("一件事", "预约", "投诉"); the e5 sentence embedding carries the meaning of words never seen in
training ("拜拜" near "再见"). Rasa's SklearnIntentClassifier sees only the dense feature and
DIET's intent head overfits ~1,300 examples, so this component joins both: the sparse part is
TF-IDF weighted (sublinear) and L2-normalised, the dense part scaled by ``dense_weight``, and a
multinomial logistic regression gives calibrated probabilities for the FallbackClassifier.

The model is saved as plain arrays (``.npz`` + JSON), never pickled. Imported only by the Rasa
process (``.venv-rasa``, see ``config.yml``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def _features(message: Message) -> tuple[sp.csr_matrix | None, np.ndarray | None]:
    _, sparse = message.get_sparse_features(TEXT)
    _, dense = message.get_dense_features(TEXT)
    return (
        sp.csr_matrix(sparse.features) if sparse is not None else None,
        np.asarray(dense.features, dtype=np.float64).reshape(1, -1) if dense is not None else None,
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class WordsAndMeaningClassifier(GraphComponent, IntentClassifier):
    """Multinomial logistic regression over TF-IDF sparse + scaled dense sentence features."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 10.0, "dense_weight": 3.0, "max_iter": 5000, "random_seed": 0}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config["C"]) <= 0 or float(config["dense_weight"]) < 0:
            raise ValueError("WordsAndMeaningClassifier: C must be > 0 and dense_weight ≥ 0")

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(self, config: dict[str, Any], storage: ModelStorage, resource: Resource) -> None:
        self._config = config
        self._storage = storage
        self._resource = resource
        self.classes: list[str] = []
        self.idf: np.ndarray | None = None
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> WordsAndMeaningClassifier:
        return cls(config, model_storage, resource)

    # -- features ---------------------------------------------------------------------------
    def _matrix(self, parts: list[tuple[sp.csr_matrix | None, np.ndarray | None]]) -> sp.csr_matrix:
        """``parts``: each message's (sparse, dense) sentence features."""
        sparse = [p[0] for p in parts]
        dense = [p[1] for p in parts]
        blocks = []
        if sparse[0] is not None:
            x = sp.vstack(sparse).tocsr().astype(np.float64)
            x.data = 1.0 + np.log(np.maximum(x.data, 1e-12))  # sublinear term frequency
            if self.idf is not None and self.idf.shape[0] == x.shape[1]:
                x = x.multiply(self.idf.reshape(1, -1)).tocsr()
            norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
            norms[norms == 0] = 1.0
            blocks.append(sp.diags(1.0 / norms) @ x)
        if dense[0] is not None:
            blocks.append(sp.csr_matrix(np.vstack(dense) * float(self._config["dense_weight"])))
        return sp.hstack(blocks).tocsr()

    # -- training ---------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.features_present(TEXT, None)]
        labels = [e.get(INTENT) for e in examples]
        if len(set(labels)) < 2:
            raise ValueError("WordsAndMeaningClassifier needs at least two intents with examples")
        parts = [_features(e) for e in examples]
        if parts[0][0] is not None:
            counts = sp.vstack([p[0] for p in parts]).tocsr()
            df = np.bincount(counts.indices, minlength=counts.shape[1])
            self.idf = np.log((1 + len(examples)) / (1 + df)) + 1.0
        x = self._matrix(parts)
        model = LogisticRegression(
            C=float(self._config["C"]),
            max_iter=int(self._config["max_iter"]),
            random_state=int(self._config["random_seed"]),
        ).fit(x, labels)
        self.classes = [str(c) for c in model.classes_]
        self.coef, self.intercept = model.coef_, model.intercept_
        self.persist()
        return self._resource

    def probabilities(self, messages: list[Message]) -> np.ndarray:
        scores = self._matrix([_features(m) for m in messages]) @ self.coef.T + self.intercept
        scores = np.asarray(scores)
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self.coef is None or not message.features_present(TEXT, None):
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            probs = self.probabilities([message])[0]
            order = np.argsort(-probs)[:LABEL_RANKING_LENGTH]
            ranking = [{"name": self.classes[i], "confidence": float(probs[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    # -- storage ----------------------------------------------------------------------------
    def persist(self) -> None:
        with self._storage.write_to(self._resource) as folder:
            arrays = {"coef": self.coef, "intercept": self.intercept}
            if self.idf is not None:
                arrays["idf"] = self.idf
            np.savez(folder / "model.npz", **arrays)
            (folder / "classes.json").write_text(json.dumps(self.classes, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> WordsAndMeaningClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as folder:
                with np.load(folder / "model.npz", allow_pickle=False) as data:
                    component.coef, component.intercept = data["coef"], data["intercept"]
                    component.idf = data["idf"] if "idf" in data else None
                component.classes = json.loads((folder / "classes.json").read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError, OSError):
            pass  # not trained (e.g. no NLU data): process() leaves the intent empty
        return component
