"""Vital-sign Observations whose values fit the patient's age and problems."""

from __future__ import annotations

from typing import Any

from clinic_tui.demo.context import LOINC, UCUM, DemoContext, DemoRandom, new_id
from clinic_tui.demo.people import PatientFacts
from clinic_tui.domain.fhir import Resource
from clinic_tui.i18n import N_

_CATEGORY = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs",
                "display": "Vital Signs",
            }
        ],
        "text": "生命体征",
    }
]


def _code(loinc: str, display: str, zh: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": loinc, "display": display}], "text": zh}


BP_PANEL = _code("85354-9", "Blood pressure panel with all children optional", "血压")
SYSTOLIC = _code("8480-6", "Systolic blood pressure", "收缩压")
DIASTOLIC = _code("8462-4", "Diastolic blood pressure", "舒张压")
HEART_RATE = _code("8867-4", N_("Heart rate"), "心率")
TEMPERATURE = _code("8310-5", "Body temperature", "体温")
SPO2 = _code("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "血氧饱和度")
WEIGHT = _code("29463-7", N_("Body weight"), "体重")
RESPIRATORY_RATE = _code("9279-1", N_("Respiratory rate"), "呼吸频率")


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


class VitalsProfile:
    """A patient's usual readings, so repeated visits vary around the same values."""

    def __init__(self, rng: DemoRandom, patient: PatientFacts, problems: set[str]) -> None:
        age = patient.age
        self.adult = age >= 14
        self.copd = "J44.9" in problems
        self.systolic: float
        self.diastolic: float
        self.weight: float
        if age < 14:
            self.systolic, self.diastolic = 95 + age * 1.5, 58.0 + age
            self.heart_rate = 125 - age * 3.5
            self.weight = 3.5 + age * 2.6 if age < 12 else 30.0 + (age - 11) * 5
        else:
            self.systolic = 108 + max(0, age - 30) * 0.45 + rng.gauss(0, 6)
            self.diastolic = 68 + max(0, age - 30) * 0.15 + rng.gauss(0, 4)
            self.heart_rate = 74 + rng.gauss(0, 6)
            self.weight = (68.0 if not patient.female else 56.0) + rng.gauss(0, 7)
        if "I10" in problems:
            # Treated but rarely at target in rural clinics.
            self.systolic += 22 + rng.random() * 18
            self.diastolic += 10 + rng.random() * 8
        if "E11.9" in problems:
            self.weight += 6
        if self.copd:
            self.heart_rate += 8
        self.weight *= 1 + rng.gauss(0, 0.08)

    def observations(
        self,
        rng: DemoRandom,
        context: DemoContext,
        patient: PatientFacts,
        encounter: dict[str, str],
        effective: str,
        *,
        febrile: bool,
        respiratory: bool,
        weigh: bool,
    ) -> list[Resource]:
        """The vital signs taken at one visit."""

        def observation(code: dict[str, Any], **value: Any) -> Resource:
            return {
                "resourceType": "Observation",
                "id": new_id(rng),
                "meta": context.meta,
                "status": "final",
                "category": _CATEGORY,
                "code": code,
                "subject": patient.ref,
                "encounter": encounter,
                "effectiveDateTime": effective,
                **value,
            }

        found: list[Resource] = []
        if self.adult:
            systolic = round(self.systolic + rng.gauss(0, 7))
            diastolic = round(min(self.diastolic + rng.gauss(0, 5), systolic - 25))
            found.append(
                observation(
                    BP_PANEL,
                    component=[
                        {"code": SYSTOLIC, "valueQuantity": _quantity(systolic, "mmHg", "mm[Hg]")},
                        {
                            "code": DIASTOLIC,
                            "valueQuantity": _quantity(diastolic, "mmHg", "mm[Hg]"),
                        },
                    ],
                )
            )
        rate = self.heart_rate + rng.gauss(0, 5) + (12 if febrile else 0)
        found.append(
            observation(HEART_RATE, valueQuantity=_quantity(round(rate), N_("/min"), N_("/min")))
        )
        if febrile or not self.adult or rng.random() < 0.25:
            celsius = 37.6 + rng.random() * 1.8 if febrile else 36.2 + rng.random() * 0.9
            found.append(
                observation(TEMPERATURE, valueQuantity=_quantity(round(celsius, 1), "°C", "Cel"))
            )
        if respiratory or self.copd:
            saturation = 89 + rng.random() * 6 if self.copd else 95 + rng.random() * 4
            found.append(observation(SPO2, valueQuantity=_quantity(round(saturation), "%", "%")))
            breaths = 19 + rng.random() * 6 if self.copd else 15 + rng.random() * 5
            found.append(
                observation(
                    RESPIRATORY_RATE,
                    valueQuantity=_quantity(round(breaths), N_("/min"), N_("/min")),
                )
            )
        if weigh:
            kilograms = round(self.weight + rng.gauss(0, 0.8), 1)
            found.append(observation(WEIGHT, valueQuantity=_quantity(kilograms, "kg", "kg")))
        return found
