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


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def normalize(text: str) -> str:
    """Text for matching: half-width, simplified, lower case, punctuation folded to single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = to_simplified(text).lower()
    if not _KEEP.search(text):
        text = _NUMERAL_WITH_UNIT.sub(_numeral, text)
    text = _PUNCT.sub(" ", text)
    return text.strip()
