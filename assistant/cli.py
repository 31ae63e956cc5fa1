"""The ``yichuang`` command (also ``python -m assistant``): set up, import, validate, serve, operate."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path

from assistant.settings import Settings, get_settings

Handler = Callable[[argparse.Namespace, Settings], int]
_COMMANDS: dict[str, Handler] = {}
_OPEN: list = []  # the services one command opened; main() closes them


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _COMMANDS[name] = fn
        return fn

    return register


def _author(args: argparse.Namespace) -> str:
    return getattr(args, "author", None) or f"cli:{getpass.getuser()}"


def _services(settings: Settings):
    """The services for this command, built the one way (``assistant.services``) without the
    embedding model; closed when the command ends."""
    if not _OPEN:
        from assistant.services import build

        _OPEN.append(build(settings, search=False))
    return _OPEN[0]


def _store(settings: Settings):
    return _services(settings).store


def _print_problems(problems, as_json: bool) -> None:
    if as_json:
        print(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=1))
        return
    for p in problems:
        print(p, file=sys.stderr)
    print(f"共 {len(problems)} 个问题，未做任何修改。", file=sys.stderr)


@command("validate")
def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.validation import validate_path

    report = validate_path(Path(args.path))
    if report.problems:
        _print_problems(report.problems, args.json)
        return 1
    from knowledge.schema import ServiceGuide

    guides = sum(1 for e in report.entries if isinstance(e, ServiceGuide))
    if args.json:
        print(json.dumps({"ok": True, "guides": guides, "bundles": len(report.entries) - guides}))
    else:
        print(f"校验通过：{guides} 个办事指南，{len(report.entries) - guides} 个一件事。")
    return 0


@command("import")
def _import(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.importer import import_path

    store = _store(settings)
    if args.if_empty and store.count() > 0:
        print(f"内容库已有 {store.count()} 个条目，跳过导入（--if-empty）。")
        return 0
    result = import_path(
        store, Path(args.path), author=_author(args), publish=not args.draft, note=args.note or ""
    )
    if not result.ok:
        _print_problems(result.problems, False)
        return 1
    r = result.report
    assert r is not None
    print(
        f"导入完成：新增 {len(r.created)}，更新 {len(r.updated)}，未变 {len(r.unchanged)}，发布 {len(r.published)}。"
    )
    return 0


@command("export")
def _export(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.formats import write_path
    from knowledge.store import MissingEntryError

    store = _store(settings)
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


@command("publish")
def _publish(args: argparse.Namespace, settings: Settings) -> int:
    stored = _store(settings).publish(
        args.code, author=_author(args), version=args.version, note=args.note or ""
    )
    print(f"{stored.code} 已发布版本 {stored.version}")
    return 0


@command("retire")
def _retire(args: argparse.Namespace, settings: Settings) -> int:
    _store(settings).retire(args.code, author=_author(args), note=args.note or "")
    print(f"{args.code} 已下线")
    return 0


@command("restore")
def _restore(args: argparse.Namespace, settings: Settings) -> int:
    stored = _store(settings).restore(args.code, args.version, author=_author(args), publish=args.publish)
    print(
        f"{stored.code} 已从版本 {args.version} 恢复为版本 {stored.version}"
        + ("并发布" if args.publish else "")
    )
    return 0


@command("history")
def _history(args: argparse.Namespace, settings: Settings) -> int:
    for v in _store(settings).history(args.code):
        flag = " *已发布" if v.published else ""
        print(f"v{v.version}\t{v.created_at:%Y-%m-%d %H:%M}\t{v.author}\t{v.note}{flag}")
    return 0


@command("db")
def _db(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.database import migrate
    from foundation.db import make_engine

    migrate(make_engine(settings.database_url))
    print("数据库已升级到最新版本。")
    return 0


@command("model")
def _model(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.embedder import ModelError, prepare_model

    names = args.models.split(",") if args.models else [settings.embedding_model]
    for name in names:
        try:
            spec = prepare_model(name, settings.models_dir, force=args.force)
        except ModelError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        print(f"向量模型 {name} 已就绪：{spec.folder}")
    return 0


def _published_entries(settings: Settings):
    store = _store(settings)
    entries = store.published()
    if not entries:
        raise SystemExit("内容库为空：请先运行 yichuang import knowledge/data")
    return entries


@command("search")
def _search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.matching import build_retriever

    retriever = build_retriever(settings, _published_entries(settings), model=args.model)
    if args.jsonl:
        try:
            source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")
        except OSError as exc:
            print(f"无法读取 {args.jsonl}：{exc.strerror}", file=sys.stderr)
            return 2
        with source:
            for n, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    q = item["q"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    print(
                        json.dumps({"line": n, "error": '每行应为 JSON 对象 {"q": "…"}'}, ensure_ascii=False)
                    )
                    continue
                res = retriever.search(q, top_k=item.get("top_k", args.top_k), region=item.get("region"))
                print(json.dumps({"q": q, **res.as_dict()}, ensure_ascii=False), flush=True)
        return 0
    if not args.q:
        print("请给出问题，或用 --jsonl 文件", file=sys.stderr)
        return 2
    res = retriever.search(args.q, top_k=args.top_k, region=args.region)
    if args.json:
        print(json.dumps(res.as_dict(), ensure_ascii=False))
    else:
        print(
            f"判断：{ {'answer': '直接回答', 'clarify': '请用户确认', 'none': '无匹配事项'}[res.decision] }"
            + (f"（区：{res.region}）" if res.region else "")
        )
        for h in res.results:
            print(f"  {h.score:.3f}  {h.name}  [{h.code}]  ← {h.matched}")
    return 0


@command("eval")
def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.matching import CALIBRATION, build_retriever
    from knowledge.evaluation import DEV_SET, evaluate, format_report, load_dev_set

    entries = _published_entries(settings)
    items = load_dev_set(entries, Path(args.dev) if args.dev else DEV_SET)
    models = args.models.split(",") if args.models else ["e5-small", "m3e-small"]
    reports = []
    for model in models:
        retriever = build_retriever(settings, entries, model=model)
        reports.append(evaluate(retriever, items, do_calibrate=args.calibrate))
    if args.json:
        print(json.dumps([r.__dict__ for r in reports], ensure_ascii=False, indent=1, default=str))
    else:
        counts = {k: sum(1 for i in items if i.kind == k) for k in ("in_scope", "none", "ambiguous")}
        print(
            f"dev set: {counts['in_scope']} in-scope, {counts['none']} none, {counts['ambiguous']} ambiguous"
        )
        print(format_report(reports))
    if args.calibrate and args.write:
        data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
        for r in reports:
            data[r.model] = r.thresholds
        CALIBRATION.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"已写入 {CALIBRATION}", file=sys.stderr)
    return 0


@command("users")
def _users(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.auth import AuthError

    password = (
        sys.stdin.readline().rstrip("\n")
        if args.password_stdin
        else getpass.getpass("密码（至少 10 个字符）：")
    )
    try:
        user = _services(settings).accounts.add(args.username, password, args.role)
    except AuthError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print(f"已创建 {user.role} 账号 {user.username}")
    return 0


@command("unanswered")
def _unanswered(args: argparse.Namespace, settings: Settings) -> int:
    log = _services(settings).unanswered
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


@command("tickets")
def _tickets(args: argparse.Namespace, settings: Settings) -> int:
    complaints = _services(settings).complaints
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


@command("bookings")
def _bookings(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    booking = _services(settings).booking  # an external system refuses: BookingUnsupportedError
    day = date.fromisoformat(args.day) if args.day else None
    for b in booking.find(day=day, hall_id=args.hall, status=args.status):
        print(
            f"{b.number}\t{b.day} {b.start}-{b.end}\t{b.hall.name}\t{b.service_name}\t{b.name_masked} {b.phone_masked}\t{b.status}"
        )
    return 0


@command("outbox")
def _outbox(args: argparse.Namespace, settings: Settings) -> int:
    services = _services(settings)
    outbox = services.outbox
    if args.action == "status":
        counts = outbox.counts()
        print(f"待投递 {counts.get('pending', 0)}，已投递 {counts.get('delivered', 0)}")
        for item in outbox.items("pending"):
            print(
                f"  #{item.id} {item.kind} {item.ref} 尝试 {item.attempts} 次，下次 {item.next_attempt_at:%m-%d %H:%M:%S}"
                f"  {item.last_error or ''}"
            )
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


@command("train")
def _train(args: argparse.Namespace, settings: Settings) -> int:
    from assistant import dialogue_server as ds
    from assistant.matching import write_kb_dictionary

    result = ds.train(settings, write_kb_dictionary(settings, _published_entries(settings)), force=args.force)
    if result.trained:
        print(f"对话模型已训练：{result.model}（{result.seconds:.0f} 秒，{result.size_mb:.1f} MB）")
    else:
        print(f"对话模型没有变化，沿用 {result.model}（{result.size_mb:.1f} MB）")
    if args.evaluate:
        scores = ds.evaluate_nlu(settings, result.model)
        print(f"意图识别（留出集 {scores.examples} 句）：macro-F1 {scores.macro_f1:.3f}，准确率 {scores.accuracy:.3f}")
        for intent, f1 in sorted(scores.per_intent.items(), key=lambda kv: kv[1]):
            print(f"  {intent:<16} F1 {f1:.3f}")
        for text, expected, predicted in scores.confusions:
            print(f"  错判：{text}  应为 {expected}，识别为 {predicted}")
        ds.test_stories(settings, result.model)
        print("对话测试故事：全部通过")
    return 0


@command("serve")
def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from assistant.app import create_app

    port = args.port or settings.port
    rasa = _start_dialogue_server(settings, port)
    try:
        uvicorn.run(create_app(settings), host=args.host or settings.host, port=port, log_config=None)
    finally:
        if rasa is not None:
            rasa.stop()
    return 0


@command("chat")
def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chat_client import run

    return run(args.url or f"http://{settings.host}:{settings.port}")


def _start_dialogue_server(settings: Settings, port: int):
    """Start Rasa beside the app (in the background: the app answers in degraded mode meanwhile)."""
    import threading

    from assistant import dialogue_server as ds
    from assistant.logs import get_logger

    log = get_logger("assistant.serve")
    if not (settings.rasa_url and settings.rasa_autostart):
        return None
    model = ds.latest_model(settings)
    if not ds.rasa_installed() or model is None:
        log.warning("dialogue server not started: run `make rasa-env` and `yichuang train` (make run does both)")
        return None
    rasa = ds.RasaProcess(settings, model, f"http://127.0.0.1:{port}/webhook")

    def start() -> None:
        try:
            rasa.start()
        except ds.DialogueServerError as exc:
            log.error("dialogue server failed to start", error=str(exc))

    threading.Thread(target=start, name="rasa-start", daemon=True).start()
    return rasa


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yichuang", description="一窗导办：办事指南与一件事助手")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="校验内容文件（YAML、XLSX、CSV 目录），报告文件、行和字段")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="以 JSON 输出问题列表")

    p = sub.add_parser("import", help="导入内容文件到内容库（先整体校验，有错则不写入）")
    p.add_argument("path")
    p.add_argument("--draft", action="store_true", help="只保存为草稿，不发布")
    p.add_argument("--if-empty", action="store_true", help="内容库已有条目时跳过")
    p.add_argument("--author")
    p.add_argument("--note")

    p = sub.add_parser("export", help="导出内容（.yaml 文件或目录、.xlsx、CSV 目录）")
    p.add_argument("path")
    p.add_argument("--format", choices=["yaml", "csv", "xlsx"])
    p.add_argument(
        "--latest", action="store_true", help="导出最新版本（含未发布的草稿），默认只导出已发布内容"
    )

    for name, text in (("publish", "发布条目的最新（或指定）版本"), ("retire", "下线条目")):
        p = sub.add_parser(name, help=text)
        p.add_argument("code")
        if name == "publish":
            p.add_argument("--version", type=int)
        p.add_argument("--author")
        p.add_argument("--note")

    p = sub.add_parser("restore", help="把条目恢复到以前的某个版本（生成新版本）")
    p.add_argument("code")
    p.add_argument("version", type=int)
    p.add_argument("--publish", action="store_true")
    p.add_argument("--author")

    p = sub.add_parser("history", help="列出条目的版本")
    p.add_argument("code")

    p = sub.add_parser("db", help="数据库迁移")
    p.add_argument("action", choices=["upgrade"])

    p = sub.add_parser("model", help="准备向量模型（离线构建并校验，已准备好则跳过）")
    p.add_argument("action", choices=["prepare"])
    p.add_argument("--models", help="逗号分隔：e5-small,m3e-small 或本地模型目录；默认为设置中的模型")
    p.add_argument("--force", action="store_true", help="重新构建")

    p = sub.add_parser("search", help="检索：为一句话找到办事指南或一件事")
    p.add_argument("q", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--jsonl", help='批量：每行 {"q": "…"} 的文件（- 为标准输入），每行输出一个 JSON')
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--region")
    p.add_argument("--model")

    p = sub.add_parser("eval", help="在开发集上评估检索（BM25、向量、融合；每个模型）")
    p.add_argument("--models", help="逗号分隔，默认 e5-small,m3e-small")
    p.add_argument("--dev", help="开发集 YAML，默认 knowledge/eval/dev.yaml")
    p.add_argument("--json", action="store_true")
    p.add_argument("--calibrate", action="store_true", help="在一半问题上标定阈值，另一半报告为 held out")
    p.add_argument(
        "--write", action="store_true", help="与 --calibrate 一起：把阈值写入 knowledge/calibration.json"
    )

    p = sub.add_parser("users", help="创建工作人员账号（staff / editor / admin）")
    p.add_argument("action", choices=["add"])
    p.add_argument("username")
    p.add_argument("--role", choices=["staff", "editor", "admin"], default="staff")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（脚本用）")

    p = sub.add_parser("unanswered", help="没有匹配到事项的问题（供编辑补充相似问）：列表、关联、忽略")
    p.add_argument("action", choices=["list", "link", "dismiss"])
    p.add_argument("--id", type=int)
    p.add_argument("--code", help="link 时关联的事项编码")
    p.add_argument("--status", default="open", choices=["open", "linked", "dismissed"])
    p.add_argument("--limit", type=int, default=100)

    p = sub.add_parser("tickets", help="12345 工单：列表、详情、导出")
    p.add_argument("action", choices=["list", "show", "export"])
    p.add_argument("number", nargs="?")
    p.add_argument("--status")
    p.add_argument("--department")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--output", help="export 写入的文件")
    p.add_argument(
        "--with-contacts", action="store_true", help="export 时包含解密后的联系方式（仅供 12345 平台导入）"
    )

    p = sub.add_parser("bookings", help="预约列表（联系方式已脱敏）")
    p.add_argument("action", choices=["list"])
    p.add_argument("--day", help="YYYY-MM-DD")
    p.add_argument("--hall")
    p.add_argument("--status", choices=["booked", "cancelled"])

    p = sub.add_parser("outbox", help="转交外部系统的待投递队列：状态、立即重试、投递一轮")
    p.add_argument("action", choices=["status", "retry", "run"])
    p.add_argument("--id", type=int)

    p = sub.add_parser("train", help="训练对话模型（内容、数据和配置没变时沿用已有模型）")
    p.add_argument("--force", action="store_true", help="即使没有变化也重新训练")
    p.add_argument("--evaluate", action="store_true", help="训练后在留出集上评估意图识别并跑测试故事")

    p = sub.add_parser("chat", help="在终端里和正在运行的助手对话（先 make run）")
    p.add_argument("--url", help="服务地址，默认 http://HOST:PORT（YICHUANG_HOST/YICHUANG_PORT）")

    p = sub.add_parser("serve", help="启动服务")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    return parser


def main(argv: list[str] | None = None) -> int:
    from assistant.dialogue_server import DialogueServerError
    from foundation.errors import ServiceError

    args = build_parser().parse_args(argv)
    settings = get_settings()
    if args.command != "serve":
        from assistant.logs import setup_logging

        setup_logging("WARNING", settings.log_format)
    try:
        return _COMMANDS[args.command](args, settings)
    except DialogueServerError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except ServiceError as exc:  # the store's and the hand-offs' refusals
        print(f"错误：{exc.user_message}", file=sys.stderr)
        return 1
    finally:
        while _OPEN:
            _OPEN.pop().close()
