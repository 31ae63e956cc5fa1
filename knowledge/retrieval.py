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

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.index.catalogue import DEFAULT_HNSW_ABOVE, IndexedCatalogue, doc_of, entry_texts, region_names
from knowledge.ranker import TOP_K, EntryTexts, Query, bundle_cue, list_items
from knowledge.ranking import Hit, Mode, SearchDoc, SearchResult, Thresholds, decide
from knowledge.schema import Entry
from nlu.clauses import LONG_MESSAGE, question_focus, without_lead
from nlu.normalize import normalize
from nlu.pii import drop_numbers
from nlu.synonyms import SynonymTable
from nlu.tokenizer import ChineseTokenizer

CANDIDATES = 60


class Retriever(IndexedCatalogue):
    """``warm_up(entries)`` builds (or loads) the index; ``search`` answers; ``apply`` updates in
    place (the index itself: ``knowledge.index.catalogue``)."""

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
        self.learned = learned  # knowledge.ranker.LearnedDecision, or None for the static thresholds
        self._init_index(index_dir, hnsw_above)

    def warm_up(self, entries: Sequence[Entry]) -> None:
        """Load the saved index and bring it up to date with ``entries`` (only the entries that
        differ are indexed again), or build it when none is saved; then persist."""
        self.tokenizer.warm_up()
        self.embedder.warm_up()
        if self.index_dir and self._load():
            self._catch_up_with(entries)
        else:
            self.build(entries)
        self.save()
        self.name_words()  # now, not in the first citizen's search

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
        # the words asked: not the phone number beside them, nor the "另外问下" before them
        normalized = without_lead(normalize(drop_numbers(query)))
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
        hits = self._score(q_tokens, q_vec, region, mode, max(limit, 4 * TOP_K) if learned else limit)
        words = tuple(self.tokenizer.words(expanded))
        q = self.query(query, words)
        features: dict = {"words": list(q.words), "bundle_cue": q.bundle_cue, "long": q.long, "focus": focus}
        if learned is not None:
            hits, decision, info = learned.decide(q, hits, self.texts_of)
            features.update(info)
            hits = hits[:limit]
        else:
            decision = decide(hits, self.thresholds, mode)
        return SearchResult(query, normalized, decision, hits, region, terms, features)

    def query(self, text: str, words: Sequence[str], without: Sequence[str] = ()) -> Query:
        """What the learned decision reads of a question as typed, given its search words
        (``without``: entries to leave out, as if the catalogue lacked them, for near-misses
        simulated in training)."""
        normalized = normalize(text)
        return Query(
            tuple(words),
            bundle_cue(normalized),
            len(normalized) >= LONG_MESSAGE,
            self.word_weights(words, without),
            self.defining_words(words, without),
            list_items(text),
        )

    def word_weights(self, words: Sequence[str], without: Sequence[str] = ()) -> tuple[float, ...]:
        """Each word's IDF over the KB's texts on a 0..1 scale; a word no text has weighs 1 (also a
        word that only the entries in ``without`` use, as if the catalogue lacked them)."""
        top = math.log(1.0 + (self.bm25.n_alive + 0.5) / 0.5) or 1.0
        weights = [(self.bm25.idf(w) / top) if self.bm25.df.get(w, 0) else 1.0 for w in words]
        if without:
            gone = {
                self.doc_index[k]
                for c in without
                for k in (("guide", c), ("bundle", c))
                if k in self.doc_index
            }
            rest = [self._joined_of(i) for i in list(self.doc_texts) if i not in gone]
            weights = [
                1.0 if not any(w in j for j in rest) else v for w, v in zip(words, weights, strict=True)
            ]
        return tuple(weights)

    def defining_words(self, words: Sequence[str], without: Sequence[str] = ()) -> tuple[bool, ...]:
        """Per word: is it a word of some entry's name (with formal terms added)? Such words tell
        services apart (生产 in 食品生产许可 vs 食品经营许可); 怎么/需要 do not. ``without``: codes of
        entries to leave out, as if the catalogue lacked them (training on simulated near-misses)."""
        vocab = self.name_words()
        gone: Counter[str] = Counter()
        for code in without:
            doc = self._live_doc(code)
            if doc is not None:
                gone.update(self.tokenizer.words(self.synonyms.expand(normalize(doc.name))))
        return tuple(vocab.get(w, 0) - gone.get(w, 0) > 0 for w in words)

    def _live_doc(self, code: str) -> SearchDoc | None:
        for kind in ("guide", "bundle"):
            idx = self.doc_index.get((kind, code))
            if idx is not None and (kind, code) in self.doc_hash:
                return self.docs[idx]
        return None

    def members_of(self, code: str) -> tuple[str, ...]:
        """A bundle's guide codes (empty for a guide or an unknown code)."""
        doc = self._live_doc(code)
        return doc.members if doc is not None else ()

    def texts_of(self, hit: Hit) -> EntryTexts:
        """An entry's name and all its texts, normalised with formal terms added (for word coverage);
        for a 一件事 also its guides' codes and texts."""
        idx = self.doc_index[(hit.kind, hit.code)]
        members = self.docs[idx].members
        member_texts = " ".join(
            self._joined_of(self.doc_index[("guide", c)]) for c in members if ("guide", c) in self.doc_hash
        )
        return EntryTexts(normalize(hit.name), self._joined_of(idx), member_texts, members)

    def _joined_of(self, idx: int) -> str:
        joined = self._joined.get(idx)
        if joined is None:
            joined = " ".join(
                self.synonyms.expand(normalize(self.texts[t])) for t in self.doc_texts.get(idx, [])
            )
            self._joined[idx] = joined
        return joined

    def search(self, query: str, top_k: int = 3, region: str | None = None) -> SearchResult:
        result = self.rank(query, region=region, limit=max(top_k, 3))
        result.results = result.results[:top_k]
        return result

    def _score(
        self, q_tokens: list[str], q_vec: np.ndarray | None, region: str | None, mode: Mode, limit: int
    ) -> list[Hit]:
        t = self.thresholds
        with self._lock.shared():
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
                dense = bm = name_dense = top3 = 0.0
                best_text = tids[0]
                if q_vec is not None:
                    sims = self.vectors.exact(q_vec, tids)
                    dense = float(sims.max())
                    best_text = tids[int(sims.argmax())]
                    name_dense = float(sims[0])  # an entry's first text is its name
                    top3 = float(np.sort(sims)[-3:].mean())
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
                        name_dense,
                        top3,
                    )
                )
        hits.sort(key=lambda h: (-h.score, h.code))
        return hits[:limit]


__all__ = [
    "Hit",
    "Retriever",
    "SearchDoc",
    "SearchResult",
    "Thresholds",
    "decide",
    "doc_of",
    "entry_texts",
    "region_names",
]
