"""Statistics for editors and managers (the 统计 tab): questions per day and channel, what the
assistant did with them (answer/clarify/none rates of typed questions), the questions asked most,
emergencies, 👍/👎 per guide and department, the top unanswered questions, tickets by
category/department/district with deadlines kept, missed or overdue, 热点 (the same kind of
complaint from one district and place), bookings per hall and day. ``GET /api/admin/stats`` is
the JSON the charts draw; ``/api/admin/stats.xlsx`` and ``/api/admin/stats.csv`` the same figures
as tables, with the question log itself (masked) in the workbook."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assistant.deps import (
    BookingDep,
    ComplaintsDep,
    QuestionsDep,
    RatingsDep,
    StoreDep,
    UnansweredDep,
    require,
)
from assistant.question_log import CHANNELS, DECISIONS
from assistant.routes.desk import desk_out
from connectors.booking.protocol import BookingError
from nlu.safety import default_check

router = APIRouter(prefix="/api/admin", tags=["stats"], dependencies=[Depends(require("editor"))])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUESTION_DAYS = 30  # the questions' window when no ``since`` is given


class CountOut(BaseModel):
    key: str
    count: int


class TicketStatsOut(BaseModel):
    total: int
    by_category: list[CountOut]
    by_department: list[CountOut]
    by_district: list[CountOut]
    deadlines: dict[str, int] = Field(description="kept 按期办结, missed 超期办结, overdue 超期未结, open 未到期")
    hot_spots: list[dict] = Field(description="同一区、地点、类别出现 2 次以上：district, location, category, count")


class QuestionStatsOut(BaseModel):
    since: str = Field(description="first day counted (city time): ``since``, or the last 30 days")
    total: int = Field(description="turns logged in the window, every channel and decision")
    per_day: list[dict] = Field(description="day, channel (web/wechat/cli/api), count")
    decisions: dict[str, int] = Field(description="answer, clarify, none, emergency, form, handoff, other")
    typed: int = Field(description="typed questions that went to search (answer + clarify + none)")
    rates: dict[str, float] = Field(description="answer/clarify/none as a share of ``typed`` (0..1)")
    top: list[dict] = Field(description="text, count, decision, code: the typed questions asked most")
    emergencies: list[dict] = Field(description="kind, name, count")
    emergencies_recent: list[dict] = Field(description="the latest emergencies: at, channel, text, reply, …")
    names: dict[str, dict[str, str]] = Field(description="Chinese names of the channels and decisions")


class StatsOut(BaseModel):
    since: str | None
    questions: QuestionStatsOut
    ratings: dict[str, list[dict]] = Field(description="per_guide: code/name/up/down; per_department: department/up/down")
    unanswered_top: list[dict] = Field(description="text, count: the open unanswered questions asked most")
    tickets: TicketStatsOut
    bookings: dict = Field(description="total, per_hall_day: hall/day/count, note (external system)")


def _count(values) -> list[dict]:
    return [{"key": k, "count": n} for k, n in Counter(values).most_common()]


def question_figures(questions, since: date | None) -> dict:
    figures = questions.figures(since or questions.today() - timedelta(days=QUESTION_DAYS - 1))
    kinds = {k.id: k.name for k in default_check().kinds}
    figures["emergencies"] = [{**e, "name": kinds.get(e["kind"], e["kind"] or "紧急情况")} for e in figures["emergencies"]]
    for e in figures["emergencies_recent"]:
        e["name"] = kinds.get(e["code"] or "", "紧急情况")
    figures["names"] = {"channels": CHANNELS, "decisions": DECISIONS}
    return figures


def collect(store, ratings, unanswered, complaints, booking, questions, *, since: date | None = None) -> dict:
    names = {e.code: e for e in store.published()}
    per_guide = ratings.summary()
    by_dept: dict[str, dict] = {}
    for row in per_guide:
        dept = getattr(names.get(row["code"]), "department", "（已下线）")
        d = by_dept.setdefault(dept, {"department": dept, "up": 0, "down": 0})
        d["up"] += row["up"]
        d["down"] += row["down"]
    open_questions = sorted(unanswered.items(status="open", grouped=True), key=lambda i: -i.count)[:15]
    tickets = [desk_out(t) for t in complaints.find(limit=5000)]
    if since:
        tickets = [t for t in tickets if t["created_at"][:10] >= since.isoformat()]
    deadlines = Counter(
        "overdue" if t["overdue"] else "kept" if t["deadline_kept"] else "missed" if t["deadline_kept"] is False else "open"
        for t in tickets
    )
    hot = Counter((t["district"] or "未说明", t["location"] or "", t["category"]) for t in tickets if t["district"])
    bookings, bookings_note = [], ""
    try:
        bookings = [b for b in booking.find(limit=5000) if b.status != "cancelled"]
    except BookingError as exc:
        bookings_note = exc.user_message
    per_hall_day = Counter((b.hall.name, b.day.isoformat()) for b in bookings)
    return {
        "since": since.isoformat() if since else None,
        "questions": question_figures(questions, since),
        "ratings": {"per_guide": per_guide, "per_department": sorted(by_dept.values(), key=lambda d: -d["down"])},
        "unanswered_top": [{"text": i.text, "count": i.count} for i in open_questions],
        "tickets": {
            "total": len(tickets),
            "by_category": _count(t["category"] for t in tickets),
            "by_department": _count(t["department"] for t in tickets),
            "by_district": _count(t["district"] or "未说明" for t in tickets),
            "deadlines": {k: deadlines.get(k, 0) for k in ("kept", "missed", "overdue", "open")},
            "hot_spots": [
                {"district": d, "location": loc, "category": c, "count": n} for (d, loc, c), n in hot.most_common(10) if n > 1
            ],
        },
        "bookings": {
            "total": len(bookings),
            "per_hall_day": [{"hall": h, "day": d, "count": n} for (h, d), n in sorted(per_hall_day.items())],
            "note": bookings_note,
        },
    }


def _question_tables(q: dict) -> dict[str, list[list]]:
    channels, decisions = q["names"]["channels"], q["names"]["decisions"]
    days: dict[str, Counter] = {}
    for r in q["per_day"]:
        days.setdefault(r["day"], Counter())[r["channel"]] += r["count"]
    total = sum(q["decisions"].values()) or 1
    rates = q["rates"]
    return {
        "每天提问量": [["日期", *channels.values(), "合计"]]
        + [[d, *(c[k] for k in channels), sum(c.values())] for d, c in sorted(days.items())],
        "处理结果": [["处理结果", "轮数", "占比"]]
        + [[decisions[k], n, round(n / total, 4)] for k, n in q["decisions"].items()],
        "打字提问回答率": [["打字提问数", "回答率", "追问率", "未匹配率"], [q["typed"], rates["answer"], rates["clarify"], rates["none"]]],
        "问得最多的问题": [["问题", "次数", "最近一次的处理", "条目编码"]]
        + [[r["text"], r["count"], decisions.get(r["decision"], r["decision"]), r["code"] or ""] for r in q["top"]],
        "紧急情况": [["类别", "次数"]] + [[r["name"], r["count"]] for r in q["emergencies"]],
    }  # fmt: skip


def _log_rows(questions, start: date) -> list[list]:
    """The question log itself (masked), newest first: what the figures were counted from."""
    rows = [["时间", "渠道", "处理结果", "条目编码", "由谁回答", "问题", "答复（开头）"]]
    for r in questions.rows(start):
        at = r.at.astimezone(questions.zone).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([at, CHANNELS.get(r.channel, r.channel), DECISIONS.get(r.decision, r.decision), r.code or "", r.mode, r.text, r.reply])
    return rows  # fmt: skip


def _tables(stats: dict) -> dict[str, list[list]]:
    """The figures as named tables (one sheet each in the Excel file)."""
    t = stats["tickets"]
    return {
        **_question_tables(stats["questions"]),
        "各条目好差评": [["编码", "名称", "有帮助", "没帮助"]] + [[r["code"], r["name"], r["up"], r["down"]] for r in stats["ratings"]["per_guide"]],
        "各部门好差评": [["部门", "有帮助", "没帮助"]] + [[r["department"], r["up"], r["down"]] for r in stats["ratings"]["per_department"]],
        "未答问题": [["问题", "次数"]] + [[r["text"], r["count"]] for r in stats["unanswered_top"]],
        "工单按类别": [["类别", "数量"]] + [[r["key"], r["count"]] for r in t["by_category"]],
        "工单按部门": [["部门", "数量"]] + [[r["key"], r["count"]] for r in t["by_department"]],
        "工单按区": [["区", "数量"]] + [[r["key"], r["count"]] for r in t["by_district"]],
        "工单时限": [["按期办结", "超期办结", "超期未结", "未到期"]] + [[t["deadlines"][k] for k in ("kept", "missed", "overdue", "open")]],
        "热点": [["区", "地点", "类别", "数量"]] + [[r["district"], r["location"], r["category"], r["count"]] for r in t["hot_spots"]],
        "预约": [["大厅", "日期", "预约数"]] + [[r["hall"], r["day"], r["count"]] for r in stats["bookings"]["per_hall_day"]],
    }  # fmt: skip


def _stats(
    store: StoreDep, ratings: RatingsDep, unanswered: UnansweredDep, complaints: ComplaintsDep, booking: BookingDep,
    questions: QuestionsDep,
    since: date | None = Query(default=None, description="只统计这天以后的提问和受理的工单（提问默认最近 30 天）"),
) -> dict:  # fmt: skip
    return collect(store, ratings, unanswered, complaints, booking, questions, since=since)


Stats = Annotated[dict, Depends(_stats)]


def _export(stats: dict, questions) -> dict[str, list[list]]:
    """Every table of the export: the figures, then the question log they were counted from."""
    return {**_tables(stats), "问题记录": _log_rows(questions, date.fromisoformat(stats["questions"]["since"]))}


@router.get("/stats", response_model=StatsOut)
def stats(figures: Stats) -> dict:
    """Everything the 统计 tab draws."""
    return figures


@router.get("/stats.csv")
def stats_csv(figures: Stats, questions: QuestionsDep) -> Response:
    """The same figures as CSV: each table under its name, separated by a blank line (UTF-8 with BOM
    for Excel); the question log (masked) last."""
    out = io.StringIO()
    writer = csv.writer(out)
    for name, rows in _export(figures, questions).items():
        writer.writerow([name])
        writer.writerows(rows)
        writer.writerow([])
    headers = {"Content-Disposition": 'attachment; filename="stats.csv"'}
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/stats.xlsx")
def stats_xlsx(figures: Stats, questions: QuestionsDep) -> Response:
    """The same figures as an Excel workbook, one sheet per table; the question log (masked) last."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in _export(figures, questions).items():
        sheet = book.create_sheet(name[:31])
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    headers = {"Content-Disposition": 'attachment; filename="stats.xlsx"'}
    return Response(buf.getvalue(), media_type=XLSX, headers=headers)
