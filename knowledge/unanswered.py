"""The unanswered-question log: what citizens asked that no service matched, for editors.

Text is stored with 身份证号/手机号/银行卡号 masked (``nlu.pii``); an editor links an item
to a guide (and adds a 相似问 there) or dismisses it. The same question asked many times is one
item for the editor (``grouped``), and resolving it resolves every open copy. ``by_meaning``
goes further: the same words once greetings, masked numbers and particles are dropped and
colloquial words are read as the formal ones (驾照 = 机动车驾驶证), or — with the search's
embedding model — questions this close in meaning ("狗证在哪办" / "给狗办证去哪里") are one group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import func, select

from knowledge.review_queue import ReviewQueue
from knowledge.store.tables import UnansweredRow
from nlu.clauses import without_lead
from nlu.normalize import clean_text, normalize
from nlu.pii import mask_pii

# "the same meaning" on the search's calibrated dense scale (dense_low -> 0, dense_high -> 1):
# e5-small cosine ~0.93, m3e-small ~0.90. Checked on paraphrase pairs (狗证在哪办 / 给狗办证去哪里,
# 退休金怎么算 / 养老金怎么计算) against different questions (猫要办证吗 / 养狗要办什么证 stays apart).
SAME_MEANING = 0.78
_TRAILING = re.compile(r"[啊呀呢吗嘛哈吧啦]*[？?。！!～~\s]*$")
_MASKED = re.compile(r"[，,\s]*(?:我的)?(?:电话|手机|手机号|号码|身份证号?)?(?:是)?\s*\d*\*{3,}\d*[，,\s]*")


def tidy_question(text: str) -> str:
    """The words as a 相似问: greetings, masked numbers and trailing particles dropped."""
    out = _MASKED.sub("，", text).strip("，, ")
    return _TRAILING.sub("", without_lead(out)).strip("，, ") or text


@dataclass(frozen=True)
class Unanswered:
    id: int
    at: datetime
    text: str
    source: str
    region: str | None
    candidates: list
    status: str
    linked_code: str | None
    count: int = 1  # open copies of the same (normalised) question, when grouped
    conversation: str | None = None  # pseudonym of the conversation (its turns: the question log)


class UnansweredLog(ReviewQueue):
    row = UnansweredRow
    label = "未答问题"

    def _item(self, r: UnansweredRow) -> Unanswered:
        return Unanswered(
            r.id, r.at, r.text, r.source, r.region, r.candidates, r.status, r.linked_code, 1, r.conversation
        )

    def record(
        self,
        text: str,
        normalized: str,
        *,
        source: str,
        region: str | None = None,
        candidates: list | None = None,
        sender: str | None = None,
    ) -> int:
        with self._sessions.begin() as s:
            row = UnansweredRow(
                at=datetime.now(UTC),
                text=mask_pii(clean_text(text))[:1000],
                normalized=mask_pii(clean_text(normalized))[:1000],
                source=source,
                region=region,
                candidates=candidates or [],
                status="open",
                conversation=self.conversation_of(sender),
            )
            s.add(row)
            s.flush()
            return row.id

    def record_miss(self, result, *, source: str, sender: str | None = None) -> int:
        """Log a ``SearchResult`` whose decision was none, with its nearest candidates."""
        candidates = [{"code": h.code, "name": h.name, "score": round(h.score, 4)} for h in result.results]
        return self.record(
            result.query, result.normalized, source=source, region=result.region, candidates=candidates,
            sender=sender,
        )  # fmt: skip

    def items(self, status: str | None = "open", limit: int = 100, *, grouped: bool = False) -> list[Unanswered]:
        """Newest first; ``grouped``: one item per distinct question, the newest copy, with a count."""
        if not grouped:
            stmt = self._filtered(select(UnansweredRow).order_by(UnansweredRow.id.desc()).limit(limit), status)
            with self._sessions() as s:
                return [self._item(r) for r in s.scalars(stmt)]
        newest = func.max(UnansweredRow.id)
        groups = self._filtered(
            select(newest, func.count(UnansweredRow.id)).group_by(UnansweredRow.normalized), status
        ).order_by(newest.desc()).limit(limit)
        with self._sessions() as s:
            counts = dict(s.execute(groups).all())
            rows = s.scalars(select(UnansweredRow).where(UnansweredRow.id.in_(counts)).order_by(UnansweredRow.id.desc()))
            return [replace(self._item(r), count=int(counts[r.id])) for r in rows]

    def by_meaning(self, retriever=None, status: str | None = "open", limit: int = 100) -> list[list[Unanswered]]:
        """Questions of the same meaning together, each group newest first, groups by their newest
        question. Without a retriever (search off) only the tidied, normalised words are compared."""
        items = self.items(status=status, limit=limit, grouped=True)
        tidied = [tidy_question(i.text) for i in items]
        expand = retriever.synonyms.expand if retriever is not None else (lambda t: t)
        keys = [expand(normalize(t)).replace(" ", "") for t in tidied]
        vectors = None
        if retriever is not None and items:
            vectors = retriever.embedder.embed_queries(tidied)
            t = retriever.thresholds
            same = t.dense_low + SAME_MEANING * (t.dense_high - t.dense_low)
        groups: list[list[int]] = []
        for i in range(len(items)):
            home = next((g for g in groups if keys[g[0]] == keys[i]), None)
            if home is None and vectors is not None and groups:
                firsts = np.array([g[0] for g in groups])
                sims = vectors[firsts] @ vectors[i]
                best = int(np.argmax(sims))
                home = groups[best] if float(sims[best]) >= same else None
            if home is None:
                groups.append([i])
            else:
                home.append(i)
        return [[items[i] for i in g] for g in groups]

    def _together(self, row: UnansweredRow):
        """The item and every other open copy of the same question."""
        same = (UnansweredRow.normalized == row.normalized) & (UnansweredRow.status == "open")
        return (UnansweredRow.id == row.id) | same
