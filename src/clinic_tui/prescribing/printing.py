"""Print a signed slip: its PDF under the data folder (slips/), then `lp` when configured.

The slip's data come from the cache: the clinic, the patient (name, sex, age, number),
the visit's diagnoses (else the active problems), the slip's MedicationRequests (read
back into order lines through the formulary, or the lines just signed), who signed
(slip_prescriber) and when. rx-slip's renderer draws it; its send_to_printer queues it.
The PDF is always written first, so a missing `lp` or a failing printer loses nothing:
the outcome names the file and says in words why it was not printed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.domain.fhir import Resource, reference_id
from clinic_tui.prescribing.medication_request import draft_from_medication_request
from clinic_tui.prescribing.model import DraftOrder
from clinic_tui.prescribing.prescriber import (
    LONG_TERM_REASON_EXTENSION,
    SLIP_TYPE_EXTENSION,
    Prescriber,
    PrescribingError,
)
from clinic_tui.prescribing.slip import (
    SLIP_KINDS,
    SlipData,
    render_slip_pdf,
    slip_data_for,
    slip_glyph_problems,
)
from clinic_tui.prescribing.slip_printer import Runner, send_to_printer

if TYPE_CHECKING:
    from clinic_tui.domain.models import Chart
    from clinic_tui.prescribing.formulary import Formulary

NARCOTIC_SLIP = "narcotic-psychotropic-1"
"""The slip kind that carries the patient's identity document (处方管理办法 第二十六条)."""


@dataclass(frozen=True)
class PrintOutcome:
    """Where the slip's PDF is, and what became of the print job."""

    path: Path
    printer: str | None
    """The printer it was queued on; None when none is configured or it failed."""
    problem_en: str = ""
    problem_zh: str = ""
    """Why it was not printed, when a printer was configured and it was not."""

    def problem(self, zh: bool) -> str:
        """Why it was not printed, in the interface language ('' when it was, or none asked)."""
        return self.problem_zh if zh else self.problem_en


def slip_file(slips_dir: Path, group_id: str, signed: datetime) -> Path:
    """slips/2026-11-24/0930-<group>.pdf: by day, then time, unique per slip (a reprint
    goes beside it, 0930-<group>-2.pdf: see slip.render_slip_pdf)."""
    day = slips_dir / signed.date().isoformat()
    return day / f"{signed:%H%M}-{group_id[:8]}.pdf"


SLIP_NUMBER_LENGTH = 8
"""Characters of the groupIdentifier printed as the slip's number: a whole UUID overruns the
field, and the first eight find the slip in a clinic's records."""


def slip_number(group_id: str) -> str:
    """The number printed on the slip: the start of its groupIdentifier, in capitals."""
    return group_id.replace("-", "")[:SLIP_NUMBER_LENGTH].upper()


def _kind(requests: Sequence[Resource]) -> str:
    for extension in requests[0].get("extension") or []:
        if extension.get("url") == SLIP_TYPE_EXTENSION and extension.get("valueCode") in SLIP_KINDS:
            return str(extension["valueCode"])
    return "ordinary"


def _supply_reason(requests: Sequence[Resource]) -> str:
    """The reason the prescriber gave for a supply beyond the slip's day limit, if any."""
    for extension in requests[0].get("extension") or []:
        if extension.get("url") == LONG_TERM_REASON_EXTENSION:
            return str(extension.get("valueString") or "")
    return ""


def _signed_at(requests: Sequence[Resource], fallback: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(requests[0].get("authoredOn")))
    except ValueError:
        return fallback


def _orders(requests: Sequence[Resource], formulary: Formulary) -> list[DraftOrder]:
    orders = []
    for request in requests:
        order = draft_from_medication_request(request, formulary)
        if order is None:
            name = (request.get("medicationCodeableConcept") or {}).get("text") or request["id"]
            raise PrescribingError(f"{name} cannot be read back into a slip line")
        orders.append(order)
    return orders


PERSON_REQUESTERS = ("Practitioner", "PractitionerRole")
"""Requester types whose display names a doctor; an Organization's names the clinic."""


def slip_prescriber(requests: Sequence[Resource], prescriber: Prescriber) -> str:
    """The 医师 the slip names: whoever signed its MedicationRequests (their requester).

    The signed-in clinician's name when they signed it, else the cached Practitioner's,
    else the name the order carries; '' when none is known, so the slip leaves the 医师
    line blank to be written by hand (处方标准 后记: 医师签名). Never an id, never the
    clinic's name: a slip the clinic signed (no one signed in) names no doctor.
    """
    requester = requests[0].get("requester")
    if not isinstance(requester, dict):
        return ""
    practitioner = reference_id(requester, "Practitioner")
    if practitioner is not None:
        if practitioner == prescriber.practitioner_id and prescriber.practitioner_name:
            return prescriber.practitioner_name
        cached = prescriber.practitioner_name_of(practitioner)
        if cached:
            return cached
    reference = str(requester.get("reference") or "")
    kind = reference.rstrip("/").rpartition("/")[0].rsplit("/", 1)[-1]
    display = str(requester.get("display") or "").strip()
    if kind and kind not in PERSON_REQUESTERS:
        return ""
    return "" if display == prescriber.clinic.name else display


def _number_of(chart: Chart) -> tuple[str, str]:
    """(the slip's 门诊/住院病历号, the identity number).

    The record number is the patient's identifier typed MR (HL7 v2-0203 medical record
    number), or blank to be written by hand: never the identity number, which only a
    麻、精一 slip carries, in its own field (第二十六条), nor the cache's record id.
    """
    identity = next((value for label, value in chart.identifiers if label == "Identity number"), "")
    record = next(
        (value for label, value in chart.identifiers if label == "Medical record number"), ""
    )
    return record, identity


@dataclass(frozen=True)
class PreparedSlip:
    """A slip read and laid out in words, not drawn yet: what printing asks about first."""

    data: SlipData
    path: Path
    """Where the PDF goes (or beside it, when a slip of that name is there already)."""
    glyph_problems: dict[str, str]
    """Characters of the name ("name") or diagnoses ("diagnosis") the font cannot draw."""

    @property
    def missing(self) -> str:
        """Every character the slip will print as □, each once."""
        return "".join(dict.fromkeys("".join(self.glyph_problems.values())))


def prepare_slip(
    prescriber: Prescriber,
    chart: Chart,
    group_id: str,
    formulary: Formulary,
    now: datetime,
    slips_dir: Path,
    *,
    lang: str = "zh",
    orders: Sequence[DraftOrder] | None = None,
) -> PreparedSlip:
    """Slip `group_id` of `chart`'s patient, with what its font lacks; nothing written yet.

    `orders` are the lines just signed (else they are read back from the cache).
    """
    requests = prescriber.slip_requests(group_id)
    if not requests:
        raise PrescribingError("This slip is not in the cache")
    patient = chart.patient
    if patient.birth_date is None:
        raise PrescribingError("The patient's birth date is not recorded: a slip states the age")
    lines = list(orders) if orders is not None else _orders(requests, formulary)
    signed = _signed_at(requests, now)
    encounter = (requests[0].get("encounter") or {}).get("reference", "").split("/")[-1]
    number, identity = _number_of(chart)
    kind = _kind(requests)
    data = slip_data_for(
        lines,
        kind=kind,
        slip_number=slip_number(group_id),
        clinic_name=prescriber.clinic.name,
        patient_name=patient.name,
        sex=str(patient.gender),
        birth_date=patient.birth_date,
        patient_id=number,
        diagnoses=prescriber.slip_diagnoses(patient.id, encounter or None),
        issued=signed.date() if isinstance(signed, datetime) else date.today(),
        prescriber=slip_prescriber(requests, prescriber),
        lang="en" if lang == "en" else "zh",
        id_document=identity if kind == NARCOTIC_SLIP else "",
        supply_reason=_supply_reason(requests),
    )
    path = slip_file(slips_dir, group_id, signed)
    return PreparedSlip(data, path, slip_glyph_problems(data))


def print_prepared(
    prepared: PreparedSlip, printer: str | None, run: Runner = subprocess.run
) -> PrintOutcome:
    """Draw the prepared slip's PDF (a new file, never over an earlier one); queue it when
    a printer is set."""
    path = render_slip_pdf(prepared.data, prepared.path)
    if not printer:
        return PrintOutcome(path, None)
    result = send_to_printer(path, printer, run)
    if result.ok:
        return PrintOutcome(path, printer)
    return PrintOutcome(path, None, result.message_en, result.message_zh)


def print_slip(
    prescriber: Prescriber,
    chart: Chart,
    group_id: str,
    formulary: Formulary,
    now: datetime,
    slips_dir: Path,
    printer: str | None,
    *,
    lang: str = "zh",
    orders: Sequence[DraftOrder] | None = None,
    run: Runner = subprocess.run,
) -> PrintOutcome:
    """prepare_slip then print_prepared, asking nothing."""
    prepared = prepare_slip(
        prescriber, chart, group_id, formulary, now, slips_dir, lang=lang, orders=orders
    )
    return print_prepared(prepared, printer, run)
