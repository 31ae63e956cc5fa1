"""Bad content is reported with file, line (or sheet/row) and field, and nothing is written."""

from __future__ import annotations

import textwrap
from pathlib import Path

from knowledge.importer import import_path
from knowledge.validation import validate_path

GOOD = """\
meta: {example_data: true}
guides:
- code: 370199-000101003000-QR-003-01
  name: 居民身份证补领
  similar_questions: [身份证丢了怎么补, 身份证被偷了, 补办身份证, 身份证找不到了, 身份证遗失]
  type: 行政确认
  department: 示例市公安局
  conditions: [身份证丢失]
  materials:
  - name: 居民户口簿
    exempt: true
    e_licence: 居民户口簿
  halls:
  - {name: 户政大厅, district: 东城区, address: 和平路90号, hours: 工作日, phone: 0000-1}
  legal_limit_days: 60
  promised_limit_days: 20
"""


def _write(tmp_path: Path, text: str, name="bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _messages(report):
    return [str(p) for p in report.problems]


def test_good_file_passes(tmp_path):
    assert validate_path(_write(tmp_path, GOOD, "good.yaml")).ok


def test_exempt_material_without_licence_points_at_line_and_field(tmp_path):
    path = _write(tmp_path, GOOD.replace("    e_licence: 居民户口簿\n", ""))
    (problem,) = validate_path(path).problems
    assert problem.where == "line 10" and problem.field == "materials[0].e_licence"
    assert "电子证照" in problem.message and str(path) in str(problem)


def test_promised_longer_than_legal(tmp_path):
    (problem,) = validate_path(
        _write(tmp_path, GOOD.replace("promised_limit_days: 20", "promised_limit_days: 90"))
    ).problems
    assert problem.field == "promised_limit_days" and problem.where == "line 16"
    assert "长于法定时限" in problem.message


def test_bad_code_shape_and_type_letter(tmp_path):
    report = validate_path(_write(tmp_path, GOOD.replace("370199-000101003000-QR-003-01", "3701-QR-1")))
    (problem,) = report.problems
    assert problem.field == "code" and problem.where == "line 3" and "实施编码格式" in problem.message
    report = validate_path(_write(tmp_path, GOOD.replace("-QR-003", "-XK-003")))
    assert [p.field for p in report.problems] == ["type"]


def test_missing_required_field_and_unknown_field(tmp_path):
    text = GOOD.replace("  department: 示例市公安局\n", "  departmnet: 示例市公安局\n")
    report = validate_path(_write(tmp_path, text))
    fields = sorted((p.field, p.message) for p in report.problems)
    assert fields == [("department", "缺少必填项"), ("departmnet", "未知字段（检查拼写）")]
    assert {p.where for p in report.problems} == {"line 3", "line 7"}


def test_duplicate_codes_and_names_across_files(tmp_path):
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD, "b.yaml")
    messages = _messages(validate_path(tmp_path))
    assert any("编码重复" in m and "a.yaml:line 3" in m for m in messages)
    assert any("名称重复" in m for m in messages)


def test_bundle_link_to_unknown_guide(tmp_path):
    bundle = """\
    bundles:
    - code: YJS-370199-001
      name: 测试一件事
      department: 示例市政务服务中心
      single_window: 综合窗口
      guides:
      - code: 370199-000101003000-QR-003-01
      - code: 370199-000101999000-QR-999-01
    """
    _write(tmp_path, GOOD, "guides.yaml")
    _write(tmp_path, bundle, "bundles.yaml")
    (problem,) = validate_path(tmp_path).problems
    assert problem.field == "guides[1].code" and problem.where == "line 8"
    assert "不存在的事项编码" in problem.message


def test_yaml_syntax_error_has_a_line(tmp_path):
    (problem,) = validate_path(_write(tmp_path, GOOD + "  - [unclosed\n")).problems
    assert problem.where.startswith("line ") and "YAML" in problem.message


def test_bad_file_changes_nothing_in_the_store(store, tmp_path):
    (tmp_path / "ok").mkdir()
    good = _write(tmp_path / "ok", GOOD, "good.yaml")
    assert import_path(store, good, author="t").ok
    before = store.history("370199-000101003000-QR-003-01")
    broken = tmp_path / "broken"
    broken.mkdir()
    _write(broken, GOOD.replace("工作日", "周一至周五"), "changed.yaml")
    _write(
        broken,
        GOOD.replace("370199-000101003000", "370199-000101004000")
        .replace("-003-01", "-004-01")
        .replace("promised_limit_days: 20", "promised_limit_days: 99"),
        "other.yaml",
    )
    result = import_path(store, broken, author="t")
    assert not result.ok
    assert store.history("370199-000101003000-QR-003-01") == before
    assert store.count() == 1


def test_cli_validate_exit_codes(tmp_path, capsys):
    from assistant.cli import main

    assert main(["validate", str(Path(__file__).resolve().parents[2] / "knowledge" / "data")]) == 0
    bad = _write(tmp_path, GOOD.replace("promised_limit_days: 20", "promised_limit_days: 90"))
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:line 16" in err and "promised_limit_days" in err
