"""Parsing 公众号 callback XML into typed messages (a registry by MsgType with an Unknown
fallback, so an unexpected type never raises) and building reply XML."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from connectors.wechat.crypto import PARSE_XML, WeChatError


@dataclass(frozen=True)
class Message:
    to_user: str  # our account
    from_user: str  # the citizen's OpenID
    create_time: int
    msg_type: str
    msg_id: str | None

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; FromUserName + CreateTime for events (they have no MsgId)."""
        return self.msg_id or f"{self.from_user}:{self.create_time}"


@dataclass(frozen=True)
class TextMessage(Message):
    content: str


@dataclass(frozen=True)
class EventMessage(Message):
    event: str  # subscribe | unsubscribe | CLICK | …
    event_key: str | None


@dataclass(frozen=True)
class UnknownMessage(Message):
    pass


MAX_TEXT_BYTES = 2048  # a text message's Content, passive reply or 客服消息 (UTF-8 bytes)


def split_text(content: str, max_bytes: int = MAX_TEXT_BYTES) -> list[str]:
    """``content`` in parts of at most ``max_bytes`` UTF-8 bytes, cut between lines where it can."""
    parts: list[str] = []
    current = ""

    def size(text: str) -> int:
        return len(text.encode("utf-8", "replace"))

    for line in content.splitlines(keepends=True):
        while size(line) > max_bytes:  # one line longer than a whole message: cut by characters
            cut, used = 0, 0
            for i, ch in enumerate(line):
                used += size(ch)
                if used > max_bytes:
                    break
                cut = i + 1
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        if size(current + line) > max_bytes:
            parts.append(current)
            current = ""
        current += line
    if current or not parts:
        parts.append(current)
    return [p.strip("\n") or p for p in parts]


def parse_xml(body: str | bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise WeChatError(PARSE_XML, "消息不是 UTF-8 编码") from exc
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise WeChatError(PARSE_XML, "不接受带 DOCTYPE 的 XML")
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, UnicodeError, ValueError) as exc:  # a lone surrogate cannot even be encoded
        raise WeChatError(PARSE_XML, "XML 解析失败") from exc
    return {child.tag: (child.text or "") for child in root}


def _base(fields: dict[str, str]) -> dict:
    try:
        created = int(fields.get("CreateTime") or 0)
    except ValueError:
        created = 0
    return {
        "to_user": fields.get("ToUserName", ""),
        "from_user": fields.get("FromUserName", ""),
        "create_time": created,
        "msg_type": fields.get("MsgType", ""),
        "msg_id": fields.get("MsgId") or None,
    }


def _text(fields: dict[str, str]) -> Message:
    return TextMessage(**_base(fields), content=fields.get("Content", ""))


def _event(fields: dict[str, str]) -> Message:
    return EventMessage(
        **_base(fields), event=fields.get("Event", ""), event_key=fields.get("EventKey") or None
    )


PARSERS = {"text": _text, "event": _event}


def to_message(fields: dict[str, str]) -> Message:
    parser = PARSERS.get(fields.get("MsgType", ""))
    return parser(fields) if parser else UnknownMessage(**_base(fields))


def text_reply(to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    return (
        "<xml>"
        f"<ToUserName><![CDATA[{to_user}]]></ToUserName>"
        f"<FromUserName><![CDATA[{from_user}]]></FromUserName>"
        f"<CreateTime>{now or int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content.replace(']]>', ']]&gt;')}]]></Content>"
        "</xml>"
    )


def encrypted_envelope(encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
    return (
        "<xml>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
        f"<TimeStamp>{escape(timestamp)}</TimeStamp>"
        f"<Nonce><![CDATA[{nonce}]]></Nonce>"
        "</xml>"
    )
