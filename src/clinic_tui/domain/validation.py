"""Checks on what the desk types for a walk-in: one message per wrong field, nothing saved.

Messages are plain English; screens translate them with i18n.tr.
"""

from __future__ import annotations

import re
from datetime import date

from clinic_tui.domain import national_id
from clinic_tui.domain.models import Gender

MAX_AGE_YEARS = 130
"""Older birth dates are typing mistakes."""

_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


def parse_birth_date(text: str) -> date | None:
    """A birth date typed as YYYY-MM-DD (or YYYYMMDD, or with / or .); None if not a date."""
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    if re.fullmatch(r"\d{8}", cleaned):
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    if not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", cleaned):
        return None
    year, month, day = (int(part) for part in cleaned.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def normalise_phone(text: str) -> str:
    """The phone number without spaces, dashes, brackets or a +86 prefix."""
    digits = _PHONE_SEPARATORS.sub("", text.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def gender_from_identity(number: str) -> Gender:
    """The sex an identity number encodes: odd 17th digit male, even female."""
    return Gender.MALE if int(number.strip()[16]) % 2 else Gender.FEMALE


def birth_date_from_identity(number: str) -> date:
    """The birth date inside a valid identity number."""
    text = number.strip()
    return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))


def validate_new_patient(
    name: str,
    sex: str,
    birth_date_text: str,
    identifier: str,
    phone: str,
    today: date,
) -> dict[str, str]:
    """Field -> message for every wrong field of the new-patient form; empty when all are fine.

    Fields: "name", "sex", "birth_date", "identifier", "phone". Identity number and
    phone are optional, but when given they must be right.
    """
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter the patient's name"
    elif len(name.strip()) > 50:
        errors["name"] = "A name has at most 50 characters"
    gender: Gender | None = None
    try:
        gender = Gender(sex)
    except ValueError:
        errors["sex"] = "Choose the patient's sex"
    birth = parse_birth_date(birth_date_text)
    if not birth_date_text.strip():
        errors["birth_date"] = "Enter the birth date (YYYY-MM-DD)"
    elif birth is None:
        errors["birth_date"] = "Not a date: use YYYY-MM-DD"
    elif birth > today:
        errors["birth_date"] = "The birth date is in the future"
    elif today.year - birth.year > MAX_AGE_YEARS:
        errors["birth_date"] = f"The birth date is more than {MAX_AGE_YEARS} years ago"
    number = identifier.strip().upper()
    if number:
        problem = national_id.validate(number)
        if problem is not None:
            errors["identifier"] = problem[0].upper() + problem[1:]
        elif birth is not None and birth_date_from_identity(number) != birth:
            errors["identifier"] = "The birth date in the identity number differs from the form"
        elif gender in (Gender.MALE, Gender.FEMALE) and gender_from_identity(number) != gender:
            errors["identifier"] = "The sex in the identity number differs from the form"
    if phone.strip():
        digits = normalise_phone(phone)
        if not digits.isdigit():
            errors["phone"] = "A phone number has digits only"
        elif digits.startswith("1") and len(digits) != 11:
            errors["phone"] = "A mobile number has 11 digits"
        elif not 7 <= len(digits) <= 12:
            errors["phone"] = "A phone number has 7 to 12 digits"
    return errors


def validate_chief_complaint(text: str) -> str | None:
    """None when the chief complaint is usable, else what is wrong with it."""
    if not text.strip():
        return "Enter the chief complaint"
    if len(text.strip()) > 200:
        return "Keep the chief complaint under 200 characters"
    return None
