"""Booking and complaint forms without Rasa: the app runs them with the same actions and slot order."""

from __future__ import annotations

import re

import pytest

from assistant.dialogue.forms import domain, submit_actions
from tests.assistant.test_chat import say


@pytest.fixture
def client(app_client, stub_retriever):
    return app_client(stub_retriever)


def marriage_booking_up_to_confirm(client, s: str, phone: str) -> list[str]:
    """A 结婚登记 booking with the first hall, day and time offered, up to 确认: those three payloads."""
    msg = say(client, "我要预约办结婚登记", s)[-1]
    picked = []
    for _ in range(3):  # hall, day, time: the first button each time
        picked.append(msg["buttons"][0]["payload"])
        msg = say(client, picked[-1], s)[-1]
    say(client, "张三", s)
    assert "确认" in say(client, phone, s)[-1]["text"]
    return picked


def marriage_guide(client):
    return next(g for g in client.app.state.services.store.published("guide") if g.name == "内地居民结婚登记")


def test_slot_order_and_the_closing_actions_come_from_the_rasa_project():
    assert domain()["forms"]["booking_form"]["required_slots"][:2] == ["booking_service", "booking_hall"]
    assert submit_actions()["booking_form"] == "action_submit_booking"
    assert submit_actions()["complaint_form"] == "action_submit_complaint"


def test_a_booking_in_the_fallback_with_a_counter_question(client):
    s = "web:fb1"
    msg = say(client, "我要预约办结婚登记", s)[-1]
    assert "大厅" in msg["text"]  # the service named was taken, the hall is asked next
    for _ in range(3):  # hall, day, time: the first button each time
        msg = say(client, msg["buttons"][0]["payload"], s)[-1]
    assert "姓名" in msg["text"]
    msg = say(client, "张三", s)[-1]
    assert "手机号" in msg["text"]
    why = say(client, "为啥要手机号？会不会泄露", s)
    assert "加密" in why[0]["text"] and "手机号" in why[-1]["text"]
    assert "格式不对" not in " ".join(m["text"] for m in why)
    bad = say(client, "12345", s)
    assert "11 位" in bad[0]["text"]
    confirm = say(client, "13812345678", s)[-1]["text"]
    assert "内地居民结婚登记" in confirm and "离婚" not in confirm and "138****5678" in confirm
    done = say(client, "/affirm", s)[-1]["text"]
    assert re.search(r"YY\d{6}[A-Z2-9]{10}", done)


def test_a_complaint_in_the_fallback_uses_the_first_message(client):
    s = "web:fb2"
    msg = say(client, "我要投诉，西城区建设街12号的烧烤店天天半夜营业太吵了，我电话13900001111", s)[-1]
    assert "确认提交" in msg["text"] and "139****1111" in msg["text"]  # nothing left to ask
    filed = say(client, "确认", s)[-1]["text"]
    assert re.search(r"GD\d{6}[A-Z2-9]{8}", filed)


def test_asking_when_the_complaint_is_answered_at_the_phone_step(client):
    s = "web:fb4"
    msg = say(client, "我要投诉，东城区和平路40号的早餐店天天把油污倒进下水道", s)[-1]
    assert "手机号" in msg["text"]
    when = say(client, "反映了以后多久能有回复", s)
    assert "办结" in when[0]["text"] and "加密" not in when[0]["text"]  # not the phone's privacy
    assert "手机号" in when[-1]["text"]  # and the phone is asked again


def test_a_service_that_takes_no_booking_is_said_so_and_stays_the_topic(client):
    s = "web:fb5"
    msg = say(client, "我想预约去打公积金缴存证明", s)[-1]
    assert "住房公积金缴存证明打印】不需要预约" in msg["text"] and "选择办理大厅" not in msg["text"]
    assert "金融街20号" in say(client, "那周六去哪个大厅能打", s)[-1]["text"]


def test_a_day_booked_out_before_the_confirmation_asks_another_day_not_an_empty_list(client):
    """Other citizens take every time of the chosen day between offering a time and 确认: the form
    says so and offers other days (never "还有这些时段可约" with nothing to pick), then books."""
    from datetime import date

    from connectors.booking.protocol import BookingRequest, SlotFullError

    s = "web:fb-day-out"
    hall, day, _start = marriage_booking_up_to_confirm(client, s, "13812345670")
    booking, guide = client.app.state.services.booking, marriage_guide(client)
    the_day, n = date.fromisoformat(day), 0
    for slot in booking.free_slots(hall, guide.code, the_day, the_day):
        while True:  # everyone else fills that day
            n += 1
            try:
                booking.book(BookingRequest(guide.code, guide.name, hall, the_day, slot.start, "李四",
                                            f"137{n:08d}"))  # fmt: skip
            except SlotFullError:
                break
    asked = say(client, "/affirm", s)[-1]
    assert "约满" in asked["text"] and asked["buttons"]
    days = [b["payload"] for b in asked["buttons"]]
    assert day not in days
    times = say(client, days[0], s)[-1]
    assert "时段" in times["text"] and times["buttons"]
    confirm = say(client, times["buttons"][0]["payload"], s)[-1]["text"]
    assert "确认" in confirm and "138****5670" in confirm  # name and phone kept
    assert re.search(r"YY\d{6}[A-Z2-9]{10}", say(client, "/affirm", s)[-1]["text"])


def test_stop_inside_a_fallback_form(client):
    s = "web:fb3"
    say(client, "我要反映问题", s)
    assert "停止" in say(client, "算了", s)[-1]["text"]
    assert "暂时无法" not in say(client, "驾照丢了怎么办", s)[-1]["text"]


def test_a_slot_taken_before_the_confirmation_asks_only_the_time_again(client):
    """Another citizen takes the last seat between offering a time and 确认: the form keeps the
    hall, day, name and phone, says so, and offers only times still free; then it books."""
    from datetime import date

    from connectors.booking.protocol import BookingRequest, SlotFullError

    s = "web:fb-race"
    hall, day, start = marriage_booking_up_to_confirm(client, s, "13812345678")
    booking, guide = client.app.state.services.booking, marriage_guide(client)
    for n in range(200):  # everyone else fills that slot
        try:
            booking.book(BookingRequest(guide.code, guide.name, hall, date.fromisoformat(day), start,
                                        "李四", f"139{n:08d}"))  # fmt: skip
        except SlotFullError:
            break
    else:
        pytest.fail("the slot never filled up")
    again = say(client, "/affirm", s)
    assert "约满" in again[0]["text"]
    times = [b["payload"] for b in again[-1]["buttons"]]
    assert times and start not in times  # only free times are offered, the form goes on
    confirm = say(client, times[0], s)[-1]["text"]
    assert "确认" in confirm and "138****5678" in confirm  # name and phone kept, not asked again
    done = say(client, "/affirm", s)[-1]["text"]
    assert re.search(r"YY\d{6}[A-Z2-9]{10}", done)


def test_the_booking_just_made_is_looked_up_and_cancelled_in_everyday_words():
    from assistant.dialogue.forms import FormRunner
    from nlu.phrasebook import default_phrasebook

    forms = FormRunner(None, default_phrasebook())
    assert forms.wanted("刚才约的那个帮我查一下", None) == ("query_booking", {})
    assert forms.wanted("我约好的那个是哪天来着", None) == ("query_booking", {})
    assert forms.wanted("我想取消刚才约的号", None) == ("cancel_booking", {})  # not a lookup


def test_a_problem_told_without_the_word_complaint_opens_the_complaint_form(client):
    s = "web:fb-grievance"
    msg = say(client, "小区停水三天了也没个通知，家里老人做饭洗澡都没水，在西城区建设街60号", s)[-1]
    assert "手机号" in msg["text"]  # what happened and where were told: the phone is next
    assert "还有别的要办" not in msg["text"]  # 停 of 停水 is no "stop"


def test_a_question_near_a_service_with_a_problem_word_stays_a_question(client):
    msg = say(client, "我想摆个摊子卖水果要办什么证", "web:fb-stall")[-1]
    assert "手机号" not in msg["text"] and "发生在哪" not in msg["text"]


def test_a_booking_never_takes_a_service_whose_alias_is_inside_the_one_meant(client):
    # 销户 is an alias of 死亡注销户口, and part of 住房公积金提取（离职销户）, which the search is sure of
    msgs = say(client, "我离职了想预约公积金提取销户", "web:fb-fund-leave")
    text = " ".join(m["text"] for m in msgs)
    assert "死亡注销户口" not in text and "住房公积金提取（离职销户）" in text


def test_a_booking_for_a_service_not_yet_clear_offers_the_likely_ones_as_buttons(client):
    msg = say(client, "想约个时间把户口迁过来", "web:fb-which")[-1]
    assert "哪个事项" in msg["text"]
    titles = [b["title"] for b in msg["buttons"]]
    assert "户口迁入登记" in titles and all(t != "内地居民离婚登记" for t in titles)
    assert say(client, "我要预约", "web:fb-which-bare")[-1]["buttons"] == []  # names nothing: nothing guessed


def test_booking_and_cancelling_in_everyday_words(client):
    msg = say(client, "我俩打算下周四去领证，帮忙约个上午的号", "web:fb-everyday")[0]
    assert "为您预约办理【内地居民结婚登记】" in msg["text"]
    cancel = say(client, "家里临时有事去不成了，帮我把这个预约退掉吧", "web:fb-everyday-2")[-1]
    assert "预约号" in cancel["text"] and "为您预约办理" not in cancel["text"]


def test_a_privacy_question_at_the_complaint_confirmation_is_answered_not_taken_for_no(client):
    s = "web:fb-confirm-q"
    msg = say(client, "我要投诉，西城区人民路45号门口占道摆摊，车都过不去，电话13900077104", s)[-1]
    assert "确认提交" in msg["text"]
    asked = say(client, "你们不会把我这号码给摆摊的吧", s)
    assert "加密" in asked[0]["text"] and "确认提交" in asked[-1]["text"]  # answered, then asked again
    assert "没有提交" not in " ".join(m["text"] for m in asked)
    assert re.search(r"GD\d{6}[A-Z2-9]{8}", say(client, "那行，确认提交", s)[-1]["text"])


def test_when_a_complaint_is_answered_and_the_ticket_asked_for_in_everyday_words(client):
    s = "web:fb-shuofa"
    say(client, "我要投诉，东城区和平路40号的KTV天天唱到凌晨", s)
    when = say(client, "投诉了一般几天能有个说法", s)
    assert "办结" in when[0]["text"] and "加密" not in when[0]["text"]
    say(client, "13900077105", s)
    number = re.search(r"GD\d{6}[A-Z2-9]{8}", say(client, "确认", s)[-1]["text"]).group(0)
    assert number in say(client, f"我那个单子{number}现在到哪一步了", s)[-1]["text"]
