"""domain.fhir.reference_id reads every form of a literal FHIR Reference; its fast paths agree."""

from __future__ import annotations

import pytest

from clinic_tui.domain.fhir import concept_code, reference_id


@pytest.mark.parametrize(
    ("reference", "kind", "expected"),
    [
        ({"reference": "Practitioner/7"}, "Practitioner", "7"),
        ({"reference": "Practitioner/7/_history/2"}, "Practitioner", "7"),
        ({"reference": "Practitioner/7/_history/2"}, None, "7"),
        ({"reference": "https://his.example/fhir/Practitioner/7"}, "Practitioner", "7"),
        ({"reference": "https://his.example/fhir/Practitioner/7/_history/9"}, "Practitioner", "7"),
        ({"reference": "Practitioner/7"}, "Organization", None),
        ({"reference": "Practitioner/7/_history/2"}, "Organization", None),
        ({"reference": "Patient?identifier=urn:oid:2.16.156|430124"}, "Patient", None),
        ({"reference": "Patient?identifier=a/b"}, None, None),
        ({"display": "李明"}, "Practitioner", None),
        ({"reference": "Practitioner/"}, "Practitioner", None),
        (None, None, None),
    ],
)
def test_reference_id(reference: object, kind: str | None, expected: str | None) -> None:
    assert reference_id(reference, kind) == expected


def _general(reference: object, kind: str | None) -> str | None:
    """reference_id's steps before its plain 'Type/id' fast path, kept to compare against."""
    if not isinstance(reference, dict):
        return None
    value = reference.get("reference")
    if not isinstance(value, str) or "/" not in value:
        return None
    value = value.split("/_history", 1)[0]
    if "?" in value or "/" not in value:
        return None
    found, _, ident = value.rstrip("/").rpartition("/")
    found = found.rsplit("/", 1)[-1]
    if kind is not None and found != kind:
        return None
    return ident or None


_SHAPES = [
    "Patient/abc",
    "Patient/019a-7",
    "/abc",
    "Patient/",
    "Patient//",
    "Patient/_history",
    "Patient/_history2",
    "Patient/_historyX/1",
    "Patient/a?b",
    "Patient?x/y",
    "Patient/a/",
    "http://x/Patient/a",
    "Patient /a",
    "/",
    "a",
    "",
    "Encounter/1/_history/3",
]


@pytest.mark.parametrize("value", _SHAPES)
@pytest.mark.parametrize("kind", [None, "Patient", "", "Encounter"])
def test_the_fast_path_reads_what_the_general_steps_read(value: str, kind: str | None) -> None:
    assert reference_id({"reference": value}, kind) == _general({"reference": value}, kind)


def _general_code(concept: object, hint: str | None = None) -> str | None:
    """concept_code as it read before (codings copied first), kept to compare against."""
    if not isinstance(concept, dict):
        return None
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    if hint:
        for coding in codings:
            if hint in str(coding.get("system", "")) and coding.get("code"):
                return str(coding["code"])
    for coding in codings:
        if coding.get("code"):
            return str(coding["code"])
    return None


@pytest.mark.parametrize(
    "concept",
    [
        {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        {"coding": [{"code": ""}, "x", {"code": 7}, {"code": "b"}]},
        {"coding": [{"display": "no code"}]},
        {"coding": []},
        {"coding": None},
        {"coding": {"code": "not a list"}},
        {"coding": "text"},
        {"text": "only text"},
        [],
        None,
    ],
)
@pytest.mark.parametrize("hint", [None, "", "loinc"])
def test_concept_code_fast_path_reads_what_the_general_steps_read(
    concept: object, hint: str | None
) -> None:
    assert concept_code(concept, hint) == _general_code(concept, hint)
