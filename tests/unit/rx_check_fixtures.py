"""Small formulary drugs and order lines for the safety-check tests.

Test fixtures, not the clinic's formulary: limits are the round figures the tests need
(close to the usual adult labels), and each drug names itself as its only source.
"""

from __future__ import annotations

from datetime import date

from clinic_tui.prescribing.facts import (
    ActiveMedication,
    AllergyFact,
    AllergyState,
    PrescribingContext,
)
from clinic_tui.prescribing.model import (
    Controlled,
    DoseRange,
    DraftOrder,
    FormularyDrug,
    Frequency,
    Pregnancy,
    Product,
)

TODAY = date(2026, 12, 1)
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
TABLET = Product("tablet", 500, "mg", "tablet", "片")


def drug(
    code: str,
    zh: str,
    atc: str,
    classes: tuple[str, ...] = (),
    **fields: object,
) -> FormularyDrug:
    """A fixture drug: English name from the code, one 500 mg tablet unless told."""
    return FormularyDrug(
        code=code,
        name_en=code.replace("-", " ").capitalize(),
        name_zh=zh,
        atc=atc,
        classes=classes,
        products=(TABLET,),
        sources=(f"test fixture: {code}",),
        **fields,  # type: ignore[arg-type]
    )


AMOXICILLIN = drug(
    "amoxicillin",
    "阿莫西林",
    "J01CA04",
    ("penicillin", "r1-amino", "antimicrobial"),
    adult_dose=DoseRange(250, 1000),
    adult_max_daily=4000,
    child_per_kg_day=(20, 90),
    pregnancy=Pregnancy.COMPATIBLE,
    breastfeeding=Pregnancy.COMPATIBLE,
    antimicrobial=True,
    synonyms=("amox", "阿莫"),
)
CEFALEXIN = drug(
    "cefalexin", "头孢氨苄", "J01DB01", ("cephalosporin", "r1-amino"), antimicrobial=True
)
CEFUROXIME = drug("cefuroxime", "头孢呋辛", "J01DC02", ("cephalosporin",), antimicrobial=True)
COTRIMOXAZOLE = drug(
    "sulfamethoxazole-trimethoprim",
    "复方磺胺甲噁唑",
    "J01EE01",
    ("sulfonamide-antibiotic", "antimicrobial"),
    antimicrobial=True,
)
IBUPROFEN = drug(
    "ibuprofen",
    "布洛芬",
    "M01AE01",
    ("nsaid",),
    adult_dose=DoseRange(200, 400),
    adult_max_dose=800,
    adult_max_daily=2400,
    child_per_kg_day=(20, 30),
    child_max_daily=1200,
    pregnancy=Pregnancy.AVOID,
)
DICLOFENAC = drug("diclofenac", "双氯芬酸", "M01AB05", ("nsaid",))
ASPIRIN = drug("aspirin", "阿司匹林", "B01AC06", ("antiplatelet",))
WARFARIN = drug("warfarin", "华法林", "B01AA03", ("anticoagulant-vka",))
ATORVASTATIN = drug(
    "atorvastatin",
    "阿托伐他汀",
    "C10AA05",
    ("statin",),
    pregnancy=Pregnancy.CONTRAINDICATED,
    adult_dose=DoseRange(10, 80),
    adult_max_daily=80,
)
SIMVASTATIN = drug("simvastatin", "辛伐他汀", "C10AA01", ("statin",))
CLARITHROMYCIN = drug(
    "clarithromycin", "克拉霉素", "J01FA09", ("macrolide", "antimicrobial"), antimicrobial=True
)
METFORMIN = drug(
    "metformin",
    "二甲双胍",
    "A10BA02",
    ("biguanide",),
    adult_dose=DoseRange(500, 1000),
    adult_max_daily=2000,
    renal_caution="reduce the dose below eGFR 45",
    egfr_avoid_below=30,
)
HCTZ = drug(
    "hydrochlorothiazide",
    "氢氯噻嗪",
    "C03AA03",
    ("thiazide",),
    elderly_caution="watch sodium and potassium",
)
AMLODIPINE = drug("amlodipine", "氨氯地平", "C08CA01", ("ccb",))
NIFEDIPINE = drug("nifedipine", "硝苯地平", "C08CA05", ("ccb",))
OMEPRAZOLE = drug("omeprazole", "奥美拉唑", "A02BC01", ("ppi",))
PANTOPRAZOLE = drug("pantoprazole", "泮托拉唑", "A02BC02", ("ppi",))
CLOPIDOGREL = drug("clopidogrel", "氯吡格雷", "B01AC04", ("antiplatelet",))
ENALAPRIL = drug("enalapril", "依那普利", "C09AA02", ("ace-inhibitor",))
VALSARTAN = drug("valsartan", "缬沙坦", "C09CA03", ("arb",))
SPIRONOLACTONE = drug("spironolactone", "螺内酯", "C03DA01", ("k-sparing",))
FUROSEMIDE = drug("furosemide", "呋塞米", "C03CA01", ("loop-diuretic",))
ISOSORBIDE = drug("isosorbide-mononitrate", "单硝酸异山梨酯", "C01DA14", ("nitrate",))
SILDENAFIL = drug("sildenafil", "西地那非", "G04BE03")
DIAZEPAM = drug(
    "diazepam",
    "地西泮",
    "N05BA01",
    ("benzodiazepine",),
    controlled=Controlled.PSYCHOTROPIC_2,
)
MORPHINE = drug(
    "morphine", "吗啡", "N02AA01", ("opioid",), controlled=Controlled.NARCOTIC
)  # fmt: skip
CETIRIZINE = drug("cetirizine", "西替利嗪", "R06AE07", ("h1-antihistamine",))

TID = Frequency("tid", 3, text_en="three times a day", text_zh="每日三次")
BID = Frequency("bid", 2)
QD = Frequency("qd", 1)


def order(
    medicine: FormularyDrug,
    dose: float = 500,
    frequency: Frequency = TID,
    days: int | None = 7,
    *,
    unit: str = "mg",
    route: str = "po",
    replaces: str | None = None,
) -> DraftOrder:
    """One basket line of `medicine`, quantity worked out as the parser would."""
    per_day = frequency.per_day
    quantity = int(per_day * (days or 1) * dose / medicine.products[0].strength + 0.999)
    return DraftOrder(
        text=f"{medicine.code} {dose:g}{unit} {frequency.code} {days}d",
        drug=medicine,
        product=medicine.products[0],
        dose=dose,
        dose_unit=unit,
        route=route,
        frequency=frequency,
        duration_days=days,
        quantity=quantity,
        quantity_unit="tablet",
        replaces=replaces,
    )


def adult(**facts: object) -> PrescribingContext:
    """A 45-year-old man with no known allergies, unless told otherwise."""
    values: dict[str, object] = {
        "sex": "male",
        "weight_kg": 70.0,
        "weight_date": date(2026, 11, 1),
        "allergy_state": AllergyState.NONE_KNOWN,
    }
    values.update(facts)
    birth = values.pop("birth_date", date(1981, 5, 20))
    assert isinstance(birth, date)
    return PrescribingContext.for_birth_date(birth, TODAY, **values)


def allergy(
    text: str,
    code: str | None = None,
    *,
    system: str = SNOMED,
    criticality: str | None = "high",
    reaction: str = "rash",
    severity: str | None = "severe",
    recorded: date | None = date(2023, 4, 2),
    resolved: FormularyDrug | None = None,
) -> AllergyFact:
    """An active medication allergy."""
    return AllergyFact(
        substance=text,
        codes=((system, code),) if code else (),
        category="medication",
        criticality=criticality,
        reaction=reaction,
        severity=severity,
        recorded=recorded,
        id=f"allergy-{text}",
        drug=resolved,
    )


def taking(*drugs: FormularyDrug) -> tuple[ActiveMedication, ...]:
    """Active medications, one per drug, each resolved."""
    return tuple(
        ActiveMedication(text=d.name_en, drug=d, id=f"mr-{d.code}") for d in drugs
    )  # fmt: skip
