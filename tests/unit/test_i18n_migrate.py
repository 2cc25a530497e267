"""scripts/i18n_migrate.py, the converter the lead reruns after merging branches that still
add `add_translations({...})`: it folds, deletes, keeps what is there, and a second run
changes nothing."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import i18n_migrate as migrate  # noqa: E402

SCREEN = '''"""A screen."""

from __future__ import annotations

from clinic_tui.i18n import add_translations, tr

# The Chinese of this screen.
add_translations(
    {
        "Queue": "候诊队列",
        "Call next": "叫号",
    }
)

TITLE = tr("Queue")
'''


def _convert(path: Path, po: Catalog) -> tuple[int, list[str]]:
    found = migrate.find_in(path)
    added, clashes = migrate.merge(found.entries, po, {})
    source = path.read_text(encoding="utf-8")
    path.write_text(
        migrate.drop_unused_import(migrate.delete_spans(source, found.spans), "add_translations"),
        encoding="utf-8",
    )
    return added, clashes


def test_a_dictionary_goes_into_the_catalogue_and_its_call_and_import_go(tmp_path: Path) -> None:
    screen = tmp_path / "screen.py"
    screen.write_text(SCREEN, encoding="utf-8")
    po = Catalog(locale="zh_CN")
    assert _convert(screen, po) == (2, [])
    assert (po["Queue"].string, po["Call next"].string) == ("候诊队列", "叫号")
    converted = screen.read_text(encoding="utf-8")
    ast.parse(converted)
    assert "add_translations" not in converted
    assert "The Chinese of this screen" not in converted
    assert "from clinic_tui.i18n import tr\n" in converted
    assert 'TITLE = tr("Queue")' in converted


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    screen = tmp_path / "screen.py"
    screen.write_text(SCREEN, encoding="utf-8")
    po = Catalog(locale="zh_CN")
    _convert(screen, po)
    once = screen.read_text(encoding="utf-8")
    assert _convert(screen, po) == (0, [])
    assert screen.read_text(encoding="utf-8") == once
    assert po["Queue"].string == "候诊队列"


def test_an_entry_already_translated_is_kept(tmp_path: Path) -> None:
    screen = tmp_path / "screen.py"
    screen.write_text(SCREEN.replace("叫号", "叫号 "), encoding="utf-8")
    po = Catalog(locale="zh_CN")
    po.add("Queue", "候诊队列")
    added, clashes = _convert(screen, po)
    assert (added, clashes) == (1, [])


def test_a_clash_takes_the_glossarys_wording_and_is_reported() -> None:
    po = Catalog(locale="zh_CN")
    po.add("Waiting", "等候")
    entries = [migrate.Entry("Waiting", "候诊", "screens/queue.py:12")]
    _, clashes = migrate.merge(entries, po, {"waiting": "候诊"})
    assert po["Waiting"].string == "候诊"
    assert len(clashes) == 1
    assert "screens/queue.py:12" in clashes[0]
    assert "glossary" in clashes[0]


def test_without_the_glossary_the_catalogue_keeps_its_wording() -> None:
    po = Catalog(locale="zh_CN")
    po.add("Waiting", "等候")
    _, clashes = migrate.merge([migrate.Entry("Waiting", "候诊", "x.py:1")], po, {})
    assert po["Waiting"].string == "等候"
    assert len(clashes) == 1


def test_a_table_built_dictionary_is_found_for_evaluation(tmp_path: Path) -> None:
    module = tmp_path / "tables.py"
    module.write_text(
        "from clinic_tui.i18n import add_translations\n"
        'WORDS = {"a": ("Requested", "已申请")}\n'
        "add_translations(dict(WORDS.values()))\n",
        encoding="utf-8",
    )
    found = migrate.find_in(module)
    assert found.left
    assert found.spans == [(3, 3)]


def test_a_word_shown_through_a_variable_is_marked_in_its_table_only() -> None:
    source = (
        'STATUS = {"waiting": "Waiting"}\n'
        'name = record.get("name")\n'
        'DOC = "Waiting"\n'
        '"""Waiting"""\n'
        'TITLE = tr(STATUS["waiting"])\n'
    )
    marked = migrate.wrap(source, migrate.mark_spots(source, {"Waiting", "name", "waiting"}))
    assert marked.splitlines()[0] == 'STATUS = {"waiting": N_("Waiting")}'
    assert 'record.get("name")' in marked
    assert 'tr(STATUS["waiting"])' in marked
    assert '"""Waiting"""' in marked
