"""The door every downloaded resource passes before the cache: cleaned, bounded, checked.

A server (or whoever wrote to it) is outside the trust boundary. Before a resource is
cached its text is cleaned (domain.untrusted: controls made visible, bidi removed), its
nesting is bounded, its id is a FHIR id, and the elements the app reads are what FHIR R4
says they are: a resource that fails is refused whole with a reason (the download
quarantines it and goes on), never cached half-right.

The rules are those of the FHIR R4 specification (hl7.org/fhir/R4), for the elements
the screens and the prescribing checks read:

- id: the `id` datatype, `[A-Za-z0-9\\-\\.]{1,64}` (datatypes.html#id).
- date: `date` datatype regex, a partial date allowed (YYYY, YYYY-MM); "Dates SHALL be
  valid dates" (datatypes.html#date). A birth date is not in the future.
- Patient.gender: AdministrativeGender, required binding: male | female | other | unknown.
- Observation.status 1..1 (ObservationStatus, required binding), Observation.code 1..1.
- MedicationRequest.status 1..1, intent 1..1 (required bindings), subject 1..1,
  medication[x] 1..1 (medicationrequest.html, Resource Content).
- Encounter.status 1..1 (EncounterStatus, required binding): the queue reads it; a follow-up
  visit's episodeOfCare are References and its period a valid dateTime (datatypes.html#dateTime):
  the follow-up list reads both.
- EpisodeOfCare.status 1..1 (EpisodeOfCareStatus, required), patient 1..1, period dates valid
  and start not after end (Period per-1): the registries read them (episodeofcare.html).
- QuestionnaireResponse.status 1..1 (QuestionnaireResponseStatus, required), authored a valid
  dateTime (questionnaireresponse.html).
- Task.status 1..1 (TaskStatus, required), intent 1..1 (TaskIntent, required), and the due date
  (restriction.period.end) a valid dateTime: the follow-up lists order by it (task.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from clinic_tui.domain.untrusted import clean

# What `untrusted.is_clean` looks for ("\r\n" aside, which `clean` folds and a lone "\r"
# matches anyway): searched directly, as the walk meets tens of strings per resource.
_unsafe = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ud800-\udfff]"
).search

Resource = dict[str, Any]

MAX_DEPTH = 64
"""Objects and lists nested in one resource. Real FHIR resources stay far below (a Patient
with nested extensions is ~8); a deeper one is an attack on the parser, not a record."""

ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
"""FHIR R4 `id` datatype."""
_DATE = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
    r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?"
)
"""FHIR R4 `date` datatype regex (a year, year-month or full date)."""

GENDERS = frozenset({"male", "female", "other", "unknown"})
OBSERVATION_STATUS = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
     "entered-in-error", "unknown"}
)  # fmt: skip
MEDICATION_REQUEST_STATUS = frozenset(
    {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft",
     "unknown"}
)  # fmt: skip
MEDICATION_REQUEST_INTENT = frozenset(
    {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
     "instance-order", "option"}
)  # fmt: skip
ENCOUNTER_STATUS = frozenset(
    {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
     "entered-in-error", "unknown"}
)  # fmt: skip

EPISODE_OF_CARE_STATUS = frozenset(
    {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"}
)
QUESTIONNAIRE_RESPONSE_STATUS = frozenset(
    {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
)
TASK_STATUS = frozenset(
    {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
     "in-progress", "on-hold", "failed", "completed", "entered-in-error"}
)  # fmt: skip
TASK_INTENT = frozenset(
    {"unknown", "proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
     "instance-order", "option"}
)  # fmt: skip
_DATE_TIME = re.compile(
    r"([0-9]{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?"
)
"""FHIR R4 `dateTime` datatype regex (a time needs its zone), the year's range left to _DATE."""

PARSE_DEPTH = MAX_DEPTH + 8
"""Nesting a parsed answer keeps: a Bundle wraps each resource in three levels, and what is
cut below this is still deeper than MAX_DEPTH inside its resource, so it is refused."""

_REASON_LIMIT = 200
"""A reason quotes at most this much of a bad value."""


class RefusedError(ValueError):
    """A resource the cache must not take; the message says why, in one line."""


class TooDeepError(RefusedError):
    """Nested deeper than MAX_DEPTH."""


def _quote(value: Any) -> str:
    return clean(repr(value), _REASON_LIMIT // 4)


def clean_bounded(value: Any, max_depth: int = MAX_DEPTH) -> Any:
    """`untrusted.clean_json` that refuses (TooDeepError) a value nested deeper than `max_depth`.

    One walk does both, so the depth check costs nothing extra; the same object comes back
    when nothing needed cleaning.
    """
    return _walk(value, max_depth)


def _too_deep() -> TooDeepError:
    return TooDeepError(f"nested deeper than {MAX_DEPTH} levels")


def _walk(value: Any, room: int) -> Any:
    # Strings are checked inline (most nodes are strings): one call per container, not
    # per value, is what keeps the boundary near the cost of reading the resource at all.
    if type(value) is str:
        return value if _unsafe(value) is None else clean(value)
    if type(value) is dict:
        return _walk_dict(value, room)
    if type(value) is list:
        return _walk_list(value, room)
    return value


def _walk_dict(value: dict[str, Any], room: int) -> dict[str, Any]:
    if room <= 0:
        raise _too_deep()
    changed: dict[str, Any] | None = None
    for key, item in value.items():
        kind = type(item)
        if kind is str:
            new_item = item if _unsafe(item) is None else clean(item)
        elif kind is dict:
            new_item = _walk_dict(item, room - 1)
        elif kind is list:
            new_item = _walk_list(item, room - 1)
        else:
            new_item = item
        new_key = key if type(key) is not str or _unsafe(key) is None else clean(key)
        if changed is None and (new_item is not item or new_key is not key):
            changed = {}
            for old_key, old_item in value.items():  # the part already walked, unchanged
                if old_key is key:
                    break
                changed[old_key] = old_item
        if changed is not None:
            changed[new_key] = new_item
    return value if changed is None else changed


def _walk_list(value: list[Any], room: int) -> list[Any]:
    if room <= 0:
        raise _too_deep()
    changed: list[Any] | None = None
    for index, item in enumerate(value):
        kind = type(item)
        if kind is str:
            new_item = item if _unsafe(item) is None else clean(item)
        elif kind is dict:
            new_item = _walk_dict(item, room - 1)
        elif kind is list:
            new_item = _walk_list(item, room - 1)
        else:
            new_item = item
        if changed is None and new_item is not item:
            changed = value[:index]
        if changed is not None:
            changed.append(new_item)
    return value if changed is None else changed


def parse_date(text: Any) -> date | None:
    """The first day a FHIR `date` (YYYY, YYYY-MM or YYYY-MM-DD) can mean; None if invalid."""
    if not isinstance(text, str) or _DATE.fullmatch(text) is None:
        return None
    parts = [int(part) for part in text.split("-")]
    year, month, day = (
        parts[0],
        parts[1] if len(parts) > 1 else 1,
        parts[2] if len(parts) > 2 else 1,
    )
    try:
        return date(year, month, day)
    except ValueError:
        return None  # 2023-02-30 matches the regex but is no date


def _today() -> date:
    return datetime.now(UTC).date()


def _code(resource: Resource, name: str, allowed: frozenset[str], *, required: bool) -> None:
    value = resource.get(name)
    if value is None:
        if required:
            raise RefusedError(f"{name} is missing (required)")
        return
    if not isinstance(value, str) or value not in allowed:
        raise RefusedError(f"{name} {_quote(value)} is not one of {', '.join(sorted(allowed))}")


def _present(resource: Resource, *names: str) -> None:
    for name in names:
        value = resource.get(name)
        if value is None or value == {} or value == [] or value == "":
            raise RefusedError(f"{name} is missing (required)")
        if not isinstance(value, dict):
            raise RefusedError(f"{name} is not an object")


def _patient(resource: Resource) -> None:
    _code(resource, "gender", GENDERS, required=False)
    born = resource.get("birthDate")
    if born is None:
        return
    first_day = parse_date(born)
    if first_day is None:
        raise RefusedError(f"birthDate {_quote(born)} is not a valid FHIR date")
    # The earliest day the date can mean: a year of birth is in the future only when
    # even its 1 January is.
    if first_day > _today():
        raise RefusedError(f"birthDate {_quote(born)} is in the future")


def _observation(resource: Resource) -> None:
    _code(resource, "status", OBSERVATION_STATUS, required=True)
    _present(resource, "code")


def _medication_request(resource: Resource) -> None:
    _code(resource, "status", MEDICATION_REQUEST_STATUS, required=True)
    _code(resource, "intent", MEDICATION_REQUEST_INTENT, required=True)
    _present(resource, "subject")
    medications = [name for name in ("medicationCodeableConcept", "medicationReference")
                   if resource.get(name) is not None]  # fmt: skip
    if not medications:
        raise RefusedError("medication[x] is missing (required)")
    if len(medications) > 1:
        raise RefusedError("medication[x] is given twice")
    _present(resource, medications[0])


def _date_time(value: Any, name: str) -> str | None:
    """The text of a valid FHIR dateTime (None when absent); RefusedError otherwise."""
    if value is None:
        return None
    valid = isinstance(value, str) and _DATE_TIME.fullmatch(value) is not None
    if not valid or parse_date(str(value).split("T")[0]) is None:
        raise RefusedError(f"{name} {_quote(value)} is not a valid FHIR dateTime")
    return str(value)


def _period(resource: Resource, name: str, period: Any) -> None:
    if period is None:
        return
    if not isinstance(period, dict):
        raise RefusedError(f"{name} is not an object")
    start = _date_time(period.get("start"), f"{name}.start")
    end = _date_time(period.get("end"), f"{name}.end")
    # Period per-1 compares instants; comparing the dates is what the lists rely on.
    if start and end and end[:10] < start[:10]:
        raise RefusedError(f"{name} ends ({_quote(end)}) before it starts ({_quote(start)})")


def _references(resource: Resource, name: str) -> None:
    value = resource.get(name)
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RefusedError(f"{name} is not a list of References")


def _encounter(resource: Resource) -> None:
    _code(resource, "status", ENCOUNTER_STATUS, required=True)
    _references(resource, "episodeOfCare")
    _period(resource, "period", resource.get("period"))


def _episode_of_care(resource: Resource) -> None:
    _code(resource, "status", EPISODE_OF_CARE_STATUS, required=True)
    _present(resource, "patient")
    _period(resource, "period", resource.get("period"))


def _questionnaire_response(resource: Resource) -> None:
    _code(resource, "status", QUESTIONNAIRE_RESPONSE_STATUS, required=True)
    _date_time(resource.get("authored"), "authored")


def _task(resource: Resource) -> None:
    _code(resource, "status", TASK_STATUS, required=True)
    _code(resource, "intent", TASK_INTENT, required=True)
    restriction = resource.get("restriction")
    if restriction is not None:
        if not isinstance(restriction, dict):
            raise RefusedError("restriction is not an object")
        _period(resource, "restriction.period", restriction.get("period"))


RULES: dict[str, Callable[[Resource], None]] = {
    "Patient": _patient,
    "Observation": _observation,
    "MedicationRequest": _medication_request,
    "Encounter": _encounter,
    "EpisodeOfCare": _episode_of_care,
    "QuestionnaireResponse": _questionnaire_response,
    "Task": _task,
}
"""Resource type -> the checks of the elements the app reads from it."""


def admit(resource: Resource) -> Resource:
    """The resource cleaned and checked, ready for the cache; RefusedError (with why) otherwise."""
    cleaned: Resource = clean_bounded(resource)
    ident = cleaned.get("id")
    if not isinstance(ident, str) or ID.fullmatch(ident) is None:
        raise RefusedError(f"id {_quote(ident)} is not a FHIR id ([A-Za-z0-9-.], 1 to 64)")
    rule = RULES.get(str(cleaned.get("resourceType")))
    if rule is not None:
        rule(cleaned)
    return cleaned


_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
"""A JSON string (skipped whole: brackets inside it are text) or a bracket."""


def loads_bounded(data: bytes | str) -> Any:
    """`json.loads`, but a body nested too deep for the parser (RecursionError) is parsed
    with every container below PARSE_DEPTH replaced by `[]`.

    The resources that held them are then refused as too deep by `admit`, one by one,
    while the rest of the page is read: one hostile record never stops a download.
    """
    try:
        return json.loads(data)
    except RecursionError:
        raw = data.encode() if isinstance(data, str) else data
        return json.loads(prune_deep(raw, PARSE_DEPTH))


def prune_deep(data: bytes, limit: int) -> bytes:
    """`data` with every JSON object or array opened below `limit` levels replaced by `[]`."""
    out: list[bytes] = []
    depth = 0
    copied = 0
    skip_from: int | None = None
    for token in _TOKENS.finditer(data):
        char = token.group()[:1]
        if char == b'"':
            continue
        if char in b"[{":
            depth += 1
            if depth > limit and skip_from is None:
                skip_from = token.start()
        else:
            if depth == limit + 1 and skip_from is not None:
                out.append(data[copied:skip_from])
                out.append(b"[]")
                copied = token.end()
                skip_from = None
            depth -= 1
    if skip_from is not None:
        # Never closed: the body is cut short; what remains fails as invalid JSON.
        out.append(data[copied:skip_from])
        copied = len(data)
    out.append(data[copied:])
    return b"".join(out)
