"""Overrides of high-severity warnings: a coded reason always, free text for 'other'.

The reasons are a small value set (system urn:clinic-tui:override-reason) so they can be
counted and audited; a study of VA order checks found about half of critical-interaction
overrides carried no reason, which is why an override here is refused without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from clinic_tui.prescribing.model import Override, OverrideReason, SafetyWarning, Severity

SYSTEM = "urn:clinic-tui:override-reason"
"""Code system of the reasons, as written on the MedicationRequest or DetectedIssue."""

BENEFIT = OverrideReason("benefit-outweighs-risk", "Benefit outweighs the risk", "获益大于风险")
TOLERATED = OverrideReason(
    "tolerated-before", "The patient has taken it before without harm", "患者既往使用无不良反应"
)
NOT_ALLERGY = OverrideReason(
    "not-true-allergy",
    "Allergy history doubtful or not a true allergy",
    "过敏史存疑或并非真正过敏",
)
DOSE_INTENDED = OverrideReason(
    "dose-intended",
    "The dose is intended (documented in the note)",
    "剂量为有意为之（已记录于病历）",
)
MONITORING = OverrideReason("monitoring-arranged", "Monitoring is arranged", "已安排监测")
SPECIALIST = OverrideReason("specialist-advised", "Advised by a specialist", "专科医师建议")
OTHER = OverrideReason("other", "Other (say why)", "其他（请说明）")

REASONS: tuple[OverrideReason, ...] = (
    BENEFIT,
    TOLERATED,
    NOT_ALLERGY,
    DOSE_INTENDED,
    MONITORING,
    SPECIALIST,
    OTHER,
)
"""Every coded reason, in the order a form offers them."""
REASONS_BY_CODE = {reason.code: reason for reason in REASONS}
MAX_COMMENT = 500
"""An override's free text stays under this (it is printed on the audit trail)."""


def needs_override(warnings: Iterable[SafetyWarning]) -> list[SafetyWarning]:
    """The warnings that block signing until overridden: the high-severity ones."""
    return [warning for warning in warnings if warning.severity is Severity.HIGH]


def unresolved(
    warnings: Iterable[SafetyWarning], overrides: Mapping[str, Override]
) -> list[SafetyWarning]:
    """High-severity warnings with no valid override under their key; one that is not
    overridable (a likely unit error) stays, whatever override is recorded."""
    left: list[SafetyWarning] = []
    for warning in needs_override(warnings):
        given = overrides.get(warning.key)
        if given is None or not warning.overridable or validate(given):
            left.append(warning)
    return left


def validate(override: Override) -> tuple[str, str] | None:
    """None when the override is complete; else (English, Chinese) saying what is missing."""
    reason = REASONS_BY_CODE.get(override.reason.code)
    if reason is None:
        return (
            "Choose one of the listed reasons for overriding",
            "请从列表中选择忽略警示的理由",
        )
    comment = override.comment.strip()
    if reason is OTHER and not comment:
        return (
            "Say why in words: 'Other' needs a reason written out",
            "选择“其他”时须填写具体理由",
        )
    if len(comment) > MAX_COMMENT:
        return (
            f"Keep the reason under {MAX_COMMENT} characters",
            f"理由请控制在{MAX_COMMENT}字以内",
        )
    return None


def make_override(warning: SafetyWarning, code: str, comment: str = "", by: str = "") -> Override:
    """An override of `warning` with the reason coded `code` (validate() it before use)."""
    reason = REASONS_BY_CODE.get(code, OverrideReason(code, code, code))
    return Override(warning_key=warning.key, reason=reason, comment=comment.strip(), by=by)
