"""Printing a signed slip: the PDF is always written under slips/; lp only when configured."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path

import pypdfium2
import pytest
from sqlalchemy import Engine

from clinic_tui.config import load_settings
from clinic_tui.domain.models import Chart, Clinic
from clinic_tui.errors import ConfigError
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.prescribing.formulary import Formulary, starter_formulary
from clinic_tui.prescribing.model import Basket
from clinic_tui.prescribing.order_line import parse_order_line
from clinic_tui.prescribing.prescriber import Prescriber, SignedSlip
from clinic_tui.prescribing.printing import print_slip, slip_file, slip_number, slip_prescriber
from tests.ui.chart_fixtures import NOW, fill_cache

CLINIC = Clinic("org-town", "青山镇卫生院")


def _program(folder: Path, name: str, script: str) -> None:
    """A real executable on PATH: the printer command as this machine would run it."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def formulary() -> Formulary:
    """The project's starter formulary."""
    return starter_formulary()


@pytest.fixture
def signed(engine: Engine, formulary: Formulary) -> tuple[Prescriber, Chart, SignedSlip]:
    """p-nka's slip of two lines, signed in today's visit."""
    fill_cache(engine)
    prescriber = Prescriber(engine, CLINIC, "dr-li")
    lines = []
    for text in ("amox 500mg po tid 5d", "布洛芬 0.2g 口服 每日三次 3天"):
        parsed = parse_order_line(text, formulary)
        assert parsed.order is not None, parsed.problems
        lines.append(parsed.order)
    slip = prescriber.sign("p-nka", None, Basket(lines=lines), [], NOW)
    chart = ChartRepository(engine).load("p-nka", NOW.date())
    assert chart is not None
    return prescriber, chart, slip


def _text(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_a_slip_read_back_from_the_cache_is_written_with_every_line(
    signed: tuple[Prescriber, Chart, SignedSlip], formulary: Formulary, tmp_path: Path
) -> None:
    prescriber, chart, slip = signed
    outcome = print_slip(prescriber, chart, slip.group_id, formulary, NOW, tmp_path, None)
    assert outcome.path == slip_file(tmp_path, slip.group_id, NOW)
    assert outcome.printer is None
    assert outcome.problem(zh=False) == ""
    text = _text(outcome.path)
    for expected in ("青山镇卫生院", "李秀英", "阿莫西林", "布洛芬", slip_number(slip.group_id)):
        assert expected in text


def test_a_failing_printer_is_said_and_the_pdf_is_kept(
    signed: tuple[Prescriber, Chart, SignedSlip],
    formulary: Formulary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prescriber, chart, slip = signed
    _program(tmp_path / "bin", "lp", 'echo "lp: The printer or class does not exist." >&2; exit 1')
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ["PATH"])
    outcome = print_slip(
        prescriber, chart, slip.group_id, formulary, NOW, tmp_path / "slips", "nowhere",
        orders=slip.lines,
    )  # fmt: skip
    assert outcome.path.is_file()
    assert outcome.printer is None
    assert "nowhere" in outcome.problem(zh=False)
    assert "does not exist" in outcome.problem(zh=False)
    assert outcome.problem(zh=True).startswith("未打印")


def test_a_queued_slip_names_its_printer(
    signed: tuple[Prescriber, Chart, SignedSlip],
    formulary: Formulary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prescriber, chart, slip = signed
    record = tmp_path / "args.txt"
    _program(tmp_path / "bin", "lp", f'echo "$@" > {record}; echo "request id is desk-1"')
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ["PATH"])
    outcome = print_slip(
        prescriber, chart, slip.group_id, formulary, NOW, tmp_path / "slips", "front-desk"
    )
    assert outcome.printer == "front-desk"
    assert record.read_text(encoding="utf-8").split() == [
        "-d", "front-desk", "--", str(outcome.path),
    ]  # fmt: skip


def test_slip_files_go_by_day_and_time(tmp_path: Path) -> None:
    signed = datetime(2026, 11, 24, 9, 30)
    path = slip_file(tmp_path / "slips", "0a1b2c3d-4e5f", signed)
    assert path == tmp_path / "slips" / "2026-11-24" / "0930-0a1b2c3d.pdf"


def test_printer_setting_is_read_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('[printing]\nprinter = "Front_Desk"\n', encoding="utf-8")
    assert load_settings(config_flag=str(config)).printer == "Front_Desk"
    config.write_text('[printing]\nprinter = ""\n', encoding="utf-8")
    assert load_settings(config_flag=str(config)).printer is None
    config.write_text('[printing]\nprinter = "-o evil"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[printing\] printer"):
        load_settings(config_flag=str(config))


# ----- the 医师 on the slip -----------------------------------------------------------------------

PRESCRIBER_LABELS = {
    "zh": ("医师（签名）：", "药品金额"),
    "en": ("Prescriber (signature): ", "Drug cost"),
}


def _prescriber_on(path: Path, lang: str = "zh") -> str:
    """What the slip prints on its 医师（签名） / Prescriber (signature) line ('' if blank)."""
    label, next_label = PRESCRIBER_LABELS[lang]
    for line in _text(path).splitlines():
        if line.startswith(label):
            return line[len(label) :].split(next_label)[0].strip()
    raise AssertionError(f"no {label!r} line on the slip:\n{_text(path)}")


def _practitioner(engine: Engine, practitioner_id: str, name: str) -> None:
    """A Practitioner record in the cache, as the sync brings it."""
    resource = {
        "resourceType": "Practitioner",
        "id": practitioner_id,
        "name": [{"text": name, "family": name[0], "given": [name[1:]]}],
    }
    with engine.begin() as connection:
        upsert_resources(connection, [resource])


def _sign(engine: Engine, formulary: Formulary, prescriber: Prescriber) -> tuple[Chart, str]:
    """p-nka's one-line slip signed by `prescriber`: (the chart, the slip's group)."""
    fill_cache(engine)
    parsed = parse_order_line("amox 500mg po tid 5d", formulary)
    assert parsed.order is not None, parsed.problems
    slip = prescriber.sign("p-nka", None, Basket(lines=[parsed.order]), [], NOW)
    chart = ChartRepository(engine).load("p-nka", NOW.date())
    assert chart is not None
    return chart, slip.group_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_signed_in_clinician_is_named_on_the_slip_not_their_id(
    engine: Engine, formulary: Formulary, tmp_path: Path, lang: str
) -> None:
    prescriber = Prescriber(engine, CLINIC, "dr-li", practitioner_name="李明")
    chart, group = _sign(engine, formulary, prescriber)
    outcome = print_slip(prescriber, chart, group, formulary, NOW, tmp_path, None, lang=lang)
    assert _prescriber_on(outcome.path, lang) == "李明"
    assert "dr-li" not in _text(outcome.path)


def test_signing_writes_the_clinicians_name_beside_their_reference(engine: Engine) -> None:
    prescriber = Prescriber(engine, CLINIC, "dr-li", practitioner_name=" 李明 ")
    assert prescriber.requester() == {"reference": "Practitioner/dr-li", "display": "李明"}


def test_the_cached_practitioner_names_the_doctor_when_the_sign_in_has_no_name(
    engine: Engine, formulary: Formulary, tmp_path: Path
) -> None:
    # [clinic] practitioner_id set and no clinician registered: the Practitioner record names them.
    prescriber = Prescriber(engine, CLINIC, "dr-li")
    chart, group = _sign(engine, formulary, prescriber)
    _practitioner(engine, "dr-li", "李明")
    outcome = print_slip(prescriber, chart, group, formulary, NOW, tmp_path, None)
    assert _prescriber_on(outcome.path) == "李明"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_with_no_name_anywhere_the_doctors_line_is_left_blank_not_an_id(
    engine: Engine, formulary: Formulary, tmp_path: Path, lang: str
) -> None:
    prescriber = Prescriber(engine, CLINIC, "dr-li")
    chart, group = _sign(engine, formulary, prescriber)
    outcome = print_slip(prescriber, chart, group, formulary, NOW, tmp_path, None, lang=lang)
    assert _prescriber_on(outcome.path, lang) == ""
    assert "dr-li" not in _text(outcome.path)


def test_a_slip_the_clinic_signed_names_no_doctor_and_not_the_clinic(
    engine: Engine, formulary: Formulary, tmp_path: Path
) -> None:
    prescriber = Prescriber(engine, CLINIC)  # no clinician known: the Organization requests
    chart, group = _sign(engine, formulary, prescriber)
    outcome = print_slip(prescriber, chart, group, formulary, NOW, tmp_path, None)
    assert _prescriber_on(outcome.path) == ""
    assert _text(outcome.path).count(CLINIC.name) == 1  # the heading only


def test_a_reprint_names_the_doctor_who_signed_it_not_who_is_signed_in_now(
    engine: Engine, formulary: Formulary, tmp_path: Path
) -> None:
    chart, group = _sign(
        engine, formulary, Prescriber(engine, CLINIC, "dr-li", practitioner_name="李明")
    )
    now_signed_in = Prescriber(engine, CLINIC, "dr-wang", practitioner_name="王芳")
    outcome = print_slip(now_signed_in, chart, group, formulary, NOW, tmp_path, None)
    assert _prescriber_on(outcome.path) == "李明"


def test_a_reprint_of_an_order_with_no_name_reads_the_signers_record_or_stays_blank(
    engine: Engine, formulary: Formulary, tmp_path: Path
) -> None:
    chart, group = _sign(engine, formulary, Prescriber(engine, CLINIC, "dr-zhao"))
    now_signed_in = Prescriber(engine, CLINIC, "dr-wang", practitioner_name="王芳")
    blank = print_slip(now_signed_in, chart, group, formulary, NOW, tmp_path / "a", None)
    assert _prescriber_on(blank.path) == ""
    _practitioner(engine, "dr-zhao", "赵刚")
    named = print_slip(now_signed_in, chart, group, formulary, NOW, tmp_path / "b", None)
    assert _prescriber_on(named.path) == "赵刚"


@pytest.mark.parametrize(
    ("requester", "expected"),
    [
        ({"reference": "Practitioner/dr-li"}, "李明"),  # the signed-in clinician
        ({"reference": "Practitioner/dr-li", "display": "Dr Li"}, "李明"),
        ({"reference": "Practitioner/dr-x", "display": "孙浩"}, "孙浩"),
        ({"reference": "Practitioner/dr-x"}, ""),
        ({"reference": "PractitionerRole/role-1", "display": "黄晓燕"}, "黄晓燕"),
        ({"display": "黄晓燕"}, "黄晓燕"),
        ({"reference": "Organization/org-town", "display": "青山镇卫生院"}, ""),
        ({"reference": "Organization/org-county", "display": "县人民医院"}, ""),
        ({"reference": "Patient/p-nka", "display": "李秀英"}, ""),
        ({"display": "青山镇卫生院"}, ""),
        (None, ""),
    ],
)
def test_the_slips_doctor_is_a_person_the_requester_names(
    engine: Engine, requester: dict[str, str] | None, expected: str
) -> None:
    prescriber = Prescriber(engine, CLINIC, "dr-li", practitioner_name="李明")
    request = {"resourceType": "MedicationRequest", "id": "m-1"}
    if requester is not None:
        request["requester"] = requester
    assert slip_prescriber([request], prescriber) == expected


def test_the_reason_for_a_longer_supply_prints_on_the_slip(
    engine: Engine, formulary: Formulary, tmp_path: Path
) -> None:
    # 处方管理办法 第十九条 and 第二十三条: a longer supply needs the prescriber's reason noted.
    fill_cache(engine)
    prescriber = Prescriber(engine, CLINIC, "dr-li")
    parsed = parse_order_line("amlodipine 5mg qd 28d", formulary)
    assert parsed.order is not None, parsed.problems
    basket = Basket(lines=[parsed.order], long_term_reason="高血压慢性病，病情稳定")
    slip = prescriber.sign("p-nka", None, basket, [], NOW)
    chart = ChartRepository(engine).load("p-nka", NOW.date())
    assert chart is not None
    outcome = print_slip(prescriber, chart, slip.group_id, formulary, NOW, tmp_path, None)
    text = _text(outcome.path).replace("\r", "").replace("\n", "")
    assert "延长用量理由" in text
    assert "高血压慢性病，病情稳定" in text
    short = Basket(lines=[parsed.order])
    plain = prescriber.sign("p-nka", None, short, [], NOW)
    other = print_slip(prescriber, chart, plain.group_id, formulary, NOW, tmp_path, None)
    assert "延长用量理由" not in _text(other.path)


def _with_identifiers(chart: Chart, *identifiers: tuple[str, str]) -> Chart:
    from dataclasses import replace

    return replace(chart, identifiers=list(identifiers))


def test_the_record_number_field_never_holds_the_identity_number(
    signed: tuple[Prescriber, Chart, SignedSlip], formulary: Formulary, tmp_path: Path
) -> None:
    from clinic_tui.prescribing.printing import prepare_slip

    prescriber, chart, slip = signed
    identity = next(value for label, value in chart.identifiers if label == "Identity number")
    prepared = prepare_slip(prescriber, chart, slip.group_id, formulary, NOW, tmp_path)
    assert prepared.data.patient_id == ""  # no record number of the clinic: left blank
    assert identity not in _text(print_slip(
        prescriber, chart, slip.group_id, formulary, NOW, tmp_path, None
    ).path)  # fmt: skip
    with_record = _with_identifiers(
        chart, ("Identity number", identity), ("Medical record number", "MZ0042")
    )
    prepared = prepare_slip(prescriber, with_record, slip.group_id, formulary, NOW, tmp_path)
    assert prepared.data.patient_id == "MZ0042"


def test_a_reprint_never_overwrites_the_earlier_pdf(
    signed: tuple[Prescriber, Chart, SignedSlip], formulary: Formulary, tmp_path: Path
) -> None:
    prescriber, chart, slip = signed
    first = print_slip(prescriber, chart, slip.group_id, formulary, NOW, tmp_path, None)
    before = first.path.read_bytes()
    again = print_slip(prescriber, chart, slip.group_id, formulary, NOW, tmp_path, None)
    third = print_slip(prescriber, chart, slip.group_id, formulary, NOW, tmp_path, None)
    assert len({first.path, again.path, third.path}) == 3
    assert first.path.read_bytes() == before
    assert again.path.name == first.path.stem + "-2.pdf"
    assert sorted(p.name for p in first.path.parent.iterdir()) == sorted(
        p.path.name for p in (first, again, third)
    )  # no partial file left


def test_characters_the_font_lacks_are_named_before_the_pdf_is_made(
    signed: tuple[Prescriber, Chart, SignedSlip], formulary: Formulary, tmp_path: Path
) -> None:
    from dataclasses import replace

    from clinic_tui.prescribing.printing import prepare_slip, print_prepared

    prescriber, chart, slip = signed
    uyghur = replace(chart, patient=replace(chart.patient, name="ئابدۇرەھىم"))
    prepared = prepare_slip(prescriber, uyghur, slip.group_id, formulary, NOW, tmp_path)
    assert prepared.glyph_problems == {"name": "ئابدۇرەھىم"}
    assert not list(tmp_path.rglob("*.pdf"))  # nothing made yet: the clinician decides
    outcome = print_prepared(prepared, None)
    assert "□□□□□□□□□□" in _text(outcome.path)
    plain = prepare_slip(prescriber, chart, slip.group_id, formulary, NOW, tmp_path)
    assert plain.glyph_problems == {}
