"""The village visit list: its rows in words, and the PDF written private, never over another."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

from clinic_tui.followup.model import Control, DueItem, Programme
from clinic_tui.followup.visit_list import visit_list_rows, write_visit_list_pdf

TODAY = date(2026, 11, 24)


def _item(name: str, due: date | None, seen: int, **extra: object) -> DueItem:
    return DueItem(
        enrolment_id=f"e-{name}",
        patient_id=f"p-{name}",
        name=name,
        gender="female",
        birth_date=date(1950, 6, 1),
        address="李家村3组\x1b[31m12号",
        programme=Programme.HYPERTENSION,
        clinician_id="pr-1",
        due=due,
        last_visit=date(2026, 10, 1) if seen else None,
        visits_this_year=seen,
        **extra,  # type: ignore[arg-type]
    )


def test_rows_say_how_due_in_chinese_and_keep_the_lists_order() -> None:
    items = [
        _item("张伟", date(2026, 10, 15), 1, last_control=Control.UNSATISFACTORY),
        _item("孙立军", None, 0),
        _item("赵春梅", date(2026, 11, 27), 2, phone="13800138000"),
    ]
    rows = visit_list_rows(items, TODAY, {"pr-1": "王医生"})
    assert [row.cells[:2] for row in rows] == [("1", "张伟"), ("2", "孙立军"), ("3", "赵春梅")]
    assert rows[0].cells[2:4] == ("女", "76")
    assert rows[0].cells[6:10] == ("2026-10-15", "逾期 40 天", "2026-10-01 不满意", "王医生")
    assert rows[1].cells[7] == "2026年未随访"
    assert rows[2].cells[7] == "3 天后到期"
    assert rows[2].cells[12] == "13800138000"
    assert "\x1b" not in rows[0].cells[4]  # outside text is made visible, never passed through
    assert rows[0].cells[10:12] == ("", "")  # BP and glucose are written in by hand


def test_the_pdf_is_private_and_a_second_one_goes_beside_the_first(tmp_path: Path) -> None:
    items = [_item("张伟", date(2026, 10, 15), 1)]
    target = tmp_path / "lists" / "2026-11-24-visit-list.pdf"
    first = write_visit_list_pdf(
        items, target, clinic_name="青山镇卫生院", today=TODAY, heading="住址：李家村", names={}
    )
    second = write_visit_list_pdf(
        items, target, clinic_name="青山镇卫生院", today=TODAY, heading="全部", names={}
    )
    assert first == target
    assert second == target.with_name("2026-11-24-visit-list-2.pdf")
    for path in (first, second):
        assert path.read_bytes().startswith(b"%PDF")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert {p.name for p in target.parent.iterdir()} == {first.name, second.name}
