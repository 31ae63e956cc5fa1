"""Content commands: validate, import, export, publish, retire, restore, history; the database;
the unanswered questions editors turn into 相似问."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.cli.common import (
    author_of,
    command,
    open_services,
    print_problems,
    store_of,
)
from assistant.settings import Settings


def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="以 JSON 输出问题列表")


@command("validate", "校验内容文件（YAML、XLSX、CSV 目录），报告文件、行和字段", _validate_args)
def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.validation import validate_path

    report = validate_path(Path(args.path))
    if report.problems:
        print_problems(report.problems, args.json)
        return 1
    from knowledge.schema import ServiceGuide

    guides = sum(1 for e in report.entries if isinstance(e, ServiceGuide))
    if args.json:
        print(json.dumps({"ok": True, "guides": guides, "bundles": len(report.entries) - guides}))
    else:
        print(f"校验通过：{guides} 个办事指南，{len(report.entries) - guides} 个一件事。")
    return 0


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    p.add_argument("--draft", action="store_true", help="只保存为草稿，不发布")
    p.add_argument("--if-empty", action="store_true", help="内容库已有条目时跳过")
    p.add_argument("--author")
    p.add_argument("--note")


@command("import", "导入内容文件到内容库（先整体校验，有错则不写入）", _import_args)
def _import(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.importer import import_path

    store = store_of(settings)
    if args.if_empty and store.count() > 0:
        print(f"内容库已有 {store.count()} 个条目，跳过导入（--if-empty）。")
        return 0
    result = import_path(
        store, Path(args.path), author=author_of(args), publish=not args.draft, note=args.note or ""
    )
    if not result.ok:
        print_problems(result.problems, False)
        return 1
    r = result.report
    assert r is not None
    print(
        f"导入完成：新增 {len(r.created)}，更新 {len(r.updated)}，未变 {len(r.unchanged)}，发布 {len(r.published)}。"
    )
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    p.add_argument("--format", choices=["yaml", "csv", "xlsx"])
    p.add_argument(
        "--latest", action="store_true", help="导出最新版本（含未发布的草稿），默认只导出已发布内容"
    )


@command("export", "导出内容（.yaml 文件或目录、.xlsx、CSV 目录）", _export_args)
def _export(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.formats import write_path
    from knowledge.store import MissingEntryError

    store = store_of(settings)
    if args.latest:
        entries = []
        for summary in store.find():
            try:
                entries.append(store.get(summary.code, published=False).content)
            except MissingEntryError:
                continue
    else:
        entries = store.published()
    try:
        written = write_path(entries, Path(args.path), args.format)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(
        f"已导出 {len(entries)} 个条目到 {', '.join(str(p) for p in written[:5])}{' …' if len(written) > 5 else ''}"
    )
    return 0


def _publish_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("code")
    p.add_argument("--version", type=int)
    p.add_argument("--author")
    p.add_argument("--note")


@command("publish", "发布条目的最新（或指定）版本", _publish_args)
def _publish(args: argparse.Namespace, settings: Settings) -> int:
    stored = store_of(settings).publish(
        args.code, author=author_of(args), version=args.version, note=args.note or ""
    )
    print(f"{stored.code} 已发布版本 {stored.version}")
    return 0


def _retire_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("code")
    p.add_argument("--author")
    p.add_argument("--note")


@command("retire", "下线条目", _retire_args)
def _retire(args: argparse.Namespace, settings: Settings) -> int:
    store_of(settings).retire(args.code, author=author_of(args), note=args.note or "")
    print(f"{args.code} 已下线")
    return 0


def _restore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("code")
    p.add_argument("version", type=int)
    p.add_argument("--publish", action="store_true")
    p.add_argument("--author")


@command("restore", "把条目恢复到以前的某个版本（生成新版本）", _restore_args)
def _restore(args: argparse.Namespace, settings: Settings) -> int:
    stored = store_of(settings).restore(args.code, args.version, author=author_of(args), publish=args.publish)
    print(
        f"{stored.code} 已从版本 {args.version} 恢复为版本 {stored.version}"
        + ("并发布" if args.publish else "")
    )
    return 0


def _history_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("code")


@command("history", "列出条目的版本", _history_args)
def _history(args: argparse.Namespace, settings: Settings) -> int:
    for v in store_of(settings).history(args.code):
        flag = " *已发布" if v.published else ""
        print(f"v{v.version}\t{v.created_at:%Y-%m-%d %H:%M}\t{v.author}\t{v.note}{flag}")
    return 0


def _db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["upgrade"])


@command("db", "数据库迁移", _db_args)
def _db(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.database import migrate
    from foundation.db import make_engine

    migrate(make_engine(settings.database_url))
    print("数据库已升级到最新版本。")
    return 0


def _unanswered_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list", "link", "dismiss"])
    p.add_argument("--id", type=int)
    p.add_argument("--code", help="link 时关联的事项编码")
    p.add_argument("--status", default="open", choices=["open", "linked", "dismissed"])
    p.add_argument("--limit", type=int, default=100)


@command("unanswered", "没有匹配到事项的问题（供编辑补充相似问）：列表、关联、忽略", _unanswered_args)
def _unanswered(args: argparse.Namespace, settings: Settings) -> int:
    log = open_services(settings).unanswered
    if args.action == "link":
        log.resolve(args.id, linked_code=args.code)
        print(f"#{args.id} 已关联到 {args.code}；请在该事项中补充相似问后发布。")
        return 0
    if args.action == "dismiss":
        log.resolve(args.id)
        print(f"#{args.id} 已忽略")
        return 0
    for item in log.items(status=args.status, limit=args.limit):
        near = "、".join(c["name"] for c in item.candidates[:2])
        print(f"#{item.id}\t{item.at:%m-%d %H:%M}\t{item.source}\t{item.text}\t（最接近：{near or '-'}）")
    return 0
