"""Reading a transaction's answer entry by entry, and knowing a size limit when told one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clinic_tui.sync.errors import FhirRequestError, FhirResponseError
from clinic_tui.sync.transaction_answer import entry_answers, names_size_limit, outcome_text


def _answer(*statuses: Any, kind: str = "transaction-response") -> bytes:
    entries = []
    for status in statuses:
        response: dict[str, Any] = {} if status is None else {"status": status}
        if isinstance(status, str) and status[:1] == "4":
            response["outcome"] = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "processing", "diagnostics": "why"}],
            }
        entries.append({"response": response})
    return json.dumps({"resourceType": "Bundle", "type": kind, "entry": entries}).encode()


def test_each_entry_keeps_its_own_status_and_reason() -> None:
    # A server running the transaction entry by entry answers each on its own (R4
    # Bundle.entry.response.status, 1..1): a 412 can sit between two successes.
    answers = entry_answers(_answer("201 Created", "412 Precondition Failed", "200"), 3)

    assert [found.status for found in answers] == [201, 412, 200]
    assert answers[1].outcome == "why"
    assert [found.confirms("PUT") for found in answers] == [True, False, True]


def test_a_delete_of_what_is_already_gone_is_done() -> None:
    answers = entry_answers(_answer("404 Not Found", "410 Gone"), 2)

    assert all(found.confirms("DELETE") for found in answers)
    assert not any(found.confirms("PUT") for found in answers)


def test_a_batch_response_is_read_the_same_way() -> None:
    assert entry_answers(_answer("200 OK", kind="batch-response"), 1)[0].status == 200


@pytest.mark.parametrize(
    "data",
    [
        _answer("201 Created"),  # one entry for two changes
        _answer("201 Created", None),  # an entry without a status
        _answer("201 Created", "OK"),  # a status that is not a code
        _answer("201", "201", kind="searchset"),
        b"<html>proxy error</html>",
    ],
)
def test_an_answer_that_does_not_account_for_every_entry_is_refused(data: bytes) -> None:
    with pytest.raises(FhirResponseError):
        entry_answers(data, 2)


@pytest.mark.parametrize(
    "text",
    [
        "Transaction contains more update operations than allowed",  # Medplum
        "Bundle contains too many entries (maximum 100)",
        "Request is too large",
        "Maximum number of entries exceeded",
    ],
)
def test_a_size_limit_is_known_by_its_words(text: str) -> None:
    assert names_size_limit(FhirRequestError("rejected", status=400, outcome=text))


@pytest.mark.parametrize(
    "text",
    [
        "Transaction failed and was rolled back: Entry 3 (PUT Patient/x): value exceeds "
        "maximum length",
        "Patient.birthDate: invalid date",
    ],
)
def test_a_bad_entry_is_not_mistaken_for_a_size_limit(text: str) -> None:
    assert not names_size_limit(FhirRequestError("rejected", status=400, outcome=text))


def test_413_is_always_a_size_limit() -> None:
    assert names_size_limit(FhirRequestError("rejected", status=413))


def test_an_outcome_that_names_the_element_only_in_its_expression_keeps_it() -> None:
    # Medplum's validator: "Invalid date format", with the element in issue.expression.
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "structure",
                "details": {"text": "Invalid date format"},
                "expression": ["Patient.birthDate"],
            }
        ],
    }
    assert outcome_text(outcome) == "Patient.birthDate: Invalid date format"
