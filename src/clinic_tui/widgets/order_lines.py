"""How the order screen words a basket line and its warnings: text first, colour second.

Pure rendering (Rich Text from the prescribing model), so the basket, the override
dialog and the tests show the same words. A warning's severity is always a word with a
mark (`!! HIGH`, `! MODERATE`, `i INFO`), never a colour alone.
"""

from __future__ import annotations

from rich.text import Text

from clinic_tui.i18n import N_, language, tr
from clinic_tui.prescribing.model import (
    DraftOrder,
    FormularyDrug,
    Override,
    SafetyWarning,
    Severity,
)
from clinic_tui.prescribing.sig_words import ROUTE_EN
from clinic_tui.widgets.data_text import data_block, data_text

FORM_WORDS_EN = {
    "oral-solution": "oral solution",
    "eye-drops": "eye drops",
    "capsule-ec": "gastro-resistant capsule",
    "capsule-sr": "prolonged-release capsule",
    "tablet-ec": "gastro-resistant tablet",
    "tablet-sr": "prolonged-release tablet",
    "tablet-cr": "controlled-release tablet",
    "tablet-mr": "modified-release tablet",
    "tablet-sl": "sublingual tablet",
    "injection-pen": "pen injector",
    "dry-powder-inhaler": "inhalation powder",
    "powder": "oral powder",
}
"""Formulary form codes whose English words differ from the code."""

# In Chinese, form_words() translates the code itself: these codes are msgids.
_FORM_CODES = (
    N_("oral-solution"),
    N_("capsule-ec"),
    N_("capsule-sr"),
    N_("tablet-ec"),
    N_("tablet-sr"),
    N_("tablet-cr"),
    N_("tablet-mr"),
    N_("tablet-sl"),
    N_("injection-pen"),
    N_("dry-powder-inhaler"),
    N_("powder"),
    N_("granules"),
    N_("suspension"),
    N_("injection"),
    N_("inhaler"),
    N_("cream"),
    N_("tablet"),
    N_("capsule"),
)


def form_words(form: str) -> str:
    """A formulary dosage form in the clinician's words ('gastro-resistant capsule', '肠溶胶囊')."""
    return tr(form) if language() == "zh" else FORM_WORDS_EN.get(form, form)


SEVERITY_WORDS: dict[Severity, tuple[str, str, str]] = {
    Severity.HIGH: ("!!", N_("HIGH"), "bold red"),
    Severity.MODERATE: ("!", N_("MODERATE"), "bold yellow"),
    Severity.INFO: ("i", N_("INFO"), "dim"),
}
"""Severity -> (text mark, English word for tr, style)."""

ROUTE_WORDS = ROUTE_EN
"""Route codes in the order screen's English words (one table: prescribing/sig_words.py;
tr gives the Chinese)."""


def drug_name(drug: FormularyDrug) -> str:
    """通用名 and English name, the interface language's first."""
    if language() == "zh":
        return f"{drug.name_zh} {drug.name_en}".strip()
    return f"{drug.name_en} {drug.name_zh}".strip()


def amount(value: float, unit: str) -> str:
    """500 mg, 0.5 g, 2.5 mL: no trailing zeros."""
    return f"{value:g} {unit}".strip()


def route_words(route: str) -> str:
    """'oral' / '口服' for po; an unknown code as typed."""
    return tr(ROUTE_WORDS[route]) if route in ROUTE_WORDS else route


def frequency_words(order: DraftOrder) -> str:
    """As the slip prints it: 'three times a day' / '每日三次' (the code when no words)."""
    frequency = order.frequency
    words = frequency.text_zh if language() == "zh" else frequency.text_en
    words = words or frequency.code
    if frequency.as_needed and tr("as needed") not in words and "prn" not in words.lower():
        words = f"{words} {tr('as needed')}"
    return words


def order_text(index: int, order: DraftOrder, *, changed: bool = False) -> Text:
    """One basket row: drug and strength, dose route frequency, days, quantity and unit."""
    product = order.product
    unit = product.unit_zh if language() == "zh" else product.unit_en
    text = Text()
    text.append(f"{index + 1}. ", style="bold")
    text.append_text(data_text(drug_name(order.drug), "bold"))
    text.append(f" {amount(product.strength, product.strength_unit)}")
    if product.form:
        text.append(f" {form_words(product.form)}", style="dim")
    text.append("\n   ")
    text.append(f"{amount(order.dose, order.dose_unit)} {route_words(order.route)} ")
    text.append(frequency_words(order))
    if order.duration_days is not None:
        text.append(" · " + tr("{days} d").format(days=order.duration_days))
    counted = order.quantity_unit_zh if language() == "zh" else order.quantity_unit
    text.append(" · " + total_words(order.quantity, counted or order.quantity_unit or unit))
    if order.instructions:
        text.append_text(data_text(f" · {order.instructions}"))
    if order.replaces:
        text.append(f"  [{tr('changes') if changed else tr('renews')}]", style="italic")
    return text


MEASURES = {"mg", "g", "kg", "mcg", "µg", "ml", "l", "iu", "mmol", "%"}
"""Units of measure: written the same for any amount (a count's unit takes a plural)."""


def unit_words(quantity: float, unit: str) -> str:
    """'21 capsules', '1 tablet', '100 mL'; in Chinese the unit as it is ('21 粒')."""
    if language() == "zh" or quantity == 1 or not unit.isalpha() or unit.lower() in MEASURES:
        return f"{quantity:g} {unit}".strip()
    if unit.endswith(("s", "x", "ch", "sh")):
        plural = unit + "es"
    elif unit.endswith("y") and unit[-2:-1] not in ("a", "e", "i", "o", "u"):
        plural = unit[:-1] + "ies"
    else:
        plural = unit + "s"
    return f"{quantity:g} {plural}"


def total_words(quantity: float, unit: str) -> str:
    """The supply in the session's language: 'total 21 capsules' / '共 21 粒'."""
    return f"{tr('total')} {unit_words(quantity, unit)}"


def severity_label(severity: Severity) -> Text:
    """'!! HIGH' in its colour: the mark and the word carry it without colour."""
    mark, word, style = SEVERITY_WORDS[severity]
    return Text(f"{mark} {tr(word)}", style=style)


def warning_message(warning: SafetyWarning) -> str:
    """The finding in the interface language."""
    return warning.message_zh if language() == "zh" and warning.message_zh else warning.message_en


SOURCE_SHOWN = 100
"""Characters of a source the basket shows (the override dialog shows it whole)."""


def short_source(source: str) -> str:
    """A citation up to its first colon (the title and section), cut to SOURCE_SHOWN."""
    cut = min((i for i in (source.find(":"), source.find("：")) if i > 0), default=len(source))
    title = source[:cut].strip()
    return title if len(title) <= SOURCE_SHOWN else title[: SOURCE_SHOWN - 1] + "…"


def _colon() -> str:
    """A label's colon: full-width on a Chinese row."""
    return "：" if language() == "zh" else ": "


def warning_text(
    warning: SafetyWarning, override: Override | None, *, whole: bool = False, verdict: bool = True
) -> Text:
    """A warning: severity in words, the finding, what it is against, the source, the override.

    The caller indents it (rich Padding) so wrapped lines stay under their line. `whole`
    gives the source's full citation; `verdict` False leaves out whether it is overridden.
    """
    text = severity_label(warning.severity)
    # A no-break space: a Chinese message (no spaces of its own) starts beside its severity
    # instead of jumping whole to the next line.
    # Findings quote the record (an allergy's substance, a medication's name): data.
    text.append_text(data_block(f"\u00a0{warning_message(warning)}"))
    details = []
    # What it is against in the session's language: a Chinese row never says "Penicillin".
    other = warning.other_zh if language() == "zh" and warning.other_zh else warning.other
    if other:
        details.append(f"{tr('against')}{_colon()}{data_text(other).plain}")
    if warning.source:
        source = tr(warning.source) if whole else short_source(tr(warning.source))
        details.append(f"{tr('source')}{_colon()}{source}")
    if details:
        text.append("\n" + " · ".join(details), style="dim")
    if verdict and warning.severity is Severity.HIGH:
        if not warning.overridable:
            text.append(f"\n✗ {tr('cannot be overridden: type the line again')}", style="bold red")
        elif override is not None:
            reason = override.reason.text_zh if language() == "zh" else override.reason.text_en
            comment = f" — {data_text(override.comment).plain}" if override.comment else ""
            text.append(f"\n✓ {tr('overridden')}{_colon()}{reason}{comment}", style="bold")
        else:
            text.append(f"\n✗ {tr('needs an override to sign')}", style="bold red")
    return text
