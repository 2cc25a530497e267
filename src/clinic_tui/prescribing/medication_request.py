"""A DraftOrder as an R4 MedicationRequest, and back (for renew and change).

`medication_request_for` builds the resource the sign step writes through the outbox:
status active, intent order, medicationCodeableConcept (WHO ATC coding, the formulary's own
code, text in both names), subject, encounter, requester, authoredOn, groupIdentifier (one
slip), one dosageInstruction (text, timing.repeat, asNeededBoolean, route, doseQuantity in
UCUM), dispenseRequest (quantity in dispensable units, expectedSupplyDuration in days) and
a note holding the line exactly as typed.

Overrides of high-severity warnings are recorded on the resource as one extension each:

    {"url": "urn:clinic-tui:fhir:extension:override",
     "extension": [
        {"url": "warning", "valueString": <SafetyWarning.key>},
        {"url": "reason", "valueCoding": {"system": "urn:clinic-tui:codesystem:override-reason",
                                          "code": <OverrideReason.code>,
                                          "display": <OverrideReason.text_en>}},
        {"url": "comment", "valueString": <the prescriber's free text>},        (when given)
        {"url": "by", "valueReference": {"reference": "Practitioner/..."}}]}     (when known)

The clinical content that checked the order (content.py: each rule table's [meta] version)
is recorded in one more extension, one part per table, so an audit can tell which tables a
signed order was checked against (an extension rather than meta.tag: tags are for workflow
and security labels, and a server may rewrite them):

    {"url": "urn:clinic-tui:fhir:extension:clinical-content",
     "extension": [{"url": "starter_formulary.toml", "valueString": "2026.12.1"}, ...]}

An extension rather than DetectedIssue resources: the override travels with the order in
one PUT through the outbox (no second resource to sync or to lose), and R4 servers keep
unknown extensions as they are. The warning key is the checks' stable identity of a finding,
so re-checking a renewed order finds the override again.

Routes are SNOMED CT codes from FHIR R4's "SNOMED CT Route Codes" value set
(hl7.org/fhir/R4/valueset-route-codes.html); doses are UCUM (unitsofmeasure.org), with
dispensable units as UCUM annotations ({tablet}), which UCUM defines as the unit 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from clinic_tui.prescribing.formulary import Formulary
from clinic_tui.prescribing.model import DraftOrder, Frequency, Override, Product
from clinic_tui.prescribing.order_line import quantity_for

Resource = dict[str, Any]

ATC_SYSTEM = "http://www.whocc.no/atc"
FORMULARY_SYSTEM = "urn:clinic-tui:formulary"
"""The formulary's own drug code: tells apart drugs that share an ATC code (nifedipine SR)."""
PRESCRIPTION_SYSTEM = "urn:clinic-tui:prescription"
"""groupIdentifier system: one value per slip (as the demo clinic writes them)."""
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OVERRIDE_URL = "urn:clinic-tui:fhir:extension:override"
CONTENT_URL = "urn:clinic-tui:fhir:extension:clinical-content"
"""The extension naming the rule tables' versions that checked the order."""
OVERRIDE_REASON_SYSTEM = "urn:clinic-tui:codesystem:override-reason"

ROUTES: dict[str, tuple[str, str, str]] = {
    "po": ("26643006", "Oral route", "口服"),
    "iv": ("47625008", "Intravenous route", "静脉给药"),
    "im": ("78421000", "Intramuscular route", "肌内注射"),
    "sc": ("34206005", "Subcutaneous route", "皮下注射"),
    "inh": ("447694001", "Respiratory tract route", "吸入"),
    "top": ("6064005", "Topical route", "外用"),
    "sl": ("37839007", "Sublingual route", "舌下含服"),
    "pr": ("37161004", "Rectal route", "直肠给药"),
    "eye": ("54485002", "Ophthalmic route", "滴眼"),
}
"""Route code -> (SNOMED CT code, its display, the words on a Chinese slip)."""

_UCUM_UNITS = {"mg": "mg", "g": "g", "µg": "ug", "μg": "ug", "ug": "ug", "iu": "[IU]",
               "ml": "mL"}  # fmt: skip


def ucum(unit: str) -> str:
    """The UCUM code of a dose unit (µg -> ug, IU -> [IU]); unknown units as UCUM annotations."""
    return _UCUM_UNITS.get(unit.casefold(), "{" + unit + "}")


def dosage_text(order: DraftOrder) -> str:
    """The sig in words, Chinese then the code: '500 mg 口服 每日三次 tid 饭后 7天'."""
    route_zh = ROUTES.get(order.route, ("", "", order.route))[2]
    parts = [f"{order.dose:g} {order.dose_unit}", route_zh, order.frequency.text_zh]
    parts.append(order.frequency.code)
    if order.instructions:
        parts.append(order.instructions)
    if order.duration_days:
        parts.append(f"{order.duration_days}天")
    return " ".join(part for part in parts if part)


def _timing(frequency: Frequency, days: int | None) -> Resource:
    code = frequency.code.removesuffix(" prn")
    repeat: Resource
    if code == "stat":
        repeat = {"count": 1}
    elif code.startswith("q") and code.endswith("h") and code[1:-1].replace(".", "").isdigit():
        repeat = {"frequency": 1, "period": float(code[1:-1]), "periodUnit": "h"}
    elif code == "qod":
        repeat = {"frequency": 1, "period": 2, "periodUnit": "d"}
    elif code == "qw":
        repeat = {"frequency": 1, "period": 1, "periodUnit": "wk"}
    else:
        repeat = {"frequency": max(1, round(frequency.per_day)), "period": 1, "periodUnit": "d"}
        if code == "qn":
            repeat["when"] = ["HS"]
    if isinstance(repeat.get("period"), float) and repeat["period"].is_integer():
        repeat["period"] = int(repeat["period"])
    if days and code != "stat":
        repeat["boundsDuration"] = {"value": days, "unit": "d", "system": UCUM, "code": "d"}
    return {"repeat": repeat}


def override_extension(override: Override) -> Resource:
    """One override as the extension described in the module docstring."""
    parts: list[Resource] = [
        {"url": "warning", "valueString": override.warning_key},
        {
            "url": "reason",
            "valueCoding": {
                "system": OVERRIDE_REASON_SYSTEM,
                "code": override.reason.code,
                "display": override.reason.text_en,
            },
        },
    ]
    if override.comment.strip():
        parts.append({"url": "comment", "valueString": override.comment.strip()})
    if override.by:
        parts.append({"url": "by", "valueReference": {"reference": override.by}})
    return {"url": OVERRIDE_URL, "extension": parts}


def medication_request_for(
    order: DraftOrder,
    patient_id: str,
    encounter_id: str | None,
    requester: dict[str, Any],
    group_id: str,
    authored_on: datetime | str,
    overrides: list[Override],
    request_id: str | None = None,
    content: Mapping[str, str] | None = None,
) -> Resource:
    """The R4 MedicationRequest for one signed line (see the module docstring); `content`:
    table name -> version of the clinical content that checked it (CONTENT_URL)."""
    drug, product = order.drug, order.product
    route_code, route_display, route_zh = ROUTES[order.route]
    dosage: Resource = {
        "text": dosage_text(order),
        "timing": _timing(order.frequency, order.duration_days),
        "route": {
            "coding": [{"system": SNOMED, "code": route_code, "display": route_display}],
            "text": route_zh,
        },
        "doseAndRate": [
            {
                "doseQuantity": {
                    "value": order.dose,
                    "unit": order.dose_unit,
                    "system": UCUM,
                    "code": ucum(order.dose_unit),
                }
            }
        ],
    }
    if order.frequency.as_needed:
        dosage["asNeededBoolean"] = True
    if order.instructions:
        dosage["patientInstruction"] = order.instructions
    dispense: Resource = {
        "quantity": {
            "value": order.quantity,
            "unit": order.quantity_unit_zh or order.quantity_unit,
            "system": UCUM,
            "code": "{" + order.quantity_unit + "}",
        }
    }
    if order.duration_days:
        dispense["expectedSupplyDuration"] = {
            "value": order.duration_days,
            "unit": "天",
            "system": UCUM,
            "code": "d",
        }
    strength = f"{product.strength:g} {product.strength_unit}"
    resource: Resource = {"resourceType": "MedicationRequest"}
    if request_id:
        resource["id"] = request_id
    extensions = [override_extension(item) for item in overrides]
    if content:
        parts = [{"url": name, "valueString": version} for name, version in content.items()]
        extensions.append({"url": CONTENT_URL, "extension": parts})
    if extensions:
        resource["extension"] = extensions
    authored = authored_on.isoformat() if isinstance(authored_on, datetime) else authored_on
    resource.update(
        {
            "status": "active",
            "intent": "order",
            "groupIdentifier": {"system": PRESCRIPTION_SYSTEM, "value": group_id},
            "medicationCodeableConcept": {
                "coding": [
                    {"system": ATC_SYSTEM, "code": drug.atc, "display": drug.name_en},
                    {"system": FORMULARY_SYSTEM, "code": drug.code, "display": drug.name_zh},
                ],
                "text": f"{drug.name_zh} {drug.name_en} {strength}",
            },
            "subject": {"reference": f"Patient/{patient_id}"},
            "authoredOn": authored,
            "requester": requester,
            "note": [{"text": order.text}],
            "dosageInstruction": [dosage],
            "dispenseRequest": dispense,
        }
    )
    if not drug.atc:
        resource["medicationCodeableConcept"]["coding"].pop(0)
    if encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    if order.replaces:
        resource["priorPrescription"] = {"reference": f"MedicationRequest/{order.replaces}"}
    return resource


def overrides_on(resource: Resource) -> list[tuple[str, str, str]]:
    """(warning key, reason code, comment) of each override recorded on a MedicationRequest."""
    found = []
    for extension in resource.get("extension") or []:
        if not isinstance(extension, dict) or extension.get("url") != OVERRIDE_URL:
            continue
        parts = {
            part.get("url"): part for part in extension.get("extension") or []
            if isinstance(part, dict)
        }  # fmt: skip
        reason = (parts.get("reason") or {}).get("valueCoding") or {}
        found.append(
            (
                str((parts.get("warning") or {}).get("valueString", "")),
                str(reason.get("code", "")),
                str((parts.get("comment") or {}).get("valueString", "")),
            )
        )
    return found


# ---------------------------------------------------------------- back to a DraftOrder


_FREQUENCY_WORDS = {
    "qd": ("once a day", "每日一次"),
    "bid": ("twice a day", "每日两次"),
    "tid": ("three times a day", "每日三次"),
    "qid": ("four times a day", "每日四次"),
    "qn": ("once a night, at bedtime", "每晚一次"),
    "qod": ("every other day", "隔日一次"),
    "qw": ("once a week", "每周一次"),
    "stat": ("once, now", "立即一次"),
}


def draft_from_medication_request(resource: Resource, formulary: Formulary) -> DraftOrder | None:
    """The DraftOrder a MedicationRequest describes (to renew or change it), or None.

    None when its drug is not in the formulary, or its dose, route or timing cannot be read
    into an order the parser could have made (the screen then asks for the line afresh).
    """
    try:
        return _draft(resource, formulary)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


def _draft(resource: Resource, formulary: Formulary) -> DraftOrder | None:
    concept = resource.get("medicationCodeableConcept") or {}
    drug = None
    for coding in concept.get("coding") or []:
        if coding.get("system") == FORMULARY_SYSTEM:
            drug = formulary.find(str(coding.get("code", "")))
        elif coding.get("system") == ATC_SYSTEM and drug is None:
            drug = formulary.by_atc(str(coding.get("code", "")))
        if drug is not None and coding.get("system") == FORMULARY_SYSTEM:
            break
    if drug is None and concept.get("text"):
        drug = formulary.find(str(concept["text"]))
    if drug is None:
        return None
    dosage = (resource.get("dosageInstruction") or [{}])[0]
    dose_quantity = dosage["doseAndRate"][0]["doseQuantity"]
    dose = float(dose_quantity["value"])
    unit = str(dose_quantity.get("unit") or dose_quantity.get("code") or "")
    base = drug.products[0].strength_unit
    factor = {"g": 1000.0, "mg": 1.0, "µg": 0.001, "ug": 0.001, "mcg": 0.001}
    if unit != base and unit in factor and base in factor:
        dose = round(dose * factor[unit] / factor[base], 9)
    elif unit not in (base, ucum(base)):
        return None
    product = _product(drug.products, dose)
    if product is None:
        return None
    route = drug.routes[0]
    for coding in (dosage.get("route") or {}).get("coding") or []:
        for key, (code, _, _) in ROUTES.items():
            if coding.get("code") == code:
                route = key
    frequency = _frequency(dosage)
    if frequency is None:
        return None
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    days: int | None = None
    bounds = repeat.get("boundsDuration") or {}
    supply = (resource.get("dispenseRequest") or {}).get("expectedSupplyDuration") or {}
    for duration in (bounds, supply):
        if duration.get("value") is not None:
            per = {"d": 1, "wk": 7, "mo": 30}.get(str(duration.get("code", "d")), 1)
            days = math.ceil(float(duration["value"]) * per)
            break
    units_per_dose = dose / product.strength
    quantity, unit_en, unit_zh = quantity_for(product, units_per_dose, frequency.per_day, days)
    instructions = str(dosage.get("patientInstruction") or "")
    text = _line_text(drug.code, dose, base, route, frequency, days, instructions)
    return DraftOrder(
        text=text,
        drug=drug,
        product=product,
        dose=dose,
        dose_unit=base,
        route=route,
        frequency=frequency,
        duration_days=days,
        quantity=quantity,
        quantity_unit=unit_en,
        instructions=instructions,
        replaces=str(resource["id"]) if resource.get("id") else None,
        quantity_unit_zh=unit_zh,
    )


def _product(products: tuple[Product, ...], dose: float) -> Product | None:
    fits = []
    for product in products:
        units = dose / product.strength
        if abs(units - round(units)) < 1e-6 and round(units) >= 1:
            fits.append((round(units), product))
    return min(fits, key=lambda fit: fit[0])[1] if fits else None


def _frequency(dosage: Resource) -> Frequency | None:
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    as_needed = bool(dosage.get("asNeededBoolean"))
    words = ("", "")
    if repeat.get("count") == 1 and "frequency" not in repeat:
        code, per_day = "stat", 1.0
    else:
        frequency = float(repeat.get("frequency", 1))
        period = float(repeat.get("period", 1))
        unit = repeat.get("periodUnit", "d")
        if unit == "h":
            code, per_day = f"q{period / frequency:g}h", 24 * frequency / period
            words = (f"every {period / frequency:g} hours", f"每{period / frequency:g}小时一次")
        elif unit == "d" and period == 1 and frequency in (1, 2, 3, 4):
            code = {1: "qd", 2: "bid", 3: "tid", 4: "qid"}[int(frequency)]
            if code == "qd" and "HS" in (repeat.get("when") or []):
                code = "qn"
            per_day = frequency
        elif unit == "d" and period == 2 and frequency == 1:
            code, per_day = "qod", 0.5
        elif unit == "wk" and period == 1 and frequency == 1:
            code, per_day = "qw", 1 / 7
        else:
            return None
    en, zh = _FREQUENCY_WORDS.get(code) or words
    if as_needed:
        return Frequency(f"{code} prn", per_day, True, f"when needed, at most {en}",
                         f"必要时，最多{zh}")  # fmt: skip
    return Frequency(code, per_day, False, en, zh)


def _line_text(
    code: str,
    dose: float,
    unit: str,
    route: str,
    frequency: Frequency,
    days: int | None,
    instructions: str,
) -> str:
    """The order line the parser reads back into the same order."""
    parts = [code, f"{dose:g}{unit}", route, frequency.code]
    if days:
        parts.append(f"{days}d")
    if instructions:
        parts.append(instructions)
    return " ".join(parts)
