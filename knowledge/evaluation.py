"""Evaluate and calibrate retrieval on the team's dev set (``knowledge/eval/dev.yaml``).

Metrics per ranking (bm25, dense, fused): hit@1, hit@3 and MRR over in-scope questions;
for the decision, none-precision/recall ("none" is the positive class), the share of
none questions answered as a service and of in-scope questions wrongly sent to none,
the clarify rate on ambiguous questions, and a per-department table.

Calibration searches the fusion weight, the dense score range and the decision thresholds
on the even-numbered questions and reports the odd-numbered ones as held out.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from knowledge.retrieval import Hit, Retriever, Thresholds, decide
from knowledge.schema import Bundle, Entry

DEV_SET = Path(__file__).parent / "eval" / "dev.yaml"
BUNDLE_DEPARTMENT = "一件事（联办）"


@dataclass(frozen=True)
class EvalItem:
    q: str
    kind: str  # in_scope | none | ambiguous
    expected: frozenset[str]  # codes
    department: str = ""


@dataclass
class Ranked:
    item: EvalItem
    hits: list[Hit]  # all candidates with raw dense cosine and normalised bm25


def load_dev_set(entries: Sequence[Entry], path: Path = DEV_SET) -> list[EvalItem]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_name = {e.name: e for e in entries}
    items: list[EvalItem] = []
    unknown = []
    for name, questions in (data.get("in_scope") or {}).items():
        entry = by_name.get(name)
        if entry is None:
            unknown.append(name)
            continue
        dept = BUNDLE_DEPARTMENT if isinstance(entry, Bundle) else entry.department
        items.extend(EvalItem(q, "in_scope", frozenset([entry.code]), dept) for q in questions)
    items.extend(EvalItem(q, "none", frozenset()) for q in data.get("none") or [])
    for amb in data.get("ambiguous") or []:
        codes = []
        for name in amb["any_of"]:
            if name not in by_name:
                unknown.append(name)
            else:
                codes.append(by_name[name].code)
        items.append(EvalItem(amb["q"], "ambiguous", frozenset(codes)))
    if unknown:
        raise ValueError(f"{path}: 这些名称在内容库中不存在：{'、'.join(sorted(set(unknown)))}")
    return items


def rank_all(retriever: Retriever, items: Sequence[EvalItem]) -> list[Ranked]:
    """Rank each question once; every candidate keeps its raw dense and BM25 parts, so the
    bm25-only and dense-only rankings (and any other fusion) are recomputed without the model."""
    return [Ranked(it, retriever.rank(it.q, mode="fused", limit=1000).results) for it in items]


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
    none_answered_as_service: float
    in_scope_to_none: float
    answered_correct: float
    answered_wrong: float
    ambiguous_clarified: float
    ambiguous_top3: float
    departments: dict[str, dict[str, float]] = field(default_factory=dict)


def measure(ranked: Sequence[Ranked], t: Thresholds, mode: str) -> Metrics:
    in_scope = [r for r in ranked if r.item.kind == "in_scope"]
    nones = [r for r in ranked if r.item.kind == "none"]
    ambiguous = [r for r in ranked if r.item.kind == "ambiguous"]
    rr, h1, h3 = [], [], []
    decisions: dict[int, str] = {}
    dept: dict[str, list[tuple[int, int]]] = defaultdict(list)
    answered_ok = answered_bad = 0
    for r in ranked:
        hits = rescore(r.hits, t, mode)
        decisions[id(r)] = decide(hits, t, mode)  # type: ignore[arg-type]
        if r.item.kind != "in_scope":
            continue
        codes = [h.code for h in hits]
        pos = next((i for i, c in enumerate(codes) if c in r.item.expected), None)
        rr.append(0.0 if pos is None else 1.0 / (pos + 1))
        h1.append(pos == 0)
        h3.append(pos is not None and pos < 3)
        dept[r.item.department].append((pos == 0, pos is not None and pos < 3))
        if decisions[id(r)] == "answer":
            if pos == 0:
                answered_ok += 1
            else:
                answered_bad += 1
    predicted_none = [r for r in ranked if decisions[id(r)] == "none"]
    true_none = sum(1 for r in predicted_none if r.item.kind == "none")
    amb_top3 = 0
    for r in ambiguous:
        codes = [h.code for h in rescore(r.hits, t, mode)[:3]]
        amb_top3 += any(c in r.item.expected for c in codes)
    n = max(len(in_scope), 1)
    return Metrics(
        mode=mode,
        n_in_scope=len(in_scope),
        hit1=float(np.mean(h1)) if h1 else 0.0,
        hit3=float(np.mean(h3)) if h3 else 0.0,
        mrr=float(np.mean(rr)) if rr else 0.0,
        none_precision=true_none / len(predicted_none) if predicted_none else 1.0,
        none_recall=true_none / len(nones) if nones else 1.0,
        none_answered_as_service=1 - (true_none / len(nones) if nones else 1.0),
        in_scope_to_none=sum(1 for r in in_scope if decisions[id(r)] == "none") / n,
        answered_correct=answered_ok / n,
        answered_wrong=answered_bad / n,
        ambiguous_clarified=(
            sum(1 for r in ambiguous if decisions[id(r)] == "clarify") / len(ambiguous) if ambiguous else 0.0
        ),
        ambiguous_top3=amb_top3 / len(ambiguous) if ambiguous else 0.0,
        departments={
            d: {
                "n": len(v),
                "hit1": float(np.mean([a for a, _ in v])),
                "hit3": float(np.mean([b for _, b in v])),
            }
            for d, v in sorted(dept.items())
        },
    )


def _with_none_threshold(ranked: Sequence[Ranked], t: Thresholds, mode: str) -> Thresholds:
    """The lowest none threshold that keeps none questions answered as a service within 5 %."""

    def top(r: Ranked) -> float:
        if not r.hits:
            return 0.0
        return rescore(r.hits, t, mode)[0].score if mode == "bm25" else max(h.dense for h in r.hits)

    none_tops = sorted(top(r) for r in ranked if r.item.kind == "none")
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
    rankings: dict[str, dict]
    held_out: dict | None = None


def evaluate(retriever: Retriever, items: Sequence[EvalItem], *, do_calibrate: bool = False) -> ModelReport:
    ranked = rank_all(retriever, items)
    t = retriever.thresholds
    held_out = None
    if do_calibrate:
        cal = [r for i, r in enumerate(ranked) if i % 2 == 0]
        hold = [r for i, r in enumerate(ranked) if i % 2 == 1]
        t = calibrate(cal, t)
        held_out = asdict(measure(hold, t, "fused"))
    rankings = {}
    for mode in ("bm25", "dense", "fused"):
        mode_t = t if mode == "fused" else _with_none_threshold(ranked, t, mode)
        rankings[mode] = asdict(measure(ranked, mode_t, mode))
        rankings[mode]["none_threshold"] = mode_t.none_below if mode == "bm25" else mode_t.none_dense_below
    return ModelReport(retriever.embedder.name, asdict(t), rankings, held_out)


def format_report(reports: Sequence[ModelReport]) -> str:
    lines = []
    header = (
        f"{'model':<10} {'ranking':<6} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'none-P':>7} {'none-R':>7} "
        f"{'none→svc':>8} {'in→none':>8} {'amb-clar':>8}"
    )
    lines.append(header)
    for rep in reports:
        for mode, m in rep.rankings.items():
            lines.append(
                f"{rep.model:<10} {mode:<6} {m['hit1']:6.3f} {m['hit3']:6.3f} {m['mrr']:6.3f} "
                f"{m['none_precision']:7.3f} {m['none_recall']:7.3f} {m['none_answered_as_service']:8.3f} "
                f"{m['in_scope_to_none']:8.3f} {m['ambiguous_clarified']:8.3f}"
            )
        if rep.held_out:
            m = rep.held_out
            lines.append(
                f"{rep.model:<10} {'held':<6} {m['hit1']:6.3f} {m['hit3']:6.3f} {m['mrr']:6.3f} "
                f"{m['none_precision']:7.3f} {m['none_recall']:7.3f} {m['none_answered_as_service']:8.3f} "
                f"{m['in_scope_to_none']:8.3f} {m['ambiguous_clarified']:8.3f}"
            )
    for rep in reports:
        lines.append("")
        lines.append(f"{rep.model} thresholds: {rep.thresholds}")
        lines.append(f"{rep.model} fused, per department:  n  hit@1  hit@3")
        for dept, d in rep.rankings["fused"]["departments"].items():
            lines.append(f"  {dept:<24} {d['n']:>3}  {d['hit1']:.3f}  {d['hit3']:.3f}")
    return "\n".join(lines)
