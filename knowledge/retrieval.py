"""Retrieval: a citizen's words -> ranked guides and bundles, and a decision (answer / clarify / none).

Each guide or bundle contributes short texts (name, aliases, 相似问, FAQ questions). The
question is normalised, colloquial words are expanded to formal terms, then:
- dense: cosine between the question and every text (faiss), an entry's score is its best text's;
- BM25: over jieba words + character bigrams of the same texts, an entry's score is its best text's;
- fused: ``w * dense' + (1 - w) * bm25'`` where dense' maps the model's cosine range to 0..1 and
  bm25' divides by the query's maximum possible score. Both parts are absolute (not rank
  based), so calibrated thresholds carry over between questions.
The decision: "none" when even the best dense cosine is low (lexical overlap alone, as in
燃气味道很大 vs 燃气报装, does not make a question in scope; on the dev set the dense score
separates off-topic questions far better than the fused one); otherwise "answer" when the
top fused score is high and clearly ahead of the second, else "clarify".
Region hints (区/街道 in the question, or given) drop entries that serve other districts only.
A long message is embedded together with its question clause (``nlu.clauses``), so the story
before the question weighs less. When a learned re-ranker/decision is given (``knowledge.ranker``,
trained on the dev questions), it re-orders the fused top candidates and decides instead of the
static thresholds.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from knowledge.index.bm25 import BM25Index
from knowledge.index.files import write_index_files
from knowledge.index.vectors import DEFAULT_HNSW_ABOVE, VectorIndex
from knowledge.ranking import Hit, Mode, SearchDoc, SearchResult, Thresholds, decide
from knowledge.schema import Entry, ServiceGuide, kind_of
from knowledge.store.content import ChangeEvent, content_hash
from nlu.clauses import LONG_MESSAGE, question_focus
from nlu.normalize import normalize
from nlu.synonyms import SynonymTable
from nlu.tokenizer import ChineseTokenizer

INDEX_FORMAT = 2  # bump when the saved index layout changes
CANDIDATES = 60


def index_fingerprint(model: str, items: Iterable[tuple[str, str, str]]) -> str:
    """Identifies what an index holds: format, model, and each entry's (kind, code, content hash)."""
    h = hashlib.sha256(f"{INDEX_FORMAT}:{model}".encode())
    for kind, code, digest in sorted(items, key=lambda item: (item[1], item[0])):
        h.update(f"{kind}:{code}:{digest}".encode())
    return h.hexdigest()


def entry_texts(entry: Entry) -> list[str]:
    return entry.search_texts()


def doc_of(entry: Entry) -> SearchDoc:
    regions = tuple(entry.regions) if isinstance(entry, ServiceGuide) else ()
    return SearchDoc(kind_of(entry), entry.code, entry.name, entry.department, regions)


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


class Retriever:
    """``warm_up(entries)`` builds (or loads) the index; ``search`` answers; ``apply`` updates in place."""

    def __init__(
        self,
        embedder,
        tokenizer: ChineseTokenizer,
        synonyms: SynonymTable,
        thresholds: Thresholds | None = None,
        index_dir: Path | None = None,
        hnsw_above: int = DEFAULT_HNSW_ABOVE,
        learned=None,
    ) -> None:
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.synonyms = synonyms
        self.thresholds = thresholds or Thresholds()
        self.index_dir = index_dir
        self.hnsw_above = hnsw_above
        self.learned = learned  # knowledge.ranker.LearnedDecision, or None for the static thresholds
        self._lock = threading.RLock()
        self._save_lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.texts: list[str] = []
        self.text_doc = np.zeros(0, dtype=np.int64)  # text id -> doc index (-1: removed)
        self.docs: list[SearchDoc] = []
        self.doc_index: dict[tuple[str, str], int] = {}
        self.doc_texts: dict[int, list[int]] = {}
        self.doc_hash: dict[tuple[str, str], str] = {}
        self.regions: dict[str, str] = {}
        self._region_order: list[str] | None = None  # longest first; rebuilt when regions change
        self.bm25 = BM25Index()
        self.vectors: VectorIndex | None = None
        self._joined: dict[int, str] = {}  # doc -> its texts normalised and joined (word coverage)
        self._name_words: set[str] | None = None  # words of the entries' names (defining_words)

    # -- building --------------------------------------------------------------------------
    def warm_up(self, entries: Sequence[Entry]) -> None:
        self.tokenizer.warm_up()
        self.embedder.warm_up()
        fingerprint = self._fingerprint(entries)
        if self.index_dir and self._load(fingerprint):
            return
        self.build(entries)
        self.save()

    def _fingerprint(self, entries: Sequence[Entry]) -> str:
        return index_fingerprint(self.embedder.name, ((kind_of(e), e.code, content_hash(e)) for e in entries))

    def build(self, entries: Sequence[Entry]) -> None:
        self.build_docs((doc_of(e), content_hash(e), entry_texts(e)) for e in entries)
        self.regions, self._region_order = region_names(entries), None

    def build_docs(self, items: Iterable[tuple[SearchDoc, str, list[str]]]) -> None:
        """Rebuild everything from ``(doc, content hash, texts)``; the one place that embeds in bulk."""
        with self._lock:
            self._reset()
            docs: list[tuple[int, list[str]]] = []
            for doc, digest, texts in items:
                for tid in self._register(doc, digest, texts):
                    docs.append((tid, self._tokens(self.texts[tid])))
            self.bm25.build(docs)
            vectors = self.embedder.embed_passages(self.texts)
            self.vectors = VectorIndex(
                vectors.shape[1] if len(vectors) else self.embedder.dim, self.hnsw_above
            )
            self.vectors.build(np.arange(len(self.texts)), vectors)

    def _register(self, doc: SearchDoc, digest: str, texts: list[str]) -> list[int]:
        key = (doc.kind, doc.code)
        idx = self.doc_index.get(key)
        if idx is None:
            idx = len(self.docs)
            self.docs.append(doc)
            self.doc_index[key] = idx
        self.docs[idx] = doc
        self.doc_hash[key] = digest
        self._joined.pop(idx, None)
        self._name_words = None
        start = len(self.texts)
        self.texts.extend(texts)
        ids = list(range(start, start + len(texts)))
        self.text_doc = np.concatenate([self.text_doc, np.full(len(ids), idx, dtype=np.int64)])
        self.doc_texts[idx] = ids
        return ids

    def _tokens(self, text: str) -> list[str]:
        return self.tokenizer.tokens(self.synonyms.expand(normalize(text)))

    # -- in-place updates --------------------------------------------------------------------
    def remove(self, kind: str, code: str) -> bool:
        with self._lock:
            idx = self.doc_index.get((kind, code))
            if idx is None or (kind, code) not in self.doc_hash:
                return False
            old = self.doc_texts.pop(idx, [])
            for tid in old:
                self.bm25.remove(tid, self._tokens(self.texts[tid]))
            if self.vectors is not None:
                self.vectors.remove(np.array(old, dtype=np.int64))
            self.text_doc[old] = -1
            self.doc_hash.pop((kind, code), None)
            self._name_words = None
            return True

    def upsert(self, entry: Entry) -> bool:
        """Index a published entry (replacing its old texts) without touching the rest."""
        key = (kind_of(entry), entry.code)
        if self.doc_hash.get(key) == content_hash(entry):
            return False
        vectors = self.embedder.embed_passages(entry_texts(entry))  # outside the lock: the slow part
        with self._lock:
            self.remove(*key)
            ids = self._register(doc_of(entry), content_hash(entry), entry_texts(entry))
            for tid in ids:
                self.bm25.add(tid, self._tokens(self.texts[tid]))
            assert self.vectors is not None
            self.vectors.add(np.array(ids, dtype=np.int64), vectors)
            if isinstance(entry, ServiceGuide):
                self.regions.update(region_names([entry]))
                self._region_order = None
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

    # -- persistence -------------------------------------------------------------------------
    def _dir(self) -> Path | None:
        return self.index_dir / self.embedder.name if self.index_dir else None

    def save(self) -> None:
        """Persist the index. The search lock is held only to take a copy in memory; the files are
        written after it, so searches go on meanwhile (saves queue behind each other in order)."""
        folder = self._dir()
        if folder is None or self.vectors is None:
            return
        with self._save_lock:
            with self._lock:
                bm25 = self.bm25.to_bytes()
                vectors = self.vectors.snapshot()
                meta = {
                    "texts": list(self.texts),
                    "text_doc": self.text_doc.tolist(),
                    "docs": [asdict(d) for d in self.docs],
                    "doc_texts": {str(k): list(v) for k, v in self.doc_texts.items()},
                    "doc_hash": [[k[0], k[1], v] for k, v in self.doc_hash.items()],
                    "regions": dict(self.regions),
                }
                manifest = {
                    "format": INDEX_FORMAT,
                    "model": self.embedder.name,
                    "fingerprint": self.current_fingerprint(),
                }
            write_index_files(folder, bm25, vectors, meta, manifest)

    def current_fingerprint(self) -> str:
        return index_fingerprint(self.embedder.name, ((k, c, d) for (k, c), d in self.doc_hash.items()))

    def _load(self, fingerprint: str) -> bool:
        folder = self._dir()
        if folder is None or not (folder / "manifest.json").exists():
            return False
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("fingerprint") != fingerprint:
                return False
            meta = json.loads((folder / "texts.json").read_text(encoding="utf-8"))
            bm25 = BM25Index.load(folder / "bm25.pkl")
            vectors = VectorIndex.load(folder / "vectors.faiss", self.hnsw_above)
        except (OSError, ValueError, KeyError, RuntimeError, EOFError, pickle.UnpicklingError):
            return False  # a damaged index is rebuilt, never trusted
        with self._lock:
            self._reset()
            self.texts = meta["texts"]
            self.text_doc = np.array(meta["text_doc"], dtype=np.int64)
            self.docs = [
                SearchDoc(d["kind"], d["code"], d["name"], d["department"], tuple(d["regions"]))
                for d in meta["docs"]
            ]
            self.doc_index = {(d.kind, d.code): i for i, d in enumerate(self.docs)}
            self.doc_texts = {int(k): v for k, v in meta["doc_texts"].items()}
            self.doc_hash = {(k, c): h for k, c, h in meta["doc_hash"]}
            self.regions, self._region_order = meta["regions"], None
            self.bm25, self.vectors = bm25, vectors
        return True

    # -- querying ----------------------------------------------------------------------------
    def detect_region(self, normalized: str) -> str | None:
        if self._region_order is None:
            self._region_order = sorted(self.regions, key=len, reverse=True)
        for name in self._region_order:
            if name in normalized:
                return self.regions[name]
        return None

    def rank(
        self, query: str, *, region: str | None = None, mode: Mode = "fused", limit: int = 10
    ) -> SearchResult:
        from knowledge.ranker import TOP_K, Query, bundle_cue

        normalized = normalize(query)
        terms = self.synonyms.formal_terms(normalized)
        expanded = self.synonyms.expand(normalized)
        region = region or self.detect_region(normalized)
        q_tokens = self.tokenizer.tokens(expanded)
        focus = question_focus(normalized)
        q_vec = None
        if mode != "bm25" and focus:  # the whole message and its question clause, equally
            both = self.embedder.embed_queries([expanded, self.synonyms.expand(focus)])
            q_vec = both[0] + both[1]
            q_vec = (q_vec / max(float(np.linalg.norm(q_vec)), 1e-9)).astype(np.float32)
        elif mode != "bm25":
            q_vec = self.embedder.embed_queries([expanded])[0]
        learned = self.learned if mode == "fused" else None
        hits = self._score(q_tokens, q_vec, region, mode, max(limit, TOP_K) if learned else limit)
        words = tuple(self.tokenizer.words(expanded))
        q = Query(
            words, bundle_cue(normalized), len(normalized) >= LONG_MESSAGE, self.word_weights(words),
            self.defining_words(words),
        )
        features: dict = {"words": list(q.words), "bundle_cue": q.bundle_cue, "long": q.long, "focus": focus}
        if learned is not None:
            hits, decision, info = learned.decide(q, hits, self.texts_of)
            features.update(info)
            hits = hits[:limit]
        else:
            decision = decide(hits, self.thresholds, mode)
        return SearchResult(query, normalized, decision, hits, region, terms, features)

    def word_weights(self, words: Sequence[str]) -> tuple[float, ...]:
        """Each word's IDF over the KB's texts on a 0..1 scale; a word no text has weighs 1."""
        top = math.log(1.0 + (self.bm25.n_alive + 0.5) / 0.5) or 1.0
        return tuple((self.bm25.idf(w) / top) if self.bm25.df.get(w, 0) else 1.0 for w in words)

    def defining_words(self, words: Sequence[str]) -> tuple[bool, ...]:
        """Per word: is it a word of some entry's name (with formal terms added)? Such words tell
        services apart (生产 in 食品生产许可 vs 食品经营许可); 怎么/需要 do not."""
        vocab = self._name_words
        if vocab is None:
            vocab = set()
            for doc in self.docs:
                if (doc.kind, doc.code) in self.doc_hash:
                    vocab.update(self.tokenizer.words(self.synonyms.expand(normalize(doc.name))))
            self._name_words = vocab
        return tuple(w in vocab for w in words)

    def texts_of(self, hit: Hit) -> tuple[str, str]:
        """An entry's name and all its texts, normalised with formal terms added (for word coverage)."""
        idx = self.doc_index[(hit.kind, hit.code)]
        joined = self._joined.get(idx)
        if joined is None:
            joined = " ".join(self.synonyms.expand(normalize(self.texts[t])) for t in self.doc_texts.get(idx, []))
            self._joined[idx] = joined
        return normalize(hit.name), joined

    def search(self, query: str, top_k: int = 3, region: str | None = None) -> SearchResult:
        result = self.rank(query, region=region, limit=max(top_k, 3))
        result.results = result.results[:top_k]
        return result

    def _score(
        self, q_tokens: list[str], q_vec: np.ndarray | None, region: str | None, mode: Mode, limit: int
    ) -> list[Hit]:
        t = self.thresholds
        with self._lock:
            if self.vectors is None or not self.docs:
                return []
            candidates: set[int] = set()
            bm25_all = self.bm25.scores(q_tokens) if mode != "dense" else None
            bm25_max = self.bm25.max_score(q_tokens)
            if bm25_all is not None and len(bm25_all):
                k = min(CANDIDATES, len(bm25_all))
                top = np.argpartition(-bm25_all, k - 1)[:k]
                candidates.update(int(i) for i in top if bm25_all[i] > 0)
            if q_vec is not None:
                ids, _ = self.vectors.search(q_vec, CANDIDATES)
                candidates.update(int(i) for i in ids)
            doc_ids = {int(self.text_doc[i]) for i in candidates if i < len(self.text_doc)} - {-1}
            hits: list[Hit] = []
            for d in doc_ids:
                doc = self.docs[d]
                if region and doc.regions and region not in doc.regions:
                    continue
                tids = np.array(self.doc_texts.get(d, []), dtype=np.int64)
                if len(tids) == 0:
                    continue
                dense = bm = 0.0
                best_text = tids[0]
                if q_vec is not None:
                    sims = self.vectors.exact(q_vec, tids)
                    dense = float(sims.max())
                    best_text = tids[int(sims.argmax())]
                if bm25_all is not None:
                    scores = bm25_all[tids]
                    bm = float(scores.max()) / bm25_max
                    if q_vec is None:
                        best_text = tids[int(scores.argmax())]
                dense_n = min(max((dense - t.dense_low) / (t.dense_high - t.dense_low), 0.0), 1.0)
                score = {"dense": dense_n, "bm25": bm}.get(
                    mode, t.dense_weight * dense_n + (1 - t.dense_weight) * bm
                )
                hits.append(
                    Hit(
                        doc.kind,
                        doc.code,
                        doc.name,
                        doc.department,
                        score,
                        dense,
                        bm,
                        self.texts[int(best_text)],
                    )
                )
        hits.sort(key=lambda h: (-h.score, h.code))
        return hits[:limit]

    @property
    def size(self) -> dict[str, int]:
        return {
            "entries": len(self.doc_hash),
            "texts": int((self.text_doc >= 0).sum()),
            "guides": sum(1 for k in self.doc_hash if k[0] == "guide"),
            "bundles": sum(1 for k in self.doc_hash if k[0] == "bundle"),
        }


__all__ = ["Hit", "Retriever", "SearchDoc", "SearchResult", "Thresholds", "decide"]
