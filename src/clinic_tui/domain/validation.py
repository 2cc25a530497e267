"""Checks on what the desk types for a walk-in: one message per wrong field, nothing saved.

Messages are plain English; screens translate them with i18n.tr.
"""

from __future__ import annotations

import re
from datetime import date

from clinic_tui.domain import national_id
from clinic_tui.domain.models import Gender
from clinic_tui.i18n import N_

MAX_AGE_YEARS = 130

# Messages built here and shown through tr(message), marked in the form the screen shows
# (national_id's words capitalised; the limits of MAX_TEXT and MAX_AGE_YEARS filled in).
_SHOWN = (
    N_("An identity number has 18 characters"),
    N_("An identity number is 17 digits then a digit or X"),
    N_("The birth date inside the identity number is not a real date"),
    N_("The check digit does not match; please re-read the card"),
    N_("The birth date is more than 130 years ago"),
    N_("At most 30 characters"),
    N_("At most 50 characters"),
    N_("At most 200 characters"),
)
"""Older birth dates are typing mistakes."""

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
MAX_TEXT = {"address": 200, "insurance_number": 30, "guardian_name": 50, "contact_name": 50}
"""Longest text accepted per free-text field (longer is a paste gone wrong)."""


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
    """The phone number as dialled inside China: no separators, no +86 / 0086.

    A landline given with +86 loses its trunk 0 (+86 10 1234 5678); it is put back
    (01012345678), so one number is stored one way however it was typed.
    """
    digits = _PHONE_SEPARATORS.sub("", text.strip())
    for country in ("+86", "0086"):
        if digits.startswith(country):
            digits = digits[len(country) :]
            # Mobiles are 1[3-9] and 11 digits; anything else is an area code (Beijing's is 10).
            mobile = len(digits) == 11 and digits[:1] == "1" and digits[1:2] in "3456789"
            if digits and not mobile and not digits.startswith("0"):
                digits = "0" + digits
            break
    return digits


def is_mobile(digits: str) -> bool:
    """True for a mobile number (11 digits from 1), False for a landline."""
    return digits.startswith("1")


def phone_problem(text: str) -> str | None:
    """None when `text` is a usable phone number, else what is wrong with it.

    Mobiles have 11 digits from 1 (+86 allowed); landlines are 0, the area code
    (2 or 3 digits) and 7 or 8 digits (010-12345678, 0731-8888888), or 7 or 8
    digits without an area code for a local number.
    """
    digits = normalise_phone(text)
    if not digits.isdigit():
        return N_("A phone number has digits only")
    if digits.startswith("1"):
        return None if len(digits) == 11 else N_("A mobile number has 11 digits")
    if digits.startswith("0"):
        if 10 <= len(digits) <= 12:
            return None
        return N_("A landline number is 0 and the area code, then 7 or 8 digits")
    if 7 <= len(digits) <= 8:
        return None
    return N_("A phone number has 7 to 12 digits")


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
        errors["name"] = N_("Enter the patient's name")
    elif len(name.strip()) > 50:
        errors["name"] = N_("A name has at most 50 characters")
    gender: Gender | None = None
    try:
        gender = Gender(sex)
    except ValueError:
        errors["sex"] = N_("Choose the patient's sex")
    birth = parse_birth_date(birth_date_text)
    if not birth_date_text.strip():
        errors["birth_date"] = N_("Enter the birth date (YYYY-MM-DD)")
    elif birth is None:
        errors["birth_date"] = N_("Not a date: use YYYY-MM-DD")
    elif birth > today:
        errors["birth_date"] = N_("The birth date is in the future")
    elif today.year - birth.year > MAX_AGE_YEARS:
        errors["birth_date"] = f"The birth date is more than {MAX_AGE_YEARS} years ago"
    number = identifier.strip().upper()
    if number:
        problem = national_id.validate(number)
        if problem is not None:
            errors["identifier"] = problem[0].upper() + problem[1:]
        elif birth is not None and birth_date_from_identity(number) != birth:
            errors["identifier"] = N_("The birth date in the identity number differs from the form")
        elif gender in (Gender.MALE, Gender.FEMALE) and gender_from_identity(number) != gender:
            errors["identifier"] = N_("The sex in the identity number differs from the form")
    if phone.strip():
        problem = phone_problem(phone)
        if problem is not None:
            errors["phone"] = problem
    return errors


def validate_more_details(fields: dict[str, str]) -> dict[str, str]:
    """Field -> message for the optional details (address, insurance, guardian, contact).

    Keys: address, insurance_number, guardian_name, guardian_phone, contact_name,
    contact_phone. A phone given without the name it belongs to is an error, so a
    number is never stored for nobody.
    """
    errors: dict[str, str] = {}
    for key, longest in MAX_TEXT.items():
        if len(fields.get(key, "").strip()) > longest:
            errors[key] = f"At most {longest} characters"
    insurance = fields.get("insurance_number", "").strip()
    if insurance and "insurance_number" not in errors and not insurance.isalnum():
        errors["insurance_number"] = N_("An insurance number has letters and digits only")
    for who in ("guardian", "contact"):
        phone = fields.get(f"{who}_phone", "").strip()
        if phone:
            problem = phone_problem(phone)
            if problem is not None:
                errors[f"{who}_phone"] = problem
            elif not fields.get(f"{who}_name", "").strip():
                errors[f"{who}_name"] = N_("Enter the name this phone belongs to")
    return errors


def validate_chief_complaint(text: str) -> str | None:
    """None when the chief complaint is usable, else what is wrong with it."""
    if not text.strip():
        return N_("Enter the chief complaint")
    if len(text.strip()) > 200:
        return N_("Keep the chief complaint under 200 characters")
    return None
