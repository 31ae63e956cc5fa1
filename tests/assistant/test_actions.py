"""The action server Rasa calls: protocol, service answers in context, the booking and complaint forms."""

from __future__ import annotations

import re

import pytest

from assistant.actions.protocol import Tracker, from_rasa, to_rasa
from assistant.replies import Button, Reply

LICENCE = "机动车驾驶证遗失补证"


@pytest.fixture
def client(app_client, stub_retriever):
    return app_client(stub_retriever)


def call(client, action, slots=None, text="", intent="", entities=(), validate=None, sender="web:t1"):
    """One action call shaped as Rasa sends it; ``validate``: slots the form just extracted."""
    events = [{"event": "user", "text": text}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (validate or {}).items()]
    body = {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {**(slots or {}), **(validate or {})},
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": list(entities)},
            "events": events,
            "active_loop": {},
        },
    }
    resp = client.post("/webhook", json=body)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    slots = {e["name"]: e["value"] for e in data["events"] if e["event"] == "slot"}
    return slots, [r.as_dict() for r in from_rasa(data["responses"])]


def test_replies_round_trip_through_rasa_shapes():
    plain = Reply("您好", [Button("是", "/affirm")])
    rich = Reply("清单", checklist={"counts": {}}, handoff=False)
    handoff = Reply("转人工", handoff=True)
    booked = Reply(
        "预约成功！",
        [Button("查询预约", "/query_booking")],
        about={"kind": "guide", "code": "G1", "name": "护照"},
        receipt={"kind": "booking", "number": "YY261125ABCDEFGH23", "status": "有效"},
    )
    replies = [plain, rich, handoff, booked]
    assert from_rasa([to_rasa(r) for r in replies]) == replies
    assert to_rasa(plain) == {"text": "您好", "buttons": [{"title": "是", "payload": "/affirm"}]}


def test_slots_to_validate_are_those_set_since_the_last_message():
    t = Tracker.from_request(
        {
            "tracker": {
                "events": [
                    {"event": "slot", "name": "old", "value": 1},
                    {"event": "user", "text": "x"},
                    {"event": "slot", "name": "new", "value": 2},
                    {"event": "slot", "name": "requested_slot", "value": "new"},
                ]
            }
        }
    )
    assert t.slots_to_validate() == {"new": 2}


def test_unknown_action_and_strangers_are_refused(app_client, stub_retriever):
    client = app_client(stub_retriever)
    resp = client.post("/webhook", json={"next_action": "action_nope", "tracker": {}})
    assert resp.status_code == 404 and resp.json()["action_name"] == "action_nope"
    guarded = app_client(stub_retriever, action_token="s3cret")
    assert guarded.post("/webhook", json={"next_action": "action_human_handoff"}).status_code == 403
    ok = guarded.post("/webhook?token=s3cret", json={"next_action": "action_human_handoff", "tracker": {}})
    assert ok.status_code == 200 and ok.json()["responses"][0]["custom"]["handoff"] is True


def test_service_answer_then_follow_up_from_slots(client):
    slots, responses = call(client, "action_answer_service", text="驾照丢了怎么办", intent="ask_service")
    assert LICENCE in responses[0]["text"] and slots["service_kind"] == "guide"
    _, follow = call(client, "action_answer_detail", slots=slots, text="那要多少钱", intent="ask_detail")
    assert follow[0]["text"].startswith(f"【{LICENCE}】收费")
    _, nothing = call(client, "action_answer_detail", text="要带什么材料", intent="ask_detail")
    assert "哪个事项" in nothing[0]["text"]


def test_tick_item_marks_the_material_done(client):
    slots, _ = call(client, "action_start_bundle", text='/start_bundle{"code": "YJS-370199-002"}')
    slots, replies = call(client, "action_tick_item", slots=slots, text="身份证我已经有了", intent="tick_item")
    checklist = replies[0]["checklist"]
    done = [m["name"] for m in checklist["materials"] if m["done"]]
    assert done and "身份证" in done[0] and replies[0]["text"].startswith("好的，已为您划掉")
    assert slots["ticked"] == done


def _bookable_guide(client):
    for entry in client.app.state.services.store.published("guide"):
        if entry.bookable and client.app.state.services.booking.halls(entry.code):
            return entry
    raise AssertionError("no bookable guide in the sample KB")


def test_booking_form_checks_each_answer_and_books(client):
    guide = _bookable_guide(client)
    slots, _ = call(client, "action_prepare_booking", text=f'/book{{"code": "{guide.code}"}}',
                    entities=[{"entity": "code", "value": guide.code}])  # fmt: skip
    assert slots["booking_service"] == guide.code and slots["booking_phone"] is None
    _, ask = call(client, "action_ask_booking_hall", slots=slots)
    hall = ask[0]["buttons"][0]["payload"]
    checked, _ = call(client, "validate_booking_form", slots=slots, validate={"booking_hall": hall})
    slots |= checked
    _, ask = call(client, "action_ask_booking_date", slots=slots)
    day = ask[0]["buttons"][0]["payload"]
    bad, msg = call(client, "validate_booking_form", slots=slots, validate={"booking_date": "随便哪天"})
    assert bad == {"booking_date": None} and "哪一天" in msg[0]["text"]
    slots |= call(client, "validate_booking_form", slots=slots, validate={"booking_date": day})[0]
    _, ask = call(client, "action_ask_booking_time", slots=slots)
    start = ask[0]["buttons"][0]["payload"]
    slots |= call(client, "validate_booking_form", slots=slots, validate={"booking_time": start})[0]
    slots |= call(client, "validate_booking_form", slots=slots, validate={"booking_name": "我叫张三"})[0]
    bad, msg = call(client, "validate_booking_form", slots=slots, validate={"booking_phone": "12345"})
    assert bad == {"booking_phone": None} and "11 位" in msg[0]["text"]
    slots |= call(client, "validate_booking_form", slots=slots, validate={"booking_phone": "138 1234 5678"})[0]
    assert slots["booking_name"] == "张三" and slots["booking_phone"] == "13812345678"
    _, confirm = call(client, "action_ask_booking_confirm", slots=slots)
    assert "138****5678" in confirm[0]["text"] and "13812345678" not in confirm[0]["text"]
    done, reply = call(client, "action_submit_booking", slots={**slots, "booking_confirm": True})
    number = re.search(r"YY\d{6}[A-Z2-9]{10}", reply[0]["text"]).group(0)
    assert done["booking_phone"] is None  # the phone leaves the slots with the form
    found = client.app.state.services.booking.query(number=number, phone="13812345678")
    assert found[0].service_code == guide.code and found[0].start == start
    # cancel by number and phone
    _, cancelled = call(client, "action_cancel_booking", slots={"booking_number": number, "lookup_phone": "13812345678"})
    assert "已为您取消" in cancelled[0]["text"]
    assert client.app.state.services.booking.query(number=number, phone="13812345678")[0].status == "cancelled"


def test_booking_not_confirmed_books_nothing(client):
    guide = _bookable_guide(client)
    _, reply = call(client, "action_submit_booking", slots={"booking_service": guide.code, "booking_confirm": False})
    assert "没有提交" in reply[0]["text"]


def test_complaint_prefilled_from_the_opening_message_and_filed(client):
    slots, _ = call(client, "action_prepare_complaint", text="楼下饭店油烟太大了，晚上都不停", intent="complain")
    assert slots["complaint_description"].startswith("楼下饭店") and slots["complaint_category"] == "投诉"
    bad, msg = call(client, "validate_complaint_form", slots=slots, validate={"complaint_contact": "不告诉你"})
    assert bad == {"complaint_contact": None} and "匿名" in msg[0]["text"]
    slots |= {"complaint_location": "西城区建设街12号", "complaint_contact": "13900001111"}
    _, confirm = call(client, "action_ask_complaint_confirm", slots=slots)
    assert "139****1111" in confirm[0]["text"]
    _, reply = call(client, "action_submit_complaint", slots={**slots, "complaint_confirm": True})
    number = re.search(r"GD\d{6}[A-Z2-9]{8}", reply[0]["text"]).group(0)
    ticket = client.app.state.services.complaints.get(number)
    assert ticket.district == "西城区" and "生态环境" in ticket.department
    assert ticket.department in reply[0]["text"]
    _, status = call(client, "action_query_ticket", slots={"ticket_number": number})
    assert number in status[0]["text"] and ticket.department in status[0]["text"]


def test_long_conversations_fit_through_the_webhook(client):
    # Rasa sends the whole tracker with each action: far above the public 64 KB cap
    history = [{"event": "bot", "text": "很长的回复" * 200} for _ in range(100)]
    body = {"next_action": "action_human_handoff", "tracker": {"events": history}}
    assert client.post("/webhook", json=body).status_code == 200
    assert client.post("/api/chat", json={"sender": "x", "text": "字" * 70_000}).status_code == 413



@pytest.mark.parametrize("typed", ["②", "２", "²", "二"])
def test_booking_hall_picked_by_number_in_any_digits(client, typed):
    """Issue 14 item 4: "②" made ``int()`` raise inside the form (a 500 to Rasa)."""
    guide = _bookable_guide(client)
    slots = {"booking_service": guide.code}
    halls = client.app.state.services.booking.halls(guide.code, None)
    checked, msg = call(client, "validate_booking_form", slots=slots, validate={"booking_hall": typed})
    if len(halls) >= 2:
        assert checked == {"booking_hall": halls[1].id}
    else:
        assert checked == {"booking_hall": None} and "大厅" in msg[0]["text"]


def test_having_something_the_pending_question_asks_about_answers_it(client):
    """ "社保卡已经有了", read as ticking a material, answers "是否已有本市社会保障卡？"."""
    slots, _ = call(client, "action_answer_service", text='/choose{"kind": "bundle", "code": "YJS-370199-017"}')
    for text in ("户口不用迁，一直在本市", "不需要转"):
        slots, _ = call(client, "action_bundle_step", slots=slots, text=text, intent="inform")
    slots, replies = call(client, "action_tick_item", slots=slots, text="社保卡已经有了", intent="tick_item")
    assert "没有在您的清单里找到" not in replies[0]["text"]
    assert replies[-1].get("checklist"), replies
