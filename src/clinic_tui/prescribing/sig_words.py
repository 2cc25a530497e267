"""A sig as clinic-tui's slips write it, in the session's language.

A signed order's dosage text (MedicationRequest.dosageInstruction.text) is written once,
Chinese then the code: '500 mg 口服 必要时，最多每6小时一次 q6h prn 3天'. An English session
reads the same words in English; any word this table does not know (a typed instruction,
another system's text) stays as recorded.
"""

from __future__ import annotations

import re

from clinic_tui.i18n import N_
from clinic_tui.prescribing.medication_request import ROUTES
from clinic_tui.prescribing.order_line import _FIXED_FREQUENCIES

ROUTE_EN = {
    "po": N_("oral"),
    "iv": N_("IV"),
    "im": N_("IM"),
    "sc": N_("SC"),
    "inh": N_("inhaled"),
    "top": N_("topical"),
    "sl": N_("sublingual"),
    "pr": N_("rectal"),
    "eye": "eye",
}
"""Route codes in the words of the order screen's English."""

_WORDS_EN: dict[str, str] = {zh: ROUTE_EN.get(code, display) for code, (_, display, zh) in
                             ROUTES.items()}  # fmt: skip
_WORDS_EN.update({freq.zh: freq.en for freq in _FIXED_FREQUENCIES.values()})
_WORDS_EN.update({"必要时": "as needed", "口服": "oral"})
_AS_NEEDED = "必要时，最多"
_DAYS = re.compile(r"(\d+)天")


def _word_en(word: str) -> str:
    if word in _WORDS_EN:
        return _WORDS_EN[word]
    if word.startswith(_AS_NEEDED) and word.removeprefix(_AS_NEEDED) in _WORDS_EN:
        return f"when needed, at most {_WORDS_EN[word.removeprefix(_AS_NEEDED)]}"
    days = _DAYS.fullmatch(word)
    if days:
        return f"{days.group(1)} d"
    return word


def sig_words(text: str, lang: str) -> str:
    """The dosage text in `lang`: Chinese as written; English word by word where known."""
    if lang == "zh":
        return text
    return " ".join(_word_en(word) for word in text.split(" ") if word)
