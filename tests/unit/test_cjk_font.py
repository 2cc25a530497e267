"""One CJK font lookup for every PDF: slips (prescribing) and visit lists (followup)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from clinic_tui import cjk_font
from clinic_tui.followup.visit_list import write_visit_list_pdf
from clinic_tui.prescribing import slip as slip_module
from tests.unit import slip_samples as samples


@pytest.fixture
def no_font(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The font as if not installed, with nothing found earlier in this process kept."""
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)  # import fails as if absent
    monkeypatch.setattr(cjk_font, "DEBIAN_FONT", Path("/nonexistent/NotoSansCJK.ttc"))
    monkeypatch.setattr(slip_module, "_spare", None)
    cjk_font.cjk_font.cache_clear()
    cjk_font.cjk_cmap.cache_clear()
    yield
    cjk_font.cjk_font.cache_clear()
    cjk_font.cjk_cmap.cache_clear()


def test_slips_and_visit_lists_find_their_font_through_the_one_lookup(
    no_font: None, tmp_path: Path
) -> None:
    # A missing font is said the same way by both: each went through clinic_tui.cjk_font.
    with pytest.raises(cjk_font.CjkFontMissingError, match=r"make install.*noto-cjk-sans-otc"):
        slip_module.render_slip_pdf(samples.rare_name_slip(), tmp_path / "slip.pdf")
    with pytest.raises(cjk_font.CjkFontMissingError, match=r"make install.*noto-cjk-sans-otc"):
        write_visit_list_pdf(
            [],
            tmp_path / "list.pdf",
            clinic_name="卫生院",
            today=date(2026, 1, 5),
            heading="全部",
            names={},
        )
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_warm_with_no_font_installed_says_nothing_and_printing_still_explains(
    no_font: None,
) -> None:
    cjk_font.warm()  # a start-up head start: never a traceback
    with pytest.raises(cjk_font.CjkFontMissingError):
        cjk_font.cjk_font()


def test_warm_reads_the_face_and_its_characters_once() -> None:
    cjk_font.cjk_font.cache_clear()
    cjk_font.cjk_cmap.cache_clear()
    cjk_font.warm()
    assert cjk_font.cjk_cmap.cache_info().currsize == 1
    assert ord("李") in cjk_font.cjk_cmap()
    assert slip_module.missing_glyphs("李明") == ""  # the slip reads the same character map
    assert cjk_font.cjk_cmap.cache_info().hits >= 1


def test_the_start_up_warm_up_finds_the_pdf_font() -> None:
    from clinic_tui.screens import preload

    cjk_font.cjk_font.cache_clear()
    cjk_font.cjk_cmap.cache_clear()
    preload.import_forms()
    assert cjk_font.cjk_cmap.cache_info().currsize == 1  # read before any PDF asks for it
