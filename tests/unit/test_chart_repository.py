"""The chart repository reads exactly what a clinician must see, from the cached FHIR records."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from clinic_tui.domain.models import AllergyState, Chart, Gender
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.store import upsert_resources
from tests.ui.chart_fixtures import ALLERGIC_ID_NUMBER, TODAY, allergy, fill_cache, patient


@pytest.fixture
def repository(engine: Engine) -> ChartRepository:
    """A repository over the three fixture patients."""
    fill_cache(engine)
    return ChartRepository(engine)


def _chart(repository: ChartRepository, patient_id: str) -> Chart:
    chart = repository.load(patient_id, TODAY)
    assert chart is not None
    return chart


def test_unknown_patient_has_no_chart(repository: ChartRepository) -> None:
    assert repository.load("nobody", TODAY) is None


def test_summary_and_identifiers(repository: ChartRepository) -> None:
    chart = _chart(repository, "p-allergic")
    assert chart.patient.name == "张伟"
    assert chart.patient.gender is Gender.MALE
    assert chart.patient.birth_date == date(1958, 3, 14)
    assert chart.identifiers == [
        ("Identity number", ALLERGIC_ID_NUMBER),
        ("Phone", "13800138000"),
        ("Health card", f"HC{ALLERGIC_ID_NUMBER[-6:]}"),
    ]


def test_recorded_allergies_are_active_confirmed_and_high_criticality_first(
    repository: ChartRepository,
) -> None:
    chart = _chart(repository, "p-allergic")
    assert chart.allergy_state is AllergyState.RECORDED
    # Resolved (pollen) and refuted (cefalexin) allergies are not shown.
    assert [(a.substance, a.criticality, a.reaction) for a in chart.allergies] == [
        ("青霉素 Penicillin", "high", "过敏性休克 anaphylaxis"),
        ("磺胺类 Sulfonamides", "low", "皮疹 rash"),
    ]


def test_no_known_allergy_record_gives_no_known_allergies(repository: ChartRepository) -> None:
    chart = _chart(repository, "p-nka")
    assert chart.allergy_state is AllergyState.NO_KNOWN_ALLERGIES
    assert chart.allergies == []


def test_no_allergy_record_gives_not_recorded(repository: ChartRepository) -> None:
    chart = _chart(repository, "p-unrecorded")
    assert chart.allergy_state is AllergyState.NOT_RECORDED
    assert chart.allergies == []


def test_a_real_allergy_outweighs_a_stale_no_known_allergy_record(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [
                patient("p-x", "赵", "六", "male", "1980-01-01"),
                allergy("nka", "p-x", "No known allergy", code="716186003"),
                allergy("real", "p-x", "青霉素", criticality="high"),
            ],
        )
    chart = ChartRepository(engine).load("p-x", TODAY)
    assert chart is not None
    assert chart.allergy_state is AllergyState.RECORDED
    assert [a.substance for a in chart.allergies] == ["青霉素"]


def test_active_problems_come_before_resolved_ones(repository: ChartRepository) -> None:
    problems = _chart(repository, "p-allergic").problems
    assert [(p.code, p.clinical_status) for p in problems] == [
        ("E11.9", "active"),
        ("I10", "active"),
        ("J06.9", "resolved"),
    ]
    assert problems[1].display == "原发性高血压 Essential hypertension"
    assert problems[1].onset == date(2015, 6, 1)


def test_only_active_medications_newest_first_with_pending_flag(
    repository: ChartRepository,
) -> None:
    medications = _chart(repository, "p-allergic").medications
    assert [(m.name, m.pending) for m in medications] == [
        ("阿司匹林肠溶片 Aspirin 100mg", True),
        ("氨氯地平片 Amlodipine 5mg", False),
        ("二甲双胍片 Metformin 0.5g", False),
    ]
    assert medications[1].dosage == "5mg 口服 每日一次 qd"
    assert medications[1].authored_on == date(2025, 3, 2)


def test_latest_vital_per_code_and_history_oldest_first(repository: ChartRepository) -> None:
    chart = _chart(repository, "p-allergic")
    assert [v.loinc for v in chart.vitals] == [
        "85354-9",
        "8867-4",
        "8310-5",
        "9279-1",
        "59408-5",
        "29463-7",
        "8302-2",
        "39156-5",
    ]
    latest = {v.loinc: v for v in chart.vitals}
    assert latest["8867-4"].value == 88
    assert [v.value for v in chart.vital_history["8867-4"]] == [72, 80, 88]
    assert [v.value for v in chart.vital_history["29463-7"]] == [72.5, 71.0]
    history = chart.vital_history["8867-4"]
    assert history == sorted(history, key=lambda vital: vital.effective)


def test_blood_pressure_keeps_systolic_and_diastolic(repository: ChartRepository) -> None:
    chart = _chart(repository, "p-allergic")
    pressure = chart.vitals[0]
    assert (pressure.label, pressure.value, pressure.second_value) == ("Blood pressure", 152, 96)
    assert pressure.unit == "mmHg"
    assert [(v.value, v.second_value) for v in chart.vital_history["85354-9"]] == [
        (150, 95),
        (146, 92),
        (141, 90),
        (138, 88),
        (152, 96),
    ]


def test_arterial_and_pulse_oximetry_saturation_form_one_series(
    repository: ChartRepository,
) -> None:
    chart = _chart(repository, "p-allergic")
    assert [v.value for v in chart.vital_history["59408-5"]] == [97, 95]
    assert "2708-6" not in chart.vital_history


def test_visits_newest_first_with_organization_and_no_future_bookings(
    repository: ChartRepository,
) -> None:
    visits = _chart(repository, "p-allergic").visits
    assert [(v.encounter_id, v.organization) for v in visits] == [
        ("e-1", "青山镇卫生院"),
        ("e-2", "青山镇卫生院"),
        ("e-3", "青山县人民医院"),
    ]
    assert visits[0].reason == "头晕 dizziness"
    assert visits[0].started is not None
    assert visits[0].started.date() == TODAY


def test_empty_chart_sections_for_a_new_patient(repository: ChartRepository) -> None:
    chart = _chart(repository, "p-unrecorded")
    assert (chart.problems, chart.medications, chart.vitals, chart.visits) == ([], [], [], [])
    assert chart.identifiers == []
