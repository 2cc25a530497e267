"""Secrets stay out of logs, crash reports and the app's error screen (issue #13, point 6)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from clinic_tui.crash_report import write_crash_report
from clinic_tui.credentials import Credential
from clinic_tui.redaction import REDACTED, RedactingFilter, redact, remember_secret


def test_a_credential_once_made_is_blanked_from_any_text() -> None:
    Credential(kind="bearer", secret="tok-3f9a1c77e2")
    assert redact("GET /Patient failed with tok-3f9a1c77e2 inside") == (
        f"GET /Patient failed with {REDACTED} inside"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abc.def-ghi",
        "{'Authorization': 'Bearer abc.def-ghi'}",
        "client_secret=abc.def-ghi&grant_type=client_credentials",
        '"access_token": "abc.def-ghi"',
        "passphrase = abc.def-ghi",
    ],
)
def test_token_shaped_values_are_blanked_even_if_never_remembered(text: str) -> None:
    assert "abc.def-ghi" not in redact(text)
    assert REDACTED in redact(text)


def test_ordinary_clinical_text_is_left_alone() -> None:
    text = "王芳 hypertension I10, BP 150/95, amoxicillin 500 mg tid 7 d"
    assert redact(text) == text


def test_log_records_are_redacted_with_their_arguments_and_exceptions() -> None:
    remember_secret("kc-passphrase-77")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("opening the cache with %s", "kc-passphrase-77")
        try:
            raise RuntimeError("key kc-passphrase-77 does not open the cache")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert records
    assert not any("kc-passphrase-77" in record for record in records)


def test_the_crash_report_has_no_secret_and_no_local_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("clinic_tui.locations.crash_log_path", lambda: tmp_path / "crash.log")
    Credential(kind="bearer", secret="tok-crash-5521")

    def send(headers: dict[str, str]) -> None:
        raise ConnectionError(f"refused while sending {headers['Authorization']}")

    def headers_for(token: str, family: str, given: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "X-Patient": family + given}

    try:
        send(headers_for("tok-crash-5521", "王", "芳"))
    except ConnectionError as error:
        path = write_crash_report(error)
    text = Path(path).read_text(encoding="utf-8")
    assert "ConnectionError" in text
    assert "tok-crash-5521" not in text
    assert "王芳" not in text  # no frame's local variables


def _report_of(error: BaseException) -> str:
    from clinic_tui.crash_report import crash_text

    return crash_text(error)


def _chart_for(name: str, note: str) -> None:
    try:
        int(note)
    except ValueError as cause:
        raise LookupError(f"no chart for {name} (note {note!r})") from cause


PATIENT = "Zhang Wei 张伟"
NOTE = "chest pain since Tuesday, 胸痛"
"""Held apart from the calls: the report prints each frame's line of source code."""


def test_patient_text_in_exception_messages_never_reaches_the_crash_report() -> None:
    try:
        _chart_for(PATIENT, NOTE)
    except LookupError as error:
        error.add_note(f"while opening {PATIENT}'s chart")
        text = _report_of(error)
    for patient_text in ("Zhang", "Wei", "张伟", "chest", "pain", "Tuesday", "胸痛"):
        assert patient_text not in text, patient_text
    # What IT needs stays: the types, and each frame's file, line and function.
    assert "builtins.LookupError" not in text  # written as Python writes it
    assert "LookupError: " in text
    assert "ValueError: " in text
    assert "_chart_for" in text
    assert "test_redaction.py" in text
    assert re.search(r"line \d+, in _chart_for", text)
    assert "[withheld]" in text
    assert "The above exception was the direct cause" in text


def test_code_names_and_small_numbers_in_a_message_stay_for_it() -> None:
    from clinic_tui.crash_report import redacted_message

    assert redacted_message(KeyError("medicationCodeableConcept")) == "'medicationCodeableConcept'"
    assert redacted_message(AttributeError("'NoneType' object has no attribute 'birth_date'")) == (
        "'NoneType' object has no attribute 'birth_date'"
    )
    said = redacted_message(
        ValueError("HTTP 412 for Patient/9f86d081 of Li Na, id 430000194801020000")
    )
    assert "412" in said
    assert "Patient" in said
    for patient_text in ("9f86d081", "Li", "Na", "430000194801020000"):
        assert patient_text not in said, said


def test_an_os_error_keeps_its_errno_and_the_system_words_not_the_file_name() -> None:
    from clinic_tui.crash_report import redacted_message

    error = FileNotFoundError(2, "No such file or directory", "/data/slips/王芳.pdf")
    said = redacted_message(error)
    assert "ENOENT" in said
    assert "No such file or directory" in said
    assert "王芳" not in said
