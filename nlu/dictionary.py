"""The jieba domain dictionary: one folder, shared by our tokenizer and Rasa's JiebaTokenizer.

It is generated from the knowledge base's words (``knowledge.vocabulary.kb_words``: guide and
bundle names, aliases, material, licence and result names) plus the curated list in
``nlu/data/curated_words.txt``, and written as jieba user-dictionary files (``word freq tag``
per line). Rasa loads every file in the folder given as ``dictionary_path``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nlu.synonyms import SynonymTable

CURATED = Path(__file__).parent / "data" / "curated_words.txt"


def write_dictionary(folder: Path, words: Iterable[str], synonyms: SynonymTable | None = None) -> Path:
    """(Re)write the generated part of the dictionary folder; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    words = set(words) | (synonyms.words() if synonyms else set())
    lines = [f"{w} 50 n" for w in sorted(w for w in words if " " not in w)]
    tmp = folder / "knowledge_base.txt.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(folder / "knowledge_base.txt")
    (folder / "curated.txt").write_text(CURATED.read_text(encoding="utf-8"), encoding="utf-8")
    return folder
