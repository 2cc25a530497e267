"""Three-way merge of FHIR resources: a pending local change against the server's version.

Rules, applied at every element path with the values in base, local and remote:

* local == remote: take it; local == base: take remote; remote == base: take local.
* Otherwise both sides changed the element differently. When local and remote are
  both JSON objects (and base is an object or absent) the merge recurses into their
  fields, so name[...] edited here and telecom edited there merge cleanly. Failing
  that it is a conflict: the merged resource keeps the REMOTE value at that path
  until a person decides, and a FieldConflict(path, base, local, remote) is listed.
* Lists are compared whole, except lists of objects that carry an identifying key
  (KEYED_LISTS): `identifier` keyed by system, `telecom` by (system, use),
  `extension` and `modifierExtension` by url. When every item on every side has
  its key and no key repeats within a side, the items are matched by key and merged
  one by one with the same rules (an item added on one side is kept; an item
  removed on one side and untouched on the other is removed; removed on one side
  and changed on the other is a conflict). Merged order: the remote items in the
  server's order, then items only added locally, in local order. Otherwise (two
  phones with no `use`, an identifier without a system) the list is compared whole.
* Elements the app does not model follow the same rules, so they are kept from the
  server's version unless changed locally.
* `meta` always comes from remote (versionId and lastUpdated are the server's).
  `text` whose two changed versions are both generated narratives takes remote
  without a conflict: a generated narrative is derived from the data, not data.
* `id` and `resourceType` must be equal on every side, otherwise ValueError.
* base None (a local create that met an existing server record, or a lost base):
  nothing tells which side changed what, so every top-level element that differs
  between local and remote is a conflict.

Values are compared strictly (1 and 1.0 and true differ; FHIR decimals keep precision).
Paths read like `name`, `address.city`, `telecom[system=phone,use=mobile].value`.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Resource = dict[str, Any]
Side = Literal["mine", "theirs"]
"""A person's choice for one disputed field: this workstation's value or the server's."""
ConflictKind = Literal["edit-edit", "deleted-on-server", "deleted-here"]
CONFLICT_KINDS: Final = ("edit-edit", "deleted-on-server", "deleted-here")

KEYED_LISTS: Final[dict[str, tuple[str, ...]]] = {
    "identifier": ("system",),
    "telecom": ("system", "use"),
    "extension": ("url",),
    "modifierExtension": ("url",),
}
"""List elements merged item by item, and the fields that identify an item (the first required)."""

_SERVER_OWNED: Final = ("meta",)
_IDENTITY: Final = ("resourceType", "id")


class _Missing:
    """Marks an element absent on one side (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Final = _Missing()


@dataclass(frozen=True)
class FieldConflict:
    """One element both sides changed differently; None stands for 'absent' on that side."""

    path: str
    base: Any
    local: Any
    remote: Any


@dataclass(frozen=True)
class MergeOutcome:
    """The merged resource (remote values at conflicting paths) and the conflicts found."""

    merged: Resource
    conflicts: list[FieldConflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when nothing needs a person's decision."""
        return not self.conflicts


@dataclass(frozen=True)
class Conflict:
    """A recorded conflict waiting for a person: the three versions and the fields in dispute."""

    id: int
    resource_type: str
    resource_id: str
    base: Resource | None
    local: Resource
    remote: Resource | None
    """The server's version; None when the record was deleted on the server."""
    fields: list[FieldConflict]
    created_at: str
    kind: ConflictKind = "edit-edit"
    """'edit-edit', 'deleted-on-server' or 'deleted-here' (deleted here, changed there)."""


def same(a: Any, b: Any) -> bool:
    """Strict JSON equality: types must agree too (1, 1.0 and True are three values)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _shown(value: Any) -> Any:
    return None if value is _MISSING else value


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class UnchosenFieldsError(ValueError):
    """A field-by-field resolution left disputed fields without a choice (none is guessed)."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(f"no choice for {', '.join(paths)}")
        self.paths = paths


class _Merger:
    """One merge run: collects conflicts; at a conflicting path it takes local when
    `keep_local`, else the side `choices` names for that path, else remote."""

    def __init__(self, *, keep_local: bool, choices: Mapping[str, Side] | None = None) -> None:
        self.keep_local = keep_local
        self.choices = choices
        self.conflicts: list[FieldConflict] = []
        self.unchosen: list[str] = []

    def conflict(self, path: str, base: Any, local: Any, remote: Any) -> Any:
        self.conflicts.append(FieldConflict(path, _shown(base), _shown(local), _shown(remote)))
        if self.choices is not None:
            choice = self.choices.get(path)
            if choice not in ("mine", "theirs"):
                self.unchosen.append(path)
            return local if choice == "mine" else remote
        return local if self.keep_local else remote

    def value(self, path: str, name: str, base: Any, local: Any, remote: Any) -> Any:
        if same(local, remote):
            return local
        if same(local, base):
            return remote
        if same(remote, base):
            return local
        if path == "text" and _generated(local) and _generated(remote):
            return remote
        if (
            isinstance(local, dict)
            and isinstance(remote, dict)
            and (base is _MISSING or isinstance(base, dict))
        ):
            merged = self.object(path, base, local, remote)
            return merged if merged else _MISSING
        if name in KEYED_LISTS:
            keyed = self.keyed_list(path, name, base, local, remote)
            if keyed is not None:
                return keyed
        return self.conflict(path, base, local, remote)

    def object(self, path: str, base: Any, local: Resource, remote: Resource) -> Resource:
        base_fields: Resource = {} if base is _MISSING else base
        merged: Resource = {}
        for name in [*remote, *(k for k in local if k not in remote)]:
            value = self.value(
                _join(path, name),
                name,
                base_fields.get(name, _MISSING),
                local.get(name, _MISSING),
                remote.get(name, _MISSING),
            )
            if value is not _MISSING:
                merged[name] = value
        return merged

    def keyed_list(
        self, path: str, name: str, base: Any, local: Any, remote: Any
    ) -> list[Any] | _Missing | None:
        """Item-wise merge; None when the lists cannot be keyed (then compared whole)."""
        fields = KEYED_LISTS[name]
        sides = [[] if base is _MISSING else base, local, remote]
        if local is _MISSING or remote is _MISSING:
            # Removed whole on one side and changed on the other: compare whole.
            return None
        indexed = [_index(side, fields) for side in sides]
        if any(index is None for index in indexed):
            return None
        base_items, local_items, remote_items = (index or {} for index in indexed)
        keys = [*remote_items, *(k for k in local_items if k not in remote_items)]
        merged: list[Any] = []
        for key in keys:
            item = self.value(
                f"{path}[{_label(fields, key)}]",
                "",
                base_items.get(key, _MISSING),
                local_items.get(key, _MISSING),
                remote_items.get(key, _MISSING),
            )
            if item is not _MISSING:
                merged.append(item)
        return merged if merged else _MISSING


def _generated(text: Any) -> bool:
    return isinstance(text, dict) and text.get("status") == "generated"


def _index(items: Any, fields: tuple[str, ...]) -> dict[tuple[Any, ...], Any] | None:
    """Items by key, or None when an item is not an object, lacks its key, or a key repeats."""
    if not isinstance(items, list):
        return None
    index: dict[tuple[Any, ...], Any] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get(fields[0]), str):
            return None
        key = tuple(item.get(name) for name in fields)
        if key in index:
            return None
        index[key] = item
    return index


def _label(fields: tuple[str, ...], key: tuple[Any, ...]) -> str:
    return ",".join(f"{name}={value}" for name, value in zip(fields, key, strict=True) if value)


def _check_identity(base: Resource | None, local: Resource, remote: Resource) -> None:
    for name in _IDENTITY:
        values = {repr(side.get(name)) for side in (base, local, remote) if side is not None}
        if len(values) > 1:
            raise ValueError(f"cannot merge resources with different {name}: {sorted(values)}")


def _merge(
    base: Resource | None,
    local: Resource,
    remote: Resource,
    *,
    keep_local: bool,
    choices: Mapping[str, Side] | None = None,
) -> MergeOutcome:
    _check_identity(base, local, remote)
    merger = _Merger(keep_local=keep_local, choices=choices)
    merged: Resource = {name: remote[name] for name in _IDENTITY if name in remote}
    for name in _SERVER_OWNED:
        if name in remote:
            merged[name] = remote[name]
    skip = (*_IDENTITY, *_SERVER_OWNED)
    names = [*remote, *(k for k in local if k not in remote)]
    for name in (n for n in names if n not in skip):
        here, there = local.get(name, _MISSING), remote.get(name, _MISSING)
        if base is None:
            value = there if same(here, there) else merger.conflict(name, None, here, there)
        else:
            value = merger.value(name, name, base.get(name, _MISSING), here, there)
        if value is not _MISSING:
            merged[name] = value
    if merger.unchosen:
        raise UnchosenFieldsError(merger.unchosen)
    return MergeOutcome(merged, merger.conflicts)


def three_way_merge(base: Resource | None, local: Resource, remote: Resource) -> MergeOutcome:
    """Merge a local change and the server's version against the version both started from."""
    return _merge(base, local, remote, keep_local=False)


def merge_keeping_mine(base: Resource | None, local: Resource, remote: Resource) -> Resource:
    """Like three_way_merge, but local values win at every conflicting path ('keep mine')."""
    return _merge(base, local, remote, keep_local=True).merged


def merge_choosing(
    base: Resource | None, local: Resource, remote: Resource, choices: Mapping[str, Side]
) -> Resource:
    """Like three_way_merge, but each conflicting path takes the side a person chose for it.

    Disjoint changes merge as always. A conflicting path with no choice (the record was
    changed again since the person looked, say) raises UnchosenFieldsError: nothing is
    guessed, neither side is taken silently.
    """
    return _merge(base, local, remote, keep_local=False, choices=choices).merged
