"""Editors in a real browser: the structured form (no JSON), errors beside the field, publishing
that search follows at once. Screenshots go to ``test-artifacts/browser/``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from assistant.auth import AccountAdmin
from tests.assistant.test_wechat import APPID, TOKEN
from tests.axe import assert_accessible
from tests.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    ask,
    browser_fixture,
    last_bot,
    login,
    open_page,
    site_fixture,
)
from tests.browser import shot as _shot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = ARTIFACTS / "editor"
ID_CARD = "居民身份证补领"
DRIVING = "370199-000103002000-XK-002-01"  # 机动车驾驶证遗失补证


browser = browser_fixture(SHOTS)
# on its own retriever: these tests publish, which changes the index it serves
site = site_fixture("editor-web", accounts=("editor1", "admin1"), own_index=True, wechat_token=TOKEN, wechat_appid=APPID)


@pytest.fixture
def page(browser, site):
    with open_page(browser, DESKTOP) as page:
        yield page


def shot(page, name: str, *, full: bool = True) -> None:
    _shot(page, SHOTS, name, full=full)


def _open(page, url: str, name: str) -> None:
    page.goto(url + "/admin")
    login(page, "editor1", "editor password 1")
    page.get_by_label("搜索").fill(name)
    page.get_by_role("button", name=name, exact=True).click()
    page.locator("#e-title").wait_for()


def test_editor_changes_a_material_and_a_hall_without_json(page, site):
    url, app = site
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
    shot(page, "admin-1-error-beside-field", full=False)
    assert_accessible(page, "editor form")
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
    page.set_viewport_size(PHONE)
    _open(page, url, "户口簿补领")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    badge = page.locator("#root td .status").first
    badge.wait_for()  # the list renders after the search answers: on a slow machine, later
    assert badge.evaluate("e => e.getClientRects().length") == 1  # 已发布 on one line
    page.locator("#f-materials-0").scroll_into_view_if_needed()
    shot(page, "admin-7-form-phone", full=False)
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


def test_editor_fixes_a_bad_rating_through_the_content_and_marks_it_handled(page, site):
    url, app = site
    services = app.state.services
    guide = next(e for e in services.store.published("guide") if e.name == ID_CARD)
    about = {"kind": "guide", "code": guide.code, "name": ID_CARD}
    for i in range(2):  # the same complaint twice: one item to handle, the newest with its conversation
        sender = f"web:rated-{i}"
        for text in ("你好", "补身份证要带什么照片"):
            chat(url, sender, text)
        services.ratings.record(helpful=False, answer=f"【{ID_CARD}】…", question="补身份证要带什么照片",
                                reason="材料不全或有误，没说照片尺寸", about=about, sender=sender)  # fmt: skip
    chat(url, "web:rated-1", "照片要多大尺寸")  # what the citizen asked next
    page.goto(url + "/admin")
    login(page, "editor1", "editor password 1")
    page.get_by_role("tab", name="差评").click()
    card = page.locator("article", has_text="补身份证要带什么照片")
    card.get_by_text("同样的差评 2 条").wait_for()
    assert "处理期限" in card.inner_text()
    talk = card.get_by_role("list", name=re.compile("前后的对话"))
    assert talk.locator("li.line.citizen").all_inner_texts() == ["市民你好", "市民补身份证要带什么照片", "市民照片要多大尺寸"]
    assert talk.locator("li.rated").inner_text().startswith(f"被评价的答复回答：{ID_CARD}")
    assert_accessible(page, "差评 queue")
    shot(page, "admin-5-ratings")
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    talk.scroll_into_view_if_needed()
    shot(page, "admin-5-ratings-phone", full=False)
    page.set_viewport_size(DESKTOP)
    card.get_by_role("button", name=f"修改内容：{ID_CARD}").click()
    page.get_by_text("正在处理差评").wait_for()
    # opened at the materials, the part the reason names
    page.wait_for_function("() => document.activeElement && document.activeElement.id.startsWith('f-materials')")
    photo = page.get_by_role("group", name="申请材料 2：近期正面免冠彩色照片")
    photo.get_by_label("填报说明").fill("白底，358×441 像素，近 6 个月内拍摄")
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("保存草稿成功").wait_for()
    page.get_by_role("button", name="发布").click()
    page.get_by_text("发布成功").wait_for()
    page.get_by_label("处理说明（改了什么）").fill("照片材料补充了尺寸要求")
    page.get_by_role("button", name="改好了，标为已处理").click()
    page.get_by_role("heading", name="差评（0 项待处理）").wait_for()
    closed = services.ratings.items(status="linked")
    assert len(closed) == 2 and {r.note for r in closed} == {"照片材料补充了尺寸要求"}
    fixed = services.store.get(guide.code).content
    assert [m.note for m in fixed.materials if m.name == "近期正面免冠彩色照片"] == ["白底，358×441 像素，近 6 个月内拍摄"]


def chat(url: str, sender: str, text: str) -> dict:
    """A citizen's turn through the chat API (the page's own conversation id is random)."""
    resp = httpx.post(f"{url}/api/chat", json={"sender": sender, "text": text}, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_an_unanswered_follow_up_shows_its_conversation_and_links_with_its_guide_named(page, site):
    url, app = site
    services = app.state.services
    assert chat(url, "web:lost-focus", "驾照丢了怎么办")["messages"][0]["about"]["name"] == "机动车驾驶证遗失补证"
    # what the dialogue files when the guide in focus was lost (another worker, a long pause…)
    services.unanswered.record("那要花多少钱呀？", "那要花多少钱呀?", source="web", sender="web:lost-focus")
    for sender, text in (("web:dog-1", "狗证在哪办"), ("web:dog-2", "你好，请问狗证在哪办？")):
        services.unanswered.record(text, text, source="web", sender=sender)
    page.goto(url + "/admin")
    login(page, "editor1", "editor password 1")
    page.get_by_role("tab", name="未答问题").click()
    dogs = page.locator("article", has_text="狗证在哪办")
    dogs.get_by_text("问过 2 次").wait_for()  # two wordings, one item
    card = page.locator("article", has_text="那要花多少钱呀")
    talk = card.get_by_role("list", name=re.compile("之前的对话"))
    assert talk.locator("li.line.citizen").inner_text() == "市民驾照丢了怎么办"
    assert "回答：机动车驾驶证遗失补证" in talk.inner_text()
    words = card.get_by_label("作为相似问加入")
    assert words.input_value() == "机动车驾驶证遗失补证要花多少钱"  # tidied, and named: alone it fits any guide
    assert card.get_by_label("关联条目").input_value() == DRIVING
    assert_accessible(page, "unanswered queue")
    shot(page, "admin-9-unanswered")
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    card.scroll_into_view_if_needed()
    shot(page, "admin-9-unanswered-phone", full=False)
    page.set_viewport_size(DESKTOP)
    card.get_by_label("立即发布").check()
    card.get_by_role("button", name="关联并加入相似问").click()
    page.get_by_text("已加入相似问并发布").wait_for()
    assert "机动车驾驶证遗失补证要花多少钱" in services.store.get(DRIVING).content.similar_questions
    dogs.get_by_role("button", name="忽略").click()
    page.get_by_role("heading", name="未答问题（0）").wait_for()
    assert len(services.unanswered.items(status="dismissed")) == 2


def test_admin_creates_and_disables_an_account(page, site):
    url, app = site
    page.goto(url + "/admin")
    login(page, "admin1", "admin password 1")
    page.get_by_role("tab", name="账号").click()
    page.get_by_label("用户名").fill("hotline9")
    page.get_by_label("初始密码").fill("first password 9")
    page.get_by_label("角色", exact=True).select_option("staff")
    page.get_by_label("承办部门", exact=True).fill("东城区城市管理局")
    page.get_by_role("button", name="创建").click()
    page.get_by_text("已创建账号 hotline9").wait_for()
    assert page.get_by_label("hotline9 的承办部门").input_value() == "东城区城市管理局"
    page.on("dialog", lambda d: d.accept())
    page.get_by_role("row", name="hotline9").get_by_role("button", name="停用").click()
    page.get_by_text("hotline9 已停用").wait_for()
    assert_accessible(page, "accounts page")
    shot(page, "admin-6-accounts")
    page.set_viewport_size(PHONE)
    shot(page, "admin-6-accounts-phone", full=False)
    page.set_viewport_size(DESKTOP)
    [account] = [a for a in AccountAdmin(app.state.services.accounts).list() if a.username == "hotline9"]
    assert account.role == "staff" and not account.active and account.department == "东城区城市管理局"


def _questions_from_every_channel(page, url: str, app) -> None:
    """Seven turns today (four on the citizen page, two from the terminal client, one from the
    公众号 callback) and one yesterday; nothing else in the log."""
    import httpx
    from sqlalchemy import delete

    from assistant.chat_client import ChatClient
    from assistant.question_log import QuestionRow
    from tests.assistant.test_wechat import _query, _text

    services = app.state.services
    with services.store.engine.begin() as conn:
        conn.execute(delete(QuestionRow))  # what the other tests of this module asked
    page.goto(url + "/")
    for text in ("身份证的事", "驾照丢了怎么补办", "qwzx ptkv 呜啦啦", "楼下着火了"):  # clarify, answer, none, emergency
        ask(page, text)
    terminal = ChatClient(url)
    try:
        assert terminal.turn("身份证丢了怎么办")[0] == "retrieval"  # answer
        terminal.turn("我要预约")  # a form
    finally:
        terminal.close()
    reply = httpx.post(f"{url}/wechat", params=_query(), content=_text("户口本丢了怎么办", "7001").encode(), timeout=30)
    assert "户口" in reply.text  # answered within the 公众号's window
    yesterday = datetime.now(UTC) - timedelta(days=1)
    services.questions.record("web:yesterday", "驾照丢了怎么补办", mode="retrieval", decision="answer", at=yesterday)
    logged = [(r.channel, r.decision) for r in reversed(services.questions.rows(services.questions.today()))]
    assert logged == [
        ("web", "clarify"), ("web", "answer"), ("web", "none"), ("web", "emergency"),
        ("cli", "answer"), ("cli", "form"), ("wechat", "answer"),
    ], logged  # fmt: skip


def _chart(page, chart_id: str) -> dict:
    """What chart.js drew: labels and, per dataset, its label and numbers."""
    return page.evaluate(
        "(id) => { const c = Chart.getChart(id); return c && { labels: c.data.labels,"
        " sets: c.data.datasets.map((d) => [d.label, d.data]), drawn: c.canvas.width > 0 && c.canvas.height > 0 }; }",
        chart_id,
    )


def _table(page, table_id: str) -> list[list[str]]:
    return [r.split("\t") for r in page.locator(f"#{table_id} tbody tr").all_inner_texts()]


def test_a_manager_opens_the_dashboard_and_the_charts_show_the_data(page, site):
    url, app = site
    services = app.state.services
    from connectors.complaint import TicketRequest

    for i, (text, district) in enumerate((("小区路灯坏了一周没人修", "东城区"), ("路口井盖松动车一过就响", "东城区"), ("公园厕所没人打扫很脏", "高新区"))):
        services.complaints.file(TicketRequest(description=f"来电人反映{text}", district=district, anonymous=True,
                                               channel="hotline", idempotency_key=f"stats-{i}"))  # fmt: skip
    _questions_from_every_channel(page, url, app)
    today = services.questions.today()
    days = [(today - timedelta(days=1)).isoformat(), today.isoformat()]
    page.goto(url + "/admin")
    login(page, "editor1", "editor password 1")
    page.get_by_role("tab", name="统计").click()
    table = page.locator("#c-district-table")
    table.wait_for()
    rows = dict(r.split("\t") for r in table.locator("tbody tr").all_inner_texts())
    assert rows == {"东城区": "2", "高新区": "1"}
    drawn = page.evaluate("() => ['c-district', 'c-category', 'c-deadlines'].map((id) => { const c = Chart.getChart(id); return c ? c.data.datasets[0].data.reduce((a, b) => a + b, 0) : null; })")
    assert drawn == [3, 3, 3]  # each chart drawn, from the same three tickets
    assert page.locator("#c-district").evaluate("c => c.width > 0 && c.height > 0")

    # questions per day, one bar segment per channel: yesterday's one, today's seven
    per_day = _chart(page, "c-questions")
    assert per_day["drawn"] and per_day["labels"][-2:] == days and len(per_day["labels"]) == 30  # every day of the window
    assert [(name, numbers[-2:], sum(numbers)) for name, numbers in per_day["sets"]] == [
        ("网页", [1, 4], 5), ("微信", [0, 1], 1), ("终端", [0, 2], 2),
    ]  # fmt: skip
    assert _table(page, "c-questions-table") == [[days[0], "1", "0", "0", "1"], [days[1], "4", "1", "2", "7"]]
    decisions = _chart(page, "c-decisions")
    assert dict(zip(decisions["labels"], decisions["sets"][0][1], strict=True)) == {
        "回答": 4, "追问（您是不是想问）": 1, "未匹配": 1, "紧急情况": 1, "预约/反映表单": 1,
    }  # fmt: skip
    # the rates of the typed questions that went to search: 4 answered, 1 clarified, 1 not matched
    rates = _chart(page, "c-rates")
    assert rates["labels"] == ["回答", "追问（您是不是想问）", "未匹配"] and rates["sets"][0][1] == [66.7, 16.7, 16.7]
    assert _table(page, "c-rates-table") == [["回答", "66.7%", "4"], ["追问（您是不是想问）", "16.7%", "1"], ["未匹配", "16.7%", "1"]]
    assert "打字提问 6 个：回答 66.7%，追问 16.7%，未匹配 16.7%" in page.locator("#c-summary").inner_text()
    assert page.locator("#c-top li").first.inner_text() == "驾照丢了怎么补办（2 次，回答）"
    assert page.locator("#c-emergencies").inner_text() == "火情：1 次"
    assert "尚未统计" not in page.locator("#root").inner_text()
    assert_accessible(page, "statistics")
    shot(page, "admin-8-dashboard")
    page.set_viewport_size(PHONE)
    page.wait_for_function("() => Chart.getChart('c-questions').width < 400")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    assert_accessible(page, "statistics (phone)")
    shot(page, "admin-8-dashboard-phone")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "admin-8-dashboard-phone-top", full=False)
    page.set_viewport_size(DESKTOP)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename == "stats.xlsx"


def test_every_editor_tab_passes_axe_logged_in(page, site):
    url, _ = site
    page.goto(url + "/admin")
    login(page, "admin1", "admin password 1")
    page.locator("#root table").first.wait_for()
    assert_accessible(page, "entry list")
    for tab, ready in (("未答问题", "h2"), ("差评", "h2"), ("导入导出", "#i-title"), ("统计", "#c-deadlines-table"), ("账号", "#a-new")):
        page.get_by_role("tab", name=tab).click()
        page.locator(f"#root {ready}").first.wait_for()
        assert_accessible(page, f"{tab} tab")
