"""A referral's priority reads the same word on the chart, the referral list and form, and the
expert's triage inbox (a walk found '!!! Immediately' on the chart, '!!! STAT' in the inbox)."""

from __future__ import annotations

import pytest

from clinic_tui.i18n import set_language
from clinic_tui.referral.fhir_shapes import PRIORITIES, priority_words
from clinic_tui.widgets.inbox_table import urgency_text


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("code", list(PRIORITIES))
def test_the_inbox_and_the_chart_say_one_word_per_priority(language: str, code: str) -> None:
    set_language(language)
    assert urgency_text(code).plain == priority_words(code)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        # FHIR R4 CodeSystem request-priority's own displays (hl7.org/fhir/R4/
        # codesystem-request-priority.html): what clinicians read on request forms.
        ("en", ["Routine", "!! Urgent", "!! ASAP", "!!! STAT"]),
        ("zh", ["普通", "!! 紧急", "!! 尽快", "!!! 立即"]),
    ],
)
def test_the_words_are_the_code_systems_displays_and_the_catalogues(
    language: str, words: list[str]
) -> None:
    set_language(language)
    assert [priority_words(code) for code in ("routine", "urgent", "asap", "stat")] == words
