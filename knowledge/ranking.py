"""What a search returns and how it decides: ranked hits, the calibrated thresholds, and the
answer / clarify / none rule (see ``knowledge.retrieval`` for how the scores are made)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Decision = Literal["answer", "clarify", "none"]
Mode = Literal["fused", "bm25", "dense"]


@dataclass(frozen=True)
class Thresholds:
    """Fusion and decision parameters; calibrated per model by ``yichuang eval --calibrate``."""

    dense_weight: float = 0.5
    dense_low: float = 0.80  # cosine that means "unrelated" for this model
    dense_high: float = 0.95  # cosine that means "the same question"
    none_below: float = 0.35  # top score under this: no service matches (BM25-only ranking)
    none_dense_below: float = 0.86  # best cosine under this: no service matches (dense and fused)
    answer_above: float = 0.55  # top score at least this, and
    margin: float = 0.05  # ahead of the second by at least this: answer; else clarify


@dataclass(frozen=True)
class SearchDoc:
    kind: str
    code: str
    name: str
    department: str
    regions: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # a bundle's guide codes (empty for a guide)


@dataclass
class Hit:
    kind: str
    code: str
    name: str
    department: str
    score: float
    dense: float = 0.0
    bm25: float = 0.0
    matched: str = ""
    name_dense: float = 0.0  # cosine with the entry's name alone (its first text)
    dense_top3: float = 0.0  # mean cosine of its three best texts (a right entry matches several)


@dataclass
class SearchResult:
    query: str
    normalized: str
    decision: Decision
    results: list[Hit]
    region: str | None = None
    expanded_terms: list[str] = field(default_factory=list)
    features: dict = field(default_factory=dict)  # query-level signals (for a learned decision)

    def options(self) -> list[Hit]:
        """What a clarify offers: the candidates close to the first one (at most three), never a
        spread of unrelated services."""
        if not self.results:
            return []
        close = self.features.get("close")
        if close is None:
            top = self.results[0].score
            close = sum(1 for h in self.results[:3] if h.score >= 0.6 * top)
        return self.results[: max(int(close), 1)]

    def as_dict(self, top_k: int | None = None) -> dict:
        hits = self.results if top_k is None else self.results[:top_k]
        return {
            "decision": self.decision,
            "region": self.region,
            "results": [
                {"kind": h.kind, "code": h.code, "name": h.name, "score": round(h.score, 4)} for h in hits
            ],
        }


def decide(hits: Sequence[Hit], t: Thresholds, mode: Mode = "fused") -> Decision:
    if not hits:
        return "none"
    if mode == "bm25":
        if hits[0].score < t.none_below:
            return "none"
    elif max(h.dense for h in hits) < t.none_dense_below:
        return "none"
    second = hits[1].score if len(hits) > 1 else 0.0
    if hits[0].score >= t.answer_above and hits[0].score - second >= t.margin:
        return "answer"
    return "clarify"
