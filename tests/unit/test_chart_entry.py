"""Checks on what the chart's forms take in: plausible vitals, diagnoses, allergies, notes."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_tui.domain.chart_entry import (
    DemographicsEntry,
    NoteEntry,
    validate_allergy,
    validate_condition,
    validate_demographics,
    validate_note,
)
from clinic_tui.domain.chart_resources import note_text, parse_note_text, with_demographics
from clinic_tui.domain.diagnosis_search import fallback_search
from clinic_tui.domain.vital_entry import VITAL_FIELDS, body_mass_index, parse_vitals

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("texts", "errors"),
    [
        (
            {"systolic": "1700", "diastolic": "90"},
            {"systolic": "Systolic must be between 40 and 300 mmHg"},
        ),
        ({"temperature": "365"}, {"temperature": "Temperature must be between 25 and 45 °C"}),
        ({"temperature": "98.6"}, {"temperature": "Temperature must be between 25 and 45 °C"}),
        ({"spo2": "101"}, {"spo2": "SpO2 must be between 50 and 100 %"}),
        ({"height": "1.72"}, {"height": "Height must be between 20 and 250 cm"}),
        ({"weight": "70000"}, {"weight": "Weight must be between 0.3 and 350 kg"}),
        ({"heart_rate": "7O"}, {"heart_rate": "Heart rate: not a number"}),
        ({"systolic": "120"}, {"diastolic": "A blood pressure needs both systolic and diastolic"}),
        (
            {"systolic": "80", "diastolic": "90"},
            {"diastolic": "Diastolic must be lower than systolic"},
        ),
        ({}, {"systolic": "Enter at least one vital sign"}),
    ],
)
def test_implausible_vitals_are_refused_with_the_range(
    texts: dict[str, str], errors: dict[str, str]
) -> None:
    _entry, found = parse_vitals(texts)
    assert found == errors


def test_plausible_vitals_parse_with_a_decimal_comma_and_keep_their_precision() -> None:
    entry, errors = parse_vitals(
        {"systolic": " 182 ", "diastolic": "110", "temperature": "39,4", "weight": "3.45"}
    )
    assert errors == {}
    assert entry.values == {"systolic": 182, "diastolic": 110, "temperature": 39.4, "weight": 3.5}


def test_every_limit_states_why() -> None:
    assert all(field.rationale and field.low < field.high for field in VITAL_FIELDS)


def test_bmi_is_weight_over_height_squared() -> None:
    assert body_mass_index(70, 172) == 23.7
    assert body_mass_index(3.4, 50) == 13.6


def test_the_fallback_search_finds_codes_words_and_pinyin() -> None:
    assert [h.code for h in fallback_search("i10")] == ["I10"]
    assert [h.code for h in fallback_search("E119")] == ["E11.9"]
    assert [h.code for h in fallback_search("高血压")] == ["I10"]
    assert [h.code for h in fallback_search("gxy")] == ["I10"]
    assert "J06.9" in [h.code for h in fallback_search("respiratory")]
    assert fallback_search("   ") == []
    assert fallback_search("zzzz") == []


def test_condition_checks() -> None:
    hit = fallback_search("I10")[0]
    assert validate_condition(None, "", TODAY) == {
        "code": "Choose a diagnosis from the search results"
    }
    assert validate_condition(hit, "2026-13-01", TODAY) == {"onset": "Not a date: use YYYY-MM-DD"}
    assert validate_condition(hit, "2027-01-01", TODAY) == {
        "onset": "The onset date is in the future"
    }
    assert validate_condition(hit, "2020-01-01", TODAY) == {}


def test_allergy_checks() -> None:
    assert validate_allergy("", "medication", "") == {
        "substance": "Choose a substance or type what the patient reacts to"
    }
    assert validate_allergy("花生", "plant", "")["category"]
    assert validate_allergy("花生", "food", "x" * 201)["reaction"]
    assert validate_allergy("花生", "food", "喉头水肿") == {}


def test_note_checks() -> None:
    assert validate_note(NoteEntry()) == {"note": "The note is empty"}
    assert validate_note(NoteEntry(free_text="x" * 20_001))
    assert validate_note(NoteEntry(plan="复诊")) == {}


def test_a_soap_note_survives_its_text_form() -> None:
    note = NoteEntry(subjective="头晕\n两天", objective="BP 168/98", plan="复诊")
    assert parse_note_text(note_text(note)) == note
    free = NoteEntry(free_text="自由文本\n第二行")
    assert parse_note_text(note_text(free)) == free


def test_demographics_follow_the_registration_phone_rules() -> None:
    wrong = DemographicsEntry("1390013900", "", "", "abc")
    assert validate_demographics(wrong) == {
        "phone": "A mobile number has 11 digits",
        "contact_phone": "A phone number has digits only",
        "contact_name": "Enter the contact's name",
    }
    assert validate_demographics(DemographicsEntry("+86 139 0013 9000", "", "", "")) == {}


def test_a_correction_keeps_other_telecoms_and_a_structured_address_it_did_not_change() -> None:
    address = {"line": ["石门村三组"], "city": "江州市", "district": "清河县", "state": "湖南省"}
    patient = {
        "resourceType": "Patient",
        "id": "p",
        "telecom": [
            {"system": "phone", "value": "13800138000", "use": "mobile"},
            {"system": "email", "value": "a@b.cn"},
        ],
        "address": [address],
    }
    after = with_demographics(
        patient, DemographicsEntry("13900139000", "湖南省江州市清河县石门村三组", "", "")
    )
    assert after["telecom"] == [
        {"system": "phone", "value": "13900139000", "use": "mobile"},
        {"system": "email", "value": "a@b.cn"},
    ]
    assert after["address"] == [address]


def test_a_childs_weight_and_height_stay_within_the_age_band() -> None:
    _, errors = parse_vitals({"weight": "120", "height": "96"}, age_years=2)
    assert errors == {"weight": "Weight above 50 kg is not possible at age 2"}
    _, errors = parse_vitals({"height": "120"}, age_years=0)
    assert errors == {"height": "Height above 100 cm is not possible at age 0"}
    assert parse_vitals({"weight": "120"}, age_years=40)[1] == {}
    assert parse_vitals({"weight": "120"})[1] == {}, "age unknown: adult limits only"
    assert parse_vitals({"weight": "12.4", "height": "88"}, age_years=2)[1] == {}
