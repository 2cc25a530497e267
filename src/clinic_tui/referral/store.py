"""Referrals in the cache: every action a local write with its outbox entry, and the lists.

Each action reads the Task as cached, asks workflow.next_status whether the action is
allowed, builds the new JSON with fhir_shapes (starting from the cached JSON, so nothing
is dropped) and writes it with store.write_local_change, in one SQLite transaction: it
works offline and the next sync uploads it. Whoever acts must be the party the action
belongs to (the hospital that owns the Task triages it; the township that sent it cancels).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from clinic_tui.domain.diagnosis_search import ICD10_SYSTEM
from clinic_tui.domain.fhir import (
    Resource,
    concept_code,
    concept_text,
    human_name,
    reference_id,
)
from clinic_tui.domain.models import Clinic
from clinic_tui.domain.referral_workflow import (
    OPEN_STATUSES,
    ReferralAction,
    ReferralStatus,
    next_status,
)
from clinic_tui.errors import BilingualError
from clinic_tui.offline_cache.store import read_resource, write_local_change
from clinic_tui.referral import fhir_shapes as shapes
from clinic_tui.referral.follow_up_read import FOLLOW_UPS_DUE_SQL, follow_up_from_row
from clinic_tui.referral.model import (
    Coded,
    FollowUpItem,
    FollowUpPlan,
    ReferFormData,
    ReferralDetail,
    ReferralDraft,
    ReferralItem,
    ThreadMessage,
)
from clinic_tui.referral.thread_seen import SAVE_SQL, SEEN_KEY, incoming_sql, seen_sql, unread


class ReferralError(BilingualError):
    """A referral action the cache refuses; the message is in English and Chinese."""


def _new_id() -> str:
    # Client-assigned UUIDs: the upload PUTs them, so a retried create never duplicates.
    return str(uuid.uuid4())


_OWNER_ACTIONS = frozenset(
    {
        ReferralAction.RECEIVE,
        ReferralAction.ACCEPT,
        ReferralAction.DECLINE,
        ReferralAction.FORWARD,
        ReferralAction.START,
        ReferralAction.COMPLETE,
    }
)
"""Actions of the hospital the Task waits at (its owner)."""

OPEN_FOLLOW_UP = ("requested", "received", "accepted", "in-progress")
"""Task states of a follow-up not yet done."""

_ITEM_SQL = """
SELECT t.id AS task_id, t.focus_id AS request_id, t.patient_id, t.status, t.priority,
       t.owner_org, t.requester_org, t.authored_on, t.last_modified, t.business_status,
       t.appointment, t.department_org AS task_department, t.pending AS task_pending,
       t.resource_json AS task_json,
       s.category, s.reason, s.department_org AS request_department,
       s.pending AS request_pending,
       COALESCE(p.name, json_extract(t.resource_json, '$.for.display')) AS patient_name,
       ro.name AS requester_name, oo.name AS owner_name,
       (SELECT count(*) FROM communication c WHERE c.task_id = t.id) AS messages,
       INCOMING AS incoming, SEEN AS seen
FROM task t
LEFT JOIN service_request s ON s.id = t.focus_id
LEFT JOIN patient p ON p.id = t.patient_id
LEFT JOIN organization ro ON ro.id = t.requester_org
LEFT JOIN organization oo ON oo.id = t.owner_org
WHERE (t.kind = 'referral' OR (t.kind IS NULL AND s.id IS NOT NULL))
""".replace("INCOMING", incoming_sql("t.id", "COALESCE(c.sender_org, '') = :clinic")).replace(
    "SEEN", seen_sql("t.id")
)


class ReferralStore:
    """One clinic's referrals: the actions (each a local write that syncs) and what lists show."""

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
        """The signed-in doctor, named on what they write (None when not configured)."""
        self.new_id = new_id

    # ----- the township's actions ---------------------------------------------------------

    def refer(self, patient_id: str, draft: ReferralDraft, now: datetime) -> str:
        """Send a referral: a ServiceRequest and its Task (requested); returns the Task id."""
        if draft.category not in shapes.CATEGORIES:
            raise ReferralError(
                f"unknown referral category {draft.category!r}",
                f"未知的转诊类别 {draft.category!r}",
            )
        if draft.priority not in shapes.PRIORITIES:
            raise ReferralError(
                f"unknown urgency {draft.priority!r}", f"未知的紧急程度 {draft.priority!r}"
            )
        if draft.hospital_id == self.clinic.id:
            raise ReferralError("a clinic cannot refer to itself", "不能转诊给本机构")
        with self.engine.begin() as connection:
            patient = read_resource(connection, "Patient", patient_id)
            if patient is None:
                raise ReferralError("this patient is not in the cache", "缓存中没有该患者")
            hospital = read_resource(connection, "Organization", draft.hospital_id)
            if hospital is None:
                raise ReferralError(
                    "choose a hospital from the list (this one is not in the cache)",
                    "请从列表中选择医院（缓存中没有该医院）",
                )
            department = (
                read_resource(connection, "Organization", draft.department_id)
                if draft.department_id
                else None
            )
            if draft.department_id and department is None:
                raise ReferralError(
                    "choose a department from the list (this one is not in the cache)",
                    "请从列表中选择科室（缓存中没有该科室）",
                )
            request = shapes.service_request(
                self.new_id(),
                patient_id,
                draft,
                self.clinic.id,
                self.practitioner_id,
                now,
                requester_name=self.clinic.name,
                hospital_name=str(hospital.get("name") or ""),
                department_name=str((department or {}).get("name") or ""),
            )
            # The hospital's cache holds no Patient of another clinic: the name rides along.
            name = human_name(patient)[0]
            if name:
                request["subject"]["display"] = name
            task = shapes.referral_task(self.new_id(), request, self.practitioner_id, now)
            write_local_change(connection, request, "create")
            write_local_change(connection, task, "create")
        return str(task["id"])

    def cancel(self, task_id: str, reason: str, now: datetime) -> None:
        """Withdraw a referral this clinic sent (status cancelled, the reason as statusReason)."""

        def change(task: Resource, _: Connection) -> None:
            if reason.strip():
                task["statusReason"] = {"text": reason.strip()}

        self._move(task_id, ReferralAction.CANCEL, now, change)

    # ----- the hospital's actions ---------------------------------------------------------

    def receive(self, task_id: str, now: datetime) -> None:
        """The hospital has seen the referral (status received)."""
        self._move(task_id, ReferralAction.RECEIVE, now)

    def receive_arrived(self, now: datetime) -> int:
        """Mark every referral that has reached this clinic's cache as received; how many.

        Called after a sync round's download: the sending clinic then sees "received" once
        the upload carries it, instead of "requested" after the hospital has already asked a
        question. Only Tasks this clinic owns that came from the server (no local change
        waiting) move: a referral this clinic forwarded to one of its own departments is
        not received by the same sync that sends it.
        """
        with self.engine.connect() as connection:
            task_ids = [
                str(row[0])
                for row in connection.execute(
                    text(
                        "SELECT id FROM task WHERE status = 'requested' AND owner_org = :clinic "
                        "AND (kind = 'referral' OR kind IS NULL) AND NOT pending"
                    ),
                    {"clinic": self.clinic.id},
                )
            ]
        received = 0
        for task_id in task_ids:
            try:
                self.receive(task_id, now)
            except ReferralError:
                continue  # changed since the list was read (a person acted on it): leave it
            received += 1
        return received

    def accept(
        self,
        task_id: str,
        now: datetime,
        appointment: date | None = None,
        teleconsultation: bool = False,
    ) -> None:
        """Accept, with an appointment date or as a teleconsultation (status accepted)."""
        if appointment is not None and appointment < now.date():
            raise ReferralError("the appointment date has passed", "预约日期已过")
        self._move(
            task_id,
            ReferralAction.ACCEPT,
            now,
            lambda task, _: shapes.accepted_task(task, appointment, teleconsultation),
        )

    def decline(self, task_id: str, reason_code: str, text_: str, now: datetime) -> None:
        """Decline with a coded reason (fhir_shapes.DECLINE_REASONS) and the doctor's words."""
        if reason_code not in shapes.DECLINE_REASONS:
            raise ReferralError("choose a reason for declining", "请选择拒绝原因")
        self._move(
            task_id,
            ReferralAction.DECLINE,
            now,
            lambda task, _: shapes.declined_task(task, reason_code, text_),
        )

    def forward(
        self, task_id: str, organization_id: str, specialty: Coded | None, now: datetime
    ) -> None:
        """Send on to another department (an Organization partOf a hospital) or hospital.

        The Task waits there as requested again; a department's hospital becomes the owner.
        """

        def change(task: Resource, connection: Connection) -> None:
            target = read_resource(connection, "Organization", organization_id)
            if target is None:
                raise ReferralError(
                    "choose a department or hospital from the list",
                    "请从列表中选择科室或医院",
                )
            parent = reference_id(target.get("partOf"), "Organization")
            is_department = _is_department(target) and parent is not None
            hospital_id = parent if is_department and parent else organization_id
            hospital = read_resource(connection, "Organization", hospital_id) or {}
            shapes.forwarded_task(
                task,
                hospital_id,
                organization_id if is_department else None,
                specialty if specialty is not None else _department_specialty(target),
                hospital_name=str(hospital.get("name") or ""),
                department_name=str(target.get("name") or "") if is_department else "",
            )

        self._move(task_id, ReferralAction.FORWARD, now, change)

    def start(self, task_id: str, now: datetime) -> None:
        """The patient is being seen (status in-progress)."""

        def change(task: Resource, _: Connection) -> None:
            period = dict(task.get("executionPeriod") or {})
            period.setdefault("start", now.isoformat(timespec="seconds"))
            task["executionPeriod"] = period

        self._move(task_id, ReferralAction.START, now, change)

    def complete(
        self,
        task_id: str,
        advice: str,
        now: datetime,
        follow_up: FollowUpPlan | None = None,
    ) -> str | None:
        """Complete with advice and, for a downward referral, a follow-up the township owns.

        Returns the follow-up Task's id (None without one).
        """
        if not advice.strip():
            raise ReferralError("write the advice for the township", "请填写给基层的诊疗意见")
        if follow_up is not None and not follow_up.plan.strip():
            raise ReferralError("write the follow-up plan", "请填写随访计划")
        if follow_up is not None and follow_up.due < now.date():
            raise ReferralError("the follow-up date has passed", "随访日期已过")
        made: list[str] = []

        def change(task: Resource, connection: Connection) -> None:
            follow_up_id = None
            if follow_up is not None:
                follow_up_task = shapes.follow_up_task(
                    self.new_id(), task, follow_up, self.clinic.id, self.practitioner_id, now
                )
                write_local_change(connection, follow_up_task, "create")
                follow_up_id = str(follow_up_task["id"])
                made.append(follow_up_id)
            shapes.completed_task(task, advice.strip(), follow_up_id, now)

        self._move(task_id, ReferralAction.COMPLETE, now, change)
        return made[0] if made else None

    # ----- the conversation ---------------------------------------------------------------

    def ask(self, task_id: str, text_: str, now: datetime) -> str:
        """A question to the other side (Communication); returns its id."""
        return self._message(task_id, ReferralAction.ASK, "question", text_, now, None)

    def answer(
        self, task_id: str, text_: str, now: datetime, in_response_to: str | None = None
    ) -> str:
        """An answer (Communication inResponseTo the latest question from the other side)."""
        return self._message(task_id, ReferralAction.ANSWER, "answer", text_, now, in_response_to)

    def _message(
        self,
        task_id: str,
        action: ReferralAction,
        kind: str,
        text_: str,
        now: datetime,
        in_response_to: str | None,
    ) -> str:
        if not text_.strip():
            raise ReferralError("write the message first", "请先填写内容")
        with self.engine.begin() as connection:
            task = self._task(connection, task_id)
            next_status(str(task.get("status")), action)
            owner = reference_id(task.get("owner"), "Organization")
            requester = reference_id(task.get("requester"), "Organization")
            if self.clinic.id not in (owner, requester):
                raise ReferralError(
                    "only the two clinics of a referral can write in its thread",
                    "只有转诊双方可以在此留言",
                )
            other = requester if self.clinic.id == owner else owner
            if kind == "answer" and in_response_to is None:
                in_response_to = _last_question_from(connection, task_id, other)
            message = shapes.communication(
                self.new_id(),
                task,
                kind,
                text_.strip(),
                self.clinic.id,
                other or "",
                self.practitioner_id,
                now,
                in_response_to,
            )
            write_local_change(connection, message, "create")
        return str(message["id"])

    # ----- the township's follow-ups ------------------------------------------------------

    def follow_up_done(self, task_id: str, now: datetime) -> None:
        """The patient came back for the follow-up: its Task is completed."""
        with self.engine.begin() as connection:
            task = self._task(connection, task_id)
            if shapes.task_kind(task) != "follow-up":
                raise ReferralError("this is not a follow-up", "这不是随访任务")
            if task.get("status") not in OPEN_FOLLOW_UP:
                raise ReferralError("this follow-up is already closed", "该随访已结束")
            if reference_id(task.get("owner"), "Organization") != self.clinic.id:
                raise ReferralError(
                    "only the clinic the follow-up was sent to can close it",
                    "只有负责随访的机构可以结束随访",
                )
            after = shapes.moved_task(task, ReferralStatus.COMPLETED, now, self.practitioner_id)
            write_local_change(connection, after, "update")

    # ----- the one way every state change is written --------------------------------------

    def _move(
        self,
        task_id: str,
        action: ReferralAction,
        now: datetime,
        change: Callable[[Resource, Connection], Any] | None = None,
    ) -> Resource:
        with self.engine.begin() as connection:
            before = self._task(connection, task_id)
            status = next_status(str(before.get("status")), action)
            self._check_party(before, action)
            after = shapes.moved_task(before, status, now, self.practitioner_id)
            if change is not None:
                change(after, connection)
            write_local_change(connection, after, "update")
        return after

    def _check_party(self, task: Resource, action: ReferralAction) -> None:
        owner = reference_id(task.get("owner"), "Organization")
        requester = reference_id(task.get("requester"), "Organization")
        if action in _OWNER_ACTIONS and owner != self.clinic.id:
            raise ReferralError(
                "only the hospital the referral was sent to can do this",
                "只有接收转诊的医院可以执行此操作",
            )
        if action is ReferralAction.CANCEL and requester != self.clinic.id:
            raise ReferralError(
                "only the clinic that sent the referral can cancel it",
                "只有发起转诊的机构可以撤销",
            )

    @staticmethod
    def _task(connection: Connection, task_id: str) -> Resource:
        task = read_resource(connection, "Task", task_id)
        if task is None:
            raise ReferralError("this referral is not in the cache", "缓存中没有该转诊")
        return task

    # ----- reading ------------------------------------------------------------------------

    def referrals_for_patient(self, patient_id: str) -> list[ReferralItem]:
        """The patient's referrals, newest first."""
        return self._items("AND t.patient_id = :patient", {"patient": patient_id})

    def referrals_of_clinic(
        self,
        direction: str = "all",
        statuses: tuple[str, ...] | None = None,
        limit: int | None = None,
    ) -> list[ReferralItem]:
        """Referrals this clinic sent ('sent'), was sent ('received') or both ('all')."""
        sides = {
            "sent": "t.requester_org = :clinic",
            "received": "t.owner_org = :clinic",
            "all": "(t.requester_org = :clinic OR t.owner_org = :clinic)",
        }
        if direction not in sides:
            raise ValueError(f"direction must be one of {sorted(sides)}")
        where = f"AND {sides[direction]}"
        params: dict[str, Any] = {"clinic": self.clinic.id}
        if statuses:
            names = [f":s{i}" for i in range(len(statuses))]
            where += f" AND t.status IN ({', '.join(names)})"
            params.update({f"s{i}": status for i, status in enumerate(statuses)})
        return self._items(where, params, limit)

    def item(self, task_id: str) -> ReferralItem | None:
        """One referral as lists show it, None when not cached."""
        found = self._items("AND t.id = :task", {"task": task_id})
        return found[0] if found else None

    def _items(
        self, where: str, params: dict[str, Any], limit: int | None = None
    ) -> list[ReferralItem]:
        sql = _ITEM_SQL + where + " ORDER BY t.authored_on DESC, t.id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self.engine.connect() as connection:
            found = connection.execute(text(sql), {**params, "clinic": self.clinic.id})
            rows = found.mappings().all()
            departments = _names(
                connection,
                {r["task_department"] or r["request_department"] for r in rows} - {None},
            )
        return [_item(row, departments) for row in rows]

    def detail(self, task_id: str) -> ReferralDetail | None:
        """The referral with its summary, specialty, advice, follow-up and thread."""
        item = self.item(task_id)
        if item is None:
            return None
        with self.engine.connect() as connection:
            task = read_resource(connection, "Task", task_id) or {}
            request = (
                read_resource(connection, "ServiceRequest", item.request_id)
                if item.request_id
                else None
            ) or {}
        notes = [n.get("text", "") for n in request.get("note") or [] if isinstance(n, dict)]
        specialty = task.get("performerType") or [request.get("performerType")]
        follow_up_id = shapes.follow_up_id_of(task)
        follow_up = self._follow_up(follow_up_id) if follow_up_id else None
        return ReferralDetail(
            item=item,
            summary="\n".join(str(n) for n in notes),
            specialty=_specialty_words(specialty[0] if specialty else None),
            advice=shapes.advice_of(task),
            follow_up=follow_up,
            thread=self.thread(task_id),
        )

    def mark_thread_seen(self, task_id: str) -> None:
        """The thread was opened here: its messages so far are no longer new."""
        ours = "COALESCE(c.sender_org, '') = :clinic"
        with self.engine.begin() as connection:
            count = connection.execute(
                text(f"SELECT {incoming_sql(':task', ours)}"),
                {"task": task_id, "clinic": self.clinic.id},
            ).scalar_one()
            connection.execute(text(SAVE_SQL), {"key": SEEN_KEY + task_id, "value": str(count)})

    def thread(self, task_id: str) -> list[ThreadMessage]:
        """The referral's messages, oldest first."""
        sql = """
        SELECT c.id, c.sent, c.sender_org, c.kind, c.in_response_to, c.pending, c.resource_json,
               o.name AS org_name
        FROM communication c LEFT JOIN organization o ON o.id = c.sender_org
        WHERE c.task_id = :task ORDER BY c.sent, c.in_response_to IS NOT NULL, c.id
        """
        # `sent` is stamped to the second: an answer written in the question's second must
        # still follow it (ordering by the random id alone flipped them now and then).
        with self.engine.connect() as connection:
            rows = connection.execute(text(sql), {"task": task_id}).mappings().all()
            authors = {
                row["id"]: shapes.extension_reference(
                    json.loads(row["resource_json"]), shapes.PRACTITIONER_EXTENSION, "Practitioner"
                )
                for row in rows
            }
            names = _names(connection, {a for a in authors.values() if a}, "practitioner")
        messages = []
        for row in rows:
            resource = json.loads(row["resource_json"])
            payload = [
                str(p.get("contentString") or "")
                for p in resource.get("payload") or []
                if isinstance(p, dict)
            ]
            author = names.get(authors[row["id"]] or "", "")
            org = str(row["org_name"] or "")
            messages.append(
                ThreadMessage(
                    id=row["id"],
                    sent=str(row["sent"] or ""),
                    sender_org=row["sender_org"],
                    sender_name=" · ".join(part for part in (author, org) if part),
                    kind=str(row["kind"] or "note"),
                    text="\n".join(payload),
                    in_response_to=row["in_response_to"],
                    pending=bool(row["pending"]),
                    from_here=row["sender_org"] == self.clinic.id,
                )
            )
        return messages

    def follow_ups_due(self, day: date) -> list[FollowUpItem]:
        """This clinic's follow-ups not yet done and due on or before `day`, earliest first."""
        params = {"clinic": self.clinic.id, "day": day.isoformat()}
        with self.engine.connect() as connection:
            rows = connection.execute(text(FOLLOW_UPS_DUE_SQL), params).mappings().all()
        return [follow_up_from_row(dict(row)) for row in rows]

    def follow_ups_for_patient(self, patient_id: str) -> list[FollowUpItem]:
        """Every follow-up of the patient (done or not), latest due first."""
        found = self._follow_ups("AND t.patient_id = :patient", {"patient": patient_id})
        return sorted(found, key=lambda f: f.due or "", reverse=True)

    def _follow_up(self, task_id: str) -> FollowUpItem | None:
        found = self._follow_ups("AND t.id = :task", {"task": task_id})
        return found[0] if found else None

    def _follow_ups(self, where: str, params: dict[str, Any]) -> list[FollowUpItem]:
        sql = (
            """
        SELECT t.id, t.patient_id, t.due_date, t.status, t.part_of, t.pending, t.resource_json,
               COALESCE(p.name, json_extract(t.resource_json, '$.for.display')) AS patient_name,
               o.name AS from_name
        FROM task t
        LEFT JOIN patient p ON p.id = t.patient_id
        LEFT JOIN organization o ON o.id = t.requester_org
        WHERE t.kind = 'follow-up' """
            + where
            + " ORDER BY t.due_date, t.id"
        )
        with self.engine.connect() as connection:
            found = connection.execute(text(sql), {**params, "clinic": self.clinic.id})
            rows = found.mappings().all()
        return [follow_up_from_row(dict(row)) for row in rows]

    # ----- what the refer form starts from -------------------------------------------------

    def form_data(self, patient_id: str, today: date) -> ReferFormData:
        """Hospitals, their departments, the chart's problems and the assembled summary."""
        from clinic_tui.offline_cache.chart_edits import ChartEditor
        from clinic_tui.offline_cache.chart_repository import ChartRepository
        from clinic_tui.referral.summary import assemble_summary

        chart = ChartRepository(self.engine).load(patient_id, today)
        if chart is None:
            raise ReferralError("this patient is not in the cache", "缓存中没有该患者")
        visit = ChartEditor(self.engine, self.clinic).current_visit(patient_id, today)
        summary = assemble_summary(chart, visit.note if visit else None, today)
        hospitals = self.hospitals()
        with self.engine.connect() as connection:
            problems = [
                Coded(ICD10_SYSTEM, str(row.code), str(row.display))
                for row in connection.execute(
                    text(
                        "SELECT code, display FROM condition WHERE patient_id = :p AND code IS NOT"
                        " NULL AND clinical_status IN ('active', 'recurrence', 'relapse')"
                        " ORDER BY onset DESC"
                    ),
                    {"p": patient_id},
                )
            ]
            supporting = _supporting(connection, patient_id, visit.note_id if visit else None)
        # One entry per code: a problem recorded at several visits is one reason.
        unique = list({problem.code: problem for problem in reversed(problems)}.values())[::-1]
        return ReferFormData(
            hospitals=hospitals,
            departments={ident: self.departments(ident) for ident, _ in hospitals},
            problems=unique,
            summary=summary,
            supporting=supporting,
            encounter_id=visit.encounter_id if visit else None,
            patient_name=chart.patient.name,
        )

    # ----- the organizations a referral can go to -----------------------------------------

    def hospitals(self) -> list[tuple[str, str]]:
        """(id, name) of the organizations this clinic can refer to, best first.

        Every organization but this clinic and the departments: the hospital this clinic
        belongs to (partOf: its county medical alliance) first, then county, then city.
        """
        sql = """
        SELECT id, name, kind FROM organization
        WHERE id != :clinic AND (kind IS NULL OR kind != 'dept')
        """
        with self.engine.connect() as connection:
            rows = connection.execute(text(sql), {"clinic": self.clinic.id}).all()
            parent = connection.execute(
                text("SELECT part_of FROM organization WHERE id = :clinic"),
                {"clinic": self.clinic.id},
            ).scalar_one_or_none()
        order = {"county": 1, "city": 2}
        ranked = sorted(rows, key=lambda r: (r.id != parent, order.get(r.kind or "", 3), r.name))
        return [(row.id, row.name) for row in ranked if row.kind != "township"]

    def departments(self, hospital_id: str) -> list[tuple[str, str, Coded | None]]:
        """(id, name, specialty) of the hospital's departments (Organizations partOf it)."""
        sql = "SELECT id, name, resource_json FROM organization WHERE part_of = :h ORDER BY name"
        with self.engine.connect() as connection:
            rows = connection.execute(text(sql), {"h": hospital_id}).all()
        found = []
        for row in rows:
            resource = json.loads(row.resource_json)
            if _is_department(resource):
                found.append((row.id, row.name, _department_specialty(resource)))
        return found


_SUPPORTING_SQL = (
    # The records the summary names: active problems and allergies, active medicines, the
    # latest reading of each vital sign.
    "SELECT 'Condition/' || id FROM condition WHERE patient_id = :p"
    " AND clinical_status IN ('active', 'recurrence', 'relapse')",
    "SELECT 'AllergyIntolerance/' || id FROM allergy_intolerance WHERE patient_id = :p"
    " AND clinical_status = 'active'",
    "SELECT 'MedicationRequest/' || id FROM medication_request WHERE patient_id = :p"
    " AND status = 'active'",
    "SELECT 'Observation/' || o.id FROM observation o WHERE o.patient_id = :p"
    " AND o.category = 'vital-signs' AND o.effective = (SELECT max(effective) FROM observation"
    " WHERE patient_id = :p AND code = o.code)",
)


def _supporting(connection: Connection, patient_id: str, note_id: str | None) -> tuple[str, ...]:
    found: list[str] = []
    for sql in _SUPPORTING_SQL:
        found.extend(str(ref) for (ref,) in connection.execute(text(sql), {"p": patient_id}))
    if note_id:
        found.append(f"DocumentReference/{note_id}")
    return tuple(found)


def _is_department(organization: Resource) -> bool:
    return any(
        concept_code(concept, shapes.ORGANIZATION_TYPE_SYSTEM) == "dept"
        and any(
            c.get("system") == shapes.ORGANIZATION_TYPE_SYSTEM
            for c in concept.get("coding") or []
            if isinstance(c, dict)
        )
        for concept in organization.get("type") or []
        if isinstance(concept, dict)
    )


def _department_specialty(organization: Resource) -> Coded | None:
    for concept in organization.get("type") or []:
        if not isinstance(concept, dict):
            continue
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and coding.get("system") == shapes.SNOMED:
                return Coded(
                    shapes.SNOMED, str(coding.get("code")), str(coding.get("display") or "")
                )
    return None


def _specialty_words(concept: Any) -> str:
    from clinic_tui.i18n import tr

    code = concept_code(concept, "snomed")
    known = shapes.specialty_by_code(code) if code else None
    if known is not None:
        return tr(known.display)
    return concept_text(concept) or ""


def _last_question_from(connection: Connection, task_id: str, sender: str | None) -> str | None:
    found = connection.execute(
        text(
            "SELECT id FROM communication WHERE task_id = :task AND kind = 'question' "
            "AND sender_org IS :sender ORDER BY sent DESC, id DESC LIMIT 1"
        ),
        {"task": task_id, "sender": sender},
    ).scalar_one_or_none()
    return str(found) if found else None


def _names(connection: Connection, ids: set[str], table: str = "organization") -> dict[str, str]:
    if not ids:
        return {}
    keys = sorted(ids)
    names = ", ".join(f":i{n}" for n in range(len(keys)))
    rows = connection.execute(
        text(f"SELECT id, name FROM {table} WHERE id IN ({names})"),
        {f"i{n}": key for n, key in enumerate(keys)},
    ).all()
    return {row.id: row.name for row in rows}


def _item(row: Any, departments: dict[str, str]) -> ReferralItem:
    task = json.loads(row["task_json"])
    department = row["task_department"] or row["request_department"]
    status = str(row["status"])
    return ReferralItem(
        task_id=row["task_id"],
        request_id=row["request_id"],
        patient_id=row["patient_id"],
        patient_name=str(row["patient_name"] or ""),
        status=status,
        category=str(row["category"] or "referral"),
        priority=str(row["priority"] or "routine"),
        reason=str(row["reason"] or task.get("description") or ""),
        requester_org=row["requester_org"],
        requester_name=str(row["requester_name"] or ""),
        owner_org=row["owner_org"],
        owner_name=str(row["owner_name"] or ""),
        department_name=departments.get(department or "", ""),
        authored_on=row["authored_on"],
        last_modified=row["last_modified"],
        business_status=shapes.business_status_words(task),
        status_reason=shapes.decline_reason_words(task)
        if status == ReferralStatus.REJECTED
        else str((task.get("statusReason") or {}).get("text") or ""),
        appointment=row["appointment"],
        pending=bool(row["task_pending"] or row["request_pending"]),
        follow_up_id=shapes.follow_up_id_of(task),
        messages=int(row["messages"] or 0),
        unread=unread(row["incoming"], row["seen"]),
    )


__all__ = ["OPEN_FOLLOW_UP", "OPEN_STATUSES", "ReferralError", "ReferralStore"]
