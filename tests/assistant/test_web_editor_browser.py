"""Editors in a real browser: the structured form (no JSON), errors beside the field, publishing
that search follows at once. Screenshots go to ``test-artifacts/browser/``."""

from __future__ import annotations

import pytest

from tests.assistant import test_web_browser as web
from tests.assistant.test_web_browser import SHOTS, ask, last_bot, login, shot

browser, site, page = web.browser, web.site, web.page  # the same browser, live app and page fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ID_CARD = "居民身份证补领"


def _open(page, url: str, name: str) -> None:
    page.goto(url + "/admin")
    login(page, "editor1", "editor password 1")
    page.get_by_label("搜索").fill(name)
    page.get_by_role("button", name=name, exact=True).click()
    page.locator("#e-title").wait_for()


def test_editor_changes_a_material_and_a_hall_without_json(page, site):
    url, app = site
    page.set_viewport_size({"width": 1280, "height": 900})
    _open(page, url, ID_CARD)
    assert page.locator("textarea.json:visible").count() == 0  # the raw text is only the advanced view
    photo = page.get_by_role("group", name="申请材料 2：近期正面免冠彩色照片")
    photo.get_by_label("容缺（可以后补）").check()
    hall = page.get_by_role("group", name="办理地点 1：东城区公安分局户政服务大厅")
    hours = hall.get_by_label("办理时间（必填）")
    hours.fill("")
    problem = page.locator("#" + hours.get_attribute("aria-describedby").split()[-1])
    problem.filter(has_text="不能为空").wait_for()  # beside the field, in Chinese
    assert page.locator("#e-problems").get_by_role("button", name="办理地点 第1项 · 办理时间：不能为空").count() == 1
    shot(page, "admin-1-form-with-error")
    hours.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(SHOTS / "admin-1-error-beside-field-view.png"))
    hours.fill("周一至周六 9:00-17:00（法定节假日除外）")
    page.get_by_text("内容检查通过").wait_for()
    assert problem.inner_text() == "" and page.locator("#e-problems").inner_text() == ""
    page.get_by_role("button", name="预览正在编辑的内容").click()
    page.locator("#e-preview").filter(has_text="周一至周六 9:00-17:00").wait_for()  # unsaved edits, as citizens will read them
    page.get_by_label("修改说明").fill("照片可容缺；东城大厅周六全天")
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("保存草稿成功").wait_for()
    page.get_by_role("button", name="发布").click()
    page.get_by_text("发布成功").wait_for()
    shot(page, "admin-2-published")
    guide = next(e for e in app.state.services.store.published("guide") if e.name == ID_CARD)
    assert [m.can_defer for m in guide.materials if m.name == "近期正面免冠彩色照片"] == [True]
    assert guide.halls[0].hours == "周一至周六 9:00-17:00（法定节假日除外）"


def test_editor_adds_a_similar_question_and_the_citizen_page_finds_it(page, site):
    url, app = site
    phrase = "家里那本红皮簿子被狗叼走了"
    _open(page, url, "户口簿补领")
    similar = page.get_by_label("相似问（每行一个）")
    similar.press("Control+End")
    similar.press_sequentially("\n" + phrase)
    page.get_by_label("修改说明").fill("补充相似问")
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("保存草稿成功").wait_for()
    page.get_by_role("button", name="发布").click()
    page.get_by_text("发布成功").wait_for()
    code = next(e.code for e in app.state.services.store.published("guide") if e.name == "户口簿补领")
    assert phrase in app.state.services.store.get(code).content.similar_questions

    page.goto(url + "/")
    ask(page, phrase)
    assert last_bot(page).locator(".bubble").inner_text().startswith("【户口簿补领】")
    shot(page, "admin-3-citizen-finds-it")


def test_yaml_view_reports_syntax_errors_in_chinese_and_fills_the_form(page, site):
    url, _ = site
    _open(page, url, "户口簿补领")
    page.get_by_text("高级：直接编辑 YAML").click()
    yaml_box = page.get_by_label("YAML 内容")
    page.wait_for_function("() => document.getElementById('e-yaml').value.includes('name:')")
    text = yaml_box.input_value()
    yaml_box.fill(text.replace("name: 户口簿补领", "name: 户口簿补领: 丢了补办", 1))
    page.get_by_role("button", name="用 YAML 更新表单").click()
    page.locator("#e-yaml-problem").filter(has_text="YAML 语法错误").wait_for()
    assert "冒号" in page.locator("#e-yaml-problem").inner_text()
    yaml_box.fill(text.replace("fee: 不收费", "fee: 工本费 10 元", 1))
    page.get_by_role("button", name="用 YAML 更新表单").click()
    page.wait_for_function("() => document.getElementById('f-fee').value === '工本费 10 元'")
    shot(page, "admin-4-yaml")
