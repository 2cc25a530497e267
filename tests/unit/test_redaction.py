"""Secrets stay out of logs, crash reports and the app's error screen (issue #13, point 6)."""

from __future__ import annotations

import logging
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
