"""长辈版 in the 公众号: switched by a message, kept per OpenID on the server, answers as short
pages (what to bring first) with "回复 1：看下一段", emergencies whole and first. Through the real
callback, with the fake WeChat API receiving the 客服消息."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from assistant.preferences import ReadingPreferenceRow
from connectors.wechat.messages import parse_xml
from foundation.shared_state import LocalState
from tests.assistant.test_wechat import APPID, TOKEN, _query, _text
from tests.connectors.fakes import FakeWeChatApi, serve

ALWAYS = {"staff_hours": "00:00-24:00", "staff_days": "every_day"}


@pytest.fixture
def wechat(app_client, stub_retriever):
    fake = FakeWeChatApi()
    with serve(fake.app) as url:
        client = app_client(
            stub_retriever, wechat_token=TOKEN, wechat_appid=APPID, wechat_secret="s", wechat_api_base=url,
            wechat_reply_budget=2.0, **ALWAYS,
        )  # fmt: skip
        client.app.state.services.accounts.add("hotline1", "desk password 1", "staff")
        yield client, fake


class Citizen:
    """One OpenID talking to the callback; ``say`` returns the passive reply's text ("" for success)."""

    def __init__(self, client, openid: str) -> None:
        self.client, self.openid, self.n = client, openid, 0

    def say(self, text: str) -> str:
        self.n += 1
        resp = self.client.post(
            "/wechat",
            params=_query(),
            content=_text(text, msg_id=f"{self.openid}-{self.n}", user=self.openid),
        )
        assert resp.status_code == 200, resp.text
        return "" if resp.text == "success" else parse_xml(resp.text)["Content"]


def choice(content: str, title: str) -> str:
    """The number to reply for the choice called ``title``."""
    for line in content.splitlines():
        if line.startswith("回复 ") and line.split("：", 1)[1].startswith(title):
            return line.split("：")[0].removeprefix("回复 ")
    raise AssertionError(f"no choice {title!r} in:\n{content}")


def test_switching_on_is_kept_per_openid_without_storing_the_openid(wechat):
    client, _ = wechat
    grandma, other = Citizen(client, "oGrandma"), Citizen(client, "oOther")
    standard = grandma.say("户口本丢了怎么补")
    assert "第 1 段" not in standard and "在哪办：" in standard  # standard: the whole answer at once

    assert "已为您换成长辈版" in grandma.say("长辈版")
    elder = grandma.say("驾照丢了怎么办")
    assert "（第 1 段，共" in elder and choice(elder, "看下一段") == "1"
    assert "第 1 段" not in other.say("驾照丢了怎么办")  # someone else's switch is not theirs

    engine = client.app.state.services.store.engine
    with engine.connect() as conn:
        keys = conn.execute(select(ReadingPreferenceRow.key)).scalars().all()
    assert len(keys) == 1 and "oGrandma" not in keys[0] and len(keys[0]) == 16  # a keyed pseudonym, no OpenID

    # another worker (or a restart) reads the same switch from the database
    channel = client.app.state.services.channels.wechat
    channel.state = LocalState()  # nothing of this worker's own state: pages and choices start empty
    assert "（第 1 段" in grandma.say("护照怎么办")

    assert "已换回标准版" in grandma.say("标准版")
    assert "第 1 段" not in grandma.say("居住证怎么办")
    with engine.connect() as conn:
        assert conn.execute(select(ReadingPreferenceRow)).all() == []  # off: nothing kept


@pytest.mark.parametrize("words", ["长辈版", "大字版", "长辈模式", "切换到长辈版。", "老年版"])
def test_the_ways_a_citizen_asks_for_it(wechat, words):
    client, _ = wechat
    assert "已为您换成长辈版" in Citizen(client, "oWays").say(words)


def test_pages_put_the_materials_first_and_reply_1_shows_the_next(wechat):
    client, _ = wechat
    grandma = Citizen(client, "oPages")
    grandma.say("大字版")
    first = grandma.say("户口本丢了怎么补")
    lines = first.splitlines()
    assert lines[0] == "【户口簿补领】" and lines[1] == "需要带的材料："  # what to bring, first
    assert "在哪办" not in first.split("回复 1")[0]  # one idea per message
    assert len(first.encode("utf-8")) < 1000 and len(lines) <= 14

    pages = [first]
    while "看下一段" in pages[-1]:
        pages.append(grandma.say("1"))
        assert len(pages) < 8
    assert any(p.startswith("在哪办：") for p in pages)
    hall = next(p for p in pages if p.startswith("在哪办："))
    assert "  地址：" in hall and "  电话：" in hall  # one hall as a short paragraph, not one long line
    last = pages[-1]
    assert f"（第 {len(pages)} 段，共 {len(pages)} 段）" in last
    assert choice(last, "转人工") and choice(last, "办理流程") == "1"  # the answer's own choices, at the end
    steps = grandma.say(choice(last, "办理流程"))
    assert "办理流程" in steps and "（1）" in steps  # list numbers never look like a choice to reply
    assert "这条回答已经看完了" in grandma.say("下一段")


def test_a_checklist_lists_what_to_bring_first_in_short_pages(wechat):
    client, _ = wechat
    grandma = Citizen(client, "oBundle")
    grandma.say("长辈版")
    content = grandma.say("孩子出生了要办哪些手续")
    for _ in range(6):  # answer the 一件事's questions with the first choice
        if "要带的材料" in content:
            break
        number = next(line for line in content.splitlines() if line.startswith("回复 ")).split("：")[0][3:]
        content = grandma.say(number)
    assert content.startswith("【新生儿出生一件事】要带的材料"), content
    assert "□ " in content and "统一窗口" not in content
    rest = grandma.say("继续")  # words work as well as 1
    assert "在哪办" in rest or "不用带" in rest or "（续）" in rest


def test_an_emergency_comes_first_and_whole_in_elder_mode(wechat):
    client, _ = wechat
    grandma = Citizen(client, "oFire")
    grandma.say("长辈版")
    grandma.say("户口本丢了怎么补")  # pages of an ordinary answer are waiting behind "1"
    urgent = grandma.say("楼下着火了")
    assert urgent.startswith("⚠️") and "119" in urgent.splitlines()[0]
    assert "现在先这样做" in urgent and "（4）" in urgent  # every first step, not behind 看下一段
    assert "看下一段" not in urgent and "第 1 段" not in urgent
    assert "这条回答已经看完了" in grandma.say("下一段")  # the old answer's pages are gone


def test_an_emergency_while_a_person_holds_the_conversation_is_answered_at_once(wechat, bearer):
    client, fake = wechat
    grandma = Citizen(client, "oHeld")
    grandma.say("长辈版")
    assert "已为您转接人工客服" in grandma.say("转人工")
    staff = bearer(client, "hotline1", "desk password 1")
    [chat] = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    client.post(f"/api/staff/inbox/{chat['id']}/take", headers=staff)
    assert grandma.say("我要问户口") == ""  # a person holds it: the bot is quiet
    urgent = grandma.say("我爸晕倒了")
    assert urgent.startswith("⚠️") and "120" in urgent.splitlines()[0]


def test_digits_typed_to_a_staff_member_reach_them_not_an_old_choice(wechat, bearer):
    """The queued reply offered "回复 1：取消转人工"; once a person has taken the conversation a
    "1" is the citizen's answer to them, and must not cancel the hand-off."""
    client, fake = wechat
    citizen = Citizen(client, "oDigits")
    queued = citizen.say("转人工")
    assert choice(queued, "取消转人工") == "1"
    staff = bearer(client, "hotline1", "desk password 1")
    [chat] = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    client.post(f"/api/staff/inbox/{chat['id']}/take", headers=staff)
    client.post(
        f"/api/staff/inbox/{chat['id']}/reply", headers=staff, json={"text": "您办哪样？1 户口 2 身份证"}
    )
    assert citizen.say("1") == ""
    [held] = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    assert held["status"] == "taken"
    assert [line["text"] for line in held["transcript"] if line["who"] == "citizen"][-1] == "1"


def test_staff_messages_to_an_elder_citizen_are_short_pages_too(wechat, bearer):
    client, fake = wechat
    grandma = Citizen(client, "oStaffLong")
    grandma.say("长辈版")
    grandma.say("转人工")
    staff = bearer(client, "hotline1", "desk password 1")
    [chat] = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    client.post(f"/api/staff/inbox/{chat['id']}/take", headers=staff)
    long_reply = "\n".join(f"第{i}点：请带上户口簿原件和近期照片到户政大厅办理。" for i in range(30))
    assert (
        client.post(
            f"/api/staff/inbox/{chat['id']}/reply", headers=staff, json={"text": long_reply}
        ).status_code
        == 200
    )
    sent = [m["text"]["content"] for m in fake.sent if m["touser"] == "oStaffLong"]
    assert "已接入" in sent[0] and sent[1].startswith("第0点") and "回复 1：看下一段" in sent[1]
    assert len(sent[1].encode("utf-8")) < 1200
    following = grandma.say("1")  # answered by the channel: not forwarded to the staff member
    assert following.startswith("第") and following != sent[1]
    [held] = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    assert not [line for line in held["transcript"] if line["who"] == "citizen" and line["text"] == "1"]


def test_a_late_elder_answer_goes_out_as_its_first_page(wechat):
    client, fake = wechat
    channel = client.app.state.services.channels.wechat
    grandma = Citizen(client, "oSlowElder")
    grandma.say("长辈版")
    real = channel.dialogue.respond

    def slow(sender, text):
        time.sleep(channel.budget + 0.5)
        return real(sender, text)

    channel.dialogue.respond = slow
    try:
        assert grandma.say("户口本丢了怎么补") == ""  # past the budget: success now, 客服消息 later
        deadline = time.time() + 15
        while not [m for m in fake.sent if m["touser"] == "oSlowElder"] and time.time() < deadline:
            time.sleep(0.05)
    finally:
        channel.dialogue.respond = real
    [late] = [m["text"]["content"] for m in fake.sent if m["touser"] == "oSlowElder"]
    assert late.startswith("【户口簿补领】\n需要带的材料：") and "回复 1：看下一段" in late
    assert "在哪办：" in grandma.say("1")


def test_the_menu_switches_it_on_and_unsubscribing_forgets_it(wechat):
    client, _ = wechat

    def event(kind, key=""):
        xml = (
            f"<xml><ToUserName>gh</ToUserName><FromUserName>oMenu</FromUserName><CreateTime>{time.time_ns()}</CreateTime>"
            f"<MsgType>event</MsgType><Event>{kind}</Event><EventKey>{key}</EventKey></xml>"
        )
        return client.post("/wechat", params=_query(), content=xml).text

    assert "长辈版" in parse_xml(event("subscribe"))["Content"]  # the welcome says how
    assert "已为您换成长辈版" in parse_xml(event("CLICK", "ELDER"))["Content"]
    prefs = client.app.state.services.channels.wechat.preferences
    assert prefs.elder("wechat:oMenu")
    assert event("unsubscribe") == "success"
    assert not prefs.elder("wechat:oMenu")


def test_a_whole_elder_session_is_written_out_for_people_to_read(wechat, bearer):
    """What an elderly citizen reads in WeChat, message by message, in
    ``test-artifacts/wechat/elder-transcript.txt`` (passive replies and 客服消息 in order)."""
    from tests.browser import ARTIFACTS

    client, fake = wechat
    grandma = Citizen(client, "oTranscript")
    lines: list[str] = []

    def say(text: str) -> str:
        before = len(fake.sent)
        content = grandma.say(text)
        lines.append(f"市民：{text}")
        lines.append(f"公众号：\n{content or '（不回复，等人工）'}")
        lines.extend(f"公众号（客服消息）：\n{m['text']['content']}" for m in fake.sent[before:])
        return content

    say("长辈版")
    page = say("户口本丢了怎么补")
    while "看下一段" in page:
        page = say("1")
    say("楼下着火了")
    say("转人工")
    staff = bearer(client, "hotline1", "desk password 1")
    [chat] = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    before = len(fake.sent)
    client.post(f"/api/staff/inbox/{chat['id']}/take", headers=staff)
    client.post(
        f"/api/staff/inbox/{chat['id']}/reply",
        headers=staff,
        json={"text": "您好，户口本补办要本人带身份证去户籍派出所。"},
    )
    client.post(f"/api/staff/inbox/{chat['id']}/hand-back", headers=staff)
    lines += [f"公众号（客服消息）：\n{m['text']['content']}" for m in fake.sent[before:]]
    say("标准版")
    out = ARTIFACTS / "wechat" / "elder-transcript.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    assert all(len(block.encode("utf-8")) <= 2048 + 40 for block in lines)
