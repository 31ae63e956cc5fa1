"""The evaluation questions: a dev part (tune on it) and a test part (never tuned on).

Files in ``knowledge/eval/`` each say their ``source`` (``team``: written by the team that wrote
the 相似问; ``public``: paraphrased from public 12345 / 问政 / 政务服务网 wording) and ``part``
(``dev`` or ``test``). Sections:
- ``in_scope``: guide or bundle name -> questions; ``A｜B`` accepts either, a ``~long`` suffix
  marks messages with a story before the question;
- ``near_miss``: services a real city has that this catalogue does not (老年优待证, 食品生产许可…):
  they must get "none" or a clarify, never an answer;
- ``none``: other questions no service answers;
- ``ambiguous``: ``{q, any_of}`` where several services fit and the assistant should ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.schema import Bundle, Entry

EVAL_DIR = Path(__file__).parent / "eval"
DEV_SET = EVAL_DIR / "dev.yaml"  # the team's dev part
BUNDLE_DEPARTMENT = "一件事（联办）"
OUT_OF_SCOPE = ("none", "near_miss")


@dataclass(frozen=True)
class EvalItem:
    q: str
    kind: str  # in_scope | none | near_miss | ambiguous
    expected: frozenset[str]  # codes
    department: str = ""
    source: str = "team"  # team | public
    part: str = "dev"  # dev | test
    long: bool = False
    bundle: bool = False

    @property
    def out_of_scope(self) -> bool:
        return self.kind in OUT_OF_SCOPE


def eval_files(part: str | None = None, folder: Path = EVAL_DIR) -> list[Path]:
    """The YAML files of one part (or all), in a stable order."""
    files = []
    for path in sorted(folder.glob("*.yaml")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if part is None or meta.get("part", "dev") == part:
            files.append(path)
    return files


def load_dev_set(entries: Sequence[Entry], path: Path = DEV_SET) -> list[EvalItem]:
    """One evaluation file (by default the team's dev part)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    by_name = {e.name: e for e in entries}
    source, part = str(data.get("source", "team")), str(data.get("part", "dev"))
    items: list[EvalItem] = []
    unknown: list[str] = []
    for key, questions in (data.get("in_scope") or {}).items():
        names, _, tag = str(key).partition("~")
        found = [by_name.get(n.strip()) for n in names.split("｜")]
        if any(e is None for e in found):
            unknown.extend(n for n, e in zip(names.split("｜"), found, strict=True) if e is None)
            continue
        first = found[0]
        assert first is not None
        is_bundle = isinstance(first, Bundle)
        dept = BUNDLE_DEPARTMENT if is_bundle else first.department
        codes = frozenset(e.code for e in found if e is not None)
        for q in questions or []:
            items.append(EvalItem(str(q), "in_scope", codes, dept, source, part, tag == "long", is_bundle))
    for kind in OUT_OF_SCOPE:
        items.extend(EvalItem(str(q), kind, frozenset(), "", source, part) for q in data.get(kind) or [])
    for amb in data.get("ambiguous") or []:
        codes = []
        for name in amb["any_of"]:
            if name not in by_name:
                unknown.append(name)
            else:
                codes.append(by_name[name].code)
        items.append(EvalItem(amb["q"], "ambiguous", frozenset(codes), "", source, part))
    if unknown:
        raise ValueError(f"{path}: 这些名称在内容库中不存在：{'、'.join(sorted(set(unknown)))}")
    return items


def load_eval_set(
    entries: Sequence[Entry], part: str | None = None, folder: Path = EVAL_DIR
) -> list[EvalItem]:
    """Every question of one part ("dev", "test") or of both (None)."""
    return [item for path in eval_files(part, folder) for item in load_dev_set(entries, path)]


def all_questions(folder: Path = EVAL_DIR) -> list[str]:
    """Every question text in every file (for the check that none is copied from the KB)."""
    out: list[str] = []
    for path in eval_files(None, folder):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out += [str(q) for qs in (data.get("in_scope") or {}).values() for q in qs or []]
        for kind in OUT_OF_SCOPE:
            out += [str(q) for q in data.get(kind) or []]
        out += [str(a["q"]) for a in data.get("ambiguous") or []]
    return out
