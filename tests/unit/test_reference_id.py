"""domain.fhir.reference_id reads every form of a literal FHIR Reference."""

from __future__ import annotations

import pytest

from clinic_tui.domain.fhir import reference_id


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
