"""`clinic-tui followup indicators`: the follow-up figures of a period, offline from the cache.

  clinic-tui followup indicators --from 2026-01-01 --to 2026-12-31 [--csv PATH] [--pdf PATH]
                                 [--json] [--role expert]

A township sees its registered, managed-to-standard and controlled patients per programme and
who is overdue per village and clinician; a hospital expert (`--role expert`) sees the same
for the patients referred to the hospital, per township. Only argparse is imported at module
level: the parser is built on every start.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from clinic_tui.errors import ClinicError
from clinic_tui.i18n import tr


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr("{value!r} is not a date (YYYY-MM-DD)").format(value=value)
        ) from None


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `followup` command and its `indicators` subcommand."""
    followup = commands.add_parser(
        "followup",
        parents=[common],
        help=tr("chronic-disease follow-up: the indicators of a period (offline)"),
        description=tr(
            "Chronic-disease follow-up (hypertension, type 2 diabetes) from the local cache."
        ),
    )
    actions = followup.add_subparsers(dest="followup_command", metavar="ACTION")
    actions.required = True
    indicators = actions.add_parser(
        "indicators",
        parents=[common],
        help=tr("registered, managed to standard, controlled; overdue per village and clinician"),
        description=tr(
            "The 规范's indicators for the period, computed offline from the cache: patients "
            "registered per programme, managed to the standard (at least 4 follow-ups), "
            "controlled at their latest follow-up (BP < 140/90 mmHg, fasting glucose < 7.0 "
            "mmol/L), and overdue patients per village and per clinician. A hospital expert "
            "(--role expert) sees the patients referred to the hospital, per township."
        ),
    )
    indicators.add_argument(
        "--from",
        dest="start",
        type=_day,
        metavar="DATE",
        help=tr("first day (YYYY-MM-DD; default: 1 January this year)"),
    )
    indicators.add_argument(
        "--to",
        dest="end",
        type=_day,
        metavar="DATE",
        help=tr("last day, included (YYYY-MM-DD; default: today)"),
    )
    indicators.add_argument(
        "--csv", metavar="PATH", help=tr("also write the figures as CSV (UTF-8) to PATH")
    )
    indicators.add_argument("--pdf", metavar="PATH", help=tr("also write a one-page PDF to PATH"))
    indicators.add_argument("--json", action="store_true", help=tr("print JSON instead of a table"))
    indicators.add_argument(
        "--role",
        choices=("clinic", "expert"),
        default=argparse.SUPPRESS,
        help=tr(
            "clinic: this township's patients; expert: those referred to the hospital, per "
            "township (default: [clinic] role in the settings)"
        ),
    )


def run(args: argparse.Namespace, today: date | None = None) -> int:
    """Run `followup indicators`."""
    from clinic_tui.commands.encrypt import unlock_for

    unlock_for(args)
    from clinic_tui.config import load_settings
    from clinic_tui.followup.indicators import compute_indicators, write_csv, write_pdf
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.cache_file import prepare_cache
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    settings = load_settings(
        data_dir_flag=args.data_dir,
        config_flag=args.config,
        language_flag=args.lang,
        role_flag=getattr(args, "role", None),
    )
    today = today or date.today()
    start = args.start or date(today.year, 1, 1)
    end = args.end or today
    if end < start:
        raise ClinicError(tr("the period ends before it starts"))
    path = cache_path(settings.data_dir)
    prepare_cache(path)
    cache = ClinicCache(path, clinic_id=settings.clinic_id)
    referred_to = _hospital(path, cache.clinic.id) if settings.role == "expert" else None
    found = compute_indicators(cache.engine, start, end, referred_to=referred_to)
    language = settings.language
    for target, writer in ((args.csv, write_csv), (args.pdf, _pdf_writer(write_pdf))):
        if target:
            written = writer(found, Path(target).expanduser(), language)
            print(tr("wrote {path}").format(path=written), file=sys.stderr)
    if args.json:
        print(json.dumps(_as_json(found), ensure_ascii=False, indent=2))
    else:
        _print_tables(found, language)
    return 0


def _print_tables(found: Any, language: str) -> None:
    """The CSV's blocks (period, programmes, villages, clinicians) as aligned tables."""
    import csv
    import os

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from clinic_tui.domain.untrusted import clean_line
    from clinic_tui.followup.indicators import csv_text

    plain = bool(os.environ.get("NO_COLOR"))
    console = Console(soft_wrap=False, no_color=plain, highlight=False)
    block: list[list[str]] = []
    rows = [*csv.reader(csv_text(found, language).splitlines()), []]
    for row in rows:
        if row:
            block.append(row)
            continue
        if len(block) == 1:
            console.print(Text("  ".join(clean_line(cell) for cell in block[0])))
        elif block:
            table = Table(box=None if plain else box.SIMPLE_HEAD, pad_edge=False)
            for index, heading in enumerate(block[0]):
                first = index == 0
                table.add_column(heading, justify="left" if first else "right", no_wrap=first)
            for cells in block[1:]:
                # Village and clinician names come from the cache: data, never markup.
                table.add_row(*(Text(clean_line(cell)) for cell in cells))
            # Never cut a figure: wider than the terminal, the table runs on (as a CSV would).
            needed = console.measure(table, options=console.options.update_width(10_000)).maximum
            Console(
                soft_wrap=False, no_color=plain, highlight=False, width=max(console.width, needed)
            ).print(table)
        block = []


def _pdf_writer(write_pdf: Any) -> Any:
    """write_pdf with the CJK font every PDF embeds (clinic_tui.cjk_font finds it)."""
    from clinic_tui.cjk_font import CjkFontMissingError, cjk_font

    def write(found: Any, path: Path, language: str) -> Path:
        try:
            font = cjk_font()
        except CjkFontMissingError as error:
            raise ClinicError(str(error)) from error
        return Path(write_pdf(found, path, language, font=font))

    return write


def _hospital(path: Path, clinic_id: str | None) -> str | None:
    """The hospital an expert at this workstation works for (as the triage inbox finds it)."""
    from contextlib import closing

    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.referral.inbox import resolve_hospital

    with closing(connect(path)) as connection:
        return resolve_hospital(connection, clinic_id)


def _as_json(found: Any) -> dict[str, Any]:
    def programmes(figures: Any) -> list[dict[str, Any]]:
        return [
            {
                "programme": str(f.programme),
                "registered": f.registered,
                "managed_to_standard": f.managed_to_standard,
                "controlled": f.controlled,
            }
            for f in figures
        ]

    return {
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        "rules_version": found.rules_version,
        "min_visits": found.min_visits,
        "programmes": programmes(found.programmes),
        "overdue_by_village": dict(found.overdue_by_village),
        "overdue_by_clinician": dict(found.overdue_by_clinician),
        "referred_to": found.referred_to,
        "by_township": [
            {
                "organization_id": t.organization_id,
                "name": t.name,
                "programmes": programmes(t.programmes),
            }
            for t in found.by_township
        ],
    }
