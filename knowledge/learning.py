"""Training the learned re-ranker and decision (``knowledge.ranker``) on the dev part, offline.

The rank model is cross-fitted (5 folds by question) so that the question-level models learn
from rank probabilities of questions the rank model has not seen, as at run time. Thresholds
are then chosen on the dev part: ``none_below`` as high as possible while no in-scope
dev question is rejected (in-sample fits are optimistic: 1 % on dev was 2.8 % on test);
``answer_above`` minimising a cost where answering wrongly or answering an out-of-scope question costs much more than asking.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

from knowledge.evaluation import Decider, Ranked, rescore
from knowledge.ranker import (
    TOP_K,
    LearnedDecision,
    Linear,
    Query,
    _sigmoid,
    bundle_cue,
    candidate_features,
    query_features,
)
from knowledge.retrieval import Hit, Retriever, Thresholds
from nlu.normalize import normalize

FOLDS = 5
MAX_IN_SCOPE_REJECTED = 0.0
COST_WRONG, COST_OOS_ANSWERED, COST_CLARIFY_RIGHT, COST_AMBIGUOUS_ANSWERED = 6.0, 12.0, 1.0, 1.0


def query_of(r: Ranked, retriever: Retriever) -> Query:
    f = r.features
    words = tuple(f.get("words", ()))
    cue = bundle_cue(normalize(r.item.q))  # as rank() computes it, so a changed cue list needs no re-ranking
    return Query(words, cue, bool(f.get("long")), retriever.word_weights(words), retriever.defining_words(words))


def _candidates(r: Ranked, t: Thresholds) -> list[Hit]:
    return rescore(r.hits, t, "fused")[:TOP_K]


def train(ranked: Sequence[Ranked], retriever: Retriever, t: Thresholds, trained_on: str = "") -> LearnedDecision:
    """Fit the three models and the thresholds on these (dev) questions."""
    items = list(ranked)
    cands = [_candidates(r, t) for r in items]
    rows = [candidate_features(query_of(r, retriever), c, retriever.texts_of) for r, c in zip(items, cands, strict=True)]
    labels = [np.array([h.code in r.item.expected for h in c], dtype=int) for r, c in zip(items, cands, strict=True)]
    trainable = [i for i, r in enumerate(items) if r.item.kind == "in_scope" and labels[i].any()]

    def fit_rank(idx: Sequence[int]) -> Linear:
        x = np.concatenate([rows[i] for i in idx])
        y = np.concatenate([labels[i] for i in idx])
        return Linear.fit(x, y, c=1.0)

    # out-of-fold rank logits for every question
    fold_of = {i: int(hashlib.md5(items[i].item.q.encode()).hexdigest(), 16) % FOLDS for i in range(len(items))}
    oof: list[np.ndarray] = [np.zeros(0)] * len(items)
    for k in range(FOLDS):
        model = fit_rank([i for i in trainable if fold_of[i] != k])
        for i in range(len(items)):
            if fold_of[i] == k and len(rows[i]):
                oof[i] = model.logits(rows[i])
    rank = fit_rank(trainable)

    qx, y_in, y_top, kinds = [], [], [], []
    for i, r in enumerate(items):
        if not len(rows[i]):
            continue
        order = np.argsort(-oof[i], kind="stable")
        hits = [cands[i][j] for j in order]
        qx.append(query_features(query_of(r, retriever), rows[i][order], oof[i][order], hits))
        y_in.append(int(r.item.kind in ("in_scope", "ambiguous")))
        y_top.append(int(r.item.kind == "in_scope" and hits[0].code in r.item.expected))
        kinds.append(r.item.kind)
    x = np.asarray(qx)
    in_scope = Linear.fit(x, np.asarray(y_in), c=0.5, balanced=True)
    top1 = Linear.fit(x, np.asarray(y_top), c=0.5)
    p_in = _sigmoid(in_scope.logits(x))
    p_top = _sigmoid(top1.logits(x))
    none_below, answer_above = choose_thresholds(p_in, p_top, np.asarray(y_top), kinds)
    return LearnedDecision(rank, in_scope, top1, none_below, answer_above, trained_on=trained_on)


def choose_thresholds(
    p_in: np.ndarray, p_top: np.ndarray, right: np.ndarray, kinds: Sequence[str]
) -> tuple[float, float]:
    kinds_a = np.asarray(kinds)
    in_scope = kinds_a == "in_scope"
    oos = np.isin(kinds_a, ["none", "near_miss"])
    amb = kinds_a == "ambiguous"
    allowed = int(MAX_IN_SCOPE_REJECTED * in_scope.sum())
    in_probs = np.sort(p_in[in_scope])
    none_below = float(in_probs[allowed]) - 1e-6 if len(in_probs) else 0.5  # `allowed` may fall below
    none_below = max(min(none_below, 0.9), 0.02)
    best, answer_above = np.inf, 0.5
    kept = p_in >= none_below
    for tau in np.arange(0.2, 0.96, 0.01):
        ans = kept & (p_top >= tau)
        cost = (
            COST_WRONG * (ans & in_scope & (right == 0)).sum()
            + COST_OOS_ANSWERED * (ans & oos).sum()
            + COST_CLARIFY_RIGHT * (kept & ~ans & in_scope & (right == 1)).sum()
            + COST_AMBIGUOUS_ANSWERED * (ans & amb).sum()
        )
        if cost < best:
            best, answer_above = cost, math.ceil(float(tau) * 1000) / 1000  # never below tau
    return math.floor(none_below * 10000) / 10000, answer_above


def learned_decider(retriever: Retriever, learned: LearnedDecision) -> Decider:
    """For ``evaluation.measure``: the learned order and decision from the raw candidate parts."""

    def decider(r: Ranked, hits: list[Hit]) -> tuple[list[Hit], str]:
        ranked, decision, _ = learned.decide(query_of(r, retriever), hits, retriever.texts_of)
        return ranked, decision

    return decider


def training_fingerprint(paths, model: str) -> str:
    h = hashlib.sha256(model.encode())
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]
