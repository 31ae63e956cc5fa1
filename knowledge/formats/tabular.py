"""Guides and bundles as flat tables (one sheet per list of sub-items), for CSV and XLSX.

Sheets: ``guides`` with one row per guide and ``guide_materials``, ``guide_steps``,
``guide_halls``, ``guide_faqs`` with one row per item, keyed by ``guide_code``;
``bundles``, ``bundle_questions``, ``question_options`` (keyed by
``bundle_code`` + ``question_id``) and ``bundle_guides``. Lists of short texts
(aliases, 相似问, 受理条件…) are one cell with one item per line. Booleans are 是/否.
The layout is derived from ``knowledge.schema``, so a new field needs no change here.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from knowledge.formats.records import RawRecord
from knowledge.schema import Bundle, Kind, ServiceGuide

ROOTS: dict[Kind, tuple[str, type[BaseModel]]] = {
    "guide": ("guides", ServiceGuide),
    "bundle": ("bundles", Bundle),
}
TRUE_WORDS = {"是", "true", "yes", "y", "1", "需要", "可以", "√"}
FALSE_WORDS = {"否", "false", "no", "n", "0", "不需要", "不可以", ""}


@dataclass(frozen=True)
class FieldShape:
    name: str
    shape: str  # scalar | list | children
    base: Any  # python type of a scalar / list item, or the child model
    nullable: bool


def _strip(annotation: Any) -> tuple[Any, bool]:
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, nullable


def shapes(model: type[BaseModel]) -> list[FieldShape]:
    result = []
    for name, info in model.model_fields.items():
        ann, nullable = _strip(info.annotation)
        if typing.get_origin(ann) is list:
            item, _ = _strip(typing.get_args(ann)[0])
            if isinstance(item, type) and issubclass(item, BaseModel):
                result.append(FieldShape(name, "children", item, nullable))
            else:
                result.append(FieldShape(name, "list", item, nullable))
        else:
            result.append(FieldShape(name, "scalar", ann, nullable))
    return result


def _singular(field: str) -> str:
    return field[:-1] if field.endswith("s") else field


def _key_field(model: type[BaseModel]) -> str | None:
    for candidate in ("code", "id"):
        if candidate in model.model_fields:
            return candidate
    return None


@dataclass(frozen=True)
class SheetSpec:
    columns: list[str]
    parent: str | None  # parent sheet
    keys: list[tuple[str, str]]  # (column here, column in the parent sheet) that link a row to its parent


def sheet_specs() -> dict[str, SheetSpec]:
    """Sheet name -> its columns and how its rows link to their parent rows."""
    specs: dict[str, SheetSpec] = {}

    def walk(model: type[BaseModel], sheet: str, singular: str, keys: list[str], parent, links) -> None:
        cols = list(keys)
        key = _key_field(model)
        for f in shapes(model):
            if f.shape == "children":
                own = f"{singular}_{key}" if key else None
                child_keys = keys + ([own] if own else [])
                child_links = [(k, k) for k in keys] + ([(own, key)] if own else [])
                walk(f.base, f"{singular}_{f.name}", _singular(f.name), child_keys, sheet, child_links)
            else:
                cols.append(f.name)
        specs[sheet] = SheetSpec(cols, parent, links)

    for kind, (sheet, model) in ROOTS.items():
        walk(model, sheet, kind, [], None, [])
    order = {name: i for i, name in enumerate(["guides", "bundles"])}
    return dict(sorted(specs.items(), key=lambda kv: (order.get(kv[0], 9), kv[0])))


def sheet_layout() -> dict[str, list[str]]:
    """Sheet name -> column names, in a stable order (also used to write empty templates)."""
    return {name: spec.columns for name, spec in sheet_specs().items()}


# -- writing ---------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return "\n".join(str(_cell(v)) for v in value)
    return value


def flatten(kind: Kind, data: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> None:
    """Append the rows of one entry (``model_dump(mode='json')``) to ``tables``."""
    sheet, model = ROOTS[kind]

    def walk(model: type[BaseModel], item: dict, sheet: str, singular: str, keys: dict[str, Any]) -> None:
        row = dict(keys)
        key = _key_field(model)
        for f in shapes(model):
            if f.shape == "children":
                child_keys = dict(keys)
                if key:
                    child_keys[f"{singular}_{key}"] = item[key]
                for child in item.get(f.name) or []:
                    walk(f.base, child, f"{singular}_{f.name}", _singular(f.name), child_keys)
            else:
                row[f.name] = _cell(item.get(f.name))
        tables.setdefault(sheet, []).append(row)

    walk(model, data, sheet, kind, {})


# -- reading ---------------------------------------------------------------------------------
def _parse_cell(f: FieldShape, value: Any) -> tuple[bool, Any]:
    """(present, value): an empty cell means None for nullable fields, the default otherwise."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value).strip()
    if f.shape == "list":
        return True, [line.strip() for line in text.splitlines() if line.strip()]
    if text == "":
        return (True, None) if f.nullable else (False, None)
    if f.base is bool:
        low = text.lower()
        if low in TRUE_WORDS:
            return True, True
        if low in FALSE_WORDS:
            return True, False
        return True, text  # let validation report it
    return True, text


@dataclass
class Row:
    values: dict[str, Any]
    place: str


def unflatten(tables: dict[str, list[Row]], file: str) -> list[RawRecord]:
    """Rebuild records from rows; child rows attach to their parent by the key columns, in order."""
    records: list[RawRecord] = []
    for kind, (sheet, model) in ROOTS.items():
        for root_row in tables.get(sheet, []):
            rec = RawRecord(kind=kind, data={}, file=file)

            def build(
                model: type[BaseModel], row: Row, sheet: str, singular: str, keys: dict, loc: tuple
            ) -> dict:
                rec.places[loc] = row.place
                item: dict[str, Any] = {}
                key = _key_field(model)
                for f in shapes(model):
                    if f.shape == "children":
                        child_sheet = f"{singular}_{f.name}"
                        child_keys = dict(keys)
                        if key:
                            child_keys[f"{singular}_{key}"] = str(row.values.get(key, "")).strip()
                        children = [
                            r
                            for r in tables.get(child_sheet, [])
                            if all(str(r.values.get(k, "")).strip() == v for k, v in child_keys.items())
                        ]
                        item[f.name] = [
                            build(f.base, r, child_sheet, _singular(f.name), child_keys, (*loc, f.name, i))
                            for i, r in enumerate(children)
                        ]
                    elif f.name in row.values:
                        present, value = _parse_cell(f, row.values[f.name])
                        if present:
                            item[f.name] = value
                extra = set(row.values) - {f.name for f in shapes(model)} - set(keys)
                for name in sorted(extra):
                    if str(row.values[name] or "").strip():
                        item[name] = row.values[name]  # reported as an unknown field
                return item

            rec.data = build(model, root_row, sheet, kind, {}, ())
            records.append(rec)
    return records


def orphan_rows(tables: dict[str, list[Row]]) -> list[tuple[str, str]]:
    """Child rows whose key columns match no parent row: (place, message)."""
    problems = []
    for sheet, spec in sheet_specs().items():
        if spec.parent is None:
            continue
        parents = {
            tuple(str(r.values.get(pcol, "")).strip() for _, pcol in spec.keys)
            for r in tables.get(spec.parent, [])
        }
        for row in tables.get(sheet, []):
            key = tuple(str(row.values.get(col, "")).strip() for col, _ in spec.keys)
            if key not in parents:
                shown = "、".join(f"{col}「{v}」" for (col, _), v in zip(spec.keys, key, strict=True))
                problems.append((row.place, f"{shown} 在 {spec.parent} 表中找不到对应的行"))
    return problems
