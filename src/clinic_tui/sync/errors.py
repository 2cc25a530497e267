"""Typed errors of the FHIR client: each carries a one-line message and the server's own words."""

from __future__ import annotations

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.errors import ClinicError


class FhirError(ClinicError):
    """Base of every failure talking to the FHIR server."""

    exit_code = 2

    def __init__(self, message: str, *, status: int | None = None, outcome: str | None = None):
        full = f"{message}: {outcome}" if outcome else message
        super().__init__(full)
        self.status = status
        """HTTP status of the answer, when there was one."""
        self.outcome = outcome
        """The diagnostics of the server's OperationOutcome, when it sent one."""


class InsecureServerError(FhirError):
    """A server URL the client refuses: plain http:// to a host that is not this machine."""


class FhirUnreachable(FhirError):  # noqa: N818  (the name the issue uses)
    """No answer: connection refused or reset, DNS failure, timeout, after every retry."""


class FhirAuthError(FhirError):
    """The server refused the credentials (401) or the permission (403).

    The message is ours alone, in the language in force: a server words a refused token in
    its own way ("Unsupported or invalid Authorization scheme 'bearer'"), which told a doctor
    nothing and is not ours to show as the reason. Its words stay in `outcome`, cleaned, for
    a details line.
    """

    def __init__(self, message: str, *, status: int | None = None, outcome: str | None = None):
        super().__init__(message, status=status)
        # Untrusted text (the server's): one line, controls made visible, bounded.
        self.outcome = clean_line(outcome, 300) if outcome else None

    @property
    def details(self) -> str:
        """The server's own words, for a details line ('' when it said nothing)."""
        return self.outcome or ""


class FhirServerError(FhirError):
    """The server failed (5xx) or was overloaded (429) and stayed so after every retry."""


class FhirRequestError(FhirError):
    """The server rejected the request (a 4xx other than auth), e.g. validation (400)."""


class FhirNotFoundError(FhirRequestError):
    """404: no such resource."""


class FhirGoneError(FhirRequestError):
    """410: the resource was deleted on the server."""


class FhirConflictError(FhirRequestError):
    """412: If-Match named a version that is no longer current (a conflict)."""


class FhirResponseError(FhirError):
    """The answer is not what FHIR promises: not JSON, an HTML page, a wrong shape, too large."""


class HistoryNotSupported(FhirResponseError):  # noqa: N818  (a capability, not a failure)
    """The server does not offer this `_history` (an answer that is not a history Bundle)."""
