"""The follow-up screens' shared words: programmes, controls, modes, reasons, due states."""

from __future__ import annotations

from datetime import date

from clinic_tui.followup.model import Control, DueItem, LeaveReason, Programme, VisitMode
from clinic_tui.i18n import N_, NC_, pgettext, tr

_PROGRAMME = {Programme.HYPERTENSION: N_("Hypertension"), Programme.DIABETES: N_("Type 2 diabetes")}
_PROGRAMME_SHORT = {Programme.HYPERTENSION: N_("HTN"), Programme.DIABETES: N_("T2DM")}
_CONTROL = {
    Control.SATISFACTORY: N_("Satisfactory"),
    Control.UNSATISFACTORY: N_("Unsatisfactory"),
    Control.ADVERSE_REACTION: N_("Adverse reaction"),
    Control.COMPLICATION: N_("Complication"),
}
_CONTROL_SHORT = {
    Control.SATISFACTORY: NC_("control", "good"),
    Control.UNSATISFACTORY: NC_("control", "poor"),
    Control.ADVERSE_REACTION: NC_("control", "ADR"),
    Control.COMPLICATION: NC_("control", "compl."),
}
"""The same classes in a word or two, for the follow-up list at 80 columns."""
_MODE = {
    VisitMode.CLINIC: N_("In the clinic"),
    VisitMode.HOME: N_("At home"),
    VisitMode.PHONE: N_("By phone"),
}
_LEAVE = {
    LeaveReason.MOVED: N_("Moved"),
    LeaveReason.DIED: N_("Died"),
    LeaveReason.DECLINED: N_("Declined follow-up"),
    LeaveReason.OTHER: N_("Other"),
}


def programme_word(programme: Programme, *, short: bool = False) -> str:
    """The programme in the clinician's words ('Hypertension', '高血压')."""
    return tr((_PROGRAMME_SHORT if short else _PROGRAMME)[programme])


def control_word(control: Control | None, *, short: bool = False) -> str:
    """The 规范's classification in words ('' when there is none yet); `short`: 'poor', '不满意'."""
    if control is None:
        return ""
    return pgettext("control", _CONTROL_SHORT[control]) if short else tr(_CONTROL[control])


def mode_word(mode: VisitMode) -> str:
    """Clinic / home / phone in words."""
    return tr(_MODE[mode])


def leave_word(reason: LeaveReason) -> str:
    """Why a patient left, in words."""
    return tr(_LEAVE[reason])


def due_words(item: DueItem, today: date) -> str:
    """How due a row is: '! overdue 23 d', 'due in 3 d', '! not seen in 2026' (a text marker,
    not colour alone, says which rows need a visit first)."""
    if item.due is not None and item.due < today:
        return tr("! overdue {days} d").format(days=(today - item.due).days)
    if item.visits_this_year == 0 and (item.due is None or item.due > today):
        return tr("! not seen in {year}").format(year=today.year)
    if item.due is None:
        return tr("no date planned")
    if item.due == today:
        return tr("due today")
    return tr("due in {days} d").format(days=(item.due - today).days)
