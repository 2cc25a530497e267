"""The code of the chart's forms and the front desk's dialogs, imported ahead of their keys.

Each form's module (and what it brings: the order screen's prescribing checks, the
referral form's diagnosis search) used to be imported on the key that opens it, and a
first open waited for it: 0.1-0.4 s of a first allergy, referral or order screen on the
2-core machine (benchmarks/form_open.py). The queue's background warm-up imports them
after the ORM, once the queue is on screen, so no key waits for an import.

Then the CJK font every PDF embeds is found and its character map read
(clinic_tui.cjk_font), so a first slip or visit list does not wait for them.

Only imports and the font: nothing here reads a patient or builds a screen, so nothing
of one patient can be left for another.
"""

from __future__ import annotations

import importlib
import logging
import threading

MODULES = (
    "clinic_tui.screens.chart",
    "clinic_tui.screens.allergy_form",
    "clinic_tui.screens.allergy_change_form",
    "clinic_tui.screens.vitals_form",
    "clinic_tui.screens.note_form",
    "clinic_tui.screens.problem_form",
    "clinic_tui.screens.problem_change_form",
    "clinic_tui.screens.complaint_form",
    "clinic_tui.screens.demographics_form",
    "clinic_tui.screens.refer_form",
    # What the referral form's read and its reason search bring (chart key r).
    "clinic_tui.screens.referrals",
    "clinic_tui.referral.store",
    "clinic_tui.referral.summary",
    "clinic_tui.terminology.diagnosis",
    "clinic_tui.screens.discard_dialog",
    "clinic_tui.screens.prescription",
    "clinic_tui.screens.prescription_dialogs",
    "clinic_tui.prescribing.checks",
    "clinic_tui.prescribing.context_reader",
    "clinic_tui.prescribing.prescriber",
    "clinic_tui.prescribing.slip_kinds",
    "clinic_tui.prescribing.overrides",
    "clinic_tui.prescribing.order_line",
    "clinic_tui.prescribing.content",
    "clinic_tui.prescribing.printing",
    "clinic_tui.screens.queue_status",
    "clinic_tui.screens.walk_in",
    "clinic_tui.screens.walk_in_dialogs",
    "clinic_tui.screens.patient_search",
    "clinic_tui.screens.followup_list",
    "clinic_tui.screens.followup_form",
    "clinic_tui.screens.followup_dialogs",
    "clinic_tui.followup.classify",
    "clinic_tui.followup.registry",
    "clinic_tui.cjk_font",
    "rich._emoji_codes",  # Rich's emoji table, first read by the walk-in search's markup
)
"""What the forms and dialogs import when they open, in the order a clinician meets them."""

imported = threading.Event()
"""Set once import_forms has run (benchmarks and tests wait on it)."""


def import_forms() -> None:
    """Import every module in MODULES, then find the PDFs' font; what fails is left for the
    key that needs it to report."""
    try:
        for name in MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # only a head start: the key that opens it says what is wrong
                logging.getLogger(__name__).debug("could not import %s", name, exc_info=True)
        try:
            from clinic_tui import cjk_font

            cjk_font.warm()  # a missing font is said when a PDF is asked for
        except Exception:
            logging.getLogger(__name__).debug("could not read the PDF font", exc_info=True)
    finally:
        imported.set()
