"""The indicators against counts written by hand: a small cache is written row by row, and
each figure below is counted from those rows in the comments, not by the code under test."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
from sqlalchemy import Engine, text

from clinic_tui.followup.indicators import (
    NO_CLINICIAN,
    NO_VILLAGE,
    ProgrammeFigures,
    _village_sql,
    compute_indicators,
    csv_text,
    village_of,
    write_csv,
    write_pdf,
)
from clinic_tui.followup.model import Programme
from clinic_tui.offline_cache.engine import open_cache
from tests.conftest import Cli

START, END = date(2026, 1, 1), date(2026, 12, 31)
HT, DM = "hypertension", "diabetes"


@pytest.fixture
def engine(cache_file: Path) -> Iterator[Engine]:
    engine = open_cache(cache_file)
    with engine.begin() as c:
        _write_clinic(c)
    yield engine
    engine.dispose()


def _row(c: object, table: str, **columns: object) -> None:
    columns.setdefault("resource_json", "{}")
    names = ", ".join(columns)
    marks = ", ".join(f":{name}" for name in columns)
    c.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), columns)  # type: ignore[attr-defined]


def _patient(c: object, pid: str, address: str) -> None:
    _row(c, "patient", id=pid, name=pid, address=address)


def _enrol(
    c: object, pid: str, programme: str, org: str, manager: str | None, end: str | None = None
) -> None:
    _row(
        c,
        "episode_of_care",
        id=f"ep-{pid}-{programme}",
        patient_id=pid,
        programme=programme,
        status="finished" if end else "active",
        period_start="2024-03-01",
        period_end=end,
        organization_id=org,
        care_manager_id=manager,
    )


def _visit(c: object, pid: str, when: str, programme: str = HT) -> None:
    _row(
        c,
        "encounter",
        id=f"enc-{pid}-{when}",
        patient_id=pid,
        status="finished",
        period_start=when,
        episode_id=f"ep-{pid}-{programme}",
    )


def _bp(c: object, pid: str, when: str, systolic: int, diastolic: int) -> None:
    _row(
        c,
        "observation",
        id=f"bp-{pid}-{when}",
        patient_id=pid,
        code="85354-9",
        value=systolic,
        value2=diastolic,
        effective=when,
    )


def _glucose(c: object, pid: str, when: str, value: float) -> None:
    _row(
        c,
        "observation",
        id=f"glu-{pid}-{when}",
        patient_id=pid,
        code="14771-0",
        value=value,
        effective=when,
    )


def _task(c: object, pid: str, due: str, status: str = "requested", kind: str = "") -> None:
    _row(
        c,
        "task",
        id=f"task-{pid}-{due}-{kind}",
        patient_id=pid,
        kind=kind or "chronic-follow-up",
        status=status,
        due_date=due,
    )


def _write_clinic(c: object) -> None:
    _row(c, "practitioner", id="dr1", name="王医生")
    _row(c, "practitioner", id="dr2", name="李医生")
    _row(c, "organization", id="twA", name="青山镇卫生院")
    _row(c, "organization", id="twB", name="白沙乡卫生院")
    _row(c, "organization", id="hosp", name="清河县人民医院", kind="county")
    # p1 HT: 4 visits in 2026 (one on the last evening) + 1 in 2025; latest BP 132/84.
    _patient(c, "p1", "石门村三组5号")
    _enrol(c, "p1", HT, "twA", "dr1")
    for day in ("2025-11-02T09:00", "2026-02-03T09:00", "2026-05-04T09:00", "2026-08-05T09:00"):
        _visit(c, "p1", day)
        _bp(c, "p1", day, 150, 95)
    _visit(c, "p1", "2026-12-31T16:00")
    _bp(c, "p1", "2026-12-31T16:05", 132, 84)
    _task(c, "p1", "2027-03-31")
    # p2 HT: 2 visits, latest BP 150/92; open task due 2026-12-01 (overdue).
    _patient(c, "p2", "石门村一组8号")
    _enrol(c, "p2", HT, "twA", "dr1")
    for day, sbp in (("2026-06-01T10:00", 138), ("2026-11-17T10:00", 150)):
        _visit(c, "p2", day)
        _bp(c, "p2", day, sbp, 92 if sbp == 150 else 80)
    _task(c, "p2", "2026-12-01")
    # p3 DM (township B): 4 visits, earlier glucose 8.0, latest 6.5; task due 2027.
    _patient(c, "p3", "大坪村二组1号")
    _enrol(c, "p3", DM, "twB", "dr2")
    for day in ("2026-01-10T08:00", "2026-04-10T08:00", "2026-07-10T08:00"):
        _visit(c, "p3", day, DM)
        _glucose(c, "p3", day, 8.0)
    _visit(c, "p3", "2026-10-10T08:00", DM)
    _glucose(c, "p3", "2026-10-10T08:30", 6.5)
    _task(c, "p3", "2027-01-10")
    # p4 HT + DM: 5 visits; latest day BP 128/80 and glucose 7.4; task due 2026-12-20 (overdue).
    _patient(c, "p4", "大坪村五组3号")
    _enrol(c, "p4", HT, "twA", "dr2")
    _enrol(c, "p4", DM, "twA", "dr2")
    for day in ("2026-02-01", "2026-04-01", "2026-06-01", "2026-08-01", "2026-09-20"):
        _visit(c, "p4", f"{day}T09:00")
    _bp(c, "p4", "2026-09-20T09:10", 128, 80)
    _glucose(c, "p4", "2026-09-20T09:10", 7.4)
    _task(c, "p4", "2026-12-20")
    # p5 HT: enrolled, never seen, no task, no address, no care manager (overdue).
    _patient(c, "p5", "")
    _enrol(c, "p5", HT, "twA", None)
    # p6 HT: left the programme in 2025 - not registered in 2026, never overdue.
    _patient(c, "p6", "石门村二组2号")
    _enrol(c, "p6", HT, "twA", "dr1", end="2025-06-30")
    # p7 DM: 1 visit whose day has no glucose (an older one does): not controlled.
    _patient(c, "p7", "桃花村四组9号")
    _enrol(c, "p7", DM, "twA", "dr1")
    _glucose(c, "p7", "2025-12-01T08:00", 6.0)
    _visit(c, "p7", "2026-03-02T08:00", DM)
    _task(c, "p7", "2027-01-02")
    # p8 HT: 4 visits, latest follow-up BP 130/80; a later clinic BP (not a follow-up) of
    # 182/100 must not count; an old completed task is ignored, the open one is in 2027.
    _patient(c, "p8", "青山镇人民路3号")
    _enrol(c, "p8", HT, "twA", "dr1")
    for day in ("2026-02-10", "2026-05-10", "2026-08-10", "2026-11-01"):
        _visit(c, "p8", f"{day}T09:00")
    _bp(c, "p8", "2026-11-01T09:05", 130, 80)
    _bp(c, "p8", "2026-12-15T09:05", 182, 100)
    _task(c, "p8", "2026-05-01", status="completed")
    _task(c, "p8", "2027-02-01")
    # Referrals to the hospital "hosp": p2 (township A) and p3 (township B).
    _task(c, "p2", "2026-12-01", kind="referral")
    _task(c, "p3", "2026-12-02", kind="referral")
    c.execute(text("UPDATE task SET owner_org = 'hosp' WHERE kind = 'referral'"))  # type: ignore[attr-defined]


def _by_programme(figures: tuple[ProgrammeFigures, ...]) -> dict[Programme, tuple[int, ...]]:
    return {f.programme: (f.registered, f.managed_to_standard, f.controlled) for f in figures}


def test_figures_match_the_hand_count(engine: Engine) -> None:
    found = compute_indicators(engine, START, END)
    # HT registered p1 p2 p4 p5 p8 (p6 left in 2025) = 5; >= 4 visits p1 p4 p8 = 3;
    # latest follow-up BP < 140/90: p1 (132/84) p4 (128/80) p8 (130/80) = 3.
    # DM registered p3 p4 p7 = 3; >= 4 visits p3 p4 = 2; latest glucose < 7.0: p3 = 1.
    assert _by_programme(found.programmes) == {
        Programme.HYPERTENSION: (5, 3, 3),
        Programme.DIABETES: (3, 2, 1),
    }
    # Overdue: p2 (due 12-01, 石门村, 王医生), p4 (due 12-20, 大坪村, 李医生), p5 (never seen).
    assert dict(found.overdue_by_village) == {"石门村": 1, "大坪村": 1, NO_VILLAGE: 1}
    assert dict(found.overdue_by_clinician) == {"王医生": 1, "李医生": 1, NO_CLINICIAN: 1}
    assert found.overdue_total == 3


def test_a_shorter_period_counts_only_its_visits(engine: Engine) -> None:
    found = compute_indicators(engine, date(2026, 7, 1), END)
    # HT visits from July: p1 2 (08-05, 12-31), p2 1, p4 2, p8 2: nobody reaches 4.
    assert _by_programme(found.programmes)[Programme.HYPERTENSION] == (5, 0, 3)


def test_one_township_only(engine: Engine) -> None:
    found = compute_indicators(engine, START, END, organization_id="twB")
    assert _by_programme(found.programmes) == {
        Programme.HYPERTENSION: (0, 0, 0),
        Programme.DIABETES: (1, 1, 1),
    }
    assert found.overdue_total == 0


def test_a_hospital_sees_its_referred_patients_per_township(engine: Engine) -> None:
    found = compute_indicators(engine, START, END, referred_to="hosp")
    townships = {t.name: _by_programme(t.programmes) for t in found.by_township}
    # p2 (township A): HT registered, 2 visits, 150/92. p3 (township B): DM, 4 visits, 6.5.
    assert townships == {
        "青山镇卫生院": {Programme.HYPERTENSION: (1, 0, 0), Programme.DIABETES: (0, 0, 0)},
        "白沙乡卫生院": {Programme.HYPERTENSION: (0, 0, 0), Programme.DIABETES: (1, 1, 1)},
    }
    assert dict(found.overdue_by_village) == {"石门村": 1}


@pytest.mark.parametrize(
    ("address", "village"),
    [
        ("石门村三组5号", "石门村"),
        ("青山社区二组4号", "青山社区"),
        ("青山镇人民路3号", "青山镇"),
        ("  ", NO_VILLAGE),
        ("12 Main Street", "12 Main Street"),
        ("白沙乡政府旁", "白沙乡"),
    ],
)
def test_village_of_an_address(address: str, village: str, engine: Engine) -> None:
    assert village_of(address) == village
    # The indicators group by the same village in SQL.
    with engine.connect() as c:
        found = c.execute(text(f"SELECT {_village_sql(':a')}"), {"a": address}).scalar_one()
    assert (found or NO_VILLAGE) == village


def test_csv_and_pdf_are_private_and_hold_the_figures(engine: Engine, tmp_path: Path) -> None:
    found = compute_indicators(engine, START, END)
    rows = list(csv.reader(io.StringIO(csv_text(found, "zh"))))
    assert ["高血压", "5", "3", "60.0", "3", "60.0"] in rows
    assert ["2型糖尿病", "3", "2", "66.7", "1", "33.3"] in rows
    written = write_csv(found, tmp_path / "out" / "ind.csv", "zh")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert written.read_text("utf-8-sig").startswith("统计期间")
    pdf = write_pdf(found, tmp_path / "out" / "ind.pdf", "zh")
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    page_text = document[0].get_textpage().get_text_range()
    document.close()
    assert "慢性病随访管理指标" in page_text
    assert "高血压 5 3 60.0 3 60.0" in page_text
    assert "石门村 1" in page_text


def test_a_name_that_looks_like_a_formula_stays_text(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(text("UPDATE practitioner SET name = '=HYPERLINK(1)' WHERE id = 'dr1'"))
    rows = list(csv.reader(io.StringIO(csv_text(compute_indicators(engine, START, END)))))
    assert ["'=HYPERLINK(1)", "1"] in rows


def test_the_command_prints_the_figures(engine: Engine, cache_file: Path, cli: Cli) -> None:
    engine.dispose()
    folder = str(cache_file.parent)
    period = ("--from", "2026-01-01", "--to", "2026-12-31")
    code, out, err = cli("followup", "indicators", *period, "--json", "--data-dir", folder)
    assert (code, err) == (0, "")
    found = json.loads(out)
    assert found["programmes"][0] == {
        "programme": "hypertension",
        "registered": 5,
        "managed_to_standard": 3,
        "controlled": 3,
    }
    assert found["overdue_by_village"] == {"石门村": 1, "大坪村": 1, NO_VILLAGE: 1}
    pdf = cache_file.parent / "out.pdf"
    code, out, err = cli(
        "followup", "indicators", *period, "--role", "expert", "--pdf", str(pdf),
        "--data-dir", folder, "--lang", "zh",
    )  # fmt: skip
    assert code == 0, err
    # One aligned table row per township and programme (cells apart by spaces).
    rows = [line.split() for line in out.splitlines()]
    assert ["白沙乡卫生院", "2型糖尿病", "1", "1", "100.0", "1", "100.0"] in rows, out
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600


def test_the_command_refuses_a_backwards_period(cache_file: Path, cli: Cli) -> None:
    args = ("--from", "2026-12-31", "--to", "2026-01-01", "--data-dir", str(cache_file.parent))
    code, _out, err = cli("followup", "indicators", *args)
    assert code != 0
    assert "ends before it starts" in err
    code, _out, err = cli("followup", "indicators", "--from", "2026-13-01")
    assert code == 2
    assert "not a date" in err
