"""Product names of a release form or route the formulary does not stock (release_forms.toml).

An order line naming one (硫酸吗啡缓释片 when only immediate-release morphine is stocked)
must not resolve to the stocked form: `not_stocked(name)` answers what was asked for and
what the formulary holds instead, for the order line to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from clinic_tui.prescribing.formulary import normalise
from clinic_tui.prescribing.rule_tables import load_table

TABLE = "release_forms.toml"


@dataclass(frozen=True)
class NotStocked:
    """A form asked for that the formulary lacks, and what it has instead."""

    drug: str
    """Formulary code of the ingredient."""
    form_en: str
    form_zh: str
    stocked_en: str
    stocked_zh: str


@cache
def _names() -> dict[str, NotStocked]:
    found: dict[str, NotStocked] = {}
    for row in load_table(TABLE)["name"]:
        entry = NotStocked(
            drug=row["drug"],
            form_en=row["form_en"],
            form_zh=row["form_zh"],
            stocked_en=row["stocked_en"],
            stocked_zh=row["stocked_zh"],
        )
        for name in row["names"]:
            found[normalise(name)] = entry
    return found


def not_stocked(name: str) -> NotStocked | None:
    """The unstocked form `name` (the whole drug name as typed) asks for, or None."""
    key = normalise(name)
    return _names().get(key) if key else None


def names() -> tuple[str, ...]:
    """Every normalised name of the table (for tests: none may be a formulary name)."""
    return tuple(_names())
