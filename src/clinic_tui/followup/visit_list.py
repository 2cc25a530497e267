"""The village visit list (随访名单): a one-table PDF, in Chinese, for a home-visit day.

A township doctor takes it to the village: who is due or overdue there, where they live,
when they were last seen, their phone number to ring ahead, and blank boxes to write the
blood pressure and glucose in by hand (entered in the 随访 form back at the clinic, or on
the laptop at the house).
A4 landscape; the font is the prescription slip's (Noto Sans CJK SC, found once for
every PDF by clinic_tui.cjk_font). fpdf2 is imported only when a list is drawn.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.cjk_font import cjk_cmap, cjk_font
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.followup.model import Control, DueItem, Programme

if TYPE_CHECKING:
    from fpdf import FPDF
    from sqlalchemy import Engine

PAGE_MM = (297.0, 210.0)
"""A4 landscape: room for the blank columns a doctor writes in."""
MARGIN_MM = 10.0
ROW_MM = 9.0
"""A row tall enough to write a blood pressure by hand."""
_FONT = "listcjk"

_PROGRAMME_ZH = {Programme.HYPERTENSION: "高血压", Programme.DIABETES: "糖尿病"}
_CONTROL_ZH = {
    Control.SATISFACTORY: "满意",
    Control.UNSATISFACTORY: "不满意",
    Control.ADVERSE_REACTION: "不良反应",
    Control.COMPLICATION: "并发症",
}
_SEX_ZH = {"male": "男", "female": "女"}

COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 10),
    ("姓名", 22),
    ("性别", 10),
    ("年龄", 10),
    ("住址", 46),
    ("管理", 16),
    ("应随访", 22),
    ("情况", 26),
    ("上次随访", 30),
    ("责任医生", 18),
    ("血压", 24),
    ("血糖", 14),
    ("电话", 25),
)
"""(heading, width mm): 277 mm across, the page less its margins."""


def clinician_names(engine: Engine) -> dict[str, str]:
    """Practitioner id -> name, for the list's clinician column and filter."""
    from sqlalchemy import text  # here: the queue imports this module and has no ORM yet

    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, name FROM practitioner ORDER BY name"))
        return {str(row.id): clean_line(str(row.name or row.id), 60) for row in rows}


def count_overdue(connection: sqlite3.Connection, clinic_id: str | None, today: date) -> int:
    """Chronic follow-ups of the clinic's programmes past their date (the queue's cue to `v`).

    One count over the open next-visit Tasks (index ix_task_kind_focus), plain sqlite3 as the
    queue's own read: no ORM on the queue's path.
    """
    from clinic_tui.followup.fhir_shapes import TASK_KIND

    row = connection.execute(
        "SELECT count(*) FROM task t JOIN episode_of_care e ON e.id = t.focus_id"
        " WHERE t.kind = ? AND t.status IN ('requested', 'received', 'accepted', 'ready',"
        " 'in-progress', 'on-hold', 'draft') AND t.due_date < ? AND e.status = 'active'"
        " AND (? IS NULL OR e.organization_id = ?)",
        (TASK_KIND, today.isoformat(), clinic_id, clinic_id),
    ).fetchone()
    return int(row[0]) if row else 0


def overdue_in_cache(cache_path: Path, clinic_id: str | None, today: date) -> int:
    """count_overdue on its own connection, closed on return (for the queue's worker)."""
    from contextlib import closing

    from clinic_tui.offline_cache.cache_file import connect

    with closing(connect(cache_path)) as connection:
        return count_overdue(connection, clinic_id, today)


@dataclass(frozen=True)
class VisitListRow:
    """One printed line: every cell already in words."""

    cells: tuple[str, ...]


def age_years(birth: date | None, today: date) -> str:
    """Completed years on `today` in digits ('' when the birth date is not known)."""
    if birth is None:
        return ""
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return str(years)


def due_state_zh(item: DueItem, today: date) -> str:
    """逾期 23 天 / 3 天后到期 / 今年未随访, as the screen says it."""
    if item.due is not None and item.due < today:
        return f"逾期 {(today - item.due).days} 天"
    if item.visits_this_year == 0:
        return f"{today.year}年未随访"
    if item.due is None:
        return "未排日期"
    if item.due == today:
        return "今天到期"
    return f"{(item.due - today).days} 天后到期"


def visit_list_rows(
    items: Sequence[DueItem], today: date, names: Mapping[str, str]
) -> list[VisitListRow]:
    """The table's rows in the list's order (most overdue first), text cleaned and cut."""
    rows = []
    for number, item in enumerate(items, start=1):
        last = ""
        if item.last_visit is not None:
            last = item.last_visit.isoformat()
            if item.last_control is not None:
                last += f" {_CONTROL_ZH[item.last_control]}"
        rows.append(
            VisitListRow(
                (
                    str(number),
                    clean_line(item.name, 40),
                    _SEX_ZH.get(item.gender, ""),
                    age_years(item.birth_date, today),
                    clean_line(item.address, 80),
                    _PROGRAMME_ZH[item.programme],
                    item.due.isoformat() if item.due else "",
                    due_state_zh(item, today),
                    last,
                    names.get(item.clinician_id or "", ""),
                    "",
                    "",
                    clean_line(item.phone, 20),
                )
            )
        )
    return rows


MISSING_GLYPH = "□"
"""Drawn for a character the font has no glyph for (written in by hand, as on the slip)."""


def _drawable(value: str) -> str:
    cmap = cjk_cmap()
    return "".join(c if c.isspace() or ord(c) in cmap else MISSING_GLYPH for c in value)


def write_visit_list_pdf(
    items: Sequence[DueItem],
    path: Path,
    *,
    clinic_name: str,
    today: date,
    heading: str,
    names: Mapping[str, str],
) -> Path:
    """Draw the list at `path` (or beside it, `-2`, when taken); the file is 0600 in a 0700
    folder (it names patients). `heading` says which village / programme / clinician."""
    from clinic_tui.private_files import create_private_file, private_dir, write_private

    rows = [
        VisitListRow(tuple(_drawable(cell) for cell in row.cells))
        for row in visit_list_rows(items, today, names)
    ]
    pdf = _draw(rows, _drawable(clinic_name), today, _drawable(heading))
    private_dir(path.parent)
    target = path
    for attempt in range(2, 1000):
        if create_private_file(target):
            break
        target = path.with_name(f"{path.stem}-{attempt}{path.suffix}")
    else:
        raise FileExistsError(f"no free name beside {path}")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        write_private(partial, bytes(pdf.output()))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _draw(rows: list[VisitListRow], clinic_name: str, today: date, heading: str) -> FPDF:
    from fpdf import FPDF

    font_path, face = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.add_font(_FONT, "", str(font_path), collection_font_number=face)
    pdf.set_title(f"{clean_line(clinic_name, 60)} 慢病随访名单 {today.isoformat()}")
    pdf.set_creator("clinic-tui")
    pdf.set_lang("zh-CN")
    per_page = int((PAGE_MM[1] - 2 * MARGIN_MM - 22) // ROW_MM)
    pages = [rows[i : i + per_page] for i in range(0, len(rows), per_page)] or [[]]
    for page_number, page in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font(_FONT, size=14)
        pdf.set_xy(MARGIN_MM, MARGIN_MM)
        title = f"{clean_line(clinic_name, 60)} 慢病随访名单"
        pdf.cell(w=0, h=7, text=title)
        pdf.set_font(_FONT, size=9)
        pdf.set_xy(MARGIN_MM, MARGIN_MM + 8)
        pdf.cell(
            w=0,
            h=5,
            text=f"{clean_line(heading, 120)}　打印日期 {today.isoformat()}　"
            f"共 {len(rows)} 人　第 {page_number}/{len(pages)} 页",
        )
        y = MARGIN_MM + 16
        _row(pdf, y, tuple(name for name, _ in COLUMNS), header=True)
        for row in page:
            y += ROW_MM
            _row(pdf, y, row.cells)
    return pdf


def _row(pdf: FPDF, y: float, cells: tuple[str, ...], *, header: bool = False) -> None:
    x = MARGIN_MM
    pdf.set_font(_FONT, size=9 if header else 8.5)
    pdf.set_line_width(0.2)
    for value, (_, width) in zip(cells, COLUMNS, strict=True):
        pdf.set_xy(x, y)
        shown = _fit(pdf, value, width - 1.5)
        pdf.cell(w=width, h=ROW_MM, text=shown, border=1, align="C" if header else "L")
        x += width


def _fit(pdf: FPDF, value: str, width: float) -> str:
    if pdf.get_string_width(value) <= width:
        return value
    kept = value
    while kept and pdf.get_string_width(kept + "…") > width:
        kept = kept[:-1]
    return kept + "…"
