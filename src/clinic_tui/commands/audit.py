"""`clinic-tui audit --patient ID`: who opened or changed a patient's records here, and when.

`clinic-tui audit --sign-ins`: every right PIN, wrong PIN and lock-out on this workstation
(never a PIN); `--json` keys: recorded, kind (signed_in, wrong_pin, locked_out),
practitioner_id, name, detail, sent, refused.

Reads the cache only (no network): every chart opening and every write made on this
workstation, newest first, with whether the server holds the record yet. `--json` prints
a list of objects with stable keys: recorded, action, entity, agent, agent_name, sent,
refused.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from clinic_tui.commands.cli import settings_of, subcommand
from clinic_tui.config import Settings
from clinic_tui.i18n import N_, tr


def _who(record: dict[str, Any]) -> str:
    if record["agent"]:
        name = f" {record['agent_name']}" if record["agent_name"] else ""
        return f"{record['agent']}{name}"
    if record["agent_name"]:
        return tr("(workstation user {name})").format(name=record["agent_name"])
    return tr("unknown")


def _when(recorded: str) -> str:
    """The record's time on this computer's clock, to the second (the JSON keeps it whole)."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(recorded).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return recorded


def _on_server(record: dict[str, Any]) -> str:
    if record["sent"]:
        return tr("yes")
    if record["refused"]:
        return tr("refused: {reason}").format(reason=record["refused"])
    return tr("waiting to upload")


def show_audit(settings: Settings, patient_id: str, *, as_json: bool = False) -> int:
    """Print the patient's audit trail; exit 0, or 2 when there is no cache to read."""
    from clinic_tui.locations import cache_path

    path = cache_path(settings.data_dir)
    if not path.exists():
        print(
            tr("No cache at {path}: nothing has been recorded on this workstation.").format(
                path=path
            )
        )
        return 2
    from clinic_tui.offline_cache.audit import AuditTrail
    from clinic_tui.offline_cache.cache_file import prepare_cache
    from clinic_tui.offline_cache.engine import create_cache_engine

    prepare_cache(path)  # an older cache gains its audit table, as any command opening it would
    engine = create_cache_engine(path)
    try:
        records = [asdict(record) for record in AuditTrail(engine).for_patient(patient_id)]
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if not records:
        print(
            tr("No audit records for patient {patient} in this cache.").format(patient=patient_id)
        )
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from clinic_tui.domain.untrusted import clean_line

    def cell(value: str) -> Text:
        # Names and reasons came from people and servers: data, never markup.
        return Text(clean_line(value))

    title = tr("Audit trail of patient {patient}").format(patient=clean_line(patient_id))
    table = Table(title=Text(title))
    table.add_column(tr("When"), no_wrap=True)
    for heading in (N_("What was done"), N_("Record"), N_("Who"), N_("On the server")):
        table.add_column(tr(heading))
    for record in records:
        table.add_row(
            cell(_when(record["recorded"])),
            cell(tr(record["action"])),
            cell(record["entity"]),
            cell(_who(record)),
            cell(_on_server(record)),
        )
    Console().print(table)
    return 0


_ACTIONS = (N_("read"), N_("create"), N_("update"), N_("delete"))
"""An audit record's action (domain/audit.py ACTIONS), shown through tr(record["action"])."""

_SIGN_IN_WORDS = {
    "signed_in": N_("signed in"),
    "wrong_pin": N_("wrong PIN"),
    "locked_out": N_("locked out"),
}


def show_sign_ins(settings: Settings, *, as_json: bool = False) -> int:
    """Print the sign-in events of this workstation's cache; exit 0, or 2 with no cache."""
    from clinic_tui.locations import cache_path

    path = cache_path(settings.data_dir)
    if not path.exists():
        print(
            tr("No cache at {path}: nothing has been recorded on this workstation.").format(
                path=path
            )
        )
        return 2
    from clinic_tui.offline_cache.cache_file import prepare_cache
    from clinic_tui.offline_cache.sign_in_audit import SignInAudit

    prepare_cache(path)
    records = [asdict(record) for record in SignInAudit(path).records()]
    if as_json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if not records:
        print(tr("No sign-ins recorded in this cache."))
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=tr("Sign-ins on this workstation"))
    table.add_column(tr("When"), no_wrap=True)
    for heading in (N_("What was done"), N_("Clinician"), N_("Detail"), N_("On the server")):
        table.add_column(tr(heading))
    from clinic_tui.domain.untrusted import clean_line

    for record in records:
        # Text, not markup: a clinician's name is typed by whoever registered them.
        table.add_row(
            _when(record["recorded"]),
            tr(_SIGN_IN_WORDS.get(record["kind"], "unknown")),
            Text(clean_line(f"{record['practitioner_id']} {record['name']}".strip())),
            Text(clean_line(record["detail"])),
            Text(clean_line(_on_server(record))),
        )
    Console().print(table)
    return 0


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `audit` command."""
    audit = subcommand(
        commands,
        "audit",
        parents=[common],
        help=tr("who opened or changed a patient's records on this workstation (offline)"),
        description=tr(
            "List the audit trail of one patient kept in the cache, newest first: every chart "
            "opening and every change made here, who did it, and whether the server holds the "
            "record yet; or, with --sign-ins, every sign-in, wrong PIN and lock-out. The sync "
            "sends these records to the server as AuditEvents."
        ),
    )
    which = audit.add_mutually_exclusive_group(required=True)
    which.add_argument("--patient", metavar="ID", help=tr("the patient's id"))
    which.add_argument(
        "--sign-ins",
        action="store_true",
        help=tr("sign-ins instead: right and wrong PINs and lock-outs, never a PIN"),
    )
    audit.add_argument("--json", action="store_true", help=tr("machine-readable output"))


def run(args: argparse.Namespace) -> int:
    """The patient's audit trail, or the sign-ins."""
    settings = settings_of(args)
    if args.sign_ins:
        return show_sign_ins(settings, as_json=args.json)
    return show_audit(settings, args.patient, as_json=args.json)
