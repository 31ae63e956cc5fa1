"""Chinese tokens for BM25: jieba search-mode words with the domain dictionary, plus character bigrams.

Bigrams keep a misspelt or partial word matchable (身份正 still shares 身份 with 身份证). They are
taken inside runs of words left after stopwords are dropped, so 天气怎么样 does not make the
bigram 气怎 and match 天然气怎么申请.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

STOPWORDS_FILE = Path(__file__).parent / "data" / "stopwords.txt"
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[\u4e00-\u9fffa-z0-9]")


def load_stopwords(path: Path = STOPWORDS_FILE) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


class ChineseTokenizer:
    """``warm_up()`` loads jieba and the dictionary folder once; ``tokens()`` is then cheap."""

    def __init__(self, dictionary_dir: Path | None = None, bigrams: bool = True) -> None:
        self.dictionary_dir = dictionary_dir
        self.bigrams = bigrams
        self._jieba = None
        self._stop: frozenset[str] = frozenset()

    def warm_up(self) -> None:
        if self._jieba is not None:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tk = jieba.Tokenizer()
        tk.initialize()
        if self.dictionary_dir and self.dictionary_dir.exists():
            for path in sorted(self.dictionary_dir.glob("*.txt")):
                tk.load_userdict(str(path))
        self._stop = load_stopwords()
        self._jieba = tk

    def words(self, normalized: str) -> list[str]:
        """jieba words of already-normalised text, without stopwords, spaces and punctuation."""
        if self._jieba is None:
            self.warm_up()
        return [
            w
            for w in self._jieba.cut_for_search(normalized, HMM=True)  # type: ignore[union-attr]
            if w.strip() and _WORD.search(w) and w not in self._stop
        ]

    def content_runs(self, normalized: str) -> list[str]:
        """Stretches of text between stopwords and punctuation (precise-mode jieba)."""
        if self._jieba is None:
            self.warm_up()
        runs, current = [], ""
        for w in self._jieba.cut(normalized, HMM=True):  # type: ignore[union-attr]
            if w in self._stop or not _HAN_RUN.fullmatch(w):
                if current:
                    runs.append(current)
                current = ""
            else:
                current += w
        if current:
            runs.append(current)
        return runs

    def tokens(self, normalized: str) -> list[str]:
        out = self.words(normalized)
        if self.bigrams:
            for run in self.content_runs(normalized):
                out.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
        return out
