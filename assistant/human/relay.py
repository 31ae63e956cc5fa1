"""The relay between a citizen, the bot and the staff inbox.

Every turn goes through ``HumanRelay.turn``: while a person holds the conversation (or it waits
for one) the bot stays quiet and the citizen's words go to the inbox; otherwise the bot answers,
and 转人工 — or two answers in a row that did not help — queue the conversation for staff.
Outside staffed hours, or when nobody takes it in time, the citizen is told so plainly and offered
12345 and a ticket. Staff replies reach the web page through the inbox (SSE or polling) and WeChat
through 客服消息 (only within 48 hours of the citizen's last message, as WeChat allows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import anyio

from assistant.dialogue.safety import safety_replies
from assistant.human.inbox import DeliveryFailed, HumanChat, InboxError, StaffInbox, now_utc
from assistant.logs import get_logger
from assistant.replies import HOTLINE, Button, Reply, payload
from connectors.calendar import WorkCalendar

log = get_logger(__name__)
CANCEL = payload("cancel_handoff")
WECHAT_WINDOW = timedelta(hours=48)
CALL = Button(f"拨打 {HOTLINE}", f"tel:{HOTLINE}")
TICKET = Button("留工单，上班后回复我", payload("complain"))


@dataclass(frozen=True)
class StaffedHours:
    """When staff answer the inbox: ``09:00-17:30`` on working days (or every day), local time."""

    opens: time
    closes: time
    every_day: bool = False
    zone: str = "Asia/Shanghai"
    calendar: WorkCalendar | None = None

    @classmethod
    def parse(cls, hours: str, days: str = "workdays", zone: str = "Asia/Shanghai") -> StaffedHours:
        try:
            start, end = (part.strip() for part in hours.split("-"))
            opens = time.fromisoformat(start)
            closes = time.max if end in ("24:00", "24:00:00") else time.fromisoformat(end)
        except ValueError as exc:
            raise ValueError(f"人工服务时间应写成 09:00-17:30，现在是 {hours!r}") from exc
        calendar = None if days == "every_day" else WorkCalendar.load()
        return cls(opens, closes, days == "every_day", zone, calendar)

    def is_open(self, at: datetime | None = None) -> bool:
        local = (at or now_utc()).astimezone(ZoneInfo(self.zone))
        if not self.every_day and self.calendar and not self.calendar.is_workday(local.date()):
            return False
        return self.opens <= local.time() <= self.closes

    def describe(self) -> str:
        end = "24:00" if self.closes == time.max else self.closes.strftime("%H:%M")
        return f"{'每天' if self.every_day else '工作日'} {self.opens.strftime('%H:%M')}–{end}"


def queued(position: int, wait: timedelta, misses: bool) -> Reply:
    lead = "我连续两次没能帮上您，已为您转接人工客服" if misses else "已为您转接人工客服"
    ahead = f"您前面还有 {position - 1} 位" if position > 1 else "您是下一位"
    minutes = max(1, round(wait.total_seconds() / 60))
    return Reply(
        f"{lead}，{ahead}。{minutes} 分钟内没有人接入的话我会告诉您。等候时您可以继续问我，"
        f"客服接入后能看到您说过的话；着急的话也可以直接拨打 {HOTLINE}（24 小时）。",
        [CALL, Button("取消转人工", CANCEL)],
        handoff=True,
    )


def after_hours(hours: StaffedHours) -> Reply:
    return Reply(
        f"现在不在人工客服的服务时间（{hours.describe()}），没有工作人员能马上回复您。"
        f"您可以拨打 {HOTLINE} 政务服务便民热线（24 小时有人接听），或者留下工单，工作人员上班后处理并回复您。",
        [CALL, TICKET],
        handoff=True,  # the answer to a 转人工, though nobody is queued
    )


def timed_out(wait: timedelta) -> Reply:
    minutes = max(1, round(wait.total_seconds() / 60))
    return Reply(
        f"抱歉，人工客服现在都在忙，{minutes} 分钟内没能接入。您可以拨打 {HOTLINE}（24 小时），"
        "或者留下工单，我们会尽快回复您。接下来由导办助手继续为您解答。",
        [CALL, TICKET],
    )


def _said(text: str, shown: str | None) -> str:
    return shown or (text if not text.startswith("/") else "（点了一个选项）")


def _for_staff(reply: Reply) -> str:
    """A bot answer as staff read it in the transcript: the text and the choices it offered."""
    choices = [b.title for b in reply.buttons if not b.payload.startswith("tel:")]
    extra = f"\n〔选项：{' / '.join(choices)}〕" if choices else ""
    card = f"\n〔{reply.receipt.get('number')}〕" if reply.receipt else ""
    return reply.text + card + extra


class HumanRelay:
    def __init__(
        self,
        conversation,
        inbox: StaffInbox,
        hours: StaffedHours,
        wait: timedelta = timedelta(minutes=3),
        push: Callable[[str, list[Reply]], None] | None = None,
    ) -> None:
        self.conversation, self.inbox, self.hours, self.wait = conversation, inbox, hours, wait
        self.push = push  # (openid, replies) -> None: 客服消息 to WeChat, set when the channel is on

    # -- the citizen's turn ------------------------------------------------------------------
    async def turn(
        self, sender: str, text: str, shown: str | None = None, request_id: str | None = None
    ) -> tuple[str, list[Reply]]:
        """``mode`` is the conversation's, or ``human`` while a person holds it (replies may be
        empty). The inbox's database work runs in a thread; the conversation's turn on the loop."""
        held, chat = await anyio.to_thread.run_sync(self._held, sender, text, shown)
        if held is not None:
            return held
        mode, replies = await self.conversation.turn(sender, text, request_id, shown=shown)
        replies = await anyio.to_thread.run_sync(self._answered, sender, text, shown, replies, chat)
        return mode, replies

    def respond(self, sender: str, text: str) -> list[Reply]:
        """For callers in other threads (the WeChat channel's pool)."""
        held, chat = self._held(sender, text, None)
        if held is not None:
            return held[1]
        return self._answered(sender, text, None, self.conversation.respond(sender, text), chat)

    def _held(self, sender: str, text: str, shown: str | None):
        """(the turn, when the bot must not answer: a person holds the conversation or the citizen
        withdraws; else None) and the hand-off waiting for a person, if any."""
        self.expire()
        chat = self.inbox.active(sender)
        if text.strip() == CANCEL:
            if chat is None:
                return ("human", [Reply("现在没有在等候的人工客服。您想办什么事，直接问我就行。")]), None
            self.inbox.cancel(sender)
            return ("human", [Reply("好的，已取消转人工。您想办什么事，直接问我就行。")]), None
        if chat is None or chat.status == "waiting":  # while waiting, the bot goes on helping
            return None, chat
        self.inbox.record(sender, "citizen", _said(text, shown), chat_id=chat.id)
        urgent = safety_replies(text)  # an emergency is answered at once, person or not
        if urgent:
            for reply in urgent:
                self.inbox.record(sender, "bot", reply.text, chat_id=chat.id)
            return ("safety", urgent), chat
        return ("human", []), chat

    def _answered(
        self, sender: str, text: str, shown: str | None, replies: list[Reply], chat: HumanChat | None
    ) -> list[Reply]:
        """The bot's answer, kept for the transcript; 转人工 or a second miss in a row hand over."""
        asked = any(r.handoff for r in replies)
        replies = [r for r in replies if not r.handoff]
        answers = [(_for_staff(r), r.miss) for r in replies]
        self.inbox.record_turn(sender, _said(text, shown), answers, chat.id if chat else None)
        if chat is not None:  # already queued: say where they are if they ask again
            if asked:
                replies.append(queued(self.inbox.position(chat), self.wait, False))
            return replies
        if asked or (any(r.miss for r in replies) and self.inbox.misses_in_a_row(sender) >= 2):
            replies.append(self._hand_off(sender, "asked" if asked else "misses"))
        return replies

    def _hand_off(self, sender: str, reason: str) -> Reply:
        if not self.hours.is_open():
            self.inbox.open(sender, reason, self.wait, status="closed")
            reply = after_hours(self.hours)
            self.inbox.record(sender, "bot", reply.text)
            return reply
        chat = self.inbox.open(sender, reason, self.wait)
        reply = queued(self.inbox.position(chat), self.wait, reason == "misses")
        self.inbox.record(sender, "bot", reply.text, chat_id=chat.id)
        log.info("handed to staff", chat=chat.id, channel=chat.channel, reason=reason)
        return reply

    # -- the staff's side --------------------------------------------------------------------
    def take(self, chat_id: int, staff: str) -> HumanChat:
        chat = self.inbox.take(chat_id, staff)
        self._notice(chat, Reply(f"人工客服（工号 {staff}）已接入，请直接说您的问题。"))
        return chat

    def reply(self, chat_id: int, staff: str, text: str) -> None:
        chat = self.inbox.held_by(chat_id, staff)
        if chat.channel == "wechat":
            if now_utc() - self.inbox.last_citizen_at(chat) > WECHAT_WINDOW:
                raise InboxError("市民最后一次发消息已超过 48 小时，微信不允许再发客服消息，请改用电话联系")
            self._send_wechat(chat, [Reply(text)])
        self.inbox.record(chat.sender, "staff", text, chat_id=chat.id)

    def hand_back(self, chat_id: int, staff: str) -> HumanChat:
        chat = self.inbox.hand_back(chat_id, staff)
        self._notice(chat, Reply("人工客服已结束本次服务，接下来由导办助手继续为您解答。还需要人工的话，随时说“转人工”。"))
        return chat

    def expire(self) -> list[HumanChat]:
        expired = self.inbox.expire()
        for chat in expired:
            self._notice(chat, timed_out(self.wait))
            log.info("hand-off timed out", chat=chat.id, channel=chat.channel)
        return expired

    @property
    def tick_seconds(self) -> float:
        """How often the background tick runs: often enough to announce a timeout on time."""
        return min(5.0, max(0.2, self.wait.total_seconds() / 4))

    def tick(self) -> None:
        """The background round (every worker may run one; each timeout is announced once, by the
        worker whose UPDATE closed it): announce the timeouts, forget old lines."""
        self.expire()
        self.inbox.purge()

    def _notice(self, chat: HumanChat, reply: Reply) -> None:
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
        self.inbox.record(chat.sender, "notice", reply.text, chat_id=chat.id, buttons=buttons)
        if chat.channel == "wechat":
            try:
                self._send_wechat(chat, [reply])
            except InboxError as exc:  # the notice stays in the inbox; staff see the transcript
                log.warning("wechat notice not delivered", chat=chat.id, reason=str(exc))

    def _send_wechat(self, chat: HumanChat, replies: list[Reply]) -> None:
        if self.push is None:
            raise DeliveryFailed("微信客服消息接口没有配置（wechat_secret），无法把回复发到微信")
        try:
            self.push(chat.sender.split(":", 1)[1], replies)
        except Exception as exc:
            log.warning("wechat 客服消息 failed", chat=chat.id, error=type(exc).__name__)
            raise DeliveryFailed(f"微信客服消息发送失败：{exc}") from exc


def build_relay(settings, conversation, engine) -> HumanRelay:
    """The relay from settings: staffed hours, the time to be taken, the inbox in ``engine``."""
    hours = StaffedHours.parse(settings.staff_hours, settings.staff_days, settings.staff_timezone)
    return HumanRelay(conversation, StaffInbox(engine), hours, timedelta(seconds=settings.handoff_wait_seconds))
