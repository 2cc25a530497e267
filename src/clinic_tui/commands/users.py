"""`clinic-tui users add | list | remove`: the clinicians who may unlock this workstation."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from clinic_tui.errors import ConfigError
from clinic_tui.i18n import add_translations, tr
from clinic_tui.offline_cache.local_users import (
    add_user,
    check_pin_rules,
    load_users,
    remove_user,
    users_path,
)

add_translations(
    {
        "PIN for {name}: ": "{name} 的 PIN：",
        "PIN again: ": "再次输入 PIN：",
        "the two PINs differ; nothing was changed": "两次输入的 PIN 不一致；未做任何更改",
        "Added {name} ({id}); the workstation now opens on the sign-in screen.": (
            "已添加 {name}（{id}）；工作站现在会先显示登录屏幕。"
        ),
        "Removed {id}.": "已删除 {id}。",
        "{id} is not registered on this workstation": "{id} 未在本工作站登记",
        "No clinicians registered: the workstation opens without sign-in.": (
            "未登记任何医师：工作站打开时无需登录。"
        ),
    }
)


def read_pin(name: str) -> str:
    """A new PIN from a no-echo prompt, typed twice; or one line of standard input."""
    if not sys.stdin.isatty():
        pin = sys.stdin.readline().rstrip("\r\n")
        check_pin_rules(pin)
        return pin
    pin = getpass.getpass(tr("PIN for {name}: ").format(name=name))
    check_pin_rules(pin)
    if getpass.getpass(tr("PIN again: ")) != pin:
        raise ConfigError(tr("the two PINs differ; nothing was changed"))
    return pin


def run_users(args: argparse.Namespace, data_dir: Path) -> int:
    """Run one `users` action on the clinicians file of `data_dir`."""
    if args.users_action == "add":
        user = add_user(data_dir, args.practitioner_id, args.name, read_pin(args.name))
        print(
            tr("Added {name} ({id}); the workstation now opens on the sign-in screen.").format(
                name=user.name, id=user.practitioner_id
            )
        )
        return 0
    if args.users_action == "remove":
        if not remove_user(data_dir, args.practitioner_id):
            raise ConfigError(
                tr("{id} is not registered on this workstation").format(id=args.practitioner_id)
            )
        print(tr("Removed {id}.").format(id=args.practitioner_id))
        return 0
    users = load_users(data_dir)
    if not users:
        print(tr("No clinicians registered: the workstation opens without sign-in."))
        return 0
    for user in users:
        print(f"{user.practitioner_id}\t{user.name}")
    print(f"({users_path(data_dir)})")
    return 0
