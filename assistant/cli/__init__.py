"""The ``yichuang`` command (also ``python -m assistant``): set up, import, validate, serve, operate.

One module per topic, each command beside its own arguments: ``content`` (validate, import,
export, publish, retire, restore, history, db, unanswered), ``search`` (model, search, eval),
``handoffs`` (tickets, bookings, outbox), ``accounts`` (users), ``dialogue`` (train, serve, chat).
"""

from __future__ import annotations

import argparse
import os
import sys

# OpenMP threads (the embedding engine, torch, faiss) sleep when idle instead of spinning: with
# the app and Rasa (or several workers) on a few cores, spinning threads took the cores from the
# processes with work to do (measured: 25 % of turns in Rasa mode with two workers, 92 % without).
# Read when OpenMP first loads, so before anything imports it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from assistant.cli import accounts, content, dialogue, handoffs, search
from assistant.cli.common import COMMANDS, close_services
from assistant.settings import get_settings

TOPICS = (content, search, handoffs, accounts, dialogue)  # importing them registers their commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yichuang", description="一窗导办：办事指南与一件事助手")
    sub = parser.add_subparsers(dest="command", required=True)
    order = {topic.__name__: i for i, topic in enumerate(TOPICS)}
    for cmd in sorted(COMMANDS.values(), key=lambda c: order.get(c.run.__module__, len(order))):
        cmd.arguments(sub.add_parser(cmd.name, help=cmd.help))
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
        return COMMANDS[args.command].run(args, settings)
    except DialogueServerError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except ServiceError as exc:  # the store's and the hand-offs' refusals
        print(f"错误：{exc.user_message}", file=sys.stderr)
        return 1
    finally:
        close_services()
