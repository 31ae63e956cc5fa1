"""A learned re-ranker and answer/clarify/none decision over the fused candidates.

Three small logistic regressions, trained offline on the dev part of the evaluation questions
(``yichuang eval --learn --write``) and stored as plain JSON arrays (``knowledge/ranker.json``,
one block per embedding model; never pickle):

- ``rank``: per candidate (the top ``TOP_K`` of the fused ranking, and a 一件事 further down when
  several of its guides are among them: ``candidates``), is this the right entry? Features: raw
  dense cosine and its gap to the best, the cosine with the entry's name alone and the mean of
  its three best texts (a right entry matches several of its texts, a neighbour one by chance),
  BM25 and its gap, the fused score, how many of the question's words the entry's name and its
  texts cover, how many of the name's words the question covers, whether it is a 一件事, whether
  the question has bundle cues (一起/一次/都要/哪些手续/跑几个部门…) or lists several things
  (执照、税务、社保), how much of the question a 一件事 and its guides cover together and how high
  its guides rank.
- ``in_scope``: per question, does any service fit at all? (near-misses such as 食品生产许可 vs
  食品经营许可 share words with a guide, but leave a distinctive word uncovered: 生产)
- ``top1``: per question, is the first candidate right (answer) or should we ask (clarify)?
  (also: how many other candidates cover all the first one covers — 办证需要什么 does not tell
  services apart)

The decision: ``none`` when P(in scope) < ``none_below``; ``answer`` when P(top1) >=
``answer_above``; otherwise ``clarify``, offering only candidates whose rank probability is
close to the first one's (never three unrelated services).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from knowledge.ranking import Decision, Hit

RANKER_FILE = Path(__file__).parent / "ranker.json"
TOP_K = 10
MEMBERS_SEEN, EXTRA_BUNDLES = 2, 3
BUNDLE_CUES = re.compile(
    r"一起|一次|一并|同时|都要|都得|一窗|一件事|哪些手续|哪些证|全套|所有手续|全流程|"
    r"跑几|几个部门|哪些部门|哪几个|顺便|联办|总共|一共|一家家|挨个|分开跑|一个窗口|一个地方"
)
RANK_FEATURES = (
    "dense",
    "dense_gap",
    "bm25",
    "bm25_gap",
    "fused",
    "fused_gap",
    "name_cov",
    "text_cov",
    "name_in_query",
    "bundle",
    "bundle_cue_bundle",
    "bundle_cue_guide",
    "dense_rank",
    "bm25_rank",
    "uncovered_idf",
    "uncovered_max",
    "defining_uncovered",
    "defining_uncovered_max",
    "member_cov",
    "member_hits",
    "bundle_list",
    "guide_list",
    "name_dense",
    "name_dense_gap",
    "dense_top3",
    "dense_top3_gap",
)
QUERY_FEATURES = (
    "p1",
    "p_gap",
    "logit1",
    "dense1",
    "dense_max",
    "bm25_1",
    "text_cov1",
    "name_cov1",
    "text_cov_max",
    "uncovered_words",
    "n_words",
    "bundle_cue",
    "long",
    "uncovered_idf1",
    "uncovered_max1",
    "unknown_words",
    "uncovered_idf_min",
    "defining_uncovered1",
    "defining_uncovered_max1",
    "defining_uncovered_min",
    "list_items",
    "name_dense1",
    "dense_top3_1",
    "covering_others",
)


_LIST_SEPARATORS = re.compile(r"[、/]|(?<=[\u4e00-\u9fff])(?<![我你他她们])[和跟及](?=[\u4e00-\u9fff])")


def bundle_cue(text: str) -> bool:
    return bool(BUNDLE_CUES.search(text))


def list_items(text: str) -> int:
    """How many things a question lists (执照、税务、社保都要改吗 → 3): 一件事 questions name several."""
    return len(_LIST_SEPARATORS.findall(text)) + 1 if _LIST_SEPARATORS.search(text) else 0


@dataclass(frozen=True)
class Linear:
    """Standardised logistic regression: p = sigmoid(((x - mean) / scale) @ coef + bias)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    bias: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.coef) + self.bias

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        c: float = 1.0,
        balanced: bool = False,
        weights: np.ndarray | None = None,
    ) -> Linear:
        from sklearn.linear_model import LogisticRegression  # training only (offline)

        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)
        model.fit((x - mean) / scale, y, sample_weight=weights)
        return cls(
            tuple(float(v) for v in mean),
            tuple(float(v) for v in scale),
            tuple(float(v) for v in model.coef_[0]),
            float(model.intercept_[0]),
        )


def _sigmoid(v: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(v, dtype=np.float64)))


class EntryTexts(NamedTuple):
    """What the features read of one candidate: its name, all its texts joined (normalised, formal
    terms added), and for a 一件事 its guides' codes and their texts joined."""

    name: str
    joined: str
    member_texts: str = ""
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    """What the features need from the question: its words and whether it is long / has bundle cues."""

    words: tuple[str, ...]
    bundle_cue: bool
    long: bool
    weights: tuple[float, ...] = ()  # per word: its IDF in the KB's texts, 1.0 for a word no text has
    # per word: does some entry's name use it (a word that tells services apart)
    defining: tuple[bool, ...] = ()
    items: int = 0  # how many things it lists (``list_items``)

    def weight(self, i: int) -> float:
        return self.weights[i] if i < len(self.weights) else 0.5

    def is_defining(self, i: int) -> bool:
        return i < len(self.defining) and self.defining[i]


def candidates(hits: Sequence[Hit], texts_of) -> list[Hit]:
    """What the re-ranker orders: the fused top ``TOP_K``, and any 一件事 further down with at least
    ``MEMBERS_SEEN`` of its guides among them (a situation that names several of its services:
    执照、税务、社保、公积金都要改 ranks those guides first and 企业信息变更一件事 13th)."""
    top = list(hits[:TOP_K])
    seen = {h.code for h in top if h.kind == "guide"}
    extra = [
        h
        for h in hits[TOP_K : TOP_K * 4]
        if h.kind == "bundle" and len(seen.intersection(texts_of(h).members)) >= MEMBERS_SEEN
    ]
    return top + extra[:EXTRA_BUNDLES]


def candidate_features(query: Query, hits: Sequence[Hit], texts_of) -> np.ndarray:
    """One row per hit; ``texts_of(hit) -> EntryTexts``."""
    if not hits:
        return np.zeros((0, len(RANK_FEATURES)))
    dense_max = max(h.dense for h in hits)
    bm25_max = max(h.bm25 for h in hits)
    fused_max = max(h.score for h in hits)
    name_max = max(h.name_dense for h in hits)
    top3_max = max(h.dense_top3 for h in hits)
    dense_order = {h.code + h.kind: i for i, h in enumerate(sorted(hits, key=lambda h: -h.dense))}
    bm25_order = {h.code + h.kind: i for i, h in enumerate(sorted(hits, key=lambda h: -h.bm25))}
    position = {h.code: i for i, h in enumerate(hits) if h.kind == "guide"}
    n = max(len(query.words), 1)
    total_w = sum(query.weight(i) for i in range(len(query.words))) or 1.0
    listed = min(query.items, 4) / 4
    rows = []
    for h in hits:
        name, joined, members, member_codes = texts_of(h)
        name_cov = sum(w in name for w in query.words) / n
        text_cov = sum(w in joined for w in query.words) / n
        name_words = [w for w in re.split(r"[（）()、，\s]", name) if w]
        name_chars = "".join(name_words)
        q = "".join(query.words)
        name_in_query = sum(name_chars[i : i + 2] in q for i in range(len(name_chars) - 1)) / max(
            len(name_chars) - 1, 1
        )
        is_bundle = h.kind == "bundle"
        uncovered = [query.weight(i) for i, w in enumerate(query.words) if w not in joined]
        # a word that names some service (食品*生产*, *老年*人) which this entry's texts never use
        defining = [
            u
            for i, w in enumerate(query.words)
            if query.is_defining(i) and w not in joined
            for u in (query.weight(i),)
        ]
        # a 一件事 covers what its guides cover (执照、食品证、消防 → 开办餐饮店), and its guides rank high
        member_cov = sum(w in joined or w in members for w in query.words) / n if is_bundle else text_cov
        member_hits = sum(1.0 / (1 + position[c]) for c in member_codes if c in position)
        rows.append(
            [
                h.dense,
                h.dense - dense_max,
                h.bm25,
                h.bm25 - bm25_max,
                h.score,
                h.score - fused_max,
                name_cov,
                text_cov,
                name_in_query,
                float(is_bundle),
                float(is_bundle and query.bundle_cue),
                float((not is_bundle) and query.bundle_cue),
                1.0 / (1 + dense_order[h.code + h.kind]),
                1.0 / (1 + bm25_order[h.code + h.kind]),
                sum(uncovered) / total_w,
                max(uncovered, default=0.0),
                sum(defining),
                max(defining, default=0.0),
                member_cov,
                member_hits,
                listed if is_bundle else 0.0,
                0.0 if is_bundle else listed,
                h.name_dense,
                h.name_dense - name_max,
                h.dense_top3,
                h.dense_top3 - top3_max,
            ]
        )
    return np.asarray(rows, dtype=np.float64)


def query_features(query: Query, rows: np.ndarray, logits: np.ndarray, hits: Sequence[Hit]) -> np.ndarray:
    """Question-level features once the candidates are sorted by the ranker (``rows``/``hits`` aligned)."""
    if len(hits) == 0:
        return np.zeros(len(QUERY_FEATURES))
    p = _sigmoid(logits)
    p1 = float(p[0])
    p2 = float(p[1]) if len(p) > 1 else 0.0
    text_cov = rows[:, RANK_FEATURES.index("text_cov")]
    return np.asarray(
        [
            p1,
            p1 - p2,
            float(logits[0]),
            hits[0].dense,
            max(h.dense for h in hits),
            hits[0].bm25,
            float(text_cov[0]),
            float(rows[0, RANK_FEATURES.index("name_cov")]),
            float(text_cov.max()),
            1.0 - float(text_cov.max()),
            math.log1p(len(query.words)),
            float(query.bundle_cue),
            float(query.long),
            float(rows[0, RANK_FEATURES.index("uncovered_idf")]),
            float(rows[0, RANK_FEATURES.index("uncovered_max")]),
            math.log1p(sum(1 for i in range(len(query.words)) if query.weight(i) >= 1.0)),
            float(rows[:, RANK_FEATURES.index("uncovered_idf")].min()),
            float(rows[0, RANK_FEATURES.index("defining_uncovered")]),
            float(rows[0, RANK_FEATURES.index("defining_uncovered_max")]),
            float(rows[:, RANK_FEATURES.index("defining_uncovered_max")].min()),
            min(query.items, 4) / 4,
            hits[0].name_dense,
            hits[0].dense_top3,
            # other services that cover all the first one covers: the question does not tell them apart
            math.log1p(int((text_cov[1:] >= text_cov[0] - 1e-9).sum())),
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class LearnedDecision:
    rank: Linear
    in_scope: Linear
    top1: Linear
    none_below: float = 0.5
    answer_above: float = 0.5
    # a clarify offers candidates whose rank probability is at least this share of the first's
    clarify_ratio: float = 0.35
    trained_on: str = ""  # what it learned from (dev files and model)

    def rerank(self, query: Query, hits: Sequence[Hit], texts_of) -> tuple[list[Hit], np.ndarray, np.ndarray]:
        top = candidates(hits, texts_of)
        rows = candidate_features(query, top, texts_of)
        if not top:
            return [], rows, np.zeros(0)
        logits = self.rank.logits(rows)
        order = np.argsort(-logits, kind="stable")
        chosen = {(h.kind, h.code) for h in top}
        rest = [h for h in hits if (h.kind, h.code) not in chosen]
        return [top[i] for i in order] + rest, rows[order], logits[order]

    def decide(self, query: Query, hits: Sequence[Hit], texts_of) -> tuple[list[Hit], Decision, dict]:
        ranked, rows, logits = self.rerank(query, hits, texts_of)
        if not ranked:
            return [], "none", {}
        qf = query_features(query, rows, logits, ranked)
        p_in = float(_sigmoid(self.in_scope.logits(qf[None, :]))[0])
        p_top = float(_sigmoid(self.top1.logits(qf[None, :]))[0])
        probs = _sigmoid(logits)
        decision: Decision
        if p_in < self.none_below:
            decision = "none"
        elif p_top >= self.answer_above:
            decision = "answer"
        else:
            decision = "clarify"
        close = int(sum(1 for p in probs[:3] if p >= self.clarify_ratio * probs[0]))
        return ranked, decision, {"p_in_scope": p_in, "p_top1": p_top, "close": max(close, 1)}

    def as_json(self) -> dict:
        return {
            "rank": self.rank.__dict__,
            "in_scope": self.in_scope.__dict__,
            "top1": self.top1.__dict__,
            "none_below": self.none_below,
            "answer_above": self.answer_above,
            "clarify_ratio": self.clarify_ratio,
            "trained_on": self.trained_on,
            "rank_features": list(RANK_FEATURES),
            "query_features": list(QUERY_FEATURES),
        }

    @classmethod
    def from_json(cls, data: dict) -> LearnedDecision:
        if data.get("rank_features") != list(RANK_FEATURES) or data.get("query_features") != list(
            QUERY_FEATURES
        ):
            raise ValueError("ranker.json 的特征与代码不一致：请运行 yichuang eval --learn --write")

        def lin(d: dict) -> Linear:
            return Linear(tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]), float(d["bias"]))

        return cls(
            lin(data["rank"]),
            lin(data["in_scope"]),
            lin(data["top1"]),
            float(data["none_below"]),
            float(data["answer_above"]),
            float(data.get("clarify_ratio", 0.35)),
            str(data.get("trained_on", "")),
        )

    def with_thresholds(self, none_below: float, answer_above: float) -> LearnedDecision:
        return replace(self, none_below=none_below, answer_above=answer_above)


def load_learned(model: str, path: Path = RANKER_FILE) -> LearnedDecision | None:
    """The learned decision for this embedding model, or None (the static thresholds then apply)."""
    if not path.exists():
        return None
    block = json.loads(path.read_text(encoding="utf-8")).get(model)
    return LearnedDecision.from_json(block) if block else None


def save_learned(model: str, learned: LearnedDecision, path: Path = RANKER_FILE) -> None:
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data["_comment"] = (
        "Learned re-ranker and decision per embedding model, written by 'yichuang eval --learn --write'."
    )
    data[model] = learned.as_json()
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
