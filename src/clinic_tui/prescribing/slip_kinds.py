"""The kinds of prescription slip and how many days' supply each allows without a reason.

Source: 处方管理办法 (原卫生部令第53号, 2007). 第十九条: a prescription is generally for
at most 7 days, an emergency one for at most 3; chronic disease, the elderly or special
circumstances may have more, with the reason written by the physician. 第二十三条: for
outpatients, narcotic and first-class psychotropic drugs in forms other than injections
and controlled-release at most 3 days' usual dose per slip; second-class psychotropics
generally at most 7 days. 第五条 (with its annex) gives each kind its paper colour.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlipKind:
    """One kind of slip as the order screen offers it."""

    code: str
    """As stored on the MedicationRequest (extension prescription-slip-type)."""
    name_zh: str
    name_en: str
    day_limit: int
    """Days' supply beyond which the slip needs a recorded reason."""


SLIP_KINDS: tuple[SlipKind, ...] = (
    SlipKind("ordinary", "普通", "Ordinary", 7),
    SlipKind("emergency", "急诊", "Emergency", 3),
    SlipKind("paediatric", "儿科", "Paediatric", 7),
    SlipKind("narcotic-psychotropic-1", "麻精一", "Narcotic / psychotropic I", 3),
    SlipKind("psychotropic-2", "精二", "Psychotropic II", 7),
)
"""In the order the screen lists them; the first is the default."""


def slip_kind(code: str) -> SlipKind:
    """The kind with `code` (ordinary when unknown)."""
    return next((kind for kind in SLIP_KINDS if kind.code == code), SLIP_KINDS[0])


def needs_long_term_reason(code: str, days: list[int | None]) -> bool:
    """True when any line's supply goes beyond the slip kind's day limit."""
    limit = slip_kind(code).day_limit
    return any(day is not None and day > limit for day in days)
