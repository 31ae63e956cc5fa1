"""Statistics for editors and managers (the 统计 tab): 👍/👎 per guide and department, the top
unanswered questions, tickets by category/department/district with deadlines kept, missed or
overdue, 热点 (the same kind of complaint from one district and place), bookings per hall and day.
``GET /api/admin/stats`` is the JSON the charts draw; ``/api/admin/stats.xlsx`` and
``/api/admin/stats.csv`` the same figures as tables. Not yet counted: every question asked per
day and channel (only unanswered questions and rated answers are recorded)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assistant.deps import BookingDep, ComplaintsDep, RatingsDep, StoreDep, UnansweredDep, require
from assistant.routes.desk import desk_out
from connectors.booking.protocol import BookingError

router = APIRouter(prefix="/api/admin", tags=["stats"], dependencies=[Depends(require("editor"))])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


class StatsOut(BaseModel):
    since: str | None
    ratings: dict[str, list[dict]] = Field(description="per_guide: code/name/up/down; per_department: department/up/down")
    unanswered_top: list[dict] = Field(description="text, count: the open unanswered questions asked most")
    tickets: TicketStatsOut
    bookings: dict = Field(description="total, per_hall_day: hall/day/count, note (external system)")
    not_recorded: list[str] = Field(description="figures the system does not record yet")


def _count(values) -> list[dict]:
    return [{"key": k, "count": n} for k, n in Counter(values).most_common()]


def collect(store, ratings, unanswered, complaints, booking, *, since: date | None = None) -> dict:
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
        "not_recorded": ["每天的提问量（按渠道）", "回答/追问/未匹配的比例"],
    }


def _tables(stats: dict) -> dict[str, list[list]]:
    """The figures as named tables (one sheet each in the Excel file)."""
    t = stats["tickets"]
    return {
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


@router.get("/stats", response_model=StatsOut)
def stats(
    store: StoreDep, ratings: RatingsDep, unanswered: UnansweredDep, complaints: ComplaintsDep, booking: BookingDep,
    since: date | None = Query(default=None, description="只统计这天以后受理的工单"),
) -> dict:  # fmt: skip
    """Everything the 统计 tab draws."""
    return collect(store, ratings, unanswered, complaints, booking, since=since)


@router.get("/stats.csv")
def stats_csv(
    store: StoreDep, ratings: RatingsDep, unanswered: UnansweredDep, complaints: ComplaintsDep, booking: BookingDep,
    since: date | None = None,
) -> Response:  # fmt: skip
    """The same figures as CSV: each table under its name, separated by a blank line (UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for name, rows in _tables(collect(store, ratings, unanswered, complaints, booking, since=since)).items():
        writer.writerow([name])
        writer.writerows(rows)
        writer.writerow([])
    headers = {"Content-Disposition": 'attachment; filename="stats.csv"'}
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/stats.xlsx")
def stats_xlsx(
    store: StoreDep, ratings: RatingsDep, unanswered: UnansweredDep, complaints: ComplaintsDep, booking: BookingDep,
    since: date | None = None,
) -> Response:  # fmt: skip
    """The same figures as an Excel workbook, one sheet per table."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in _tables(collect(store, ratings, unanswered, complaints, booking, since=since)).items():
        sheet = book.create_sheet(name[:31])
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    headers = {"Content-Disposition": 'attachment; filename="stats.xlsx"'}
    return Response(buf.getvalue(), media_type=XLSX, headers=headers)
