"""Fold `add_translations({...})` dictionaries into the zh_CN catalogue; safe to run again.

    .venv/bin/python scripts/i18n_migrate.py            # convert src/, then update the .po files
    .venv/bin/python scripts/i18n_migrate.py --dry-run  # only report what it would do

For every `add_translations({...})` whose argument is a literal dictionary of strings (found
with the ast module anywhere under src/), each entry goes into
src/clinic_tui/locale/zh_CN/LC_MESSAGES/clinic_tui.po (msgid = the English key, msgstr =
the Chinese), an entry already translated there is kept, and the call is deleted with its
import when nothing else in the module uses it. Two Chinese words for one English msgid are
a clash: the glossary's wording (shared/GLOSSARY.md, --glossary) wins when it names the
term, else the catalogue's existing wording; each clash is reported with both places, for a
person to split by msgctxt (pgettext) where the meanings differ.

Then a string defined in one place and translated elsewhere through `tr(variable)` is marked
`N_("...")` where it is defined (only strings the catalogue translates and the extractor
does not yet see), the .pot is extracted again and every .po brought in line with it.
A tree with nothing left to fold is left as it is: a second run changes nothing.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import i18n_catalogue as catalogue

SRC = catalogue.ROOT / "src"
DEFAULT_GLOSSARY = Path("/work/shared/GLOSSARY.md")
I18N_MODULE = "clinic_tui.i18n"


@dataclass
class Entry:
    """One English -> Chinese pair and where it was written."""

    english: str
    chinese: str
    where: str


@dataclass
class Found:
    """What one module holds: its entries and the source spans of its calls."""

    path: Path
    entries: list[Entry] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    """Calls whose dictionary is built from tables, not written out: evaluated."""


_EVALUATE = """
import importlib, json, sys
import clinic_tui.i18n as i18n
importlib.import_module(sys.argv[1])
print(json.dumps(i18n._pending.get("zh", {})))
"""


def evaluated(path: Path) -> list[Entry]:
    """The entries a module registers when imported (for dictionaries built from tables)."""
    module = ".".join(path.relative_to(SRC).with_suffix("").parts)
    done = subprocess.run(
        [sys.executable, "-c", _EVALUATE, module],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    where = f"{path} (evaluated)"
    return [Entry(en, zh, where) for en, zh in json.loads(done.stdout).items()]


def _literal_dict(node: ast.expr) -> dict[str, str] | None:
    if not isinstance(node, ast.Dict):
        return None
    pairs = {}
    for key, value in zip(node.keys, node.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            return None
        pairs[key.value] = value.value
    return pairs


def _is_call_to(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == name) or (
        isinstance(func, ast.Attribute) and func.attr == name
    )


def find_in(path: Path, *, zh_tables: bool = False) -> Found:
    """The add_translations calls of one file (and, with zh_tables, its `_ZH` dictionaries)."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    found = Found(path)
    for statement in ast.walk(tree):
        if not isinstance(statement, ast.Expr | ast.Assign | ast.AnnAssign):
            continue
        value = statement.value
        if value is None:
            continue
        pairs: dict[str, str] | None = None
        if _is_call_to(value, "add_translations") and isinstance(value, ast.Call):
            pairs = _literal_dict(value.args[0]) if len(value.args) == 1 else None
            if pairs is None:
                # Built from tables: the module is imported and the result read (evaluated).
                found.left.append(f"{path}:{statement.lineno}")
            found.spans.append((statement.lineno, statement.end_lineno or statement.lineno))
        elif zh_tables and isinstance(value, ast.Call) and _is_call_to(value, "update"):
            pairs = _literal_dict(value.args[0]) if value.args else None
        elif zh_tables and isinstance(statement, ast.Assign | ast.AnnAssign):
            pairs = _literal_dict(value)
        if pairs:
            for english, chinese in pairs.items():
                found.entries.append(Entry(english, chinese, f"{path}:{statement.lineno}"))
    return found


def glossary_terms(path: Path) -> dict[str, str]:
    """English -> Chinese of the glossary's tables (single terms only, lower case)."""
    if not path.exists():
        return {}
    terms = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or "/" in cells[0] or "/" in cells[1] or cells[0] in ("en", "---"):
            continue
        terms[cells[0].lower()] = cells[1]
    return terms


def delete_spans(source: str, spans: list[tuple[int, int]]) -> str:
    lines = source.splitlines(keepends=True)
    for start, end in sorted(spans, reverse=True):
        first = start - 1
        # A comment right above the call describes the dictionary: it goes with it.
        while first > 0 and lines[first - 1].lstrip().startswith("#"):
            first -= 1
        del lines[first:end]
    text = "".join(lines)
    return re.sub(r"\n{4,}", "\n\n\n", text)


def drop_unused_import(source: str, name: str) -> str:
    tree = ast.parse(source)
    used = any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(tree))
    if used:
        return source
    lines = source.splitlines(keepends=True)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module == I18N_MODULE):
            continue
        names = [alias for alias in node.names if alias.name != name]
        if len(names) == len(node.names):
            continue
        indent = lines[node.lineno - 1][: node.col_offset]
        new = (
            f"{indent}from {I18N_MODULE} import "
            + ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in names)
            + "\n"
            if names
            else ""
        )
        lines[node.lineno - 1 : node.end_lineno] = [new]
        return "".join(lines)
    return source


def _is_empty(source: str) -> bool:
    """Only a docstring and `from __future__` imports are left."""
    body = ast.parse(source).body
    return all(
        (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        or (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        for node in body
    )


def merge(
    entries: list[Entry], po: catalogue.Catalog, glossary: dict[str, str]
) -> tuple[int, list[str]]:
    """Put `entries` into the zh_CN catalogue; returns how many were new, and the clashes."""
    wanted: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        wanted[entry.english].append(entry)
    added = 0
    clashes = []
    for english, group in wanted.items():
        words = list(dict.fromkeys(e.chinese for e in group))
        message = po.get(english)
        have = message.string if message is not None and message.string else None
        choices = list(dict.fromkeys([*([have] if have else []), *words]))
        chosen = choices[0]
        if len(choices) > 1:
            chosen = glossary.get(english.lower(), chosen)
            if chosen not in choices:
                chosen = choices[0]
            places = "; ".join(f"{e.chinese} ({e.where})" for e in group)
            clashes.append(
                f"{english!r}: {' / '.join(choices)} -> {chosen}"
                + (" (glossary)" if english.lower() in glossary else "")
                + f" [{places}{'; catalogue: ' + have if have else ''}]"
            )
        if have == chosen:
            continue
        if message is None:
            po.add(english, chosen)
        else:
            message.string = chosen
        added += have is None
    return added, clashes


_SKIP_PARENTS = (ast.Compare, ast.JoinedStr, ast.MatchValue)
_CODE = re.compile(r"^[a-z][a-z0-9_.-]*$")
_CODE_KEYWORDS = {"id", "classes", "name", "key", "action", "group", "variant", "severity", "mode"}
"""Keyword arguments that take identifiers, never words for a person."""


def _docstring_ids(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            for index, statement in enumerate(body):
                # Docstrings: the first statement, and attribute docstrings after assignments.
                if (
                    isinstance(statement, ast.Expr)
                    and isinstance(statement.value, ast.Constant)
                    and isinstance(statement.value.value, str)
                    and (index == 0 or isinstance(body[index - 1], ast.Assign | ast.AnnAssign))
                ):
                    ids.add(id(statement.value))
    return ids


def mark_spots(source: str, wanted: set[str]) -> list[ast.Constant]:
    """String constants equal to a wanted msgid, outside markers, docstrings and annotations."""
    tree = ast.parse(source)
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    skip = _docstring_ids(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and any(
            _is_call_to(node, name) for name in (*catalogue.KEYWORDS, "add_translations")
        ):
            skip.update(id(sub) for sub in ast.walk(node))
        if isinstance(node, ast.AnnAssign | ast.arg) and node.annotation is not None:
            skip.update(id(sub) for sub in ast.walk(node.annotation))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            skip.update(id(sub) for sub in ast.walk(node.returns))
        if isinstance(node, ast.Subscript):
            skip.update(id(sub) for sub in ast.walk(node.slice))
        if isinstance(node, ast.Dict):
            skip.update(id(key) for key in node.keys if key is not None)
        if isinstance(node, ast.Set):
            # Sets of codes are for membership tests, never shown.
            skip.update(id(element) for element in node.elts)
    lines = source.splitlines()
    for node in ast.walk(tree):
        # A hand-aligned table (`# fmt: skip`) holds codes; markers would break its layout.
        if isinstance(node, ast.stmt) and lines[
            (node.end_lineno or node.lineno) - 1
        ].rstrip().endswith("# fmt: skip"):
            skip.update(id(sub) for sub in ast.walk(node))
    spots = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if node.value not in wanted or id(node) in skip:
            continue
        parent = parents.get(id(node))
        if isinstance(parent, _SKIP_PARENTS):
            continue
        if isinstance(parent, ast.keyword) and parent.arg in _CODE_KEYWORDS:
            continue
        if _CODE.match(node.value):
            # A lower-case code ("active", "name", "update") is mostly a key or a FHIR code,
            # whatever tr() makes of it somewhere: a person marks the table of codes that is
            # shown (the run reports it as unused until then).
            continue
        spots.append(node)
    return spots


def with_siblings(source: str, spots: list[ast.Constant], known: set[str]) -> list[ast.Constant]:
    """`spots`, and the other words of each table a spot sits in (dict values, tuple or list
    items that are msgids too), so that a table is marked whole, not word by word."""
    tree = ast.parse(source)
    chosen = {(n.lineno, n.col_offset) for n in spots}
    extra = []
    for node in ast.walk(tree):
        items = node.values if isinstance(node, ast.Dict) else getattr(node, "elts", None)
        if not isinstance(node, ast.Dict | ast.Tuple | ast.List) or items is None:
            continue
        constants = [i for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
        if not any((c.lineno, c.col_offset) in chosen for c in constants):
            continue
        for item in constants:
            spot = (item.lineno, item.col_offset)
            if spot not in chosen and item.value in known and not _CODE.match(item.value):
                extra.append(item)
                chosen.add(spot)
    return [*spots, *extra]


def wrap(source: str, spots: list[ast.Constant]) -> str:
    lines = source.splitlines(keepends=True)
    encoded = [line.encode("utf-8") for line in lines]
    for node in sorted(spots, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        end_line, end_col = (node.end_lineno or node.lineno) - 1, node.end_col_offset or 0
        encoded[end_line] = encoded[end_line][:end_col] + b")" + encoded[end_line][end_col:]
        start = node.lineno - 1
        col = node.col_offset
        encoded[start] = encoded[start][:col] + b"N_(" + encoded[start][col:]
    return b"".join(encoded).decode("utf-8")


def _ensure_import(source: str, name: str) -> str:
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == I18N_MODULE:
            if any(alias.name == name for alias in node.names):
                return source
            lines = source.splitlines(keepends=True)
            names = sorted([*(a.name for a in node.names), name], key=str.lower)
            lines[node.lineno - 1 : node.end_lineno] = [
                f"from {I18N_MODULE} import {', '.join(names)}\n"
            ]
            return "".join(lines)
    # After the last top-level import (or the module docstring and __future__).
    last = max(
        (n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)),
        default=0,
    )
    lines = source.splitlines(keepends=True)
    lines.insert(last, f"from {I18N_MODULE} import {name}\n")
    return "".join(lines)


MARKED: list[Path] = []
"""Files the marking step changed (formatted at the end with the converted ones)."""


def mark_defined_words(translated: set[str], extracted: set[str], dry_run: bool) -> list[str]:
    """Wrap in N_() each definition of a translated msgid the extractor does not see (with
    the rest of its table)."""
    wanted = translated - extracted
    changed = []
    if not wanted:
        return changed
    for path in sorted((SRC / "clinic_tui").rglob("*.py")):
        if path.name == "i18n.py":
            continue
        source = path.read_text(encoding="utf-8")
        spots = mark_spots(source, wanted)
        if spots:
            spots = with_siblings(source, spots, translated)
        if not spots:
            continue
        changed.append(f"{path.relative_to(catalogue.ROOT)}: N_() on {len(spots)} strings")
        MARKED.append(path)
        if not dry_run:
            new = _ensure_import(wrap(source, spots), "N_")
            path.write_text(new, encoding="utf-8")
    return changed


def _msgids(catalog: catalogue.Catalog) -> set[str]:
    return {m.id for m in catalog if m.id and isinstance(m.id, str) and not m.context}


def main(argv: list[str] | None = None) -> int:
    """Fold, mark, extract and update; print what was done and what a person must decide."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="change nothing, only report")
    parser.add_argument("--glossary", type=Path, default=DEFAULT_GLOSSARY)
    parser.add_argument(
        "--tables",
        type=Path,
        action="append",
        default=[],
        help="also read _ZH = {...} / _ZH.update({...}) dictionaries from this file (read only)",
    )
    parser.add_argument("--no-mark", action="store_true", help="do not add N_() markers")
    options = parser.parse_args(argv)

    zh_path = catalogue.po_path("zh_CN")
    po = catalogue.read_catalogue(zh_path, "zh_CN")
    en_path = catalogue.po_path("en")
    found = [find_in(path) for path in sorted(SRC.rglob("*.py"))]
    found += [find_in(path, zh_tables=True) for path in options.tables]
    for module in found:
        if module.left:
            print(f"evaluating (dictionary built from tables): {', '.join(module.left)}")
            module.entries += evaluated(module.path)
    entries = [entry for module in found for entry in module.entries]
    added, clashes = merge(entries, po, glossary_terms(options.glossary))
    calls = sum(len(module.spans) for module in found)
    print(f"{calls} add_translations calls, {len(entries)} entries, {added} new msgids")
    for clash in clashes:
        print(f"clash: {clash}")
    if options.dry_run:
        return 0

    catalogue.write_catalogue(po, zh_path)
    if not en_path.exists():
        catalogue.write_catalogue(catalogue.read_catalogue(en_path, "en"), en_path)
    touched = []
    for module in found:
        if not module.spans:
            continue
        source = module.path.read_text(encoding="utf-8")
        source = drop_unused_import(delete_spans(source, module.spans), "add_translations")
        touched.append(module.path)
        if _is_empty(source):
            module.path.unlink()
            print(f"deleted (nothing left in it): {module.path.relative_to(catalogue.ROOT)}")
            continue
        module.path.write_text(source, encoding="utf-8")

    if not options.no_mark:
        extracted = _msgids(catalogue.extract())
        for line in mark_defined_words(_msgids(po), extracted, dry_run=False):
            print(f"marked: {line}")
    template = catalogue.extract()
    catalogue.write_pot(template)
    for code, unused in catalogue.update(template, drop=False).items():
        for msgid in unused:
            print(f"{code}: kept, but no code uses it (mark it, or `make po` drops it): {msgid!r}")
    ruff = Path(sys.executable).with_name("ruff")
    edited = [str(path) for path in dict.fromkeys([*touched, *MARKED]) if path.exists()]
    if edited and ruff.exists():
        # The project's own ruff settings (pyproject.toml), on the files this run edited only.
        root = str(catalogue.ROOT)
        subprocess.run([str(ruff), "format", "--quiet", *edited], check=False, cwd=root)
        subprocess.run([str(ruff), "check", "--quiet", "--fix", *edited], check=False, cwd=root)
    zh = catalogue.read_catalogue(zh_path, "zh_CN")
    untranslated = [m.id for m in zh if m.id and not m.string]
    print(
        f"{len(touched)} files converted; zh_CN: {len(zh)} msgids, {len(untranslated)} untranslated"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
