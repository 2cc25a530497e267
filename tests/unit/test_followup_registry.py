"""The chronic-disease registry: enrol, leave, record a 随访, and the follow-up list.

Each test builds its cache (a clinic, patients, their diagnoses) and checks what the
registry wrote: the FHIR resources, their outbox rows, and what the lists read back.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.models import Clinic
from clinic_tui.followup import fhir_shapes as shapes
from clinic_tui.followup.model import (
    Classification,
    Control,
    FollowUpValues,
    LeaveReason,
    Lifestyle,
    Programme,
    VisitMode,
)
from clinic_tui.followup.registry import ChronicRegistry, RegistryError
from clinic_tui.offline_cache.store import read_resource, upsert_resources

Resource = dict[str, Any]
CST = timezone(timedelta(hours=8))
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 10, 30, tzinfo=CST)
TOWN = Clinic("org-town", "青山镇卫生院")
HTN = Programme.HYPERTENSION
DM = Programme.DIABETES


def _patient(ident: str, name: str, born: str = "1958-04-02", address: str = "") -> Resource:
    resource: Resource = {
        "resourceType": "Patient",
        "id": ident,
        "name": [{"family": name[0], "given": [name[1:]]}],
        "gender": "female",
        "birthDate": born,
        "managingOrganization": {"reference": f"Organization/{TOWN.id}"},
        "telecom": [{"system": "phone", "value": "13800138000"}],
    }
    if address:
        resource["address"] = [{"use": "home", "line": [address]}]
    return resource


def _condition(ident: str, patient_id: str, code: str, verification: str = "confirmed") -> Resource:
    return {
        "resourceType": "Condition",
        "id": ident,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": verification,
                }
            ]
        },
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "onsetDateTime": "2020-01-01",
    }


@pytest.fixture
def cache(engine: Engine) -> Engine:
    """The township and four patients: 王芳 (I10, E11.9), 李强 (I15.9), 张伟, 赵敏 (30, I10)."""
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [
                {"resourceType": "Organization", "id": TOWN.id, "name": TOWN.name},
                _patient("p-wang", "王芳", address="东山村三组12号"),
                _patient("p-li", "李强", address="西河村一组3号"),
                _patient("p-zhang", "张伟", address="东山村五组1号"),
                _patient("p-zhao", "赵敏", born="1996-05-05", address="南岭村"),
                _condition("c-wang-htn", "p-wang", "I10"),
                _condition("c-wang-dm", "p-wang", "E11.9"),
                _condition("c-li", "p-li", "I15.9"),
                _condition("c-zhao", "p-zhao", "I10"),
            ],
        )
    return engine


def _registry(engine: Engine) -> ChronicRegistry:
    return ChronicRegistry(engine, TOWN, "pr-doctor")


def _outbox(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT resource_type, operation FROM outbox ORDER BY seq")
        ).all()
    return [(str(r[0]), str(r[1])) for r in rows]


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def _classified(
    control: Control = Control.UNSATISFACTORY, due: date | None = None
) -> Classification:
    return Classification(
        control=control,
        reasons=("BP 162/98 at or above 140/90",),
        next_due=due or TODAY + timedelta(days=14),
    )


VALUES = FollowUpValues(
    systolic=162,
    diastolic=98,
    heart_rate=78,
    weight_kg=64.5,
    height_cm=158.0,
    fasting_glucose=8.4,
    symptoms=("dizziness", "headache"),
    lifestyle=Lifestyle(
        cigarettes_per_day=5,
        alcohol_per_day_liang=1.5,
        exercise_times_per_week=3,
        exercise_minutes=30,
        salt="heavy",
        mood="good",
        adherence_to_advice="fair",
    ),
    medication_adherence="intermittent",
    adverse_reaction="干咳",
    complication="",
)


# ----- enrolment ----------------------------------------------------------------------------


def test_enrol_writes_an_episode_of_care_with_its_outbox_entry(cache: Engine) -> None:
    enrolment = _registry(cache).enrol("p-wang", HTN, "pr-doctor", date(2026, 3, 1))

    episode = _resource(cache, "EpisodeOfCare", enrolment.id)
    assert episode["status"] == "active"
    assert episode["type"][0]["coding"][0] == {
        "system": "urn:clinic-tui:chronic-programme",
        "code": "hypertension",
        "display": "Hypertension management",
    }
    assert episode["patient"] == {"reference": "Patient/p-wang"}
    assert episode["managingOrganization"] == {"reference": f"Organization/{TOWN.id}"}
    assert episode["careManager"] == {"reference": "Practitioner/pr-doctor"}
    assert episode["period"] == {"start": "2026-03-01"}
    assert episode["diagnosis"] == [{"condition": {"reference": "Condition/c-wang-htn"}, "rank": 1}]
    assert _outbox(cache) == [("EpisodeOfCare", "create")]
    assert (enrolment.programme, enrolment.active, enrolment.start) == (HTN, True, date(2026, 3, 1))


def test_diabetes_episode_carries_the_hl7_programme_code_too(cache: Engine) -> None:
    enrolment = _registry(cache).enrol("p-wang", DM, None, date(2026, 3, 1))

    codings = _resource(cache, "EpisodeOfCare", enrolment.id)["type"][0]["coding"]
    assert [c["code"] for c in codings] == ["diabetes", "diab"]
    assert "careManager" not in _resource(cache, "EpisodeOfCare", enrolment.id)


def test_enrolling_twice_is_refused_with_the_date_of_the_first(cache: Engine) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, "pr-doctor", date(2026, 3, 1))

    with pytest.raises(RegistryError) as refused:
        registry.enrol("p-wang", HTN, "pr-doctor", date(2026, 4, 1))

    assert (
        refused.value.english == "already enrolled in the hypertension programme (since 2026-03-01)"
    )
    assert refused.value.chinese == "已纳入高血压患者健康管理（2026-03-01起）"
    assert len(_outbox(cache)) == 1


def test_enrolment_without_the_diagnosis_is_refused_unless_asked(cache: Engine) -> None:
    registry = _registry(cache)
    with pytest.raises(RegistryError, match="record the type 2 diabetes diagnosis first"):
        registry.enrol("p-li", DM, "pr-doctor", TODAY)

    made = registry.enrol("p-li", DM, "pr-doctor", TODAY, require_diagnosis=False)

    assert "diagnosis" not in _resource(cache, "EpisodeOfCare", made.id)


def test_enrolling_a_patient_not_in_the_cache_is_refused(cache: Engine) -> None:
    with pytest.raises(RegistryError, match="not in the cache"):
        _registry(cache).enrol("p-nobody", HTN, None, TODAY)


def test_enrollable_follows_the_diagnoses_and_the_enrolments(cache: Engine) -> None:
    registry = _registry(cache)
    assert registry.enrollable("p-wang", today=TODAY) == [HTN, DM]

    registry.enrol("p-wang", HTN, None, TODAY)

    assert registry.enrollable("p-wang", today=TODAY) == [DM]
    assert registry.enrollable("p-zhang", today=TODAY) == []


def test_secondary_hypertension_is_not_suggested(cache: Engine) -> None:
    # 规范: primary hypertension is managed; suspected secondary hypertension is referred.
    assert _registry(cache).enrollable("p-li", today=TODAY) == []


def test_an_entered_in_error_diagnosis_suggests_nothing(cache: Engine) -> None:
    with cache.begin() as connection:
        upsert_resources(connection, [_condition("c-zhang", "p-zhang", "E11", "entered-in-error")])

    assert _registry(cache).enrollable("p-zhang", today=TODAY) == []


def test_under_35_no_suggestion_but_enrolment_by_hand_works(cache: Engine) -> None:
    registry = _registry(cache)
    assert registry.enrollable("p-zhao", today=TODAY) == []
    assert registry.enrollable("p-zhao", today=TODAY, min_age=None) == [HTN]

    assert registry.enrol("p-zhao", HTN, None, TODAY).active


# ----- leaving ----------------------------------------------------------------------------


def test_leave_finishes_the_episode_and_cancels_the_planned_visit(cache: Engine) -> None:
    registry = _registry(cache)
    enrolment = registry.enrol("p-wang", HTN, "pr-doctor", date(2026, 3, 1))
    registry.record_visit("p-wang", [HTN], VisitMode.CLINIC, NOW, VALUES, _classified(), None)

    registry.leave(enrolment.id, LeaveReason.MOVED, TODAY, "搬到县城女儿家", now=NOW)

    episode = _resource(cache, "EpisodeOfCare", enrolment.id)
    assert episode["status"] == "finished"
    assert episode["period"] == {"start": "2026-03-01", "end": "2026-12-07"}
    assert episode["statusHistory"] == [
        {"status": "active", "period": {"start": "2026-03-01", "end": "2026-12-07"}}
    ]
    assert episode["extension"] == [
        {
            "url": "urn:clinic-tui:fhir:extension:programme-leave-reason",
            "valueCodeableConcept": {
                "coding": [
                    {
                        "system": "urn:clinic-tui:programme-leave-reason",
                        "code": "moved",
                        "display": "moved",
                    }
                ],
                "text": "搬到县城女儿家",
            },
        }
    ]
    assert _rows(cache, "SELECT status, leave_reason, period_end FROM episode_of_care") == [
        ("finished", "moved", "2026-12-07")
    ]
    assert _rows(cache, "SELECT status FROM task WHERE kind = 'chronic-follow-up'") == [
        ("cancelled",)
    ]
    left = registry.enrolments("p-wang")[0]
    assert (left.active, left.end, left.leave_reason) == (False, TODAY, LeaveReason.MOVED)


def test_leaving_twice_or_before_enrolment_is_refused(cache: Engine) -> None:
    registry = _registry(cache)
    enrolment = registry.enrol("p-wang", HTN, None, date(2026, 3, 1))
    with pytest.raises(RegistryError, match="before the enrolment"):
        registry.leave(enrolment.id, LeaveReason.DIED, date(2026, 2, 1))
    registry.leave(enrolment.id, LeaveReason.DIED, TODAY)

    with pytest.raises(RegistryError, match="already left"):
        registry.leave(enrolment.id, LeaveReason.DECLINED, TODAY)


def test_only_the_managing_clinic_ends_an_enrolment(cache: Engine) -> None:
    enrolment = _registry(cache).enrol("p-wang", HTN, None, date(2026, 3, 1))

    with pytest.raises(RegistryError, match="only the clinic that manages"):
        ChronicRegistry(cache, Clinic("org-county", "县医院")).leave(
            enrolment.id, LeaveReason.MOVED, TODAY
        )

    assert _registry(cache).enrolments("p-wang")[0].active


def test_enrolments_list_active_first_and_allow_re_enrolment(cache: Engine) -> None:
    registry = _registry(cache)
    first = registry.enrol("p-wang", HTN, None, date(2025, 3, 1))
    registry.leave(first.id, LeaveReason.DECLINED, date(2025, 6, 1))
    again = registry.enrol("p-wang", HTN, None, date(2026, 1, 5))
    diabetes = registry.enrol("p-wang", DM, None, date(2025, 1, 5))

    assert [e.id for e in registry.enrolments("p-wang")] == [again.id, diabetes.id, first.id]
    assert registry.enrolment(first.id) == registry.enrolments("p-wang")[2]


# ----- the 随访 ------------------------------------------------------------------------------


def test_record_visit_writes_exactly_the_visit_resources_in_one_go(cache: Engine) -> None:
    registry = _registry(cache)
    htn = registry.enrol("p-wang", HTN, "pr-doctor", date(2026, 3, 1))
    dm = registry.enrol("p-wang", DM, "pr-doctor", date(2026, 3, 1))
    before = len(_outbox(cache))

    visit = registry.record_visit(
        "p-wang", [HTN, DM], VisitMode.HOME, NOW, VALUES, _classified(), "pr-doctor", "复查肾功能"
    )

    made = _outbox(cache)[before:]
    assert sorted(made) == sorted(
        [("Encounter", "create")]
        + [("Observation", "create")] * 6  # BP panel, heart rate, weight, height, BMI, glucose
        + [("QuestionnaireResponse", "create")]
        + [("Task", "create")] * 2  # the next visit, per programme
    )
    encounter = _resource(cache, "Encounter", visit.id)
    assert encounter["class"]["code"] == "HH"
    assert encounter["episodeOfCare"] == [
        {"reference": f"EpisodeOfCare/{htn.id}"},
        {"reference": f"EpisodeOfCare/{dm.id}"},
    ]
    assert encounter["serviceProvider"] == {"reference": f"Organization/{TOWN.id}"}
    assert encounter["participant"][0]["individual"] == {"reference": "Practitioner/pr-doctor"}
    assert encounter["type"][0]["coding"][0]["code"] == "chronic-follow-up"
    codes = {
        row[0] for row in _rows(cache, "SELECT code FROM observation WHERE patient_id = 'p-wang'")
    }
    assert codes == {"85354-9", "8867-4", "29463-7", "8302-2", "39156-5", "77145-1"}
    tasks = _rows(
        cache,
        "SELECT focus_id, due_date, status, owner_org, patient_id FROM task"
        " WHERE kind = 'chronic-follow-up' ORDER BY focus_id",
    )
    assert sorted(tasks) == sorted(
        [
            (htn.id, "2026-12-21", "requested", TOWN.id, "p-wang"),
            (dm.id, "2026-12-21", "requested", TOWN.id, "p-wang"),
        ]
    )
    answers = _rows(cache, "SELECT encounter_id, questionnaire, status FROM questionnaire_response")
    assert answers == [(visit.id, "urn:clinic-tui:questionnaire:chronic-follow-up", "completed")]


def test_the_visit_reads_back_as_it_was_recorded(cache: Engine) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, "pr-doctor", date(2026, 3, 1))
    registry.enrol("p-wang", DM, "pr-doctor", date(2026, 3, 1))
    made = registry.record_visit(
        "p-wang", [HTN, DM], VisitMode.HOME, NOW, VALUES, _classified(), "pr-doctor", "复查肾功能"
    )

    [read] = registry.visits("p-wang")

    assert read == made
    assert registry.visits("p-wang", DM) == [made]
    assert read.values == VALUES


def test_a_second_visit_completes_the_planned_task_it_replaces(cache: Engine) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, None, date(2026, 3, 1))
    first = registry.record_visit(
        "p-wang",
        [HTN],
        VisitMode.CLINIC,
        NOW - timedelta(days=14),
        VALUES,
        _classified(due=TODAY),
        None,
    )
    second = registry.record_visit(
        "p-wang",
        [HTN],
        VisitMode.CLINIC,
        NOW,
        VALUES,
        _classified(Control.SATISFACTORY, TODAY + timedelta(days=90)),
        None,
    )

    rows = _rows(
        cache,
        "SELECT status, due_date, resource_json FROM task WHERE kind = 'chronic-follow-up'"
        " ORDER BY due_date",
    )
    assert [(r[0], r[1]) for r in rows] == [
        ("completed", "2026-12-07"),
        ("requested", "2027-03-07"),
    ]
    done = json.loads(rows[0][2])
    assert done["output"][0]["valueReference"] == {"reference": f"Encounter/{second.id}"}
    assert done["encounter"] == {"reference": f"Encounter/{first.id}"}
    assert [v.id for v in registry.visits("p-wang")] == [second.id, first.id]
    assert [v.next_due for v in registry.visits("p-wang")] == [
        date(2027, 3, 7),
        date(2026, 12, 7),
    ]


def test_phone_values_are_marked_as_reported_by_the_patient(cache: Engine) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, None, date(2026, 3, 1))
    told = FollowUpValues(systolic=150, diastolic=92, reported=True)

    visit = registry.record_visit(
        "p-wang", [HTN], VisitMode.PHONE, NOW, told, _classified(), "pr-doctor"
    )

    [bp] = [json.loads(r[0]) for r in _rows(cache, "SELECT resource_json FROM observation")]
    assert bp["performer"] == [{"reference": "Patient/p-wang"}]
    assert bp["note"] == [{"text": shapes.REPORTED_NOTE}]
    answers = json.loads(_rows(cache, "SELECT resource_json FROM questionnaire_response")[0][0])
    assert answers["source"] == {"reference": "Patient/p-wang"}
    assert answers["author"] == {"reference": "Practitioner/pr-doctor"}
    assert _resource(cache, "Encounter", visit.id)["class"]["code"] == "VR"
    assert registry.visits("p-wang")[0].values.reported is True
    assert registry.visits("p-wang")[0].mode is VisitMode.PHONE


def test_measured_values_name_the_clinician_as_performer(cache: Engine) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, None, date(2026, 3, 1))
    registry.record_visit(
        "p-wang", [HTN], VisitMode.CLINIC, NOW, FollowUpValues(140, 88), _classified(), None
    )

    [bp] = [json.loads(r[0]) for r in _rows(cache, "SELECT resource_json FROM observation")]
    assert bp["performer"] == [{"reference": "Practitioner/pr-doctor"}]
    assert "note" not in bp


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (FollowUpValues(systolic=150), "enter both blood pressure values"),
        (FollowUpValues(systolic=90, diastolic=95), "diastolic pressure must be below"),
        (FollowUpValues(systolic=1500, diastolic=90), "Systolic 1500 is outside"),
        (FollowUpValues(fasting_glucose=110.0), "fasting glucose 110 is outside"),
    ],
)
def test_impossible_values_are_refused_and_nothing_is_written(
    cache: Engine, values: FollowUpValues, message: str
) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, None, date(2026, 3, 1))
    before = _outbox(cache)

    with pytest.raises(RegistryError, match=message):
        registry.record_visit("p-wang", [HTN], VisitMode.CLINIC, NOW, values, _classified(), None)

    assert _outbox(cache) == before


def test_a_visit_for_a_programme_not_enrolled_writes_nothing(cache: Engine) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, None, date(2026, 3, 1))
    before = _outbox(cache)

    with pytest.raises(RegistryError, match="not enrolled in the type 2 diabetes programme"):
        registry.record_visit(
            "p-wang", [HTN, DM], VisitMode.CLINIC, NOW, VALUES, _classified(), None
        )

    assert _outbox(cache) == before
    assert _rows(cache, "SELECT count(*) FROM encounter") == [(0,)]


def test_a_past_next_date_is_refused(cache: Engine) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, None, date(2026, 3, 1))
    with pytest.raises(RegistryError, match="next follow-up date has passed"):
        registry.record_visit(
            "p-wang",
            [HTN],
            VisitMode.CLINIC,
            NOW,
            VALUES,
            _classified(due=TODAY - timedelta(days=1)),
            None,
        )


def test_a_home_visit_is_not_a_registration_in_todays_queue(cache: Engine) -> None:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    registry = _registry(cache)
    registry.enrol("p-wang", HTN, None, date(2026, 3, 1))
    registry.record_visit("p-wang", [HTN], VisitMode.HOME, NOW, VALUES, _classified(), None)

    assert ClinicCache(cache, TOWN.id).queue_today(TODAY) == []
    assert _rows(cache, "SELECT queue_date, episode_ids FROM encounter")[0][0] is None


# ----- the follow-up list -------------------------------------------------------------------


def _visit(registry: ChronicRegistry, patient_id: str, programmes: list[Programme], when: datetime,
           due: date, control: Control = Control.SATISFACTORY) -> None:  # fmt: skip
    registry.record_visit(
        patient_id,
        programmes,
        VisitMode.CLINIC,
        when,
        FollowUpValues(systolic=130, diastolic=80),
        Classification(control=control, reasons=(), next_due=due),
        None,
    )


@pytest.fixture
def listed(cache: Engine) -> ChronicRegistry:
    """王芳 overdue 20 days (HTN) and due in 5 (DM); 李强 due in 30 but never seen this year;
    张伟 due in 60, seen this year (not listed); 赵敏 left (not listed)."""
    registry = _registry(cache)
    with cache.begin() as connection:
        upsert_resources(connection, [_condition("c-zhang", "p-zhang", "I11.9")])
    registry.enrol("p-wang", HTN, "pr-doctor", date(2025, 3, 1))
    registry.enrol("p-wang", DM, "pr-other", date(2025, 3, 1))
    registry.enrol("p-li", HTN, "pr-doctor", date(2025, 3, 1), require_diagnosis=False)
    registry.enrol("p-zhang", HTN, "pr-doctor", date(2025, 3, 1))
    zhao = registry.enrol("p-zhao", HTN, "pr-doctor", date(2025, 3, 1))
    august = datetime(2026, 8, 1, 9, 0, tzinfo=CST)
    _visit(registry, "p-wang", [HTN], august, TODAY - timedelta(days=20), Control.UNSATISFACTORY)
    _visit(registry, "p-wang", [DM], august, TODAY + timedelta(days=5))
    _visit(registry, "p-li", [HTN], datetime(2025, 12, 1, 9, 0, tzinfo=CST), TODAY + timedelta(30))
    _visit(registry, "p-zhang", [HTN], august, TODAY + timedelta(days=60))
    registry.leave(zhao.id, LeaveReason.DIED, date(2026, 6, 1))
    return registry


def test_due_list_most_overdue_first_with_never_seen_this_year(listed: ChronicRegistry) -> None:
    items = listed.due_list(TODAY)

    assert [(i.name, i.programme, i.due) for i in items] == [
        ("王芳", HTN, date(2026, 11, 17)),
        ("王芳", DM, date(2026, 12, 12)),
        ("李强", HTN, date(2027, 1, 6)),
    ]
    first = items[0]
    assert (first.last_visit, first.visits_this_year, first.last_control) == (
        date(2026, 8, 1),
        1,
        Control.UNSATISFACTORY,
    )
    assert (first.address, first.phone, first.clinician_id) == (
        "东山村三组12号",
        "13800138000",
        "pr-doctor",
    )
    assert (items[2].visits_this_year, items[2].last_visit) == (0, date(2025, 12, 1))


def test_due_list_filters(listed: ChronicRegistry) -> None:
    assert [i.programme for i in listed.due_list(TODAY, programme=DM)] == [DM]
    assert [i.name for i in listed.due_list(TODAY, clinician_id="pr-other")] == ["王芳"]
    assert [i.name for i in listed.due_list(TODAY, address="西河村")] == ["李强"]
    assert [i.due for i in listed.due_list(TODAY, horizon_days=0)] == [
        date(2026, 11, 17),
        date(2027, 1, 6),
    ]


def test_a_new_enrolment_is_due_from_its_start(cache: Engine) -> None:
    registry = _registry(cache)
    registry.enrol("p-wang", HTN, None, date(2026, 11, 1))

    [item] = registry.due_list(TODAY)

    assert (item.due, item.last_visit, item.visits_this_year) == (None, None, 0)


def test_due_list_keeps_to_this_clinics_enrolments(cache: Engine) -> None:
    _registry(cache).enrol("p-wang", HTN, None, date(2026, 11, 1))

    assert ChronicRegistry(cache, Clinic("org-other", "别处")).due_list(TODAY) == []


def _resource(engine: Engine, kind: str, ident: str) -> Resource:
    with engine.connect() as connection:
        found = read_resource(connection, kind, ident)
    assert found is not None
    return found


def test_migration_17_fills_the_new_columns_of_visits_cached_before_it(tmp_path: Any) -> None:
    import sqlite3

    from clinic_tui.offline_cache.migrations import LATEST_VERSION, migrate

    connection = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    migrate(connection, target=16)
    visit = {
        "resourceType": "Encounter",
        "id": "v-1",
        "status": "finished",
        "subject": {"reference": "Patient/p-1"},
        "serviceProvider": {"reference": "Organization/org-town"},
        "period": {"start": "2026-12-07T09:00:00+08:00"},
        "episodeOfCare": [
            {"reference": "EpisodeOfCare/e-htn"},
            {"reference": "EpisodeOfCare/e-dm"},
        ],
    }
    connection.execute(
        "INSERT INTO encounter (id, resource_json, patient_id, organization_id, status,"
        " period_start, queue_date, episode_id) VALUES (?, ?, 'p-1', 'org-town', 'finished',"
        " '2026-12-07T09:00:00+08:00', '2026-12-07', 'e-htn')",
        ("v-1", json.dumps(visit)),
    )

    migrate(connection)

    row = connection.execute("SELECT queue_date, episode_ids FROM encounter").fetchone()
    assert row == (None, " e-htn e-dm ")
    assert connection.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    connection.close()
