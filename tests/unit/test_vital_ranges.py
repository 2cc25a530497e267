"""classify_vital: measurements against cited adult and paediatric ranges (domain/vital_ranges)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from clinic_tui.domain.vital_ranges import (
    Age,
    bands,
    bmi,
    classify_vital,
    implausible,
)

TODAY = date(2026, 11, 24)
ADULT = Age.on(date(1960, 5, 1), TODAY)
TODDLER = Age.on(date(2025, 10, 1), TODAY)  # 13 months
NEONATE = Age.on(date(2026, 11, 10), TODAY)  # 14 days


@pytest.mark.parametrize(
    ("code", "value", "diastolic", "flag", "words"),
    [
        ("85354-9", 170, 91, "high", "hypertension grade 2"),  # the worse of 170 and 91
        ("85354-9", 138, 92, "high", "diastolic 90-99"),
        ("85354-9", 125, 79, "normal", "systolic 111-139"),
        ("85354-9", 182, 100, "very high", "grade 3"),
        ("85354-9", 88, 50, "very low", "systolic <= 90"),
        ("9279-1", 22, None, "high", "respiratory rate 21-24"),
        ("59408-5", 94, None, "low", "SpO2 94-95"),
        ("59408-5", 97, None, "normal", "SpO2 >= 96"),
        ("8867-4", 72, None, "normal", "heart rate 51-90"),
        ("8310-5", 38.0, None, "normal", "36.1-38.0"),
        ("8310-5", 38.1, None, "high", "38.1-39.0"),
        ("39156-5", 24.0, None, "high", "overweight"),
        ("39156-5", 23.9, None, "normal", "normal weight"),
        ("39156-5", 28.0, None, "high", "obese"),
    ],
)
def test_adult_measurements(
    code: str, value: float, diastolic: float | None, flag: str, words: str
) -> None:
    found = classify_vital(code, value, ADULT, diastolic=diastolic)
    assert found is not None
    assert found.flag == flag
    assert words in found.meaning
    assert found.meaning_zh
    assert found.source.short in (
        "NEWS2 (RCP 2017)",
        "China hypertension guideline 2018",
        "WS/T 428-2013",
    )


def flag_of(code: str, value: float, age: Age) -> str | None:
    found = classify_vital(code, value, age)
    return found.flag if found is not None else None


def test_children_have_their_own_ranges() -> None:
    # 130 /min is normal for a 13-month-old (98-140) and flagged for an adult (111-130).
    assert flag_of("8867-4", 130, TODDLER) == "normal"
    assert flag_of("8867-4", 130, ADULT) == "high"
    assert flag_of("8310-5", 37.6, TODDLER) == "high"  # WHO: fever from 37.5 axillary
    assert flag_of("8867-4", 190, NEONATE) == "normal"
    assert flag_of("85354-9", 58, NEONATE) == "very low"
    # 1-12 years need height percentile tables: a high pressure is left unflagged, not guessed.
    assert classify_vital("8480-6", 125, Age.on(date(2018, 1, 1), TODAY)) is None


def test_unknown_age_is_never_flagged() -> None:
    assert classify_vital("85354-9", 190, None, diastolic=120) is None


def test_no_two_bands_overlap() -> None:
    # Bands are constant between their bounds: checking at every bound and halfway between
    # neighbouring bounds, at every age bound and in between, covers every case.
    ages = [Age.on(date(2026, 11, 24 - d), TODAY) for d in (0, 20)] + [
        Age.on(date(2026 - years, 6, 1), TODAY) for years in range(0, 90)
    ]
    ages += [Age.on(date(2026, month, 10), TODAY) for month in (8, 9, 10)]  # 1-3 months
    for code in {band.code for band in bands()}:
        of_code = [band for band in bands() if band.code == code]
        bounds = sorted({b for band in of_code for b in (band.low, band.below) if b is not None})
        values = bounds + [(a + b) / 2 for a, b in pairwise(bounds)]
        values += [bounds[0] - 1, bounds[-1] + 1]
        for age in ages:
            for value in values:
                covering = [band for band in of_code if band.covers(value, age)]
                assert len(covering) <= 1, (code, age, value, covering)


def test_typing_errors_are_told_apart_from_measurements() -> None:
    assert implausible("8480-6", 1200) is not None
    assert implausible("8480-6", 300) is None
    assert implausible("8480-6", 39) is not None
    assert bmi(70, 170) == 24.2
    assert bmi(70, 1.70) is None  # metres typed where centimetres belong


OPIYO = "Opiyo & English 2011 (young infant danger signs)"
YOUNG_INFANT = Age.on(date(2026, 10, 1), TODAY)  # 7 weeks: under 2 months
INFANT = Age.on(date(2026, 5, 1), TODAY)  # 6 months
CHILD = Age.on(date(2021, 6, 1), TODAY)  # 5 years


@pytest.mark.parametrize(
    ("code", "value", "age", "flag", "source"),
    [
        # Opiyo & English 2011: axillary < 35.5 or >= 37.5 is a danger sign under 2 months.
        ("8310-5", 35.0, YOUNG_INFANT, "very low", OPIYO),
        ("8310-5", 35.4, YOUNG_INFANT, "very low", OPIYO),
        ("8310-5", 35.5, YOUNG_INFANT, None, ""),
        ("8310-5", 37.5, YOUNG_INFANT, "very high", OPIYO),
        ("8310-5", 37.5, INFANT, "high", "WHO pocket book 2013"),
        # Breathing >= 60 under 2 months: danger sign; >= 50 at 2-11 months: fast (WHO IMCI).
        ("9279-1", 60, YOUNG_INFANT, "very high", OPIYO),
        ("9279-1", 50, INFANT, "high", "WHO IMCI fast breathing"),
        ("9279-1", 53, INFANT, "high", "WHO IMCI fast breathing"),
        ("9279-1", 49, INFANT, "normal", "WHO IMCI fast breathing"),
        # A child's SpO2 below 94 (WHO ETAT target) and heart rate below 60 (PALS bradycardia).
        ("59408-5", 93, CHILD, "very low", "WHO ETAT oxygen target (SpO2 >= 94)"),
        ("59408-5", 94, CHILD, None, ""),
        ("8867-4", 59, CHILD, "very low", "AHA PALS bradycardia algorithm"),
        ("8867-4", 59, NEONATE, "very low", "AHA PALS bradycardia algorithm"),
        ("8867-4", 60, CHILD, "low", "AHA PALS 2020"),
    ],
)  # fmt: skip
def test_young_infant_danger_signs_fast_breathing_hypoxaemia_and_bradycardia(
    code: str, value: float, age: Age, flag: str | None, source: str
) -> None:
    found = classify_vital(code, value, age)
    assert (found.flag if found else None) == flag
    if found is not None:
        assert found.source.short == source
        assert found.meaning_zh
