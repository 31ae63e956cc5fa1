"""Test doubles for the model backend (unit tests never load a real model)."""

from __future__ import annotations

import hashlib
import time

import numpy as np

from knowledge.retrieval import Thresholds


class HashEmbedder:
    """Character uni- and bigrams hashed into a fixed space: similar wording, similar vectors."""

    name = "stub"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls = 0

    def warm_up(self) -> None:
        pass

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        chars = [c for c in text if not c.isspace()]
        grams = chars + [a + b for a, b in zip(chars, chars[1:], strict=False)]
        for g in grams:
            v[int(hashlib.md5(g.encode()).hexdigest(), 16) % self.dim] += 1.0
        v += 0.05  # a shared component: unrelated texts are not orthogonal, like real models
        return v / np.linalg.norm(v)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    embed_passages = embed_queries


STUB_THRESHOLDS = Thresholds(
    dense_weight=0.5,
    dense_low=0.3,
    dense_high=0.9,
    none_below=0.2,
    none_dense_below=0.45,
    answer_above=0.5,
    margin=0.08,
)


def until(check, within: float = 30.0, step: float = 0.2):
    """``check()`` again every ``step`` seconds until it gives something true or ``within`` passes."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    return check()
