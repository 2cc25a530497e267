"""Children's prescribing vignettes, each written from the source children_doses.toml cites.

Each case is a child (age, weight) and an order line as a township doctor would type it,
parsed against the shipped starter formulary and checked by check_basket with a
PrescribingContext: the same path the order screen takes. An unsafe order must raise a
dose warning naming its reason; a safe one must raise nothing above information.
China's slip rules (处方管理办法 day limits) are left out here: they are not about the dose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from clinic_tui.prescribing.checks import check_basket
from clinic_tui.prescribing.facts import AllergyState, PrescribingContext
from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.model import Basket, SafetyWarning, Severity
from clinic_tui.prescribing.order_line import parse_order_line

TODAY = date(2026, 12, 1)
WEIGHED = date(2026, 11, 25)


@dataclass(frozen=True)
class Vignette:
    """A child, an order, and what a pharmacist reading the source would say of it."""

    name: str
    born: date
    weight: float | None
    line: str
    expect: Severity | None
    """The most severe dose finding expected (None: nothing above information)."""
    reason: str = ""
    """Words the warning must contain (English)."""


def _findings(vignette: Vignette) -> list[SafetyWarning]:
    formulary = starter_formulary()
    parsed = parse_order_line(vignette.line, formulary)
    assert parsed.order is not None, parsed.problems
    context = PrescribingContext.for_birth_date(
        vignette.born,
        TODAY,
        sex="female",
        weight_kg=vignette.weight,
        weight_date=WEIGHED if vignette.weight is not None else None,
        allergy_state=AllergyState.NONE_KNOWN,
        pregnant=False,
    )
    found = check_basket(Basket(lines=[parsed.order], kind="paediatric"), context, TODAY)
    return [w for w in found if w.check != "rule"]


SAFE = [
    # BNFC 1-5 years: 250 mg three times daily (up to 30 mg/kg tid); 16 kg: 47 mg/kg/day.
    Vignette(
        "amoxicillin 250 mg tid, 4 y 16 kg",
        date(2022, 6, 1),
        16.0,
        "amoxicillin 250mg tid 5d",
        None,
    ),
    # WHO 2014 pneumonia: at least 40 mg/kg/dose twice daily: 500 mg bid for 12 kg = 83 mg/kg/day.
    Vignette(
        "amoxicillin 500 mg bid, 2 y 12 kg",
        date(2024, 9, 1),
        12.0,
        "amoxicillin 500mg bid 5d",
        None,
    ),
    # BNFC child 12-18 years: 500 mg three times daily (adult dose).
    Vignette(
        "amoxicillin 500 mg tid, 14 y 45 kg",
        date(2012, 3, 1),
        45.0,
        "amoxicillin 500mg tid 5d",
        None,
    ),
    # WHO A1.8 / NPS: 15 mg/kg up to 4 times a day: 160 mg qid for 11 kg = 58 mg/kg/day.
    Vignette(
        "paracetamol drops 160 mg qid, 2 y 11 kg",
        date(2024, 6, 1),
        11.0,
        "paracetamol 1.6ml qid 3d",
        None,
    ),
    # NPS: over 12 years the adult maximum of 4 g a day applies: 1 g qid for a 60 kg 16-year-old.
    Vignette(
        "paracetamol 1 g qid, 16 y 60 kg", date(2010, 6, 1), 60.0, "paracetamol 1g qid 3d", None
    ),
    # WHO A1.8 neonate: 10 mg/kg every 6-8 hours, max 4 doses: 35 mg qid for 3.5 kg.
    Vignette(
        "paracetamol 35 mg qid, neonate 3.5 kg",
        date(2026, 11, 20),
        3.5,
        "paracetamol 0.35ml qid 3d",
        None,
    ),
    # Calprofen SmPC: 20 mg/kg/day in divided doses: 100 mg tid for 15 kg = 20 mg/kg/day.
    Vignette(
        "ibuprofen suspension 100 mg tid, 3 y 15 kg",
        date(2023, 6, 1),
        15.0,
        "ibuprofen 5ml tid 3d",
        None,
    ),
    # Co-amoxiclav SmPC: 20-60 mg/kg/day of amoxicillin: 228.5 mg (200 mg amox) tid for 14 kg = 43.
    Vignette(
        "co-amoxiclav 228.5 mg tid, 3 y 14 kg",
        date(2023, 6, 1),
        14.0,
        "co-amoxiclav 228.5mg tid 5d",
        None,
    ),
    # Zithromax: 10 mg/kg once daily for 3 days: 200 mg for 20 kg.
    Vignette(
        "azithromycin 200 mg qd, 6 y 20 kg",
        date(2020, 6, 1),
        20.0,
        "azithromycin 200mg qd 3d",
        None,
    ),
    # Oseltamivir <= 15 kg: 30 mg twice daily.
    Vignette(
        "oseltamivir 30 mg bid, 4 y 14 kg", date(2022, 6, 1), 14.0, "oseltamivir 30mg bid 5d", None
    ),
    # Ceftriaxone 15 days-12 years: 20-80 mg/kg once daily: 1 g for 16 kg = 62 mg/kg.
    Vignette("ceftriaxone 1 g qd, 4 y 16 kg", date(2022, 6, 1), 16.0, "ceftriaxone 1g qd 5d", None),
    # Ceftriaxone neonate 0-14 days: 20-50 mg/kg: 150 mg for 3.5 kg = 43 mg/kg.
    Vignette(
        "ceftriaxone 150 mg qd, neonate 3.5 kg",
        date(2026, 11, 24),
        3.5,
        "ceftriaxone 150mg qd 5d",
        None,
    ),
    # WHO/UNICEF zinc: 20 mg a day from 6 months.
    Vignette("zinc 20 mg qd, 18 m 10 kg", date(2025, 6, 1), 10.0, "zinc 20mg qd 7d", None),
    # WHO zinc: 10 mg a day under 6 months (half a 20 mg tablet).
    Vignette("zinc 10 mg qd, 3 m 6 kg", date(2026, 9, 1), 6.0, "zinc 10mg qd 7d", None),
    # Albendazole 400 mg single dose from 2 years.
    Vignette(
        "albendazole 400 mg once, 5 y 18 kg",
        date(2021, 6, 1),
        18.0,
        "albendazole 400mg once 1d",
        None,
    ),
    # Asthma Handbook 6-11 years: 2-4 puffs of 100 micrograms as needed.
    Vignette(
        "salbutamol 2 puffs qid, 8 y 25 kg",
        date(2018, 6, 1),
        25.0,
        "salbutamol 2 puffs qid 3d",
        None,
    ),
    # Zinnat: 10 mg/kg twice daily up to 125 mg twice daily: 125 mg bid for 12.5 kg.
    Vignette(
        "cefuroxime 125 mg bid, 3 y 12.5 kg",
        date(2023, 6, 1),
        12.5,
        "cefuroxime axetil 125mg bid 5d",
        None,
    ),
]

UNSAFE = [
    # 1 g tid for 16 kg = 188 mg/kg/day against BNFC's 30 mg/kg tid (90).
    Vignette(
        "amoxicillin 1 g tid, 4 y 16 kg",
        date(2022, 6, 1),
        16.0,
        "amoxicillin 1000mg tid 5d",
        Severity.HIGH,
        "above the children's range",
    ),
    # An adult paracetamol dose to a 16 kg child: 250 mg/kg/day against 60.
    Vignette(
        "paracetamol 1 g qid, 4 y 16 kg",
        date(2022, 6, 1),
        16.0,
        "paracetamol 1g qid 3d",
        Severity.HIGH,
        "above the children's range",
    ),
    # FDA 2017: codeine contraindicated under 12 years.
    Vignette(
        "codeine, 8 y",
        date(2018, 6, 1),
        25.0,
        "codeine 15mg tid 3d",
        Severity.HIGH,
        "not for children under 12 years",
    ),
    # FDA 2017: tramadol contraindicated under 12 years.
    Vignette(
        "tramadol, 10 y",
        date(2016, 6, 1),
        30.0,
        "tramadol 50mg bid 3d",
        Severity.HIGH,
        "not for children under 12 years",
    ),
    # Promethazine boxed warning: not under 2 years.
    Vignette(
        "promethazine, 18 m",
        date(2025, 6, 1),
        10.0,
        "promethazine 12.5mg qn 3d",
        Severity.HIGH,
        "not for children under 2 years",
    ),
    # Loperamide: contraindicated under 2 years.
    Vignette(
        "loperamide, 18 m",
        date(2025, 6, 1),
        10.0,
        "loperamide 2mg tid 3d",
        Severity.HIGH,
        "not for children under 2 years",
    ),
    # EMA 2013: metoclopramide not under 1 year.
    Vignette(
        "metoclopramide, 6 m",
        date(2026, 6, 1),
        8.0,
        "metoclopramide 5mg tid 3d",
        Severity.HIGH,
        "not for children under 1 year",
    ),
    # Tetracyclines stain developing teeth: doxycycline under 8 years.
    Vignette(
        "doxycycline, 6 y",
        date(2020, 6, 1),
        20.0,
        "doxycycline 100mg bid 5d",
        Severity.HIGH,
        "not for children under 8 years",
    ),
    # UK CSM 2002: aspirin not under 16 years (Reye's syndrome).
    Vignette("aspirin, 12 y", date(2014, 6, 1), 40.0, "aspirin 100mg qd 7d", Severity.HIGH, "Reye"),
    # Calprofen: do not give under 3 months.
    Vignette(
        "ibuprofen, 2 m",
        date(2026, 10, 1),
        5.0,
        "ibuprofen 2.5ml tid 3d",
        Severity.HIGH,
        "not for children under 3 months",
    ),
    # A neonate and a drug with no neonatal dose: specialist review.
    Vignette(
        "amoxicillin, neonate",
        date(2026, 11, 20),
        3.5,
        "amoxicillin 125mg tid 5d",
        Severity.HIGH,
        "NEONATE",
    ),
    # No weight: weigh the child before dosing.
    Vignette(
        "amoxicillin, 4 y, no weight",
        date(2022, 6, 1),
        None,
        "amoxicillin 250mg tid 5d",
        Severity.HIGH,
        "WEIGH THE CHILD",
    ),
    # Oseltamivir 75 mg (the > 40 kg dose) for a 14 kg child: the <= 15 kg dose is 30 mg.
    Vignette(
        "oseltamivir 75 mg bid, 4 y 14 kg",
        date(2022, 6, 1),
        14.0,
        "oseltamivir 75mg bid 5d",
        Severity.HIGH,
        "above the children's dose",
    ),
    # Ceftriaxone neonate 400 mg for 3.5 kg = 114 mg/kg: 50 mg/kg must not be exceeded.
    Vignette(
        "ceftriaxone 400 mg, neonate 3.5 kg",
        date(2026, 11, 24),
        3.5,
        "ceftriaxone 400mg qd 5d",
        Severity.HIGH,
        "children's maximum of 50",
    ),
    # Domperidone 10 mg tid for 16 kg = 1.9 mg/kg/day against 0.75 (max 1.2 refractory).
    Vignette(
        "domperidone 10 mg tid, 4 y 16 kg",
        date(2022, 6, 1),
        16.0,
        "domperidone 10mg tid 3d",
        Severity.HIGH,
        "children's maximum",
    ),
    # Co-amoxiclav 375 mg (2:1) tid for 11 kg at 18 months: 68 mg/kg/day of amoxicillin;
    # the SmPC's top is 60 (and no data above 40 under 2 years).
    Vignette(
        "co-amoxiclav 375 mg tid, 18 m 11 kg",
        date(2025, 6, 1),
        11.0,
        "co-amoxiclav 375mg tid 5d",
        Severity.HIGH,
        "(amoxicillin) above",
    ),
    # A drug with no children's dose: moderate, check BNFC / 说明书.
    Vignette(
        "amlodipine, 14 y 45 kg",
        date(2012, 6, 1),
        45.0,
        "amlodipine 5mg qd 7d",
        Severity.MODERATE,
        "No children's dose",
    ),
    # Albendazole below 12 months: no children's dose at this age in the table.
    Vignette(
        "albendazole, 8 m",
        date(2026, 4, 1),
        8.0,
        "albendazole 200mg once 1d",
        Severity.MODERATE,
        "No children's dose",
    ),
]


@pytest.mark.parametrize("vignette", SAFE, ids=[v.name for v in SAFE])
def test_a_safe_childrens_order_raises_nothing_above_information(vignette: Vignette) -> None:
    found = [w for w in _findings(vignette) if w.severity is not Severity.INFO]
    assert found == [], [w.message_en for w in found]


@pytest.mark.parametrize("vignette", UNSAFE, ids=[v.name for v in UNSAFE])
def test_an_unsafe_childrens_order_warns_with_its_reason(vignette: Vignette) -> None:
    found = _findings(vignette)
    order = {Severity.HIGH: 0, Severity.MODERATE: 1, Severity.INFO: 2}
    worst = min(found, key=lambda w: order[w.severity])
    assert worst.severity is vignette.expect
    named = [w for w in found if w.severity is vignette.expect and vignette.reason in w.message_en]
    assert named, [w.message_en for w in found]
    assert all(w.source for w in named)


def test_co_amoxiclav_from_the_2_to_1_tablet_is_measured_by_its_amoxicillin_part() -> None:
    # 375 mg tid for 25 kg: 750 mg of amoxicillin a day = 30 mg/kg/day, inside 20-60; the
    # tablet's total (1,125 mg = 45 mg/kg/day) is not what the range is written in. The
    # clavulanic acid (15 mg/kg/day) is at the SmPC's top, not above it.
    vignette = Vignette("", date(2018, 6, 1), 25.0, "co-amoxiclav 375mg tid 5d", None)
    assert [w for w in _findings(vignette) if w.severity is not Severity.INFO] == []
    # The same day's amoxicillin from 375 mg tablets in a 14 kg child: 54 mg/kg/day of
    # amoxicillin (inside) but 27 mg/kg/day of clavulanic acid: use the 4:1 form.
    small = Vignette("", date(2022, 6, 1), 14.0, "co-amoxiclav 375mg tid 5d", None)
    [second] = [w for w in _findings(small) if w.key.startswith("dose:second-part:")]
    assert second.severity is Severity.MODERATE
    assert "clavulanic acid" in second.message_en


def test_ors_gives_the_who_plans_for_the_childs_age_and_weight() -> None:
    vignette = Vignette("", date(2025, 6, 1), 8.0, "ors 1 sachet tid 3d", None)
    [plan] = _findings(vignette)
    assert plan.severity is Severity.INFO
    assert "50-100 ml after each loose stool" in plan.message_en
    assert "75 ml/kg = 600 ml over 4 hours" in plan.message_en


def test_an_adolescent_dosed_as_an_adult_still_gets_the_adult_ceilings() -> None:
    # Paracetamol 1 g six times a day for a 60 kg 16-year-old: the adult 4 g maximum.
    vignette = Vignette("", date(2010, 6, 1), 60.0, "paracetamol 1g q4h 3d", None)
    keys = [w.key for w in _findings(vignette) if w.severity is Severity.HIGH]
    assert keys == ["dose:max-daily:paracetamol:6,000mg"]
