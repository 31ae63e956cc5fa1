"""BM25 over token lists: a main segment of numpy postings, a small delta for texts added since the
last fold, tombstones for removed texts — fast enough for ~10^6 short texts on 2 cores.

The main postings hold each text's raw term frequency per token and stay fixed between folds;
texts added later go to the delta (token -> [(id, tf)]); removed texts are masked out.
``fold()`` merges the delta into new main postings (in three steps, so the slow middle one can
run off the caller's lock: ``begin_fold`` → ``run_fold`` → ``finish_fold``).

Scores are always those of a freshly built index over the live texts: idf =
ln(1 + (N - df + 0.5) / (df + 0.5)) uses the live counts, and the term weight
``tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl))`` the live average length. The main
segment's weights are cached per token with the average length they were computed for, so
between publishes a query only gathers and adds; the first query after a publish recomputes the
weights of its own tokens.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.index.files import chunks, read_parts, write_parts

Postings = dict[str, tuple[np.ndarray, np.ndarray]]  # token -> (ids int64, tf float32)


@dataclass
class BM25Fold:
    """What a fold works from, taken under the caller's lock (the main postings are never changed
    in place, so a reference is enough)."""

    main: Postings
    delta: dict[str, list[tuple[int, int]]]
    touched: set[str]  # main tokens whose texts were removed since the last fold
    alive: np.ndarray  # ids [0, cut)
    cut: int
    state: dict = field(default_factory=dict)  # lengths and counts as of the fold, for saving
    merged: Postings | None = None  # the result of run_fold


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n_ids = 0  # ids in use are [0, n_ids); the arrays below may be longer
        self.doc_len = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self.postings: Postings = {}  # the main segment
        self.delta: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.touched: set[str] = set()
        self.df: Counter[str] = Counter()
        self.n_alive = 0
        self.total_len = 0.0
        self._weights: dict[str, tuple[float, np.ndarray]] = {}  # token -> (avgdl, main weights)

    # -- building ------------------------------------------------------------------------------
    def _grow(self, size: int) -> None:
        """Room for ids below ``size``; grows by half again, so adding one text is amortised O(1)."""
        if size > len(self.doc_len):
            cap = max(size, int(len(self.doc_len) * 1.5) + 16)
            self.doc_len = np.concatenate([self.doc_len, np.zeros(cap - len(self.doc_len), np.float32)])
            self.alive = np.concatenate([self.alive, np.zeros(cap - len(self.alive), bool)])
        self.n_ids = max(self.n_ids, size)

    def build(self, docs: list[tuple[int, list[str]]]) -> None:
        """Replace the whole index with ``(id, tokens)`` pairs."""
        self.__init__(self.k1, self.b)  # type: ignore[misc]
        grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, tokens in docs:
            self._register(doc_id, tokens, grouped)
        self.postings = {
            t: (
                np.fromiter((i for i, _ in p), np.int64, len(p)),
                np.fromiter((f for _, f in p), np.float32, len(p)),
            )
            for t, p in grouped.items()
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
        if doc_id >= self.n_ids or not self.alive[doc_id]:
            return
        self.alive[doc_id] = False
        self.n_alive -= 1
        self.total_len -= float(self.doc_len[doc_id])
        for token in set(tokens):
            self.df[token] -= 1
            if self.df[token] <= 0:
                del self.df[token]
            if token in self.postings:
                self.touched.add(token)

    # -- folding the delta into the main postings ----------------------------------------------
    @property
    def delta_size(self) -> int:
        return sum(len(p) for p in self.delta.values())

    def begin_fold(self) -> BM25Fold:
        """Take what a fold needs (call under the lock that guards changes)."""
        fold = BM25Fold(
            main=self.postings,
            delta={t: list(p) for t, p in self.delta.items()},
            touched=self.touched,
            alive=self.alive[: self.n_ids].copy(),
            cut=self.n_ids,
            state={
                "doc_len": self.doc_len[: self.n_ids].copy(),
                "df": dict(self.df),
                "n_alive": self.n_alive,
                "total_len": self.total_len,
            },
        )
        self.touched = set()
        return fold

    @staticmethod
    def run_fold(fold: BM25Fold) -> BM25Fold:
        """The slow part, off the lock: new arrays only for tokens that gained or lost texts."""
        merged = dict(fold.main)
        for t in set(fold.delta) | fold.touched:
            ids, tf = fold.main.get(t, (np.zeros(0, np.int64), np.zeros(0, np.float32)))
            extra = fold.delta.get(t)
            if extra:
                ids = np.concatenate([ids, np.fromiter((i for i, _ in extra), np.int64, len(extra))])
                tf = np.concatenate([tf, np.fromiter((f for _, f in extra), np.float32, len(extra))])
            keep = fold.alive[ids]
            if keep.all():
                merged[t] = (ids, tf)
            elif keep.any():
                merged[t] = (ids[keep], tf[keep])
            else:
                merged.pop(t, None)
        fold.merged = merged
        return fold

    def finish_fold(self, fold: BM25Fold) -> None:
        """Put the merged postings in place (under the lock); texts added meanwhile stay in the delta."""
        assert fold.merged is not None
        for t in set(fold.delta) | fold.touched:
            self._weights.pop(t, None)
        self.postings = fold.merged
        rest: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for t, p in self.delta.items():
            later = [(i, f) for i, f in p if i >= fold.cut]
            if later:
                rest[t] = later
        self.delta = rest

    def fold(self) -> BM25Fold:
        fold = self.run_fold(self.begin_fold())
        self.finish_fold(fold)
        return fold

    # -- scoring -------------------------------------------------------------------------------
    def idf(self, token: str) -> float:
        df = self.df.get(token, 0)
        return math.log(1.0 + (self.n_alive - df + 0.5) / (df + 0.5)) if df > 0 else 0.0

    def max_score(self, query: list[str]) -> float:
        """An upper bound of any text's score for ``query`` (used to put scores on a 0..1 scale)."""
        return sum(self.idf(t) * (self.k1 + 1) for t in set(query)) or 1.0

    def _weight(self, tf: np.ndarray, ids: np.ndarray, avgdl: float) -> np.ndarray:
        # one expression for both segments, in float32: a text scores the same in either
        return tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * self.doc_len[ids] / avgdl))

    def _main_weight(self, token: str, ids: np.ndarray, tf: np.ndarray, avgdl: float) -> np.ndarray:
        cached = self._weights.get(token)
        if cached is not None and cached[0] == avgdl:
            return cached[1]
        weight = self._weight(tf, ids, avgdl)
        self._weights[token] = (avgdl, weight)
        return weight

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every text id (0 for removed texts). Callers serialise calls with changes."""
        out = np.zeros(self.n_ids, dtype=np.float32)
        if self.n_alive == 0:
            return out
        avgdl = max(self.total_len / self.n_alive, 1e-6)
        for token, qtf in Counter(query).items():
            idf = self.idf(token)
            if idf <= 0:
                continue
            scale = idf * qtf
            if token in self.postings:
                ids, tf = self.postings[token]
                out[ids] += scale * self._main_weight(token, ids, tf, avgdl)
            extra = self.delta.get(token)
            if extra:
                ids = np.fromiter((i for i, _ in extra), np.int64, len(extra))
                tf = np.fromiter((f for _, f in extra), np.float32, len(extra))
                out[ids] += scale * self._weight(tf, ids, avgdl)
        out[~self.alive[: self.n_ids]] = 0.0
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        write_parts(path, self.main_parts(self.fold()))

    def main_parts(self, fold: BM25Fold) -> Iterator[object]:
        """A folded index as of ``fold`` (main postings only: the delta was folded into them), in
        parts: lengths and counts, then the postings a few thousand tokens at a time."""
        assert fold.merged is not None
        yield {"k1": self.k1, "b": self.b, "alive": fold.alive, **fold.state}
        yield from chunks(list(fold.merged.items()), 4096)

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        parts = read_parts(path)
        data = next(parts)
        idx = cls(data["k1"], data["b"])
        idx.doc_len, idx.alive = data["doc_len"], data["alive"]
        idx.postings = {t: p for part in parts for t, p in part}
        idx.n_ids = len(idx.doc_len)
        idx.df = Counter(data["df"])
        idx.n_alive, idx.total_len = data["n_alive"], data["total_len"]
        return idx
