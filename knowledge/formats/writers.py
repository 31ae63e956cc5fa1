"""Write guides and bundles as YAML, CSV (a folder of sheets) or XLSX; reading the result gives the same content."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import yaml

from knowledge.formats.tabular import flatten, sheet_layout
from knowledge.schema import Entry, kind_of
from nlu.normalize import clean_text

Format = Literal["yaml", "csv", "xlsx"]


class _Dumper(yaml.SafeDumper):
    """Block style, with multi-line strings as literal blocks."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def entry_dict(entry: Entry) -> dict:
    """What an editor needs to see: defaults left out, so files stay short."""
    return entry.model_dump(mode="json", exclude_defaults=True)


def dump_yaml(entries: Sequence[Entry], meta: dict | None = None) -> str:
    doc: dict = {}
    if meta:
        doc["meta"] = meta
    guides = [entry_dict(e) for e in entries if kind_of(e) == "guide"]
    bundles = [entry_dict(e) for e in entries if kind_of(e) == "bundle"]
    if guides:
        doc["guides"] = guides
    if bundles:
        doc["bundles"] = bundles
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def _tables(entries: Sequence[Entry]) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {name: [] for name in sheet_layout()}
    for entry in entries:
        flatten(kind_of(entry), entry.model_dump(mode="json"), tables)
    return tables


def write_csv_folder(entries: Sequence[Entry], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet, rows in _tables(entries).items():
        path = folder / f"{sheet}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=sheet_layout()[sheet])
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def _cell(value):
    """What a cell can hold: openpyxl refuses control characters (IllegalCharacterError)."""
    return clean_text(value) if isinstance(value, str) else value


def write_xlsx(entries: Sequence[Entry], path: Path) -> list[Path]:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    layout = sheet_layout()
    for sheet, rows in _tables(entries).items():
        ws = wb.create_sheet(sheet)
        cols = layout[sheet]
        ws.append(cols)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_cell(row.get(c, "")) for c in cols])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return [path]


def _safe_filename(name: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", name).strip("_") or "content"


def write_yaml(entries: Sequence[Entry], path: Path, meta: dict | None = None) -> list[Path]:
    """One file, or (for a folder) one file per department plus bundles.yaml."""
    if path.suffix in (".yaml", ".yml"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_yaml(entries, meta), encoding="utf-8")
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        groups["bundles" if kind_of(entry) == "bundle" else entry.department].append(entry)
    written = []
    for group, items in sorted(groups.items()):
        target = path / f"{_safe_filename(group)}.yaml"
        target.write_text(dump_yaml(items, meta), encoding="utf-8")
        written.append(target)
    return written


def write_path(entries: Sequence[Entry], path: Path, fmt: Format | None = None) -> list[Path]:
    path = Path(path)
    if fmt is None:
        if path.suffix == ".xlsx":
            fmt = "xlsx"
        elif path.suffix in (".yaml", ".yml", ""):
            fmt = "yaml"  # a folder without --format gets one YAML file per department
        else:
            raise ValueError(f"{path}: 无法从文件名判断格式，请用 --format yaml|csv|xlsx")
    if fmt == "xlsx":
        return write_xlsx(entries, path if path.suffix == ".xlsx" else path / "content.xlsx")
    if fmt == "csv":
        return write_csv_folder(entries, path)
    return write_yaml(entries, path)
