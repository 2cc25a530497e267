"""The checks' rule tables: every row cited, every class tag one the formulary knows, and the
safe everyday orders typed against the real starter formulary raise no high warning."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from clinic_tui.prescribing.checks import AllergyState, PrescribingContext, check_basket
from clinic_tui.prescribing.facts import ActiveMedication
from clinic_tui.prescribing.formulary import CLASS_TAGS, starter_formulary
from clinic_tui.prescribing.model import Basket, DraftOrder, Severity
from clinic_tui.prescribing.order_line import parse_order_line
from clinic_tui.prescribing.rule_tables import load_table

TODAY = date(2026, 12, 1)
TABLES = (
    "allergy_classes.toml",
    "interactions.toml",
    "duplicates.toml",
    "china_rules.toml",
    "childbearing.toml",
    "hla.toml",
)
ALLERGEN_ONLY_TAGS = {"aspirin"}
"""Tags only an allergy record carries (an allergy to aspirin itself)."""


def _sources_named(row: dict[str, Any]) -> list[str]:
    source = row.get("source", [])
    return [source] if isinstance(source, str) else list(source)


@pytest.mark.parametrize("name", TABLES)
def test_every_source_is_complete_and_every_row_names_one(name: str) -> None:
    table = load_table(name)
    for key, source in table["sources"].items():
        assert source["cite"], key
        assert source["short"], key
        assert source["short_zh"], key
    for kind in ("pair", "rule"):
        for row in table.get(kind, []):
            named = _sources_named(row)
            assert named, row
            assert set(named) <= set(table["sources"]), row


def test_every_class_tag_of_the_tables_is_a_formulary_class_tag() -> None:
    named: set[str] = set()
    interactions = load_table("interactions.toml")
    for row in interactions["pair"]:
        named |= {m.split(":", 1)[1] for m in row["a"] + row["b"] if m.startswith("class:")}
    named |= set(interactions["class_atc"])
    for tag, excepted in interactions["class_except"].items():
        named |= {tag, *excepted}
    named |= {row["tag"] for row in load_table("duplicates.toml")["class"]}
    allergy = load_table("allergy_classes.toml")
    for row in allergy["rule"]:
        named |= set(row["drug"]) | {row["allergen"]}
    for row in allergy["allergen"]:
        named |= set(row["tags"])
    assert named - ALLERGEN_ONLY_TAGS <= CLASS_TAGS


def test_every_interaction_speaks_both_languages() -> None:
    for row in load_table("interactions.toml")["pair"]:
        for field in ("effect_en", "effect_zh", "advice_en", "advice_zh"):
            assert row[field], (row["a"], field)
        assert row["severity"] in ("high", "moderate", "info")


def _line(text: str) -> DraftOrder:
    parsed = parse_order_line(text, starter_formulary())
    assert parsed.order is not None, parsed.problems
    return parsed.order


def _adult(*taking: str) -> PrescribingContext:
    formulary = starter_formulary()
    medications = []
    for name in taking:
        drug = formulary.find(name)
        assert drug is not None, name
        medications.append(ActiveMedication(text=drug.name_zh, drug=drug, id=f"mr-{name}"))
    return PrescribingContext.for_birth_date(
        date(1970, 3, 1),
        TODAY,
        sex="male",
        weight_kg=70.0,
        weight_date=TODAY,
        allergy_state=AllergyState.NONE_KNOWN,
        medications=tuple(medications),
    )


def _high(lines: list[DraftOrder], context: PrescribingContext) -> list[str]:
    found = check_basket(Basket(lines=lines), context, TODAY)
    return [w.message_en for w in found if w.severity is Severity.HIGH]


@pytest.mark.parametrize("typed", ["amox 500mg po tid 7d", "阿莫西林 0.5g 口服 每日三次 7天"])
def test_starter_amoxicillin_500_tid_7_days_raises_nothing(typed: str) -> None:
    assert check_basket(Basket(lines=[_line(typed)]), _adult(), TODAY) == []


def test_starter_atorvastatin_beside_metformin_raises_no_high_warning() -> None:
    assert _high([_line("atorvastatin 20mg qn 7d")], _adult("metformin")) == []
    assert _high([_line("二甲双胍 500mg bid 7天"), _line("阿托伐他汀 20mg qn 7天")], _adult()) == []


def test_starter_hydrochlorothiazide_beside_amlodipine_raises_no_high_warning() -> None:
    if starter_formulary().find("hydrochlorothiazide") is None:
        pytest.skip("the starter formulary has no hydrochlorothiazide yet")
    assert _high([_line("hydrochlorothiazide 25mg qd 7d")], _adult("amlodipine")) == []


def test_starter_ibuprofen_over_the_maximum_is_high_and_cites_the_formulary_field() -> None:
    found = check_basket(Basket(lines=[_line("ibuprofen 1200mg tid 3d")]), _adult(), TODAY)
    [daily] = [w for w in found if w.key.startswith("dose:max-daily:")]
    assert daily.severity is Severity.HIGH
    assert "max. 2.4 g per day" in daily.source
