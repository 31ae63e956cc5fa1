"""What every command shares: the registry (each command declared beside its own arguments), the
services one command opens, and how problems are printed."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass

from assistant.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: Arguments
    run: Handler


COMMANDS: dict[str, Command] = {}
_OPEN: list = []  # the services one command opened; close_services() closes them


def command(name: str, help: str, arguments: Arguments) -> Callable[[Handler], Handler]:
    """Register ``yichuang NAME``: its help line, a function adding its arguments, and the handler."""

    def register(fn: Handler) -> Handler:
        COMMANDS[name] = Command(name, help, arguments, fn)
        return fn

    return register


def open_services(settings: Settings):
    """The services for this command, built the one way (``assistant.services``) without the
    embedding model; closed when the command ends."""
    if not _OPEN:
        from assistant.services import build

        _OPEN.append(build(settings, search=False))
    return _OPEN[0]


def close_services() -> None:
    while _OPEN:
        _OPEN.pop().close()


def store_of(settings: Settings):
    return open_services(settings).store


def author_of(args: argparse.Namespace) -> str:
    return getattr(args, "author", None) or f"cli:{getpass.getuser()}"


def print_problems(problems, as_json: bool) -> None:
    if as_json:
        print(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=1))
        return
    for p in problems:
        print(p, file=sys.stderr)
    print(f"共 {len(problems)} 个问题，未做任何修改。", file=sys.stderr)


def published_entries(settings: Settings):
    entries = store_of(settings).published()
    if not entries:
        raise SystemExit("内容库为空：请先运行 yichuang import knowledge/data")
    return entries
