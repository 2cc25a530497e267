"""The referral's plain types: what a form hands the store and what the store hands a screen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Coded:
    """A code with its system and the words shown for it."""

    system: str
    code: str
    display: str = ""


@dataclass(frozen=True)
class ReferralDraft:
    """What the township doctor fills in on the refer form."""

    hospital_id: str
    """The target Organization (county or city hospital): Task.owner, ServiceRequest.performer."""
    category: str = "referral"
    """'referral' (转诊) or 'consultation' (远程会诊)."""
    priority: str = "routine"
    """FHIR request-priority: routine, urgent, asap or stat."""
    department_id: str | None = None
    """A department: an Organization partOf the hospital (type dept), when one was chosen."""
    specialty: Coded | None = None
    """The specialty asked for (SNOMED CT practice setting), when known."""
    reason: Coded | None = None
    """The ICD-10 diagnosis the patient is referred for."""
    reason_text: str = ""
    """The reason in words (the diagnosis title, or free text when none is coded)."""
    summary: str = ""
    """The clinical summary as the doctor left it (assembled from the chart, then edited)."""
    supporting: tuple[str, ...] = ()
    """'Type/id' of the chart records sent with it (problems, allergies, medicines, vitals)."""
    encounter_id: str | None = None
    """The visit the referral was written in."""


@dataclass(frozen=True)
class FollowUpPlan:
    """The plan a downward referral sends back: what the township does, and by when."""

    due: date
    plan: str


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a referral's conversation (a Communication)."""

    id: str
    sent: str
    """When it was written (ISO instant)."""
    sender_org: str | None
    sender_name: str
    """The organization's name, and the practitioner's when known ('李卫东 · 县人民医院')."""
    kind: str
    """'question', 'answer' or 'note'."""
    text: str
    in_response_to: str | None = None
    pending: bool = False
    """True while not yet on the server."""
    from_here: bool = False
    """True when this clinic wrote it."""


@dataclass(frozen=True)
class ReferralItem:
    """One referral as a list shows it (the Task with what its ServiceRequest says)."""

    task_id: str
    request_id: str | None
    patient_id: str | None
    patient_name: str
    status: str
    """Task.status: a ReferralStatus code."""
    category: str
    priority: str
    reason: str
    requester_org: str | None
    requester_name: str
    owner_org: str | None
    owner_name: str
    department_name: str
    authored_on: str | None
    last_modified: str | None
    business_status: str = ""
    status_reason: str = ""
    appointment: str | None = None
    pending: bool = False
    follow_up_id: str | None = None
    messages: int = 0
    unread: int = 0
    """Messages from the other side that arrived since the thread was last opened here."""


@dataclass(frozen=True)
class FollowUpItem:
    """A follow-up the hospital asked the township to do (a Task it owns), with its due date."""

    task_id: str
    patient_id: str | None
    patient_name: str
    due: str | None
    plan: str
    status: str
    referral_task_id: str | None
    from_name: str
    pending: bool = False


@dataclass(frozen=True)
class ReferralDetail:
    """Everything a screen shows of one referral: the list item, the summary and the thread."""

    item: ReferralItem
    summary: str
    specialty: str
    advice: str = ""
    follow_up: FollowUpItem | None = None
    thread: list[ThreadMessage] = field(default_factory=list)


@dataclass(frozen=True)
class ReferFormData:
    """What the refer form starts from: where to, why, and the summary from the chart."""

    hospitals: list[tuple[str, str]]
    """(Organization id, name), county and city hospitals first."""
    departments: dict[str, list[tuple[str, str, Coded | None]]]
    """Hospital id -> its departments (id, name, specialty)."""
    problems: list[Coded]
    """The chart's active ICD-10 problems: the reasons offered first."""
    summary: str
    supporting: tuple[str, ...]
    encounter_id: str | None = None
    patient_name: str = ""
