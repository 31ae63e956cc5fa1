"""The editor page's form, described from the content model (``knowledge.schema``).

The page draws one input per field from this description, so a field added to the schema shows
up in the form with no page change. Labels are the schema's Chinese field descriptions; where a
description is missing or carries an English remark, ``LABELS`` gives the Chinese an editor reads.
"""

from __future__ import annotations

import re
import types
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from knowledge.schema import Kind, ServiceGuide, model_for

# (model, field) -> label, where the description alone is not what an editor should read
LABELS: dict[tuple[str, str], str] = {
    ("Material", "forms"): "提交形式",
    ("Material", "required"): "必要材料",
    ("Material", "exempt"): "免提交（从电子证照库调取）",
    ("Material", "can_defer"): "容缺（可以后补）",
    ("Step", "name"): "环节名称",
    ("Step", "description"): "环节说明",
    ("Hall", "name"): "大厅名称",
    ("Hall", "address"): "地址",
    ("FAQ", "question"): "问题",
    ("FAQ", "answer"): "回答",
    ("BundleOption", "value"): "选项值（英文或拼音）",
    ("BundleOption", "label"): "选项文字",
    ("BundleOption", "adds"): "选此项时加入的事项",
    ("BundleOption", "removes"): "选此项时去掉的事项",
    ("BundleQuestion", "id"): "问题编号（小写英文）",
    ("BundleQuestion", "text"): "问题",
    ("BundleQuestion", "answer_type"): "回答方式",
    ("BundleQuestion", "options"): "选项",
    ("BundleQuestion", "default"): "未回答时按此选项处理（填选项值）",
    ("BundleGuide", "code"): "事项编码",
    ("BundleGuide", "stage"): "办理阶段（同一阶段并联办理）",
    ("BundleGuide", "optional"): "可选（只有某个回答加入它时才办）",
    ("BundleGuide", "note"): "备注",
    ("Bundle", "name"): "一件事名称",
    ("Bundle", "aliases"): "别名/俗称",
    ("Bundle", "similar_questions"): "相似问",
    ("Bundle", "summary"): "一句话说明",
    ("Bundle", "questions"): "询问办事人的问题",
    ("Bundle", "guides"): "包含的事项",
    ("Bundle", "online_entry"): "网上办理入口",
}
HINTS: dict[tuple[str, str], str] = {
    ("ServiceGuide", "similar_questions"): "每行一个：市民可能的问法，至少 5 条",
    ("ServiceGuide", "code"): "如 370199-000201001000-XK-001-01",
    ("Bundle", "code"): "如 YJS-370199-001",
    ("Material", "condition"): "不是必要材料时必填：在什么情形下需要",
    ("Material", "e_licence"): "免提交时必填",
    ("BundleQuestion", "options"): "至少两个选项",
    ("Bundle", "guides"): "至少两个事项；同一阶段的并联办理",
}
CHOICE_LABELS = {"yes_no": "是/否", "choice": "多选一"}
# the parts of a guide or bundle, in the order an editor goes through them
GROUPS: dict[str, list[tuple[str, list[str]]]] = {
    "guide": [
        ("基本信息", ["code", "name", "type", "department", "level", "regions", "summary"]),
        ("市民怎么问", ["aliases", "similar_questions"]),
        ("受理条件与申请材料", ["conditions", "materials"]),
        ("办理流程与时限", ["steps", "legal_limit_days", "promised_limit_days", "visits_needed"]),
        ("办理地点与网办", ["halls", "online_url", "online_depth", "bookable"]),
        ("收费、结果与常见问题", ["fee", "result", "faqs", "legal_basis", "consult_phone", "complaint_phone"]),
    ],
    "bundle": [
        ("基本信息", ["code", "name", "department", "summary", "single_window", "online_entry", "promised_total_days"]),
        ("市民怎么问", ["aliases", "similar_questions"]),
        ("包含的事项", ["guides"]),
        ("询问办事人的问题", ["questions"]),
    ],
}
# list-of-codes fields that pick among the bundle's own guides
GUIDE_PICKERS = {("BundleOption", "adds"), ("BundleOption", "removes")}
# long free text: a textarea rather than a one-line input
LONG_TEXT = {("ServiceGuide", "summary"), ("Bundle", "summary"), ("Step", "description"), ("FAQ", "answer"),
             ("Material", "note"), ("BundleGuide", "note")}  # fmt: skip


def _label(model: type[BaseModel], name: str, info: FieldInfo) -> str:
    if (model.__name__, name) in LABELS:
        return LABELS[(model.__name__, name)]
    text = info.description or name
    # "承诺办结时限（工作日，0 = 即办）" stays whole; English remarks after " (" or ":" go
    return re.split(r" \(|: ", text)[0].strip()


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


def _base(annotation: Any) -> Any:
    while get_origin(annotation) is not None and get_origin(annotation).__name__ == "Annotated":
        annotation = get_args(annotation)[0]
    return annotation


def _field(model: type[BaseModel], name: str, info: FieldInfo) -> dict:
    annotation, nullable = _unwrap(_base(info.annotation))
    annotation = _base(annotation)
    out: dict[str, Any] = {
        "key": name,
        "label": _label(model, name, info),
        "required": info.is_required(),
        "nullable": nullable,
    }
    if hint := HINTS.get((model.__name__, name)):
        out["hint"] = hint
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if isinstance(default, Enum):
        default = default.value
    elif isinstance(default, list):
        default = [d.value if isinstance(d, Enum) else d for d in default]
    out["default"] = default if not isinstance(default, BaseModel) else None
    origin = get_origin(annotation)
    if origin is list:
        item = _base(get_args(annotation)[0])
        if isinstance(item, type) and issubclass(item, BaseModel):
            out.update(type="rows", item=item.__name__, fields=describe_model(item))
        elif isinstance(item, type) and issubclass(item, Enum):
            out.update(type="multi", options=[{"value": e.value, "label": e.value} for e in item])
        elif (model.__name__, name) in GUIDE_PICKERS:
            out.update(type="guides")
        else:
            out.update(type="lines")
    elif origin is Literal:
        out.update(type="select", options=[{"value": v, "label": CHOICE_LABELS.get(v, v)} for v in get_args(annotation)])
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        out.update(type="select", options=[{"value": e.value, "label": e.value} for e in annotation])
    elif annotation is bool:
        out.update(type="bool")
    elif annotation is int:
        limits = {k: getattr(m, k) for m in info.metadata for k in ("ge", "le") if hasattr(m, k)}
        out.update(type="int", **limits)
    else:
        out.update(type="textarea" if (model.__name__, name) in LONG_TEXT else "text")
    return out


def describe_model(model: type[BaseModel]) -> list[dict]:
    return [_field(model, name, info) for name, info in model.model_fields.items()]


def describe(kind: Kind) -> dict:
    """The form for one kind: its fields grouped into the sections the page shows."""
    model = model_for(kind)
    fields = {f["key"]: f for f in describe_model(model)}
    groups = [{"title": title, "fields": [fields.pop(k) for k in keys if k in fields]} for title, keys in GROUPS[kind]]
    if fields:  # a field the groups do not place yet: still editable
        groups.append({"title": "其他", "fields": list(fields.values())})
    return {"kind": kind, "title": "办事指南" if model is ServiceGuide else "一件事", "groups": groups}


def _models() -> dict[str, type[BaseModel]]:
    from knowledge import schema

    return {n: v for n, v in vars(schema).items() if isinstance(v, type) and issubclass(v, BaseModel)}


def field_label(kind: Kind, path: str) -> str:
    """A problem's field path in Chinese: "materials[2].e_licence" -> "申请材料 第3项 · 免提交时对应的电子证照名称"."""
    models = _models()
    model: type[BaseModel] | None = model_for(kind)
    parts: list[str] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if token.startswith("["):
            parts[-1:] = [f"{parts[-1]} 第{int(token[1:-1]) + 1}项"] if parts else []
            continue
        info = model.model_fields.get(token) if model else None
        if info is None:
            parts.append(token)
            model = None
            continue
        described = _field(model, token, info)
        parts.append(described["label"])
        model = models.get(described.get("item", ""))
    return " · ".join(parts)
