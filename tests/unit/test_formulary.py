"""The formulary: exact names, as-you-type completion (pinyin too), and the data's rules."""

from __future__ import annotations

import pytest

from clinic_tui.demo.clinical import DRUGS_FOR, DrugDef
from clinic_tui.prescribing.formulary import (
    CLASS_TAGS,
    Formulary,
    FormularyDataError,
    drugs_from_toml,
    normalise,
    starter_formulary,
)
from clinic_tui.prescribing.model import FormularyDrug, Product
from clinic_tui.prescribing.order_line import parse_order_line

TABLET = Product("tablet", 5, "mg", "tablet", "片")


def drug(code: str, name_en: str, name_zh: str, *synonyms: str) -> FormularyDrug:
    return FormularyDrug(code, name_en, name_zh, "X00", products=(TABLET,), synonyms=synonyms)


SMALL = Formulary(
    [
        drug("amoxicillin", "Amoxicillin", "阿莫西林", "amox"),
        drug("amoxicillin-clavulanate", "Amoxicillin and clavulanic acid", "阿莫西林克拉维酸钾",
             "co-amoxiclav"),
        drug("amlodipine", "Amlodipine", "氨氯地平", "苯磺酸氨氯地平片"),
        drug("metformin", "Metformin", "二甲双胍"),
    ]
)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("amoxicillin", "amoxicillin"),
        ("AMOXICILLIN", "amoxicillin"),
        ("Amoxicillin ", "amoxicillin"),
        ("阿莫西林", "amoxicillin"),
        ("amox", "amoxicillin"),
        ("co-amoxiclav", "amoxicillin-clavulanate"),
        ("Co Amoxiclav", "amoxicillin-clavulanate"),
        ("苯磺酸氨氯地平片", "amlodipine"),
        ("二甲双胍", "metformin"),
    ],
)
def test_find_by_code_name_chinese_name_or_synonym(name: str, code: str) -> None:
    found = SMALL.find(name)
    assert found is not None
    assert found.code == code


@pytest.mark.parametrize("name", ["", "  ", "amo", "阿莫", "aspirin"])
def test_find_takes_exact_names_only(name: str) -> None:
    assert SMALL.find(name) is None


@pytest.mark.parametrize(
    ("prefix", "codes"),
    [
        ("amox", ["amoxicillin", "amoxicillin-clavulanate"]),
        ("amoxicillin", ["amoxicillin", "amoxicillin-clavulanate"]),
        ("co-amox", ["amoxicillin-clavulanate"]),
        ("阿莫", ["amoxicillin", "amoxicillin-clavulanate"]),
        ("amxl", ["amoxicillin", "amoxicillin-clavulanate"]),
        ("amxlklwsj", ["amoxicillin-clavulanate"]),
        ("ejsg", ["metformin"]),
        ("erjia", ["metformin"]),
        ("地平", ["amlodipine"]),
        ("zzz", []),
        ("", []),
    ],
)
def test_complete(prefix: str, codes: list[str]) -> None:
    assert [d.code for d in SMALL.complete(prefix)] == codes


def test_complete_puts_exact_before_prefix_and_keeps_the_limit() -> None:
    assert SMALL.complete("am")[0].code == "amoxicillin"
    assert len(SMALL.complete("am", limit=2)) == 2
    assert SMALL.complete("am", limit=0) == []


def test_nearest_names_a_misspelt_drug() -> None:
    assert [d.code for d in SMALL.nearest("metfromin")] == ["metformin"]


def test_a_later_row_of_the_same_code_replaces_the_earlier() -> None:
    formulary = Formulary([drug("a", "A", "甲"), drug("a", "A2", "甲二")])
    assert len(formulary) == 1
    assert formulary.drugs[0].name_en == "A2"


def _toml(extra: str) -> str:
    return (
        '[meta]\nversion = "t"\nreview = "unreviewed"\n'
        '[sources]\nbnf = "BNF"\n[[drug]]\ncode = "x"\nname_en = "X"\nname_zh = "某药"\n'
        'products = [{ form = "tablet", strength = 5, unit_en = "tablet", unit_zh = "片" }]\n'
        + extra
    )


def test_toml_row_cites_its_source_per_field() -> None:
    (read,) = drugs_from_toml(_toml('adult_dose = [5, 10]\ncite = { adult_dose = "bnf: X" }\n'))
    assert read.adult_dose is not None
    assert (read.adult_dose.low, read.adult_dose.high) == (5, 10)
    assert read.source_of("adult_dose") == "BNF, X"
    assert read.sources == ("BNF, X",)
    assert read.source_of("pregnancy") == ""


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("adult_dose = [5, 10]\n", "no cited source for adult_dose"),
        ('adult_dose = [5, 10]\ncite = { adult_dose = "who" }\n', "source 'who' is not listed"),
        ('classes = ["penicilin"]\n', "unknown class tags"),
        ('routes = ["oral"]\n', "routes must be among"),
    ],
)
def test_toml_rows_that_break_the_rules_are_refused(extra: str, words: str) -> None:
    with pytest.raises(FormularyDataError, match=words):
        drugs_from_toml(_toml(extra))


def test_starter_formulary_loads_and_every_class_tag_is_known() -> None:
    formulary = starter_formulary()
    assert len(formulary) > 0
    for item in formulary:
        assert set(item.classes) <= CLASS_TAGS
        assert item.products
        assert item.name_zh
        assert item.name_en


# ---------------------------------------------------------------- the shipped starter data

STARTER = starter_formulary()


def test_starter_has_at_least_80_drugs_with_unique_names() -> None:
    assert len(STARTER) >= 80
    owners: dict[str, str] = {}
    for item in STARTER:
        for name in (item.code, item.name_en, item.name_zh, *item.synonyms):
            key = normalise(name)
            assert owners.setdefault(key, item.code) == item.code, (name, owners[key], item.code)


@pytest.mark.parametrize("demo", [d for ds in DRUGS_FOR.values() for d in ds], ids=lambda d: d.en)
def test_every_demo_drug_resolves_by_both_names_to_its_atc(demo: DrugDef) -> None:
    by_en, by_zh = STARTER.find(demo.en), STARTER.find(demo.zh)
    assert by_en is not None
    assert by_zh is by_en
    assert by_en.atc == demo.atc


@pytest.mark.parametrize("demo", [d for ds in DRUGS_FOR.values() for d in ds], ids=lambda d: d.en)
def test_every_demo_regimen_parses_as_typed(demo: DrugDef) -> None:
    unit = "µg" if demo.unit == "ug" else demo.unit
    frequency = demo.frequency.lower()
    if frequency == "prn":
        # Salbutamol has no daily maximum to read "at most how often" from (800 µg a day is
        # the chronic schedule, not a ceiling): the interval is typed, as the label's four
        # times a day.
        frequency = "prn q6h"
    line = f"{demo.zh} {demo.dose:g}{unit} {frequency} 30d"
    parsed = parse_order_line(line, STARTER)
    assert parsed.problems == ()


def test_every_dose_limit_and_caution_names_its_source() -> None:
    for item in STARTER:
        present = {
            "adult_dose": item.adult_dose is not None,
            "adult_max_daily": item.adult_max_daily is not None,
            "child_per_kg_day": item.child_per_kg_day is not None,
            "renal_caution": bool(item.renal_caution),
            "elderly_caution": bool(item.elderly_caution),
            "pregnancy": item.pregnancy != "unknown",
            "breastfeeding": item.breastfeeding != "unknown",
        }
        for name, held in present.items():
            if held:
                assert item.source_of(name), (item.code, name)
        if item.adult_dose is not None:
            assert item.adult_dose.low <= item.adult_dose.high
            if item.adult_max_daily is not None:
                assert item.adult_dose.high <= item.adult_max_daily, item.code


def test_class_tags_the_checks_rely_on() -> None:
    def codes(tag: str) -> set[str]:
        return {item.code for item in STARTER if tag in item.classes}

    assert codes("r1-amino") == {"cefalexin", "cefradine", "cefaclor", "cefadroxil"}
    assert codes("r1-amino") < codes("cephalosporin")
    assert {"amoxicillin", "amoxicillin-clavulanate"} <= codes("penicillin")
    assert codes("sulfonamide-antibiotic") == {"sulfamethoxazole-trimethoprim"}
    assert {"ibuprofen", "diclofenac", "aspirin"} <= codes("nsaid")
    assert {"hydrochlorothiazide"} <= codes("thiazide")
    for tag in ("statin", "ace-inhibitor", "arb", "loop-diuretic", "k-sparing", "beta-blocker",
                "ccb", "sulfonylurea", "biguanide", "insulin", "antiplatelet", "anticoagulant-vka",
                "macrolide", "fluoroquinolone", "ppi", "h1-antihistamine", "beta2-agonist",
                "corticosteroid", "opioid", "benzodiazepine", "ssri", "nitrate"):  # fmt: skip
        assert codes(tag), tag
    for item in STARTER:
        assert ("antimicrobial" in item.classes) == item.antimicrobial, item.code


def test_chinese_names_are_the_label_names() -> None:
    assert STARTER.find("digoxin") is STARTER.find("地高辛")
    assert STARTER.find("异羟洋地黄毒苷") is None
    paracetamol = STARTER.find("paracetamol")
    assert paracetamol is not None
    assert paracetamol.name_zh == "对乙酰氨基酚"


def test_half_a_plain_tablet_but_never_of_a_modified_release_one() -> None:
    order = parse_order_line("hctz 12.5mg qd 14d", STARTER).order
    assert order is not None
    assert (order.product.strength, order.quantity) == (25, 7)
    assert parse_order_line("nifedipine 15mg qd 14d", STARTER).order is None


@pytest.mark.parametrize(
    ("prefix", "first"),
    [("amxl", "amoxicillin"), ("ejsg", "metformin"), ("dgx", "digoxin"), ("阿司", "aspirin"),
     ("asp", "aspirin"), ("co-trim", "sulfamethoxazole-trimethoprim"), ("扑热", "paracetamol"),
     ("lipitor", "atorvastatin"), ("aldp", "amlodipine")],
)  # fmt: skip
def test_completion_on_the_starter(prefix: str, first: str) -> None:
    assert STARTER.complete(prefix)[0].code == first


@pytest.mark.parametrize(
    ("line", "code", "dose", "route", "quantity", "unit_zh"),
    [
        ("青霉素 80万单位 im bid 3d", "benzylpenicillin", 800000, "im", 6, "支"),
        ("头孢曲松 2g 静滴 每日一次 5天", "ceftriaxone", 2000, "iv", 10, "支"),
        ("阿司匹林肠溶片 100mg qd 30d", "aspirin", 100, "po", 30, "片"),
        ("甘精胰岛素 12单位 睡前 皮下 30天", "insulin-glargine", 12, "sc", 2, "支"),
        ("nifedipine 30mg qd 30d", "nifedipine", 30, "po", 5, "盒"),
        ("维生素B1 10mg tid 7d", "thiamine", 10, "po", 21, "片"),
        ("口服补液盐 1袋 tid 3d", "oral-rehydration-salts", 1, "po", 9, "袋"),
        ("噻托溴铵 1粒 吸入 每日一次", "tiotropium", 18, "inh", 1, "盒"),
        ("左氧 0.5g qd 7d", "levofloxacin", 500, "po", 7, "片"),
    ],
)
def test_lines_on_the_starter(
    line: str, code: str, dose: float, route: str, quantity: int, unit_zh: str
) -> None:
    order = parse_order_line(line, STARTER).order
    assert order is not None
    assert (order.drug.code, order.dose, order.route) == (code, dose, route)
    assert (order.quantity, order.quantity_unit_zh) == (quantity, unit_zh)
