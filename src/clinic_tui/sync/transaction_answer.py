"""Reading a server's answer to an upload bundle, entry by entry, as FHIR R4 allows it.

A conformant server may run a `transaction` atomically (one HTTP status for all) or,
with its transaction support off, entry by entry: HTTP 200 and a Bundle whose every
entry carries its own `response.status` ("201 Created", "412 Precondition Failed",
"400" ...; R4 Bundle.entry.response.status, 1..1). So the status of each entry is read
and only a 2xx confirms that change. Servers also cap bundle sizes (Medplum: 50 update
operations) and say so with a 400 or a 413; `names_size_limit` recognises that answer so
the uploader halves its bundles instead of quarantining good changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.sync.errors import FhirRequestError, FhirResponseError

Resource = dict[str, Any]

RESPONSE_TYPES = ("transaction-response", "batch-response")
OUTCOME_LIMIT = 1000
"""Characters of an OperationOutcome's text kept (a reason, not a document)."""


@dataclass(frozen=True)
class EntryAnswer:
    """The server's answer to one entry of an upload bundle."""

    status: int
    entry: Resource
    outcome: str | None
    """The diagnostics of the entry's OperationOutcome, when it sent one."""

    def confirms(self, method: str) -> bool:
        """True when the change is done: a 2xx, or a DELETE of what is already gone."""
        return 200 <= self.status < 300 or (method == "DELETE" and self.status in (404, 410))


def _status(value: Any) -> int | None:
    """The code of a response.status ("201 Created", "412", ...), None when unreadable."""
    if not isinstance(value, str):
        return None
    head = value.strip()[:3]
    return int(head) if len(head) == 3 and head.isdigit() else None


def outcome_text(outcome: Any) -> str | None:
    """The diagnostics (or details.text) of an OperationOutcome, joined; None if none."""
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return None
    texts = []
    for issue in outcome.get("issue") or []:
        if isinstance(issue, dict):
            details = issue.get("details")
            text = issue.get("diagnostics") or (
                details.get("text") if isinstance(details, dict) else None
            )
            where = issue.get("expression") or issue.get("location")
            if text and isinstance(where, list) and where:
                # Some servers name the element only here ("Patient.birthDate").
                text = f"{', '.join(str(w) for w in where)}: {text}"
            if text:
                texts.append(str(text))
    # The server's words are outside text: one line, controls made visible, a sane length.
    return clean_line("; ".join(texts), OUTCOME_LIMIT) or None


def entry_answers(data: bytes, count: int) -> list[EntryAnswer]:
    """Each entry's answer, in the order sent; FhirResponseError when it is not one."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        body = None
    if (
        not isinstance(body, dict)
        or body.get("resourceType") != "Bundle"
        or body.get("type", RESPONSE_TYPES[0]) not in RESPONSE_TYPES
        or not isinstance(body.get("entry"), list)
        or len(body["entry"]) != count
        or not all(isinstance(entry, dict) for entry in body["entry"])
    ):
        raise FhirResponseError("the answer to a transaction is not its transaction-response")
    answers = []
    for position, entry in enumerate(body["entry"]):
        response = entry.get("response")
        status = _status(response.get("status")) if isinstance(response, dict) else None
        if status is None:
            raise FhirResponseError(
                f"entry {position + 1} of the transaction-response has no status"
            )
        outcome = outcome_text(response.get("outcome")) if isinstance(response, dict) else None
        answers.append(EntryAnswer(status, entry, outcome))
    return answers


_SIZE_LIMIT = re.compile(
    "|".join(
        (
            r"more \w*\s*(operations|entries|resources|requests) than (is )?"
            r"(allowed|permitted|supported)",
            r"too many (\w+ )?(operations|entries|resources|requests)",
            r"(bundle|transaction|batch|request)( body)? (is )?too (large|big)",
            r"(maximum|max|limit)( number)?( of)? (\w+ )?(operations|entries|resources)",
            r"(entries|operations) exceeds?",
        )
    ),
    re.IGNORECASE,
)
_ONE_ENTRY = re.compile(r"\bentry \d+\b", re.IGNORECASE)
"""A message about one entry ("Entry 3 (PUT Patient/x): ...") is about that entry's content."""


def names_size_limit(error: FhirRequestError) -> bool:
    """True when the server refused a bundle for its size, not for its content."""
    if error.status == 413:
        return True
    text = error.outcome or str(error)
    return error.status == 400 and bool(_SIZE_LIMIT.search(text)) and not _ONE_ENTRY.search(text)
