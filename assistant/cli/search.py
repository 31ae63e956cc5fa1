"""Models, search and evaluation: prepare the embedding models, search from the terminal, evaluate
and calibrate on the dev set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.cli.common import (
    command,
    published_entries,
)
from assistant.settings import Settings


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["prepare"])
    p.add_argument("--models", help="逗号分隔：e5-small,m3e-small 或本地模型目录；默认为设置中的模型")
    p.add_argument("--force", action="store_true", help="重新构建")


@command("model", "准备向量模型（离线构建并校验，已准备好则跳过）", _model_args)
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


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("q", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--jsonl", help='批量：每行 {"q": "…"} 的文件（- 为标准输入），每行输出一个 JSON')
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--region")
    p.add_argument("--model")


@command("search", "检索：为一句话找到办事指南或一件事", _search_args)
def _search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.matching import build_retriever

    retriever = build_retriever(settings, published_entries(settings), model=args.model)
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


def _eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", help="逗号分隔，默认 e5-small,m3e-small")
    p.add_argument("--dev", help="只评估这一个问题文件（YAML）；默认 knowledge/eval/ 下的开发集和测试集")
    p.add_argument("--json", action="store_true")
    p.add_argument("--calibrate", action="store_true", help="在开发集上标定阈值，测试集报告为 held out")
    p.add_argument(
        "--write",
        action="store_true",
        help="与 --calibrate / --learn 一起：写入 knowledge/calibration.json / knowledge/ranker.json",
    )
    p.add_argument(
        "--learn",
        action="store_true",
        help="在开发集上训练重排序与判断模型（逻辑回归），测试集报告为 learned",
    )


@command("eval", "评估检索：测试集（从不用于调参）与开发集，按来源分开报告（BM25、向量、融合）", _eval_args)
def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.matching import CALIBRATION, build_retriever
    from knowledge.eval_sets import eval_files
    from knowledge.evaluation import evaluate, format_report, load_dev_set, load_eval_set
    from knowledge.learning import training_fingerprint
    from knowledge.ranker import RANKER_FILE, LearnedDecision, save_learned

    entries = published_entries(settings)
    items = load_dev_set(entries, Path(args.dev)) if args.dev else load_eval_set(entries)
    models = args.models.split(",") if args.models else ["e5-small", "m3e-small"]
    reports = []
    for model in models:
        retriever = build_retriever(settings, entries, model=model)
        trained_on = training_fingerprint(eval_files("dev"), retriever.embedder.name)
        reports.append(
            evaluate(retriever, items, do_calibrate=args.calibrate, learn=args.learn, trained_on=trained_on)
        )
    if args.json:
        print(json.dumps([r.__dict__ for r in reports], ensure_ascii=False, indent=1, default=str))
    else:
        counts: dict[str, int] = {}
        for i in items:
            key = f"{i.part}/{i.source} {i.kind}"
            counts[key] = counts.get(key, 0) + 1
        print("questions: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print(format_report(reports))
    if args.calibrate and args.write:
        data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
        for r in reports:
            data[r.model] = r.thresholds
        CALIBRATION.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"已写入 {CALIBRATION}", file=sys.stderr)
    if args.learn and args.write:
        for r in reports:
            if r.learned:
                save_learned(r.model, LearnedDecision.from_json(r.learned))
        print(f"已写入 {RANKER_FILE}", file=sys.stderr)
    return 0


def _bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", default="10000,100000,1000000", help="合成库的文本条数，逗号分隔")
    p.add_argument("--queries", type=int, default=200, help="每种规模计时的问题数")
    p.add_argument(
        "--flat", action="store_true", help="合成库一律用精确（flat）主索引，不建 HNSW（百万条建得快得多）"
    )


@command(
    "bench", "检索性能基准：延迟、建索引、发布一条指南到可检索的时间、压缩（样例库与合成库）", _bench_args
)
def _bench(args: argparse.Namespace, settings: Settings) -> int:
    import os

    # benchmarks/ sits above the app (it imports it): the command becomes that module's process
    # (exec, so signals such as Ctrl-C or a SIGTERM reach the benchmark itself)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.bench_retrieval",
        "--sizes",
        args.sizes,
        "--queries",
        str(args.queries),
    ]
    os.execv(sys.executable, [*cmd, *(["--flat"] if args.flat else [])])
    return 0  # not reached
