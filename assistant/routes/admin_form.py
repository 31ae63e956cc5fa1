"""Editor API for the structured form: the form's description, a preview of unsaved content, and
the raw YAML ("advanced") view in both directions, its syntax errors in Chinese with line and column.
Editors and admins only."""

from __future__ import annotations

from typing import Any, Literal

import yaml
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from assistant.deps import StoreDep, require
from assistant.editor_form import describe, field_label
from assistant.replies import bundle_intro, guide_answer
from assistant.schemas import FormOut
from knowledge.formats import RawRecord
from knowledge.schema import Kind, ServiceGuide
from knowledge.store import ContentStore
from knowledge.validation import validate_records

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require("editor"))])


class ContentIn(BaseModel):
    kind: Literal["guide", "bundle"]
    content: dict[str, Any]


class YamlIn(BaseModel):
    kind: Literal["guide", "bundle"]
    text: str = Field(max_length=200_000)


class YamlOut(BaseModel):
    text: str


class ParsedOut(BaseModel):
    ok: bool
    content: dict[str, Any] | None = None
    problem: str = ""


class PreviewOut(BaseModel):
    text: str
    buttons: list[dict[str, Any]]


def problems_of(store: ContentStore, kind: Kind, content: dict) -> tuple[list[dict], Any]:
    """Every problem of one entry with its field path and that field's Chinese name."""
    existing = store.find()
    report = validate_records(
        [RawRecord(kind=kind, data=content, file="editor")],
        known_guides=[e.code for e in existing if e.kind == "guide"],
        known_names={e.name: e.code for e in existing},
    )
    problems = [
        {"field": p.field, "label": field_label(kind, p.field) if p.field else "", "message": p.message}
        for p in report.problems
    ]
    return problems, (report.entries[0] if report.entries else None)


@router.get("/form/{kind}", response_model=FormOut)
def form(kind: Kind) -> dict:
    """The fields of a guide or bundle, grouped, with Chinese labels, types and defaults."""
    return describe(kind)


@router.post("/preview", response_model=PreviewOut)
def preview_unsaved(body: ContentIn, store: StoreDep) -> dict:
    """How the content being edited (not yet saved) would be answered to a citizen."""
    problems, entry = problems_of(store, body.kind, body.content)
    if entry is None:
        raise HTTPException(
            status_code=422, detail={"message": "内容有问题，改好后才能预览", "problems": problems}
        )
    reply = guide_answer(entry) if isinstance(entry, ServiceGuide) else bundle_intro(entry)
    return reply.as_dict()


@router.post("/yaml/dump", response_model=YamlOut)
def yaml_dump(body: ContentIn) -> YamlOut:
    """The content as YAML, for editors who prefer text."""
    text = yaml.safe_dump(body.content, allow_unicode=True, sort_keys=False, width=1000)
    return YamlOut(text=text)


# PyYAML's problems, as an editor should read them
_YAML_PROBLEMS = {
    "mapping values are not allowed here": "这里不能出现冒号（文字里有冒号时请给整段加引号）",
    "could not find expected ':'": "缺少冒号“:”",
    "found unexpected end of stream": "内容没有结束（可能缺少右引号或右括号）",
    "found character '\\t' that cannot start any token": "不能用 Tab 缩进，请用空格",
    "expected <block end>, but found": "缩进不一致",
    "expected ',' or ']'": "方括号列表没有正确结束",
    "expected ',' or '}'": "花括号映射没有正确结束",
    "found unknown escape character": "引号里有无法识别的转义字符",
    "found undefined alias": "使用了未定义的引用（*）",
    "did not find expected key": "缩进不一致或缺少字段名",
    "did not find expected '-' indicator": "列表项缩进不一致",
    "found duplicate anchor": "重复的锚点（&）",
}


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or ""
    context = exc.context or ""
    if context.startswith("while scanning a quoted scalar") and exc.context_mark:
        return f"YAML 语法错误，第 {exc.context_mark.line + 1} 行第 {exc.context_mark.column + 1} 列的引号没有配对"
    text = next((zh for en, zh in _YAML_PROBLEMS.items() if problem.startswith(en)), "格式不对")
    mark = exc.problem_mark or exc.context_mark
    where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列：" if mark else ""
    return f"YAML 语法错误，{where}{text}"


@router.post("/yaml/parse", response_model=ParsedOut)
def yaml_parse(body: YamlIn) -> ParsedOut:
    """YAML text back into content for the form. Syntax only (the form then validates the fields);
    like /validate, a problem is an answer, not an error status."""
    try:
        data = yaml.safe_load(body.text)
    except yaml.MarkedYAMLError as exc:
        return ParsedOut(ok=False, problem=_yaml_message(exc))
    except yaml.YAMLError:
        return ParsedOut(ok=False, problem="YAML 语法错误，请检查格式")
    if not isinstance(data, dict):
        return ParsedOut(ok=False, problem="YAML 顶层应为“字段名: 值”的映射")
    return ParsedOut(ok=True, content=data)
