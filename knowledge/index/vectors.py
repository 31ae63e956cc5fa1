"""The faiss vector index: exact inner product up to ``hnsw_above`` vectors, HNSW beyond.

Vectors are L2-normalised, so inner product = cosine. Removed ids are masked (HNSW
cannot delete); ``rebuild`` drops them when the index is rebuilt. A copy of the vectors
is kept (float16) so an entry's best text can be scored exactly, whatever faiss returned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from knowledge.index.files import write_atomic

DEFAULT_HNSW_ABOVE = 100_000
BUILD_THREADS = os.cpu_count() or 1


class _threads:
    """faiss threads for a block: many to build; one to answer a single query, where extra
    OpenMP threads only contend (measured on 2 cores: p95 41 ms -> 24 ms per search)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __enter__(self) -> None:
        faiss.omp_set_num_threads(self.n)

    def __exit__(self, *exc) -> None:
        faiss.omp_set_num_threads(1)


def semantic_search(query: np.ndarray, corpus: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Pure-numpy top-k by inner product (reference for tests and small corpora)."""
    scores = corpus @ query
    k = min(top_k, len(scores))
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    top = np.argpartition(-scores, k - 1)[:k]
    order = top[np.argsort(-scores[top])]
    return order, scores[order]


class VectorIndex:
    def __init__(self, dim: int, hnsw_above: int = DEFAULT_HNSW_ABOVE, hnsw_m: int = 32) -> None:
        self.dim = dim
        self.hnsw_above = hnsw_above
        self.hnsw_m = hnsw_m
        self.vectors = np.zeros((0, dim), dtype=np.float16)
        self.alive = np.zeros(0, dtype=bool)
        self.index: faiss.Index = self._new_index(0)

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(faiss.downcast_index(self.index.index), faiss.IndexHNSW) else "flat"

    def _new_index(self, expected: int) -> faiss.Index:
        if expected > self.hnsw_above:
            inner = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = 80
            inner.hnsw.efSearch = 64
        else:
            inner = faiss.IndexFlatIP(self.dim)
        return faiss.IndexIDMap(inner)

    def _grow(self, size: int) -> None:
        if size > len(self.alive):
            cap = max(size, int(len(self.alive) * 1.5) + 16)
            vec = np.zeros((cap, self.dim), dtype=np.float16)
            vec[: len(self.vectors)] = self.vectors
            self.vectors = vec
            self.alive = np.concatenate([self.alive, np.zeros(cap - len(self.alive), bool)])

    def build(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.vectors = np.zeros((0, self.dim), dtype=np.float16)
        self.alive = np.zeros(0, dtype=bool)
        self.index = self._new_index(len(ids))
        self.add(ids, vectors)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._grow(int(ids.max()) + 1)
        self.vectors[ids] = vectors.astype(np.float16)
        self.alive[ids] = True
        with _threads(BUILD_THREADS):
            self.index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[ids < len(self.alive)]
        self.alive[ids] = False

    @property
    def n_alive(self) -> int:
        return int(self.alive.sum())

    def search(self, query: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``top_k`` live ids and their cosine scores."""
        if self.index.ntotal == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        dead = self.index.ntotal - self.n_alive
        k = min(self.index.ntotal, top_k + dead if dead < 4 * top_k else top_k * 4)
        with _threads(1):
            scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        ids, scores = ids[0], scores[0]
        keep = (ids >= 0) & self.alive[np.clip(ids, 0, None)]
        return ids[keep][:top_k], scores[keep][:top_k]

    def exact(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return self.vectors[ids].astype(np.float32) @ query.astype(np.float32)

    def rebuild(self) -> None:
        """Drop removed ids from faiss (HNSW cannot delete in place)."""
        ids = np.flatnonzero(self.alive)
        vectors = self.vectors[ids].astype(np.float32)
        self.index = self._new_index(len(ids))
        with _threads(BUILD_THREADS):
            self.index.add_with_ids(vectors, ids.astype(np.int64))

    def save(self, path: Path) -> None:
        self.snapshot().write(path)

    def snapshot(self) -> Snapshot:
        """The index as it is now, in memory, for writing later (the caller may go on changing it)."""
        return Snapshot(faiss.serialize_index(self.index), self.vectors.copy(), self.alive.copy())

    @classmethod
    def load(cls, path: Path, hnsw_above: int = DEFAULT_HNSW_ABOVE) -> VectorIndex:
        index = faiss.read_index(str(path))
        vi = cls(index.d, hnsw_above)
        vi.index = index
        vi.vectors = np.load(path.with_suffix(".vectors.npy"))
        vi.alive = np.load(path.with_suffix(".alive.npy"))
        return vi


@dataclass(frozen=True)
class Snapshot:
    index: np.ndarray  # faiss.serialize_index: the bytes write_index would write
    vectors: np.ndarray
    alive: np.ndarray

    def write(self, path: Path) -> None:
        """The files ``VectorIndex.load`` reads; the faiss file through a temporary one."""
        write_atomic(path, self.index.tobytes())
        np.save(path.with_suffix(".vectors.npy"), self.vectors)
        np.save(path.with_suffix(".alive.npy"), self.alive)
