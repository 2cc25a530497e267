"""The CJK face the follow-up PDFs (village visit list, indicators page) embed.

The same Noto Sans CJK SC the prescription slips use, found the same way (the
`noto-cjk-sans-otc` package, else Debian's fonts-noto-cjk). prescribing.slip has its own
lookup: the followup package may not import prescribing (sibling services).
"""

from __future__ import annotations

import functools
from pathlib import Path

FONT_FACE = "Noto Sans CJK SC"
DEBIAN_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


class PdfFontMissingError(FileNotFoundError):
    """The CJK font is not installed (or the collection has no Simplified Chinese face)."""


@functools.cache
def pdf_font() -> tuple[Path, int]:
    """The Noto Sans CJK collection and the index of its Simplified Chinese face."""
    try:
        import noto_cjk_sans_otc

        path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    except ImportError:
        path = DEBIAN_FONT
    if not path.is_file():
        raise PdfFontMissingError(
            f"the Chinese font ({FONT_FACE}) is not installed: run `make install` "
            "or `apt-get install fonts-noto-cjk`"
        )
    from fontTools.ttLib import TTCollection

    with TTCollection(str(path), lazy=True) as collection:
        for index, face in enumerate(collection.fonts):
            if face["name"].getDebugName(1) == FONT_FACE:
                return path, index
    raise PdfFontMissingError(f"{path} has no {FONT_FACE} face")
