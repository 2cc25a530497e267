"""children_doses.toml: its schema, its citations, and the drugs it must cover."""

from __future__ import annotations

import tomllib

import pytest

from clinic_tui.prescribing.children_table import (
    ChildrenTableError,
    children_table,
    read_children,
)
from clinic_tui.prescribing.formulary import starter_formulary

SOURCES = '[sources.who]\ncite = "WHO Pocket book 2013, Annex 2"\n'


def _read(text: str) -> None:
    read_children(tomllib.loads(SOURCES + text))


def test_every_row_is_unreviewed_until_a_pharmacist_signs_it_and_every_band_is_cited() -> None:
    table = children_table()
    assert table
    for code, (dosing, _) in table.items():
        assert dosing.review == "unreviewed", code
        for band in dosing.bands:
            assert band.cite.startswith(("BNF", "WHO", "Co-", "Keflex", "Zinnat", "Zithromax",
                                         "Ceftriaxone", "Calprofen", "Scottish", "The use",
                                         "Buck", "en-net", "India", "Australian", "European",
                                         "Médecins")), (code, band.cite)  # fmt: skip


def test_every_drug_of_the_table_is_a_formulary_drug_and_the_required_ones_are_there() -> None:
    codes = {drug.code for drug in starter_formulary()}
    assert set(children_table()) <= codes
    required = {
        "amoxicillin", "amoxicillin-clavulanate", "cefalexin", "cefuroxime-axetil",
        "azithromycin", "ibuprofen", "paracetamol", "domperidone", "salbutamol",
        "oral-rehydration-salts", "ceftriaxone", "albendazole", "oseltamivir", "zinc-sulfate",
    }  # fmt: skip
    assert required <= set(children_table())


def test_minimum_ages_reach_the_formulary_drug() -> None:
    formulary = starter_formulary()
    ages = {
        code: formulary.find(code).min_age_months  # type: ignore[union-attr]
        for code in ("codeine", "tramadol", "promethazine", "loperamide", "metoclopramide",
                     "doxycycline", "aspirin")
    }  # fmt: skip
    assert ages == {
        "codeine": 144,
        "tramadol": 144,
        "promethazine": 24,
        "loperamide": 24,
        "metoclopramide": 12,
        "doxycycline": 96,
        "aspirin": 192,
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[drug.x]\nreview = "unreviewed"\ndosage = 3\n', "unknown keys"),
        ('[drug.x]\nreview = "maybe"\n', "review must be"),
        ("[drug.x]\n", "review must be"),
        ('[drug.x]\nreview = "unreviewed"\nmin_age_months = 24\n', "without min_age_cite"),
        ('[drug.x]\nreview = "unreviewed"\n[[drug.x.band]]\nper_kg_day = [20, 40]\n',
         "without its cite"),
        ('[drug.x]\nreview = "unreviewed"\n[[drug.x.band]]\nper_kg_day = [20, 40]\n'
         'cite = "bnfc: Child 1-5 years"\n', "'bnfc' is not listed"),
        ('[drug.x]\nreview = "unreviewed"\n[[drug.x.band]]\nper_kg_day = [40, 20]\n'
         'cite = "who: amoxicillin"\n', "low is above high"),
        ('[drug.x]\nreview = "unreviewed"\n[[drug.x.band]]\nmax_dayly = 3\n'
         'cite = "who: amoxicillin"\n', "unknown band keys"),
        ('[drug.x]\nreview = "unreviewed"\n[[drug.x.band]]\ncite = "who: amoxicillin"\n',
         "no dose or limit"),
    ],
)  # fmt: skip
def test_a_row_that_cannot_be_used_is_refused_with_its_reason(text: str, words: str) -> None:
    with pytest.raises(ChildrenTableError, match=words):
        _read(text)


def test_a_citation_reads_as_the_source_then_where_in_it() -> None:
    table = read_children(
        tomllib.loads(
            SOURCES + '[drug.x]\nreview = "unreviewed"\n[[drug.x.band]]\ndose = [20, 20]\n'
            'cite = "who: Zinc, 20 mg a day"\n'
        )
    )
    assert table["x"][0].bands[0].cite == "WHO Pocket book 2013, Annex 2; Zinc, 20 mg a day"
