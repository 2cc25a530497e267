"""Dose units the checks compare: mass units convert, anything else only to itself."""

from __future__ import annotations

_MASS_IN_MG = {"g": 1000.0, "mg": 1.0, "µg": 0.001, "ug": 0.001, "mcg": 0.001, "μg": 0.001}


def convert(value: float, unit: str, to: str) -> float | None:
    """`value` in `unit` expressed in `to`; None when the two cannot be compared."""
    source, target = unit.strip().lower(), to.strip().lower()
    if source == target:
        return value
    if source in _MASS_IN_MG and target in _MASS_IN_MG:
        return value * _MASS_IN_MG[source] / _MASS_IN_MG[target]
    return None
