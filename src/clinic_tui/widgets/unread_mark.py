"""The mark of a referral whose thread holds messages the reader has not seen yet.

Text, never colour alone: an envelope and a count ('✉ 2 new', '✉ 2条新留言'), so it reads
with NO_COLOR and on a monochrome thin link alike.
"""

from __future__ import annotations

from rich.text import Text

from clinic_tui.i18n import language, ngettext, tr

UNREAD_MARK = "✉"
"""One cell wide (U+2709 has no emoji presentation), so columns stay aligned."""


def unread_words(count: int) -> str:
    """'✉ 2 new' / '✉ 2条新留言' ('' when nothing is new)."""
    if count <= 0:
        return ""
    if language() == "zh":
        return f"{UNREAD_MARK} {count}条新留言"
    return f"{UNREAD_MARK} {count} {tr('new')}"


def unread_short(count: int) -> Text:
    """'✉2' in bold, for a narrow cell ('' when nothing is new)."""
    return Text(f"{UNREAD_MARK}{count}" if count > 0 else "", style="bold")


def unread_referrals_words(count: int) -> str:
    """The queue's cue: '✉ 2 referral(s) with new messages [R]' ('' when none)."""
    if count <= 0:
        return ""
    words = ngettext(
        "{count} referral with new messages [R]", "{count} referrals with new messages [R]", count
    )
    return f"{UNREAD_MARK} " + words.format(count=count)
