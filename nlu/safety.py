"""Emergencies and crises, recognised before anything else (燃气泄漏, 着火, 急病/中毒, 走失, 暴力, 电梯困人, 自伤).

The kinds, their trigger and exclusion patterns, the numbers to call and the first things to
do are data that editors own (``nlu/data/emergencies.yaml``), checked when loaded: a mistake
is reported with the file, line and field, in Chinese. ``SafetyCheck.detect`` is cheap (a few
compiled regular expressions over the normalised text), so every message of every channel
goes through it before any form, search or dialogue server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from nlu.normalize import normalize

DEFAULT_TABLE = Path(__file__).parent / "data" / "emergencies.yaml"
_FIELDS = {"id", "name", "patterns", "except", "lead", "numbers", "advice", "ticket"}


class SafetyTableError(ValueError):
    """The emergencies table is wrong: the message names the file, line and field."""


@dataclass(frozen=True)
class Number:
    name: str
    number: str


@dataclass(frozen=True)
class Emergency:
    id: str
    name: str
    lead: str
    numbers: tuple[Number, ...]
    advice: tuple[str, ...]
    ticket: bool  # offer to file a 12345 record afterwards
    patterns: tuple[re.Pattern, ...]
    excepts: tuple[re.Pattern, ...]

    def matches(self, folded: str) -> bool:
        return any(p.search(folded) for p in self.patterns) and not any(
            p.search(folded) for p in self.excepts
        )


def fold(text: str) -> str:
    """What patterns are matched against: normalised, without spaces and punctuation."""
    return normalize(text).replace(" ", "")


@dataclass(frozen=True)
class SafetyCheck:
    kinds: tuple[Emergency, ...]
    fallback: Number

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> SafetyCheck:
        path = Path(path)
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"第 {mark.line + 1} 行" if mark else "某处"
            raise SafetyTableError(
                f"{path} {line}：不是合法的 YAML（{getattr(exc, 'problem', exc)}）"
            ) from exc
        return _Loader(path).table(root)

    def detect(self, text: str) -> Emergency | None:
        """The emergency ``text`` reports, or None (button payloads never are one)."""
        if not text or text.lstrip().startswith("/"):
            return None
        folded = fold(text[:2000])
        return next((kind for kind in self.kinds if kind.matches(folded)), None)


@cache
def default_check() -> SafetyCheck:
    return SafetyCheck.load()


class _Loader:
    """Builds the table from YAML nodes, so every problem can name its line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node, field: str, problem: str) -> SafetyTableError:
        line = f"第 {node.start_mark.line + 1} 行" if node is not None else "开头"
        return SafetyTableError(f"{self.path} {line}，字段 {field}：{problem}")

    def mapping(self, node, field: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field, "应当是“键: 值”的映射")
        return {k.value: v for k, v in node.value}

    def text(self, node, field: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, field, "需要一段非空文字")
        return str(node.value).strip()

    def texts(self, node, field: str) -> list[str]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, field, "需要一个非空列表（每行以“- ”开头）")
        return [self.text(item, f"{field}[{i + 1}]") for i, item in enumerate(node.value)]

    def regexes(self, node, field: str) -> tuple[re.Pattern, ...]:
        found = []
        for i, item in enumerate(node.value if isinstance(node, yaml.SequenceNode) else [node]):
            source = self.text(item, f"{field}[{i + 1}]")
            try:
                found.append(re.compile(fold(source) if _PLAIN.fullmatch(source) else source, re.IGNORECASE))
            except re.error as exc:
                raise self.fail(item, f"{field}[{i + 1}]", f"正则表达式写错了（{exc.msg}）") from exc
            if found[-1].search(""):
                raise self.fail(item, f"{field}[{i + 1}]", "这条规则能匹配空文本，会让每条消息都触发")
        return tuple(found)

    def table(self, root) -> SafetyCheck:
        top = self.mapping(root, "（整个文件）")
        if "kinds" not in top:
            raise self.fail(root, "kinds", "缺少 kinds（紧急情况的类别列表）")
        if "fallback" not in top:
            raise self.fail(root, "fallback", "缺少 fallback（任何情况都可拨打的号码，如 119）")
        fallback = self.number(top["fallback"], "fallback")
        kinds_node = top["kinds"]
        if not isinstance(kinds_node, yaml.SequenceNode) or not kinds_node.value:
            raise self.fail(kinds_node, "kinds", "需要至少一类紧急情况")
        kinds, seen = [], set()
        for i, node in enumerate(kinds_node.value):
            kind = self.kind(node, f"kinds[{i + 1}]")
            if kind.id in seen:
                raise self.fail(node, f"kinds[{i + 1}].id", f"id “{kind.id}” 重复了")
            seen.add(kind.id)
            kinds.append(kind)
        return SafetyCheck(tuple(kinds), fallback)

    def number(self, node, field: str) -> Number:
        item = self.mapping(node, field)
        for key in ("name", "number"):
            if key not in item:
                raise self.fail(node, f"{field}.{key}", "缺少这一项")
        number = self.text(item["number"], f"{field}.number")
        if not re.fullmatch(r"[0-9][0-9 /-]{1,30}", number):
            raise self.fail(
                item["number"], f"{field}.number", f"“{number}” 不像电话号码（只能有数字、空格、- 和 /）"
            )
        return Number(self.text(item["name"], f"{field}.name"), number)

    def kind(self, node, field: str) -> Emergency:
        item = self.mapping(node, field)
        unknown = sorted(set(item) - _FIELDS)
        if unknown:
            raise self.fail(
                node, f"{field}.{unknown[0]}", f"不认识的字段（可用：{'、'.join(sorted(_FIELDS))}）"
            )
        for key in ("id", "name", "patterns", "lead", "numbers", "advice"):
            if key not in item:
                raise self.fail(node, f"{field}.{key}", "缺少这一项")
        numbers_node = item["numbers"]
        if not isinstance(numbers_node, yaml.SequenceNode) or not numbers_node.value:
            raise self.fail(numbers_node, f"{field}.numbers", "至少要有一个电话")
        ticket = item.get("ticket")
        if ticket is not None and (
            not isinstance(ticket, yaml.ScalarNode) or ticket.value not in ("true", "false")
        ):
            raise self.fail(ticket, f"{field}.ticket", "只能是 true 或 false")
        return Emergency(
            id=self.text(item["id"], f"{field}.id"),
            name=self.text(item["name"], f"{field}.name"),
            lead=self.text(item["lead"], f"{field}.lead"),
            numbers=tuple(
                self.number(n, f"{field}.numbers[{i + 1}]") for i, n in enumerate(numbers_node.value)
            ),
            advice=tuple(self.texts(item["advice"], f"{field}.advice")),
            ticket=ticket is not None and ticket.value == "true",
            patterns=self.regexes(item["patterns"], f"{field}.patterns"),
            excepts=self.regexes(item["except"], f"{field}.except") if "except" in item else (),
        )


_PLAIN = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]+")  # a plain word: fold it like the messages
