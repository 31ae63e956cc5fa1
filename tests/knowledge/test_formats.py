"""YAML, CSV and XLSX round trips: export then import gives the same content."""

from __future__ import annotations

import csv

import pytest

from knowledge.formats import read_path, write_path
from knowledge.validation import validate_path


@pytest.mark.parametrize(
    "target,fmt", [("all.yaml", None), ("yaml_dir", "yaml"), ("csv_dir", "csv"), ("all.xlsx", None)]
)
def test_round_trip_is_lossless(tmp_path, sample_entries, target, fmt):
    out = tmp_path / target
    write_path(sample_entries, out, fmt)
    report = validate_path(out)
    assert report.ok, report.problems[:3]
    assert sorted(report.entries, key=lambda e: e.code) == sorted(sample_entries, key=lambda e: e.code)


def test_csv_problem_points_at_file_and_line(tmp_path, sample_entries):
    write_path(sample_entries, tmp_path, "csv")
    path = tmp_path / "guide_materials.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    rows[4]["copies"] = "很多"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    problems = validate_path(tmp_path).problems
    assert len(problems) == 1
    assert problems[0].where == "guide_materials.csv line 6" and problems[0].field.endswith(".copies")
    assert problems[0].message == "应为整数"


def test_xlsx_problem_points_at_sheet_and_row(tmp_path, sample_entries):
    from openpyxl import load_workbook

    path = tmp_path / "kb.xlsx"
    write_path(sample_entries, path)
    wb = load_workbook(path)
    ws = wb["guides"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("type") + 1, value="行政审批")
    ws = wb["bundle_guides"]
    ws.cell(row=2, column=1, value="YJS-370199-999")
    wb.save(path)
    problems = validate_path(path).problems
    places = sorted((p.where, p.field) for p in problems)
    assert ("sheet bundle_guides, row 2", "") in places
    assert ("sheet guides, row 3", "type") in places


def test_unknown_file_type_is_reported(tmp_path):
    path = tmp_path / "kb.txt"
    path.write_text("x", encoding="utf-8")
    records, problems = read_path(path)
    assert records == [] and "不支持的文件类型" in problems[0].message
