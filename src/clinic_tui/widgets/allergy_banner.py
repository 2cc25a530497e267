"""The allergy banner: the one line of a chart no prescriber may miss.

All three states are stated in words, and each carries a text marker and a
border as well as a colour, so the banner reads the same with NO_COLOR, on a
monochrome terminal, or to a colour-blind clinician.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from clinic_tui.domain.chart_entry import REACTIONS, SUBSTANCES
from clinic_tui.domain.models import Allergy, AllergyState
from clinic_tui.i18n import N_, language, tr
from clinic_tui.widgets.data_text import data_text, name_text
from clinic_tui.widgets.flow_text import FlowText

BANNER_FIELD_LIMIT = 80
"""A substance or a reaction is drawn with at most this many characters: the banner stays
a few lines however long a record's text is, and the chart below it stays in view."""


CRITICALITY_WORDS = {"unable-to-assess": "not assessed"}
"""FHIR criticality codes whose English words differ from the code (tr gives the Chinese)."""


def criticality_words(code: str) -> str:
    """An allergy's criticality in the clinician's words ('not assessed' / '未评估')."""
    if language() == "zh":
        return tr(code)
    return CRITICALITY_WORDS.get(code, code)


def _known_words() -> dict[str, tuple[str, str]]:
    """Each allergen and reaction of the allergy form's lists, by its Chinese and English."""
    known: dict[str, tuple[str, str]] = {}
    for zh, en in [*((s.zh, s.en) for s in SUBSTANCES), *((zh, en) for _, zh, en in REACTIONS)]:
        known[zh] = known[en.casefold()] = (zh, en)
    return known


KNOWN_WORDS = _known_words()
"""Words the banner may give in the other language: the SNOMED CT lists of chart_entry."""


def _cjk(word: str) -> bool:
    return any(unicodedata.east_asian_width(char) in ("W", "F") for char in word)


def session_words(text: str) -> str:
    """A record's allergen or reaction in the session's language: '青霉素 Penicillin' reads
    'Penicillin' in English and '青霉素' in Chinese, a known word alone is translated; any
    other text stays exactly as recorded (nothing a clinician wrote is ever dropped)."""
    zh = language() == "zh"
    known = KNOWN_WORDS.get(text.strip()) or KNOWN_WORDS.get(text.strip().casefold())
    if known is not None:
        return known[0] if zh else known[1]
    words = text.split(" ")
    halves = [i for i in range(1, len(words)) if _cjk(words[i]) != _cjk(words[i - 1])]
    if len(halves) != 1:
        return text
    first, second = " ".join(words[: halves[0]]), " ".join(words[halves[0] :])
    chinese, english = (first, second) if _cjk(words[0]) else (second, first)
    # Split only when both halves name the same known thing: 'Penicillin, 头孢' stays whole.
    pair = KNOWN_WORDS.get(chinese)
    if pair is None or KNOWN_WORDS.get(english.casefold()) != pair:
        return text
    return chinese if zh else english


RECORDED_MARKER = "!!"
"""Plain-text marker of recorded allergies: visible in any terminal and any colour scheme."""
UNRECORDED_MARKER = "??"
"""Plain-text marker of a chart whose allergy status nobody has recorded yet."""


def allergy_text(
    state: AllergyState, allergies: Sequence[Allergy], kept_at: str | None = None
) -> Text | FlowText:
    """The banner's words for one of the three allergy states.

    `kept_at` names the clinic keeping the records of a referred patient: nothing here
    then means "not downloaded", and the banner sends the prescriber to the referral.
    """
    if state is AllergyState.NO_KNOWN_ALLERGIES:
        return Text(tr("No known allergies (recorded)"), style="bold")
    if state is AllergyState.NOT_RECORDED and kept_at is not None:
        words = N_(
            "Allergies: see the referral summary (records kept at {clinic}) – ask before "
            "prescribing"
        )
        return Text.assemble(
            (f"{UNRECORDED_MARKER} ", "bold"),
            (tr(words).format(clinic=name_text(kept_at).plain), "bold"),
        )
    if state is AllergyState.NOT_RECORDED:
        return Text.assemble(
            (f"{UNRECORDED_MARKER} ", "bold"),
            (tr("Allergies not recorded – ask before prescribing"), "bold"),
        )
    zh = language() == "zh"
    # Chinese punctuation on a Chinese row: full-width colon and brackets.
    colon = "：" if zh else ": "
    fields = [Text(f"{tr('ALLERGIES')}{colon.strip()}", style="bold")]
    for allergy in allergies:
        # Each allergy carries its own marker, and its substance is paired with its reaction.
        field = Text(f"{RECORDED_MARKER} ", style="bold")
        # One language on the row: the record's words for the session (both when unsplittable).
        field.append_text(data_text(session_words(allergy.substance), limit=BANNER_FIELD_LIMIT))
        field.append(colon)
        if allergy.reaction:
            field.append_text(data_text(session_words(allergy.reaction), limit=BANNER_FIELD_LIMIT))
        else:
            field.append(tr("reaction not recorded"), style="italic")
        if allergy.criticality:
            label = criticality_words(allergy.criticality)
            # Upper case is a second, colour-free cue for the dangerous ones.
            high = allergy.criticality == "high"
            word = label.upper() if high else label
            field.append(f"（{word}）" if zh else f" ({word})", style="bold" if high else "")
        if allergy.pending:
            field.append(" *")
        fields.append(field)
    if any(allergy.pending for allergy in allergies):
        fields.append(Text(tr("* unsynced")))
    # Each allergy wraps as a whole, so no substance is split from its reaction.
    return FlowText(fields, gap="  ")


class AllergyBanner(Static):
    """A bordered banner stating the patient's allergies, or that there are none or none known."""

    DEFAULT_CSS = """
    AllergyBanner {
        height: auto;
        padding: 0 1;
        border: heavy $warning;
        background: $warning 20%;
    }
    AllergyBanner.-recorded {
        border: heavy $error;
        background: $error;
        color: $text;
        text-style: bold;
    }
    AllergyBanner.-no-known {
        border: round $success;
        background: $success 15%;
    }
    """

    def show(
        self, state: AllergyState, allergies: Sequence[Allergy], kept_at: str | None = None
    ) -> None:
        """Display `state` (and the allergies when they are recorded); `kept_at` as in
        allergy_text."""
        self.set_class(state is AllergyState.RECORDED, "-recorded")
        self.set_class(state is AllergyState.NO_KNOWN_ALLERGIES, "-no-known")
        self.set_class(state is AllergyState.NOT_RECORDED, "-not-recorded")
        self.border_title = tr("Allergies")
        self.update(allergy_text(state, allergies, kept_at))
