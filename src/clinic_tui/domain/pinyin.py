"""Pinyin search keys for names, so `zs` and `zhangsan` both find 张三."""

from __future__ import annotations

import os
from functools import lru_cache


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


MAX_KEY_TEXT = 200
"""Characters of a name its keys are made from. No name is longer; a longer one is junk or
an attack (a 3.9 MB name took 254 s of pypinyin during a sync), and its start still finds it."""


def search_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower case, without spaces or tones.

    Latin names give their letters for both keys' purposes: the full key is the
    name without spaces, the initials are the first letter of each word. Only the first
    MAX_KEY_TEXT characters count.
    """
    name = name[:MAX_KEY_TEXT]
    if any(_is_han(char) for char in name):
        return _han_keys(name)
    words = [word for word in name.lower().replace(",", " ").split() if word]
    return "".join(words), "".join(word[0] for word in words)


@lru_cache(maxsize=8192)
def _han_keys(name: str) -> tuple[str, str]:
    # Cached: names repeat (a demo clinic's 100,000 patients, a sync's pages), and pypinyin's
    # phrase matching was a tenth of the demo generator's time.
    # Imported here, not at the top: pypinyin's phrase tables cost about a quarter of a
    # second and tens of MiB, and reading the queue or a chart never needs them.
    # Nobody here customises pypinyin's tables, so its defensive copy of them is only
    # memory (about 20 MiB): tell it to skip the copy.
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    from pypinyin import Style, lazy_pinyin

    syllables = [s for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore") if s]
    full = "".join(syllables).lower().replace("ü", "v")
    initials = "".join(s[0] for s in syllables).lower()
    return full, initials


def given_pinyin(given: str) -> str:
    """The full pinyin key of a Han given name ('' for any other): `shuzhen` for 淑珍."""
    given = given[:MAX_KEY_TEXT]
    if not given or not any(_is_han(char) for char in given):
        return ""
    return search_keys(given)[0]


def warm_up() -> None:
    """Load pypinyin's tables now (a tenth of a second or more), e.g. while a link is busy."""
    search_keys("张")


def normalise_query(text: str) -> str:
    """Lower-case a query and drop spaces and apostrophes so 'Zhang San' matches 'zhangsan'."""
    return "".join(char for char in text.lower() if char not in " '’").replace("ü", "v")
