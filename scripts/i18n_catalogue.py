"""The message catalogues: extract every msgid, update the .po files, compile the .mo files.

    python scripts/i18n_catalogue.py pot       # write build/locale/clinic_tui.pot
    python scripts/i18n_catalogue.py update    # pot, then bring every .po in line with it
    python scripts/i18n_catalogue.py compile   # .po -> .mo beside it (what the build does)

Msgids come from three places: the source (tr, N_, ngettext, pgettext, gettext_in), the
command line as built (help and descriptions the parser holds, walked in a child process),
and argparse's own words ("usage: ", "options"), which argparse looks up through gettext.
Needs Babel (a build and dev dependency); the app itself reads the .mo with the stdlib.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "clinic_tui"
LOCALE = PACKAGE / "locale"
DOMAIN = "clinic_tui"
POT = ROOT / "build" / "locale" / f"{DOMAIN}.pot"

KEYWORDS: dict[str, Any] = {
    "tr": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "gettext_in": (2,),
    "NC_": ((1, "c"), 2),
    "pgettext_in": ((2, "c"), 3),
}
"""The marker functions of clinic_tui.i18n, as pybabel's -k options spell them."""

ARGPARSE_KEYWORDS: dict[str, Any] = {"_": None, "ngettext": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)
CLI_CONTEXT = "command line"
"""Comment on the msgids found only by walking the built parser."""

_PARSER_WALK = r"""
import argparse, json, sys
import clinic_tui.i18n as i18n
MARK = "\x00"
seen = []
def tr(text):
    seen.append(text)
    return MARK + text
i18n.tr = tr
from clinic_tui.__main__ import build_parser
found = []
def visit(parser):
    for text in (parser.description, parser.epilog):
        if text:
            found.append(text)
    for group in parser._action_groups:
        for text in (group.title, group.description):
            if text:
                found.append(text)
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            found.append(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help:
                    found.append(choice.help)
            for sub in dict.fromkeys(action.choices.values()):
                visit(sub)
visit(build_parser())
raw = [text for text in found if not text.startswith(MARK)]
print(json.dumps({"tr": seen, "raw": raw}))
"""


def parser_words() -> tuple[list[str], list[str]]:
    """Texts the built parser passes through tr() and help texts it holds untranslated."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", _PARSER_WALK],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    words = json.loads(done.stdout)
    return list(words["tr"]), list(words["raw"])


Message = tuple[int, "str | tuple[str, ...]", "str | None", list[str]]
"""Line, msgid (a tuple for singular and plural), msgctxt, translator comments."""


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _comments(lines: list[str], lineno: int) -> list[str]:
    """`# TRANSLATORS:` comment lines right above line `lineno`, for the translator."""
    found = []
    index = lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#"):
        text = lines[index].strip().lstrip("#").strip()
        if text.startswith(COMMENT_TAGS):
            found.insert(0, text.split(":", 1)[1].strip())
        index -= 1
    return found


def extract_python(path: Path, keywords: dict[str, Any]) -> Iterator[Message]:
    """(line, msgid or (singular, plural), context, comments) of each marked call in `path`.

    The ast module, not a tokenizer: a call inside an f-string is found too."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name not in keywords:
            continue
        spec = keywords[name] or (1,)
        if spec == (1,) and node.args and isinstance(node.args[0], ast.IfExp):
            # tr("Synced: " if done else "Synced with problems: "): both are msgids.
            for branch in (node.args[0].body, node.args[0].orelse):
                if (text := _string(branch)) is not None:
                    yield node.lineno, text, None, _comments(lines, node.lineno)
            continue
        context = None
        texts: list[str] = []
        for position in spec:
            if isinstance(position, tuple):
                index = position[0] - 1
                context = _string(node.args[index]) if len(node.args) > index else None
                if context is None:
                    break
                continue
            text = _string(node.args[position - 1]) if len(node.args) >= position else None
            if text is None:
                break
            texts.append(text)
        else:
            if texts:
                message = texts[0] if len(texts) == 1 else tuple(texts)
                yield node.lineno, message, context, _comments(lines, node.lineno)


def extract() -> Catalog:
    """Every msgid of the app, as a template catalogue (no translations)."""
    catalog = Catalog(project="clinic-tui", domain=DOMAIN, fuzzy=False)
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for line, message, context, comments in extract_python(path, KEYWORDS):
            catalog.add(message, None, [(where, line)], auto_comments=comments, context=context)
    import argparse as argparse_module

    where = f"argparse.py (Python {sys.version_info[0]}.{sys.version_info[1]})"
    for line, message, context, comments in extract_python(
        Path(argparse_module.__file__), ARGPARSE_KEYWORDS
    ):
        catalog.add(message, None, [(where, line)], auto_comments=comments, context=context)
    through_tr, raw = parser_words()
    for text in [*through_tr, *raw]:
        if text not in catalog:
            catalog.add(text, None, [("src/clinic_tui/__main__.py", 0)], [CLI_CONTEXT])
    return catalog


def po_path(code: str) -> Path:
    """The .po file of catalogue `code` (zh_CN, en, ...)."""
    return LOCALE / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_codes() -> list[str]:
    """The languages that have a catalogue file."""
    return sorted(path.parents[1].name for path in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalogue(path: Path, code: str) -> Catalog:
    """The .po at `path`, or an empty catalogue of `code` when there is none yet."""
    if not path.exists():
        return Catalog(locale=code, domain=DOMAIN, project="clinic-tui", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=code, domain=DOMAIN)


def write_catalogue(catalog: Catalog, path: Path) -> None:
    """Write `catalog` sorted and without line numbers, so that merges rarely clash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False
    with path.open("wb") as handle:
        write_po(
            handle,
            catalog,
            width=0,
            sort_output=True,
            include_lineno=False,
            ignore_obsolete=True,
        )


def write_pot(template: Catalog) -> Path:
    """Write the template to build/locale/clinic_tui.pot."""
    POT.parent.mkdir(parents=True, exist_ok=True)
    with POT.open("wb") as handle:
        write_po(handle, template, width=0, sort_output=True, include_lineno=False)
    return POT


def update(template: Catalog, *, drop: bool = True) -> dict[str, list[str]]:
    """Bring every .po in line with `template`: new msgids added empty, unused ones dropped
    (or, with drop=False, kept for a person to look at: the catalogue test names them).

    Returns, per catalogue, the msgids no code uses."""
    unused: dict[str, list[str]] = {}
    for code in catalogue_codes():
        path = po_path(code)
        catalog = read_catalogue(path, code)
        catalog.update(
            template,
            no_fuzzy_matching=True,
            update_header_comment=False,
            update_creation_date=False,
        )
        unused[code] = [str(key) for key in catalog.obsolete]
        if not drop:
            for message in catalog.obsolete.values():
                catalog[message.id] = message
        catalog.obsolete.clear()
        write_catalogue(catalog, path)
    return unused


def compile_all(locale_dir: Path = LOCALE) -> list[Path]:
    """Compile each locale/<code>/LC_MESSAGES/clinic_tui.po to the .mo beside it."""
    written = []
    for path in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=path.parents[1].name, domain=DOMAIN)
        target = path.with_suffix(".mo")
        with target.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """pot, update or compile (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("pot", "update", "compile"))
    step = parser.parse_args(argv).step
    if step == "compile":
        for path in compile_all():
            print(f"compiled {path.relative_to(ROOT)}")
        return 0
    template = extract()
    print(f"{write_pot(template).relative_to(ROOT)}: {len(template)} msgids")
    if step == "update":
        for code, gone in update(template).items():
            for msgid in gone:
                print(f"{code}: dropped (no code uses it): {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
