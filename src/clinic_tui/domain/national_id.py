"""Chinese resident identity numbers (GB 11643-1999): check digit and validation."""

from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

IDENTIFIER_SYSTEM = "urn:oid:1.2.156.112604.1.2.1"
"""FHIR identifier system for the PRC resident identity card number."""


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits of an identity number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate(number: str) -> str | None:
    """None when `number` is a well-formed identity number, else a message saying what is wrong."""
    candidate = number.strip().upper()
    if len(candidate) != 18:
        return "an identity number has 18 characters"
    if not candidate[:17].isdigit() or not (candidate[17].isdigit() or candidate[17] == "X"):
        return "an identity number is 17 digits then a digit or X"
    try:
        date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return "the birth date inside the identity number is not a real date"
    if check_digit(candidate[:17]) != candidate[17]:
        return "the check digit does not match; please re-read the card"
    return None


def make(region: str, birth: date, sequence: int) -> str:
    """Build a valid identity number from a 6-digit region code, birth date and 3-digit sequence."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
