"""The question inside a long message: "我下个月满60，单位让我自己去社保办退休领养老金，要准备啥"
is asked about 办退休领养老金, not about 下个月 or 单位.

A message is split into clauses at punctuation; the question clause is the last one with a
question word (怎么/吗/啥/哪/多久/能不能…). When it says little by itself ("要准备啥"), the
clause before it is kept too, since that is where the object usually is. Short messages and
messages without a question word are returned whole.
"""

from __future__ import annotations

import re

LONG_MESSAGE = 28  # characters; shorter messages are matched as they are
_SPLIT = re.compile(r"[，,。．.！!？?；;：:\s、~～]+")
_QUESTION = re.compile(
    r"[?？]|怎么|怎样|如何|咋|啥|什么|为啥|为什么|干嘛|哪|吗|么$|呢|能不能|能否|可不可以|可以不|是否|要不要|"
    r"需不需要|会不会|是不是|多久|多长|多少|几天|几个|有没有|行不行|还是|不会.{0,12}吧$|不(?:了|行|能.{0,3}|用.{0,5}|要.{0,5})吧$"
)
_CONTENT_MIN = 8  # a question clause shorter than this borrows the clause before it
# what opens a message without being its content: greetings and "by the way"s ("另外问下 孩子…")
_LEADING = re.compile(
    r"^(?:你好|您好|喂|请问一下|请问|我想问一下|我想问问|我想问|想问一下|问一下|麻烦问一下|那个|"
    r"顺带问下|顺带问一下|顺便问下|顺便问一下|顺便问问|另外问下|另外问一下|另外|还有个事|还有|对了|再问一下|再问下)[，,、\s]*"
)


def without_lead(text: str) -> str:
    """The message without the greetings and "by the way"s that open it (at most two), or the
    message itself when nothing else is left ("你好")."""
    out = text
    for _ in range(2):
        out = _LEADING.sub("", out)
    return out or text


def is_question(text: str) -> bool:
    """Does the message ask something ("周六能办吗", "为啥要手机号")? A bare "不" or "好" does not."""
    return bool(_QUESTION.search(text))


def clauses(text: str) -> list[str]:
    return [c for c in _SPLIT.split(text) if c]


def question_focus(normalized: str) -> str | None:
    """The clause(s) a long message asks about, or None when the whole message is the question."""
    if len(normalized) < LONG_MESSAGE:
        return None
    parts = clauses(normalized)
    if len(parts) < 2:
        return None
    idx = next((i for i in range(len(parts) - 1, -1, -1) if _QUESTION.search(parts[i])), None)
    if idx is None:
        return None
    focus = parts[idx]
    start = idx
    while len(focus) < _CONTENT_MIN and start > 0:
        start -= 1
        focus = parts[start] + "，" + focus
    return focus if focus != normalized else None
