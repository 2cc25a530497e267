"""The Chinese font serve's page draws with, so Chinese never shows as boxes.

xterm.js draws on a canvas with the fonts the browser has; a thin client or cloud
desktop without a CJK font draws boxes. The page falls back to Noto Sans CJK SC,
which clinic-tui already carries (the noto-cjk-sans-otc package, 19 MB for the whole
collection). A browser cannot load a font collection, and the whole SC face is ~16 MB,
so serve sends a subset: GB 2312 (its 6,763 hanzi and its symbols), CJK punctuation and
full-width forms, 7,648 code points, as WOFF: 1,347,896 bytes, fetched once per browser
and kept by it. Built on a thread at start-up (7 to 22 s of CPU on this project's test
machine) and kept in the user's cache folder, so the next start reads it back.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from pathlib import Path

import platformdirs

CJK_FONT_ROUTE = "/fonts/noto-sans-cjk-sc-gb2312.woff"
SUBSET_VERSION = "1"
"""Raised when the subset's characters or options change, so old cached files are not used."""

_EXTRA_RANGES = ((0x2010, 0x2027), (0x3000, 0x303F), (0xFF00, 0xFFEF))
"""Dashes and quotes, CJK symbols and punctuation, full-width forms."""


def subset_characters() -> set[int]:
    """Every character of GB 2312 and the punctuation Chinese text uses."""
    found: set[int] = set()
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    for low, high in _EXTRA_RANGES:
        found.update(range(low, high + 1))
    return found


def build_woff() -> bytes:
    """The SC face of the bundled Noto Sans CJK, cut to subset_characters(), as WOFF."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # The subsetter reports every glyph it keeps at INFO, and serve's console shows INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    from clinic_tui.cjk_font import cjk_font

    path, index = cjk_font()
    options = subset.Options()
    options.layout_features = []  # no vertical forms or ligatures in a terminal
    options.hinting = False
    options.name_IDs = [0, 1, 2, 13, 14]  # keep the copyright and the OFL licence
    options.flavor = "woff"
    with TTFont(str(path), fontNumber=index) as face:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset_characters())
        subsetter.subset(face)
        face.flavor = "woff"
        out = io.BytesIO()
        face.save(out)
    return out.getvalue()


def _cache_file() -> Path:
    from clinic_tui.cjk_font import cjk_font

    path, index = cjk_font()
    stat = path.stat()
    key = f"{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{SUBSET_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    folder = Path(platformdirs.user_cache_dir("clinic-tui", appauthor=False))
    return folder / f"serve-cjk-{digest}.woff"


class CjkFont:
    """The subset font, built once per machine (then read from the cache folder)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: bytes | None = None

    def prepare_in_background(self) -> None:
        """Start building it now, so the first page does not wait for all of it."""
        threading.Thread(target=self.woff, name="serve-cjk-font", daemon=True).start()

    def woff(self) -> bytes:
        """The font file's bytes (built on the first call; later calls wait for it)."""
        with self._lock:
            if self._data is None:
                self._data = self._load()
            return self._data

    def _load(self) -> bytes:
        cached = _cache_file()
        try:
            return cached.read_bytes()
        except OSError:
            pass
        data = build_woff()
        try:
            cached.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            partial = cached.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(cached)  # whole or absent, never half a font
        except OSError:
            pass  # a read-only home still serves the font, built again next time
        return data
