"""Evaluate and calibrate retrieval on the evaluation questions (``knowledge/eval_sets``).

Metrics per ranking (bm25, dense, fused, and the learned ranker/decision when one is given):
hit@1, hit@3 and MRR over in-scope questions (bundles and long messages also apart); for the
decision, the share of out-of-scope questions (none + near-misses) answered as a service, of
in-scope questions wrongly sent to none, none-precision/recall ("none" the positive class), the
clarify rate on ambiguous questions, and a per-department table. Reports are split by part
(dev: tuned on; test: never tuned on) and by source (team-written vs public wording).

Calibration (static thresholds) searches the fusion weight, the dense score range and the
decision thresholds on the dev part and reports the test part.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from knowledge.eval_sets import DEV_SET, EvalItem, load_dev_set, load_eval_set
from knowledge.retrieval import Hit, Retriever, Thresholds, decide


@dataclass
class Ranked:
    item: EvalItem
    hits: list[Hit]  # all candidates with raw dense cosine and normalised bm25
    features: dict = field(default_factory=dict)  # query-level extras for a learned decision


Decider = Callable[[Ranked, list[Hit]], tuple[list[Hit], str]]


def rank_all(retriever: Retriever, items: Sequence[EvalItem]) -> list[Ranked]:
    """Rank each question once; every candidate keeps its raw dense and BM25 parts, so the
    bm25-only and dense-only rankings (and any other fusion) are recomputed without the model."""
    out = []
    for it in items:
        res = retriever.rank(it.q, mode="fused", limit=1000)
        out.append(Ranked(it, res.results, dict(res.features)))
    return out


def rescore(hits: list[Hit], t: Thresholds, mode: str) -> list[Hit]:
    """Recompute scores for other fusion parameters from the raw parts (no model call)."""
    out = []
    for h in hits:
        dense_n = min(max((h.dense - t.dense_low) / (t.dense_high - t.dense_low), 0.0), 1.0)
        score = {"dense": dense_n, "bm25": h.bm25}.get(
            mode, t.dense_weight * dense_n + (1 - t.dense_weight) * h.bm25
        )
        out.append(replace(h, score=score))
    out.sort(key=lambda h: (-h.score, h.code))
    return out


@dataclass
class Metrics:
    mode: str
    n_in_scope: int
    hit1: float
    hit3: float
    mrr: float
    none_precision: float
    none_recall: float
    none_answered_as_service: float  # out-of-scope not sent to none (clarify counts)
    in_scope_to_none: float
    answered_correct: float
    answered_wrong: float
    ambiguous_clarified: float
    ambiguous_top3: float
    n_out_of_scope: int = 0
    oos_answered: float = 0.0  # out-of-scope answered as a service (the figure)
    near_miss_answered: float = 0.0
    n_bundles: int = 0
    bundle_hit1: float = 0.0
    n_long: int = 0
    long_hit1: float = 0.0
    departments: dict[str, dict[str, float]] = field(default_factory=dict)


def _mean(values: Sequence[float | bool]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def measure(
    ranked: Sequence[Ranked], t: Thresholds, mode: str, decider: Decider | None = None
) -> Metrics:
    """``decider(ranked, rescored hits) -> (hits in final order, decision)`` replaces the static rule."""
    dept: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    h1: list[bool] = []
    h3: list[bool] = []
    rr: list[float] = []
    bundle1: list[bool] = []
    long1: list[bool] = []
    answered_ok = answered_bad = 0
    decisions: list[str] = []
    amb_top3 = 0
    for r in ranked:
        hits = rescore(r.hits, t, mode)
        if decider is not None:
            hits, decision = decider(r, hits)
        else:
            decision = decide(hits, t, mode)  # type: ignore[arg-type]
        decisions.append(decision)
        if r.item.kind == "ambiguous":
            amb_top3 += any(h.code in r.item.expected for h in hits[:3])
        if r.item.kind != "in_scope":
            continue
        pos = next((i for i, h in enumerate(hits) if h.code in r.item.expected), None)
        rr.append(0.0 if pos is None else 1.0 / (pos + 1))
        h1.append(pos == 0)
        h3.append(pos is not None and pos < 3)
        dept[r.item.department].append((pos == 0, pos is not None and pos < 3))
        if r.item.bundle:
            bundle1.append(pos == 0)
        if r.item.long:
            long1.append(pos == 0)
        if decision == "answer":
            answered_ok += pos == 0
            answered_bad += pos != 0
    kinds = [r.item.kind for r in ranked]
    n_in = sum(k == "in_scope" for k in kinds)
    oos = [d for d, k in zip(decisions, kinds, strict=True) if k in ("none", "near_miss")]
    near = [d for d, k in zip(decisions, kinds, strict=True) if k == "near_miss"]
    amb = [d for d, k in zip(decisions, kinds, strict=True) if k == "ambiguous"]
    predicted_none = [k for d, k in zip(decisions, kinds, strict=True) if d == "none"]
    true_none = sum(k in ("none", "near_miss") for k in predicted_none)
    n = max(n_in, 1)
    return Metrics(
        mode=mode,
        n_in_scope=n_in,
        hit1=_mean(h1),
        hit3=_mean(h3),
        mrr=_mean(rr),
        none_precision=true_none / len(predicted_none) if predicted_none else 1.0,
        none_recall=true_none / len(oos) if oos else 1.0,
        none_answered_as_service=1 - (true_none / len(oos) if oos else 1.0),
        in_scope_to_none=sum(d == "none" for d, k in zip(decisions, kinds, strict=True) if k == "in_scope") / n,
        answered_correct=answered_ok / n,
        answered_wrong=answered_bad / n,
        ambiguous_clarified=sum(d == "clarify" for d in amb) / len(amb) if amb else 0.0,
        ambiguous_top3=amb_top3 / len(amb) if amb else 0.0,
        n_out_of_scope=len(oos),
        oos_answered=sum(d == "answer" for d in oos) / len(oos) if oos else 0.0,
        near_miss_answered=sum(d == "answer" for d in near) / len(near) if near else 0.0,
        n_bundles=len(bundle1),
        bundle_hit1=_mean(bundle1),
        n_long=len(long1),
        long_hit1=_mean(long1),
        departments={
            d: {"n": len(v), "hit1": _mean([a for a, _ in v]), "hit3": _mean([b for _, b in v])}
            for d, v in sorted(dept.items())
        },
    )


def _with_none_threshold(ranked: Sequence[Ranked], t: Thresholds, mode: str) -> Thresholds:
    """The lowest none threshold that keeps out-of-scope questions answered as a service within 5 %."""

    def top(r: Ranked) -> float:
        if not r.hits:
            return 0.0
        return rescore(r.hits, t, mode)[0].score if mode == "bm25" else max(h.dense for h in r.hits)

    none_tops = sorted(top(r) for r in ranked if r.item.out_of_scope)
    if not none_tops:
        return t
    allowed = int(0.05 * len(none_tops))  # none questions that may stay above the threshold
    value = round(float(none_tops[len(none_tops) - 1 - allowed]) + 1e-4, 4)
    return replace(t, none_below=value) if mode == "bm25" else replace(t, none_dense_below=value)


def calibrate(ranked: Sequence[Ranked], base: Thresholds) -> Thresholds:
    """Grid search on the given questions: fusion first (hit@1, then MRR), then the decision thresholds."""
    best: tuple[float, float] = (-1.0, -1.0)
    chosen = base
    lows = np.quantile([h.dense for r in ranked for h in r.hits[:1]], [0.0, 0.05, 0.15]).tolist()
    highs = [0.95, 0.97, 1.0]
    for w, lo, hi in itertools.product([0.3, 0.4, 0.5, 0.6, 0.7], lows, highs):
        if hi <= lo + 0.05:
            continue
        t = replace(base, dense_weight=w, dense_low=round(lo, 3), dense_high=hi)
        m = measure(ranked, t, "fused")
        if (m.hit1, m.mrr) > best:
            best, chosen = (m.hit1, m.mrr), t
    chosen = _with_none_threshold(ranked, chosen, "fused")
    best_value = -1e9
    final = chosen
    for answer_above, margin in itertools.product(
        np.arange(0.30, 0.90, 0.025), [0.0, 0.02, 0.04, 0.06, 0.08, 0.1]
    ):
        t = replace(chosen, answer_above=round(float(answer_above), 3), margin=margin)
        m = measure(ranked, t, "fused")
        # a wrong answer costs more than asking; ambiguous questions should be asked about
        value = m.answered_correct - 4 * m.answered_wrong + 0.5 * m.ambiguous_clarified
        if value > best_value:
            best_value, final = value, t
    return final


@dataclass
class ModelReport:
    model: str
    thresholds: dict
    rankings: dict[str, dict]  # over all the questions given
    held_out: dict | None = None
    groups: dict[str, dict[str, dict]] = field(default_factory=dict)  # "test/public" -> mode -> metrics
    learned: dict | None = None  # the learned decision trained in this run (``learn=True``)


def evaluate(
    retriever: Retriever,
    items: Sequence[EvalItem],
    *,
    do_calibrate: bool = False,
    deciders: dict[str, Decider] | None = None,
    learn: bool = False,
    trained_on: str = "",
) -> ModelReport:
    """Rank every question once; report bm25/dense/fused and, when the retriever has a learned
    decision (or ``learn`` trains one on the dev part here), the "learned" row beside them."""
    from knowledge.learning import learned_decider, train

    ranked = rank_all(retriever, items)
    t = retriever.thresholds
    held_out = None
    deciders = dict(deciders or {})
    learned = retriever.learned
    if learn:
        learned = train([r for r in ranked if r.item.part == "dev"], retriever, t, trained_on)
    if learned is not None:
        deciders.setdefault("learned", learned_decider(retriever, learned))
    if do_calibrate:
        dev = [r for r in ranked if r.item.part == "dev"]
        test = [r for r in ranked if r.item.part == "test"]
        if not dev or not test:  # one file: even questions calibrate, odd ones are held out
            dev, test = ranked[0::2], ranked[1::2]
        t = calibrate(dev, t)
        held_out = asdict(measure(test, t, "fused"))
    modes: dict[str, tuple[Thresholds, Decider | None]] = {}
    for mode in ("bm25", "dense", "fused"):
        calib = [r for r in ranked if r.item.part == "dev"] or ranked
        modes[mode] = (t if mode == "fused" else _with_none_threshold(calib, t, mode), None)
    for name, decider in deciders.items():
        modes[name] = (t, decider)

    def run(subset: Sequence[Ranked]) -> dict[str, dict]:
        out = {}
        for name, (mode_t, decider) in modes.items():
            base_mode = name if name in ("bm25", "dense") else "fused"
            out[name] = asdict(measure(subset, mode_t, base_mode, decider))
            out[name]["mode"] = name
            out[name]["none_threshold"] = mode_t.none_below if name == "bm25" else mode_t.none_dense_below
        return out

    groups: dict[str, dict[str, dict]] = {}
    for key in sorted({(r.item.part, r.item.source) for r in ranked}):
        groups[f"{key[0]}/{key[1]}"] = run([r for r in ranked if (r.item.part, r.item.source) == key])
    return ModelReport(
        retriever.embedder.name,
        asdict(t),
        run(ranked),
        held_out,
        groups,
        learned.as_json() if learn and learned is not None else None,
    )


COLUMNS = (
    f"{'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'oos→ans':>7} {'near→ans':>8} {'oos→!none':>9} "
    f"{'in→none':>7} {'amb-clar':>8} {'bundle@1':>8} {'long@1':>6}"
)


def _row(m: dict) -> str:
    return (
        f"{m['hit1']:6.3f} {m['hit3']:6.3f} {m['mrr']:6.3f} {m['oos_answered']:7.3f} "
        f"{m['near_miss_answered']:8.3f} {m['none_answered_as_service']:9.3f} {m['in_scope_to_none']:7.3f} "
        f"{m['ambiguous_clarified']:8.3f} {m['bundle_hit1']:8.3f} {m['long_hit1']:6.3f}"
    )


def format_report(reports: Sequence[ModelReport]) -> str:
    lines = [f"{'part/source':<12} {'model':<14} {'ranking':<8} {COLUMNS}"]
    for rep in reports:
        groups = rep.groups or {"all": rep.rankings}
        for key in sorted(groups, key=lambda k: (not k.startswith("test"), k)):
            for mode, m in groups[key].items():
                lines.append(f"{key:<12} {rep.model:<14} {mode:<8} {_row(m)}")
        if rep.held_out:
            lines.append(f"{'held out':<12} {rep.model:<14} {'fused':<8} {_row(rep.held_out)}")
    lines.append(
        "oos→ans: out-of-scope (none + near-miss) answered as a service; oos→!none: not sent to none "
        "(clarify counts); in→none: in-scope wrongly rejected"
    )
    for rep in reports:
        lines.append("")
        lines.append(f"{rep.model} thresholds: {rep.thresholds}")
        for key in sorted(k for k in (rep.groups or {}) if k.startswith("test")):
            best = list(rep.groups[key])[-1]
            lines.append(f"{rep.model} {key} {best}, per department:  n  hit@1  hit@3")
            for dept, d in rep.groups[key][best]["departments"].items():
                lines.append(f"  {dept:<24} {d['n']:>3}  {d['hit1']:.3f}  {d['hit3']:.3f}")
    return "\n".join(lines)


__all__ = [
    "DEV_SET",
    "EvalItem",
    "Metrics",
    "ModelReport",
    "Ranked",
    "calibrate",
    "evaluate",
    "format_report",
    "load_dev_set",
    "load_eval_set",
    "measure",
    "rank_all",
]
