"""Read-only content for citizens, staff pages and other systems: published guides and bundles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from assistant.deps import StoreDep
from assistant.schemas import ChecklistOut
from knowledge.checklist import ChecklistError, build_checklist
from knowledge.schema import Bundle, EntryStatus, ServiceGuide
from knowledge.store import MissingEntryError, StoredEntry

router = APIRouter(prefix="/api", tags=["content"])


class EntrySummaryOut(BaseModel):
    kind: str
    code: str
    name: str
    department: str
    version: int | None


class EntryOut(BaseModel):
    kind: str
    code: str
    version: int
    updated_at: str
    content: dict[str, Any]


class ChecklistIn(BaseModel):
    answers: dict[str, str] = Field(default_factory=dict, description="问题 id -> 选项 value")
    done: list[str] = Field(default_factory=list, description="已经备好的材料名称")


def _out(stored: StoredEntry) -> EntryOut:
    return EntryOut(
        kind=stored.kind,
        code=stored.code,
        version=stored.version,
        updated_at=stored.updated_at.isoformat(),
        content=stored.content.model_dump(mode="json"),
    )


def _published(store, code: str, kind: str) -> StoredEntry:
    label = "办事指南" if kind == "guide" else "一件事"
    try:
        stored = store.get(code)
    except MissingEntryError:
        raise HTTPException(status_code=404, detail=f"没有找到编码为 {code} 的{label}") from None
    if stored.kind != kind:
        raise HTTPException(status_code=404, detail=f"没有找到编码为 {code} 的{label}")
    return stored


def _list(store, kind: str, department: str | None, q: str | None) -> list[EntrySummaryOut]:
    rows = store.find(kind=kind, status=EntryStatus.PUBLISHED, department=department, text=q)
    return [
        EntrySummaryOut(
            kind=r.kind, code=r.code, name=r.name, department=r.department, version=r.published_version
        )
        for r in rows
    ]


@router.get("/guides", response_model=list[EntrySummaryOut])
def list_guides(
    store: StoreDep,
    department: str | None = Query(default=None, description="实施主体"),
    q: str | None = Query(default=None, max_length=100, description="名称或编码中包含的文字"),
) -> list[EntrySummaryOut]:
    """List published service guides."""
    return _list(store, "guide", department, q)


@router.get("/guides/{code}", response_model=EntryOut)
def get_guide(code: str, store: StoreDep) -> EntryOut:
    """One published service guide, in full."""
    return _out(_published(store, code, "guide"))


@router.get("/bundles", response_model=list[EntrySummaryOut])
def list_bundles(
    store: StoreDep, q: str | None = Query(default=None, max_length=100)
) -> list[EntrySummaryOut]:
    """List published 一件事 bundles."""
    return _list(store, "bundle", None, q)


@router.get("/bundles/{code}", response_model=EntryOut)
def get_bundle(code: str, store: StoreDep) -> EntryOut:
    """One published 一件事 bundle with its questions and linked guides."""
    return _out(_published(store, code, "bundle"))


def bundle_guides(store, bundle: Bundle) -> dict[str, ServiceGuide]:
    """The bundle's guides as citizens see them (published), by code; a retired one is left out."""
    guides: dict[str, ServiceGuide] = {}
    for link in bundle.guides:
        try:
            content = store.get(link.code).content
        except MissingEntryError:
            continue
        if isinstance(content, ServiceGuide):
            guides[link.code] = content
    return guides


@router.post("/bundles/{code}/checklist", response_model=ChecklistOut)
def bundle_checklist(code: str, body: ChecklistIn, store: StoreDep) -> dict:
    """The personalised checklist for the given answers."""
    bundle = _published(store, code, "bundle").content
    assert isinstance(bundle, Bundle)
    try:
        return build_checklist(bundle, bundle_guides(store, bundle), body.answers, body.done).as_dict()
    except ChecklistError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
