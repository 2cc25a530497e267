"""Vital signs as typed into the form: parse, refuse impossible values, derive BMI.

These limits catch typing slips (1700 for 170, 365 for 36.5), not abnormal
readings: a value inside them is saved as typed, however worrying. Whether a
saved value is abnormal for the patient's age is the chart display's business.
Each limit states why it is where it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_tui.i18n import N_

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class VitalField:
    """One field of the vitals form: its LOINC code, unit and the plausible range."""

    key: str
    label: str
    """English label (the form translates it)."""
    loinc: str
    display: str
    """LOINC long common name, sent as the coding's display."""
    unit: str
    ucum: str
    low: float
    high: float
    rationale: str
    decimals: int = 0


# LOINC codes and UCUM units: the FHIR R4 vital-signs profiles
# (hl7.org/fhir/R4/observation-vitalsigns.html), as in shared/GLOSSARY.md.
VITAL_FIELDS: tuple[VitalField, ...] = (
    VitalField(
        "systolic", "Systolic", "8480-6", "Systolic blood pressure", "mmHg", "mm[Hg]", 40, 300,
        "Clinic sphygmomanometers are graduated 0-300 mmHg, so a cuff cannot read above 300; "
        "below 40 no cuff pressure is read at all.",
    ),
    VitalField(
        "diastolic", "Diastolic", "8462-4", "Diastolic blood pressure", "mmHg", "mm[Hg]", 20, 200,
        "Above 200 mmHg diastolic is beyond what a cuff records in a living patient outside "
        "case reports; it must also be below the systolic (checked separately).",
    ),
    VitalField(
        "heart_rate", "Heart rate", "8867-4", "Heart rate", "/min", "/min", 20, 300,
        "A conducted rhythm faster than 300/min or slower than 20/min is not counted at a "
        "bedside; a value outside is a slip (e.g. 720 for 72).",
    ),
    VitalField(
        "respiratory_rate", "Respiratory rate", "9279-1", "Respiratory rate", "/min", "/min",
        4, 100,
        "Even a distressed newborn breathes under 100/min; under 4/min is apnoea, not a count.",
    ),
    VitalField(
        "temperature", "Temperature", "8310-5", "Body temperature", "°C", "Cel", 25, 45,
        "Below 25 °C and above 45 °C are outside what clinical thermometers read and what a "
        "patient walking into a clinic survives; 365 for 36.5 or a Fahrenheit reading is a slip.",
        decimals=1,
    ),
    VitalField(
        "spo2", "SpO2", "59408-5",
        "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "%", 50, 100,
        "Above 100 % is impossible; pulse oximeters are only specified for accuracy down to "
        "70 % (ISO 80601-2-61), so readings under 50 % are not usable numbers.",
    ),
    VitalField(
        "weight", "Weight", "29463-7", "Body weight", "kg", "kg", 0.3, 350,
        "A live-born infant of under 300 g or an outpatient of over 350 kg (beyond a clinic "
        "scale's capacity) is a slip, e.g. grams typed for kilograms.",
        decimals=1,
    ),
    VitalField(
        "height", "Height", "8302-2", "Body height", "cm", "cm", 20, 250,
        "The tallest person measured (Robert Wadlow, 272 cm) is a one-off; 20-250 cm covers "
        "every newborn and adult seen in a clinic, and catches metres typed for centimetres.",
    ),
)  # fmt: skip
# The labels of the table above that only it defines, marked for the catalogue (tr(label)).
_LABELS = (N_("Systolic"), N_("Diastolic"), N_("Weight"), N_("Height"), N_("SpO2"))
"""Form fields in order; the first two form the blood-pressure panel."""

FIELDS_BY_KEY = {field.key: field for field in VITAL_FIELDS}

BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
BMI = ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "kg/m2")
SPO2_ARTERIAL = ("2708-6", "Oxygen saturation in Arterial blood")
"""The profile's oxygen-saturation code; pulse oximetry (59408-5) is sent beside it."""


@dataclass(frozen=True)
class ChildLimit:
    """Upper limits of weight and height for children younger than `under_years`."""

    under_years: int
    weight_kg: float
    height_cm: float


# Set generously, about twice the heaviest and well above the tallest children of each age
# on growth charts, so a real child never meets them; an extra digit (120 for 12.0 kg in a
# toddler) does. The adult limits above still apply at every age.
CHILD_LIMITS: tuple[ChildLimit, ...] = (
    ChildLimit(1, 20, 100),
    ChildLimit(5, 50, 150),
    ChildLimit(12, 120, 200),
)
"""Age bands (completed years) from the youngest; the first that fits the child applies."""

BMI_ADULT_AGE = 18
"""A recorded height is reused for BMI only for adults: a child's height changes between visits."""


@dataclass(frozen=True)
class VitalsEntry:
    """The values a clinician entered; None for a field left blank."""

    values: dict[str, float]
    """Field key -> value, only for fields filled in."""

    @property
    def empty(self) -> bool:
        """True when no field was filled in."""
        return not self.values


def _parse_number(text: str) -> float | None:
    cleaned = text.strip().replace(",", ".").replace("，", ".").replace("。", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _range_message(field: VitalField) -> str:
    return f"{field.label} must be between {field.low:g} and {field.high:g} {field.unit}"


def _child_limit(age_years: int | None) -> ChildLimit | None:
    if age_years is None:
        return None
    return next((band for band in CHILD_LIMITS if age_years < band.under_years), None)


def parse_vitals(
    texts: dict[str, str], age_years: int | None = None
) -> tuple[VitalsEntry, dict[str, str]]:
    """(entry, field -> message): every wrong field gets a message, and then nothing is saved.

    A blood pressure needs both numbers, systolic above diastolic. At least one field.
    A child's weight and height also stay under the limits of the child's age band.
    """
    values: dict[str, float] = {}
    errors: dict[str, str] = {}
    for field in VITAL_FIELDS:
        text = texts.get(field.key, "")
        if not text.strip():
            continue
        value = _parse_number(text)
        if value is None:
            errors[field.key] = f"{field.label}: not a number"
        elif not field.low <= value <= field.high:
            errors[field.key] = _range_message(field)
        elif (limit := _child_limit_of(field.key, age_years)) is not None and value > limit:
            errors[field.key] = (
                f"{field.label} above {limit:g} {field.unit} is not possible at age {age_years}"
            )
        else:
            values[field.key] = round(value, field.decimals) if field.decimals else round(value)
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if ("systolic" in values) != ("diastolic" in values) and not (
        {"systolic", "diastolic"} & errors.keys()
    ):
        missing = "diastolic" if "systolic" in values else "systolic"
        errors[missing] = N_("A blood pressure needs both systolic and diastolic")
    elif systolic is not None and diastolic is not None and diastolic >= systolic:
        errors["diastolic"] = N_("Diastolic must be lower than systolic")
    if not values and not errors:
        errors["systolic"] = N_("Enter at least one vital sign")
    return VitalsEntry(values), errors


def _child_limit_of(key: str, age_years: int | None) -> float | None:
    band = _child_limit(age_years)
    if band is None or key not in ("weight", "height"):
        return None
    return band.weight_kg if key == "weight" else band.height_cm


def body_mass_index(weight_kg: float, height_cm: float) -> float:
    """BMI = weight (kg) / height (m) squared, to one decimal (WHO's definition)."""
    metres = height_cm / 100
    return round(weight_kg / (metres * metres), 1)
