"""The keys pages and the key card come from the screens' bindings: the pages fail when stale,
every screen with keys is documented, and the card is one A4 page per language with the
main keys on it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pypdfium2
import pytest
from textual.binding import Binding

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "keys_doc.py"


@pytest.fixture(scope="module")
def keys_doc() -> ModuleType:
    """scripts/keys_doc.py, imported as a module."""
    spec = importlib.util.spec_from_file_location("keys_doc_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def test_keys_pages_match_the_code(keys_doc: ModuleType) -> None:
    """A key added, moved or renamed in a screen's BINDINGS shows here: `make keys-doc`."""
    assert keys_doc.stale_pages() == []


def test_every_screen_with_keys_is_in_the_guide(keys_doc: ModuleType) -> None:
    """A new screen with BINDINGS must be added to SCREENS (its titles in both languages)."""
    keys_doc._all_modules()
    assert keys_doc.undocumented_screens() == []


def test_pages_carry_the_main_keys_in_both_languages(keys_doc: ModuleType) -> None:
    """The queue's, chart's and order screen's own keys, with the app's words for them."""
    english = keys_doc.markdown("en")
    chinese = keys_doc.markdown("zh")
    for row in ("| `n` | Call next |", "| `m` | Prescribe |", "| `a` | Accept |"):
        assert row in english
    for row in ("| `n` | 叫号 |", "| `?` / `F1` | 帮助 |", "| `^q` | 退出 |"):
        assert row in chinese


def test_a_changed_binding_makes_the_pages_stale(
    keys_doc: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staleness check reads the code: a new key on the queue changes the page."""
    from clinic_tui.screens.queue import QueueScreen

    monkeypatch.setattr(
        QueueScreen, "BINDINGS", [*QueueScreen.BINDINGS, Binding("z", "zap", "Zap everything")]
    )
    assert "| `z` | Zap everything |" in keys_doc.markdown("en")
    assert keys_doc.PAGES["en"] in keys_doc.stale_pages()


def test_a_screen_missing_from_the_guide_is_caught(
    keys_doc: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaving a screen with keys out of SCREENS stops the generator."""
    without_triage = tuple(s for s in keys_doc.SCREENS if s.key != "triage")
    monkeypatch.setattr(keys_doc, "SCREENS", without_triage)
    assert "clinic_tui.screens.triage.TriageScreen" in keys_doc.undocumented_screens()


def _pdf_pages(path: Path) -> list[tuple[tuple[float, float], str]]:
    document = pypdfium2.PdfDocument(str(path))
    try:
        pages = []
        for page in document:
            text_page = page.get_textpage()
            pages.append((page.get_size(), text_page.get_text_range()))
            text_page.close()
            page.close()
        return pages
    finally:
        document.close()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Call next", "Open chart", "Prescribe", "Sign the prescription", "Accept", "Help"]),
        ("zh", ["叫号", "打开病历", "开处方", "签名开具处方", "接受", "帮助"]),
    ],
)
def test_keycard_is_one_a4_page_with_the_main_keys(
    keys_doc: ModuleType, tmp_path: Path, lang: str, words: list[str]
) -> None:
    """`make keycard`: one A4 page in each language, its text the screens' key words."""
    path = keys_doc.keycard(lang, tmp_path / f"keycard-{lang}.pdf")
    pages = _pdf_pages(path)
    assert len(pages) == 1
    (width, height), text = pages[0]
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    flat = "".join(text.split())
    for word in words:
        assert "".join(word.split()) in flat, word
    for key in ("^q", "^s", "F1"):
        assert key in flat
