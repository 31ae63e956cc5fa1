"""预约 in the conversation: the booking form's questions, checks and submission; cancel; look up.

The form (Rasa) asks in this order: service → hall → day → time → name → phone → confirm.
Every answer is checked here against the booking connector (a day must have free slots, a
time must be a free slot of that day), so a citizen is never asked to confirm a booking that
cannot be made. Phone numbers are shown masked and leave the slots once the form ends.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

from assistant.actions.in_form import asks_about_booking, in_form_answer, strip_booking_words
from assistant.actions.protocol import ActionRegistry, Result, Tracker, validated
from assistant.actions.service import clear_forms, context_of
from assistant.replies import Button, Reply, about, hall_lines, handled_online, payload
from assistant.retrieval_dialogue import RetrievalDialogue, parse_payload
from connectors.booking.protocol import (
    BOOKING_NUMBER_RE,
    Booking,
    BookingError,
    BookingRequest,
    BookingService,
    HallInfo,
    Slot,
    SlotFullError,
)
from knowledge.schema import ServiceGuide
from nlu.clauses import is_question
from nlu.dates import PARTS, parse_day, parse_time
from nlu.normalize import normalize
from nlu.numbers import parse_choice
from nlu.pii import find_mobile, mask_phone

WEEKDAYS = "一二三四五六日"
BY_PHONE = "按手机号查询"
FORGOT_NUMBER = (
    "为了保护您的信息，只凭手机号不能查预约，要预约号和手机号一起查。预约号在预约成功时的回执和通知短信里；"
    "实在找不到，可以拨打 12345 核实身份后查询。"
)
STOPPED = "好的，已经停止，刚才填的内容不会提交。还有别的能帮您吗？"
DAYS_AHEAD = 14
# the day and time said beside the service ("下周三上午去东城区补办"): no word of the service
_WHEN = re.compile(
    r"(下下个?|下个?|这个?|本)?(周|星期|礼拜)[一二三四五六日天1-7]|大后天|今天|明天|后天"
    r"|[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}[日号]|上午|下午|早上|中午|晚上"
    r"|[\d一二三四五六七八九十]{1,3}点(半|[\d]{1,2}分?)?"
)


def clean_name(text: str) -> str | None:
    """A person's name from "我叫张三" / "姓名：李华" / "王小明"; None when it is not one."""
    name = re.sub(r"^(我叫|我是|姓名[是:：]?|名字[是叫:：]?|叫)", "", text.strip()).strip(" ，。,.")
    if re.fullmatch(r"[\u4e00-\u9fa5·]{2,15}|[A-Za-z][A-Za-z .'-]{1,29}", name) and not re.search(
        r"什么|怎么|吗|呢|预约|不知道|要带|材料", name
    ) and not is_question(name):  # "对了要带啥" is a question, never a name
        return name
    return None


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"


def register(actions: ActionRegistry, dialogue: RetrievalDialogue, booking: BookingService) -> None:
    def bookable(code: str | None) -> ServiceGuide | None:
        guide = dialogue.entry(code)
        if isinstance(guide, ServiceGuide) and guide.bookable and booking.halls(guide.code):
            return guide
        return None

    def service_of(t: Tracker) -> ServiceGuide | None:
        return bookable(t.slot("booking_service"))

    def halls(t: Tracker) -> list[HallInfo]:
        return booking.halls(t.slot("booking_service"), t.slot("region"))

    def slots_of(t: Tracker, hall_id: str, day: date | None = None) -> list[Slot]:
        first = day or booking.now().date()
        last = day or first + timedelta(days=DAYS_AHEAD - 1)
        found = booking.free_slots(hall_id, t.slot("booking_service"), first, last)
        return [s for s in found if s.free > 0]

    def service_words(text: str) -> str:
        """What names the service in a booking request: without the booking words, the day, the
        time and the district."""
        words = _WHEN.sub(" ", strip_booking_words(text))
        for district in sorted(dialogue.districts(), key=len, reverse=True):
            words = words.replace(district, " ")
        return re.sub(r"\s+", " ", words).strip(" ，,。去约")

    def resolve_service(text: str) -> ServiceGuide | None:
        parsed = parse_payload(text)
        if parsed and parsed[1].get("code"):
            return bookable(str(parsed[1]["code"]))
        guide = bookable(text.strip())  # a button's payload is the code itself
        if guide is not None:
            return guide
        named = named_service(text)
        words = service_words(text)
        found = dialogue.retriever.search(words or text, top_k=3)
        if named is not None:
            return named if not names_the_answer_too(text, named, found) else bookable(found.results[0].code)
        lone = found.decision == "clarify" and len(found.options()) == 1 and dialogue.likely(normalize(words), found)
        if not found.results or (found.decision != "answer" and not lone):
            return None  # "户口本丢了 下周三上午去东城区补办": 户口簿补领, the one likely candidate
        guide = bookable(found.results[0].code)
        # never swap to a similar service: 结婚登记 must not become 离婚登记
        said = set(normalize(strip_booking_words(text)).replace(" ", ""))
        return guide if guide and said & set(guide.name) else None

    def names_the_answer_too(text: str, named: ServiceGuide, found) -> bool:
        """Is what named ``named`` also part of the name of another service the search is sure of?
        "把公积金取出来销户": 销户 of 死亡注销户口 is in 住房公积金提取（离职销户）, the one meant."""
        if found.decision != "answer" or not found.results or found.results[0].code == named.code:
            return False
        said = normalize(strip_booking_words(text)).replace(" ", "")
        other = normalize(found.results[0].name).replace(" ", "")
        keys = [normalize(n).replace(" ", "") for n in (named.name, *named.aliases)]
        return any(k in said and k in other for k in keys if k)

    def named_service(text: str) -> ServiceGuide | None:
        """The bookable service the citizen named ("我要预约办结婚登记" → 内地居民结婚登记)."""
        said = normalize(strip_booking_words(text)).replace(" ", "")
        # the words as said ("身份证换领") and with the formal terms added ("… 居民身份证")
        variants = [said, dialogue.retriever.synonyms.expand(said).replace(" ", "")] if said else []
        if len(said) < 2:
            return None
        hits: dict[str, int] = {}
        shared: dict[str, bool] = {}  # the best hit of a guide was a subject other services' names share
        guides = [g for g in dialogue.store.published("guide") if g.bookable]
        keys = {g.code: [normalize(n).replace(" ", "") for n in (g.name, *g.aliases)] for g in guides}
        for guide in guides:
            for key in keys[guide.code]:
                core = strip_booking_words(key)
                for said in variants:
                    hit = len(key) if key in said else len(said) if len(said) >= 3 and said in key else 0
                    by_core = not hit and len(core) >= 3 and core in said
                    if by_core:
                        hit = len(core)
                    if hit > hits.get(guide.code, 0):
                        hits[guide.code] = hit
                        shared[guide.code] = by_core and any(
                            core in k for code, ks in keys.items() if code != guide.code for k in ks
                        )
        for code in list(hits):  # a name that is only the subject ("社会保障卡" of 社会保障卡办理) names no service
            if hits[code] and shared.get(code):
                hits[code] = 0
        size = max(hits.values(), default=0)
        best = [code for code, hit in hits.items() if hit == size and hit]
        # "身份证" is part of 首次申领 and of 换领 alike: the citizen is asked, never given one of them
        return bookable(best[0]) if len(best) == 1 else None

    def unbookable_named(text: str) -> ServiceGuide | None:
        """A service named outright that cannot be booked (no appointment, or no hall takes one)."""
        words = strip_booking_words(text)
        found = dialogue.retriever.search(words or text, top_k=1)
        if found.decision != "answer" or not found.results or found.results[0].kind != "guide":
            return None
        guide = dialogue.entry(found.results[0].code)
        if not isinstance(guide, ServiceGuide) or bookable(guide.code) is not None:
            return None
        return guide if dialogue.overlap(words, guide) >= 3 else None  # its name, in the citizen's words

    def not_bookable(guide: ServiceGuide, result: Result) -> Result:
        if handled_online(guide):
            how = f"可以网上办理（{guide.online_depth.value}），入口：{guide.online_url}；也可以直接到大厅办理："
        else:
            how = "直接到大厅办理就行："
        lead = "暂时不能在线预约" if guide.bookable else "不需要预约"  # bookable, but no hall takes one yet
        reply = Reply(
            f"【{guide.name}】{lead}，{how}\n{hall_lines(guide)}",
            [Button("要带什么", payload("ask_detail", code=guide.code, aspect="materials"))],
            about=about(guide),
        )
        return result.set(service_kind="guide", service_code=guide.code).say(reply)

    @actions.register("action_prepare_booking")
    def prepare(t: Tracker) -> Result:
        result = clear_forms(Result())
        code = t.entity("code")
        ctx = context_of(t)
        if not t.text.startswith("/") and asks_about_booking(t.text):
            # "能提前预约吗": answered from the guide, with the button that starts a booking
            answered = actions.call("action_converse", t)
            focus = bookable(answered.slot("service_code") or ctx.code or "")
            if focus is not None and answered.replies:
                answered.replies[-1].buttons.insert(0, Button("现在预约", payload("book", code=focus.code)))
            return answered.then("action_listen")
        guide = bookable(code) if code else None
        if guide is None and t.text and not t.text.startswith("/"):  # the whole words first
            guide = resolve_service(t.text)
        if guide is None and t.entity("service"):  # then the service entity Rasa extracted
            guide = named_service(t.entity("service"))
        if guide is None and ctx.kind == "guide":
            guide = bookable(ctx.code)
        if guide is None and t.text and not t.text.startswith("/"):
            other = unbookable_named(t.text)
            if other is not None:  # "我想预约去打公积金缴存证明": say so, and how to do it instead
                return not_bookable(other, result).then("action_listen")
        if guide is None:
            return result
        result.set(booking_service=guide.code)
        result.say(Reply(f"好的，为您预约办理【{guide.name}】。"))  # confirmed by name from the start
        text = "" if t.text.startswith("/") else t.text
        district = t.entity("region") or district_in(text, booking.halls(guide.code))
        if district:
            result.set(region=district)
            local = [h for h in booking.halls(guide.code, district) if h.district == district]
            if len(local) == 1:
                result.set(booking_hall=local[0].id)
        wish = {"date": day_said(t.entity("date"), text), "time": t.entity("time") or text}
        wish = {
            k: v
            for k, v in wish.items()
            if v and (parse_day(v, booking.now().date()) if k == "date" else parse_time(v))
        }
        if wish:
            result.set(booking_wish=wish)
        return result

    def day_said(entity: str | None, text: str) -> str:
        """The day as said: Rasa's date entity with the words before it that change the week
        (it may tag "周三" of "下周三", this week's instead of next), else the whole message."""
        if not entity:
            return text
        at = text.find(entity)
        before = re.search(r"(下下个?|下个?|这个?|本)$", text[:at]) if at > 0 else None
        said = (before[0] if before else "") + entity
        return said if parse_day(said, booking.now().date()) else text  # an entity that is no day: the words

    def district_in(text: str, options: list[HallInfo]) -> str | None:
        return next(
            (
                h.district
                for h in options
                if h.district in text or h.district.removesuffix("区") + "区" in text
            ),
            None,
        )

    @actions.register("action_ask_booking_service")
    def ask_service(t: Tracker) -> Result:
        ctx = context_of(t)
        guide = bookable(ctx.code) if ctx.kind == "guide" else None
        offered = [guide] if guide else []
        words = service_words(t.text) if t.text and not t.text.startswith("/") else ""
        if len(words) >= 2:  # "想约个时间把户口落过来": 迁入 or 迁出, each a button ("我要预约" names none)
            found = dialogue.retriever.search(words, top_k=3)
            if found.decision in ("answer", "clarify"):
                offered += [g for h in found.results[:3] if (g := bookable(h.code)) is not None and g not in offered]
        buttons = [Button(g.name, g.code) for g in offered[:3]]
        lead = "您要预约办理哪个事项？" + ("是下面哪一个？也可以直接说事项名称。" if buttons else "请说出事项名称，比如“护照”“营业执照”。")
        return Result().say(Reply(lead, buttons))

    @actions.register("action_ask_booking_hall")
    def ask_hall(t: Tracker) -> Result:
        options = halls(t)[:4]
        buttons = [Button(f"{h.name}（{h.district}）", h.id) for h in options]
        region = t.slot("region")
        lead = f"离{region}近的在前。" if region else "告诉我您在哪个区，我把近的排在前面。"
        return Result().say(Reply(f"请选择办理大厅（{lead}）", buttons))

    @actions.register("action_ask_booking_date")
    def ask_date(t: Tracker, lead: str = "请选择办理日期（只列出还有空位的工作日）：") -> Result:
        free = slots_of(t, t.slot("booking_hall"))
        days = sorted({s.day for s in free})[:5]
        if not days:
            return Result().say(
                Reply(f"抱歉，这个大厅未来 {DAYS_AHEAD} 天都约满了，请换一个大厅或拨打 12345。")
            )
        buttons = [Button(day_label(d), d.isoformat()) for d in days]
        return Result().say(Reply(lead, buttons))

    @actions.register("action_ask_booking_time")
    def ask_time(t: Tracker) -> Result:
        day = date.fromisoformat(t.slot("booking_date"))
        free = slots_of(t, t.slot("booking_hall"), day)[:8]
        if not free:  # the day's last times went to other citizens meanwhile: another day, not an empty list
            asked = ask_date(t, f"{day_label(day)}的号刚刚约满了，请换一天（只列出还有空位的工作日）：")
            return asked.set(booking_date=None, booking_time=None, requested_slot="booking_date")
        buttons = [Button(f"{s.start}-{s.end}（余{s.free}）", s.start) for s in free]
        return Result().say(Reply(f"{day_label(day)}还有这些时段可约，请选择：", buttons))

    def summary(t: Tracker) -> str:
        guide = service_of(t)
        hall = next((h for h in halls(t) if h.id == t.slot("booking_hall")), None)
        day = date.fromisoformat(t.slot("booking_date"))
        return (
            f"事项：{guide.name if guide else t.slot('booking_service')}\n"
            f"地点：{hall.name + '（' + hall.address + '）' if hall else t.slot('booking_hall')}\n"
            f"时间：{day_label(day)} {t.slot('booking_time')}\n"
            f"办事人：{t.slot('booking_name')}，手机 {mask_phone(t.slot('booking_phone') or '')}"
        )

    @actions.register("action_ask_booking_confirm")
    def ask_confirm(t: Tracker) -> Result:
        buttons = [Button("确认预约", "/affirm"), Button("取消", "/deny")]
        return Result().say(Reply("请核对预约信息：\n" + summary(t) + "\n确认提交吗？", buttons))

    @actions.register("validate_booking_form")
    def validate(t: Tracker) -> Result:
        asked = counter_question(t)
        if asked is not None:
            return asked
        result = validated(t, lambda slot, text: check(t, slot, text), skip=["booking_confirm"])
        return apply_wish(t, result)

    def counter_question(t: Tracker) -> Result | None:
        """ "为啥要手机号？" / "对了要带啥材料啊" inside the form: answered, the question asked again."""
        slot = t.slot("requested_slot")
        if slot in (None, "booking_confirm") or t.text.startswith("/"):
            return None
        norm = normalize(t.text).replace(" ", "")
        if len(norm) <= 6 and dialogue.book.has(norm, dialogue.book.stop):  # "算了" the model missed
            return clear_forms(Result().say(Reply(STOPPED))).end_loop()
        answers = {
            "booking_date": lambda x: parse_day(x, booking.now().date()),
            "booking_time": parse_time,
            "booking_phone": find_mobile,
            "booking_name": clean_name,
        }
        if slot in answers and answers[slot](t.text):
            return None  # "下周三可以吗" answers the question
        answer = in_form_answer(dialogue, t.text, service_of(t), slot == "booking_phone")
        if answer is None:
            return None
        return Result().say(answer).set(**{slot: None})

    def apply_wish(t: Tracker, result: Result) -> Result:
        """The day and time said in the first message fill their questions once the hall is known."""
        wish = t.slot("booking_wish") or {}
        if not wish:
            return result
        now_set = {e["name"]: e["value"] for e in result.events if e.get("event") == "slot"}
        view = Tracker(t.sender_id, {**t.slots, **now_set}, t.latest_message, t.events, t.active_loop)
        if view.slot("booking_hall") and not view.slot("booking_date") and wish.get("date"):
            day, problem = check(view, "booking_date", wish["date"])
            result.set(
                booking_date=day, booking_wish={"time": wish.get("time")} if wish.get("time") else None
            )
            if problem:
                return result.say(Reply(problem))
            view.slots["booking_date"] = day
        if view.slot("booking_date") and not view.slot("booking_time") and wish.get("time"):
            start, _ = check(view, "booking_time", wish["time"])
            result.set(booking_time=start, booking_wish=None)
        return result

    def check(t: Tracker, slot: str, text: str) -> tuple[str | None, str | None] | None:
        if slot == "booking_service":
            guide = resolve_service(text)
            if guide is None:
                return (
                    None,
                    "这个事项暂时不能在线预约，或者我没有认出是哪个事项。请换个说法，或回复“算了”退出。",
                )
            if text == guide.code or t.slot("requested_slot") != "booking_service":
                return guide.code, None  # set by prepare or a button: already said by name
            return guide.code, f"好的，为您预约办理【{guide.name}】。"  # confirmed by name
        if slot == "booking_hall":
            options = halls(t)
            pick = next((h for h in options if text in (h.id, h.name) or h.name in text), None)
            if pick is None and (index := parse_choice(text, len(options))) is not None:
                pick = options[index]
            if pick is None:
                pick = next((h for h in options if h.district in text or text in h.district), None)
            return (pick.id, None) if pick else (None, "没有找到这个大厅，请从按钮里选一个。")
        if slot == "booking_date":
            day = parse_day(text, booking.now().date())
            if day is None:
                return None, "没听明白是哪一天，请说“明天”“下周一”或“11月25日”，或点按钮选择。"
            if not slots_of(t, t.slot("booking_hall"), day):
                return None, f"{day_label(day)}不办公或已约满，请选择其他日期。"
            return day.isoformat(), None
        if slot == "booking_time":
            wanted = parse_time(text)
            free = slots_of(t, t.slot("booking_hall"), date.fromisoformat(t.slot("booking_date")))
            if isinstance(wanted, str):
                low, high = PARTS[wanted]
                pick = next((s for s in free if low <= int(s.start[:2]) < high), None)
            elif wanted:
                hm = f"{wanted[0]:02d}:{wanted[1]:02d}"
                pick = next((s for s in free if s.start <= hm < s.end), None)
            else:
                pick = None
            if pick is None:
                return None, "这个时间没有空位，请从按钮里选一个时段。"
            return pick.start, None
        if slot == "booking_name":
            name = clean_name(text)
            return (name, None) if name else (None, "请告诉我办事人的姓名，比如“张三”。")
        if slot == "booking_phone":
            phone = find_mobile(text)
            return (phone, None) if phone else (None, "手机号格式不对，请输入 11 位手机号。")
        return None  # region, the wish: set by the actions themselves, nothing to check

    @actions.register("action_submit_booking")
    def submit(t: Tracker) -> Result:
        result = clear_forms(Result())
        if t.slot("booking_confirm") is not True:
            return result.say(Reply("好的，这次预约没有提交。需要时随时说“我要预约”。"))
        guide = service_of(t)
        if guide is None:
            return result.say(Reply("抱歉，这个事项现在不能预约了，请拨打 12345 咨询。"))
        day = date.fromisoformat(t.slot("booking_date"))
        key = "|".join(
            (t.sender_id, guide.code, t.slot("booking_hall"), day.isoformat(), t.slot("booking_time"))
        )
        request = BookingRequest(
            guide.code,
            guide.name,
            t.slot("booking_hall"),
            day,
            t.slot("booking_time"),
            t.slot("booking_name"),
            t.slot("booking_phone"),
            "chat:" + hashlib.sha256(key.encode()).hexdigest()[:32],
        )
        try:
            made = booking.book(request)
        except SlotFullError as exc:
            # someone took the last seat since the time was offered: keep what the citizen said
            # and ask only the time again, from the slots still free (the form is opened anew)
            reopened = Result().set(booking_time=None, booking_confirm=None, requested_slot=None)
            reopened.events.append({"event": "followup", "name": "booking_form"})
            return reopened.say(Reply(exc.user_message))
        except BookingError as exc:
            return result.say(Reply(exc.user_message))
        made_here = [*(t.slot("made_bookings") or []), made.number][-5:]  # numbers only, no phone
        result.set(made_bookings=made_here)
        return result.say(booked(made, "预约成功！", [Button("查询预约", "/query_booking")]))

    def booked(b: Booking, lead: str, buttons: list[Button] | None = None) -> Reply:
        status = "已取消" if b.status == "cancelled" else "有效"
        text = (
            f"{lead}预约号：{b.number}（{status}）\n"
            f"事项：{b.service_name}\n地点：{b.hall.name}（{b.hall.address}）\n"
            f"时间：{day_label(b.day)} {b.start}-{b.end}\n"
            f"办事人：{b.name_masked}，手机 {b.phone_masked}\n请带齐材料按时到达，取消请说“取消预约”。"
        )
        receipt = {"kind": "booking", "number": b.number, "status": status}
        return Reply(text, buttons or [], receipt=receipt)

    def check_lookup(slot: str, text: str) -> tuple[str | None, str | None] | None:
        if slot == "booking_number":
            found = BOOKING_NUMBER_RE.search(text.upper().replace(" ", ""))
            return (
                (found.group(0), None) if found else (None, "预约号是 YY 开头的 18 位编号，请核对后再输入。")
            )
        if slot == "lookup_phone":
            phone = find_mobile(text)
            return (phone, None) if phone else (None, "手机号格式不对，请输入预约时留的 11 位手机号。")
        return None

    def validate_lookup(t: Tracker) -> Result:
        return validated(t, check_lookup)

    @actions.register("validate_query_booking_form")
    def validate_query(t: Tracker) -> Result:
        """Looking up by phone alone (as the API allows): "不记得预约号" or a phone instead of the number,
        also in the message that opens the form ("我忘了预约号，手机号是…，帮我查查")."""
        if t.slot("requested_slot") in (None, "booking_number") and not BOOKING_NUMBER_RE.search(
            t.text.upper().replace(" ", "")
        ):
            phone = find_mobile(t.text)
            if phone or any(w in t.text for w in ("不记得", "忘了", "没有预约号", "不知道", "手机号查")):
                result = Result().set(booking_number=BY_PHONE)
                return result.set(lookup_phone=phone) if phone else result
        return validated(t, check_lookup)

    actions.register("validate_cancel_booking_form")(validate_lookup)

    @actions.register("action_cancel_booking")
    def cancel(t: Tracker) -> Result:
        result = clear_forms(Result())
        try:
            done = booking.cancel(t.slot("booking_number"), t.slot("lookup_phone"))
        except BookingError as exc:
            return result.say(Reply(exc.user_message))
        return result.say(booked(done, "已为您取消预约，号源已释放。\n"))

    @actions.register("action_query_booking")
    def query(t: Tracker) -> Result:
        result = clear_forms(Result())
        number = t.slot("booking_number")
        number = None if number == BY_PHONE else number
        phone = t.slot("lookup_phone")
        # A phone alone never lists someone's bookings (as in the API); only those made in this
        # very conversation are looked up with it, each by its number.
        numbers = [number] if number else list(t.slot("made_bookings") or [])
        try:
            found = [b for n in numbers for b in booking.query(number=n, phone=phone)]
        except BookingError as exc:
            return result.say(Reply(exc.user_message))
        if not found and number is None:
            return result.say(Reply(FORGOT_NUMBER))
        if not found:
            return result.say(Reply("没有找到这个预约，请核对预约号和手机号。"))
        if number is None:  # every active booking of this phone, masked as the API shows them
            return result.say(
                *[
                    booked(b, f"您的预约（共 {len(found)} 个）：" if i == 0 else "")
                    for i, b in enumerate(found[:5])
                ]
            )
        return result.say(booked(found[0], ""))
