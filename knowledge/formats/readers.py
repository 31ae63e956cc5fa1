"""Read YAML, CSV (a folder of sheets) and XLSX into raw records; report unreadable input precisely."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from knowledge.formats.records import Loc, RawRecord
from knowledge.formats.tabular import Row, orphan_rows, sheet_layout, unflatten
from knowledge.problems import Problem

YAML_SUFFIXES = {".yaml", ".yml"}
TOP_LEVEL_KEYS = {"meta", "guides", "bundles"}


class ReadError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _line(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


def _node_places(node: yaml.Node, path: Loc, out: dict[Loc, str]) -> None:
    out.setdefault(path, _line(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            out.setdefault(key, _line(key_node))
            _node_places(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_places(item, (*path, i), out)


def read_yaml(path: Path, problems: list[Problem]) -> list[RawRecord]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()  # the node tree gives line numbers,
            data = (
                loader.construct_document(node) if node is not None else None
            )  # and the same parse the data
        finally:
            loader.dispose()
    except UnicodeDecodeError:
        problems.append(Problem(file, "", "", "文件不是 UTF-8 编码"))
        return []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark else ""
        problems.append(Problem(file, where, "", f"YAML 语法错误：{exc.problem or exc}"))
        return []
    if node is None:
        return []
    if not isinstance(data, dict):
        problems.append(Problem(file, "line 1", "", "文件顶层应为映射：meta / guides / bundles"))
        return []
    places: dict[Loc, str] = {}
    _node_places(node, (), places)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.append(
                Problem(
                    file,
                    places.get((str(key),), ""),
                    str(key),
                    "未知的顶层字段（应为 meta、guides 或 bundles）",
                )
            )
    records = []
    for section, kind in (("guides", "guide"), ("bundles", "bundle")):
        items = data.get(section) or []
        if not isinstance(items, list):
            problems.append(Problem(file, places.get((section,), ""), section, "应为列表"))
            continue
        for i, item in enumerate(items):
            prefix = (section, i)
            if not isinstance(item, dict):
                problems.append(
                    Problem(file, places.get(prefix, ""), f"{section}[{i}]", "应为映射（一个条目）")
                )
                continue
            own = {loc[2:]: place for loc, place in places.items() if loc[:2] == prefix}
            records.append(RawRecord(kind=kind, data=item, file=file, places=own))
    return records


def _read_csv_sheet(path: Path, problems: list[Problem]) -> list[Row]:
    rows: list[Row] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(str(path), "", "", "文件不是 UTF-8 编码（Excel 请另存为“CSV UTF-8”）"))
        return rows
    reader = csv.DictReader(io.StringIO(text, newline=""))
    start = 2
    for record in reader:
        if None in record:
            problems.append(Problem(str(path), f"line {start}", "", "这一行的列数多于表头"))
        values = {k: v for k, v in record.items() if k is not None}
        if any((v or "").strip() for v in values.values()):
            rows.append(Row(values, f"line {start}"))
        start = reader.line_num + 1
    return rows


def read_csv_folder(folder: Path, problems: list[Problem]) -> tuple[list[RawRecord], str]:
    tables: dict[str, list[Row]] = {}
    for sheet in sheet_layout():
        path = folder / f"{sheet}.csv"
        if path.exists():
            rows = _read_csv_sheet(path, problems)
            for row in rows:
                row.place = f"{sheet}.csv {row.place}"
            tables[sheet] = rows
    file = str(folder)
    for place, message in orphan_rows(tables):
        problems.append(Problem(file, place, "", message))
    return unflatten(tables, file), file


def read_xlsx(path: Path, problems: list[Problem]) -> list[RawRecord]:
    from openpyxl import load_workbook

    file = str(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for broken files
        problems.append(Problem(file, "", "", f"无法打开 Excel 文件：{exc}"))
        return []
    tables: dict[str, list[Row]] = {}
    known = sheet_layout()
    for ws in wb.worksheets:
        if ws.title not in known:
            problems.append(
                Problem(file, f"sheet {ws.title}", "", f"未知的工作表（应为 {', '.join(known)} 之一）")
            )
            continue
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if not header:
            continue
        names = [str(h).strip() if h is not None else "" for h in header]
        rows = []
        for n, values in enumerate(it, start=2):
            cells: dict[str, Any] = {k: v for k, v in zip(names, values, strict=False) if k}
            if any(v not in (None, "") for v in cells.values()):
                rows.append(Row(cells, f"sheet {ws.title}, row {n}"))
        tables[ws.title] = rows
    wb.close()
    for place, message in orphan_rows(tables):
        problems.append(Problem(file, place, "", message))
    return unflatten(tables, file)


def read_path(path: Path) -> tuple[list[RawRecord], list[Problem]]:
    """Read a YAML file, an XLSX file, a CSV folder (or its guides.csv) or a folder of YAML files."""
    path = Path(path)
    problems: list[Problem] = []
    records: list[RawRecord] = []
    if not path.exists():
        return [], [Problem(str(path), "", "", "文件或目录不存在")]
    if path.is_dir():
        if (path / "guides.csv").exists() or (path / "bundles.csv").exists():
            recs, _ = read_csv_folder(path, problems)
            return recs, problems
        files = sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and not p.name.startswith("_"))
        files += sorted(p for p in path.iterdir() if p.suffix == ".xlsx" and not p.name.startswith("~$"))
        if not files:
            problems.append(Problem(str(path), "", "", "目录中没有 YAML、XLSX 或 CSV 内容文件"))
        for file in files:
            records.extend(_read_file(file, problems))
        return records, problems
    if path.name.endswith(".csv"):
        recs, _ = read_csv_folder(path.parent, problems)
        return recs, problems
    return _read_file(path, problems), problems


def _read_file(path: Path, problems: list[Problem]) -> list[RawRecord]:
    if path.suffix in YAML_SUFFIXES:
        return read_yaml(path, problems)
    if path.suffix == ".xlsx":
        return read_xlsx(path, problems)
    problems.append(Problem(str(path), "", "", "不支持的文件类型（支持 .yaml/.yml、.xlsx 和 CSV 目录）"))
    return []
