"""The reason for a supply beyond the slip's day limit prints on the slip, and fits its line.

处方管理办法 第十九条 (ordinary slips) and 第二十三条 (class-2 psychotropics): a longer supply
for chronic disease or special circumstances needs the prescriber's reason noted.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from clinic_tui.prescribing.slip import (
    MARGIN_MM,
    PAGE_MM,
    SUPPLY_REASON_CHARS,
    SlipData,
    render_slip_pdf,
    slip_data_for,
)
from tests.unit import slip_samples as samples

PT_PER_MM = 72 / 25.4


def _slip(reason: str, lang: str) -> SlipData:
    data = samples.rare_name_slip(lang)
    return slip_data_for(
        [samples.AMLO_LINE],
        kind=data.kind,
        slip_number=data.slip_number,
        clinic_name=data.clinic_name,
        patient_name="李秀英",
        sex=data.sex,
        birth_date=samples.ISSUED.replace(year=1950),
        patient_id=data.patient_id,
        diagnoses=[("I10", "原发性高血压")],
        issued=samples.ISSUED,
        prescriber=data.prescriber,
        lang=lang,  # type: ignore[arg-type]
        supply_reason=reason,
    )


def _text_and_right_edge(path: Path, words: str) -> tuple[str, float]:
    """The page's text, and the right edge (mm) of `words` on it."""
    document = pdfium.PdfDocument(str(path))
    try:
        assert len(document) == 1  # the reason's line never pushes the boxes onto a page 2
        textpage = document[0].get_textpage()
        text = textpage.get_text_range()
        found = textpage.search(words).get_next()
        assert found is not None, f"{words!r} not on the slip"
        first, count = found
        right = max(textpage.get_charbox(first + i)[2] for i in range(count)) / PT_PER_MM
        textpage.close()
        return text, right
    finally:
        document.close()


@pytest.mark.parametrize(
    ("lang", "label"), [("zh", "延长用量理由"), ("en", "Reason for the longer supply")]
)
def test_the_reason_is_on_the_slip_beside_its_label(lang: str, label: str, tmp_path: Path) -> None:
    path = render_slip_pdf(_slip("高血压慢性病，病情稳定", lang), tmp_path / f"{lang}.pdf")
    text, right = _text_and_right_edge(path, "病情稳定")
    assert label in text
    assert right <= PAGE_MM[0] - MARGIN_MM + 0.5


def test_a_long_reason_is_cut_short_and_still_fits_its_line(tmp_path: Path) -> None:
    reason = "老年慢性病患者行动不便，居住偏远山区，往返卫生院需半日路程，" * 3
    data = _slip(reason, "zh")
    assert len(data.supply_reason) == SUPPLY_REASON_CHARS
    assert data.supply_reason.endswith("…")
    path = render_slip_pdf(data, tmp_path / "long.pdf")
    _, right = _text_and_right_edge(path, data.supply_reason[-6:])
    assert right <= PAGE_MM[0] - MARGIN_MM + 0.5


def test_control_characters_in_a_synced_reason_are_not_printed(tmp_path: Path) -> None:
    data = _slip("慢性病\x1b[31m\u202e稳定", "zh")
    assert "\x1b" not in data.supply_reason
    assert "\u202e" not in data.supply_reason


def test_no_reason_no_label(tmp_path: Path) -> None:
    data = replace(_slip("", "zh"))
    path = render_slip_pdf(data, tmp_path / "none.pdf")
    document = pdfium.PdfDocument(str(path))
    try:
        assert "延长用量理由" not in document[0].get_textpage().get_text_range()
    finally:
        document.close()
