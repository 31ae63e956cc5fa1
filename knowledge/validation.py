"""Validate guides and bundles: every problem with file, line (or sheet/row) and field.

Used by ``yichuang validate``, by import (nothing is written if any problem is found)
and by the editor API, so the same rules hold everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from knowledge.formats import RawRecord, read_path
from knowledge.formats.records import Loc
from knowledge.problems import Problem
from knowledge.schema import TYPE_LETTERS, Bundle, Entry, ServiceGuide, model_for

_PYDANTIC_MESSAGES = {
    "missing": "缺少必填项",
    "string_too_short": "不能为空",
    "too_short": "条目太少",
    "extra_forbidden": "未知字段（检查拼写）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 是/否",
    "bool_type": "应为 是/否",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为映射",
    "model_type": "应为映射",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "string_pattern_mismatch": "格式不对",
}


@dataclass
class ValidationReport:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def field_path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(err: dict) -> str:
    kind = err["type"]
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"取值不对，应为 {expected}"
    if kind == "literal_error":
        return f"取值不对，应为 {err.get('ctx', {}).get('expected', '')}"
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    base = _PYDANTIC_MESSAGES.get(kind, err["msg"])
    if kind == "string_pattern_mismatch":
        return f"{base}（应匹配 {err.get('ctx', {}).get('pattern', '')}）"
    return base


class _Collector:
    def __init__(self, record: RawRecord) -> None:
        self.record = record
        self.problems: list[Problem] = []

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append(
            Problem(self.record.file, self.record.where(loc), field_path(loc), message, self.record.label)
        )


def _guide_rules(g: ServiceGuide, out: _Collector) -> None:
    letters = g.code.split("-")[2]
    if TYPE_LETTERS[g.type] != letters:
        out.add(("type",), f"事项类型「{g.type}」应对应编码字母 {TYPE_LETTERS[g.type]}，编码中是 {letters}")
    if g.legal_limit_days is not None and g.promised_limit_days is not None:
        if g.promised_limit_days > g.legal_limit_days:
            out.add(
                ("promised_limit_days",),
                f"承诺时限 {g.promised_limit_days} 个工作日长于法定时限 {g.legal_limit_days} 个工作日",
            )
    if len(g.similar_questions) < 5:
        out.add(("similar_questions",), f"相似问只有 {len(g.similar_questions)} 条，至少需要 5 条")
    seen: set[str] = set()
    for i, m in enumerate(g.materials):
        if m.exempt and not m.e_licence:
            out.add(("materials", i, "e_licence"), "标为免提交的材料必须写明对应的电子证照名称")
        if not m.required and not m.condition:
            out.add(("materials", i, "condition"), "条件必要的材料必须写明在什么情形下需要")
        if m.name in seen:
            out.add(("materials", i, "name"), f"材料「{m.name}」重复")
        seen.add(m.name)
    if g.bookable and not g.halls:
        out.add(("halls",), "可预约的事项至少要有一个办理地点")


def _bundle_rules(b: Bundle, out: _Collector) -> None:
    codes = [g.code for g in b.guides]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            out.add(("guides", i, "code"), f"事项 {code} 重复")
    known = set(codes)
    ids: set[str] = set()
    for qi, q in enumerate(b.questions):
        if q.id in ids:
            out.add(("questions", qi, "id"), f"问题 id「{q.id}」重复")
        ids.add(q.id)
        values = [o.value for o in q.options]
        if q.default is not None and q.default not in values:
            out.add(("questions", qi, "default"), f"default「{q.default}」不是本题的选项")
        for oi, o in enumerate(q.options):
            if o.value in values[:oi]:
                out.add(("questions", qi, "options", oi, "value"), f"选项「{o.value}」重复")
            for which in ("adds", "removes"):
                for ci, code in enumerate(getattr(o, which)):
                    if code not in known:
                        out.add(
                            ("questions", qi, "options", oi, which, ci),
                            f"{code} 不在本一件事的 guides 中",
                        )
    added = {c for q in b.questions for o in q.options for c in o.adds}
    for i, g in enumerate(b.guides):
        if g.optional and g.code not in added:
            out.add(("guides", i, "optional"), f"可选事项 {g.code} 没有任何回答会加入它")


def validate_records(
    records: Sequence[RawRecord], known_guides: Iterable[str] = (), known_names: dict[str, str] | None = None
) -> ValidationReport:
    """Check each record, then the set as a whole (codes and names unique, links resolve).

    ``known_guides`` are guide codes that exist elsewhere (e.g. already in the store);
    ``known_names`` maps names already in use to their codes.
    """
    report = ValidationReport()
    valid: list[tuple[RawRecord, Entry]] = []
    for rec in records:
        out = _Collector(rec)
        try:
            entry = model_for(rec.kind).model_validate(rec.data)
        except ValidationError as exc:
            for err in exc.errors():
                out.add(tuple(err["loc"]), _message(err))
        else:
            (_guide_rules if isinstance(entry, ServiceGuide) else _bundle_rules)(entry, out)  # type: ignore[operator]
            valid.append((rec, entry))
        report.problems.extend(out.problems)

    first_code: dict[str, RawRecord] = {}
    first_name: dict[tuple[str, str], RawRecord] = {}
    for rec in records:
        code, name = rec.data.get("code"), rec.data.get("name")
        if isinstance(code, str):
            if code in first_code:
                other = first_code[code]
                report.problems.append(
                    _last(rec, ("code",), f"编码重复：{other.file}:{other.where(('code',))} 也用了 {code}")
                )
            else:
                first_code[code] = rec
        if isinstance(name, str):
            key = (rec.kind, name)
            if key in first_name:
                other = first_name[key]
                report.problems.append(
                    _last(rec, ("name",), f"名称重复：{other.file}:{other.where(('name',))} 也叫「{name}」")
                )
            else:
                first_name[key] = rec
            owner = (known_names or {}).get(name)
            if owner and owner != code:
                report.problems.append(_last(rec, ("name",), f"名称「{name}」已被 {owner} 使用"))

    # a guide with its own problems still exists: link to it without a second, misleading error
    guide_codes = {r.data.get("code") for r in records if r.kind == "guide"} | set(known_guides)
    for rec, entry in valid:
        if isinstance(entry, Bundle):
            for i, g in enumerate(entry.guides):
                if g.code not in guide_codes:
                    report.problems.append(
                        _last(rec, ("guides", i, "code"), f"引用了不存在的事项编码 {g.code}")
                    )
    if not report.problems:
        report.entries = [e for _, e in valid]
    return report


def _last(rec: RawRecord, loc: Loc, message: str) -> Problem:
    return Problem(rec.file, rec.where(loc), field_path(loc), message, rec.label)


def validate_path(
    path: Path, known_guides: Iterable[str] = (), known_names: dict[str, str] | None = None
) -> ValidationReport:
    records, problems = read_path(path)
    report = validate_records(records, known_guides, known_names)
    report.problems = problems + report.problems
    if report.problems:
        report.entries = []
    return report
