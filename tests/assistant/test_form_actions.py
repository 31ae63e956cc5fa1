"""Forms that use what was said: booking and complaint pre-filled from the first message,
counter-questions answered inside a form, a booking looked up by phone in chat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nlu.dates import parse_day
from tests.assistant.test_actions import call

MARRIAGE = "370199-000701001000-QR-001-01"
DIVORCE = "370199-000701002000-QR-002-01"
ID_RENEW = "370199-000101002000-QR-002-01"
SOCIAL_CARD_NEW = "370199-000201006000-GG-006-01"


@pytest.fixture
def client(app_client, stub_retriever):
    return app_client(stub_retriever)


def test_the_service_booked_is_the_one_named(client):
    slots, _ = call(client, "action_prepare_booking", text="我要预约办结婚登记", intent="book")
    assert slots["booking_service"] == MARRIAGE != DIVORCE


def test_booking_takes_district_day_and_time_from_the_first_message(client):
    booking = client.app.state.services.booking
    today = booking.now().date()
    wednesday = today - timedelta(days=today.weekday()) + timedelta(weeks=1, days=2)
    slots, _ = call(client, "action_prepare_booking", text="下周三上午在西城区预约换身份证", intent="book")
    assert slots["booking_service"] == ID_RENEW and slots["region"] == "西城区"
    hall = slots["booking_hall"]
    assert hall and booking.halls(ID_RENEW, "西城区")[0].id == hall
    # the form validates what prepare set; the wish fills day and time once the hall is known
    checked, msg = call(
        client,
        "validate_booking_form",
        slots=slots,
        validate={"booking_service": ID_RENEW, "booking_hall": hall},
    )
    free = [s for s in booking.free_slots(hall, ID_RENEW, wednesday, wednesday) if s.free > 0]
    if free:
        assert checked["booking_date"] == wednesday.isoformat()
        assert checked["booking_time"] and int(checked["booking_time"][:2]) < 12
    else:
        assert checked["booking_date"] is None and msg


def test_why_the_phone_is_asked_is_answered_and_the_form_goes_on(client):
    slots = {"booking_service": ID_RENEW, "requested_slot": "booking_phone"}
    checked, msg = call(client, "validate_booking_form", slots=slots, text="为啥要手机号？会不会泄露",
                        validate={"booking_phone": "为啥要手机号？会不会泄露"})  # fmt: skip
    text = "\n".join(m["text"] for m in msg)
    assert checked == {"booking_phone": None} and "加密" in text and "格式不对" not in text


def test_materials_asked_at_the_date_step_are_answered(client):
    slots = {"booking_service": ID_RENEW, "requested_slot": "booking_date"}
    checked, msg = call(client, "validate_booking_form", slots=slots, text="对了要带啥材料啊",
                        validate={"booking_date": "对了要带啥材料啊"})  # fmt: skip
    assert checked == {"booking_date": None}
    assert "照片" in msg[0]["text"] and "没听明白" not in msg[0]["text"]


def test_an_answer_that_sounds_like_a_question_is_still_an_answer(client):
    slots = {"booking_service": ID_RENEW, "requested_slot": "booking_phone"}
    checked, _ = call(client, "validate_booking_form", slots=slots, text="13812345678可以吗",
                      validate={"booking_phone": "13812345678可以吗"})  # fmt: skip
    assert checked == {"booking_phone": "13812345678"}


def test_complaint_takes_place_and_phone_from_the_first_message(client):
    text = "我要投诉，西城区建设街12号的烧烤店天天半夜营业太吵了，我电话13900001111"
    slots, _ = call(client, "action_prepare_complaint", text=text, intent="complain")
    assert slots["complaint_location"].startswith("西城区建设街12号")
    assert slots["complaint_contact"] == "13900001111" and slots["complaint_description"] == text


def test_a_question_is_never_stored_as_the_complaint_location(client):
    slots = {"complaint_description": "楼下饭店油烟太大", "requested_slot": "complaint_location"}
    checked, msg = call(client, "validate_complaint_form", slots=slots, text="为什么要留地址？会泄露吗",
                        validate={"complaint_location": "为什么要留地址？会泄露吗"})  # fmt: skip
    assert checked == {"complaint_location": None} and msg


def test_a_booking_is_looked_up_by_phone_alone(client):
    guide_halls = client.app.state.services.booking.halls(ID_RENEW)
    assert guide_halls
    slots = {"requested_slot": "booking_number"}
    checked, _ = call(client, "validate_query_booking_form", slots=slots, text="不记得预约号了，手机号13812345678",
                      validate={"booking_number": "不记得预约号了，手机号13812345678"})  # fmt: skip
    assert checked["lookup_phone"] == "13812345678" and checked["booking_number"]
    _, reply = call(client, "action_query_booking", slots=checked)
    assert "13812345678" not in reply[0]["text"]  # nothing booked: "没有找到", never the number in clear


def test_a_day_with_no_time_left_asks_another_day(client):
    from connectors.booking.protocol import BookingRequest, SlotFullError

    booking = client.app.state.services.booking
    hall = booking.halls(MARRIAGE)[0].id
    today = booking.now().date()
    day = min(s.day for s in booking.free_slots(hall, MARRIAGE, today, today + timedelta(days=14)))
    n = 0
    for slot in booking.free_slots(hall, MARRIAGE, day, day):
        while True:  # other citizens took the whole day
            n += 1
            try:
                booking.book(BookingRequest(MARRIAGE, "内地居民结婚登记", hall, day, slot.start, "李四",
                                            f"137{n:08d}"))  # fmt: skip
            except SlotFullError:
                break
    slots = {"booking_service": MARRIAGE, "booking_hall": hall, "booking_date": day.isoformat(),
             "requested_slot": "booking_time"}  # fmt: skip
    asked, msg = call(client, "action_ask_booking_time", slots=slots)
    assert asked["booking_date"] is None and asked["requested_slot"] == "booking_date"
    assert "约满" in msg[0]["text"] and day.isoformat() not in [b["payload"] for b in msg[0]["buttons"]]


def test_the_phone_in_the_message_that_opens_the_lookup_is_used(client):
    text = "我忘了预约号，手机号是13800000018，帮我查查"  # nothing requested yet: the form opens
    checked, _ = call(client, "validate_query_booking_form", slots={}, text=text)
    assert checked["lookup_phone"] == "13800000018" and checked["booking_number"]


def test_a_service_typed_at_the_service_step_is_confirmed_by_name(client):
    slots = {"requested_slot": "booking_service"}
    checked, msg = call(client, "validate_booking_form", slots=slots, text="结婚登记",
                        validate={"booking_service": "结婚登记"})  # fmt: skip
    assert checked == {"booking_service": MARRIAGE} and "内地居民结婚登记" in msg[0]["text"]


def run(client, action, slots=None, text="", intent=""):
    """The whole answer of one action: (followup action or None, slots set, reply texts)."""
    body = {
        "next_action": action,
        "sender_id": "web:t2",
        "tracker": {
            "sender_id": "web:t2",
            "slots": dict(slots or {}),
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
            "events": [{"event": "user", "text": text}],
            "active_loop": {},
        },
    }
    data = client.post("/webhook", json=body).json()
    followup = next((e["name"] for e in data["events"] if e["event"] == "followup"), None)
    slots = {e["name"]: e["value"] for e in data["events"] if e["event"] == "slot"}
    return followup, slots, [m.get("text", "") for m in data["responses"]]


LICENCE_RENEW = "370199-000103001000-XK-001-01"


def test_a_question_rasa_read_as_a_complaint_is_answered_and_opens_no_form(client):
    focus = {"service_kind": "guide", "service_code": LICENCE_RENEW}
    followup, slots, texts = run(client, "action_prepare_complaint", focus, "周六车管所上班吗", "complain")
    assert followup == "action_listen" and "complaint_description" not in {k for k, v in slots.items() if v}
    assert texts and "事情发生在哪里" not in "".join(texts)
    # words that say complaint always open the form, whatever else the message asks
    followup, slots, _ = run(client, "action_prepare_complaint", focus, "车管所窗口乱收费，我要投诉", "complain")
    assert followup is None and slots["complaint_description"]


def test_complaint_words_open_the_form_where_rasa_read_something_else(client):
    text = "家门口的路灯坏了好几天了，晚上特别黑，在东城区文教路5号"
    followup, slots, _ = run(client, "action_converse", {}, text, "ask_service")
    assert followup == "complaint_form"
    assert slots["complaint_description"] == text and slots["complaint_location"].startswith("东城区文教路5号")


def test_asking_whether_one_can_book_is_answered_with_a_button_to_book(client):
    focus = {"service_kind": "guide", "service_code": MARRIAGE}
    body_text = "想挑个好日子领证，能提前预约吗"
    followup, slots, texts = run(client, "action_prepare_booking", focus, body_text, "book")
    assert followup == "action_listen" and not slots.get("booking_service")
    assert texts
    followup, slots, _ = run(client, "action_prepare_booking", focus, "能帮我预约结婚登记吗", "book")
    assert followup is None and slots["booking_service"] == MARRIAGE


def test_a_bare_word_like_xiaoqu_is_no_complaint_location(client):
    _, slots, _ = run(client, "action_prepare_complaint", {}, "我要投诉小区物业不给开停车场的门", "complain")
    assert not slots.get("complaint_location")


def test_the_hotline_asked_inside_the_complaint_form_is_given_and_the_form_goes_on(client):
    slots = {"complaint_description": "物业不给开停车场的门", "requested_slot": "complaint_location"}
    checked, msg = call(client, "validate_complaint_form", slots=slots, text="人工电话多少，我想直接打电话说",
                        validate={"complaint_location": "人工电话多少，我想直接打电话说"})  # fmt: skip
    assert checked == {"complaint_location": None} and "12345" in msg[0]["text"]


def test_a_phone_alone_finds_only_the_bookings_made_in_this_conversation(client):
    booking = client.app.state.services.booking
    hall = booking.halls(ID_RENEW)[0]
    free = next(s for s in booking.free_slots(hall.id, ID_RENEW, booking.now().date(), booking.now().date() + timedelta(days=20)) if s.free)
    slots = {"booking_service": ID_RENEW, "booking_hall": hall.id, "booking_date": free.day.isoformat(),
             "booking_time": free.start, "booking_name": "马丽", "booking_phone": "13800000018",
             "booking_confirm": True}  # fmt: skip
    made, _ = call(client, "action_submit_booking", slots=slots)
    number = made["made_bookings"][-1]
    by_phone = {"booking_number": "按手机号查询", "lookup_phone": "13800000018"}
    _, reply = call(client, "action_query_booking", slots={**by_phone, "made_bookings": made["made_bookings"]})
    assert number in reply[0]["text"] and "13800000018" not in reply[0]["text"]
    _, elsewhere = call(client, "action_query_booking", slots=by_phone)  # another conversation: no list
    assert number not in elsewhere[0]["text"] and "预约号" in elsewhere[0]["text"]


def test_the_whole_words_name_the_service_not_a_part_rasa_extracted(client):
    """Rasa's service entity "身份证" fits 首次申领 and 换领 alike: the words say 换领."""
    service = [{"entity": "service", "value": "身份证"}]
    slots, msg = call(client, "action_prepare_booking", text="我要预约办理身份证换领", intent="book", entities=service)
    assert slots["booking_service"] == ID_RENEW and "居民身份证换领" in msg[0]["text"]
    slots, _ = call(client, "action_prepare_booking", text="/book", intent="book", entities=service)
    assert not slots.get("booking_service")  # "身份证" alone: ask which, never pick one


def test_the_whole_words_give_the_day_not_the_part_rasa_tagged(client):
    """Rasa may tag "周三" of "下周三": on a Wednesday that would be today, not next week's."""
    today = client.app.state.services.booking.now().date()
    wednesday = today - timedelta(days=today.weekday()) + timedelta(weeks=1, days=2)
    day = [{"entity": "date", "value": "周三"}]
    slots, _ = call(client, "action_prepare_booking", text="下周三上午在西城区预约换身份证", intent="book", entities=day)
    assert parse_day(slots["booking_wish"]["date"], today) == wednesday



def test_a_subject_alone_names_no_service_when_the_words_say_which(client):
    """社会保障卡办理 (an alias of 申领) without its 办理 is only the subject: "补一张" says 补换."""
    slots, msg = call(client, "action_prepare_booking", text="社保卡丢了 想约下周四下午去西城区补一张", intent="book")
    assert slots.get("booking_service") != SOCIAL_CARD_NEW
    assert "社会保障卡申领" not in "\n".join(m["text"] for m in msg)


def test_a_rasa_date_that_is_no_day_leaves_the_day_to_the_words(client):
    today = client.app.state.services.booking.now().date()
    tuesday = today - timedelta(days=today.weekday()) + timedelta(weeks=1, days=1)
    day = [{"entity": "date", "value": "二下午"}]
    slots, _ = call(client, "action_prepare_booking", text="下周二下午去西城区办身份证换领 帮我约个号",
                    intent="book", entities=day)  # fmt: skip
    assert parse_day(slots["booking_wish"]["date"], today) == tuesday


def test_a_question_at_the_name_step_is_never_the_name(client):
    slots = {"booking_service": ID_RENEW, "requested_slot": "booking_name"}
    checked, msg = call(client, "validate_booking_form", slots=slots, text="对了要带啥",
                        validate={"booking_name": "对了要带啥"})  # fmt: skip
    assert checked == {"booking_name": None} and "身份证" in "\n".join(m["text"] for m in msg)


def test_xiaoqu_li_is_no_complaint_location_either(client):
    text = "我要举报 小区里有人私自搭彩钢棚 把绿地都占了 我电话13900066103"
    _, slots, _ = run(client, "action_prepare_complaint", {}, text, "complain")
    assert not slots.get("complaint_location")
