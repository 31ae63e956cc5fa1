"""Training the learned re-ranker and decision (``knowledge.ranker``) on the dev part, offline.

Besides the dev questions, the question-level models learn from near-misses simulated from the
knowledge base (``left_out``: an in-scope question asked of the catalogue without its guide).
The rank model is cross-fitted (5 folds by question) so that the question-level models learn
from rank probabilities of questions the rank model has not seen, as at run time; the
question-level models are cross-fitted too, and the thresholds are chosen on their
out-of-fold probabilities of the real dev questions: ``none_below`` as high as keeps every
in-scope one, ``answer_above`` the lowest that keeps out-of-scope ones answered within 2 % and
in-scope ones answered wrongly within 2 % (otherwise: clarify).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from knowledge.evaluation import Decider, Ranked, rescore
from knowledge.ranker import (
    LearnedDecision,
    Linear,
    Query,
    _sigmoid,
    candidate_features,
    candidates,
    query_features,
)
from knowledge.retrieval import Hit, Retriever, Thresholds

FOLDS = 5
SIMULATED_WEIGHT = 0.5  # a near-miss made from an in-scope question (left_out) against a real one
MAX_IN_SCOPE_REJECTED = 0.0
MAX_OOS_ANSWERED, MAX_WRONG_ANSWERED = 0.02, 0.02  # the gate is 3 %: a margin for new wording


def query_of(r: Ranked, retriever: Retriever) -> Query:
    """The question's features as ``rank()`` makes them, from the words its ranking kept (so a
    changed cue list or feature needs no re-ranking)."""
    gone = tuple(r.features.get("without", ()))  # simulated near-miss: entries not in the catalogue
    return retriever.query(r.item.q, tuple(r.features.get("words", ())), gone)


def left_out(r: Ranked, retriever: Retriever) -> Ranked | None:
    """An in-scope question asked of a catalogue without its service: a near-miss made from the KB.

    The guide (and every 一件事 that includes it) is taken out of the candidates; what remains are
    its neighbours (租房提取 without 租房提取 ranks 购房提取 first), which must not be answered. Scores
    of the other entries do not change (dense cosines and BM25 on the query's own scale), so no
    model call is needed. 一件事 questions are not used: without the bundle, one of its guides is a
    fair part-answer, not a wrong service."""
    if r.item.kind != "in_scope" or r.item.bundle:
        return None
    gone = set(r.item.expected)
    gone |= {h.code for h in r.hits if h.kind == "bundle" and gone & set(retriever.members_of(h.code))}
    hits = [h for h in r.hits if h.code not in gone]
    if not hits:
        return None
    item = replace(r.item, kind="near_miss", expected=frozenset(), department="", source="simulated")
    return Ranked(item, hits, {**r.features, "without": tuple(sorted(gone))})


def _candidates(r: Ranked, t: Thresholds, retriever: Retriever) -> list[Hit]:
    return candidates(rescore(r.hits, t, "fused"), retriever.texts_of)


def train(
    ranked: Sequence[Ranked],
    retriever: Retriever,
    t: Thresholds,
    trained_on: str = "",
    simulated_weight: float = SIMULATED_WEIGHT,
) -> LearnedDecision:
    """Fit the three models and the thresholds on these (dev) questions, and on the near-misses
    simulated from their in-scope ones (``left_out``), each weighing ``simulated_weight``."""
    real = list(ranked)
    simulated = (
        [s for s in (left_out(r, retriever) for r in real) if s is not None] if simulated_weight else []
    )
    items = real + simulated
    weight = np.array([1.0] * len(real) + [simulated_weight] * len(simulated))
    cands = [_candidates(r, t, retriever) for r in items]
    rows = [
        candidate_features(query_of(r, retriever), c, retriever.texts_of)
        for r, c in zip(items, cands, strict=True)
    ]
    labels = [
        np.array([h.code in r.item.expected for h in c], dtype=int) for r, c in zip(items, cands, strict=True)
    ]
    trainable = [i for i, r in enumerate(real) if r.item.kind == "in_scope" and labels[i].any()]

    def fit_rank(idx: Sequence[int]) -> Linear:
        x = np.concatenate([rows[i] for i in idx])
        y = np.concatenate([labels[i] for i in idx])
        return Linear.fit(x, y, c=1.0)

    # out-of-fold rank logits for every question (a simulated one falls in its source question's fold)
    fold_of = {
        i: int(hashlib.md5(items[i].item.q.encode()).hexdigest(), 16) % FOLDS for i in range(len(items))
    }
    oof: list[np.ndarray] = [np.zeros(0)] * len(items)
    for k in range(FOLDS):
        model = fit_rank([i for i in trainable if fold_of[i] != k])
        for i in range(len(items)):
            if fold_of[i] == k and len(rows[i]):
                oof[i] = model.logits(rows[i])
    rank = fit_rank(trainable)

    qx, y_in, y_top, kinds, w, src, q_fold = [], [], [], [], [], [], []
    for i, r in enumerate(items):
        if not len(rows[i]):
            continue
        order = np.argsort(-oof[i], kind="stable")
        hits = [cands[i][j] for j in order]
        qx.append(query_features(query_of(r, retriever), rows[i][order], oof[i][order], hits))
        y_in.append(int(r.item.kind in ("in_scope", "ambiguous")))
        y_top.append(int(r.item.kind == "in_scope" and hits[0].code in r.item.expected))
        kinds.append(r.item.kind)
        w.append(weight[i])
        src.append("sim" if i >= len(real) else "real")
        q_fold.append(fold_of[i])
    x, wa, yi, yt = np.asarray(qx), np.asarray(w), np.asarray(y_in), np.asarray(y_top)
    folds = np.asarray(q_fold)

    def fit_query(mask: np.ndarray) -> tuple[Linear, Linear]:
        return (
            Linear.fit(x[mask], yi[mask], c=0.5, balanced=True, weights=wa[mask]),
            Linear.fit(x[mask], yt[mask], c=0.5, weights=wa[mask]),
        )

    # the thresholds are chosen on out-of-fold probabilities: in-sample ones are optimistic (a
    # none threshold that kept every dev question in scope rejected 2.8 % of the test part)
    p_in, p_top = np.zeros(len(x)), np.zeros(len(x))
    for k in range(FOLDS):
        fold_in, fold_top = fit_query(folds != k)
        p_in[folds == k] = _sigmoid(fold_in.logits(x[folds == k]))
        p_top[folds == k] = _sigmoid(fold_top.logits(x[folds == k]))
    in_scope, top1 = fit_query(np.ones(len(x), dtype=bool))
    real_q = np.asarray([k != "sim" for k in src])
    none_below, answer_above = choose_thresholds(
        p_in[real_q], p_top[real_q], yt[real_q], list(np.asarray(kinds)[real_q])
    )
    return LearnedDecision(rank, in_scope, top1, none_below, answer_above, trained_on=trained_on)


def choose_thresholds(
    p_in: np.ndarray,
    p_top: np.ndarray,
    right: np.ndarray,
    kinds: Sequence[str],
) -> tuple[float, float]:
    """``none_below``: as high as keeps every in-scope question (``MAX_IN_SCOPE_REJECTED``);
    ``answer_above``: the lowest that keeps out-of-scope questions answered within
    ``MAX_OOS_ANSWERED`` and in-scope ones answered wrongly within ``MAX_WRONG_ANSWERED`` (a
    clarify is a question, not a claim: it costs a tap, a wrong answer a wasted trip)."""
    kinds_a = np.asarray(kinds)
    in_scope = kinds_a == "in_scope"
    oos = np.isin(kinds_a, ["none", "near_miss"])
    allowed = int(MAX_IN_SCOPE_REJECTED * in_scope.sum())
    in_probs = np.sort(p_in[in_scope])
    none_below = float(in_probs[allowed]) - 1e-6 if len(in_probs) else 0.5  # `allowed` may fall below
    none_below = max(min(none_below, 0.9), 0.02)
    kept = p_in >= none_below
    answer_above = 0.95
    for tau in np.arange(0.2, 0.951, 0.01):
        ans = kept & (p_top >= tau)
        oos_rate = (ans & oos).sum() / max(oos.sum(), 1)
        wrong_rate = (ans & in_scope & (right == 0)).sum() / max(in_scope.sum(), 1)
        if oos_rate <= MAX_OOS_ANSWERED and wrong_rate <= MAX_WRONG_ANSWERED:
            answer_above = math.ceil(float(tau) * 1000) / 1000  # never below tau
            break
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
