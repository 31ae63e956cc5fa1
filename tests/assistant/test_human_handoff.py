"""转人工 through the API: the staff inbox, the quiet bot, timeouts, staffed hours, WeChat 客服消息."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from assistant.human.relay import StaffedHours
from tests.assistant.test_wechat import APPID, TOKEN, _query, _text
from tests.connectors.fakes import FakeWeChatApi, serve

ALWAYS = {"staff_hours": "00:00-24:00", "staff_days": "every_day"}
WEB = "web:0123456789abcdef"


@pytest.fixture
def staffed(app_client, stub_retriever):
    def make(**overrides):
        client = app_client(stub_retriever, **{**ALWAYS, **overrides})
        for name in ("hotline1", "hotline2"):
            client.app.state.services.accounts.add(name, f"desk password {name[-1]}", "staff")
        return client

    return make


def say(client, text, sender=WEB, shown=None):
    resp = client.post("/api/chat", json={"sender": sender, "text": text, "shown": shown})
    assert resp.status_code == 200, resp.text
    return resp.json()


def as_staff(client, bearer, name="hotline1"):
    return bearer(client, name, f"desk password {name[-1]}")


def test_asking_for_a_person_queues_the_conversation_with_its_masked_transcript(staffed, bearer):
    client = staffed()
    say(client, "驾照到期了怎么换，我电话13812345678")
    reply = say(client, "转人工")
    [queued] = reply["messages"]
    assert queued["handoff"] and "您是下一位" in queued["text"]
    assert {"title": "拨打 12345", "payload": "tel:12345"} in queued["buttons"]

    [chat] = client.get("/api/staff/inbox", headers=as_staff(client, bearer)).json()["chats"]
    assert chat["status"] == "waiting" and chat["reason"] == "asked" and chat["waited_seconds"] >= 0
    said = [line["text"] for line in chat["transcript"] if line["who"] == "citizen"]
    assert said[0].startswith("驾照到期了怎么换") and "13812345678" not in said[0]  # masked
    assert any("驾驶证" in text for text in chat["bot_answered"]), chat["transcript"]  # what the bot already said


def test_a_person_holds_the_conversation_and_hands_it_back(staffed, bearer):
    client = staffed()
    say(client, "转人工")
    while_waiting = say(client, "驾照到期了怎么换")  # nobody has taken it yet: the bot still helps
    assert while_waiting["mode"] != "human" and "机动车驾驶证" in while_waiting["messages"][0]["text"]
    again = say(client, "转人工")["messages"][-1]
    assert again["handoff"] and "您是下一位" in again["text"]  # queued once, told where they are

    staff = as_staff(client, bearer)
    [waiting] = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    assert "驾照到期了怎么换" in [line["text"] for line in waiting["transcript"]]
    chat_id = waiting["id"]
    other = as_staff(client, bearer, "hotline2")
    assert client.post(f"/api/staff/inbox/{chat_id}/take", headers=staff).status_code == 200
    refused = client.post(f"/api/staff/inbox/{chat_id}/take", headers=other)
    assert refused.status_code == 409 and "hotline1" in refused.json()["detail"]
    assert client.post(f"/api/staff/inbox/{chat_id}/reply", headers=other, json={"text": "我来"}).status_code == 409

    assert client.post(f"/api/staff/inbox/{chat_id}/reply", headers=staff, json={"text": "您好，驾照可以在车管所换。"}).status_code == 200
    held = say(client, "那要带什么")
    assert held == {"mode": "human", "messages": []}  # quiet: the person answers
    updates = client.get("/api/chat/updates", params={"sender": WEB}).json()
    assert [line["who"] for line in updates["lines"]] == ["notice", "staff"]
    assert "已接入" in updates["lines"][0]["text"] and updates["lines"][1]["text"] == "您好，驾照可以在车管所换。"
    assert updates["chat"]["status"] == "taken"
    later = client.get("/api/chat/updates", params={"sender": WEB, "after": updates["lines"][-1]["id"]}).json()
    assert later["lines"] == []

    assert client.post(f"/api/staff/inbox/{chat_id}/hand-back", headers=staff).status_code == 200
    back = say(client, "驾照到期了怎么换")
    assert back["mode"] != "human" and "机动车驾驶证" in back["messages"][0]["text"]
    transcript = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    assert transcript == []  # nothing open any more
    figures = client.get("/api/staff/inbox/figures", headers=staff).json()
    assert figures["handed_back"] == 1 and figures["answered_by_staff"] == 1


def test_two_answers_in_a_row_that_did_not_help_hand_over(staffed):
    client = staffed()
    first = say(client, "量子纠缠的宇宙飞船怎么驾驶")
    assert first["messages"][0]["miss"] and not any(m["handoff"] for m in first["messages"])
    second = say(client, "恐龙蛋能不能孵出小鸡呢朋友")
    texts = [m["text"] for m in second["messages"]]
    assert second["messages"][-1]["handoff"] and "连续两次没能帮上您" in texts[-1], second


def test_outside_staffed_hours_it_says_so_and_offers_12345_and_a_ticket(staffed, bearer):
    client = staffed(staff_hours="09:00-09:01", staff_days="every_day")
    hours = client.app.state.services.relay.hours
    if hours.is_open():  # the one minute a day this would be open
        pytest.skip("ran inside the test's staffed minute")
    [reply] = say(client, "转人工")["messages"]
    assert "不在人工客服的服务时间（每天 09:00–09:01）" in reply["text"]
    assert [b["payload"] for b in reply["buttons"]] == ["tel:12345", "/complain"]
    staff = as_staff(client, bearer)
    assert client.get("/api/staff/inbox", headers=staff).json()["chats"] == []
    assert client.get("/api/staff/inbox/figures", headers=staff).json()["after_hours"] == 1
    assert "机动车驾驶证" in say(client, "驾照到期了怎么换")["messages"][0]["text"]  # the bot goes on


def test_staffed_hours_follow_the_work_calendar():
    hours = StaffedHours.parse("09:00-17:30")
    assert hours.is_open(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # Tuesday 10:00 in Beijing
    assert not hours.is_open(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # 18:00
    assert not hours.is_open(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))  # Saturday
    with pytest.raises(ValueError, match="09:00-17:30"):
        StaffedHours.parse("nine to five")


def test_nobody_takes_it_in_time_so_the_citizen_is_told_and_the_bot_resumes(staffed, bearer):
    client = staffed(handoff_wait_seconds=0.3)
    say(client, "转人工")
    time.sleep(0.5)
    updates = client.get("/api/chat/updates", params={"sender": WEB}).json()
    [notice] = updates["lines"]
    assert "没能接入" in notice["text"] and {"title": "拨打 12345", "payload": "tel:12345"} in notice["buttons"]
    assert updates["chat"]["outcome"] == "timed_out"
    assert "机动车驾驶证" in say(client, "驾照到期了怎么换")["messages"][0]["text"]
    figures = client.get("/api/staff/inbox/figures", headers=as_staff(client, bearer)).json()
    assert figures["timed_out"] == 1 and figures["timed_out_share"] == 1.0


def test_the_queue_survives_a_restart(app_client, stub_retriever, tmp_path, bearer):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = app_client(stub_retriever, database_url=url, **ALWAYS)
    say(first, "转人工")
    first.__exit__(None, None, None)
    again = app_client(stub_retriever, database_url=url, **ALWAYS)
    again.app.state.services.accounts.add("hotline9", "desk password 9", "staff")
    [chat] = again.get("/api/staff/inbox", headers=bearer(again, "hotline9", "desk password 9")).json()["chats"]
    assert chat["status"] == "waiting"
    chat_id = chat["id"]
    again.post(f"/api/staff/inbox/{chat_id}/take", headers=bearer(again, "hotline9", "desk password 9"))
    assert say(again, "驾照到期了怎么换")["mode"] == "human"  # held by the person who took it


def test_citizen_updates_only_for_web_conversations(staffed):
    client = staffed()
    assert client.get("/api/chat/updates", params={"sender": "wechat:oUser"}).status_code == 422
    assert client.get("/api/chat/updates", params={"sender": "web:short"}).status_code == 422


def test_cancel_leaves_the_queue(staffed, bearer):
    client = staffed()
    say(client, "转人工")
    [reply] = say(client, "/cancel_handoff")["messages"]
    assert "已取消" in reply["text"]
    assert client.get("/api/staff/inbox", headers=as_staff(client, bearer)).json()["chats"] == []


@pytest.fixture
def wechat(staffed):
    fake = FakeWeChatApi()
    with serve(fake.app) as url:
        client = staffed(wechat_token=TOKEN, wechat_appid=APPID, wechat_secret="s", wechat_api_base=url)
        yield client, fake


def test_wechat_staff_replies_go_out_as_customer_service_messages(wechat, bearer):
    client, fake = wechat
    answer = client.post("/wechat", params=_query(), content=_text("转人工", msg_id="7001", user="oAsk"))
    assert "已为您转接人工客服" in answer.text and "回复 1：取消转人工" in answer.text
    staff = as_staff(client, bearer)
    [chat] = client.get("/api/staff/inbox", headers=staff).json()["chats"]
    assert chat["channel"] == "wechat"
    client.post(f"/api/staff/inbox/{chat['id']}/take", headers=staff)
    client.post(f"/api/staff/inbox/{chat['id']}/reply", headers=staff, json={"text": "您好，请讲。"})
    quiet = client.post("/wechat", params=_query(), content=_text("驾照到期了怎么换", msg_id="7002", user="oAsk"))
    assert quiet.text == "success"  # the person answers, not the bot
    client.post(f"/api/staff/inbox/{chat['id']}/hand-back", headers=staff)
    sent = [m["text"]["content"] for m in fake.sent if m["touser"] == "oAsk"]
    assert "已接入" in sent[0] and sent[1] == "您好，请讲。" and "结束本次服务" in sent[2]
    back = client.post("/wechat", params=_query(), content=_text("驾照到期了怎么换", msg_id="7003", user="oAsk"))
    assert "机动车驾驶证" in back.text


@pytest.mark.parametrize("header, cursor", [("42", 42), ("²", 0), ("４２", 0), ("9" * 40, 0), ("", 0), (None, 0)])
def test_a_strange_last_event_id_resumes_from_the_start_instead_of_failing(header, cursor):
    from assistant.routes.human import _event_id

    assert _event_id(header) == cursor
