"""Hand-offs for operators: 12345 tickets, bookings, the outbox to external systems."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.cli.common import (
    command,
    open_services,
)
from assistant.settings import Settings


def _tickets_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list", "show", "export"])
    p.add_argument("number", nargs="?")
    p.add_argument("--status")
    p.add_argument("--department")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--output", help="export 写入的文件")
    p.add_argument(
        "--with-contacts", action="store_true", help="export 时包含解密后的联系方式（仅供 12345 平台导入）"
    )


@command("tickets", "12345 工单：列表、详情、导出", _tickets_args)
def _tickets(args: argparse.Namespace, settings: Settings) -> int:
    complaints = open_services(settings).complaints
    if args.action == "show":
        if not args.number:
            print("请给出工单号", file=sys.stderr)
            return 2
        t = complaints.get(args.number)
        print(f"{t.number}  {t.category}/{t.urgency}  {t.status}  → {t.department}")
        print(f"  区域：{t.district or '-'} {t.location or ''}  联系人：{t.contact_masked}")
        print(f"  时限：{t.respond_by} 前响应，{t.resolve_by} 前办结  评价：{t.satisfaction or '-'}")
        print(f"  内容：{t.description}")
        for e in t.history:
            print(f"  {e.at:%Y-%m-%d %H:%M}  {e.status}  {e.actor}  {e.note}")
        return 0
    tickets = complaints.find(status=args.status, department=args.department, limit=args.limit)
    if args.action == "export":
        data = complaints.export(tickets, include_contact=args.with_contacts)
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"已导出 {len(tickets)} 个工单到 {args.output}")
        else:
            print(text)
        return 0
    for t in tickets:
        print(
            f"{t.number}\t{t.created_at:%m-%d %H:%M}\t{t.category}\t{t.urgency}\t{t.status}\t{t.department}\t{t.description[:30]}"
        )
    return 0


def _bookings_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list"])
    p.add_argument("--day", help="YYYY-MM-DD")
    p.add_argument("--hall")
    p.add_argument("--status", choices=["booked", "cancelled"])


@command("bookings", "预约列表（联系方式已脱敏）", _bookings_args)
def _bookings(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    booking = open_services(settings).booking  # an external system refuses: BookingUnsupportedError
    day = date.fromisoformat(args.day) if args.day else None
    for b in booking.find(day=day, hall_id=args.hall, status=args.status):
        print(
            f"{b.number}\t{b.day} {b.start}-{b.end}\t{b.hall.name}\t{b.service_name}\t{b.name_masked} {b.phone_masked}\t{b.status}"
        )
    return 0


def _outbox_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["status", "retry", "run"])
    p.add_argument("--id", type=int)


@command("outbox", "转交外部系统的待投递队列：状态、立即重试、投递一轮", _outbox_args)
def _outbox(args: argparse.Namespace, settings: Settings) -> int:
    services = open_services(settings)
    outbox = services.outbox
    if args.action == "status":
        counts = outbox.counts()
        print(
            f"待投递 {counts.get('pending', 0)}，已投递 {counts.get('delivered', 0)}，"
            f"已放弃 {counts.get('dead', 0)}（需人工处理：修正原因后 yichuang outbox retry --id N）"
        )
        for item in outbox.items("pending"):
            print(
                f"  #{item.id} {item.kind} {item.ref} 尝试 {item.attempts} 次，下次 {item.next_attempt_at:%m-%d %H:%M:%S}"
                f"  {item.last_error or ''}"
            )
        for item in outbox.items("dead"):
            print(f"  已放弃 #{item.id} {item.kind} {item.ref} 尝试 {item.attempts} 次：{item.last_error or ''}")
        return 0
    if args.action == "retry":
        print(f"已将 {outbox.retry_now(args.id)} 个待投递项设为立即重试")
        return 0
    worker = services.forwarding
    if worker is None:
        print("没有配置 12345 平台地址（YICHUANG_COMPLAINT_FORWARD_URL），无需投递。", file=sys.stderr)
        return 1
    print(f"本次投递成功 {worker.run_once()} 个")
    return 0
