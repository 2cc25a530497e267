"""The walk-in form's checks: one message per wrong field."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_tui.domain.national_id import make
from clinic_tui.domain.validation import (
    is_mobile,
    normalise_phone,
    parse_birth_date,
    phone_problem,
    validate_chief_complaint,
    validate_more_details,
    validate_new_patient,
)

TODAY = date(2026, 11, 24)
GOOD_ID = make("330106", date(1972, 6, 1), 22)  # sequence 22: even, female


def check(**changes: str) -> dict[str, str]:
    fields = {
        "name": "欧阳明华",
        "sex": "female",
        "birth_date_text": "1972-06-01",
        "identifier": GOOD_ID,
        "phone": "139 1234 5678",
    }
    fields.update(changes)
    return validate_new_patient(today=TODAY, **fields)


def test_a_good_form_has_no_errors() -> None:
    assert check() == {}
    assert check(identifier="", phone="") == {}


@pytest.mark.parametrize(
    ("field", "value", "key", "fragment"),
    [
        ("name", "  ", "name", "name"),
        ("sex", "", "sex", "sex"),
        ("birth_date_text", "", "birth_date", "Enter"),
        ("birth_date_text", "1972-13-01", "birth_date", "Not a date"),
        ("birth_date_text", "yesterday", "birth_date", "Not a date"),
        ("birth_date_text", "2027-01-01", "birth_date", "future"),
        ("birth_date_text", "1890-01-01", "birth_date", "130"),
        ("identifier", "12345", "identifier", "18 characters"),
        ("identifier", GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1"), "identifier", "check"),
        ("phone", "1391234abcd", "phone", "digits only"),
        ("phone", "1391234567", "phone", "11 digits"),
        ("phone", "23456", "phone", "7 to 12"),
    ],
)
def test_each_wrong_field_gets_its_message(field: str, value: str, key: str, fragment: str) -> None:
    # Without an identity number, so a wrong birth date is reported once, on its own field.
    errors = check(**{"identifier": "", field: value})
    assert list(errors) == [key]
    assert fragment in errors[key]


def test_identity_number_must_agree_with_birth_date_and_sex() -> None:
    assert "birth date" in check(birth_date_text="1972-06-02")["identifier"]
    assert "sex" in check(sex="male")["identifier"]


def test_birth_date_formats() -> None:
    assert parse_birth_date("19720601") == date(1972, 6, 1)
    assert parse_birth_date("1972/6/1") == date(1972, 6, 1)
    assert parse_birth_date("1972-02-30") is None


def test_chief_complaint_is_required() -> None:
    assert validate_chief_complaint(" ") is not None
    assert validate_chief_complaint("咳嗽") is None


@pytest.mark.parametrize(
    ("typed", "stored", "mobile"),
    [
        ("138 1234 5678", "13812345678", True),
        ("+86 138 1234 5678", "13812345678", True),
        ("+8613812345678", "13812345678", True),
        ("0086-138-1234-5678", "13812345678", True),
        ("010-12345678", "01012345678", False),
        ("(010) 1234 5678", "01012345678", False),
        ("0731-8888888", "07318888888", False),
        ("0731-88888888", "073188888888", False),
        ("+86 10 1234 5678", "01012345678", False),
        ("+86-731-8888888", "07318888888", False),
        ("8888888", "8888888", False),
    ],
)
def test_mobiles_and_landlines_are_phones(typed: str, stored: str, mobile: bool) -> None:
    assert phone_problem(typed) is None
    assert normalise_phone(typed) == stored
    assert is_mobile(stored) is mobile
    assert check(phone=typed) == {}


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("1381234567", "11 digits"),
        ("010-1234", "area code"),
        ("0731-8888888-123", "area code"),
        ("12345", "11 digits"),
        ("23456", "7 to 12"),
        ("138-abcd-5678", "digits only"),
    ],
)
def test_wrong_phones_say_what_is_wrong(typed: str, fragment: str) -> None:
    assert fragment in (phone_problem(typed) or "")


def test_more_details() -> None:
    good = {
        "address": "湖南省长沙县青山镇团结村3组",
        "insurance_number": "H43012400012345",
        "guardian_name": "王芳",
        "guardian_phone": "0731-8888888",
        "contact_name": "王强",
        "contact_phone": "+86 139 1234 5678",
    }
    assert validate_more_details(good) == {}
    assert validate_more_details({}) == {}
    errors = validate_more_details(
        {"insurance_number": "H43-01", "guardian_phone": "13912345678", "address": "x" * 201}
    )
    assert set(errors) == {"insurance_number", "guardian_name", "address"}
