"""Editor API: find, validate, edit (as drafts), preview, publish, retire, restore and compare
versions of guides and bundles; import/export files; turn unanswered questions into 相似问.
Editors and admins only. Publishing updates search in place (store events)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from assistant.deps import EditorSession, StoreDep, require
from assistant.editor_form import field_label
from assistant.fields import DB_INT_MAX, CleanStr
from assistant.replies import bundle_intro, guide_answer
from assistant.routes.admin_form import problems_of
from assistant.schemas import (
    DiffOut,
    EntryDetailOut,
    EntryRowOut,
    ImportOut,
    ReplyOut,
    ValidateOut,
)
from knowledge.formats import write_path
from knowledge.importer import import_path
from knowledge.schema import ServiceGuide, kind_of
from knowledge.store import ContentStore, MissingEntryError

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require("editor"))])


class EntryIn(BaseModel):
    kind: Literal["guide", "bundle"]
    content: dict[str, Any]
    note: CleanStr = Field(default="", max_length=500)


class PublishIn(BaseModel):
    version: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    note: CleanStr = Field(default="", max_length=500)


class RestoreIn(BaseModel):
    version: int = Field(ge=1, le=DB_INT_MAX)
    publish: bool = False


def _problems(store: ContentStore, body: EntryIn) -> tuple[list[dict], Any]:
    return problems_of(store, body.kind, body.content)


def _checked(store: ContentStore, body: EntryIn):
    problems, entry = _problems(store, body)
    if problems:
        raise HTTPException(status_code=422, detail={"message": "内容有问题，未保存", "problems": problems})
    return entry


def entry_out(store: ContentStore, code: str) -> dict:
    try:
        stored = store.get(code, published=False)
    except MissingEntryError:
        raise HTTPException(status_code=404, detail=f"没有编码为 {code} 的条目") from None
    return {
        "kind": stored.kind,
        "code": code,
        "status": stored.status,
        "latest_version": stored.latest_version,
        "published_version": stored.published_version,
        "content": stored.content.model_dump(mode="json"),
        "versions": [
            {
                "version": v.version,
                "author": v.author,
                "note": v.note,
                "at": v.created_at.isoformat(),
                "published": v.published,
            }
            for v in store.history(code)
        ],
    }


@router.get("/entries", response_model=list[EntryRowOut])
def entries(
    store: StoreDep,
    kind: Literal["guide", "bundle"] | None = None,
    status: Literal["draft", "published", "retired"] | None = None,
    department: str | None = None,
    q: str | None = Query(default=None, max_length=100),
) -> list[dict]:
    """All entries in any status, filtered."""
    rows = store.find(kind=kind, status=status, department=department, text=q)
    return [
        {
            "kind": r.kind,
            "code": r.code,
            "name": r.name,
            "department": r.department,
            "status": r.status,
            "latest_version": r.latest_version,
            "published_version": r.published_version,
            "draft_pending": r.published_version is not None and r.latest_version > r.published_version,
            "updated_at": r.updated_at.isoformat(),
            "updated_by": r.updated_by,
        }
        for r in rows
    ]


@router.get("/entries/{code}", response_model=EntryDetailOut)
def entry(code: str, store: StoreDep) -> dict:
    """The latest version (draft or published) with its history."""
    return entry_out(store, code)


@router.post("/validate", response_model=ValidateOut)
def validate(body: EntryIn, store: StoreDep) -> dict:
    """Check content without saving: the problems, each with its field."""
    problems, _ = _problems(store, body)
    return {"ok": not problems, "problems": problems}


@router.post("/entries", status_code=201, response_model=EntryDetailOut)
def create(body: EntryIn, store: StoreDep, session: EditorSession) -> dict:
    """Create an entry as a draft."""
    entry_ = _checked(store, body)
    try:
        store.get(entry_.code, published=False)
        raise HTTPException(status_code=409, detail=f"编码 {entry_.code} 已存在，请用修改")
    except MissingEntryError:
        pass
    _save(store, entry_, session, body.note)
    return entry_out(store, entry_.code)


@router.put("/entries/{code}", response_model=EntryDetailOut)
def update(code: str, body: EntryIn, store: StoreDep, session: EditorSession) -> dict:
    """Save an edit as a new draft version (citizens keep seeing the published one)."""
    entry_ = _checked(store, body)
    if entry_.code != code:
        raise HTTPException(
            status_code=422,
            detail={"message": "编码不能修改", "problems": [{"field": "code", "message": f"应为 {code}"}]},
        )
    _save(store, entry_, session, body.note)
    return entry_out(store, code)


def _save(store: ContentStore, entry_, session, note: str) -> None:
    store.save(entry_, author=session.user.username, note=note)


@router.get("/entries/{code}/preview", response_model=ReplyOut)
def preview(code: str, store: StoreDep) -> dict:
    """How the latest version would be answered to a citizen."""
    try:
        content = store.get(code, published=False).content
    except MissingEntryError:
        raise HTTPException(status_code=404, detail=f"没有编码为 {code} 的条目") from None
    reply = guide_answer(content) if isinstance(content, ServiceGuide) else bundle_intro(content)
    return reply.as_dict()


@router.post("/entries/{code}/publish", response_model=EntryDetailOut)
def publish(code: str, body: PublishIn, store: StoreDep, session: EditorSession) -> dict:
    """Publish the latest (or a given) version; search picks it up at once."""
    store.publish(code, author=session.user.username, version=body.version, note=body.note)
    return entry_out(store, code)


@router.post("/entries/{code}/retire", response_model=EntryDetailOut)
def retire(code: str, store: StoreDep, session: EditorSession) -> dict:
    """Withdraw an entry from citizens."""
    store.retire(code, author=session.user.username)
    return entry_out(store, code)


@router.post("/entries/{code}/restore", response_model=EntryDetailOut)
def restore(code: str, body: RestoreIn, store: StoreDep, session: EditorSession) -> dict:
    """Bring back an earlier version as a new version (optionally publishing it)."""
    store.restore(code, body.version, author=session.user.username, publish=body.publish)
    return entry_out(store, code)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else k))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out or {prefix: []}
    return {prefix: value}


@router.get("/entries/{code}/diff", response_model=DiffOut)
def diff(code: str, store: StoreDep, a: int = Query(alias="from", ge=1, le=DB_INT_MAX), b: int = Query(alias="to", ge=1, le=DB_INT_MAX)) -> dict:
    """Field-level differences between two versions."""
    before = store.get(code, version=a).content
    old = _flatten(before.model_dump(mode="json"))
    new = _flatten(store.get(code, version=b).content.model_dump(mode="json"))
    changes = []
    for field in sorted(set(old) | set(new)):
        if old.get(field) != new.get(field):
            kind = "added" if field not in old else "removed" if field not in new else "changed"
            changes.append(
                {
                    "field": field,
                    "label": field_label(kind_of(before), field),
                    "change": kind,
                    "from": old.get(field),
                    "to": new.get(field),
                }
            )
    return {"code": code, "from": a, "to": b, "changes": changes}


@router.post("/import", response_model=ImportOut)
async def import_file(
    store: StoreDep, session: EditorSession, file: UploadFile = File(...), publish: bool = False
) -> dict:
    """Import a YAML or XLSX file (validated as a whole; nothing is written on any problem)."""
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".yaml", ".yml", ".xlsx"):
        raise HTTPException(status_code=422, detail="只支持 .yaml/.yml 或 .xlsx 文件")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(await file.read())
        result = import_path(
            store, path, author=session.user.username, publish=publish, note=f"上传 {file.filename}"
        )
    if not result.ok:
        problems = [{**p.as_dict(), "file": file.filename} for p in result.problems]
        raise HTTPException(
            status_code=422, detail={"message": "文件有问题，未导入任何内容", "problems": problems}
        )
    r = result.report
    return {
        "created": r.created,
        "updated": r.updated,
        "unchanged": len(r.unchanged),
        "published": r.published,
    }


@router.get("/export")
def export(store: StoreDep, format: Literal["yaml", "xlsx"] = "xlsx", latest: bool = False):
    """Download the content (published, or the latest versions with drafts)."""
    items = (
        [store.get(s.code, published=False).content for s in store.find()] if latest else store.published()
    )
    folder = Path(tempfile.mkdtemp(prefix="yichuang-export-"))
    tmp = folder / f"content.{format}"
    try:
        write_path(items, tmp)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = (
        "application/x-yaml"
        if format == "yaml"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    # the folder goes once the file is sent (it used to stay in /tmp for good)
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(tmp, media_type=media, filename=tmp.name, background=cleanup)
