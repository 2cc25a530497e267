"""`clinic-tui users add | list | remove`: the clinicians who may unlock this workstation."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from clinic_tui.commands.cli import settings_of, subcommand
from clinic_tui.errors import ConfigError
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.local_users import (
    add_user,
    check_pin_rules,
    load_users,
    remove_user,
    set_pin,
    users_path,
)


def read_pin(name: str, practitioner_id: str) -> str:
    """A new PIN from a no-echo prompt, typed twice; or one line of standard input.

    The PIN rules are checked before the second prompt, so a weak PIN is refused at once.
    """
    if not sys.stdin.isatty():
        pin = sys.stdin.readline().rstrip("\r\n")
        check_pin_rules(pin, practitioner_id)
        return pin
    pin = getpass.getpass(tr("PIN for {name}: ").format(name=name))
    check_pin_rules(pin, practitioner_id)
    if getpass.getpass(tr("PIN again: ")) != pin:
        raise ConfigError(tr("the two PINs differ; nothing was changed"))
    return pin


def _registered(data_dir: Path, practitioner_id: str) -> str:
    """The name of a registered clinician; ConfigError when there is none with that id."""
    for user in load_users(data_dir):
        if user.practitioner_id == practitioner_id:
            return user.name
    raise ConfigError(tr("{id} is not registered on this workstation").format(id=practitioner_id))


def run_users(args: argparse.Namespace, data_dir: Path) -> int:
    """Run one `users` action on the clinicians file of `data_dir`."""
    if args.users_action == "add":
        pin = read_pin(args.name, args.practitioner_id)
        user = add_user(data_dir, args.practitioner_id, args.name, pin)
        print(
            tr("Added {name} ({id}); the workstation now opens on the sign-in screen.").format(
                name=user.name, id=user.practitioner_id
            )
        )
        return 0
    if args.users_action == "pin":
        name = _registered(data_dir, args.practitioner_id)
        user = set_pin(data_dir, args.practitioner_id, read_pin(name, args.practitioner_id))
        from clinic_tui.offline_cache.sign_in_attempts import SignInAttempts

        # Only this clinician's count: wrong PINs on others still count towards the
        # workstation's lock-out.
        SignInAttempts(data_dir).forgive(user.practitioner_id, workstation=False)
        print(
            tr("New PIN set for {name} ({id}); their wrong-PIN count is cleared.").format(
                name=user.name, id=user.practitioner_id
            )
        )
        return 0
    if args.users_action == "unlock":
        from clinic_tui.offline_cache.sign_in_attempts import SignInAttempts

        attempts = SignInAttempts(data_dir)
        if args.practitioner_id is None:
            attempts.forgive_everyone()
            print(tr("Every count of wrong PINs cleared: everyone may sign in now."))
            return 0
        name = _registered(data_dir, args.practitioner_id)
        attempts.forgive(args.practitioner_id, workstation=False)
        print(
            tr("Wrong PINs of {name} ({id}) forgotten: they may sign in now.").format(
                name=name, id=args.practitioner_id
            )
        )
        return 0
    if args.users_action == "remove":
        if not remove_user(data_dir, args.practitioner_id):
            raise ConfigError(
                tr("{id} is not registered on this workstation").format(id=args.practitioner_id)
            )
        from clinic_tui.offline_cache.sign_in_attempts import SignInAttempts

        # Registered again later under the same id, they start with no wrong PINs.
        SignInAttempts(data_dir).forgive(args.practitioner_id, workstation=False)
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


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `users` command and its actions."""
    users = subcommand(
        commands,
        "users",
        parents=[common],
        help=tr("clinicians who may unlock this workstation with a PIN"),
        description=tr(
            "Register the clinicians of this workstation. Once one is registered, the "
            "workstation opens on a sign-in screen and locks itself when left idle; what a "
            "clinician writes carries their practitioner id. PINs are asked with a no-echo "
            "prompt (or one line of standard input), never taken from the command line."
        ),
    )
    actions = users.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = subcommand(
        actions,
        "add",
        parents=[common],
        help=tr("register a clinician"),
        description=tr(
            "Register a clinician on this workstation. The PIN (6 digits or more, not one "
            "repeated digit, a run such as 123456 or a repeated pattern) is asked twice with a "
            "no-echo prompt, or read as one line of standard input, and kept only as a salted "
            "scrypt hash."
        ),
    )
    add.add_argument(
        "--practitioner-id", required=True, metavar="ID", help=tr("FHIR Practitioner id")
    )
    add.add_argument("--name", required=True, metavar="NAME", help=tr("name shown at sign-in"))
    subcommand(
        actions,
        "list",
        parents=[common],
        help=tr("list the registered clinicians"),
        description=tr("List the clinicians registered on this workstation (never their PINs)."),
    )
    remove = subcommand(
        actions,
        "remove",
        parents=[common],
        help=tr("unregister a clinician"),
        description=tr(
            "Unregister a clinician: they can no longer unlock this workstation. What they "
            "wrote keeps their practitioner id."
        ),
    )
    remove.add_argument(
        "--practitioner-id", required=True, metavar="ID", help=tr("FHIR Practitioner id")
    )
    pin = subcommand(
        actions,
        "pin",
        parents=[common],
        help=tr("give a clinician a new PIN"),
        description=tr(
            "Set a new PIN for a registered clinician, with the same rules and prompts as add; "
            "their count of wrong PINs (and a lock-out) is cleared."
        ),
    )
    pin.add_argument(
        "--practitioner-id", required=True, metavar="ID", help=tr("FHIR Practitioner id")
    )
    unlock = subcommand(
        actions,
        "unlock",
        parents=[common],
        help=tr("clear the wrong-PIN lock-outs"),
        description=tr(
            "Clear the count of wrong PINs, and so any lock-out: of one clinician with "
            "--practitioner-id, else of every clinician and of the workstation as a whole."
        ),
    )
    unlock.add_argument("--practitioner-id", metavar="ID", help=tr("FHIR Practitioner id"))


def run(args: argparse.Namespace) -> int:
    """The chosen action on the workstation's clinicians."""
    return run_users(args, settings_of(args).data_dir)
