"""The indicators' one-page PDF (A4, Chinese or English), drawn with fpdf2 and the CJK font
the prescription slips embed. fpdf2 is imported only when a page is drawn."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_tui.cjk_font import cjk_font
from clinic_tui.domain.untrusted import clean_line

if TYPE_CHECKING:
    from fpdf import FPDF

# indicators.py calls this module (its write_pdf), so the figures' types are not imported back:
# that would be an import circle. They are read through the callbacks indicators.py passes.
Indicators = Any
ProgrammeFigures = Any

_FONT = "indicatorcjk"
_ROW_MM = 6.0
_PAGE_BOTTOM_MM = 270.0
_MAX_LIST_ROWS = 25
"""Villages / clinicians listed on the page (most overdue first); the CSV has them all."""


def render(
    indicators: Indicators,
    path: Path,
    language: str,
    font: tuple[Path, int] | None,
    word: Callable[[str, str], str],
    header: Callable[[str], list[str]],
    rows: Callable[[Sequence[ProgrammeFigures], str], list[list[str]]],
) -> Path:
    """Draw the page and write it at `path` (folder 0700, file 0600); returns `path`."""
    from fpdf import FPDF

    from clinic_tui.private_files import private_dir, write_private

    font_path, face = font or cjk_font()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.add_font(_FONT, "", str(font_path), collection_font_number=face)
    pdf.set_creator("clinic-tui")
    pdf.set_lang("zh-CN" if language == "zh" else "en")
    pdf.set_title(word("title", language))
    pdf.add_page()

    y = 15.0
    y = _line(pdf, y, word("title", language), 15, bold_gap=3)
    period = f"{indicators.start.isoformat()} – {indicators.end.isoformat()}"
    y = _line(pdf, y, f"{word('period', language)}: {period}", 10, bold_gap=3)

    widths = [40.0, 24.0, 28.0, 26.0, 28.0, 24.0]
    if indicators.by_township:
        y = _table(
            pdf,
            y,
            [34.0, 26.0, 20.0, 26.0, 26.0, 26.0, 22.0],
            [word("township", language), *header(language)],
            [
                [clean_line(t.name), *row]
                for t in indicators.by_township
                for row in rows(t.programmes, language)
            ][: _MAX_LIST_ROWS * 2],
            left_columns=2,
        )
        y += 4
    y = _table(pdf, y, widths, header(language), rows(indicators.programmes, language))
    y += 4
    half = [60.0, 25.0]
    top_y = y
    left_end = _table(
        pdf,
        top_y,
        half,
        [word("village", language), word("overdue", language)],
        [[clean_line(n), str(c)] for n, c in indicators.overdue_by_village[:_MAX_LIST_ROWS]],
    )
    right_end = _table(
        pdf,
        top_y,
        half,
        [word("clinician", language), word("overdue", language)],
        [[clean_line(n), str(c)] for n, c in indicators.overdue_by_clinician[:_MAX_LIST_ROWS]],
        x=105.0,
    )
    y = max(left_end, right_end) + 6
    notes = (
        word("definition", language).format(n=indicators.min_visits),
        word("source", language).format(version=indicators.rules_version),
    )
    for note in notes:
        pdf.set_font(_FONT, size=8)
        pdf.set_xy(15, min(y, _PAGE_BOTTOM_MM))
        pdf.multi_cell(w=180, h=4.2, text=note)
        y = pdf.get_y() + 1

    private_dir(path.parent)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write_private(partial, bytes(pdf.output()))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _line(pdf: FPDF, y: float, text: str, size: float, bold_gap: float = 0) -> float:
    pdf.set_font(_FONT, size=size)
    pdf.set_xy(15, y)
    pdf.cell(w=180, h=size * 0.45, text=text)
    return y + size * 0.45 + bold_gap


def _table(
    pdf: FPDF,
    y: float,
    widths: Sequence[float],
    head: Sequence[str],
    body: Sequence[Sequence[str]],
    x: float = 15.0,
    left_columns: int = 1,
) -> float:
    """A ruled table from (x, y), names left and figures right; rows past the page bottom
    are left out (the CSV has them all)."""
    pdf.set_draw_color(120, 120, 120)
    for number, row in enumerate([head, *body]):
        if y + _ROW_MM > _PAGE_BOTTOM_MM:
            break
        pdf.set_font(_FONT, size=9 if number == 0 else 9.5)
        pdf.set_fill_color(230, 230, 230)
        cursor = x
        for column, (width, cell) in enumerate(zip(widths, row, strict=False)):
            pdf.set_xy(cursor, y)
            pdf.cell(
                w=width,
                h=_ROW_MM,
                text=_fit(pdf, cell, width - 2),
                border=1,
                align="L" if column < left_columns else "R",
                fill=number == 0,
            )
            cursor += width
        y += _ROW_MM
    return y


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut (with …) to fit `width` mm at the current font size."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
