"""The indexed texts of published guides and bundles: what the retriever searches, how a publish or
retire changes it in place, and how it is kept on disk.

Every text has a global id that only grows; an entry's texts are replaced by new ids on each
publish and the old ones become tombstones. BM25 and faiss each have a main segment and a small
delta for the texts added since the last compaction (``knowledge.index.bm25``,
``knowledge.index.vectors``); a search reads both, and scores exactly as a fresh build of the
same texts would. A publish is one ``Published`` change (a retire one ``Retired``), applied in
memory under the search lock and appended to the generation's delta log
(``knowledge.index.delta_log``): nothing on the request path is proportional to the catalogue.
When the delta reaches ``compact_share`` of the main segment (and at least ``compact_min_texts``
texts), a background thread folds it into new main segments, puts them in place in one step,
and writes a new generation of main files (``knowledge.index.files``) whose log holds only the
changes made meanwhile. Loading reads the current generation and replays its log; then the
store's published entries are compared entry by entry, and only those that differ are indexed
again.
"""

from __future__ import annotations

import fcntl
import pickle
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from foundation.logs import get_logger
from knowledge.index.bm25 import BM25Index
from knowledge.index.delta_log import Change, DeltaLog, Published, Retired
from knowledge.index.files import (
    chunks,
    generation_dir,
    new_generation_dir,
    next_generation,
    publish_generation,
    read_manifest,
    read_parts,
    remove_other_generations,
    write_parts,
)
from knowledge.index.locks import SearchLock
from knowledge.index.vectors import DEFAULT_HNSW_ABOVE, VectorIndex, write_main
from knowledge.ranking import SearchDoc
from knowledge.schema import Entry, ServiceGuide, kind_of
from knowledge.store.content import ChangeEvent, content_hash
from nlu.normalize import normalize

log = get_logger(__name__)

INDEX_FORMAT = 4  # bump when the saved index layout changes
COMPACT_MIN_TEXTS = 1000  # a delta of fewer changed texts is never compacted…
COMPACT_SHARE = 0.01  # …nor one below this share of the main segment
REBUILD_SHARE = 0.5  # at start, more entries changed than this share: build afresh instead


def entry_texts(entry: Entry) -> list[str]:
    return entry.search_texts()


def doc_of(entry: Entry) -> SearchDoc:
    if isinstance(entry, ServiceGuide):
        return SearchDoc(kind_of(entry), entry.code, entry.name, entry.department, tuple(entry.regions))
    members = tuple(g.code for g in entry.guides)  # a 一件事's guides
    return SearchDoc(kind_of(entry), entry.code, entry.name, entry.department, (), members)


def region_names(entries: Iterable[Entry]) -> dict[str, str]:
    """Words for districts and streets (with short forms: 东城 → 东城区) -> district."""
    names: dict[str, str] = {}
    for e in entries:
        if not isinstance(e, ServiceGuide):
            continue
        for district in [*e.regions, *(h.district for h in e.halls)]:
            names[district] = district
            if district.endswith("区") and len(district) > 2:
                names[district[:-1]] = district
        for h in e.halls:
            if h.street:
                names[h.street] = h.district
    return names


class IndexedCatalogue:
    """The index state of ``knowledge.retrieval.Retriever`` (its base class): needs ``embedder``,
    ``tokenizer`` and ``synonyms`` on the instance. ``_lock`` (``knowledge.index.locks``) is
    shared by searches and taken alone by every change; ``_save_lock`` orders log appends and the switch to a new generation;
    ``_compact_lock`` lets one compaction (or build, or load) run at a time."""

    def _init_index(self, index_dir: Path | None, hnsw_above: int) -> None:
        self.index_dir = index_dir
        self.hnsw_above = hnsw_above
        self.compact_min_texts = COMPACT_MIN_TEXTS
        self.compact_share = COMPACT_SHARE
        self.background_compaction = True  # False: only compact() folds (tests, benchmarks)
        self._lock = SearchLock()
        self._save_lock = threading.Lock()
        self._compact_lock = threading.Lock()
        self._compacting = False
        self._writer_lock = None  # the open lock file while this object writes the index folder
        self._read_only = False  # another process (or object) writes it: this one keeps changes in memory
        self._reset()

    def _reset(self) -> None:
        self.texts: list[str] = []
        self.text_doc = np.zeros(0, dtype=np.int64)  # text id -> doc index (-1: removed); may be longer
        self.docs: list[SearchDoc] = []
        self.doc_index: dict[tuple[str, str], int] = {}
        self.doc_texts: dict[int, list[int]] = {}
        self.doc_hash: dict[tuple[str, str], str] = {}
        self.regions: dict[str, str] = {}  # district and street words -> district, of the live guides
        self.doc_regions: dict[int, dict[str, str]] = {}  # each guide's share of them
        self._region_refs: dict[str, Counter[str]] = {}  # word -> districts, counted per guide
        self._region_order: list[str] | None = None  # longest first; rebuilt when regions change
        self.bm25 = BM25Index()
        self.vectors: VectorIndex | None = None
        self._joined: dict[int, str] = {}  # doc -> its texts normalised and joined (word coverage)
        self._name_words: Counter[str] | None = None  # words of live entries' names, built on first use
        self._seq = 0  # the last change made
        self._since_main: list[Change] = []  # changes the current generation's main files lack
        self._pending: list[Change] = []  # …of which not yet appended to its log
        self._removed_since_fold = 0
        self._generation: int | None = None  # the generation on disk that the log belongs to
        self._log: DeltaLog | None = None

    # -- building ------------------------------------------------------------------------------
    def build(self, entries: Sequence[Entry]) -> None:
        self.build_docs((doc_of(e), content_hash(e), entry_texts(e), region_names([e])) for e in entries)

    def build_docs(self, items: Iterable[tuple]) -> None:
        """Rebuild everything from ``(doc, content hash, texts[, region words])``; the one place
        that embeds in bulk."""
        with self._compact_lock, self._lock.exclusive():
            self._reset()
            docs: list[tuple[int, list[str]]] = []
            for doc, digest, texts, *regions in items:
                for tid in self._register(doc, digest, texts, regions[0] if regions else {}):
                    docs.append((tid, self._tokens(self.texts[tid])))
            self.bm25.build(docs)
            vectors = self.embedder.embed_passages(self.texts)
            self.vectors = VectorIndex(
                vectors.shape[1] if len(vectors) else self.embedder.dim, self.hnsw_above
            )
            self.vectors.build(np.arange(len(self.texts)), vectors)

    def _register(self, doc: SearchDoc, digest: str, texts: list[str], regions: dict[str, str]) -> list[int]:
        key = (doc.kind, doc.code)
        idx = self.doc_index.get(key)
        if idx is None:
            idx = len(self.docs)
            self.docs.append(doc)
            self.doc_index[key] = idx
        self.docs[idx] = doc
        self.doc_hash[key] = digest
        self._joined.pop(idx, None)
        self._count_name_words(doc.name, 1)
        if regions:
            self.doc_regions[idx] = regions
            self._count_regions(regions, 1)
        start, end = len(self.texts), len(self.texts) + len(texts)
        if end > len(self.text_doc):  # grows by half again: appending is amortised O(1)
            grown = np.full(max(end, int(len(self.text_doc) * 1.5) + 16), -1, dtype=np.int64)
            grown[:start] = self.text_doc[:start]
            self.text_doc = grown
        self.texts.extend(texts)
        self.text_doc[start:end] = idx
        ids = list(range(start, end))
        self.doc_texts[idx] = ids
        return ids

    def _tokens(self, text: str) -> list[str]:
        return self.tokenizer.tokens(self.synonyms.expand(normalize(text)))

    def _count_name_words(self, name: str, step: int) -> None:
        if self._name_words is None:
            return
        for w in self.tokenizer.words(self.synonyms.expand(normalize(name))):
            self._name_words[w] += step
            if self._name_words[w] <= 0:
                del self._name_words[w]

    def _count_regions(self, names: dict[str, str], step: int) -> None:
        for name, district in names.items():
            refs = self._region_refs.setdefault(name, Counter())
            refs[district] += step
            if refs[district] <= 0:
                del refs[district]
            if not refs:
                del self._region_refs[name]
                self.regions.pop(name, None)
            elif step > 0:
                self.regions[name] = district  # the latest guide's reading, as region_names() takes the last
            elif self.regions.get(name) not in refs:
                self.regions[name] = next(iter(refs))
        self._region_order = None

    def name_words(self) -> Counter[str]:
        """Words of the live entries' names (with formal terms added), kept up to date by changes."""
        if self._name_words is not None:  # every search asks: no lock once it is built
            return self._name_words
        with self._lock.exclusive():
            if self._name_words is None:
                vocab: Counter[str] = Counter()
                for doc in self.docs:
                    if (doc.kind, doc.code) in self.doc_hash:
                        vocab.update(self.tokenizer.words(self.synonyms.expand(normalize(doc.name))))
                self._name_words = vocab
            return self._name_words

    # -- changes -------------------------------------------------------------------------------
    def remove(self, kind: str, code: str) -> bool:
        with self._lock.exclusive():
            if (kind, code) not in self.doc_hash:
                return False
            self._change(Retired(self._seq + 1, kind, code, self._removal((kind, code))))
        self._maybe_compact()
        return True

    def upsert(self, entry: Entry) -> bool:
        """Index a published entry (replacing its old texts) without touching the rest."""
        key, digest = (kind_of(entry), entry.code), content_hash(entry)
        if self.doc_hash.get(key) == digest:
            return False
        texts = entry_texts(entry)
        vectors = np.asarray(self.embedder.embed_passages(texts), dtype=np.float32)  # the slow part
        if vectors.shape[0] != len(texts):  # checked before anything changes: no half-made change
            raise ValueError(f"{len(texts)} texts, {vectors.shape[0]} vectors")
        tokens = [self._tokens(t) for t in texts]
        regions = region_names([entry]) if isinstance(entry, ServiceGuide) else {}
        with self._lock.exclusive():
            assert self.vectors is not None
            self._change(
                Published(
                    self._seq + 1,
                    doc_of(entry),
                    digest,
                    self._removal(key),
                    len(self.texts),
                    texts,
                    tokens,
                    vectors,
                    regions,
                )
            )
        self._maybe_compact()
        return True

    def apply(self, event: ChangeEvent) -> None:
        """Store listener: publish -> upsert, retire -> remove; persist when something changed."""
        changed = False
        if event.action == "publish" and event.content is not None:
            changed = self.upsert(event.content)
        elif event.action == "retire":
            changed = self.remove(event.kind, event.code)
        if changed:
            self.save()

    def _removal(self, key: tuple[str, str]) -> list[tuple[int, list[str]]]:
        """The texts an entry has now, with their tokens (the tokenizer of this process indexed them,
        or loaded an index built with the same dictionary)."""
        idx = self.doc_index.get(key)
        if idx is None or key not in self.doc_hash:
            return []
        return [(tid, self._tokens(self.texts[tid])) for tid in self.doc_texts.get(idx, [])]

    def _change(self, change: Change) -> None:
        """Make a change (under ``_lock``) and keep it for the log."""
        self._apply(change)
        if self._writable_dir() is not None:
            self._since_main.append(change)
            self._pending.append(change)

    def _apply(self, change: Change) -> None:
        """The one place a change reaches the index: live, and when a log is replayed."""
        assert self.vectors is not None
        key = (
            (change.doc.kind, change.doc.code)
            if isinstance(change, Published)
            else (change.kind, change.code)
        )
        idx = self.doc_index.get(key)
        if idx is not None and key in self.doc_hash:
            self._count_name_words(self.docs[idx].name, -1)
            self._count_regions(self.doc_regions.pop(idx, {}), -1)
            self.doc_texts.pop(idx, None)
            self.doc_hash.pop(key)
        removed = [tid for tid, _ in change.removed]
        for tid, tokens in change.removed:
            self.bm25.remove(tid, tokens)
        if removed:
            self.vectors.remove(np.array(removed, dtype=np.int64))
            self.text_doc[removed] = -1
            self._removed_since_fold += len(removed)
        if isinstance(change, Published):
            if change.first_id != len(self.texts):
                raise ValueError(
                    f"change {change.seq} starts at text {change.first_id}, the index has {len(self.texts)}"
                )
            ids = self._register(change.doc, change.digest, change.texts, change.regions)
            for tid, tokens in zip(ids, change.tokens, strict=True):
                self.bm25.add(tid, tokens)
            self.vectors.add(np.array(ids, dtype=np.int64), change.vectors)
        self._seq = change.seq

    # -- compaction ----------------------------------------------------------------------------
    def _needs_compaction(self) -> bool:
        if self.vectors is None:
            return False
        changed = self.vectors.n_delta + self._removed_since_fold
        return changed >= max(self.compact_min_texts, int(self.compact_share * self.vectors.cut))

    def _maybe_compact(self) -> None:
        if not self.background_compaction:
            return
        with self._lock.exclusive():
            if self._compacting or not self._needs_compaction():
                return
            self._compacting = True
        threading.Thread(target=self._compact_in_background, name="index-compaction", daemon=True).start()

    def _compact_in_background(self) -> None:
        try:
            self.compact()
        except Exception as exc:  # the delta stays and is searched as it is; the next change retries
            log.exception("index compaction failed", error=type(exc).__name__)
        finally:
            with self._lock.exclusive():
                self._compacting = False

    def compact(self) -> bool:
        """Fold the deltas into new main segments and write them as a new generation of files.
        Only taking the deltas and putting the result in place hold the search lock; folding and
        writing run beside searches and publishes. False when there was nothing to do."""
        folder = self._writable_dir()
        with self._compact_lock:
            with self._lock.exclusive():
                if self.vectors is None:
                    return False
                if (
                    self.vectors.n_delta == 0
                    and self._removed_since_fold == 0
                    and (folder is None or self._generation is not None)
                ):
                    return False
                vector_fold = self.vectors.begin_fold()
                bm25_fold = self.bm25.begin_fold()
                assert vector_fold.new_cut == bm25_fold.cut == len(self.texts)
                meta = self._meta(bm25_fold.cut)
                seq = self._seq
                self._removed_since_fold = 0
            self.vectors.run_fold(vector_fold)
            BM25Index.run_fold(bm25_fold)
            with self._lock.exclusive():
                self.vectors.finish_fold(vector_fold)
                self.bm25.finish_fold(bm25_fold)
            if folder is None:
                return True
            generation = next_generation(folder)
            tmp = new_generation_dir(folder, generation)
            write_parts(tmp / "bm25.pkl", self.bm25.main_parts(bm25_fold))
            write_main(tmp / "vectors.faiss", vector_fold)
            write_parts(tmp / "texts.pkl", self._meta_parts(meta, seq))
            with self._save_lock:
                with self._lock.exclusive():
                    later = [c for c in self._since_main if c.seq > seq]
                    self._since_main, self._pending = list(later), []
                DeltaLog(tmp / "delta.log").write(later)
                manifest = {
                    "format": INDEX_FORMAT,
                    "model": self.embedder.name,
                    "generation": generation,
                    "seq": seq,
                }
                final = publish_generation(folder, tmp, manifest)
                self._generation, self._log = generation, DeltaLog(final / "delta.log")
            remove_other_generations(folder, generation)
        return True

    def _meta(self, cut: int) -> dict:
        """Shallow copies of the texts and entries as of now (under ``_lock``: lists and dicts are
        replaced, never changed in place, so copying them is enough); ``_meta_parts`` writes them later."""
        return {
            "texts": self.texts[:cut],
            "text_doc": self.text_doc[:cut].copy(),
            "docs": list(self.docs),
            "doc_texts": dict(self.doc_texts),
            "doc_hash": dict(self.doc_hash),
            "doc_regions": dict(self.doc_regions),
        }

    @staticmethod
    def _meta_parts(meta: dict, seq: int) -> Iterator[object]:
        """The texts file in parts: the entries, the text ids' entries, then the texts in chunks."""
        yield {
            "seq": seq,
            "n_texts": len(meta["texts"]),
            "text_doc": meta["text_doc"],
            "docs": meta["docs"],
            "doc_texts": meta["doc_texts"],
            "doc_hash": [[k[0], k[1], v] for k, v in meta["doc_hash"].items()],
            "doc_regions": meta["doc_regions"],
        }
        yield from chunks(meta["texts"], 20_000)

    @staticmethod
    def _read_meta(path: Path) -> dict:
        parts = read_parts(path)
        meta = next(parts)
        meta["texts"] = [t for part in parts for t in part]
        if len(meta["texts"]) != meta["n_texts"]:
            raise ValueError(f"{path}: {len(meta['texts'])} texts, {meta['n_texts']} expected")
        return meta

    # -- persistence ---------------------------------------------------------------------------
    def _dir(self) -> Path | None:
        return self.index_dir / self.embedder.name if self.index_dir else None

    def _writable_dir(self) -> Path | None:
        """The index folder if this object is its one writer (claimed once, kept for its life):
        two writers would interleave their logs. A second process sharing the folder (``yichuang
        search`` beside the server) loads it and keeps its own changes in memory."""
        folder = self._dir()
        if folder is None or self._read_only:
            return None
        if self._writer_lock is None:
            folder.mkdir(parents=True, exist_ok=True)
            fh = (folder / "writer.lock").open("a+b")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                self._read_only = True
                log.info(
                    "index folder written by another process; changes stay in memory", folder=str(folder)
                )
                return None
            self._writer_lock = fh
            weakref.finalize(self, fh.close)  # the lock is held for this object's life
        return folder

    def save(self) -> None:
        """Persist the changes: appended to the current generation's log (a few KB per publish).
        With no generation on disk yet, the whole index is written as the first one."""
        folder = self._writable_dir()
        if folder is None or self.vectors is None:
            return
        if self._generation is None:
            self.compact()  # the first generation (it takes every change made so far)
        with self._save_lock:
            with self._lock.exclusive():
                pending, self._pending = self._pending, []
                target = self._log
            if target is not None:
                target.append(pending)

    def _load(self) -> bool:
        """The current generation's main files and its log replayed; False when there is none or it
        is damaged (it is then rebuilt, never trusted)."""
        folder = self._dir()
        manifest = read_manifest(folder) if folder else None
        if (
            folder is None
            or not manifest
            or manifest.get("format") != INDEX_FORMAT
            or manifest.get("model") != self.embedder.name
        ):
            return False
        try:
            gen = generation_dir(folder, int(manifest["generation"]))
            meta = self._read_meta(gen / "texts.pkl")
            bm25 = BM25Index.load(gen / "bm25.pkl")
            vectors = VectorIndex.load(gen / "vectors.faiss", self.hnsw_above)
            changes = DeltaLog(gen / "delta.log").read(repair=self._writable_dir() is not None)
            if not (meta["seq"] == manifest["seq"] and len(meta["texts"]) == bm25.n_ids == vectors.cut):
                return False
        except (
            OSError,
            ValueError,
            KeyError,
            TypeError,
            RuntimeError,
            EOFError,
            StopIteration,
            pickle.UnpicklingError,
        ):
            return False
        with self._compact_lock, self._lock.exclusive():
            self._reset()
            self.texts = meta["texts"]
            self.text_doc = meta["text_doc"]
            self.docs = meta["docs"]
            self.doc_index = {(d.kind, d.code): i for i, d in enumerate(self.docs)}
            self.doc_texts = meta["doc_texts"]
            self.doc_hash = {(k, c): h for k, c, h in meta["doc_hash"]}
            for k, names in meta["doc_regions"].items():
                self.doc_regions[k] = names
                self._count_regions(names, 1)
            self.bm25, self.vectors = bm25, vectors
            self._seq = meta["seq"]
            try:
                for change in changes:
                    if change.seq > self._seq:
                        self._apply(change)
                        self._since_main.append(change)
            except (ValueError, KeyError, IndexError, AttributeError, AssertionError):
                self._reset()
                return False
            self._generation, self._log = int(manifest["generation"]), DeltaLog(gen / "delta.log")
        return True

    def _catch_up_with(self, entries: Sequence[Entry]) -> None:
        """After a load: index again only the entries whose content differs from what was saved
        (publishes the log missed), drop the ones no longer published. Many changes: build afresh."""
        wanted = {(kind_of(e), e.code): e for e in entries}
        stale = [e for key, e in wanted.items() if self.doc_hash.get(key) != content_hash(e)]
        gone = [key for key in self.doc_hash if key not in wanted]
        if len(stale) + len(gone) > REBUILD_SHARE * max(len(wanted), 1):
            self.build(entries)
            return
        for kind, code in gone:
            self.remove(kind, code)
        for entry in stale:
            self.upsert(entry)

    @property
    def size(self) -> dict[str, int]:
        return {
            "entries": len(self.doc_hash),
            "texts": int((self.text_doc[: len(self.texts)] >= 0).sum()),
            "guides": sum(1 for k in self.doc_hash if k[0] == "guide"),
            "bundles": sum(1 for k in self.doc_hash if k[0] == "bundle"),
        }


__all__ = ["DEFAULT_HNSW_ABOVE", "IndexedCatalogue", "doc_of", "entry_texts", "region_names"]
