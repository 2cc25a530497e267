"""The CJK face every PDF embeds: prescription slips, village visit lists, indicator pages.

Noto Sans CJK SC, from the `noto-cjk-sans-otc` package, else Debian's fonts-noto-cjk.
One lookup for prescribing and followup, which are sibling services and may not import
each other; it sits above neither and imports nothing of clinic_tui. The face found and
its character map are read once per process (warm() reads both ahead of the first PDF).
"""

from __future__ import annotations

import functools
from pathlib import Path

FONT_PACKAGE = "noto-cjk-sans-otc"
FONT_FACE = "Noto Sans CJK SC"
DEBIAN_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
"""Debian's fonts-noto-cjk ships the same collection; used when the package is absent."""


class CjkFontMissingError(FileNotFoundError):
    """The CJK font is not installed (or the collection has no Simplified Chinese face)."""


@functools.cache
def cjk_font() -> tuple[Path, int]:
    """The Noto Sans CJK collection and the index of its Simplified Chinese face."""
    path = font_collection()
    from fontTools.ttLib import TTCollection

    with TTCollection(str(path), lazy=True) as collection:
        for index, face in enumerate(collection.fonts):
            if face["name"].getDebugName(1) == FONT_FACE:
                return path, index
    raise CjkFontMissingError(f"{path} has no {FONT_FACE} face")


def font_collection() -> Path:
    """The installed collection file, or CjkFontMissingError saying how to install it."""
    try:
        import noto_cjk_sans_otc

        path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    except ImportError:
        path = DEBIAN_FONT
    if path.is_file():
        return path
    raise CjkFontMissingError(
        f"the Chinese font ({FONT_FACE}) is not installed: run `make install` "
        f"(it installs the {FONT_PACKAGE} package) or `apt-get install fonts-noto-cjk`"
    )


@functools.cache
def cjk_cmap() -> frozenset[int]:
    """The code points the face can draw (a PDF prints □ for the others, never a blank)."""
    path, index = cjk_font()
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=index, lazy=True) as face:
        return frozenset(face.getBestCmap())


def warm() -> None:
    """Find the face and read its character map now, so no PDF waits for them; a missing
    font is said when a PDF is made."""
    try:
        cjk_cmap()
    except CjkFontMissingError:
        return
