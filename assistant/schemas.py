"""What the public, staff and editor routes answer, as response models (documented in /openapi.json).

Each model names the fields clients rely on; ``Out`` lets a key a newer part of the service adds
pass through instead of silently disappearing from the answer. Request bodies stay beside their
routes; these are the shapes several routes share.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.checklist import ChecklistGuide, ChecklistMaterial


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- chat --------------------------------------------------------------------------------------
class ButtonOut(Out):
    title: str
    payload: str = Field(description="sent back as the next message's text when pressed")


class AboutOut(Out):
    kind: Literal["guide", "bundle"]
    code: str
    name: str


class ReceiptOut(Out):
    kind: Literal["booking", "ticket"]
    number: str
    status: str


class ReplyOut(Out):
    text: str
    buttons: list[ButtonOut] = []
    checklist: dict[str, Any] | None = Field(default=None, description="a 一件事 checklist (see ChecklistOut)")
    handoff: bool = Field(default=False, description="show the 转人工 notice")
    about: AboutOut | None = Field(default=None, description="the guide or bundle the reply is about")
    receipt: ReceiptOut | None = Field(default=None, description="a booking or ticket confirmation")
    miss: bool = Field(default=False, description="nothing found: two in a row hand over to staff")
    urgent: bool = Field(default=False, description="an emergency: its numbers and first steps, shown first")


class ChatOut(Out):
    mode: str = Field(
        description="who answered: rasa, retrieval (without the dialogue server), safety, unavailable, "
        "human (a staff member holds the conversation: the bot stays quiet)"
    )
    messages: list[ReplyOut]


class RatedOut(Out):
    id: int
    message: str


class OkOut(Out):
    ok: bool


# -- the 一件事 checklist -----------------------------------------------------------------------------
class ChecklistOut(Out):
    bundle_code: str
    bundle_name: str
    answers: dict[str, str]
    unanswered: list[str] = Field(description="question ids still to answer")
    guides: list[ChecklistGuide]
    materials: list[ChecklistMaterial] = Field(description="一套材料: each material once, with the guides it serves")
    single_window: str
    online_entry: str | None
    total_days: int | None
    stages: list[list[str]]
    counts: dict[str, int]


# -- booking -------------------------------------------------------------------------------------
class HallOut(Out):
    id: str
    name: str
    district: str
    address: str
    phone: str


class SlotOut(Out):
    day: str
    start: str
    end: str
    free: int


class BookingOut(Out):
    number: str
    service_code: str
    service_name: str
    hall: HallOut
    day: str
    start: str
    end: str
    status: Literal["booked", "cancelled"]
    name_masked: str
    phone_masked: str


# -- 12345 tickets ----------------------------------------------------------------------------------
class TicketEventOut(Out):
    at: str
    status: str
    actor: str
    note: str


class TicketOut(Out):
    number: str
    category: str
    urgency: str
    district: str | None
    location: str | None
    description: str
    anonymous: bool
    contact_masked: str
    department: str = Field(description="the department it was routed to")
    status: str
    respond_by: str
    resolve_by: str
    created_at: str
    satisfaction: str | None
    history: list[TicketEventOut]


class OutboxItemOut(Out):
    id: int
    kind: str
    ref: str
    attempts: int
    next_attempt_at: str
    last_error: str | None


class OutboxOut(Out):
    counts: dict[str, int]
    pending: list[OutboxItemOut]
    dead: list[OutboxItemOut] = Field(default_factory=list, description="gave up: fix the cause, then retry")


class RetriedOut(Out):
    retried: int


# -- accounts ------------------------------------------------------------------------------------
class LoginOut(Out):
    token: str
    csrf: str
    user: str
    role: str
    expires_at: str
    department: str | None = Field(default=None, description="the account's department: the desk shows only its tickets")


class MeOut(Out):
    user: str
    role: str
    csrf: str
    department: str | None = Field(default=None, description="the account's department: the desk shows only its tickets")


# -- hotline staff --------------------------------------------------------------------------------
class LookupHitOut(Out):
    kind: Literal["guide", "bundle"]
    code: str
    name: str
    department: str
    score: float | None = Field(default=None, description="absent when browsing by filters")


class LookupOut(Out):
    decision: str = Field(description="answer, clarify, none; browse when only filters were given")
    region: str | None
    results: list[LookupHitOut]


class CallerOut(Out):
    phone_masked: str
    tickets: list[TicketOut]
    bookings: list[BookingOut]
    bookings_note: str = Field(description="why bookings could not be listed (an external system), or empty")


class FacetsOut(Out):
    departments: list[str]
    districts: list[str]


class ScriptOut(Out):
    code: str
    name: str
    text: str = Field(description="the answer as an operator reads it out")


# -- editors -------------------------------------------------------------------------------------
class ProblemOut(Out):
    field: str
    message: str


class ValidateOut(Out):
    ok: bool
    problems: list[ProblemOut]


class EntryRowOut(Out):
    kind: Literal["guide", "bundle"]
    code: str
    name: str
    department: str
    status: str
    latest_version: int
    published_version: int | None
    draft_pending: bool
    updated_at: str
    updated_by: str


class VersionOut(Out):
    version: int
    author: str
    note: str
    at: str
    published: bool


class EntryDetailOut(Out):
    kind: Literal["guide", "bundle"]
    code: str
    status: str
    latest_version: int
    published_version: int | None
    content: dict[str, Any]
    versions: list[VersionOut]


class ChangeOut(Out):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    field: str
    change: Literal["added", "removed", "changed"]
    from_: Any = Field(default=None, alias="from")
    to: Any = None


class DiffOut(Out):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    code: str
    from_: int = Field(alias="from")
    to: int
    changes: list[ChangeOut]


class ImportOut(Out):
    created: list[str]
    updated: list[str]
    unchanged: int
    published: list[str]


class TurnOut(Out):
    """One turn of a conversation from the question log, masked: the context of a queue's item."""

    at: str
    channel: str
    decision: str = Field(description="answer, clarify, none, emergency, form, handoff, other")
    decision_name: str = Field(description="the decision in Chinese: 回答, 追问…")
    code: str | None = Field(description="the guide or bundle answered (an emergency's kind)")
    name: str | None = Field(default=None, description="its name, when it is a published entry")
    text: str = Field(description="what the citizen said (a button's title when one was pressed)")
    reply: str = Field(description="the start of the answer (160 characters, on one line)")
    rated: bool = Field(default=False, description="the turn whose answer the 差评 is about")


class UnansweredOut(Out):
    id: int
    at: str
    text: str
    source: str
    region: str | None
    candidates: list[dict[str, Any]]
    status: str
    linked_code: str | None
    count: int = Field(description="how many times it was asked (every wording of the group)")
    ids: list[int] = Field(default_factory=list, description="every item of the group: one decision resolves them")
    variants: list[str] = Field(default_factory=list, description="other wordings of the same meaning")
    context: list[TurnOut] = Field(default_factory=list, description="the conversation's turns before it")
    suggested: str = Field(default="", description="the words tidied as a 相似问")
    suggested_code: str | None = Field(default=None, description="the entry to link to first")


class RatingItemOut(Out):
    id: int
    at: str
    helpful: bool
    reason: str
    question: str
    answer: str
    about: AboutOut | None
    source: str
    status: str
    linked_code: str | None
    note: str | None = Field(default=None, description="已处理时编辑写的说明")
    handled_by: str | None = None
    # the open 👎 queue only: duplicates grouped, the deadline and where 修改内容 opens the guide
    count: int | None = Field(default=None, description="同样的差评几条")
    ids: list[int] | None = None
    due: str | None = Field(default=None, description="处理期限（工作日）")
    overdue: bool | None = None
    field: str | None = Field(default=None, description="修改内容时先打开的字段，如 materials")
    context: list[TurnOut] = Field(default_factory=list, description="the turns before and after the rated answer")


class HandledOut(Out):
    ok: bool
    closed: int = Field(description="关闭了几条（含重复的）")


class RatingSummaryOut(Out):
    code: str
    name: str | None
    up: int
    down: int


class FormGroupOut(Out):
    title: str
    fields: list[dict[str, Any]] = Field(description="key, label, type and limits of each field")


class FormOut(Out):
    kind: Literal["guide", "bundle"]
    title: str
    groups: list[FormGroupOut]
