"""The 一件事 checklist engine: a bundle plus a citizen's answers -> one personalised checklist.

Which guides apply: every non-optional guide of the bundle, then each answered question
(in the bundle's order) adds or removes guides. The materials of all applicable guides
are merged into one list ("一套材料"): the same material needed by several guides
appears once, with the guides it serves; it is 免提交 only if every one of those guides
fetches it from the e-licence library, and 容缺 only if every one accepts it later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from knowledge.schema import Bundle, MaterialForm, ServiceGuide


class ChecklistError(ValueError):
    """An answer that does not fit the bundle (unknown question or option)."""


@dataclass
class ChecklistGuide:
    code: str
    name: str
    department: str
    stage: int
    promised_limit_days: int | None
    note: str | None = None


@dataclass
class ChecklistMaterial:
    name: str
    forms: list[str]
    copies: int
    required: bool
    conditions: list[str]
    guides: list[str]  # codes of the guides that need it
    exempt: bool
    e_licence: str | None
    can_defer: bool
    source: str
    done: bool = False  # ticked off by the citizen ("我已经有了")


@dataclass
class Checklist:
    bundle_code: str
    bundle_name: str
    answers: dict[str, str]
    unanswered: list[str]
    guides: list[ChecklistGuide]
    materials: list[ChecklistMaterial]
    single_window: str
    online_entry: str | None
    total_days: int | None
    stages: list[list[str]] = field(default_factory=list)

    @property
    def to_submit(self) -> list[ChecklistMaterial]:
        return [m for m in self.materials if not m.exempt and not m.done]

    def as_dict(self) -> dict:
        from dataclasses import asdict

        data = asdict(self)
        data["counts"] = {
            "guides": len(self.guides),
            "materials": len(self.materials),
            "exempt": sum(m.exempt for m in self.materials),
            "can_defer": sum(m.can_defer for m in self.materials),
            "to_submit": len(self.to_submit),
        }
        return data


def material_key(name: str) -> str:
    """Names that differ only in spacing or bracket width are the same material."""
    text = name.replace("（", "(").replace("）", ")").replace("《", "").replace("》", "")
    return re.sub(r"\s+", "", text)


def applicable_codes(
    bundle: Bundle, answers: Mapping[str, str]
) -> tuple[list[str], dict[str, str], list[str]]:
    """(guide codes that apply, answers used, question ids still unanswered)."""
    chosen: set[str] = {g.code for g in bundle.guides if not g.optional}
    used: dict[str, str] = {}
    unanswered: list[str] = []
    questions = {q.id: q for q in bundle.questions}
    for qid in answers:
        if qid not in questions:
            raise ChecklistError(f"「{bundle.name}」没有问题 {qid}")
    for q in bundle.questions:
        value = answers.get(q.id, q.default)
        if value is None:
            unanswered.append(q.id)
            continue
        option = next((o for o in q.options if o.value == value), None)
        if option is None:
            allowed = "、".join(o.value for o in q.options)
            raise ChecklistError(f"问题「{q.text}」的回答应为 {allowed} 之一，收到「{value}」")
        used[q.id] = value
        chosen |= set(option.adds)
        chosen -= set(option.removes)
    order = [g.code for g in bundle.guides if g.code in chosen]
    return order, used, unanswered


def build_checklist(
    bundle: Bundle,
    guides: Mapping[str, ServiceGuide],
    answers: Mapping[str, str] | None = None,
    done: Sequence[str] = (),
) -> Checklist:
    """Build the checklist; ``done`` names materials the citizen already has in hand."""
    codes, used, unanswered = applicable_codes(bundle, answers or {})
    stage_of = {g.code: g for g in bundle.guides}
    missing = [c for c in codes if c not in guides]
    if missing:
        raise ChecklistError(f"「{bundle.name}」引用的事项未发布：{'、'.join(missing)}")
    ordered = sorted(codes, key=lambda c: (stage_of[c].stage, codes.index(c)))
    items = [
        ChecklistGuide(
            code=c,
            name=guides[c].name,
            department=guides[c].department,
            stage=stage_of[c].stage,
            promised_limit_days=guides[c].promised_limit_days,
            note=stage_of[c].note,
        )
        for c in ordered
    ]
    merged: dict[str, ChecklistMaterial] = {}
    done_keys = {material_key(d) for d in done}
    for c in ordered:
        for m in guides[c].materials:
            key = material_key(m.name)
            cur = merged.get(key)
            if cur is None:
                merged[key] = ChecklistMaterial(
                    name=m.name,
                    forms=[f.value for f in m.forms],
                    copies=m.copies,
                    required=m.required,
                    conditions=[m.condition] if m.condition else [],
                    guides=[c],
                    exempt=m.exempt,
                    e_licence=m.e_licence,
                    can_defer=m.can_defer,
                    source=m.source.value,
                    done=key in done_keys,
                )
                continue
            cur.guides.append(c)
            cur.forms = [
                f.value for f in MaterialForm if f.value in set(cur.forms) | {x.value for x in m.forms}
            ]
            cur.copies = max(cur.copies, m.copies)
            cur.required = cur.required or m.required
            if m.condition and m.condition not in cur.conditions:
                cur.conditions.append(m.condition)
            cur.exempt = cur.exempt and m.exempt
            cur.e_licence = cur.e_licence or m.e_licence
            cur.can_defer = cur.can_defer and m.can_defer
    for mat in merged.values():
        if mat.required:
            mat.conditions = []  # needed anyway, whatever the situation
    stages: dict[int, list[str]] = {}
    for item in items:
        stages.setdefault(item.stage, []).append(item.code)
    total = None
    if all(i.promised_limit_days is not None for i in items):
        total = sum(max(guides[c].promised_limit_days or 0 for c in group) for group in stages.values())
    if bundle.promised_total_days is not None:
        total = bundle.promised_total_days if total is None else min(total, bundle.promised_total_days)
    return Checklist(
        bundle_code=bundle.code,
        bundle_name=bundle.name,
        answers=used,
        unanswered=unanswered,
        guides=items,
        materials=list(merged.values()),
        single_window=bundle.single_window,
        online_entry=bundle.online_entry,
        total_days=total,
        stages=[stages[k] for k in sorted(stages)],
    )


def _core(name: str) -> str:
    """A material's name without brackets and the words every material shares."""
    text = re.sub(r"[（(].*?[）)]", "", material_key(name))
    for word in ("复印件", "原件", "副本", "正本"):
        text = text.replace(word, "")
    return text


def _common_run(a: str, b: str) -> int:
    """Length of the longest run of characters ``a`` and ``b`` share."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def materials_mentioned(text: str, names: Sequence[str]) -> list[str]:
    """Which of ``names`` a citizen's sentence refers to ("营业执照我已经有了" → 营业执照).

    A material is meant when its core name is in the text, or when the text shares at least
    three characters of it in a row (the whole core when it is shorter); only the best-matching
    materials are returned, so "身份证" does not tick every certificate.
    """
    said = material_key(text)
    scored = []
    for name in names:
        core = _core(name)
        if not core:
            continue
        run = len(core) if core in said else _common_run(core, said)
        if run >= min(3, len(core)):
            scored.append((run, name))
    if not scored:
        return []
    top = max(run for run, _ in scored)
    return [name for run, name in scored if run == top]
