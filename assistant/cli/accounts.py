"""Staff accounts (staff / editor / admin)."""

from __future__ import annotations

import argparse
import getpass
import sys

from assistant.cli.common import (
    command,
    open_services,
)
from assistant.settings import Settings


def _users_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["add"])
    p.add_argument("username")
    p.add_argument("--role", choices=["staff", "editor", "admin"], default="staff")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（脚本用）")
    p.add_argument("--department", default=None, help="承办部门：工单台只显示、只能办理这个部门的工单")


@command("users", "创建工作人员账号（staff / editor / admin）", _users_args)
def _users(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.auth import AuthError

    password = (
        sys.stdin.readline().rstrip("\n")
        if args.password_stdin
        else getpass.getpass("密码（至少 10 个字符）：")
    )
    try:
        user = open_services(settings).accounts.add(args.username, password, args.role, args.department)
    except AuthError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print(f"已创建 {user.role} 账号 {user.username}" + (f"（{user.department}）" if user.department else ""))
    return 0
