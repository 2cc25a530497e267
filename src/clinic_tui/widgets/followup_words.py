"""The follow-up screens' shared words: programmes, controls, modes, reasons, due states."""

from __future__ import annotations

from datetime import date

from clinic_tui.followup.model import Control, DueItem, LeaveReason, Programme, VisitMode
from clinic_tui.i18n import add_translations, tr

add_translations(
    {
        "Hypertension": "高血压",
        "Type 2 diabetes": "2型糖尿病",
        "HTN": "高血压",
        "T2DM": "糖尿病",
        "Satisfactory": "控制满意",
        "Unsatisfactory": "控制不满意",
        "Adverse reaction": "不良反应",
        "Complication": "并发症",
        "In the clinic": "门诊",
        "At home": "家庭",
        "By phone": "电话",
        "Moved": "迁出",
        "Died": "死亡",
        "Declined follow-up": "拒绝管理",
        "Other": "其他",
        "! overdue {days} d": "! 逾期 {days} 天",
        "due today": "今天到期",
        "due in {days} d": "{days} 天后到期",
        "! not seen in {year}": "! {year}年未随访",
        "no date planned": "未排日期",
    }
)

_PROGRAMME = {Programme.HYPERTENSION: "Hypertension", Programme.DIABETES: "Type 2 diabetes"}
_PROGRAMME_SHORT = {Programme.HYPERTENSION: "HTN", Programme.DIABETES: "T2DM"}
_CONTROL = {
    Control.SATISFACTORY: "Satisfactory",
    Control.UNSATISFACTORY: "Unsatisfactory",
    Control.ADVERSE_REACTION: "Adverse reaction",
    Control.COMPLICATION: "Complication",
}
_MODE = {
    VisitMode.CLINIC: "In the clinic",
    VisitMode.HOME: "At home",
    VisitMode.PHONE: "By phone",
}
_LEAVE = {
    LeaveReason.MOVED: "Moved",
    LeaveReason.DIED: "Died",
    LeaveReason.DECLINED: "Declined follow-up",
    LeaveReason.OTHER: "Other",
}


def programme_word(programme: Programme, *, short: bool = False) -> str:
    """The programme in the clinician's words ('Hypertension', '高血压')."""
    return tr((_PROGRAMME_SHORT if short else _PROGRAMME)[programme])


def control_word(control: Control | None) -> str:
    """The 规范's classification in words ('' when there is none yet)."""
    return tr(_CONTROL[control]) if control is not None else ""


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
