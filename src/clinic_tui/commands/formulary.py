"""`clinic-tui formulary`: import a hospital's formulary into the cache, search it from the shell.

  clinic-tui formulary import --from PATH.csv
  clinic-tui formulary import --from PATH.toml   (the starter's shape, checked by its schema)
  clinic-tui formulary import --from gnuhealth_who_essential_medicines-*.whl   (unreviewed)
  clinic-tui formulary search TEXT [--limit N]
  clinic-tui formulary coverage   (per drug: which limits and cautions the checks have)

The CSV's columns are in the README ("Importing a hospital formulary"). A file with any bad row
is refused whole, each problem with its row number. Only argparse is imported at module level:
the parser is built on every start.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from clinic_tui.commands.cache_tables import (
    command_settings,
    load_builtin,
    ready_cache,
    write_into,
)
from clinic_tui.errors import ClinicError
from clinic_tui.i18n import N_, ngettext, os_reason, tr


class FormularyFileError(ClinicError):
    """The formulary file cannot be read or holds bad rows (nothing was imported)."""

    exit_code = 4


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `formulary` command and its `import` and `search` subcommands."""
    formulary = commands.add_parser(
        "formulary",
        parents=[common],
        help=tr("import a hospital's formulary into the cache (offline) or search it"),
        description=tr(
            "The drugs prescriptions are written from live in the cache, offline. A starter "
            "formulary of essential medicines is built in; add a hospital's own with "
            "`formulary import`."
        ),
    )
    actions = formulary.add_subparsers(dest="formulary_command", metavar="ACTION")
    actions.required = True
    importer = actions.add_parser(
        "import",
        parents=[common],
        help=tr(
            "load a hospital formulary from a CSV or TOML file (again: updates, never duplicates)"
        ),
        description=tr(
            "Load drugs from a CSV file, one row per form and strength (columns: README, "
            "'Importing a hospital formulary'). A drug whose code is already in the cache is "
            "replaced. Any bad row refuses the whole file, each problem with its row number."
        ),
    )
    importer.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="PATH",
        help=tr("the CSV file, or a TOML file of the starter formulary's shape"),
    )
    search = actions.add_parser(
        "search",
        parents=[common],
        help=tr("search drugs as the order line completes them (name, Chinese, pinyin)"),
        description=tr(
            "Search the cache's formulary as the order line does: English or Chinese names, "
            "abbreviations, pinyin initials (amxl for 阿莫西林)."
        ),
    )
    search.add_argument("text", metavar="TEXT", help=tr("what a doctor would type"))
    actions.add_parser(
        "coverage",
        parents=[common],
        help=tr("per drug, which dose limits and cautions the safety checks have"),
        description=tr(
            "For each drug of the cache's formulary: adult maximum a day and a dose, "
            "children's dose, minimum age, pregnancy, renal and elderly data, and the row's "
            "review state. Blank means the checks have nothing for it."
        ),
    )
    search.add_argument(
        "--limit", type=int, default=10, metavar="N", help=tr("most drugs shown (default: 10)")
    )


def load_starter_formulary(path: Path) -> bool:
    """Load or refresh the starter formulary in the prepared cache at `path`.

    False when another process holds the cache for writing: the next start loads it.
    """
    from clinic_tui.prescribing.formulary_store import ensure_starter_formulary

    return load_builtin(path, "the starter formulary", ensure_starter_formulary)


def run_formulary(args: argparse.Namespace) -> int:
    """Run `formulary import` or `formulary search`."""
    settings = command_settings(args)
    if args.formulary_command == "import":
        source = Path(args.source).expanduser()
        if source.is_dir() or source.name.endswith((".whl", ".tar.gz", ".zip")):
            return _import_who(ready_cache(settings, load_starter_formulary), source)
        drugs = _read_toml(source) if source.suffix.lower() == ".toml" else _read(source)
        return _import(ready_cache(settings, load_starter_formulary), source.name, drugs)
    path = ready_cache(settings, load_starter_formulary)
    if args.formulary_command == "coverage":
        return _coverage(path)
    return _search(path, args.text, max(args.limit, 1))


def _read_toml(source: Path) -> list[Any]:
    from clinic_tui.prescribing.formulary import FormularyDataError, drugs_from_toml

    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FormularyFileError(
            tr("cannot read {path}: {reason}").format(path=source, reason=error)
        ) from error
    try:
        return drugs_from_toml(text, source.name)
    except (FormularyDataError, ValueError, KeyError) as error:
        # tomllib's own errors are ValueErrors: a broken file says where, nothing is imported.
        raise FormularyFileError(
            tr("{path}: {reason}; nothing was imported").format(path=source, reason=error)
        ) from error


def _coverage(path: Path) -> int:
    import os

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.prescribing.content import (
        COLUMNS,
        cell_words,
        content_version_text,
        coverage,
        heading_words,
        table_reviews,
    )
    from clinic_tui.prescribing.formulary_store import read_formulary

    with closing(connect(path)) as connection:
        formulary = read_formulary(connection)
    rows = coverage(sorted(formulary.drugs, key=lambda drug: drug.code))
    plain = bool(os.environ.get("NO_COLOR"))
    table = Table(
        box=None if plain else box.SIMPLE_HEAD,
        pad_edge=False,
        title=tr("Formulary coverage, content {version}").format(version=content_version_text()),
    )
    table.add_column(tr("code"), overflow="fold", max_width=18)
    for heading in (*(name for name, _ in COLUMNS), "rev"):
        table.add_column(heading_words(heading), no_wrap=True)
    for row in rows:
        # Drug names come from an imported file: data, never markup. The cells' short codes
        # are worded in the language in force ('avoid' is 避免).
        table.add_row(
            Text(row.code), *(Text(cell_words(cell) or "-") for cell in row.cells),
            Text(tr("yes") if row.review == "reviewed" else tr("no")),
        )  # fmt: skip
    Console(soft_wrap=False, no_color=plain, highlight=False).print(table)
    blank = [
        name for index, (name, _) in enumerate(COLUMNS) if not any(r.cells[index] for r in rows)
    ]
    print(tr("max/d, max/dose: adult maximum a day, a dose; age: minimum age; 65+: elderly "
             "caution; rev: reviewed. ? = no source read gives it (unverified), indiv = the "
             "source sets no fixed maximum (dosed individually), - = none. "
             "{count} drugs; columns empty for every drug: {names}").format(
        count=len(rows), names=tr(", ").join(heading_words(name) for name in blank) or "-"
    ))  # fmt: skip
    for review in table_reviews():
        print(
            tr("{table} {version}: {reviewed} of {rows} rows reviewed").format(
                table=review.table,
                version=review.version,
                reviewed=review.reviewed,
                rows=review.rows,
            )
        )
    return 0


def _read(source: Path) -> list[Any]:
    from clinic_tui.domain.bounded_read import TooLargeError, read_file
    from clinic_tui.domain.untrusted import clean_line
    from clinic_tui.prescribing.formulary_csv import (
        MAX_BYTES,
        FormularyCsvError,
        FormularyEncodingError,
        decode,
        read_formulary_csv,
    )

    try:
        # Capped: a million-row file is refused before it is read, not after 500 MB.
        data = read_file(source, MAX_BYTES)
    except OSError as error:
        raise FormularyFileError(
            tr("cannot read {path}: {reason}").format(path=source, reason=os_reason(error))
        ) from error
    except TooLargeError as error:
        raise FormularyFileError(f"{source}: {error}") from error
    try:
        return read_formulary_csv(decode(data))
    except FormularyEncodingError as error:
        raise FormularyFileError(f"{source}: {error}") from error
    except FormularyCsvError as error:
        for row, reason in error.problems:
            line = tr("{path}, row {row}: {reason}").format(path=source, row=row, reason=reason)
            print(clean_line(line), file=sys.stderr)
        raise FormularyFileError(
            ngettext(
                "{path}: {count} problem; nothing was imported",
                "{path}: {count} problems; nothing was imported",
                len(error.problems),
            ).format(path=source, count=len(error.problems))
        ) from error


def _import(path: Path, label: str, drugs: list[Any]) -> int:
    from clinic_tui.prescribing.formulary_store import write_drugs

    result = write_into(
        path, "the formulary", lambda connection: write_drugs(connection, drugs, label)
    )
    print(
        tr(
            "{total} drugs from {source}: {added} added, {updated} updated, {unchanged} unchanged "
            "(into {path})."
        ).format(
            total=result.total,
            source=label,
            added=result.added,
            updated=result.updated,
            unchanged=result.unchanged,
            path=path,
        )
    )
    return 0


def _import_who(path: Path, source: Path) -> int:
    from clinic_tui.prescribing.formulary_store import read_formulary, write_drugs
    from clinic_tui.prescribing.gnuhealth_formulary import (
        GnuhealthFileError,
        read_who_essential_medicines,
    )

    def write(connection: Any) -> tuple[Any, str, Any]:
        try:
            package = read_who_essential_medicines(source, read_formulary(connection))
        except GnuhealthFileError as error:
            raise FormularyFileError(str(error)) from error
        label = f"gnuhealth-who-essential-medicines {package.version}".strip()
        return package, label, write_drugs(connection, package.drugs, label, reviewed=False)

    package, label, result = write_into(path, "the formulary", write)
    print(
        tr(
            "{total} WHO essential medicines from {source}: {added} added, {updated} updated, "
            "{unchanged} unchanged; {present} already in the formulary and {other} without a "
            "tablet or capsule strength left out. Their Chinese names are unreviewed: "
            "search finds them, the 通用名 shown is the English name until a CSV import gives "
            "the label name."
        ).format(
            total=result.total,
            source=label,
            added=result.added,
            updated=result.updated,
            unchanged=result.unchanged,
            present=package.skipped_present,
            other=package.skipped_no_oral_solid,
        )
    )
    return 0


def _search(path: Path, text: str, limit: int) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from clinic_tui.domain.untrusted import clean_line
    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.prescribing.formulary_store import (
        STARTER_SOURCE,
        drug_sources,
        read_formulary,
    )

    with closing(connect(path)) as connection:
        formulary = read_formulary(connection)
        sources = drug_sources(connection)
    hits = formulary.complete(text, limit)
    if not hits:
        print(tr("No drug matches {text!r}.").format(text=clean_line(text)))
        return 1
    table = Table(box=None, pad_edge=False)
    for heading in (N_("code"), "通用名", N_("name"), "ATC", N_("strengths"), N_("source")):
        table.add_column(tr(heading), overflow="fold")
    for drug in hits:
        strengths = ", ".join(
            f"{p.strength:g} {p.strength_unit} {p.unit_zh}" for p in drug.products
        )
        source, reviewed = sources.get(drug.code, ("", True))
        name_zh = drug.name_zh if reviewed else tr("(unreviewed) {name}").format(name=drug.name_zh)
        # Imported names are data: cleaned, and drawn as Text (never parsed as markup).
        # The built-in formulary's label is a word of ours; an imported file's name is data.
        shown = tr(N_("starter")) if source == STARTER_SOURCE else source
        cells = (drug.code, name_zh, drug.name_en, drug.atc, strengths, shown)
        table.add_row(*(Text(clean_line(cell)) for cell in cells))
    Console(soft_wrap=False).print(table)
    return 0


def run(args: argparse.Namespace) -> int:
    """The chosen action on the cache."""
    return run_formulary(args)
