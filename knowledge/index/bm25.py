"""BM25 over token lists with in-place add/remove, fast enough for ~10^6 short texts on 2 cores.

Postings are numpy arrays per token holding each text's term weight
``tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl))``, computed when the postings are
built, so a query only gathers and adds (avgdl is taken at that moment and refreshed by
``compact()``). Texts added later go to a small delta scored on the fly; removed texts are
masked out. idf = ln(1 + (N - df + 0.5) / (df + 0.5)) uses the live counts.
"""

from __future__ import annotations

import math
import pickle
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from knowledge.index.files import write_atomic


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.doc_len = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # token -> (ids, term weight)
        self.postings_tf: dict[str, np.ndarray] = {}  # token -> raw tf, to recompute weights
        self.delta: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.df: Counter[str] = Counter()
        self.n_alive = 0
        self.total_len = 0.0

    # -- building ------------------------------------------------------------------------------
    def _grow(self, size: int) -> None:
        if size > len(self.doc_len):
            cap = max(size, int(len(self.doc_len) * 1.5) + 16)
            self.doc_len = np.concatenate([self.doc_len, np.zeros(cap - len(self.doc_len), np.float32)])
            self.alive = np.concatenate([self.alive, np.zeros(cap - len(self.alive), bool)])

    def build(self, docs: list[tuple[int, list[str]]]) -> None:
        """Replace the whole index with ``(id, tokens)`` pairs."""
        self.__init__(self.k1, self.b)  # type: ignore[misc]
        grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, tokens in docs:
            self._register(doc_id, tokens, grouped)
        raw = {
            t: (
                np.fromiter((i for i, _ in p), np.int64, len(p)),
                np.fromiter((f for _, f in p), np.float32, len(p)),
            )
            for t, p in grouped.items()
        }
        self._set_postings(raw)

    def _set_postings(self, raw: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Store postings with precomputed term weights (and the raw tf to recompute them)."""
        avgdl = self.total_len / max(self.n_alive, 1)
        norm = self.k1 * (1 - self.b + self.b * self.doc_len / max(avgdl, 1e-6))
        self.postings_tf = {t: tf for t, (_, tf) in raw.items()}
        self.postings = {
            t: (ids, (tf * (self.k1 + 1) / (tf + norm[ids])).astype(np.float32))
            for t, (ids, tf) in raw.items()
        }

    def _register(self, doc_id: int, tokens: list[str], target: dict[str, list[tuple[int, int]]]) -> None:
        self._grow(doc_id + 1)
        counts = Counter(tokens)
        for token, tf in counts.items():
            target[token].append((doc_id, tf))
            self.df[token] += 1
        self.doc_len[doc_id] = len(tokens)
        self.alive[doc_id] = True
        self.n_alive += 1
        self.total_len += len(tokens)

    def add(self, doc_id: int, tokens: list[str]) -> None:
        self._register(doc_id, tokens, self.delta)

    def remove(self, doc_id: int, tokens: list[str]) -> None:
        if doc_id >= len(self.alive) or not self.alive[doc_id]:
            return
        self.alive[doc_id] = False
        self.n_alive -= 1
        self.total_len -= float(self.doc_len[doc_id])
        for token in set(tokens):
            self.df[token] -= 1

    def compact(self) -> None:
        """Fold the delta into the numpy postings and drop removed texts."""
        tokens = set(self.postings) | set(self.delta)
        merged = {}
        for t in tokens:
            ids = self.postings[t][0] if t in self.postings else np.zeros(0, np.int64)
            tf = self.postings_tf.get(t, np.zeros(0, np.float32))
            extra = self.delta.get(t)
            if extra:
                ids = np.concatenate([ids, np.array([i for i, _ in extra], np.int64)])
                tf = np.concatenate([tf, np.array([f for _, f in extra], np.float32)])
            keep = self.alive[ids]
            if keep.any():
                merged[t] = (ids[keep], tf[keep])
        self._set_postings(merged)
        self.delta = defaultdict(list)

    # -- scoring -------------------------------------------------------------------------------
    def idf(self, token: str) -> float:
        df = self.df.get(token, 0)
        return math.log(1.0 + (self.n_alive - df + 0.5) / (df + 0.5)) if df > 0 else 0.0

    def max_score(self, query: list[str]) -> float:
        """An upper bound of any text's score for ``query`` (used to put scores on a 0..1 scale)."""
        return sum(self.idf(t) * (self.k1 + 1) for t in set(query)) or 1.0

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every text id (0 for removed texts)."""
        size = len(self.doc_len)
        out = np.zeros(size, dtype=np.float32)
        if self.n_alive == 0:
            return out
        avgdl = max(self.total_len / self.n_alive, 1e-6)
        for token, qtf in Counter(query).items():
            idf = self.idf(token)
            if idf <= 0:
                continue
            if token in self.postings:
                ids, weight = self.postings[token]
                out[ids] += (idf * qtf) * weight
            if token in self.delta:
                d = self.delta[token]
                ids = np.array([i for i, _ in d], np.int64)
                tf = np.array([f for _, f in d], np.float32)
                norm = self.k1 * (1 - self.b + self.b * self.doc_len[ids] / avgdl)
                out[ids] += idf * qtf * tf * (self.k1 + 1) / (tf + norm)
        out[~self.alive[:size]] = 0.0
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        write_atomic(path, self.to_bytes())

    def to_bytes(self) -> bytes:
        """The index as it is now, for writing later (the caller may go on changing it)."""
        self.compact()
        return pickle.dumps(
            {
                "k1": self.k1,
                "b": self.b,
                "doc_len": self.doc_len,
                "alive": self.alive,
                "postings": self.postings,
                "postings_tf": self.postings_tf,
                "df": dict(self.df),
                "n_alive": self.n_alive,
                "total_len": self.total_len,
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        with path.open("rb") as fh:
            data = pickle.load(fh)
        idx = cls(data["k1"], data["b"])
        idx.doc_len, idx.alive, idx.postings = data["doc_len"], data["alive"], data["postings"]
        idx.postings_tf = data["postings_tf"]
        idx.df = Counter(data["df"])
        idx.n_alive, idx.total_len = data["n_alive"], data["total_len"]
        return idx
