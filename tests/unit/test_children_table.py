"""children_doses.toml: its schema, its citations, and the drugs it must cover."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from clinic_tui.prescribing.checks import check_basket
from clinic_tui.prescribing.children_table import (
    ChildrenTableError,
    children_table,
    read_children,
)
from clinic_tui.prescribing.facts import AllergyState, PrescribingContext
from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.model import Basket, SafetyWarning, Severity
from clinic_tui.prescribing.order_line import parse_order_line

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
                                         "Médecins", "Hesperian", "SickKids", "Zyrtec",
                                         "Loratadine", "Chlorpheniramine", "Diosmectite",
                                         "Thyrozol", "Erythromycin", "Clarithromycin",
                                         "Phenergan", "Folic", "Phenoxymethylpenicillin",
                                         "Cefadroxil", "droracle.ai", "盐酸氨溴索片", "Cefaclor",
                                         "头孢拉定", "FPnotebook")), (
                code, band.cite)  # fmt: skip


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


# ----- rows added in content 2026.12.2 --------------------------------------------------------

TODAY = date(2026, 12, 1)


def _child_findings(line: str, born: date, weight: float) -> list[SafetyWarning]:
    formulary = starter_formulary()
    parsed = parse_order_line(line, formulary)
    assert parsed.order is not None, parsed.problems
    context = PrescribingContext.for_birth_date(
        born,
        TODAY,
        sex="male",
        weight_kg=weight,
        weight_date=date(2026, 11, 25),
        allergy_state=AllergyState.NONE_KNOWN,
        pregnant=False,
    )
    found = check_basket(Basket(lines=[parsed.order], kind="paediatric"), context, TODAY)
    return [w for w in found if w.check != "rule"]


def test_the_drugs_a_township_clinic_gives_children_now_have_a_row() -> None:
    added = {
        "sulfamethoxazole-trimethoprim", "metronidazole", "cetirizine", "loratadine",
        "chlorphenamine", "diosmectite", "thiamazole", "glucosamine", "estazolam", "pantoprazole",
        "erythromycin", "clarithromycin", "isosorbide-dinitrate", "folic-acid",
        "phenoxymethylpenicillin", "cefadroxil", "phenobarbital",
    }  # fmt: skip
    table = children_table()
    assert added <= set(table)
    for code in added:
        dosing, _ = table[code]
        # Each is a cited dose, a cited minimum age or a cited "not for children".
        assert dosing.bands or dosing.min_age_cite or dosing.not_for_children_cite, code
    assert table["glucosamine"][0].not_for_children
    assert "18 years" in table["glucosamine"][0].not_for_children_cite
    assert table["chlorphenamine"][1] == 72
    assert table["pantoprazole"][1] == 144


SAFE_CHILD = [
    # Zyrtec drops SmPC: 6-12 years 5 mg twice daily.
    ("cetirizine 5mg bid 5d", date(2018, 6, 1), 25.0),
    # US OTC label: 2 to under 6 years loratadine 5 mg once daily.
    ("loratadine 5mg qd 5d", date(2023, 6, 1), 14.0),
    # US OTC label: 6 to under 12 years 2 mg every 4-6 hours, at most 12 mg a day.
    ("chlorphenamine 2mg tid 3d", date(2018, 6, 1), 25.0),
    # Hesperian: 6 months to 5 years co-trimoxazole 200/40 mg (240 mg) twice a day.
    ("co-trimoxazole 240mg bid 5d", date(2023, 6, 1), 14.0),
    # SickKids: 10 mg/kg three times a day: 100 mg tid for 10 kg.
    ("metronidazole 100mg tid 5d", date(2024, 6, 1), 10.0),
    # French SmPC: from 2 years 4 sachets a day.
    ("diosmectite 3g qid 3d", date(2022, 6, 1), 16.0),
    # Thyrozol: 0.2-0.5 mg/kg/day: 10 mg a day for 25 kg.
    ("thiamazole 5mg bid 30d", date(2018, 6, 1), 25.0),
    # Swiss label: 30-50 mg/kg a day: 1 g a day for 20 kg.
    ("erythromycin 250mg qid 5d", date(2020, 6, 1), 20.0),
    # Mepha weight table: 125 mg twice daily at 12-19 kg.
    ("clarithromycin 125mg bid 5d", date(2022, 6, 1), 16.0),
    # Folic acid SmPC: children over 1 year 5 mg daily, as adults.
    ("folic acid 5mg qd 30d", date(2020, 6, 1), 20.0),
    # MSF: 1 to under 6 years 250 mg twice a day.
    ("phenoxymethylpenicillin 250mg bid 10d", date(2023, 6, 1), 14.0),
    # Sandoz SmPC: 30-50 mg/kg/day in two doses: 500 mg a day for 18 kg.
    ("cefadroxil 250mg bid 7d", date(2020, 6, 1), 18.0),
]


@pytest.mark.parametrize(("line", "born", "weight"), SAFE_CHILD, ids=[c[0] for c in SAFE_CHILD])
def test_a_childs_dose_within_the_new_rows_raises_nothing(
    line: str, born: date, weight: float
) -> None:
    found = [w for w in _child_findings(line, born, weight) if w.severity is not Severity.INFO]
    assert found == [], [w.message_en for w in found]


UNSAFE_CHILD = [
    # 5 mg twice daily at 4 years: 10 mg a day over the 2-6 years' 5 mg.
    ("cetirizine 5mg bid 5d", date(2022, 6, 1), 16.0, "dose:child-max-daily:cetirizine:"),
    ("loratadine 10mg qd 5d", date(2023, 6, 1), 14.0, "dose:child-max-daily:loratadine:"),
    ("chlorphenamine 4mg tid 3d", date(2022, 6, 1), 16.0, "dose:min-age:chlorphenamine"),
    ("chlorphenamine 4mg qid 3d", date(2018, 6, 1), 25.0, "dose:child-max-daily:chlorphenamine:"),
    ("co-trimoxazole 480mg bid 5d", date(2023, 6, 1), 14.0,
     "dose:child-max-daily:sulfamethoxazole-trimethoprim:"),
    # 120 mg/kg/day for 10 kg, over the 50.
    ("metronidazole 400mg tid 5d", date(2024, 6, 1), 10.0, "dose:per-kg:metronidazole:"),
    # 2.4 g a day for a 60 kg 15-year-old: over the 2.25 g limit.
    ("metronidazole 800mg tid 5d", date(2011, 6, 1), 60.0, "dose:child-max-daily:metronidazole:"),
    ("diosmectite 3g q4h 3d", date(2022, 6, 1), 16.0, "dose:child-max-daily:diosmectite:"),
    ("thiamazole 20mg tid 30d", date(2018, 6, 1), 25.0, "dose:child-max-daily:thiamazole:"),
    ("glucosamine 1500mg qd 30d", date(2011, 6, 1), 60.0, "dose:not-for-children:glucosamine"),
    ("estazolam 1mg qn 7d", date(2011, 6, 1), 60.0, "dose:not-for-children:estazolam"),
    ("pantoprazole 40mg qd 14d", date(2018, 6, 1), 25.0, "dose:min-age:pantoprazole"),
    # 143 mg/kg a day for 14 kg: over the 100 mg/kg the Swiss label allows at most.
    ("erythromycin 500mg qid 5d", date(2022, 6, 1), 14.0, "dose:per-kg:erythromycin:"),
    ("clarithromycin 500mg bid 5d", date(2022, 6, 1), 16.0, "dose:per-kg:clarithromycin:"),
    ("isosorbide dinitrate 5mg tid 7d", date(2012, 6, 1), 45.0,
     "dose:not-for-children:isosorbide-dinitrate"),
    # Phenergan 5-10 years: at most 20 mg at once.
    ("promethazine 25mg qd 3d", date(2019, 6, 1), 22.0, "dose:child-max-dose:promethazine:"),
    ("phenoxymethylpenicillin 500mg qid 10d", date(2023, 6, 1), 14.0,
     "dose:child-max-daily:phenoxymethylpenicillin:"),
    # 111 mg/kg a day for 18 kg: over the 100 mg/kg the SmPC allows at most.
    ("cefadroxil 1000mg bid 7d", date(2020, 6, 1), 18.0, "dose:per-kg:cefadroxil:"),
    ("phenobarbital 30mg bid 7d", date(2023, 6, 1), 14.0, "dose:not-for-children:phenobarbital"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "born", "weight", "key"),
    UNSAFE_CHILD,
    ids=[f"{c[0]} {c[1].year}" for c in UNSAFE_CHILD],
)
def test_a_childs_dose_over_a_new_ceiling_is_high_with_its_source(
    line: str, born: date, weight: float, key: str
) -> None:
    found = _child_findings(line, born, weight)
    hits = [w for w in found if w.key.startswith(key)]
    assert hits, [w.key for w in found]
    assert hits[0].severity is Severity.HIGH
    assert hits[0].source


def test_diosmectite_under_two_years_brings_up_the_smpc_caution() -> None:
    found = _child_findings("diosmectite 3g tid 3d", date(2025, 6, 1), 9.0)
    [caution] = [w for w in found if w.key == "dose:child-caution:diosmectite"]
    assert caution.severity is Severity.MODERATE
    assert "ORS" in caution.message_en


# ----- rows added in content 2026.12.3 --------------------------------------------------------


def test_the_steroids_iron_and_cough_drugs_children_are_given_now_have_a_row() -> None:
    table = children_table()
    for code in (
        "prednisone",
        "dexamethasone",
        "ferrous-sulfate",
        "budesonide-inhaled",
        "ambroxol",
    ):
        dosing, _ = table[code]
        assert dosing.bands, code
        assert all(band.cite for band in dosing.bands), code
    # The iron row is in mg of ferrous sulfate: elemental 3-6 mg/kg/day at 20% is 15-30.
    [iron] = table["ferrous-sulfate"][0].bands
    assert iron.per_kg_day == (15, 30)
    assert "5:1" in iron.cite


SAFE_CHILD_3 = [
    # Prednisolone/prednisone in asthma 1-2 mg/kg/day: 20 mg a day for 20 kg.
    ("prednisone 10mg bid 5d", date(2018, 6, 1), 20.0),
    # Croup, AAP: a single 0.6 mg/kg: 9 mg for 15 kg.
    ("dexamethasone 9mg once 1d", date(2023, 6, 1), 15.0),
    # Elemental iron 3 mg/kg/day = 15 mg/kg/day ferrous sulfate: 300 mg a day for 20 kg.
    ("ferrous sulfate 150mg bid 30d", date(2020, 6, 1), 20.0),
    # 6 years and over: up to 400 micrograms a day.
    ("pulmicort 200µg inh bid 30d", date(2018, 6, 1), 25.0),
    # 说明书: under 12 years 1.2-1.6 mg/kg a day: 30 mg a day for 20 kg.
    ("ambroxol 15mg bid 5d", date(2018, 6, 1), 20.0),
    # US label: 40 mg/kg per day in otitis media: 750 mg a day for 20 kg, under the 1 g.
    ("cefaclor 250mg tid 7d", date(2020, 6, 1), 20.0),
    # 说明书: 6.25-12.5 mg/kg every 6 hours: 250 mg qid for 20 kg is 50 mg/kg a day.
    ("cefradine 250mg qid 5d", date(2020, 6, 1), 20.0),
    # Varicella: 20 mg/kg four times daily: 400 mg qid for 20 kg.
    ("aciclovir 400mg qid 5d", date(2020, 6, 1), 20.0),
    # WHO severe pneumonia: 50,000 units/kg every 6 hours: 800,000 IU qid for 16 kg.
    ("benzylpenicillin 800000IU iv qid 5d", date(2023, 6, 1), 16.0),
]


@pytest.mark.parametrize(("line", "born", "weight"), SAFE_CHILD_3, ids=[c[0] for c in SAFE_CHILD_3])
def test_a_childs_dose_within_the_2026_12_3_rows_raises_nothing(
    line: str, born: date, weight: float
) -> None:
    found = [w for w in _child_findings(line, born, weight) if w.severity is not Severity.INFO]
    assert found == [], [w.message_en for w in found]


UNSAFE_CHILD_3 = [
    # 80 mg a day for 20 kg: 4 mg/kg/day and over the 60 mg NAEPP ceiling.
    ("prednisone 20mg qid 5d", date(2018, 6, 1), 20.0, "dose:child-max-daily:prednisone:",
     "droracle.ai article 701437"),
    ("prednisone 20mg qid 5d", date(2018, 6, 1), 20.0, "dose:per-kg:prednisone:",
     "droracle.ai article 701437"),
    # 1 mg/kg for 15 kg: over the 0.6 mg/kg croup dose.
    ("dexamethasone 15mg once 1d", date(2023, 6, 1), 15.0, "dose:per-kg:dexamethasone:",
     "droracle.ai article 649545"),
    # 20 mg at once for 50 kg (0.4 mg/kg): over the 16 mg maximum.
    ("dexamethasone 20mg once 1d", date(2012, 6, 1), 50.0, "dose:child-max-dose:dexamethasone:",
     "droracle.ai article 649545"),
    # An adult's 900 mg a day for 14 kg: 64 mg/kg/day of ferrous sulfate, 13 of iron.
    ("ferrous sulfate 300mg tid 30d", date(2023, 6, 1), 14.0, "dose:per-kg:ferrous-sulfate:",
     "droracle.ai article 354673"),
    ("pulmicort 400µg inh bid 30d", date(2018, 6, 1), 25.0,
     "dose:child-max-daily:budesonide-inhaled:", "droracle.ai article 822636"),
    # The adult 30 mg three times a day for 20 kg: 4.5 mg/kg a day.
    ("ambroxol 30mg tid 5d", date(2018, 6, 1), 20.0, "dose:per-kg:ambroxol:", "盐酸氨溴索片"),
    # The adult 500 mg three times a day for 30 kg: 1.5 g, over the children's 1 g a day.
    ("cefaclor 500mg tid 7d", date(2016, 6, 1), 30.0, "dose:child-max-daily:cefaclor:",
     "Cefaclor suspension"),
    ("cefaclor 250mg qd 5d", date(2026, 11, 10), 3.5, "dose:min-age:cefaclor", "Cefaclor"),
    # 500 mg qid for 14 kg: 143 mg/kg a day, over the 50.
    ("cefradine 500mg qid 5d", date(2023, 6, 1), 14.0, "dose:per-kg:cefradine:", "头孢拉定"),
    # Two 250-microgram puffs twice daily: 1,000 micrograms, over MSF's child 800.
    ("beclometasone 500µg inh bid 30d", date(2019, 6, 1), 22.0,
     "dose:child-max-daily:beclometasone:", "Médecins Sans Frontières"),
    # 800 mg qid for 20 kg: 160 mg/kg a day.
    ("aciclovir 800mg qid 5d", date(2020, 6, 1), 20.0, "dose:per-kg:aciclovir:",
     "droracle.ai articles 608196"),
    # 500 mg bid for 16 kg: 62.5 mg/kg a day, twice WHO's 30.
    ("ciprofloxacin 500mg bid 3d", date(2022, 6, 1), 16.0, "dose:per-kg:ciprofloxacin:",
     "WHO 2005 guidelines for the control of shigellosis"),
    # 8 million IU qid for 16 kg: 2,000,000 units/kg/day, five times the meningitis ceiling.
    ("benzylpenicillin 8000000IU iv qid 5d", date(2023, 6, 1), 16.0,
     "dose:per-kg:benzylpenicillin:", "WHO. Revised WHO classification"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "born", "weight", "key", "source"),
    UNSAFE_CHILD_3,
    ids=[f"{c[0]} {c[1].year} {c[3]}" for c in UNSAFE_CHILD_3],
)
def test_a_childs_dose_over_a_2026_12_3_ceiling_is_high_with_its_source(
    line: str, born: date, weight: float, key: str, source: str
) -> None:
    found = _child_findings(line, born, weight)
    hits = [w for w in found if w.key.startswith(key)]
    assert hits, [w.key for w in found]
    assert hits[0].severity is Severity.HIGH
    assert source in hits[0].source


def test_the_250_microgram_beclometasone_puff_is_above_a_childs_usual_dose_but_not_high() -> None:
    # MSF: child up to 200 micrograms twice daily; one 250-microgram puff twice daily is above
    # the usual dose (moderate) and within the 800 micrograms a day (no high).
    found = _child_findings("beclometasone 250µg inh bid 30d", date(2019, 6, 1), 22.0)
    [above] = [w for w in found if w.key.startswith("dose:child-dose:beclometasone:")]
    assert above.severity is Severity.MODERATE
    assert not [w for w in found if w.severity is Severity.HIGH]


def test_ciprofloxacin_at_whos_dysentery_dose_still_brings_up_the_under_18_caution() -> None:
    # WHO: 15 mg/kg twice daily; 250 mg bid for 17 kg is 29 mg/kg a day, within the range.
    found = _child_findings("ciprofloxacin 250mg bid 3d", date(2022, 6, 1), 17.0)
    assert not [w for w in found if w.key.startswith("dose:per-kg:")]
    [caution] = [w for w in found if w.key == "dose:child-caution:ciprofloxacin"]
    assert caution.severity is Severity.MODERATE
    assert "18" in caution.message_en


SAFE_CHILD_4 = [
    # 5-7 mg/kg/day in 4 doses: 50 mg qid for 30 kg is 6.7 mg/kg a day.
    ("nitrofurantoin 50mg qid 7d", date(2016, 6, 1), 30.0),
    # BNFC mucosal candidiasis 3-6 mg/kg: 50 mg a day for 15 kg.
    ("fluconazole 50mg qd 7d", date(2022, 6, 1), 15.0),
    # 2-16 years, 20 kg and over: 20 mg once daily.
    ("omeprazole 20mg qd 28d", date(2018, 6, 1), 25.0),
    # Rectal 0.5 mg/kg for a seizure: 5 mg for 10 kg, and a second dose the same day.
    ("diazepam 5mg bid 1d", date(2025, 6, 1), 10.0),
    # BNFC 1 month-5 years: 20 micrograms 3 times a day by aerosol.
    ("atrovent 20µg inh tid 7d", date(2022, 6, 1), 15.0),
]


@pytest.mark.parametrize(("line", "born", "weight"), SAFE_CHILD_4, ids=[c[0] for c in SAFE_CHILD_4])
def test_a_childs_dose_within_the_2026_12_4_rows_raises_nothing(
    line: str, born: date, weight: float
) -> None:
    found = [w for w in _child_findings(line, born, weight) if w.severity is not Severity.INFO]
    assert found == [], [w.message_en for w in found]


UNSAFE_CHILD_4 = [
    # The adult 100 mg qid for 12 kg: 33 mg/kg a day, nearly five times the 7.
    ("nitrofurantoin 100mg qid 7d", date(2023, 6, 1), 12.0, "dose:per-kg:nitrofurantoin:",
     "droracle.ai articles 761510"),
    ("nitrofurantoin 50mg qd 5d", date(2026, 11, 10), 3.5, "dose:min-age:nitrofurantoin",
     "droracle.ai articles 761510"),
    # 400 mg a day for 15 kg: 27 mg/kg, over the 12 mg/kg ceiling.
    ("fluconazole 400mg qd 7d", date(2022, 6, 1), 15.0, "dose:per-kg:fluconazole:",
     "BNF for Children 2011-2012"),
    # 450 mg a day for 40 kg (11 mg/kg): over the children's 400 mg a day.
    ("fluconazole 150mg tid 7d", date(2016, 6, 1), 40.0, "dose:child-max-daily:fluconazole:",
     "azocan-pil: children's maximum 400 mg daily"),
    # 80 mg a day for 15 kg: twice the 40 mg a day.
    ("omeprazole 40mg bid 28d", date(2022, 6, 1), 15.0, "dose:child-max-daily:omeprazole:",
     "droracle.ai articles 763123"),
    # 10 mg tid for 10 kg: 3 mg/kg a day, twice the three-dose 1.5.
    ("diazepam 10mg tid 1d", date(2025, 6, 1), 10.0, "dose:per-kg:diazepam:",
     "droracle.ai article 588997"),
    # 25 mg at once for 60 kg (0.42 mg/kg): over the 20 mg a dose.
    ("diazepam 25mg once 1d", date(2012, 6, 1), 60.0, "dose:child-max-dose:diazepam:",
     "droracle.ai article 588997"),
    # 15 puffs (300 micrograms) qid for a 4-year-old: 1.2 mg a day, over BNFC's 1 mg.
    ("ipratropium 300µg inh qid 1d", date(2022, 6, 1), 15.0,
     "dose:child-max-daily:ipratropium:", "BNF for Children 2018-2019"),
    ("aminophylline 100mg tid 5d", date(2018, 6, 1), 25.0, "dose:not-for-children:aminophylline",
     "Precautions concerning the use of theophylline"),
    ("theophylline 100mg bid 5d", date(2018, 6, 1), 25.0, "dose:not-for-children:theophylline",
     "Precautions concerning the use of theophylline"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "born", "weight", "key", "source"),
    UNSAFE_CHILD_4,
    ids=[f"{c[0]} {c[1].year} {c[3]}" for c in UNSAFE_CHILD_4],
)
def test_a_childs_dose_over_a_2026_12_4_ceiling_is_high_with_its_source(
    line: str, born: date, weight: float, key: str, source: str
) -> None:
    found = _child_findings(line, born, weight)
    hits = [w for w in found if w.key.startswith(key)]
    assert hits, [w.key for w in found]
    assert hits[0].severity is Severity.HIGH
    assert source in hits[0].source
