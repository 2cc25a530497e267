"""Adult ceilings added in content 2026.12.2: each is in the formulary with its source, and
the dose check uses it (above it: high; ten times it: a unit error, typed again)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from clinic_tui.prescribing.content import (
    COLUMNS,
    NO_FIXED_MAXIMUM,
    UNVERIFIED,
    coverage,
    missing_ceilings,
)
from clinic_tui.prescribing.dose_check import UNIT_ERROR_FACTOR, check_line
from clinic_tui.prescribing.facts import AllergyState, PrescribingContext
from clinic_tui.prescribing.formulary import starter_drugs, starter_formulary
from clinic_tui.prescribing.model import FormularyDrug, SafetyWarning, Severity
from clinic_tui.prescribing.order_line import parse_order_line

TODAY = date(2026, 12, 1)
FORMULARY = starter_formulary()

# code: (most a dose, most a day, a line whose day is above the day's most)
CEILINGS: dict[str, tuple[float | None, float | None, str]] = {
    "cefalexin": (None, 4000, "1500mg qid"),  # 6 g a day; Keflex label: over 4 g go parenteral
    "cefuroxime-axetil": (500, 1000, "500mg tid"),  # Zinnat Table 1: 500 mg twice daily
    "amoxicillin-clavulanate": (625, 1875, "625mg qid"),  # one 500/125 tablet tid
    "estazolam": (2, 2, "1mg tid"),  # 1-2 mg at bedtime
    "risperidone": (None, 16, "10mg bid"),  # above 16 mg/day not evaluated
    "hydrochlorothiazide": (None, 100, "50mg tid"),  # oedema 25-100 mg daily (AHFS)
    "aspirin": (900, 3600, "900mg q4h"),  # 12 caplets (3.6 g) in 24 hours
    "omeprazole": (80, 120, "80mg bid"),  # Zollinger-Ellison 20-120 mg/day
    "pantoprazole": (120, 240, "120mg tid"),  # US label: up to 240 mg daily, 120 mg bid
    "esomeprazole": (None, 240, "80mg qid"),  # up to 240 mg/day administered
    "famotidine": (160, 640, "160mg q4h"),  # 160 mg every 6 hours at most
    "ambroxol": (60, 120, "60mg tid"),  # 2 tablets twice a day at most
    "thiamazole": (None, 40, "20mg tid"),  # severe cases 40 mg initially
    "glucosamine": (1500, 1500, "1500mg bid"),  # one 1500 mg sachet once daily
    "diosmectite": (None, 18, "6g qid"),  # 6 sachets (18 g) a day at most
    "albendazole": (400, 800, "400mg tid"),  # 400 mg twice a day
    "isosorbide-dinitrate": (None, 240, "100mg tid"),  # not above 240 mg a day
    "promethazine": (50, 100, "50mg tid"),  # NZ pack: 20 mg 3-5 times a day for nausea
    "cefadroxil": (None, 4000, "1500mg tid"),  # the dosage maximum is 4 g per day
    "ferrous-sulfate": (300, 900, "300mg qid"),  # 说明书: 治疗 一次1片 一日3次
    "benzylpenicillin": (None, 24_000_000, "8000000IU iv qid"),  # 24 mega units a day
    # Issue #19, the second round:
    "cefradine": (1000, 4000, "1500mg qid"),  # 说明书: 一次可增至1 g, 一日总量不超过4 g
    "phenoxymethylpenicillin": (1000, 4000, "1500mg qid"),  # adults 2-4 g daily, 4 doses
    "aminophylline": (500, 1000, "400mg tid"),  # 极量 一次0.5 g, 一日1 g
    "folic-acid": (5, 5, "5mg bid"),  # SmPC: 5 mg daily
    "salbutamol": (200, None, ""),  # two puffs a dose; the day is the prescriber's (indiv)
    "glyceryl-trinitrate": (0.5, None, ""),  # one 0.5 mg tablet a dose; no daily total
    "thiamine": (300, 300, "200mg bid"),  # severe deficiency 200-300 mg daily
    "zinc-sulfate": (20, 40, "20mg tid"),  # elemental zinc: 10-20 mg twice a day
}
UNITS = {"diosmectite": "g", "benzylpenicillin": "IU iv", "salbutamol": "µg"}
"""The unit (and route) a line of the drug is typed in, when not mg by mouth."""


def _adult_findings(text: str) -> list[SafetyWarning]:
    parsed = parse_order_line(text, FORMULARY)
    assert parsed.order is not None, parsed.problems
    context = PrescribingContext.for_birth_date(
        date(1980, 6, 1),
        TODAY,
        sex="female",
        weight_kg=70.0,
        weight_date=TODAY,
        allergy_state=AllergyState.NONE_KNOWN,
        pregnant=False,
    )
    return check_line(0, parsed.order, context, TODAY)


def _drug(code: str) -> FormularyDrug:
    drug = FORMULARY.find(code)
    assert drug is not None, code
    return drug


@pytest.mark.parametrize("code", sorted(CEILINGS))
def test_each_new_ceiling_is_in_the_formulary_with_its_source(code: str) -> None:
    most_dose, most_day, _ = CEILINGS[code]
    drug = _drug(code)
    assert (drug.adult_max_dose, drug.adult_max_daily) == (most_dose, most_day)
    for field, value in (("adult_max_dose", most_dose), ("adult_max_daily", most_day)):
        if value is not None:
            assert drug.source_of(field), (code, field)
            assert field not in drug.unverified, (code, field)


@pytest.mark.parametrize("code", sorted(c for c, (_, day, _) in CEILINGS.items() if day))
def test_a_day_above_the_new_maximum_is_high(code: str) -> None:
    line = CEILINGS[code][2]
    found = _adult_findings(f"{code} {line} 3d")
    [day] = [w for w in found if w.key.startswith(f"dose:max-daily:{code}:")]
    assert day.severity is Severity.HIGH
    assert day.overridable
    assert day.source, "the warning names the source of the maximum"


@pytest.mark.parametrize("code", sorted(c for c, (dose, _, _) in CEILINGS.items() if dose))
def test_a_dose_above_the_new_per_dose_maximum_is_high(code: str) -> None:
    most_dose = CEILINGS[code][0]
    assert most_dose is not None
    unit = UNITS.get(code, "mg")
    found = _adult_findings(f"{code} {most_dose * 2:.0f}{unit} qd 1d")
    [dose] = [w for w in found if w.key.startswith(f"dose:max-dose:{code}:")]
    assert dose.severity is Severity.HIGH
    # At the maximum itself: no per-dose warning.
    at_most = _adult_findings(f"{code} {most_dose:g}{unit} qd 1d")
    assert not [w for w in at_most if w.key.startswith("dose:max-dose:")]


@pytest.mark.parametrize("code", sorted(CEILINGS))
def test_ten_times_the_new_maximum_is_a_unit_error(code: str) -> None:
    most_dose, most_day, _ = CEILINGS[code]
    most = most_dose if most_dose is not None else most_day
    assert most is not None
    unit = UNITS.get(code, "mg")
    found = _adult_findings(f"{code} {most * UNIT_ERROR_FACTOR:.0f}{unit} qd 1d")
    assert [w.key.split(":")[1] for w in found] == ["unit-error"]
    assert not found[0].overridable


NO_FIXED = {
    "lansoprazole": ("adult_max_dose", "adult_max_daily"),
    "levothyroxine": ("adult_max_dose", "adult_max_daily"),
    "prednisone": ("adult_max_dose", "adult_max_daily"),
    "dexamethasone": ("adult_max_dose", "adult_max_daily"),
    "oral-rehydration-salts": ("adult_max_dose", "adult_max_daily"),
    "glyceryl-trinitrate": ("adult_max_daily",),
    "salbutamol": ("adult_max_daily",),
}
"""Issue #19: ceilings the source sets no fixed value for (cited as dosed individually)."""


@pytest.mark.parametrize("code", sorted(NO_FIXED))
def test_a_cited_no_fixed_maximum_shows_indiv_in_the_coverage(code: str) -> None:
    headings = [name for name, _ in COLUMNS]
    drug = _drug(code)
    [row] = coverage([drug])
    cells = dict(zip(headings, row.cells, strict=True))
    column = {"adult_max_daily": "max/d", "adult_max_dose": "max/dose"}
    for field in NO_FIXED[code]:
        assert getattr(drug, field) is None, (code, field)
        assert "no fixed maximum" in drug.source_of(field), (code, field)
        assert field not in drug.unverified, (code, field)
        assert cells[column[field]] == NO_FIXED_MAXIMUM, (code, field)


@pytest.mark.parametrize(("code", "line"), [("levothyroxine", "2000µg"), ("lansoprazole", "300mg")])
def test_without_a_fixed_maximum_ten_times_the_usual_top_dose_is_still_a_unit_error(
    code: str, line: str
) -> None:
    drug = _drug(code)
    assert drug.adult_dose is not None
    assert drug.adult_max_dose is None
    assert drug.adult_max_daily is None
    found = _adult_findings(f"{code} {line} qd 1d")
    assert [w.key.split(":")[1] for w in found] == ["unit-error"]
    # Just under it: no refusal (the usual-dose warning is the only check left).
    below = _adult_findings(f"{code} {drug.adult_dose.high * 9:g}{line[-2:]} qd 1d")
    assert "unit-error" not in [w.key.split(":")[1] for w in below]


def test_insulin_has_no_fixed_maximum_and_the_coverage_says_so_with_its_source() -> None:
    headings = [name for name, _ in COLUMNS]
    rows = {
        row.code: dict(zip(headings, row.cells, strict=True)) for row in coverage(starter_drugs())
    }
    for code in ("insulin-human", "insulin-glargine"):
        drug = _drug(code)
        assert drug.adult_max_daily is None
        assert drug.adult_max_dose is None
        for field in ("adult_max_dose", "adult_max_daily"):
            assert "4.2 no fixed maximum" in drug.source_of(field), (code, field)
        assert (rows[code]["max/d"], rows[code]["max/dose"]) == (NO_FIXED_MAXIMUM,) * 2
    assert missing_ceilings(starter_drugs()) == []


def test_a_cited_ceiling_without_a_value_is_no_fixed_maximum_and_an_uncited_one_is_missing() -> (
    None
):
    headings = [name for name, _ in COLUMNS]
    insulin = _drug("insulin-human")
    [row] = coverage([insulin])
    assert dict(zip(headings, row.cells, strict=True))["max/d"] == NO_FIXED_MAXIMUM
    # The same row with neither a value, a citation nor an unverified entry: missing.
    bare = replace(insulin, cited=(), unverified=())
    assert missing_ceilings([bare]) == ["insulin-human"]
    [bare_row] = coverage([bare])
    assert dict(zip(headings, bare_row.cells, strict=True))["max/d"] == ""
    unverified = replace(bare, unverified=("adult_max_daily",))
    [unverified_row] = coverage([unverified])
    assert dict(zip(headings, unverified_row.cells, strict=True))["max/d"] == UNVERIFIED


def test_the_coverage_has_no_question_mark_for_the_drugs_covered() -> None:
    covered = set(CEILINGS) | set(NO_FIXED) | {"insulin-human", "insulin-glargine"}
    for row in coverage(starter_drugs()):
        if row.code in covered:
            assert UNVERIFIED not in row.cells, row
    rows = {row.code: row for row in coverage(starter_drugs())}
    assert rows["promethazine"].cells[:2] == ("100", "50")
    # Glyceryl trinitrate: one tablet a dose; the label sets no daily total.
    assert rows["glyceryl-trinitrate"].cells[:2] == (NO_FIXED_MAXIMUM, "0.5")
    # Issue #19: every drug now has an adult ceiling or a cited 'indiv'.
    assert not [row.code for row in rows.values() if UNVERIFIED in row.cells[:2]]
    # Units of benzylpenicillin read in full, never in exponent form.
    assert rows["benzylpenicillin"].cells[0] == "24000000"
