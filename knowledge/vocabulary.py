"""The words of the knowledge base that the tokenizers must keep whole (``nlu.dictionary`` writes
them as jieba's user dictionary; ``knowledge`` knows the entries, ``nlu`` only words)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.schema import Bundle, Entry, ServiceGuide

_SPLIT = re.compile(r"[（）()《》、，,；;\s/]+")


def kb_words(entries: Iterable[Entry]) -> set[str]:
    words: set[str] = set()

    def add(text: str | None) -> None:
        for part in _SPLIT.split(text or ""):
            part = part.strip()
            if 2 <= len(part) <= 20 and not part.isdigit():
                words.add(part)

    for e in entries:
        add(e.name)
        for a in e.aliases:
            add(a)
        if isinstance(e, ServiceGuide):
            add(e.result)
            for m in e.materials:
                add(m.name)
                add(m.e_licence)
        elif isinstance(e, Bundle):
            add(e.name.removesuffix("一件事"))
    return words
