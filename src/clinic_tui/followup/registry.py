"""The chronic-disease registries in the cache: enrol, leave, record a 随访, and the lists.

Built like referral/store.py: every action reads what is cached, builds the FHIR JSON with
followup/fhir_shapes.py (an update starts from the cached JSON, so nothing is dropped) and
writes each record with store.write_local_change, all in one SQLite transaction: it works
offline and the next sync uploads it. The follow-up list is one SQL query (followup/due_list.py).

Who is enrolled (国家基本公共卫生服务规范 第三版, 高血压 / 2型糖尿病患者健康管理服务规范,
一、服务对象): residents of 35 or over with 原发性高血压 (primary hypertension) or 2型糖尿病.
Hence ICD-10 I10-I13 (essential hypertension and its heart / kidney disease) and E11; I15,
secondary hypertension, is not suggested: the same text has suspected secondary hypertension
referred (对可疑继发性高血压患者，及时转诊), not managed in the programme.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from clinic_tui.domain.fhir import Resource, concept_code, reference_id
from clinic_tui.domain.models import Clinic
from clinic_tui.domain.vital_entry import FIELDS_BY_KEY
from clinic_tui.errors import BilingualError
from clinic_tui.followup import fhir_shapes as shapes
from clinic_tui.followup.due_list import due_items
from clinic_tui.followup.model import (
    Classification,
    DueItem,
    Enrolment,
    FollowUpValues,
    FollowUpVisit,
    LeaveReason,
    Programme,
    VisitMode,
)
from clinic_tui.followup.visit_read import enrolment_of, read_visits
from clinic_tui.offline_cache.store import read_resource, write_local_change

DIAGNOSIS_PREFIXES: dict[Programme, tuple[str, ...]] = {
    Programme.HYPERTENSION: ("I10", "I11", "I12", "I13"),
    Programme.DIABETES: ("E11",),
}
"""ICD-10 codes (by prefix) that make a patient eligible for each programme (see above)."""

PROGRAMME_MIN_AGE = 35
"""规范 一、服务对象: 辖区内35岁及以上常住居民 (enrolment is suggested from this age)."""

OPEN_TASK_STATUSES = (
    "draft",
    "requested",
    "received",
    "accepted",
    "ready",
    "in-progress",
    "on-hold",
)
"""Task states of a next visit not yet done (FHIR R4 TaskStatus, the unfinished ones)."""

_ACTIVE_PROBLEM = ("active", "recurrence", "relapse")
_NOT_A_DIAGNOSIS = ("entered-in-error", "refuted")

GLUCOSE_LIMITS = (1.0, 60.0)
"""mmol/L a typed fasting glucose must lie within: a typing-slip guard (e.g. mg/dL typed for
mmol/L: 110 for 6.1), not a clinical threshold; unverified against a meter's range."""


class RegistryError(BilingualError):
    """An action the registry refuses; the message is in English and Chinese."""


def _new_id() -> str:
    # Client-assigned UUIDs: the upload PUTs them, so a retried create never duplicates.
    return str(uuid.uuid4())


PROGRAMME_NAMES = {
    Programme.HYPERTENSION: ("hypertension", "高血压"),
    Programme.DIABETES: ("type 2 diabetes", "2型糖尿病"),
}


class ChronicRegistry:
    """One clinic's hypertension and type 2 diabetes registries (EpisodeOfCare) and 随访 visits."""

    def __init__(
        self,
        engine: Engine,
        clinic: Clinic,
        practitioner_id: str | None = None,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.engine = engine
        self.clinic = clinic
        self.practitioner_id = practitioner_id
        """The signed-in clinician (the default care manager and visit clinician)."""
        self.new_id = new_id

    # ----- enrolment --------------------------------------------------------------------------

    def enrol(
        self,
        patient_id: str,
        programme: Programme,
        clinician_id: str | None,
        on: date,
        *,
        require_diagnosis: bool = True,
    ) -> Enrolment:
        """Enrol the patient in `programme` from `on` (an EpisodeOfCare, status active).

        Refused when already enrolled, and (unless `require_diagnosis` is False) when the
        chart holds no active diagnosis of the programme's disease (DIAGNOSIS_PREFIXES).
        """
        programme = Programme(programme)
        english, chinese = PROGRAMME_NAMES[programme]
        with self.engine.begin() as connection:
            if read_resource(connection, "Patient", patient_id) is None:
                raise RegistryError("this patient is not in the cache", "缓存中没有该患者")
            active = _active_episode(connection, patient_id, programme)
            if active is not None:
                since = str(active["period_start"] or "")[:10]
                raise RegistryError(
                    f"already enrolled in the {english} programme (since {since})",
                    f"已纳入{chinese}患者健康管理（{since}起）",
                )
            diagnoses = _diagnoses(connection, patient_id).get(programme, [])
            if not diagnoses and require_diagnosis:
                codes = "/".join(DIAGNOSIS_PREFIXES[programme])
                raise RegistryError(
                    f"record the {english} diagnosis first (ICD-10 {codes})",
                    f"请先记录{chinese}诊断（ICD-10 {codes}）",
                )
            episode = shapes.episode_of_care(
                self.new_id(),
                patient_id,
                programme,
                self.clinic.id,
                clinician_id,
                on,
                diagnoses[0] if diagnoses else None,
            )
            write_local_change(connection, episode, "create")
        made = enrolment_of(episode)
        if made is None:  # cannot happen: the shape has a programme and a start
            raise RegistryError("the enrolment could not be read back", "无法读取管理记录")
        return made

    def leave(
        self,
        enrolment_id: str,
        reason: LeaveReason,
        on: date,
        note: str = "",
        *,
        now: datetime | None = None,
    ) -> None:
        """The patient leaves the programme (moved, died, declined): status finished on `on`.

        Its open next-visit Tasks are cancelled with it, so no list shows them as due.
        """
        reason = LeaveReason(reason)
        moment = now or datetime.now().astimezone().replace(microsecond=0)
        with self.engine.begin() as connection:
            before = read_resource(connection, "EpisodeOfCare", enrolment_id)
            if before is None:
                raise RegistryError("this enrolment is not in the cache", "缓存中没有该管理记录")
            manager = reference_id(before.get("managingOrganization"), "Organization")
            if manager and manager != self.clinic.id:
                raise RegistryError(
                    "only the clinic that manages the patient can end this enrolment",
                    "只有负责管理的机构可以结束此项管理",
                )
            if before.get("status") != "active":
                raise RegistryError(
                    "the patient has already left this programme", "该患者已退出此项管理"
                )
            start = str((before.get("period") or {}).get("start") or "")[:10]
            if start and on.isoformat() < start:
                raise RegistryError(
                    f"the date is before the enrolment ({start})",
                    f"日期早于纳入管理日期（{start}）",
                )
            write_local_change(connection, shapes.left_episode(before, reason, on, note), "update")
            why = f"left the programme: {reason.value}"
            for task in _open_tasks(connection, [enrolment_id]):
                write_local_change(connection, shapes.cancelled_task(task, why, moment), "update")

    def enrolments(self, patient_id: str) -> list[Enrolment]:
        """The patient's enrolments, active and left: active first, then the latest started."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT resource_json FROM episode_of_care WHERE patient_id = :p"),
                {"p": patient_id},
            ).all()
        read = (enrolment_of(json.loads(row[0])) for row in rows)
        found = [e for e in read if e is not None]
        return sorted(found, key=lambda e: (not e.active, -e.start.toordinal(), e.id))

    def enrolment(self, enrolment_id: str) -> Enrolment | None:
        """One enrolment, None when not cached."""
        with self.engine.connect() as connection:
            resource = read_resource(connection, "EpisodeOfCare", enrolment_id)
        return enrolment_of(resource) if resource is not None else None

    def enrollable(
        self,
        patient_id: str,
        *,
        today: date | None = None,
        min_age: int | None = PROGRAMME_MIN_AGE,
    ) -> list[Programme]:
        """Programmes the chart's active diagnoses call for and the patient is not enrolled in.

        A patient younger than `min_age` (when the birth date is known) gets no suggestion:
        the 规范 manages residents of 35 or over. Enrolment by hand stays possible.
        """
        with self.engine.connect() as connection:
            diagnosed = _diagnoses(connection, patient_id)
            born = connection.execute(
                text("SELECT birth_date FROM patient WHERE id = :p"), {"p": patient_id}
            ).scalar_one_or_none()
            enrolled = {
                str(row[0])
                for row in connection.execute(
                    text(
                        "SELECT programme FROM episode_of_care"
                        " WHERE patient_id = :p AND status = 'active'"
                    ),
                    {"p": patient_id},
                )
            }
        age = _age(born, today or date.today())
        if min_age is not None and age is not None and age < min_age:
            return []
        return [p for p in Programme if diagnosed.get(p) and p.value not in enrolled]

    # ----- the 随访 ------------------------------------------------------------------------------

    def record_visit(
        self,
        patient_id: str,
        programmes: Sequence[Programme],
        mode: VisitMode,
        when: datetime,
        values: FollowUpValues,
        classification: Classification,
        clinician_id: str | None,
        note: str = "",
        *,
        height_for_bmi: float | None = None,
    ) -> FollowUpVisit:
        """Record one 随访 covering `programmes`, in one transaction.

        Writes the Encounter, the vital-sign Observations, the QuestionnaireResponse and per
        programme the next visit's Task (the open one it replaces is completed), each with
        its outbox entry. `height_for_bmi` (an adult's last height) derives BMI from a weight.
        """
        chosen = list(dict.fromkeys(Programme(p) for p in programmes))
        mode = VisitMode(mode)
        if not chosen:
            raise RegistryError("choose the programme of this follow-up", "请选择随访的管理项目")
        if when.tzinfo is None:
            when = when.astimezone()
        if classification.next_due < when.date():
            raise RegistryError("the next follow-up date has passed", "下次随访日期已过")
        _check_values(values)
        clinician = clinician_id or self.practitioner_id
        with self.engine.begin() as connection:
            if read_resource(connection, "Patient", patient_id) is None:
                raise RegistryError("this patient is not in the cache", "缓存中没有该患者")
            episodes: list[tuple[Programme, str]] = []
            for programme in chosen:
                active = _active_episode(connection, patient_id, programme)
                if active is None:
                    english, chinese = PROGRAMME_NAMES[programme]
                    raise RegistryError(
                        f"the patient is not enrolled in the {english} programme",
                        f"该患者未纳入{chinese}患者健康管理",
                    )
                episodes.append((programme, str(active["id"])))
            episode_ids = [ident for _, ident in episodes]
            encounter = shapes.visit_encounter(
                self.new_id(), patient_id, episode_ids, mode, when, self.clinic.id, clinician
            )
            encounter_id = str(encounter["id"])
            height = height_for_bmi if values.height_cm is None else None
            observations = shapes.visit_observations(
                [self.new_id() for _ in range(7)],
                patient_id,
                encounter_id,
                values,
                when,
                clinician,
                height,
            )
            answers = shapes.questionnaire_response(
                self.new_id(),
                patient_id,
                encounter_id,
                values,
                classification,
                when,
                clinician,
                note,
            )
            write_local_change(connection, encounter, "create")
            for observation in observations:
                write_local_change(connection, observation, "create")
            write_local_change(connection, answers, "create")
            for task in _open_tasks(connection, episode_ids):
                done = shapes.done_task(task, encounter_id, when)
                write_local_change(connection, done, "update")
            for programme, episode_id in episodes:
                task = shapes.next_visit_task(
                    self.new_id(),
                    patient_id,
                    episode_id,
                    programme,
                    encounter_id,
                    classification.next_due,
                    self.clinic.id,
                    when,
                )
                write_local_change(connection, task, "create")
        return FollowUpVisit(
            id=encounter_id,
            patient_id=patient_id,
            programmes=tuple(chosen),
            mode=mode,
            when=when,
            values=values,
            control=classification.control,
            next_due=classification.next_due,
            clinician_id=clinician,
            note=note.strip(),
        )

    def visits(
        self, patient_id: str, programme: Programme | None = None, limit: int | None = None
    ) -> list[FollowUpVisit]:
        """The patient's recorded 随访, newest first (of one programme when given)."""
        with self.engine.connect() as connection:
            found = read_visits(connection, patient_id)
        if programme is not None:
            found = [v for v in found if Programme(programme) in v.programmes]
        return found[:limit] if limit is not None else found

    # ----- the follow-up list ------------------------------------------------------------------

    def due_list(
        self,
        today: date,
        *,
        programme: Programme | None = None,
        clinician_id: str | None = None,
        address: str | None = None,
        horizon_days: int = 7,
    ) -> list[DueItem]:
        """Enrolled patients due within `horizon_days`, overdue, or not seen this year.

        Most overdue first (a programme with no next date planned counts from its enrolment).
        `address` keeps the patients whose home address contains it (a village's name).
        """
        with self.engine.connect() as connection:
            return due_items(
                connection,
                self.clinic.id or None,
                today,
                horizon=today + timedelta(days=horizon_days),
                programme=Programme(programme).value if programme is not None else None,
                clinician_id=clinician_id,
                address=address.strip() if address and address.strip() else None,
            )


def _check_values(values: FollowUpValues) -> None:
    if (values.systolic is None) != (values.diastolic is None):
        raise RegistryError(
            "enter both blood pressure values (systolic and diastolic)", "请填写收缩压和舒张压"
        )
    if (
        values.systolic is not None
        and values.diastolic is not None
        and values.diastolic >= values.systolic
    ):
        raise RegistryError(
            "the diastolic pressure must be below the systolic", "舒张压应低于收缩压"
        )
    for key, value in (
        ("systolic", values.systolic),
        ("diastolic", values.diastolic),
        ("heart_rate", values.heart_rate),
        ("weight", values.weight_kg),
        ("height", values.height_cm),
    ):
        field = FIELDS_BY_KEY[key]
        if value is not None and not field.low <= value <= field.high:
            from clinic_tui.i18n import in_chinese

            # The Chinese message names the measure and its unit in Chinese ('心率', '次/分').
            label_zh, unit_zh = in_chinese(field.label), in_chinese(field.unit)
            raise RegistryError(
                f"{field.label} {value:g} is outside {field.low:g}-{field.high:g} {field.unit}",
                f"{label_zh} {value:g} 超出 {field.low:g}-{field.high:g} {unit_zh}",
            )
    low, high = GLUCOSE_LIMITS
    glucose = values.fasting_glucose
    if glucose is not None and not low <= glucose <= high:
        raise RegistryError(
            f"fasting glucose {glucose:g} is outside {low:g}-{high:g} mmol/L",
            f"空腹血糖 {glucose:g} 超出 {low:g}-{high:g} mmol/L",
        )


def _active_episode(connection: Connection, patient_id: str, programme: Programme) -> Any:
    return (
        connection.execute(
            text(
                "SELECT id, period_start FROM episode_of_care WHERE patient_id = :p"
                " AND programme = :programme AND status = 'active'"
                " ORDER BY period_start DESC, id LIMIT 1"
            ),
            {"p": patient_id, "programme": programme.value},
        )
        .mappings()
        .first()
    )


def _diagnoses(connection: Connection, patient_id: str) -> dict[Programme, list[str]]:
    """Active Condition ids of the patient per programme their ICD-10 code calls for."""
    rows = connection.execute(
        text(
            "SELECT id, code, resource_json FROM condition WHERE patient_id = :p"
            " AND code IS NOT NULL AND clinical_status IN ('active', 'recurrence', 'relapse')"
            " ORDER BY onset DESC, id"
        ),
        {"p": patient_id},
    ).all()
    found: dict[Programme, list[str]] = {}
    for row in rows:
        verification = concept_code(json.loads(row.resource_json).get("verificationStatus"))
        if verification in _NOT_A_DIAGNOSIS:
            continue
        code = str(row.code).upper()
        for programme, prefixes in DIAGNOSIS_PREFIXES.items():
            if code.startswith(prefixes):
                found.setdefault(programme, []).append(str(row.id))
    return found


def _open_tasks(connection: Connection, episode_ids: Iterable[str]) -> list[Resource]:
    """The open next-visit Tasks of these enrolments."""
    found: list[Resource] = []
    statuses = ", ".join(f"'{s}'" for s in OPEN_TASK_STATUSES)
    for episode_id in episode_ids:
        rows = connection.execute(
            text(
                "SELECT resource_json FROM task WHERE kind = :kind AND focus_id = :episode"
                f" AND status IN ({statuses}) ORDER BY due_date, id"
            ),
            {"kind": shapes.TASK_KIND, "episode": episode_id},
        ).all()
        for row in rows:
            task = json.loads(row[0])
            if reference_id(task.get("focus"), "EpisodeOfCare") == episode_id:
                found.append(task)
    return found


def _age(born: Any, today: date) -> int | None:
    try:
        birth = date.fromisoformat(str(born)[:10]) if born and len(str(born)) >= 10 else None
    except ValueError:
        return None
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


__all__ = [
    "DIAGNOSIS_PREFIXES",
    "PROGRAMME_MIN_AGE",
    "ChronicRegistry",
    "RegistryError",
]
