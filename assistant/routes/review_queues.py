"""Editor API for the two review queues: questions nobody could answer and 差评 (bad ratings).
Each item leads to a fix: link its words to a guide as a 相似问, open the guide at the part the
reason names, or mark it handled with a note. Editors and admins only."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from assistant.deps import EditorSession, RatingsDep, SettingsDep, StoreDep, UnansweredDep, require
from assistant.fields import CleanStr, RowId
from assistant.routes.admin import entry_out
from assistant.schemas import (
    EntryDetailOut,
    HandledOut,
    OkOut,
    RatingItemOut,
    RatingSummaryOut,
    UnansweredOut,
)
from connectors.calendar import WorkCalendar
from knowledge.store import ContentStore, MissingEntryError

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require("editor"))])


class LinkIn(BaseModel):
    code: str
    add_similar_question: bool = True
    question: CleanStr | None = Field(
        default=None, max_length=200, description="the 相似问 as the editor tidied it"
    )
    publish: bool = False


class HandledIn(BaseModel):
    note: str = Field(min_length=2, max_length=1000, description="怎么处理的，如：补充了照片尺寸要求")
    code: str | None = Field(default=None, max_length=64, description="修改了哪个条目")


# the 差评 reasons the citizen page offers -> the part of a guide to open first
REASON_FIELDS = {"材料": "materials", "地点": "halls", "地址": "halls", "时间": "halls", "电话": "halls",
                 "收费": "fee", "费用": "fee", "流程": "steps", "时限": "promised_limit_days", "过时": "summary"}  # fmt: skip


def field_for_reason(reason: str) -> str | None:
    return next((f for word, f in REASON_FIELDS.items() if word in (reason or "")), None)


@lru_cache(maxsize=1)
def _calendar() -> WorkCalendar:
    return WorkCalendar.load()


@router.get("/unanswered", response_model=list[UnansweredOut])
def unanswered(
    queue: UnansweredDep, status: Literal["open", "linked", "dismissed"] = "open"
) -> list[dict]:
    """What citizens asked that no service matched (PII masked): one item per distinct question,
    with how many times it was asked."""
    return [
        {
            "id": i.id,
            "at": i.at.isoformat(),
            "text": i.text,
            "source": i.source,
            "region": i.region,
            "candidates": i.candidates,
            "status": i.status,
            "linked_code": i.linked_code,
            "count": i.count,
            "suggested": tidy_question(i.text),
        }
        for i in queue.items(status=status, grouped=True)
    ]


_LEADING = re.compile(r"^(?:你好|您好|喂|请问一下|请问|我想问一下|我想问问|我想问|想问一下|问一下|麻烦问一下|那个)[，,、\s]*")
_TRAILING = re.compile(r"[啊呀呢吗嘛哈吧啦]*[？?。！!～~\s]*$")
_MASKED = re.compile(r"[，,\s]*(?:我的)?(?:电话|手机|手机号|号码|身份证号?)?(?:是)?\s*\d*\*{3,}\d*[，,\s]*")


def tidy_question(text: str) -> str:
    """The words as a 相似问: greetings, masked numbers and trailing particles dropped."""
    out = _MASKED.sub("，", text).strip("，, ")
    for _ in range(2):
        out = _LEADING.sub("", out)
    return _TRAILING.sub("", out).strip("，, ") or text


@router.post("/unanswered/{item_id}/link", response_model=EntryDetailOut)
def link(
    item_id: RowId, body: LinkIn, store: StoreDep, queue: UnansweredDep, session: EditorSession
) -> dict:
    """Link a question to a guide, adding it there as a 相似问 (a draft, or published at once)."""
    return _link(queue, store, item_id, body, session, lambda i: i.text)


def _link(queue, store: ContentStore, item_id: int, body: LinkIn, session, question_of) -> dict:
    """Resolve a queue item by linking it to an entry, where its words become a 相似问."""
    item = queue.get(item_id)
    try:
        current = store.get(body.code, published=False).content
    except MissingEntryError:
        raise HTTPException(status_code=404, detail=f"没有编码为 {body.code} 的条目") from None
    question = (body.question or question_of(item)).strip()
    if body.add_similar_question and not question:
        raise HTTPException(
            status_code=422,
            detail={"message": "相似问不能为空", "problems": [{"field": "question", "message": "请填写相似问"}]},
        )
    if body.add_similar_question and question not in current.similar_questions:
        data = current.model_dump(mode="json")
        data["similar_questions"] = [*current.similar_questions, question]
        store.save(
            type(current).model_validate(data),
            author=session.user.username,
            note=f"从{queue.label} #{item_id} 补充相似问",
            publish=body.publish,
        )
    queue.resolve(item_id, linked_code=body.code)
    return entry_out(store, body.code)


@router.post("/unanswered/{item_id}/dismiss", response_model=OkOut)
def dismiss(item_id: RowId, queue: UnansweredDep) -> dict:
    """Not a service question (chit-chat, abuse…): take it off the queue."""
    return _dismiss(queue, item_id)


def _dismiss(queue, item_id: int) -> dict:
    queue.resolve(item_id)
    return {"ok": True}


@router.get("/ratings", response_model=list[RatingItemOut])
def ratings(
    queue: RatingsDep,
    settings: SettingsDep,
    helpful: bool | None = False,
    status: Literal["open", "linked", "dismissed"] | None = "open",
) -> list[dict]:
    """好差评: by default the open 👎, duplicates (same question about the same answer) as one item
    with how many, each with its deadline (``rating_due_workdays`` working days) and where to fix it."""
    if helpful is not False or status != "open":
        return [r.as_dict() for r in queue.items(helpful=helpful, status=status)]
    today = date.today()
    out = []
    for newest, copies in queue.grouped():
        due = _calendar().add_workdays(copies[-1].at.date(), settings.rating_due_workdays)  # from the first
        out.append(
            {
                **newest.as_dict(),
                "count": len(copies),
                "ids": [r.id for r in copies],
                "due": due.isoformat(),
                "overdue": due < today,
                "field": field_for_reason(newest.reason),
            }
        )
    return out


@router.post("/ratings/{item_id}/handled", response_model=HandledOut)
def rating_handled(item_id: int, body: HandledIn, queue: RatingsDep, session: EditorSession) -> dict:
    """已处理（说明）: close the 差评 (and its duplicates) saying what was done."""
    closed = queue.handle(item_id, note=body.note, by=session.user.username, linked_code=body.code)
    return {"ok": True, "closed": closed}


@router.get("/ratings/summary", response_model=list[RatingSummaryOut])
def ratings_summary(queue: RatingsDep) -> list[dict]:
    """👍/👎 counts per guide or bundle, most 👎 first."""
    return queue.summary()


@router.post("/ratings/{item_id}/link", response_model=EntryDetailOut)
def link_rating(
    item_id: RowId, body: LinkIn, store: StoreDep, queue: RatingsDep, session: EditorSession
) -> dict:
    """The answer was wrong for these words: add them to the right guide as a 相似问."""
    return _link(queue, store, item_id, body, session, lambda r: r.question)


@router.post("/ratings/{item_id}/dismiss", response_model=OkOut)
def dismiss_rating(item_id: RowId, queue: RatingsDep) -> dict:
    """Seen, nothing to change."""
    return _dismiss(queue, item_id)
