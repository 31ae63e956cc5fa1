"""Channel-neutral replies: what the assistant says about a guide, a bundle or a miss.

A reply is text plus optional buttons (title + payload) and an optional checklist; the web page
renders buttons as buttons, WeChat as numbered choices. Payloads use Rasa's form
(``/intent{"slot": "value"}``) so the same buttons work with and without the dialogue server.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

from knowledge.checklist import Checklist
from knowledge.schema import Bundle, BundleQuestion, Hall, Material, ServiceGuide

Aspect = Literal["materials", "steps", "time", "fee", "place", "phone", "online", "conditions"]
HOTLINE = "12345"
MATERIALS_HEADING = "需要带的材料："  # the 长辈版 (assistant/elder_text.py) puts this part first
PLACE_HEADING = "在哪办："


@dataclass
class Button:
    title: str
    payload: str


@dataclass
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    checklist: dict | None = None
    handoff: bool = False  # the page shows a 转人工 notice
    about: dict | None = None  # {"kind", "code", "name"} of the guide or bundle answered about
    receipt: dict | None = None  # {"kind": "booking" | "ticket", "number", "status"}: a confirmation
    miss: bool = False  # the answer did not help (nothing found): two in a row hand over to staff
    urgent: bool = False  # an emergency's numbers and first steps: shown first, never shortened

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def rich(self) -> bool:
        """More than text and buttons: channels that only carry text lose something."""
        return (
            self.checklist is not None or self.handoff or self.miss
            or self.about is not None or self.receipt is not None
        )  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> Reply:
        return cls(
            str(data["text"]),
            [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in data.get("buttons") or []],
            data.get("checklist"),
            bool(data.get("handoff")),
            data.get("about"),
            data.get("receipt"),
            bool(data.get("miss")),
            bool(data.get("urgent")),
        )


def payload(intent: str, **slots: str) -> str:
    return f"/{intent}{json.dumps(slots, ensure_ascii=False)}" if slots else f"/{intent}"


def _halls(guide: ServiceGuide, region: str | None, limit: int = 2) -> list[Hall]:
    halls = sorted(guide.halls, key=lambda h: h.district != region)
    return halls[:limit]


def hall_lines(guide: ServiceGuide, region: str | None = None, limit: int = 4) -> str:
    """The guide's halls, those of ``region`` first, one per line."""
    return "\n".join(_hall_line(h) for h in _halls(guide, region, limit))


def handled_online(guide: ServiceGuide) -> bool:
    """The guide has an online entry that takes the application (partly or wholly)."""
    return bool(guide.online_url) and guide.online_depth.value != "不可网办"


def _hall_line(h: Hall) -> str:
    """One hall per line (the web page shows its phone as a call button and its address on a map)."""
    return f"· {h.name}：{h.address}，{h.hours}，电话 {h.phone}"


def days_phrase(total: int | None) -> str:
    if total == 0:
        return "即办（材料齐全当场办结）"
    return f"承诺 {total} 个工作日内办结" if total is not None else "办结时间以窗口告知为准"


def _materials(guide: ServiceGuide) -> list[str]:
    return [f"· {material_line(m)}" for m in guide.materials]


def material_line(m: Material) -> str:
    """One material as the citizen needs it: form, copies, when needed, where it comes from."""
    forms = "、".join(f.value for f in m.forms)
    count = f" {m.copies} 份" if m.copies > 1 else ""
    marks = []
    if m.exempt:
        marks.append(f"免提交，系统调取{m.e_licence}")
    if m.can_defer:
        marks.append("可容缺后补")
    if not m.required:
        marks.append(f"{m.condition}时需要")
    if m.note:
        marks.append(m.note)
    tail = f"（{'；'.join(marks)}）" if marks else ""
    return f"{m.name}：{forms}{count}{tail}"


def _limit(guide: ServiceGuide) -> str:
    if guide.promised_limit_days == 0:
        return "即办（材料齐全当场办结）"
    if guide.promised_limit_days is not None:
        legal = f"，法定 {guide.legal_limit_days} 个工作日" if guide.legal_limit_days is not None else ""
        return f"承诺 {guide.promised_limit_days} 个工作日{legal}"
    return "以窗口告知为准"


def _guide_buttons(guide: ServiceGuide) -> list[Button]:
    buttons = [
        Button("办理流程", payload("ask_detail", aspect="steps", code=guide.code)),
        Button("在哪办", payload("ask_detail", aspect="place", code=guide.code)),
    ]
    if guide.bookable:
        buttons.append(Button("预约办理", payload("book", code=guide.code)))
    buttons.append(Button("转人工", payload("human_handoff")))
    return buttons


def about(entry: ServiceGuide | Bundle) -> dict:
    return {"kind": "guide" if isinstance(entry, ServiceGuide) else "bundle", "code": entry.code, "name": entry.name}


def guide_answer(guide: ServiceGuide, region: str | None = None) -> Reply:
    lines = [f"【{guide.name}】{guide.summary}".rstrip()]
    if guide.conditions:
        lines.append("办理条件：" + "；".join(guide.conditions))
    if guide.materials:
        lines.append(MATERIALS_HEADING)
        lines.extend(_materials(guide))
    halls = _halls(guide, region)
    if halls:
        lines.append(PLACE_HEADING)
        lines.extend(_hall_line(h) for h in halls)
    lines.append(f"时限：{_limit(guide)}；收费：{guide.fee}")
    if handled_online(guide):
        lines.append(f"网上办理（{guide.online_depth.value}）：{guide.online_url}")
    return Reply("\n".join(lines), _guide_buttons(guide), about=about(guide))


def guide_detail(guide: ServiceGuide, aspect: Aspect, region: str | None = None) -> Reply:
    name = f"【{guide.name}】"
    if aspect == "materials":
        text = name + MATERIALS_HEADING + "\n" + "\n".join(_materials(guide) or ["· 无需提交材料"])
    elif aspect == "steps":
        steps = [f"{i}. {s.name}：{s.description}" for i, s in enumerate(guide.steps, start=1)]
        text = name + "办理流程：\n" + "\n".join(steps or ["以窗口告知为准"])
    elif aspect == "time":
        text = f"{name}办理时限：{_limit(guide)}。"
    elif aspect == "fee":
        text = f"{name}收费：{guide.fee}。"
    elif aspect == "place":
        text = name + "办理地点：\n" + hall_lines(guide, region)
        if guide.online_url and guide.online_depth.value == "全程网办":  # "去哪打": no need to go at all
            text += f"\n也可以全程网办，不用跑大厅：{guide.online_url}"
    elif aspect == "phone":
        text = f"{name}咨询电话：{guide.consult_phone or HOTLINE}；监督投诉电话：{guide.complaint_phone or HOTLINE}。"
    elif aspect == "online":
        if handled_online(guide):
            text = f"{name}可以网上办理（{guide.online_depth.value}），入口：{guide.online_url}"
        else:
            text = f"{name}目前需要到窗口办理。"
        text += f" 需要到现场 {guide.visits_needed} 次。"
    else:
        text = name + "办理条件：\n" + "\n".join(f"· {c}" for c in guide.conditions)
    return Reply(text, _guide_buttons(guide), about=about(guide))


def bundle_question(bundle: Bundle, question: BundleQuestion, lead: str = "") -> Reply:
    buttons = [
        Button(o.label, payload("bundle_answer", code=bundle.code, question=question.id, answer=o.value))
        for o in question.options
    ]
    return Reply(f"{lead}{question.text}", buttons, about=about(bundle))


def bundle_intro(bundle: Bundle) -> Reply:
    text = (
        f"【{bundle.name}】{bundle.summary}".rstrip()
        + f"\n一次申请，{len(bundle.guides)} 个事项联办；统一窗口：{bundle.single_window}。"
    )
    if not bundle.questions:
        return Reply(text, [Button("查看材料清单", payload("start_bundle", code=bundle.code))], about=about(bundle))
    return bundle_question(
        bundle, bundle.questions[0], text + "\n先回答几个问题，给您列出只属于您的材料清单。\n"
    )


def bundle_detail(checklist: Checklist, guides: dict[str, ServiceGuide], aspect: Aspect) -> Reply:
    """A follow-up about a 一件事 in context ("那要多少钱?"): the answer for each applicable guide."""
    applicable = [guides[g.code] for g in sorted(checklist.guides, key=lambda g: g.stage) if g.code in guides]
    name = f"【{checklist.bundle_name}】"
    if aspect == "time":
        lines = [f"{name}{days_phrase(checklist.total_days)}。"]
        lines += [f"· {g.name}：{_limit(g)}" for g in applicable]
    elif aspect in ("place", "online"):
        lines = [f"{name}统一窗口：{checklist.single_window}"]
        lines.append(f"网上申请：{checklist.online_entry}" if checklist.online_entry else "目前需要到统一窗口申请。")
    elif aspect == "fee":
        lines = [name + "各事项的收费："] + [f"· {g.name}：{g.fee}" for g in applicable]
    elif aspect == "phone":
        lines = [name + "各事项的咨询电话："] + [f"· {g.name}：{g.consult_phone or HOTLINE}" for g in applicable]
    elif aspect == "materials":  # asked before the questions are all answered: so far
        lines = [name + "按您目前的回答，要准备这些材料（问题都答完后，清单会更准）："]
        lines += [f"· {m.name}{'（免提交）' if m.exempt else ''}" for m in checklist.materials if not m.done]
    elif aspect == "steps":
        lines = [name + "按这个顺序办理（一次申请，统一窗口受理）："]
        lines += [f"{i}. {g.name}（{g.department}）" for i, g in enumerate(applicable, start=1)]
    else:  # conditions
        lines = [name + "各事项的办理条件："]
        lines += [f"· {g.name}：{'；'.join(g.conditions) or '无特别条件'}" for g in applicable]
    buttons = [
        Button("查看材料清单", payload("start_bundle", code=checklist.bundle_code)),
        Button("转人工", payload("human_handoff")),
    ]
    return Reply(
        "\n".join(lines),
        buttons,
        about={"kind": "bundle", "code": checklist.bundle_code, "name": checklist.bundle_name},
    )


def checklist_reply(checklist: Checklist) -> Reply:
    data = checklist.as_dict()
    counts = data["counts"]
    text = (
        f"【{checklist.bundle_name}】您需要办理 {counts['guides']} 个事项，准备 {counts['to_submit']} 份材料"
        f"（另有 {counts['exempt']} 份免提交）"
    )
    if checklist.total_days is not None:
        text += f"，{days_phrase(checklist.total_days)}"
    text += f"。统一窗口：{checklist.single_window}"
    return Reply(
        text, checklist=data, about={"kind": "bundle", "code": checklist.bundle_code, "name": checklist.bundle_name}
    )


def clarify(options: list[tuple[str, str, str]]) -> Reply:
    """``options``: (kind, code, name) of the top candidates."""
    buttons = [Button(name, payload("choose", kind=kind, code=code)) for kind, code, name in options]
    buttons.append(Button("都不是，转人工", payload("human_handoff")))
    return Reply("您是不是想问：", buttons)


def no_match() -> Reply:
    return Reply(
        f"抱歉，我没有找到和您的问题对应的办事事项。您可以换个说法再问一次，或者转人工客服；也可以拨打 {HOTLINE} 热线。",
        [Button("转人工", payload("human_handoff")), Button(f"拨打 {HOTLINE}", "tel:12345")],
        miss=True,
    )


def not_covered(name: str, case: str) -> Reply:
    """The nearest guide does not speak of the citizen's case ("对象是越南人": 结婚登记 is for 内地居民)."""
    return Reply(
        f"和您说的最接近的是【{name}】，但这份办事指南没有写到{case}的情形，照它去办可能白跑一趟，"
        f"我就不拿它回答您了。建议拨打 {HOTLINE} 热线问清楚，或者转人工客服。",
        [Button("转人工", payload("human_handoff")), Button(f"拨打 {HOTLINE}", "tel:12345")],
        miss=True,
    )


def human_handoff() -> Reply:
    return Reply(
        f"正在为您转接人工客服。如需电话咨询，请拨打 {HOTLINE} 政务服务便民热线（24 小时）。", handoff=True
    )


def unavailable(what: str) -> Reply:
    return Reply(
        f"抱歉，{what}暂时无法在对话中办理，请稍后再试，或拨打 {HOTLINE} 热线。办事咨询仍可以直接问我。"
    )


def as_text(replies: list[Reply]) -> tuple[str, list[str]]:
    """Replies for text-only channels (WeChat, the terminal): buttons become numbered choices
    ("回复 1：…") and a checklist a list of □ lines. Returns the text and the payloads behind the
    numbers, in order."""
    parts, payloads = [], []
    for reply in replies:
        lines = [reply.text]
        if reply.checklist:
            c = reply.checklist
            lines.append("要办的事项：" + "、".join(g["name"] for g in c["guides"]))
            for m in c["materials"]:
                mark = "（免提交）" if m["exempt"] else ("（可容缺后补）" if m["can_defer"] else "")
                lines.append(f"{'☑' if m.get('done') else '□'} {m['name']}{mark}")
        for button in reply.buttons:
            if button.payload.startswith("tel:"):
                lines.append(f"{button.title}：{button.payload[4:]}")
                continue
            payloads.append(button.payload)
            lines.append(f"回复 {len(payloads)}：{button.title}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts), payloads
