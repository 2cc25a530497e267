"""The formulary: exact names, as-you-type completion (pinyin too), and the data's rules."""

from __future__ import annotations

import pytest

from clinic_tui.prescribing.formulary import (
    CLASS_TAGS,
    Formulary,
    FormularyDataError,
    drugs_from_toml,
    starter_formulary,
)
from clinic_tui.prescribing.model import FormularyDrug, Product

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
