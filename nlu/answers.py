"""A typed answer to a 一件事 question, matched to one of its options.

"个体户" is the option 个体工商户, "面积不大，大概50平" answers "经营面积是否超过 300 平方米？"
with 否, "房东还有贷款没还完" answers "房屋是否还有抵押贷款未还清？" with 是, "还没办呢" is 否.
Returns None when the words do not answer the question, so the conversation can treat them as
something else. ``implied`` fills later questions a quantity already answers ("50平" also
answers "是否超过 300 平方米").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlu.normalize import normalize
from nlu.numbers import holds, quantities, threshold
from nlu.phrasebook import Phrasebook, default_phrasebook

YES_LABELS = ("是", "有", "需要", "要", "已办理", "已经")
NO_LABELS = ("否", "没有", "无", "不需要", "不要", "未办理")
QUESTION_CUES = ("吗", "什么", "怎么", "多少", "多久", "多长", "哪", "为啥", "为什么", "咋", "啥")
Option = tuple[str, str]  # (value, label)


def _fold(text: str) -> str:
    return normalize(text).replace(" ", "")


def _polar(options: Sequence[Option], yes: bool) -> str | None:
    labels = YES_LABELS if yes else NO_LABELS
    for value, label in options:
        if label in labels or value in labels:
            return value
    return None


def polarity(text: str, book: Phrasebook | None = None) -> bool | None:
    """True for a yes ("有的", "要", "已经办了"), False for a no ("还没有", "不需要"), else None."""
    book = book or default_phrasebook()
    folded = _fold(text)
    if not folded:
        return None
    if book.has(folded, book.no):
        return False
    if book.has(folded, book.yes):
        return True
    return None


_NEGATED_AFTER = ("用不上", "用不着", "不用", "不需要", "不要", "不装", "不接", "没有", "就不", "也不用", "也不要")


def _topic_polarity(folded: str, question: str, book: Phrasebook) -> bool | None:
    """The answer names what the question is about in the citizen's words ("还有贷款没还完")."""
    q = _fold(question)
    for topic, words in book.question_words.items():
        if topic not in q:
            continue
        for word in words:
            at = folded.find(word)
            if at < 0:
                continue
            before = folded[max(0, at - 3) : at]
            after = folded[at + len(word) : at + len(word) + 4]  # "燃气用不上": said after the word
            negated = (
                any(n in before for n in ("没", "不", "无", "未")) or after.startswith(_NEGATED_AFTER)
            ) and not any(n in word for n in book.no)
            return not negated
    return None


def _named_option(folded: str, options: Sequence[Option], book: Phrasebook) -> str | None:
    """The option the words name: its label ("个体工商户") or a word for it ("个体户")."""
    for value, label in sorted(options, key=lambda o: -len(o[1])):
        if len(label) > 1 and (_fold(label) in folded or _fold(value) == folded):
            return value
    for value, label in options:
        if any(w in folded for w in book.option_words.get(_fold(label), ())):
            return value
    return None


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def stated(
    text: str, question: str, options: Sequence[Option], answer_type: str = "yes_no", book: Phrasebook | None = None
) -> str | None:
    """The option a message states before the question was asked (the first message of a 一件事:
    "打算个体户开个绘本馆" states 个体工商户, "二代残疾证早就有了" answers "是否已持有第二代残疾人证？").
    Stricter than ``match_option``: only statements count, never a clause that asks ("要还完贷款吗"),
    and a bare yes or no states nothing."""
    book = book or default_phrasebook()
    clauses = [c for c in re.split(r"[\s，,。！!；;？?]+", normalize(text)) if c]
    statements = [c for c in clauses if not any(cue in c for cue in QUESTION_CUES) and not book.aspect_of(c)]
    asked = _fold(question).split("是否", 1)[-1]
    for clause in statements:
        named = _named_option(clause, options, book)
        if named is not None:
            return named
        if answer_type == "choice":
            continue
        topical = _topic_polarity(clause, question, book)
        if topical is not None:
            return _polar(options, topical)
        shared = _bigrams(clause) & (_bigrams(asked) - _PLAIN_BIGRAMS - {"已持", "持有", "已经"})
        if len(shared) >= 2 and book.has(clause, book.have):
            return _polar(options, True)
    return None


def match_option(
    text: str,
    question: str,
    options: Sequence[Option],
    answer_type: str = "yes_no",
    book: Phrasebook | None = None,
) -> str | None:
    book = book or default_phrasebook()
    folded = _fold(text)
    if not folded:
        return None
    named = _named_option(folded, options, book)
    if named is not None:
        return named
    if answer_type == "choice":
        best, score = None, 0.0
        for value, label in options:
            chars = set(_fold(label))
            overlap = len(chars & set(folded)) / max(len(chars), 1)
            if overlap > score:
                best, score = value, overlap
        return best if score >= 0.6 else None
    rule = threshold(question)
    if rule:
        family, limit, op = rule
        value = quantities(text).get(family)
        if value is not None:
            return _polar(options, holds(value, limit, op))
    q_folded = _fold(question)
    if any(t in q_folded and any(w in folded for w in ws) for t, ws in book.opposites.items()):
        return _polar(options, False)  # "就在本地住" to "是否在外地居住？"
    topical = _topic_polarity(folded, question, book)
    if topical is not None:
        return _polar(options, topical)
    if any(cue in folded for cue in QUESTION_CUES) or book.aspect_of(folded):
        return None  # "有什么要注意的吗", "要多久" are questions, not a yes
    q = _fold(question)
    shared = {folded[i : i + 2] for i in range(len(folded) - 1)} & {q[i : i + 2] for i in range(len(q) - 1)}
    leads = any(folded.startswith(w) for w in book.yes + book.no)
    if len(folded) > 10 and not (shared - {"是否", "是不", "需要"}) and not leads:
        return None  # a long sentence about something else answers nothing
    asked = q.split("是否", 1)[-1]  # what is asked, not its setting ("退休后" in "退休后是否在外地居住")
    # "家里就他一个人 也没收入 想申请低保": the clause about what is asked answers, not the 没 of another
    folded = _clauses_about(text, asked) or folded
    said = _sentence_polarity(folded, q, book)
    if said is None and {folded[i : i + 2] for i in range(len(folded) - 1)} & (
        {asked[i : i + 2] for i in range(len(asked) - 1)} - _PLAIN_BIGRAMS
    ):  # "兼卖咖啡" to "是否兼营咖啡…？": it says what is asked
        said = True
    return _polar(options, said) if said is not None else None


def _clauses_about(text: str, asked: str) -> str:
    """The clauses of a several-clause answer that share a word with what is asked ("" if all or none do)."""
    clauses = [c for c in re.split(r"[\s，,。！!；;]+", normalize(text)) if c]
    words = _bigrams(asked) - _PLAIN_BIGRAMS
    about = [c for c in clauses if _bigrams(c) & words]
    return "".join(about) if about and len(about) < len(clauses) else ""


_PLAIN_BIGRAMS = {"是否", "是不", "需要", "有没", "没有", "要不", "不要", "会不", "办理", "本人"}


def _sentence_polarity(folded: str, question: str, book: Phrasebook) -> bool | None:
    """Yes or no for a sentence; a negation the question itself makes ("未结清" → "还有欠款没结清")
    does not count as a no."""
    own = question.replace("未", "没").replace("无", "没")
    rest = folded
    for word in sorted(book.no, key=len, reverse=True):
        at = rest.find(word)
        while at >= 0:
            tail = rest[at + len(word) : at + len(word) + 2]
            if not (tail and ("没" + tail) in own):
                return False
            rest = rest[:at] + rest[at + len(word) :]
            at = rest.find(word)
    if book.has(rest, book.yes) or rest != folded:
        return True
    return None


def implied(
    text: str,
    answered: str,
    question: str,
    options: Sequence[Option],
    later: Sequence[tuple[str, str, Sequence[Option]]],
) -> dict[str, str]:
    """Later questions (id, text, options) that the same answer settles: a quantity the citizen
    gave, or a yes/no bound ("在 50 平方米以下" = 是 → "超过 300 平方米" = 否)."""
    settled: dict[str, str] = {}
    known = quantities(text)
    bound = threshold(question)
    yes_value = _polar(options, True)
    for qid, qtext, qoptions in later:
        rule = threshold(qtext)
        if not rule:
            continue
        family, limit, op = rule
        if family in known:
            settled[qid] = _polar(qoptions, holds(known[family], limit, op)) or ""
        elif bound and bound[0] == family:
            # the first answer bounds the quantity; settle the later question when the bound decides it
            b_family, b_limit, b_op = bound
            upper = b_limit if (answered == yes_value) == (b_op in ("le", "lt")) else None
            lower = b_limit if (answered == yes_value) == (b_op in ("gt", "ge")) else None
            if upper is not None and op in ("gt", "ge") and upper <= limit:
                settled[qid] = _polar(qoptions, False) or ""
            elif lower is not None and op in ("le", "lt") and lower >= limit:
                settled[qid] = _polar(qoptions, False) or ""
    return {k: v for k, v in settled.items() if v}
