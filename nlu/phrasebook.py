"""The words the dialogue listens for, as data (``nlu/data/phrasebook.yaml``) beside the synonyms.

Which aspect a follow-up asks about ("有效期多久" is the validity, not the processing time),
small talk, the words that start or stop a form, yes/no phrasing and the colloquial words for
一件事 options. Editors extend the lists; loading checks them and names file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from nlu.normalize import normalize

DEFAULT_TABLE = Path(__file__).parent / "data" / "phrasebook.yaml"
SMALL_TALK = ("thanks", "goodbye", "insult", "bot", "hotline", "handoff", "greet")
FORMS = ("booking", "complaint", "booking_lookup", "booking_cancel", "ticket_lookup")


class PhrasebookError(ValueError):
    pass


@dataclass(frozen=True)
class Aspect:
    id: str
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Scope:
    """A case only a guide that speaks of it answers: ``words`` the citizen says, and what a
    guide says when it covers the case (``guides_say``, e.g. 出境 for a trip abroad)."""

    case: str
    words: tuple[str, ...]
    guides_say: tuple[str, ...]

    def said_in(self, normalized: str) -> bool:
        return any(w in normalized for w in self.words)

    def covered_by(self, text: str) -> bool:
        return any(w in text for w in (*self.words, *self.guides_say))


@dataclass(frozen=True)
class Phrasebook:
    aspects: tuple[Aspect, ...]
    small_talk: dict[str, tuple[str, ...]]
    fillers: tuple[str, ...]
    forms: dict[str, tuple[str, ...]]
    stop: tuple[str, ...]
    grievance: tuple[str, ...]  # a problem being told ("停水三天了", "拖着工资不给"): a complaint when no service answers
    have: tuple[str, ...]
    bundle_cues: tuple[str, ...]
    new_topic: tuple[str, ...]  # "换个事问下": whatever follows is not about the entry in focus
    no: tuple[str, ...]
    yes: tuple[str, ...]
    option_words: dict[str, tuple[str, ...]]  # option label → what citizens say
    question_words: dict[str, tuple[str, ...]]  # a topic a question names → what citizens say
    opposites: dict[str, tuple[str, ...]]  # a topic a question names → words that say its opposite
    scopes: tuple[Scope, ...]  # cases a guide must speak of to answer them

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> Phrasebook:
        path = Path(path)
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PhrasebookError(f"{path}：不是合法的 YAML（{exc}）") from exc
        r = _Reader(path)
        top = r.mapping(root, "（整个文件）")
        aspects = []
        for i, node in enumerate(r.seq(top, root, "aspects")):
            item = r.mapping(node, f"aspects[{i + 1}]")
            aspects.append(
                Aspect(
                    r.text(item, node, "id", f"aspects[{i + 1}]"),
                    r.text(item, node, "name", f"aspects[{i + 1}]"),
                    r.words(item, node, "words", f"aspects[{i + 1}]"),
                )
            )
        talk_node = r.get(top, root, "small_talk")
        talk = r.mapping(talk_node, "small_talk")
        forms_node = r.get(top, root, "forms")
        forms = r.mapping(forms_node, "forms")
        return cls(
            aspects=tuple(aspects),
            small_talk={k: r.words(talk, talk_node, k, "small_talk") for k in SMALL_TALK},
            fillers=r.words(top, root, "fillers"),
            forms={k: r.words(forms, forms_node, k, "forms") for k in FORMS},
            stop=r.words(top, root, "stop"),
            grievance=r.words(top, root, "grievance"),
            have=r.words(top, root, "have"),
            bundle_cues=r.words(top, root, "bundle_cues"),
            new_topic=r.words(top, root, "new_topic"),
            no=r.words(top, root, "no"),
            yes=r.words(top, root, "yes"),
            option_words=r.pairs(top, root, "option_words", "option"),
            question_words=r.pairs(top, root, "question_words", "topic"),
            opposites=r.pairs(top, root, "opposites", "topic"),
            scopes=tuple(_scopes(r, top, root)),
        )

    def aspect_of(self, normalized: str) -> str | None:
        return next((a.id for a in self.aspects if any(w in normalized for w in a.words)), None)

    def aspects_of(self, normalized: str) -> list[str]:
        """Every aspect the message asks about ("身份证，丢了，补办，多少钱，在哪": place and fee)."""
        return [a.id for a in self.aspects if any(w in normalized for w in a.words)]

    def without_aspects(self, normalized: str) -> str:
        """The message without its aspect words ("120平的房子契税交多少" → "120平的房子契税")."""
        rest = normalized.replace(" ", "")
        for word in _longest_first(self.aspects):
            rest = rest.replace(word, "")
        return rest

    def aspect_name(self, aspect: str) -> str:
        return next((a.name for a in self.aspects if a.id == aspect), aspect)

    def has(self, normalized: str, words: tuple[str, ...]) -> bool:
        return any(w in normalized for w in words)

    def residue(self, normalized: str, *groups: str) -> str:
        """What is left of a message once the words of ``groups`` and fillers are taken out."""
        rest = normalized.replace(" ", "")
        for word in sorted(
            {w for g in groups for w in self.small_talk[g]} | set(self.fillers), key=len, reverse=True
        ):
            rest = rest.replace(word, "")
        return rest


@cache
def _longest_first(aspects: tuple[Aspect, ...]) -> tuple[str, ...]:
    return tuple(sorted({w for a in aspects for w in a.words}, key=len, reverse=True))


@cache
def default_phrasebook() -> Phrasebook:
    return Phrasebook.load()


def _scopes(r: _Reader, top: dict, root):
    for i, node in enumerate(r.seq(top, root, "scopes")):
        where = f"scopes[{i + 1}]"
        item = r.mapping(node, where)
        yield Scope(
            r.text(item, node, "case", where), r.words(item, node, "words", where), r.words(item, node, "guides_say", where)
        )


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node, field: str, problem: str) -> PhrasebookError:
        line = f"第 {node.start_mark.line + 1} 行" if node is not None else "开头"
        return PhrasebookError(f"{self.path} {line}，字段 {field}：{problem}")

    def mapping(self, node, field: str) -> dict:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field, "应当是“键: 值”的映射")
        return {k.value: v for k, v in node.value}

    def get(self, item: dict, parent, key: str, field: str = ""):
        if key not in item:
            raise self.fail(parent, f"{field}.{key}" if field else key, "缺少这一项")
        return item[key]

    def seq(self, item: dict, parent, key: str, field: str = "") -> list:
        node = self.get(item, parent, key, field)
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, f"{field}.{key}" if field else key, "需要一个非空列表")
        return node.value

    def text(self, item: dict, parent, key: str, field: str) -> str:
        node = self.get(item, parent, key, field)
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, f"{field}.{key}", "需要一段非空文字")
        return str(node.value).strip()

    def words(self, item: dict, parent, key: str, field: str = "") -> tuple[str, ...]:
        where = f"{field}.{key}" if field else key
        found = []
        for i, node in enumerate(self.seq(item, parent, key, field)):
            word = normalize(str(node.value)).replace(" ", "") if isinstance(node, yaml.ScalarNode) else ""
            if not word:
                raise self.fail(node, f"{where}[{i + 1}]", "词语不能为空")
            found.append(word)
        return tuple(found)

    def pairs(self, item: dict, parent, key: str, name: str) -> dict[str, tuple[str, ...]]:
        out = {}
        for i, node in enumerate(self.seq(item, parent, key)):
            entry = self.mapping(node, f"{key}[{i + 1}]")
            out[normalize(self.text(entry, node, name, f"{key}[{i + 1}]"))] = self.words(
                entry, node, "words", f"{key}[{i + 1}]"
            )
        return out
