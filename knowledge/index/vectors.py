"""The faiss vector index: a main segment (exact inner product up to ``hnsw_above`` vectors, HNSW
beyond) and a small flat delta for vectors added since the last fold, searched side by side.

Vectors are L2-normalised, so inner product = cosine. Ids are global and only grow: the main
segment holds ids [0, cut), the delta [cut, n_ids). Removed ids are tombstones: a bitmap of live
ids filters the main search (HNSW cannot delete), the delta is over-fetched and filtered. A copy
of the vectors is kept (float16) so an entry's best text can be scored exactly, whatever faiss
returned.

Adding never copies the main segment: the delta is small and grows by half again when full.
``fold`` (``begin_fold`` → ``run_fold`` → ``finish_fold``, the middle part off the caller's
lock) copies main + delta into a new main segment — a clone of the faiss index with the delta
added, or a rebuild when too many tombstones accumulated or the size crossed ``hnsw_above`` —
and puts it in place at once; the old main is never changed, so searches go on meanwhile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

DEFAULT_HNSW_ABOVE = 100_000
REBUILD_DEAD_SHARE = 0.25  # an HNSW main segment with more tombstones than this is rebuilt at a fold
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


def _is_hnsw(index: faiss.Index) -> bool:
    return isinstance(faiss.downcast_index(index.index), faiss.IndexHNSW)


def _stored_vectors(index: faiss.Index) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 vectors) as faiss holds them (flat, or the flat storage under HNSW)."""
    inner = faiss.downcast_index(index.index)
    flat = faiss.downcast_index(inner.storage) if isinstance(inner, faiss.IndexHNSW) else inner
    vectors = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d).copy()
    return faiss.vector_to_array(index.id_map).astype(np.int64), vectors


@dataclass
class VectorFold:
    """What a fold works from (taken under the caller's lock) and, after ``run_fold``, its result."""

    index: faiss.Index
    main16: np.ndarray
    cut: int
    delta32: np.ndarray  # ids [cut, new_cut)
    alive: np.ndarray  # ids [0, new_cut)
    new_index: faiss.Index | None = None
    new_main16: np.ndarray | None = None

    @property
    def new_cut(self) -> int:
        return self.cut + len(self.delta32)


class VectorIndex:
    def __init__(self, dim: int, hnsw_above: int = DEFAULT_HNSW_ABOVE, hnsw_m: int = 32) -> None:
        self.dim = dim
        self.hnsw_above = hnsw_above
        self.hnsw_m = hnsw_m
        self.n_ids = 0
        self.alive = np.zeros(0, dtype=bool)  # every id, may be longer than n_ids
        self.cut = 0
        self.main16 = np.zeros((0, dim), dtype=np.float16)
        self.index: faiss.Index = self._new_index(0)  # the main segment
        self._delta32 = np.zeros((0, dim), dtype=np.float32)  # may be longer than n_delta
        self.n_delta = 0
        self.delta: faiss.Index = self._new_index(0)
        self._dead_main = 0  # tombstones among ids below cut
        self._bitmap: np.ndarray | None = None  # live ids below cut, packed for faiss

    @property
    def kind(self) -> str:
        return "hnsw" if _is_hnsw(self.index) else "flat"

    def _new_index(self, expected: int) -> faiss.Index:
        if expected > self.hnsw_above:
            inner = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = 80
            inner.hnsw.efSearch = 64
        else:
            inner = faiss.IndexFlatIP(self.dim)
        return faiss.IndexIDMap(inner)

    def _grow_alive(self, size: int) -> None:
        if size > len(self.alive):
            cap = max(size, int(len(self.alive) * 1.5) + 16)
            self.alive = np.concatenate([self.alive, np.zeros(cap - len(self.alive), bool)])
        self.n_ids = max(self.n_ids, size)

    def build(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace everything with ``ids`` = 0..n-1 and their vectors, all in the main segment."""
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        self.__init__(self.dim, self.hnsw_above, self.hnsw_m)  # type: ignore[misc]
        assert (ids == np.arange(len(ids))).all(), "a build numbers its texts 0..n-1"
        self._grow_alive(len(ids))
        self.alive[: len(ids)] = True
        self.cut = len(ids)
        self.main16 = vectors.astype(np.float16)
        self.index = self._new_index(len(ids))
        with _threads(BUILD_THREADS):
            self.index.add_with_ids(vectors, ids)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """New ids (each above every id so far) go to the delta."""
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        assert ids[0] == self.cut + self.n_delta and (np.diff(ids) == 1).all(), "ids are appended in order"
        end = self.n_delta + len(ids)
        if end > len(self._delta32):
            grown = np.zeros((max(end, int(len(self._delta32) * 1.5) + 16), self.dim), np.float32)
            grown[: self.n_delta] = self._delta32[: self.n_delta]
            self._delta32 = grown
        self._delta32[self.n_delta : end] = vectors
        self.n_delta = end
        self._grow_alive(int(ids[-1]) + 1)
        self.alive[ids] = True
        self.delta.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[(ids < self.n_ids)]
        ids = ids[self.alive[ids]]
        self.alive[ids] = False
        below = int((ids < self.cut).sum())
        if below:
            self._dead_main += below
            self._bitmap = None

    @property
    def n_alive(self) -> int:
        return int(self.alive[: self.n_ids].sum())

    # -- searching ----------------------------------------------------------------------------
    def search(self, query: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``top_k`` live ids and their cosine scores, over both segments."""
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with _threads(1):
            main_ids, main_scores = self._search_main(q, top_k)
            delta_ids, delta_scores = self._search_delta(q, top_k)
        if len(delta_ids) == 0:
            return main_ids, main_scores
        ids = np.concatenate([main_ids, delta_ids])
        scores = np.concatenate([main_scores, delta_scores])
        order = np.argsort(-scores, kind="stable")[:top_k]
        return ids[order], scores[order]

    def _search_main(self, q: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.index.ntotal == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        k = min(self.index.ntotal, top_k)
        params = None
        if self._dead_main:
            if self._bitmap is None:
                self._bitmap = np.packbits(self.alive[: self.cut], bitorder="little")
            sel = faiss.IDSelectorBitmap(self.cut, faiss.swig_ptr(self._bitmap))
            params = (
                faiss.SearchParametersHNSW(
                    sel=sel, efSearch=faiss.downcast_index(self.index.index).hnsw.efSearch
                )
                if _is_hnsw(self.index)
                else faiss.SearchParameters(sel=sel)
            )
        scores, ids = self.index.search(q, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _search_delta(self, q: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.n_delta == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        dead = self.n_delta - int(self.alive[self.cut : self.cut + self.n_delta].sum())
        scores, ids = self.delta.search(q, min(self.delta.ntotal, top_k + dead))
        ids, scores = ids[0], scores[0]
        keep = (ids >= 0) & self.alive[np.clip(ids, 0, None)]
        return ids[keep][:top_k], scores[keep][:top_k]

    def stored(self, ids: np.ndarray) -> np.ndarray:
        """The kept float16 copy of each id's vector (main or delta)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.n_delta == 0:
            return self.main16[ids]
        in_main = ids < self.cut
        if in_main.all():
            return self.main16[ids]
        out = np.empty((len(ids), self.dim), np.float16)
        out[in_main] = self.main16[ids[in_main]]
        out[~in_main] = self._delta32[ids[~in_main] - self.cut].astype(np.float16)
        return out

    def exact(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return self.stored(ids).astype(np.float32) @ query.astype(np.float32)

    # -- folding the delta into the main segment ---------------------------------------------
    def begin_fold(self) -> VectorFold:
        """Take what a fold needs (call under the lock that guards changes)."""
        return VectorFold(
            self.index,
            self.main16,
            self.cut,
            self._delta32[: self.n_delta].copy(),
            self.alive[: self.cut + self.n_delta].copy(),
        )

    def run_fold(self, fold: VectorFold) -> VectorFold:
        """The slow part, off the lock; it reads the old main segment and never changes it."""
        alive, cut, new_cut = fold.alive, fold.cut, fold.new_cut
        fold.new_main16 = (
            np.concatenate([fold.main16, fold.delta32.astype(np.float16)])
            if len(fold.delta32)
            else fold.main16
        )
        dead = np.flatnonzero(~alive[:cut])
        live_new = np.flatnonzero(alive[cut:new_cut])
        n_live = int(alive.sum())
        hnsw_now = _is_hnsw(fold.index)
        rebuild = (n_live > self.hnsw_above) != hnsw_now or (
            hnsw_now and len(dead) > REBUILD_DEAD_SHARE * max(fold.index.ntotal, 1)
        )
        with _threads(BUILD_THREADS):
            if rebuild:
                ids, vectors = _stored_vectors(fold.index)
                keep = alive[ids]
                index = self._new_index(n_live)
                index.add_with_ids(
                    np.concatenate([vectors[keep], fold.delta32[live_new]]),
                    np.concatenate([ids[keep], live_new + cut]),
                )
            elif len(live_new) or (not hnsw_now and len(dead)):
                index = faiss.clone_index(fold.index)
                if not hnsw_now and len(dead):  # a flat index can drop its tombstones
                    index.remove_ids(faiss.IDSelectorBatch(dead.astype(np.int64)))
                if len(live_new):
                    index.add_with_ids(np.ascontiguousarray(fold.delta32[live_new]), live_new + cut)
            else:
                index = fold.index
        fold.new_index = index
        return fold

    def finish_fold(self, fold: VectorFold) -> None:
        """Put the new main segment in place (under the lock); vectors added meanwhile stay in the delta."""
        assert fold.new_index is not None and fold.new_main16 is not None
        folded = fold.new_cut - self.cut
        rest = self._delta32[folded : self.n_delta].copy()
        self.index, self.main16, self.cut = fold.new_index, fold.new_main16, fold.new_cut
        self._delta32, self.n_delta = rest, len(rest)
        self.delta = self._new_index(0)
        if len(rest):
            self.delta.add_with_ids(rest, np.arange(self.cut, self.cut + len(rest), dtype=np.int64))
        self._dead_main = self.cut - int(self.alive[: self.cut].sum())
        self._bitmap = None

    def fold(self) -> VectorFold:
        fold = self.run_fold(self.begin_fold())
        self.finish_fold(fold)
        return fold

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        write_main(path, self.fold())

    @classmethod
    def load(cls, path: Path, hnsw_above: int = DEFAULT_HNSW_ABOVE) -> VectorIndex:
        index = faiss.read_index(str(path))
        vi = cls(index.d, hnsw_above)
        vi.index = index
        vi.main16 = np.load(path.with_suffix(".vectors.npy"))
        alive = np.load(path.with_suffix(".alive.npy"))
        vi.cut = vi.n_ids = len(vi.main16)
        if len(alive) != vi.cut:
            raise ValueError("vectors and their live ids disagree")
        vi.alive = alive
        vi._dead_main = vi.cut - int(alive.sum())
        return vi


def write_main(path: Path, fold: VectorFold) -> None:
    """The files ``VectorIndex.load`` reads, from a finished fold (its index is never changed
    again, so it is written as it is, with no copy in memory); the faiss file through a temporary one."""
    assert fold.new_index is not None and fold.new_main16 is not None
    tmp = path.with_suffix(path.suffix + ".tmp")
    faiss.write_index(fold.new_index, str(tmp))
    tmp.replace(path)
    np.save(path.with_suffix(".vectors.npy"), fold.new_main16)
    np.save(path.with_suffix(".alive.npy"), fold.alive)
