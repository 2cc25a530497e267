"""A schema for the clinical rule tables (TOML): unknown keys refused, required keys present.

A table's schema is a plain mapping of key -> what it holds: `LEAF` (a value), a nested
`Table` (keys of its own), `Rows` (an array of tables, `[[drug]]`), or `Named` (a table whose
keys are ids the table chooses, such as `[sources.bnf]`, each holding the same shape). A key
no schema names is a typing error (`adult_max_dos`) that would otherwise be silently ignored,
so `check` refuses it, naming the table, the row and the key.

Every table also carries `[meta]`: its content version and the review state its rows take
when they do not state their own (`META`, `ROW_REVIEW`; see `review_state`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final


class TableSchemaError(ValueError):
    """A rule table that does not fit its schema: which table, which row, which key."""


@dataclass(frozen=True)
class Leaf:
    """A plain value (string, number, list of values)."""

    required: bool = False


@dataclass(frozen=True)
class Table:
    """A table with keys of its own, each with its shape."""

    keys: Mapping[str, Spec]
    required: bool = False


@dataclass(frozen=True)
class Rows:
    """An array of tables (`[[drug]]`), every row with the same keys."""

    keys: Mapping[str, Spec]
    required: bool = False
    name_key: str = ""
    """The key whose value names a row in an error (code, tag, id), if any."""


@dataclass(frozen=True)
class Named:
    """A table whose keys are the table's own ids (`[sources.bnf]`), each of one shape."""

    shape: Spec
    required: bool = False


Spec = Leaf | Table | Rows | Named
LEAF: Final = Leaf()
REQUIRED: Final = Leaf(required=True)

REVIEW_STATES: Final = ("unreviewed", "reviewed")
"""A row's review state: unreviewed until a named pharmacist or doctor signs it off."""
ROW_REVIEW: Final[dict[str, Spec]] = {
    "review": LEAF,
    "reviewed_by": LEAF,
    "reviewed_on": LEAF,
}
"""Keys any row may carry to state its own review (else it takes the table's [meta])."""
META: Final = Table(
    {
        "version": REQUIRED,
        "review": REQUIRED,
        "reviewed_by": LEAF,
        "reviewed_on": LEAF,
        "note": LEAF,
    },
    required=True,
)
"""`[meta]`: the content version (2026.12.1) and the rows' default review state."""


@dataclass(frozen=True)
class _Where:
    table: str
    path: tuple[str, ...] = field(default=())

    def at(self, part: str) -> _Where:
        return _Where(self.table, (*self.path, part))

    def __str__(self) -> str:
        return f"{self.table}: {' > '.join(self.path)}" if self.path else self.table


def check(table_name: str, data: Mapping[str, Any], schema: Mapping[str, Spec]) -> None:
    """Raise TableSchemaError when `data` has a key `schema` does not name, or lacks one it
    requires; the message names the table, the row and the key."""
    _check_keys(_Where(table_name), data, schema)


def _check_keys(where: _Where, data: Mapping[str, Any], keys: Mapping[str, Spec]) -> None:
    unknown = [key for key in data if key not in keys]
    if unknown:
        known = ", ".join(sorted(keys))
        raise TableSchemaError(
            f"{where}: unknown key {', '.join(repr(k) for k in unknown)} (known: {known})"
        )
    missing = [key for key, spec in keys.items() if spec.required and key not in data]
    if missing:
        raise TableSchemaError(f"{where}: missing key {', '.join(repr(k) for k in missing)}")
    for key, value in data.items():
        _check_value(where.at(key), value, keys[key])


def _check_value(where: _Where, value: Any, spec: Spec) -> None:
    if isinstance(spec, Leaf):
        if isinstance(value, dict):
            raise TableSchemaError(f"{where}: a table where a value belongs")
        return
    if isinstance(spec, Table):
        _need_table(where, value)
        _check_keys(where, value, spec.keys)
        return
    if isinstance(spec, Named):
        _need_table(where, value)
        for name, item in value.items():
            _check_value(where.at(name), item, spec.shape)
        return
    if not isinstance(value, list):
        raise TableSchemaError(f"{where}: rows ([[...]]) expected")
    for number, row in enumerate(value, start=1):
        label = f"row {number}"
        if isinstance(row, dict) and spec.name_key and row.get(spec.name_key):
            label += f" ({row[spec.name_key]})"
        _need_table(where.at(label), row)
        _check_keys(where.at(label), row, spec.keys)


def _need_table(where: _Where, value: Any) -> None:
    if not isinstance(value, dict):
        raise TableSchemaError(f"{where}: a table expected, not {type(value).__name__}")


def review_state(row: Mapping[str, Any], meta: Mapping[str, Any]) -> tuple[str, str, str]:
    """(state, by, on) of a row: its own review keys, else its table's [meta]."""
    source = row if "review" in row else meta
    state = str(source.get("review", "unreviewed"))
    if state not in REVIEW_STATES:
        raise TableSchemaError(f"review {state!r}: use one of {', '.join(REVIEW_STATES)}")
    by, on = str(source.get("reviewed_by", "")), str(source.get("reviewed_on", ""))
    if state == "reviewed" and not (by and on):
        raise TableSchemaError("review = 'reviewed' needs reviewed_by and reviewed_on")
    return state, by, on
