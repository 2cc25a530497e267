"""The kinds of prescription slip the order screen offers, and when a supply needs a reason.

The limits are china_rules.toml's (处方管理办法 2007 第十九条 with its sources): this
module only asks them, so the screen's "long-term reason" field and the checks agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinic_tui.i18n import N_
from clinic_tui.prescribing.china_rules import (
    NARCOTIC_SLIP,
    PSYCHOTROPIC_2_SLIP,
    SLIP_WORDS,
    TABLE,
    supply_days,
)
from clinic_tui.prescribing.model import Controlled, DraftOrder
from clinic_tui.prescribing.rule_tables import load_table

EMERGENCY_PRIORITIES = ("EM", "EL", N_("STAT"), "S")
"""Encounter.priority codes (v3-ActPriority) of an emergency visit: its slip is 急诊."""
STRICTNESS: tuple[str, ...] = (
    NARCOTIC_SLIP,
    PSYCHOTROPIC_2_SLIP,
    "emergency",
    "paediatric",
    "ordinary",
)
"""Slip kinds, the one that must win first: a narcotic or class-1 psychotropic line needs its
own slip whatever the visit; a class-2 psychotropic its 精二 slip; then the emergency slip's
3 days before the paediatric slip's 7."""

SLIP_KIND_CODES: tuple[str, ...] = tuple(SLIP_WORDS)
"""ordinary, emergency, paediatric, narcotic-psychotropic-1, psychotropic-2; the first is
the default."""


def slip_words(code: str) -> tuple[str, str]:
    """(English, Chinese) name of a slip kind; ordinary's for an unknown code."""
    return SLIP_WORDS.get(code, SLIP_WORDS["ordinary"])


def day_limit(code: str) -> int:
    """Days' supply a slip of this kind holds without a recorded reason."""
    limits = load_table(TABLE)["day_limits"]
    return int(limits.get(code, limits["ordinary"]))


def needs_long_term_reason(code: str, lines: Sequence[DraftOrder]) -> bool:
    """True when a line's supply goes beyond the slip kind's day limit."""
    limit = day_limit(code)
    return any((days := supply_days(line)) is not None and days > limit for line in lines)


def paediatric_below_age() -> int:
    """Age in completed years below which the slip is 儿科 (china_rules.toml [slip])."""
    return int(load_table(TABLE)["slip"]["paediatric_below_age"])


def slip_kind_for(priority: str | None, age_years: int | None, lines: Sequence[DraftOrder]) -> str:
    """The slip kind the visit and the basket call for; the strictest of them wins.

    An emergency visit (Encounter.priority EM) asks for 急诊, a child below the paediatric
    age for 儿科, a narcotic or class-1 psychotropic line for 麻、精一, a class-2
    psychotropic line for 精二; else 普通.
    """
    wanted = {"ordinary"}
    if priority is not None and priority.upper() in EMERGENCY_PRIORITIES:
        wanted.add("emergency")
    if age_years is not None and age_years < paediatric_below_age():
        wanted.add("paediatric")
    for line in lines:
        if line.drug.controlled in (Controlled.NARCOTIC, Controlled.PSYCHOTROPIC_1):
            wanted.add(NARCOTIC_SLIP)
        elif line.drug.controlled is Controlled.PSYCHOTROPIC_2:
            wanted.add(PSYCHOTROPIC_2_SLIP)
    return next(kind for kind in STRICTNESS if kind in wanted)
