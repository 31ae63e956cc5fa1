"""The jieba domain dictionary: one folder, shared by our tokenizer and Rasa's JiebaTokenizer.

It is generated from the knowledge base (guide and bundle names, aliases, material,
licence and result names) plus the curated list in ``nlu/data/curated_words.txt``,
and written as jieba user-dictionary files (``word freq tag`` per line). Rasa loads
every file in the folder given as ``dictionary_path``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from knowledge.schema import Bundle, Entry, ServiceGuide
from nlu.synonyms import SynonymTable

CURATED = Path(__file__).parent / "data" / "curated_words.txt"
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


def write_dictionary(folder: Path, entries: Iterable[Entry], synonyms: SynonymTable | None = None) -> Path:
    """(Re)write the generated part of the dictionary folder; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    words = kb_words(entries) | (synonyms.words() if synonyms else set())
    lines = [f"{w} 50 n" for w in sorted(w for w in words if " " not in w)]
    tmp = folder / "knowledge_base.txt.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(folder / "knowledge_base.txt")
    (folder / "curated.txt").write_text(CURATED.read_text(encoding="utf-8"), encoding="utf-8")
    return folder
