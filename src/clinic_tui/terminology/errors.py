"""The error a terminology import reports to a person."""

from __future__ import annotations

from clinic_tui.errors import ClinicError


class TerminologyFileError(ClinicError):
    """A terminology file that is missing, unreadable or not what it claims to be."""

    exit_code = 4
