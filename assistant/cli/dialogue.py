"""The dialogue: train the Rasa model, serve the app (with Rasa beside it), chat from a terminal."""

from __future__ import annotations

import argparse

from assistant.cli.common import (
    command,
    published_entries,
)
from assistant.settings import Settings


def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="即使没有变化也重新训练")
    p.add_argument("--evaluate", action="store_true", help="训练后在留出集上评估意图识别并跑测试故事")


@command("train", "训练对话模型（内容、数据和配置没变时沿用已有模型）", _train_args)
def _train(args: argparse.Namespace, settings: Settings) -> int:
    from assistant import dialogue_server as ds
    from assistant.matching import write_kb_dictionary

    result = ds.train(settings, write_kb_dictionary(settings, published_entries(settings)), force=args.force)
    if result.trained:
        print(f"对话模型已训练：{result.model}（{result.seconds:.0f} 秒，{result.size_mb:.1f} MB）")
    else:
        print(f"对话模型没有变化，沿用 {result.model}（{result.size_mb:.1f} MB）")
    if args.evaluate:
        scores = ds.evaluate_nlu(settings, result.model)
        print(
            f"意图识别（留出集 {scores.examples} 句）：macro-F1 {scores.macro_f1:.3f}，准确率 {scores.accuracy:.3f}"
        )
        for intent, f1 in sorted(scores.per_intent.items(), key=lambda kv: kv[1]):
            print(f"  {intent:<16} F1 {f1:.3f}")
        for text, expected, predicted in scores.confusions:
            print(f"  错判：{text}  应为 {expected}，识别为 {predicted}")
        ds.test_stories(settings, result.model)
        print("对话测试故事：全部通过")
    return 0


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument(
        "--no-rasa",
        action="store_true",
        help="不在旁边启动 Rasa（扩容时多开的工作进程，用 YICHUANG_RASA_URLS 里的 Rasa）",
    )


@command("serve", "启动服务", _serve_args)
def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """The app, and Rasa beside it: started, watched and stopped by the app's lifespan (so on
    SIGTERM/SIGINT too, which uvicorn re-raises after its shutdown; see assistant/supervisor.py).
    ``--no-rasa``: a further worker of a scale-out, talking to the Rasa servers of ``rasa_urls``."""
    import uvicorn

    from assistant.app import create_app

    update = {"port": args.port or settings.port, "host": args.host or settings.host}
    if args.no_rasa:
        update["rasa_autostart"] = False
    settings = settings.model_copy(update=update)
    uvicorn.run(create_app(settings, supervise=True), host=settings.host, port=settings.port, log_config=None)
    return 0


def _chat_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="服务地址，默认 http://HOST:PORT（YICHUANG_HOST/YICHUANG_PORT）")


@command("chat", "在终端里和正在运行的助手对话（先 make run）", _chat_args)
def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chat_client import run

    return run(args.url or f"http://{settings.host}:{settings.port}")
