"""Adult clinical vignettes, written from the sources the starter formulary cites.

Each case is a patient and the lines a doctor types, read by the order line's parser and
checked by check_basket (what the order screen runs) against the shipped starter formulary.
An unsafe order must raise the named finding at the named severity; a safe one must raise
nothing above information.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from clinic_tui.prescribing.checks import check_basket
from clinic_tui.prescribing.facts import AllergyState, PrescribingContext
from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.model import Basket, SafetyWarning, Severity
from clinic_tui.prescribing.order_line import parse_order_line
from clinic_tui.prescribing.overrides import make_override, unresolved

TODAY = date(2026, 12, 1)
FORMULARY = starter_formulary()


@dataclass(frozen=True)
class Vignette:
    """A patient, what is typed, and what the checks must say."""

    name: str
    lines: tuple[str, ...]
    age: int = 50
    facts: dict[str, object] = field(default_factory=dict)
    expect: tuple[tuple[str, Severity, str], ...] = ()
    """(check, severity, words in the English message) that must be among the findings."""
    kind: str = "ordinary"
    reason: str = ""


def _context(age: int, facts: dict[str, object]) -> PrescribingContext:
    values: dict[str, object] = {
        "sex": "male",
        "weight_kg": 65.0,
        "weight_date": date(2026, 11, 20),
        "allergy_state": AllergyState.NONE_KNOWN,
    }
    values.update(facts)
    birth = date(TODAY.year - age, 3, 1)
    return PrescribingContext.for_birth_date(birth, TODAY, **values)


def _check(case: Vignette) -> list[SafetyWarning]:
    lines = []
    for text in case.lines:
        parsed = parse_order_line(text, FORMULARY)
        assert parsed.order is not None, (text, parsed.problems)
        lines.append(parsed.order)
    basket = Basket(lines=lines, kind=case.kind, long_term_reason=case.reason)
    return check_basket(basket, _context(case.age, case.facts), TODAY)


UNSAFE = [
    Vignette(
        "rosuvastatin 40 mg in a Chinese patient (40 mg contraindicated in Asian ancestry)",
        ("rosuvastatin 40mg po qd 7d",),
        expect=(("dose", Severity.HIGH, "adult maximum of 20 mg a dose"),),
    ),
    Vignette(
        "gliclazide MR 120 mg twice a day: 240 mg, the MR maximum is 120 mg a day",
        ("格列齐特缓释片 120mg po bid 7d",),
        expect=(("dose", Severity.HIGH, "above the adult maximum of 120 mg a day"),),
    ),
    Vignette(
        "digoxin typed as 125 mg (micrograms meant): a unit error, no override",
        ("digoxin 125mg po qd 7d",),
        expect=(("dose", Severity.HIGH, "unit error"),),
    ),
    Vignette(
        "levothyroxine typed as 100 mg (micrograms meant)",
        ("levothyroxine 100mg po qd 7d",),
        expect=(("dose", Severity.HIGH, "unit error"),),
    ),
    Vignette(
        "warfarin 50 mg a day: above the 30 mg the label's range reaches",
        ("warfarin 50mg po qd 7d",),
        expect=(("dose", Severity.HIGH, "adult maximum of 30 mg a dose"),),
    ),
    Vignette(
        "morphine 30 mg every 4 hours: 180 mg a day, above the oral solution's 120 mg",
        ("morphine 30mg po q4h 3d",),
        kind="narcotic-psychotropic-1",
        expect=(("dose", Severity.HIGH, "adult maximum of 120 mg a day"),),
    ),
    Vignette(
        "theophylline 600 mg twice a day: the label titrates to 400 mg 12-hourly",
        ("theophylline 600mg po bid 7d",),
        expect=(("dose", Severity.HIGH, "adult maximum of 400 mg a dose"),),
    ),
    Vignette(
        "carbamazepine 800 mg three times a day: 2400 mg, above 2000 mg",
        ("carbamazepine 800mg po tid 7d",),
        expect=(("dose", Severity.HIGH, "adult maximum of 2,000 mg a day"),),
    ),
    Vignette(
        "phenobarbital 240 mg at night: the label's adult range ends at 180 mg",
        ("phenobarbital 240mg po qn 7d",),
        kind="psychotropic-2",
        expect=(("dose", Severity.HIGH, "adult maximum of 180 mg a dose"),),
    ),
    Vignette(
        "potassium chloride typed as 100 g a day (a unit error)",
        ("potassium chloride 50g po bid 3d",),
        expect=(("dose", Severity.HIGH, "unit error"),),
    ),
    Vignette(
        "metformin at eGFR 20: contraindicated below 30",
        ("metformin 500mg po bid 7d",),
        facts={"egfr": 20.0, "egfr_date": date(2026, 11, 1)},
        expect=(("renal", Severity.HIGH, "not to be used below 30"),),
    ),
    Vignette(
        "nitrofurantoin at eGFR 38: contraindicated below 45",
        ("nitrofurantoin 50mg po qid 5d",),
        facts={"egfr": 38.0, "egfr_date": date(2026, 11, 1)},
        expect=(("renal", Severity.HIGH, "not to be used below 45"),),
    ),
    Vignette(
        "rosuvastatin at eGFR 25: contraindicated in severe renal impairment",
        ("rosuvastatin 5mg po qd 7d",),
        facts={"egfr": 25.0, "egfr_date": date(2026, 11, 1)},
        expect=(("renal", Severity.HIGH, "not to be used below 30"),),
    ),
    Vignette(
        "amoxicillin 2 g a dose: above the usual dose (moderate)",
        ("amoxicillin 1500mg po tid 7d",),
        expect=(("dose", Severity.MODERATE, "above the usual adult dose"),),
    ),
    Vignette(
        "chlorphenamine at 78: a first-generation antihistamine (Beers)",
        ("chlorphenamine 4mg po tid 5d",),
        age=78,
        expect=(("elderly", Severity.MODERATE, "first-generation antihistamine"),),
    ),
    Vignette(
        "glibenclamide at 70: long-acting sulfonylurea (Beers)",
        ("glibenclamide 5mg po qd 7d",),
        age=70,
        expect=(("elderly", Severity.MODERATE, "long-acting sulfonylurea"),),
    ),
    Vignette(
        "glimepiride at 66 (Beers)",
        ("glimepiride 2mg po qd 7d",),
        age=66,
        expect=(("elderly", Severity.MODERATE, "long-acting sulfonylurea"),),
    ),
    Vignette(
        "diazepam at 80: a benzodiazepine (Beers)",
        ("diazepam 2.5mg po qn 5d",),
        age=80,
        kind="psychotropic-2",
        expect=(("elderly", Severity.MODERATE, "benzodiazepine"),),
    ),
    Vignette(
        "digoxin 0.25 mg a day at 82: above Beers' 0.125 mg",
        ("digoxin 0.25mg po qd 7d",),
        age=82,
        expect=(("elderly", Severity.MODERATE, "0.125 mg"),),
    ),
    Vignette(
        "omeprazole for 12 weeks at 72: beyond Beers' 8 weeks",
        ("omeprazole 20mg po qd 84d",),
        age=72,
        reason="chronic reflux, reviewed",
        expect=(("elderly", Severity.MODERATE, "8 weeks"),),
    ),
    Vignette(
        "metoclopramide at 75 (Beers)",
        ("metoclopramide 10mg po tid 3d",),
        age=75,
        expect=(("elderly", Severity.MODERATE, "gastroparesis"),),
    ),
    Vignette(
        "gliclazide MR alongside gliclazide: two sulfonylureas",
        ("格列齐特缓释片 30mg po qd 7d", "gliclazide 80mg po bid 7d"),
        expect=(("duplicate", Severity.MODERATE, "sulfonylureas"),),
    ),
]

SAFE = [
    Vignette("rosuvastatin 10 mg once a day", ("rosuvastatin 10mg po qd 7d",)),
    Vignette(
        "gliclazide MR 120 mg once a day (the MR maximum)", ("格列齐特缓释片 120mg po qd 7d",)
    ),
    Vignette(
        "gliclazide 80 mg tablets, 160 mg twice a day (320 mg)", ("gliclazide 160mg po bid 7d",)
    ),
    Vignette("digoxin 125 micrograms a day at 60", ("digoxin 0.125mg po qd 7d",), age=60),
    Vignette(
        "digoxin 125 micrograms a day at 84 (within Beers)", ("digoxin 0.125mg po qd 7d",), age=84
    ),
    Vignette("clopidogrel 300 mg loading dose before referral", ("clopidogrel 300mg po stat 1d",)),
    Vignette("azithromycin 1 g single dose for chlamydia", ("azithromycin 1000mg po stat 1d",)),
    Vignette(
        "salbutamol 200 µg when needed, up to every 4 hours", ("salbutamol 200µg inh prn q4h 7d",)
    ),
    Vignette(
        "metformin 1 g twice a day at eGFR 70",
        ("metformin 1000mg po bid 7d",),
        facts={"egfr": 70.0, "egfr_date": date(2026, 11, 1)},
    ),
    Vignette(
        "omeprazole 4 weeks at 70",
        ("omeprazole 20mg po qd 28d",),
        age=70,
        reason="peptic ulcer, 4 weeks",
    ),
    Vignette("warfarin 5 mg a day", ("warfarin 5mg po qd 7d",)),
    Vignette("levothyroxine 100 micrograms a day", ("levothyroxine 100µg po qd 7d",)),
    Vignette("amlodipine 5 mg once a day", ("amlodipine 5mg po qd 7d",)),
]


@pytest.mark.parametrize("case", UNSAFE, ids=lambda case: case.name)
def test_an_unsafe_adult_order_is_flagged_with_its_reason(case: Vignette) -> None:
    found = _check(case)
    for check, severity, words in case.expect:
        hits = [w for w in found if w.check == check and words in w.message_en]
        assert hits, f"{case.name}: no {check} finding with {words!r} in {found}"
        assert hits[0].severity is severity, hits[0]
        assert hits[0].source, "every finding names its source"


@pytest.mark.parametrize("case", SAFE, ids=lambda case: case.name)
def test_a_safe_adult_order_raises_nothing_above_information(case: Vignette) -> None:
    found = _check(case)
    loud = [w for w in found if w.severity is not Severity.INFO]
    assert not loud, f"{case.name}: {[(w.severity, w.message_en) for w in loud]}"


def test_a_unit_error_cannot_be_overridden_and_blocks_signing() -> None:
    case = Vignette("digoxin 125 mg", ("digoxin 125mg po qd 7d",))
    found = _check(case)
    error = next(w for w in found if "unit error" in w.message_en)
    assert not error.overridable
    override = make_override(error, "dose-intended", "meant it")
    assert error in unresolved(found, {error.key: override})


def test_a_maximum_dose_above_the_usual_is_high_but_overridable() -> None:
    case = Vignette("theophylline 600 mg", ("theophylline 600mg po bid 7d",))
    found = _check(case)
    high = next(w for w in found if w.check == "dose" and w.severity is Severity.HIGH)
    assert high.overridable
    override = make_override(high, "specialist-advised")
    assert high not in unresolved(found, {high.key: override})


def test_a_unit_error_is_refused_for_a_child_too() -> None:
    case = Vignette("digoxin 125 mg for a 6-year-old", ("digoxin 125mg po qd 7d",), age=6)
    found = _check(case)
    assert any("unit error" in w.message_en and not w.overridable for w in found)


def test_every_name_of_the_modified_release_gliclazide_finds_its_own_row() -> None:
    for name in ("格列齐特缓释片", "达美康缓释片", "gliclazide mr", "diamicron mr"):
        drug = FORMULARY.find(name)
        assert drug is not None, name
        assert drug.code == "gliclazide-mr", name
    plain = FORMULARY.find("格列齐特")
    assert plain is not None
    assert plain.code == "gliclazide"
