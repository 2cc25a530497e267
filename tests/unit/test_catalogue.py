"""The message catalogues: every msgid the code uses (source markers, the command line as
built, argparse's own words) has its Chinese, no entry is left that no code uses, and each
translation keeps its msgid's placeholders; `--lang zh` help has no English left."""

from __future__ import annotations

import ast
import os
import re
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import i18n_catalogue as catalogue  # noqa: E402

PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifgxXeEc%]")


@pytest.fixture(scope="module")
def template() -> Any:
    """Every msgid extracted from the code as it is now."""
    return catalogue.extract()


@pytest.fixture(scope="module")
def chinese() -> Any:
    """The zh_CN catalogue as committed."""
    return catalogue.read_catalogue(catalogue.po_path("zh_CN"), "zh_CN")


def _key(message: Any) -> tuple[Any, Any]:
    return (message.id, message.context)


def _entries(catalog: Any) -> Iterator[Any]:
    return (message for message in catalog if message.id)


def test_every_msgid_the_code_uses_has_its_chinese(template: Any, chinese: Any) -> None:
    translated = {_key(m): m.string for m in _entries(chinese) if m.string and not m.fuzzy}
    missing = [
        m.id
        for m in _entries(template)
        if not (
            translated.get(_key(m)) and (not isinstance(m.id, tuple) or all(translated[_key(m)]))
        )
    ]
    assert missing == []


def test_no_catalogue_entry_is_left_that_no_code_uses(template: Any) -> None:
    used = {_key(m) for m in _entries(template)}
    for code in catalogue.catalogue_codes():
        catalog = catalogue.read_catalogue(catalogue.po_path(code), code)
        assert [m.id for m in _entries(catalog) if _key(m) not in used] == [], code


def _fields(text: str) -> list[str]:
    """The fields .format() and % fill in. A conversion may differ: Chinese puts a word in
    its own quotes (“{word}”) where English shows its repr ({word!r})."""
    braces = sorted(
        f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name is not None
    )
    return braces + sorted(PERCENT.findall(text))


def test_each_translation_keeps_its_msgids_placeholders(chinese: Any) -> None:
    wrong = []
    for message in _entries(chinese):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            # A plural's one Chinese form may fill in the count where English says "one".
            if text and all(_fields(text) != _fields(msgid) for msgid in ids):
                wrong.append(f"{message.id!r} -> {text!r}")
    assert wrong == []


def test_the_placeholder_check_sees_both_styles() -> None:
    assert _fields("{count} of {total:,}") == ["{count}", "{total}"]
    assert _fields("%(prog)s: error: %s") != _fields("%(prog)s：错误")
    assert _fields("{name!r} {count}") != _fields("“{name}”")


def test_no_add_translations_call_is_left_in_the_source() -> None:
    calls = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / "src" / "clinic_tui").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "add_translations"
    ]
    assert calls == [], "run scripts/i18n_migrate.py"


def test_the_compiled_catalogue_is_the_one_the_app_reads() -> None:
    from clinic_tui import i18n

    assert not i18n.catalogue_missing("zh"), "run make catalogues"
    assert i18n.translation_for("zh").gettext("Queue") == "候诊队列"
    assert i18n.gettext_in("en", "Queue") == "Queue"


def test_counts_take_the_languages_plural_forms() -> None:
    from clinic_tui import i18n

    try:
        i18n.set_language("en")
        one = i18n.ngettext("expected %s argument", "expected %s arguments", 1)
        two = i18n.ngettext("expected %s argument", "expected %s arguments", 2)
        assert (one, two) == ("expected %s argument", "expected %s arguments")
        i18n.set_language("zh")
        assert i18n.ngettext("expected %s argument", "expected %s arguments", 2) == "需要 %s 个参数"
    finally:
        i18n.set_language("en")


COMMANDS = [
    [],
    ["run"],
    ["demo-data"],
    ["login"],
    ["logout"],
    ["sync"],
    ["status"],
    ["seed-server"],
    ["audit"],
    ["encrypt"],
    ["decrypt"],
    ["users"],
    ["users", "add"],
    ["terminology"],
    ["terminology", "import"],
    ["terminology", "search"],
    ["serve"],
    ["formulary"],
    ["formulary", "import"],
    ["formulary", "search"],
]

ARGPARSE_ENGLISH = re.compile(r"usage:|positional arguments|options:|show this help|error:")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]+ [a-z]+ [a-z]+ [a-z]+\b")
"""Four English words in a row: a sentence left untranslated (option names are single words)."""


def _help(argv: list[str]) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "clinic_tui", "--lang", "zh", *argv, "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100"},
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv) or "clinic-tui")
def test_chinese_help_of_every_command_has_no_english_sentence(argv: list[str]) -> None:
    code, text = _help(argv)
    assert code == 0, text
    assert "用法：" in text
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("用法", "-"))]
    english = [line for line in lines if ENGLISH_SENTENCE.search(line)]
    assert english == []
    assert ARGPARSE_ENGLISH.findall(text) == []


def test_an_argparse_error_in_chinese() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "clinic_tui", "--lang", "zh", "demo-data", "--patients", "x"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "错误：参数 --patients" in done.stderr
    assert "error" not in done.stderr


def test_an_empty_text_stays_empty_in_chinese() -> None:
    """gettext("") is the catalogue's header: an empty column heading must not show it."""
    from clinic_tui import i18n

    try:
        i18n.set_language("zh")
        assert (i18n.tr(""), i18n.pgettext("prescription slip", "")) == ("", "")
    finally:
        i18n.set_language("en")


def test_a_slip_is_worded_in_its_own_language_whatever_the_sessions() -> None:
    """[printing] slip_language: the slip's words come from the catalogue of its language."""
    from clinic_tui import i18n
    from clinic_tui.prescribing.slip import kind_words, slip_words

    try:
        i18n.set_language("en")
        assert (slip_words("No.", "zh"), kind_words("psychotropic-2", "zh")) == ("处方编号", "精二")
        i18n.set_language("zh")
        assert (slip_words("No.", "en"), kind_words("psychotropic-2", "en")) == (
            "No.",
            "PSYCHOTROPIC II",
        )
        # The same English word on a screen is the queue number, not the slip's 处方编号.
        assert i18n.tr("No.") == "号"
    finally:
        i18n.set_language("en")


def test_a_word_registered_the_old_way_shows_until_it_is_folded() -> None:
    """Code from branches written before the catalogue keeps its Chinese until the converter
    folds it (and test_no_add_translations_call_is_left_in_the_source fails meanwhile)."""
    from clinic_tui import i18n

    try:
        i18n.add_translations({"Chronic follow-up due (test)": "慢病随访到期（测试）"})
        i18n.set_language("zh")
        assert i18n.tr("Chronic follow-up due (test)") == "慢病随访到期（测试）"
        assert i18n.tr("Queue") == "候诊队列"
    finally:
        i18n._pending.clear()
        i18n.set_language("en")


def test_the_allergy_tables_own_sources_are_the_marked_words() -> None:
    """The order screen shows a finding's source through tr(): the table's own cites (a
    data file the extractor does not read) must stay the words marked in allergy_check."""
    from clinic_tui.prescribing.allergy_check import OWN_SOURCE_CITES, TABLE
    from clinic_tui.prescribing.rule_tables import citation, load_table

    table = load_table(TABLE)
    assert (citation(table, "chart"), citation(table, "elsewhere")) == OWN_SOURCE_CITES
