"""Editor API for the two review queues: questions nobody could answer and 差评 (bad ratings).
Each item leads to a fix: link its words to a guide as a 相似问, open the guide at the part the
reason names, or mark it handled with a note. Each comes with the turns of its conversation
around it (from the question log, masked); unanswered questions of the same meaning are one item.
Editors and admins only."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from assistant.deps import (
    EditorSession,
    OptionalRetrieverDep,
    QuestionsDep,
    RatingsDep,
    SettingsDep,
    StoreDep,
    UnansweredDep,
    require,
)
from assistant.fields import CleanStr, RowId
from assistant.question_log import DECISIONS, Asked, aware
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
from knowledge.ratings import Rating
from knowledge.store import ContentStore, MissingEntryError
from knowledge.unanswered import Unanswered, tidy_question
from nlu.normalize import normalize
from nlu.phrasebook import Phrasebook
from nlu.safety import default_check

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require("editor"))])


class LinkIn(BaseModel):
    code: str
    add_similar_question: bool = True
    question: CleanStr | None = Field(
        default=None, max_length=200, description="the 相似问 as the editor tidied it"
    )
    publish: bool = False
    also: list[RowId] = Field(default_factory=list, max_length=200, description="其他同义的条目，一起处理")


class DismissIn(BaseModel):
    also: list[RowId] = Field(default_factory=list, max_length=200, description="其他同义的条目，一起忽略")


class HandledIn(BaseModel):
    note: str = Field(min_length=2, max_length=1000, description="怎么处理的，如：补充了照片尺寸要求")
    code: str | None = Field(default=None, max_length=64, description="修改了哪个条目")


# the 差评 reasons the citizen page offers -> the part of a guide to open first
REASON_FIELDS = {"材料": "materials", "地点": "halls", "地址": "halls", "时间": "halls", "电话": "halls",
                 "收费": "fee", "费用": "fee", "流程": "steps", "时限": "promised_limit_days", "过时": "summary"}  # fmt: skip


def field_for_reason(reason: str) -> str | None:
    return next((f for word, f in REASON_FIELDS.items() if word in (reason or "")), None)


@lru_cache(maxsize=1)
def _phrasebook() -> Phrasebook:
    return Phrasebook.load()


@lru_cache(maxsize=1)
def _calendar() -> WorkCalendar:
    return WorkCalendar.load()


_THEN = re.compile(r"^(?:那么|那)(?=[要还得能该是去])")  # "那要花多少": the 那 points back at the guide
CONTEXT_WINDOW = timedelta(minutes=30)  # turns older than this before an item are another visit
FOLLOW_UP_CHARS = 12  # "要花多少": short words that lean on the answer before them


def _names(store) -> dict[str, str]:
    """Entry and emergency names by code, to say what each turn of a context was about."""
    return {e.code: e.name for e in store.published()} | {k.id: k.name for k in default_check().kinds}


def turn_out(t: Asked, names: dict[str, str], rated: bool = False) -> dict:
    return {**t.as_dict(), "name": names.get(t.code or ""), "decision_name": DECISIONS.get(t.decision, t.decision), "rated": rated}


def suggestion(item: Unanswered, context: list[dict]) -> tuple[str, str | None]:
    """The 相似问 and the entry to offer first: a short follow-up after an answer ("要花多少" after
    居民身份证补领) is offered to that entry with its name in front, since on its own it would
    match every guide; anything else keeps its tidied words and the nearest candidate."""
    words = tidy_question(item.text)
    answered = next((t for t in reversed(context) if t["decision"] == "answer" and t["code"] and t["name"]), None)
    asks_about = _phrasebook().aspect_of(normalize(words)) is not None  # 多少钱, 材料, 本人去…
    if answered is not None and asks_about and len(words) <= FOLLOW_UP_CHARS and answered["name"] not in words:
        return f"{answered['name']}{_THEN.sub('', words)}", answered["code"]
    return words, (item.candidates[0]["code"] if item.candidates else None)


@router.get("/unanswered", response_model=list[UnansweredOut])
def unanswered(
    queue: UnansweredDep, questions: QuestionsDep, store: StoreDep, retriever: OptionalRetrieverDep,
    status: Literal["open", "linked", "dismissed"] = "open",
) -> list[dict]:  # fmt: skip
    """What citizens asked that no service matched (PII masked): one item per meaning (the same
    tidied words, or — while search is on — embeddings this close), with how many times it was
    asked, its other wordings, the conversation's turns before it, and a tidied 相似问."""
    names = _names(store)
    out = []
    for group in queue.by_meaning(retriever, status=status):
        first = group[0]
        turns = questions.around(first.conversation, first.at, before=3, since=first.at - CONTEXT_WINDOW)
        context = [turn_out(t, names) for t in turns]
        suggested, code = suggestion(first, context)
        out.append({
            "id": first.id, "at": first.at.isoformat(), "text": first.text, "source": first.source,
            "region": first.region, "candidates": first.candidates, "status": first.status,
            "linked_code": first.linked_code, "count": sum(i.count for i in group), "ids": [i.id for i in group],
            "variants": list(dict.fromkeys(i.text for i in group[1:] if i.text != first.text)),
            "context": context, "suggested": suggested, "suggested_code": code,
        })  # fmt: skip
    return out


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
    queue.resolve(item_id, linked_code=body.code, also=body.also)
    return entry_out(store, body.code)


@router.post("/unanswered/{item_id}/dismiss", response_model=OkOut)
def dismiss(item_id: RowId, queue: UnansweredDep, body: DismissIn | None = None) -> dict:
    """Not a service question (chit-chat, abuse…): take it (and ``also``, its other wordings) off the queue."""
    return _dismiss(queue, item_id, body)


def _dismiss(queue, item_id: int, body: DismissIn | None = None) -> dict:
    queue.resolve(item_id, also=body.also if body else ())
    return {"ok": True}


def rating_context(questions, names: dict[str, str], r: Rating) -> list[dict]:
    """The turns before and after the rated answer: two on either side of the turn it answered,
    the latest one before the rating with the same words about the same entry (else about the
    same entry — a 一件事 answered after its buttons —, else with the same words, else the last)."""
    at = aware(r.at)
    turns = questions.around(r.conversation, at, before=8, after=3, since=at - CONTEXT_WINDOW)
    earlier = [i for i, t in enumerate(turns) if t.at <= at]
    if not earlier:
        return []
    code = (r.about or {}).get("code")

    def fit(i: int) -> tuple[bool, bool, bool, int]:
        same_code = bool(code) and turns[i].code == code
        return (same_code and turns[i].text == r.question, same_code, turns[i].text == r.question, i)

    rated = max(earlier, key=fit)
    return [turn_out(t, names, i == rated) for i, t in enumerate(turns) if abs(i - rated) <= 2]


@router.get("/ratings", response_model=list[RatingItemOut])
def ratings(
    queue: RatingsDep,
    settings: SettingsDep,
    questions: QuestionsDep,
    store: StoreDep,
    helpful: bool | None = False,
    status: Literal["open", "linked", "dismissed"] | None = "open",
) -> list[dict]:
    """好差评: by default the open 👎, duplicates (same question about the same answer) as one item
    with how many, each with its deadline (``rating_due_workdays`` working days), where to fix it
    and the conversation around the rated answer."""
    if helpful is not False or status != "open":
        return [r.as_dict() for r in queue.items(helpful=helpful, status=status)]
    today = date.today()
    names = _names(store)
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
                "context": rating_context(questions, names, newest),
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
