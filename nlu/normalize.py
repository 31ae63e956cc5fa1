"""Normalise what citizens type: 全角→半角, 繁→简, case, spaces and punctuation, Chinese numerals with units."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import cn2an

_PUNCT = re.compile(
    r"[\s\u3000`~!@#$%^&*()_+=\[\]{}|\\:;\"'<>,.?/，。！？、；：“”‘’（）【】《》〈〉…—·～「」『』﹏]+"
)
_NUMERAL_WITH_UNIT = re.compile(
    r"([零〇一二两三四五六七八九十百千万]+)(周岁|岁|个月|年|天|日|平方米|平米|平方|万元|元|个工作日|套|次|人)"
)
_KEEP = re.compile(r"一件事|一卡通|一次|一网通办|一窗")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _numeral(match: re.Match) -> str:
    num, unit = match.group(1), match.group(2)
    try:
        return f"{cn2an.cn2an(num.replace('两', '二'), 'smart')}{unit}"
    except ValueError:
        return match.group(0)


# C0 controls but tab and newline, DEL, C1 controls, lone surrogates, non-characters
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text):
    """Text as it may be stored: control characters, lone surrogates and non-characters
    removed (\r\n and \r become \n). Where citizens' or editors' text enters, it passes
    here once, so no later step (a 相似问 in an XLSX export, a JSON log line) can break on it."""
    if not isinstance(text, str):
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def normalize(text: str) -> str:
    """Text for matching: half-width, simplified, lower case, punctuation folded to single spaces."""
    text = unicodedata.normalize("NFKC", clean_text(text or ""))
    text = to_simplified(text).lower()
    if not _KEEP.search(text):
        text = _NUMERAL_WITH_UNIT.sub(_numeral, text)
    text = _PUNCT.sub(" ", text)
    return text.strip()
