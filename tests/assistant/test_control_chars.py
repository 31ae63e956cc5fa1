"""Issue 14 item 7: a control character in a citizen's text never breaks the XLSX export."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from knowledge.formats.writers import write_xlsx
from nlu.normalize import clean_text

DIRTY = "户口本\x00丢了\x07怎么\x1b补\x0b办\r\n谢谢\ud800"


def test_clean_text_removes_controls_but_keeps_lines_and_tabs():
    assert clean_text(DIRTY) == "户口本丢了怎么补办\n谢谢"
    assert clean_text("第一行\n\t第二行") == "第一行\n\t第二行"
    assert clean_text(None) is None


def test_a_question_with_control_characters_linked_as_similar_question_still_exports(staffed_client, bearer):
    client = staffed_client
    ed = bearer(client, "editor1", "editor password 1")
    body = json.dumps({"helpful": False, "answer": "抱歉", "question": DIRTY})  # \ud800 as an escape
    assert client.post("/api/ratings", content=body, headers={"content-type": "application/json"}).status_code == 201
    [item] = client.get("/api/admin/ratings", headers=ed).json()
    assert "\x00" not in item["question"] and "\x07" not in item["question"]
    code = next(e["code"] for e in client.get("/api/admin/entries", params={"kind": "guide"}, headers=ed).json())
    linked = client.post(f"/api/admin/ratings/{item['id']}/link", json={"code": code, "publish": True}, headers=ed)
    assert linked.status_code == 200, linked.text
    resp = client.get("/api/admin/export", params={"format": "xlsx"}, headers=ed)
    assert resp.status_code == 200
    sheet_text = " ".join(
        str(c.value) for ws in load_workbook(io.BytesIO(resp.content)) for row in ws.iter_rows() for c in row if c.value
    )
    assert "户口本丢了怎么补办" in sheet_text


def test_the_xlsx_writer_never_breaks_on_content_that_got_in_before(tmp_path, sample_entries):
    guide = next(e for e in sample_entries if hasattr(e, "halls"))
    dirty = guide.model_copy(update={"similar_questions": [*guide.similar_questions, "旧数据\x01\x02里的问题"]})
    write_xlsx([dirty], tmp_path / "out.xlsx")  # openpyxl raised IllegalCharacterError here
    assert (tmp_path / "out.xlsx").stat().st_size > 0
