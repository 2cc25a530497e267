"""Patient vignettes for pregnancy, HLA, interaction and allergy checks, from the cited sources.

Each case is a patient and an order typed against the shipped starter formulary, run through
check_basket, the function the order screen calls. An unsafe case must raise its warning at
the stated severity with the reason named in words; a safe case must raise nothing above info.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from clinic_tui.prescribing.checks import check_basket
from clinic_tui.prescribing.facts import (
    ActiveMedication,
    AllergyFact,
    AllergyState,
    HlaResult,
    PrescribingContext,
)
from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.model import (
    Basket,
    DraftOrder,
    FormularyDrug,
    Frequency,
    SafetyWarning,
    Severity,
)

TODAY = date(2026, 12, 1)
QD = Frequency("qd", 1)
BID = Frequency("bid", 2)
TID = Frequency("tid", 3)
_RANK = {Severity.INFO: 0, Severity.MODERATE: 1, Severity.HIGH: 2}


def drug(name: str) -> FormularyDrug:
    """The starter formulary's drug of this name."""
    found = starter_formulary().find(name)
    assert found is not None, name
    return found


def line(name: str, dose: float, frequency: Frequency = QD, days: int = 5) -> DraftOrder:
    """A basket line of the named starter drug, its first product, quantity as typed."""
    medicine = drug(name)
    product = medicine.products[0]
    quantity = int(frequency.per_day * days * dose / product.strength + 0.999)
    return DraftOrder(
        text=f"{name} {dose:g} {frequency.code} {days}d",
        drug=medicine,
        product=product,
        dose=dose,
        dose_unit=product.strength_unit,
        route=medicine.routes[0],
        frequency=frequency,
        duration_days=days,
        quantity=quantity,
        quantity_unit=product.unit_en,
    )


def taking(*names: str) -> tuple[ActiveMedication, ...]:
    """Active medications, each resolved to its starter drug."""
    return tuple(ActiveMedication(drug(n).name_zh, drug(n), id=f"mr-{n}") for n in names)


def patient(
    age: int = 50,
    sex: str = "male",
    *,
    medications: tuple[ActiveMedication, ...] = (),
    allergies: tuple[AllergyFact, ...] = (),
    **facts: object,
) -> PrescribingContext:
    """A patient of this age and sex, weighed today, allergies as given (none known if none)."""
    return PrescribingContext.for_birth_date(
        date(TODAY.year - age, 1, 1),
        TODAY,
        sex=sex,
        weight_kg=60.0,
        weight_date=TODAY,
        allergy_state=AllergyState.RECORDED if allergies else AllergyState.NONE_KNOWN,
        allergies=allergies,
        medications=medications,
        **facts,
    )


def allergy(text: str, resolved: str | None = None, criticality: str = "high") -> AllergyFact:
    """A medication allergy as recorded, resolved to a starter drug when named."""
    return AllergyFact(
        substance=text,
        category="medication",
        criticality=criticality,
        reaction="rash",
        id=f"allergy-{text}",
        drug=drug(resolved) if resolved else None,
    )


@dataclass(frozen=True)
class Vignette:
    """A patient, what is ordered, and what the checks must say."""

    name: str
    context: PrescribingContext
    lines: tuple[DraftOrder, ...]
    check: str = ""
    """The check that must warn (empty: a safe case)."""
    severity: Severity = Severity.HIGH
    words: tuple[str, ...] = ()
    """Words the warning's English message must hold (the reason named)."""
    source: str = ""
    """A word of the citation the warning must carry."""
    checks_ignored: tuple[str, ...] = field(default=())
    """For a safe case: checks outside this vignette's subject (a dose, a rule)."""


def _found(case: Vignette) -> list[SafetyWarning]:
    return check_basket(Basket(lines=list(case.lines)), case.context, TODAY)


VIGNETTES: tuple[Vignette, ...] = (
    # ----- pregnancy ---------------------------------------------------------------------
    Vignette(
        "valproate for a 24-year-old woman, pregnancy not recorded (MHRA DSU April 2018)",
        patient(24, "female"),
        (line("valproate", 200, BID),),
        "pregnancy",
        Severity.HIGH,
        ("Pregnancy Prevention Programme",),
        "MHRA",
    ),
    Vignette(
        "valproate for a woman recorded not pregnant: still childbearing potential",
        patient(30, "female", pregnant=False),
        (line("valproate", 200, BID),),
        "pregnancy",
        Severity.HIGH,
        ("could become pregnant",),
        "Pregnancy Prevention Programme",
    ),
    Vignette(
        "valproate for a 13-year-old girl with epilepsy: girls of childbearing potential too",
        patient(13, "female"),
        (line("valproate", 200, BID),),
        "pregnancy",
        Severity.HIGH,
        ("Female, aged 13", "Pregnancy Prevention Programme"),
        "MHRA",
    ),
    Vignette(
        "valproate for a 30-year-old man: nothing about pregnancy",
        patient(30, "male"),
        (line("valproate", 200, BID),),
    ),
    Vignette(
        "valproate for a 60-year-old woman: no childbearing warning",
        patient(60, "female"),
        (line("valproate", 200, BID),),
        checks_ignored=("rule",),
    ),
    Vignette(
        "enalapril in pregnancy (EU SmPC 4.3: 2nd and 3rd trimesters)",
        patient(32, "female", pregnant=True, pregnancy_date=date(2026, 10, 1)),
        (line("enalapril", 10),),
        "pregnancy",
        Severity.HIGH,
        ("contraindicated in pregnancy",),
        "trimester",
    ),
    Vignette(
        "losartan in pregnancy (AIIRA SmPC 4.3)",
        patient(35, "female", pregnant=True),
        (line("losartan", 50),),
        "pregnancy",
        Severity.HIGH,
        ("contraindicated in pregnancy",),
        "trimester",
    ),
    Vignette(
        "captopril for a woman of 40 whose pregnancy status is unknown: ask",
        patient(40, "female"),
        (line("captopril", 25, BID),),
        "pregnancy",
        Severity.INFO,
        ("does not say whether she is pregnant",),
        "trimester",
    ),
    Vignette(
        "carbamazepine in pregnancy (MHRA DSU January 2021)",
        patient(28, "female", pregnant=True),
        (line("carbamazepine", 200, BID),),
        "pregnancy",
        Severity.MODERATE,
        ("should be avoided in pregnancy",),
        "congenital malformations",
    ),
    Vignette(
        "phenobarbital in pregnancy (MHRA DSU January 2021)",
        patient(28, "female", pregnant=True),
        (line("phenobarbital", 30, BID),),
        "pregnancy",
        Severity.MODERATE,
        ("should be avoided in pregnancy",),
        "congenital malformations",
    ),
    Vignette(
        "amoxicillin in pregnancy: compatible, nothing to say",
        patient(29, "female", pregnant=True),
        (line("amoxicillin", 500, TID),),
    ),
    # ----- interactions -------------------------------------------------------------------
    Vignette(
        "co-trimoxazole for a woman of 78 on warfarin (Fischer 2010: aOR 3.84)",
        patient(78, "female", medications=taking("warfarin")),
        (line("co-trimoxazole", 960, BID),),
        "interaction",
        Severity.HIGH,
        ("bleeding",),
        "Fischer",
    ),
    Vignette(
        "fluconazole for a man on warfarin (Schelleman 2008; fluconazole label)",
        patient(70, medications=taking("warfarin")),
        (line("fluconazole", 150, QD, 1),),
        "interaction",
        Severity.HIGH,
        ("INR",),
        "Schelleman",
    ),
    Vignette(
        "low-dose aspirin added to warfarin (Schaefer 2019)",
        patient(66, medications=taking("warfarin")),
        (line("aspirin", 100),),
        "interaction",
        Severity.HIGH,
        ("major bleeding",),
        "Schaefer",
    ),
    Vignette(
        "low-dose aspirin for a woman on sertraline: bleeding",
        patient(58, "female", medications=taking("sertraline")),
        (line("aspirin", 100),),
        "interaction",
        Severity.MODERATE,
        ("bleeding",),
        "serotonin",
    ),
    Vignette(
        "clarithromycin for a gout patient on colchicine (colchicine label)",
        patient(62, medications=taking("colchicine")),
        (line("clarithromycin", 500, BID),),
        "interaction",
        Severity.HIGH,
        ("colchicine toxicity",),
        "Colchicine",
    ),
    Vignette(
        "domperidone with erythromycin in one prescription (Motilium SmPC 4.3)",
        patient(45),
        (line("erythromycin", 250, TID), line("domperidone", 10, TID)),
        "interaction",
        Severity.HIGH,
        ("QT",),
        "4.3",
    ),
    Vignette(
        "domperidone for a patient taking levofloxacin",
        patient(45, medications=taking("levofloxacin")),
        (line("domperidone", 10, TID),),
        "interaction",
        Severity.HIGH,
        ("QT",),
        "Motilium",
    ),
    Vignette(
        "ciprofloxacin for a COPD patient on theophylline (Grasela 1992)",
        patient(71, medications=taking("theophylline")),
        (line("ciprofloxacin", 500, BID),),
        "interaction",
        Severity.HIGH,
        ("seizures",),
        "Grasela",
    ),
    Vignette(
        "co-trimoxazole for a heart-failure patient on spironolactone (Antoniou)",
        patient(80, medications=taking("spironolactone")),
        (line("co-trimoxazole", 960, BID),),
        "interaction",
        Severity.HIGH,
        ("hyperkalaemia",),
        "Antoniou",
    ),
    Vignette(
        "co-trimoxazole for a patient on valsartan (Fralick 2014)",
        patient(72, medications=taking("valsartan")),
        (line("co-trimoxazole", 960, BID),),
        "interaction",
        Severity.MODERATE,
        ("potassium",),
        "Fralick",
    ),
    Vignette(
        "simvastatin 40 mg for a patient on amlodipine (amlodipine label 2011)",
        patient(64, medications=taking("amlodipine")),
        (line("simvastatin", 40),),
        "interaction",
        Severity.MODERATE,
        ("20 mg",),
        "Norvasc",
    ),
    Vignette(
        "clarithromycin for a patient on carbamazepine (Tegretol SmPC 4.5)",
        patient(40, medications=taking("carbamazepine")),
        (line("clarithromycin", 500, BID),),
        "interaction",
        Severity.HIGH,
        ("carbamazepine",),
        "Tegretol",
    ),
    Vignette(
        "codeine for a patient on phenobarbital (opioid boxed warning)",
        patient(50, medications=taking("phenobarbital")),
        (line("codeine", 30, TID, 3),),
        "interaction",
        Severity.HIGH,
        ("respiratory depression",),
        "CNS depressants",
    ),
    Vignette(
        "fluconazole for a diabetic on gliclazide (fluconazole label)",
        patient(67, medications=taking("gliclazide")),
        (line("fluconazole", 150, QD, 1),),
        "interaction",
        Severity.MODERATE,
        ("hypoglycaemia",),
        "Diflucan",
    ),
    Vignette(
        "ciprofloxacin for a patient on ferrous sulfate",
        patient(35, "female", medications=taking("ferrous-sulfate")),
        (line("ciprofloxacin", 500, BID),),
        "interaction",
        Severity.MODERATE,
        ("iron",),
        "ferrous",
    ),
    Vignette(
        "furosemide for a patient on digoxin: potassium",
        patient(76, medications=taking("digoxin")),
        (line("furosemide", 20),),
        "interaction",
        Severity.MODERATE,
        ("potassium",),
        "digoxin",
    ),
    Vignette(
        "potassium chloride for a heart-failure patient on spironolactone (Aldactone 7.1)",
        patient(74, medications=taking("spironolactone")),
        (line("potassium-chloride", 500, TID),),
        "interaction",
        Severity.HIGH,
        ("hyperkalaemia",),
        "Aldactone",
    ),
    Vignette(
        "metronidazole for a woman on warfarin: lower the dose from the start",
        patient(69, "female", medications=taking("warfarin")),
        (line("metronidazole", 400, TID),),
        "interaction",
        Severity.MODERATE,
        ("INR", "third"),
        "metronidazole",
    ),
    Vignette(
        "tramadol for a patient on sertraline: serotonin syndrome",
        patient(57, "female", medications=taking("sertraline")),
        (line("tramadol", 50, TID, 3),),
        "interaction",
        Severity.MODERATE,
        ("serotonin syndrome",),
        "sertraline",
    ),
    Vignette(
        "azithromycin for a patient on simvastatin: a macrolide without the CYP3A4 pair",
        patient(60, medications=taking("simvastatin")),
        (line("azithromycin", 500, QD, 3),),
    ),
    Vignette(
        "fluconazole for a patient whose warfarin is recorded only as 华法林钠片 (unresolved)",
        patient(70, medications=(ActiveMedication("华法林钠片", None, id="mr-w"),)),
        (line("fluconazole", 150, QD, 1),),
        "interaction",
        Severity.HIGH,
        ("INR",),
        "Schelleman",
    ),
    Vignette(
        "sertraline for a patient on 阿司匹林肠溶片 recorded as text only",
        patient(61, medications=(ActiveMedication("阿司匹林肠溶片", None, id="mr-a"),)),
        (line("sertraline", 50),),
        "interaction",
        Severity.MODERATE,
        ("bleeding",),
        "serotonin",
    ),
    Vignette(
        "paracetamol for a patient on warfarin: safe",
        patient(70, medications=taking("warfarin")),
        (line("paracetamol", 500, TID),),
    ),
    Vignette(
        "amlodipine with atorvastatin: safe",
        patient(60),
        (line("amlodipine", 5), line("atorvastatin", 20)),
    ),
)


@pytest.mark.parametrize("case", VIGNETTES, ids=[case.name for case in VIGNETTES])
def test_vignette(case: Vignette) -> None:
    found = _found(case)
    if not case.check:
        raised = [
            (w.check, w.severity, w.message_en)
            for w in found
            if w.severity is not Severity.INFO and w.check not in case.checks_ignored
        ]
        assert raised == [], case.name
        return
    matching = [
        w
        for w in found
        if w.check == case.check
        and w.severity is case.severity
        and all(word in w.message_en for word in case.words)
        and case.source in (w.source + w.message_en)
    ]
    assert matching, [(w.check, w.severity, w.message_en, w.source) for w in found]
    assert all(w.message_zh for w in matching)


def test_there_are_at_least_twenty_vignettes_unsafe_and_safe() -> None:
    unsafe = [case for case in VIGNETTES if case.check]
    assert len(VIGNETTES) >= 20
    assert len(VIGNETTES) - len(unsafe) >= 4


ALLERGY_VIGNETTES: tuple[Vignette, ...] = (
    Vignette(
        "morphine sulfate allergy, co-trimoxazole ordered: a sulfate is no sulfonamide",
        patient(55, allergies=(allergy("morphine sulfate"),)),
        (line("co-trimoxazole", 960, BID),),
    ),
    Vignette(
        "glucosamine sulfate allergy, co-trimoxazole ordered: no sulfonamide alarm",
        patient(61, "female", allergies=(allergy("Glucosamine sulfate"),)),
        (line("co-trimoxazole", 960, BID),),
    ),
    Vignette(
        "'sulfa drugs' allergy, co-trimoxazole ordered: a sulfonamide antibiotic",
        patient(44, allergies=(allergy("sulfa drugs"),)),
        (line("co-trimoxazole", 960, BID),),
        "allergy",
        Severity.HIGH,
        ("sulfonamide antibiotic",),
        "Khan",
    ),
    Vignette(
        "cefalexin allergy, co-amoxiclav ordered: the same R1 side chain (Khan 2022)",
        patient(38, allergies=(allergy("头孢氨苄", resolved="cefalexin"),)),
        (line("co-amoxiclav", 625, TID),),
        "allergy",
        Severity.HIGH,
        ("R1 side chain",),
        "Khan",
    ),
    Vignette(
        "cefalexin allergy, amoxicillin ordered: the same R1 side chain",
        patient(38, allergies=(allergy("头孢氨苄", resolved="cefalexin"),)),
        (line("amoxicillin", 500, TID),),
        "allergy",
        Severity.HIGH,
        ("R1 side chain",),
        "Khan",
    ),
    Vignette(
        "penicillin allergy, co-amoxiclav ordered: a penicillin",
        patient(47, "female", allergies=(allergy("青霉素"),)),
        (line("co-amoxiclav", 625, TID),),
        "allergy",
        Severity.HIGH,
        ("allergic to all",),
        "BNF",
    ),
    Vignette(
        "co-amoxiclav allergy, cefaclor ordered: amoxicillin's side chain",
        patient(47, allergies=(allergy("阿莫西林克拉维酸钾", resolved="co-amoxiclav"),)),
        (line("cefaclor", 250, TID),),
        "allergy",
        Severity.HIGH,
        ("R1 side chain",),
        "",
    ),
    Vignette(
        "penicillin allergy, azithromycin ordered: safe",
        patient(47, "female", allergies=(allergy("青霉素"),)),
        (line("azithromycin", 500, QD, 3),),
    ),
)


@pytest.mark.parametrize("case", ALLERGY_VIGNETTES, ids=[c.name for c in ALLERGY_VIGNETTES])
def test_allergy_vignette(case: Vignette) -> None:
    test_vignette(case)


HLA_VIGNETTES: tuple[Vignette, ...] = (
    Vignette(
        "carbamazepine started for trigeminal neuralgia, never prescribed before",
        patient(52, "female"),
        (line("carbamazepine", 100, BID),),
        "hla",
        Severity.HIGH,
        ("HLA-B*15:02", "First prescription", "Stevens-Johnson"),
        "HLA-B*1502",
    ),
    Vignette(
        "carbamazepine renewed for a patient already taking it: no gene-test prompt",
        patient(52, "female", medications=taking("carbamazepine")),
        (line("carbamazepine", 200, BID),),
        checks_ignored=("duplicate", "rule"),
    ),
    Vignette(
        "carbamazepine for a patient prescribed it last year (stopped since): not a first",
        patient(41, prescribed_before=frozenset({"carbamazepine"})),
        (line("carbamazepine", 200, BID),),
    ),
    Vignette(
        "allopurinol started for recurrent gout (ACR 2020: HLA-B*58:01 before starting)",
        patient(58),
        (line("allopurinol", 100),),
        "hla",
        Severity.MODERATE,
        ("HLA-B*58:01", "First prescription"),
        "American College of Rheumatology",
    ),
    Vignette(
        "carbamazepine first prescription, HLA-B*15:02 recorded negative: no prompt",
        patient(33, hla_results=(HlaResult("hlab1502", False, date(2026, 11, 2)),)),
        (line("carbamazepine", 100, BID),),
    ),
    Vignette(
        "carbamazepine for a recorded HLA-B*15:02 carrier: do not start",
        patient(33, hla_results=(HlaResult("hlab1502", True, date(2026, 11, 2)),)),
        (line("carbamazepine", 100, BID),),
        "hla",
        Severity.HIGH,
        ("POSITIVE", "do not start"),
        "HLA-B*1502",
    ),
    Vignette(
        "allopurinol for a recorded HLA-B*58:01 carrier, even on renewal",
        patient(
            60,
            prescribed_before=frozenset({"allopurinol"}),
            hla_results=(HlaResult("hlab5801", True),),
        ),
        (line("allopurinol", 100),),
        "hla",
        Severity.HIGH,
        ("HLA-B*58:01 POSITIVE",),
        "American College of Rheumatology",
    ),
    Vignette(
        "allopurinol first prescription, only an HLA-B*15:02 result on file: still ask",
        patient(60, hla_results=(HlaResult("hlab1502", False),)),
        (line("allopurinol", 100),),
        "hla",
        Severity.MODERATE,
        ("HLA-B*58:01",),
        "American College of Rheumatology",
    ),
    Vignette(
        "allopurinol for a patient on it for years: no prompt",
        patient(63, prescribed_before=frozenset({"allopurinol"})),
        (line("allopurinol", 100),),
    ),
)


@pytest.mark.parametrize("case", HLA_VIGNETTES, ids=[c.name for c in HLA_VIGNETTES])
def test_hla_vignette(case: Vignette) -> None:
    test_vignette(case)
