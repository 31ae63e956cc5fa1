"""The search CLI end to end on the real model: one question, --json and --jsonl batches."""

from __future__ import annotations

import json

import pytest

from assistant import cli
from assistant.settings import get_settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture
def env(tmp_path, monkeypatch, prepared_models):
    monkeypatch.setenv("YICHUANG_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("YICHUANG_MODELS_DIR", str(prepared_models))
    monkeypatch.setenv("YICHUANG_INDEX_DIR", str(prepared_models.parent / "index"))
    get_settings.cache_clear()
    assert cli.main(["import", "knowledge/data"]) == 0
    yield
    get_settings.cache_clear()


def test_search_json_and_jsonl(env, tmp_path, capsys):
    capsys.readouterr()
    assert cli.main(["search", "驾照到期了", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["name"] == "机动车驾驶证有效期满换证"
    batch = tmp_path / "in.jsonl"
    batch.write_text('{"q": "户口本丢了"}\nnot json\n{"q": "今天天气怎么样"}\n', encoding="utf-8")
    assert cli.main(["search", "--jsonl", str(batch)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["results"][0]["name"] == "户口簿补领"
    assert lines[1] == {"line": 2, "error": '每行应为 JSON 对象 {"q": "…"}'}
    assert lines[2]["decision"] == "none"
