"""The kinds of prescription slip the order screen offers, and when a supply needs a reason.

The limits are china_rules.toml's (处方管理办法 2007 第十九条 with its sources): this
module only asks them, so the screen's "long-term reason" field and the checks agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinic_tui.prescribing.china_rules import SLIP_WORDS, TABLE, supply_days
from clinic_tui.prescribing.model import DraftOrder
from clinic_tui.prescribing.rule_tables import load_table

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
