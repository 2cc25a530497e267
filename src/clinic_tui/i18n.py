"""Words in the user's language, from gettext catalogues (docs/translating.md).

English text is the message id. The catalogues are `locale/<code>/LC_MESSAGES/clinic_tui.po`,
compiled to `.mo` when the package is built or installed (hatch_build.py, `make catalogues`)
and read here with the standard library's `gettext`, so Babel is needed only to build.
Mark a word with `tr("...")` where it is shown, or with `N_("...")` where it is defined and
shown later through `tr(variable)`; counts go through `ngettext`. The clinical terms follow
shared/GLOSSARY.md.
"""

from __future__ import annotations

import errno
import gettext
import os
from functools import cache
from pathlib import Path
from typing import TypeVar

DOMAIN = "clinic_tui"
"""The catalogue's name: locale/<code>/LC_MESSAGES/clinic_tui.mo."""

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
"""Where the compiled catalogues live inside the package."""

CATALOGUE_CODES = {"zh": "zh_CN", "en": "en"}
"""The catalogue of each language --lang and [ui] language accept (others: the code itself)."""

_Text = TypeVar("_Text", bound=str)


def installed_languages() -> tuple[str, ...]:
    """The languages --lang accepts: English, Chinese, and any other catalogue compiled into
    locale/ (a translator's new language needs no code change)."""
    codes = {code: language for language, code in CATALOGUE_CODES.items()}
    found = sorted(
        codes.get(path.parents[1].name, path.parents[1].name)
        for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
    )
    return tuple(dict.fromkeys(["en", "zh", *found]))


_language = "en"

# Words registered at import by code not yet folded into the catalogue (scripts/i18n_migrate.py
# folds them and deletes the calls); consulted only where the catalogue has no translation.
_pending: dict[str, dict[str, str]] = {}


@cache
def translation_for(language: str) -> gettext.NullTranslations:
    """The catalogue of `language` ("zh", "en", ...); English (no translation) when absent."""
    code = CATALOGUE_CODES.get(language, language)
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[code])
    except OSError:
        return gettext.NullTranslations()


def catalogue_missing(language: str) -> bool:
    """True when `language` needs a catalogue and its compiled `.mo` file is not installed."""
    if language == "en":
        return False
    return type(translation_for(language)) is gettext.NullTranslations


def set_language(language: str) -> None:
    """Choose the language of this process's words: "en" or "zh"."""
    global _language
    _language = language
    _bind_standard_library(language)


def _bind_standard_library(language: str) -> None:
    """Point the module-level gettext that argparse calls ("usage: ", "options", its errors)
    at this catalogue, in `language`.

    argparse looks its words up through gettext.gettext, in the process's text domain and in
    the languages of the LANGUAGE variable (GNU gettext's own switch): both are set here, so
    argparse needs no patching and its words live in the same catalogue.
    """
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = CATALOGUE_CODES.get(language, language)


def language() -> str:
    """The language in force."""
    return _language


def N_(text: _Text) -> _Text:  # noqa: N802 (the name gettext's extractors know)
    """Mark `text` for the catalogue where it is defined; it is translated later by `tr()`."""
    return text


def NC_(context: str, text: _Text) -> _Text:  # noqa: N802 (a marker, like N_)
    """Mark `text` for the catalogue under `context` (msgctxt); translated later with it."""
    return text


def pgettext_in(language: str, context: str, text: str) -> str:
    """`text` as translated for `context`, in `language` (a slip printed in its own language)."""
    if not text:
        return text
    return translation_for(language).pgettext(context, text)


def gettext_in(language: str, text: str) -> str:
    """`text` in `language`, whatever the language in force (a slip printed in Chinese)."""
    if not text:
        # gettext("") is the catalogue's header, never a word.
        return text
    found = translation_for(language).gettext(text)
    if found == text and language != "en":
        return _pending.get(language, {}).get(text, text)
    return found


def tr(text: str) -> str:
    """`text` in the language in force (English when the catalogue has no translation)."""
    if _language == "en":
        return text
    return gettext_in(_language, text)


def pgettext(context: str, text: str) -> str:
    """`text` in the language in force, as translated for `context` (one English word, two
    meanings: the msgctxt of the catalogue)."""
    if _language == "en" or not text:
        return text
    return translation_for(_language).pgettext(context, text)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a phrase for `count` ("1 patient", "2 patients"), in the language in force."""
    if _language == "en":
        return singular if count == 1 else plural
    return translation_for(_language).ngettext(singular, plural, count)


def in_chinese(text: str) -> str:
    """The Chinese of `text` whatever the language in force (itself when there is none)."""
    return gettext_in("zh", text)


def add_translations(entries: dict[str, str]) -> None:
    """Register Chinese for English phrases: a stop-gap for code written before the catalogue.

    scripts/i18n_migrate.py moves these into locale/zh_CN/LC_MESSAGES/clinic_tui.po and
    deletes the call; tests/unit/test_catalogue.py fails while one remains.
    """
    _pending.setdefault("zh", {}).update(entries)


_OS_REASONS = {
    errno.ENOENT: N_("no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("operation not permitted"),
    errno.ENOTDIR: N_("a part of the path is a file, not a folder"),
    errno.EISDIR: N_("it is a folder"),
    errno.EROFS: N_("the disk is read-only"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EEXIST: N_("it already exists"),
}


def os_reason(error: OSError) -> str:
    """Why a file operation failed, in the session's language (the C library's is English)."""
    reason = _OS_REASONS.get(error.errno or 0)
    return tr(reason) if reason else (error.strerror or str(error))


TEXTUAL_WORDS = (
    # Textual's own key descriptions (DataTable, scrolling, Input, OptionList), shown in `?`
    # help and the palette through tr(binding.description): marked here, as Textual's source
    # is not extracted.
    N_("Select"),
    N_("Cursor up"),
    N_("Cursor down"),
    N_("Cursor right"),
    N_("Cursor left"),
    N_("Page up"),
    N_("Page down"),
    N_("Top"),
    N_("Bottom"),
    N_("Home"),
    N_("End"),
    N_("First"),
    N_("Last"),
    N_("Scroll Up"),
    N_("Scroll Down"),
    N_("Scroll Left"),
    N_("Scroll Right"),
    N_("Scroll Home"),
    N_("Scroll End"),
    N_("Page Up"),
    N_("Page Down"),
    N_("Page Left"),
    N_("Page Right"),
    N_("Focus Next"),
    N_("Focus Previous"),
    N_("Copy selected text"),
    N_("Move cursor left"),
    N_("Move cursor right or accept the completion suggestion"),
    N_("Move cursor left a word"),
    N_("Move cursor right a word"),
    N_("Delete character left"),
    N_("Delete character right"),
    N_("Select all"),
    N_("Go to start"),
    N_("Go to end"),
    N_("Submit"),
    N_("Cut selected text"),
    N_("Paste text from the clipboard"),
    N_("palette"),
    N_("Dismiss menu"),
    N_("Show menu"),
    N_("Press button"),
    N_("Toggle"),
    N_("Toggle option"),
    N_("Next option"),
    N_("Previous option"),
    N_("Delete all to the right"),
    N_("Up"),
    N_("Down"),
    N_("Cursor Up"),
    N_("Cursor Down"),
    N_("Exit the command palette"),
    N_("Next command"),
    N_("Next tab"),
    N_("Previous tab"),
    N_("Open link"),
)
"""Words Textual shows that the app passes through tr()."""
