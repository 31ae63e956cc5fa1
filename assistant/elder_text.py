"""长辈版 of the text channels (WeChat): a turn's replies as short pages, one idea each.

The standard rendering (``replies.as_text``) sends a guide's whole answer at once, up to
WeChat's 2048 bytes. In 长辈版 the same replies become pages of at most ``PAGE_LINES`` lines:

- an emergency is never shortened or deferred: numbers and first steps, whole, on the first page;
- what to bring comes first (a guide's 材料, a 一件事 checklist's materials still to bring; the
  免提交 ones on one line after them), then where to go (one hall per paragraph), then the rest;
- every page but the last ends with "回复 1：看下一段"; the reply's own choices are on the last
  page, numbered after it. The channel keeps the pages and answers "1" (or "下一段") itself.

The page shapes follow the line shapes ``assistant/replies.py`` writes ("· " items under a
heading that ends with "：", "【名称】" titles, halls as "· 名称：地址，时间，电话 号码").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.replies import MATERIALS_HEADING, PLACE_HEADING, Button, Reply, days_phrase
from connectors.wechat.messages import split_text

NEXT_PAGE = "/next_page"  # the payload of "看下一段": answered by the channel, never by the dialogue
PAGE_LINES = 10  # body lines of one page (a hall counts as its four lines)
PAGE_BYTES = 900  # of one page's body: with its choices well inside WeChat's 2048 bytes
ITEMS_PER_PAGE = 6  # list items on one page

_ITEM = re.compile(r"^(?:· |□ |☑ |\d+\. )")
_NUMBERED = re.compile(r"^(\d+)\. ")
_TITLE = re.compile(r"^(【[^】]+】)(.*)$")
_HALL = re.compile(r"^· (.+?)：(.+?)，(.+?)，电话 (.+)$")
_ON = re.compile(
    r"^(?:切换到?|换成|换到|打开|开启|进入|使用|用)?(?:长辈|大字|老年|老人|适老|关怀)(?:版|模式)$"
)
_OFF = re.compile(
    r"^(?:(?:切换到?|换成|换到|换回|回到|使用|用)?(?:标准|普通)(?:版|模式)|(?:退出|关闭|关掉)(?:长辈|大字|老年|老人|适老|关怀)(?:版|模式))$"
)
_MORE = re.compile(r"^(?:下一段|下一页|下一条|继续|接着说|还有呢|往下)$")
_PUNCT = re.compile(r"[\s，。！？、,.!?~～“”\"'：:]+")

TURNED_ON = (
    "已为您换成长辈版：每条消息只说一件事，先说要带的材料；回复数字就能选，比如回复 1 看下一段。"
    "\n想让字再大一些，可以在微信的“设置”里打开“关怀模式”。"
    "\n想换回原来的样子，回复“标准版”。"
)
TURNED_OFF = "已换回标准版，一条消息会把内容说全。想用长辈版，随时回复“长辈版”。"


def switch_command(text: str) -> bool | None:
    """True for "长辈版"/"大字版"/"长辈模式"…, False for "标准版"/"退出长辈版"…, else None."""
    words = _PUNCT.sub("", text)
    if _ON.match(words):
        return True
    if _OFF.match(words):
        return False
    return None


def asks_for_more(text: str) -> bool:
    """ "下一段", "继续"…: the citizen wants the next page (as replying 1 does)."""
    return bool(_MORE.match(_PUNCT.sub("", text)))


@dataclass
class Page:
    lines: list[str]
    buttons: list[Button] = field(default_factory=list)  # the reply's choices: on its last page
    topic: str = ""  # what the page is about, named in the previous page's "看下一段（…）"


def _blocks(text: str) -> list[list[str]]:
    """A heading (or a plain line) with the list items under it."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if _ITEM.match(line) and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _hall(line: str) -> list[str]:
    found = _HALL.match(line)
    if not found:
        return [line]
    name, address, hours, phone = found.groups()
    return [f"· {name}", f"  地址：{address}", f"  时间：{hours}", f"  电话：{phone}"]


def _topic(block: list[str]) -> str:
    head = _TITLE.sub(r"\2", block[0]).strip() or block[0]
    topic = re.split(r"[：:（(]", head, maxsplit=1)[0][:8]
    return f"{topic}（续）" if "（续）" in head else topic


def _chunks(block: list[str]) -> list[list[str]]:
    """A block cut into pages: a few items each, the heading repeated with （续）."""
    head, items = block[0], block[1:]
    if not items:
        return [block]
    step = 2 if _HALL.match(items[0]) else ITEMS_PER_PAGE  # a hall takes four lines
    again = re.sub(r"（[^）]*）", "", _TITLE.sub(r"\2", head)).rstrip("：") + "（续）："
    return [[head if at == 0 else again, *items[at : at + step]] for at in range(0, len(items), step)]


def _fits(lines: list[str], max_lines: int = PAGE_LINES, max_bytes: int = PAGE_BYTES) -> bool:
    return len(lines) <= max_lines and len("\n".join(lines).encode("utf-8")) <= max_bytes


def _rank(block: list[str]) -> int:
    head = _TITLE.sub(r"\2", block[0])
    if head.startswith(MATERIALS_HEADING) or head.startswith("要带的材料"):
        return 0
    if head.startswith(PLACE_HEADING) or head.startswith("办理地点"):
        return 1
    return 2


def _bring_first(block: list[str]) -> list[str]:
    """A guide's materials: the ones to bring, then the 免提交 ones by name on one line."""
    bring = [line for line in block[1:] if "（免提交" not in line]
    exempt = [line[2:].split("：", 1)[0] for line in block[1:] if "（免提交" in line]
    if not exempt:
        return block
    if not bring:
        return [block[0].replace("需要带的材料：", f"不用带材料，窗口从系统调取：{'、'.join(exempt)}")]
    return [block[0], *bring, f"不用带（窗口从系统调取）：{'、'.join(exempt)}"]


def _text_pages(text: str) -> list[Page]:
    ranked = [(_rank(b), b) for b in _blocks(text)]
    ranked = [(rank, _bring_first(b) if rank == 0 else b) for rank, b in ranked]
    title = ""
    if ranked and any(rank == 0 for rank, _ in ranked[1:]):  # a guide's answer: materials first
        found = _TITLE.match(ranked[0][1][0])
        if found:
            title, rest = found.groups()
            first = ranked[0][1]
            ranked[0] = (ranked[0][0], [rest.strip(), *first[1:]] if rest.strip() or len(first) > 1 else [])
            ranked = [(rank, b) for rank, b in ranked if b and b[0]]
        ranked.sort(key=lambda pair: pair[0])  # stable: the rest keep their order
    blocks = [b for _, b in ranked]
    pages: list[Page] = []
    for block in blocks:
        for chunk in _chunks(block):
            lines = [row for line in chunk for row in _hall(line)]
            last = pages[-1] if pages else None
            # short blocks share a page ("时限…" and "收费…"), never with a list of their own kind
            if (
                last
                and len(chunk) == 1
                and len(last.lines) <= 2
                and _fits(last.lines + lines, 4, PAGE_BYTES // 2)
            ):
                last.lines.extend(lines)
                last.topic += f"、{_topic(chunk)}"
                continue
            pages.append(Page(lines, topic=_topic(chunk)))
    if title and pages:
        pages[0].lines.insert(0, title)
    cut = []  # a page still too long (a long paragraph, a staff member's long reply): cut by size
    for page in pages or [Page([text])]:
        if _fits(page.lines, max_lines=10**6):
            cut.append(page)
            continue
        parts = split_text("\n".join(page.lines), PAGE_BYTES)
        cut += [
            Page(part.splitlines(), topic=page.topic if i == 0 else "接着上一段")
            for i, part in enumerate(parts)
        ]
    return cut


def _checklist_pages(reply: Reply) -> list[Page]:
    """What to bring first (the 免提交 ones on one line after), then where, how long and what."""
    c = reply.checklist
    bring = [m for m in c["materials"] if not m["exempt"]]
    exempt = [m["name"] for m in c["materials"] if m["exempt"]]
    items = [
        f"{'☑' if m.get('done') else '□'} {m['name']}{'（可以以后再补）' if m['can_defer'] else ''}"
        for m in bring
    ]
    head = f"【{c['bundle_name']}】要带的材料（{len(bring)} 样）："
    pages = [Page(chunk, topic=_topic(chunk)) for chunk in _chunks([head, *items])]
    if exempt:
        line = f"不用带（窗口从系统调取）：{'、'.join(exempt)}"
        if _fits(pages[-1].lines + [line]):
            pages[-1].lines.append(line)
        else:
            pages.append(Page([line], topic="不用带的材料"))
    where = [f"在哪办：{c['single_window']}"]
    if c.get("online_entry"):
        where.append(f"网上申请：{c['online_entry']}")
    where.append(f"时限：{days_phrase(c.get('total_days'))}")
    where.append(f"要办的事项（{len(c['guides'])} 项）：{'、'.join(g['name'] for g in c['guides'])}")
    pages.append(Page(where, topic="在哪办、要多久"))
    return pages


def elder_pages(replies: list[Reply]) -> list[Page]:
    """The pages of one turn, in the order to send them (an emergency's whole on the first)."""
    urgent = [r for r in replies if r.urgent]
    pages: list[Page] = []
    for reply in urgent + [r for r in replies if not r.urgent]:
        if reply.urgent:  # whole, on the first page: never behind a "看下一段"
            own = [Page(reply.text.splitlines(), topic="紧急求助")]
        elif reply.checklist:
            own = _checklist_pages(reply)
        else:
            own = _text_pages(reply.text)
        own[-1].buttons = list(reply.buttons)
        last = pages[-1] if pages else None
        if last and len(own) == 1 and _fits(last.lines + own[0].lines):
            last.lines += own[0].lines  # a short reply joins the page before it ("没找到" + "已为您转接")
            taken = {b.payload for b in last.buttons}
            last.buttons += [b for b in own[0].buttons if b.payload not in taken]
            continue
        pages += own
    return pages


def render_page(pages: list[Page], index: int) -> tuple[str, list[str]]:
    """Page ``index`` as text with its numbered choices, and the payloads behind the numbers."""
    page = pages[index]
    # list numbers written as （1） so that only "回复 1" reads as something to reply
    lines = [_NUMBERED.sub(r"（\1）", line) for line in page.lines]
    payloads: list[str] = []
    more = index + 1 < len(pages)
    if len(pages) > 1:
        lines.append(f"（第 {index + 1} 段，共 {len(pages)} 段）")
    if more:
        payloads.append(NEXT_PAGE)
        topic = pages[index + 1].topic
        lines.append(f"回复 1：看下一段{f'（{topic}）' if topic else ''}")
    text = "\n".join(lines)
    for button in page.buttons:
        if button.payload.startswith("tel:"):
            number = button.payload[4:]
            if number not in text:  # an emergency's numbers are in its text already
                lines.append(f"{button.title}：{number}")
            continue
        payloads.append(button.payload)
        lines.append(f"回复 {len(payloads)}：{button.title}")
    return "\n".join(lines), payloads
