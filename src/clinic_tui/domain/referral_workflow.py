"""The referral's workflow: FHIR Task.status codes, the actions that move them, and the rules.

Pure: no SQL, no UI. `next_status` is the one place that says which action is allowed
in which state; the store calls it before every write, the screens before offering a key.
States are the FHIR R4 Task.status codes (http://hl7.org/fhir/R4/valueset-task-status.html)
that a referral passes through; actions are what a doctor does.
"""

from __future__ import annotations

from enum import StrEnum

from clinic_tui.i18n import N_, language, tr


class ReferralStatus(StrEnum):
    """Task.status codes a referral passes through (FHIR R4 task-status)."""

    REQUESTED = "requested"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ReferralAction(StrEnum):
    """What a doctor does to a referral: one key each on the screens."""

    RECEIVE = "receive"
    ACCEPT = "accept"
    DECLINE = "decline"
    ASK = "ask"
    ANSWER = "answer"
    FORWARD = "forward"
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"


S = ReferralStatus
A = ReferralAction

OPEN_STATUSES = frozenset({S.REQUESTED, S.RECEIVED, S.ACCEPTED, S.IN_PROGRESS})
"""States in which the referral is still being worked on (a thread may go on)."""

CLOSED_STATUSES = frozenset({S.REJECTED, S.COMPLETED, S.CANCELLED})
"""Final states: nothing moves a referral out of them."""

_MOVES: dict[ReferralAction, dict[ReferralStatus, ReferralStatus | None]] = {
    # The hospital opens a referral the township sent.
    A.RECEIVE: {S.REQUESTED: S.RECEIVED},
    # Triage: accept (with an appointment or as a teleconsultation) or decline with a reason.
    A.ACCEPT: {S.REQUESTED: S.ACCEPTED, S.RECEIVED: S.ACCEPTED},
    A.DECLINE: {S.REQUESTED: S.REJECTED, S.RECEIVED: S.REJECTED},
    # Questions and answers are Communications: the Task's state does not change (None).
    A.ASK: dict.fromkeys(OPEN_STATUSES),
    A.ANSWER: dict.fromkeys(OPEN_STATUSES),
    # Forwarded to another department or hospital: it waits there to be received again.
    A.FORWARD: {S.REQUESTED: S.REQUESTED, S.RECEIVED: S.REQUESTED},
    A.START: {S.ACCEPTED: S.IN_PROGRESS},
    A.COMPLETE: {S.ACCEPTED: S.COMPLETED, S.IN_PROGRESS: S.COMPLETED},
    # The township withdraws it, until the patient is being seen.
    A.CANCEL: {S.REQUESTED: S.CANCELLED, S.RECEIVED: S.CANCELLED, S.ACCEPTED: S.CANCELLED},
}

STATUS_WORDS: dict[ReferralStatus, tuple[str, str]] = {
    S.REQUESTED: (N_("Requested"), "已申请"),
    S.RECEIVED: (N_("Received"), "已接收"),
    S.ACCEPTED: (N_("Accepted"), "已接受"),
    S.REJECTED: (N_("Declined"), "已拒绝"),
    S.IN_PROGRESS: (N_("In progress"), "进行中"),
    S.COMPLETED: (N_("Completed"), "已完成"),
    S.CANCELLED: (N_("Cancelled"), "已撤销"),
}
"""The words a clinician reads for each state (shared/GLOSSARY.md, Referral)."""

# What a refused action would have been, as the message's subject ("cannot be accepted").
_ACTION_PASSIVE: dict[ReferralAction, tuple[str, str]] = {
    A.RECEIVE: ("received", "接收"),
    A.ACCEPT: ("accepted", "接受"),
    A.DECLINE: ("declined", "拒绝"),
    A.ASK: ("asked about", "提问"),
    A.ANSWER: ("answered", "回复"),
    A.FORWARD: ("forwarded", "转给其他科室"),
    A.START: ("started", "开始诊治"),
    A.COMPLETE: ("completed", "完成"),
    A.CANCEL: ("cancelled", "撤销"),
}
_STATUS_ADJECTIVE: dict[ReferralStatus, tuple[str, str]] = {
    S.REQUESTED: ("a referral not yet received", "尚未接收的转诊"),
    S.RECEIVED: ("a received referral", "已接收的转诊"),
    S.ACCEPTED: ("an accepted referral", "已接受的转诊"),
    S.REJECTED: ("a declined referral", "已拒绝的转诊"),
    S.IN_PROGRESS: ("a referral in progress", "进行中的转诊"),
    S.COMPLETED: ("a completed referral", "已完成的转诊"),
    S.CANCELLED: ("a cancelled referral", "已撤销的转诊"),
}


class IllegalTransition(ValueError):  # noqa: N818 (the name the brief and callers use)
    """An action the referral's state does not allow; the message says so in English and Chinese."""

    def __init__(self, current: ReferralStatus, action: ReferralAction) -> None:
        self.current = current
        self.action = action
        subject_en, subject_zh = _STATUS_ADJECTIVE[current]
        verb_en, verb_zh = _ACTION_PASSIVE[action]
        self.english = f"{subject_en} cannot be {verb_en}"
        self.chinese = f"{subject_zh}不能{verb_zh}"
        super().__init__(f"{self.english}; {self.chinese}")

    def message(self) -> str:
        """The message in the language in force (for a screen's notice)."""
        return self.chinese if language() == "zh" else self.english


def next_status(current: ReferralStatus | str, action: ReferralAction | str) -> ReferralStatus:
    """The state after `action`; raises IllegalTransition when `current` does not allow it.

    An unknown status (a Task some other system wrote as 'draft' or 'on-hold') allows nothing.
    """
    act = ReferralAction(action)
    try:
        state = ReferralStatus(current)
    except ValueError:
        raise ValueError(
            f"a referral in state {current!r} cannot be changed here; "
            f"状态为 {current!r} 的转诊不能在此更改"
        ) from None
    moves = _MOVES[act]
    if state not in moves:
        raise IllegalTransition(state, act)
    after = moves[state]
    return state if after is None else after


def allowed_actions(current: ReferralStatus | str) -> list[ReferralAction]:
    """Actions `current` allows, in the order of ReferralAction (for screens offering keys)."""
    try:
        state = ReferralStatus(current)
    except ValueError:
        return []
    return [action for action in ReferralAction if state in _MOVES[action]]


def status_words(status: ReferralStatus | str) -> str:
    """The state in the clinician's words, in the language in force (unknown codes as they are)."""
    try:
        return tr(STATUS_WORDS[ReferralStatus(status)][0])
    except ValueError:
        return str(status)
