"""Every module that registers Chinese for an English phrase gives the same Chinese.

The catalogue is one dict: a second, different translation of the same phrase would
silently win or lose depending on which screen was imported first.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import clinic_tui

SOURCE = Path(clinic_tui.__file__).parent


def _registrations() -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "add_translations"
                and node.args
                and isinstance(node.args[0], ast.Dict)
            ):
                continue
            for key, value in zip(node.args[0].keys, node.args[0].values, strict=True):
                if key is not None:
                    english = ast.literal_eval(key)
                    found[english].add((ast.literal_eval(value), path.name))
    return found


def test_no_phrase_has_two_chinese_translations() -> None:
    clashes = {
        english: sorted(places)
        for english, places in _registrations().items()
        if len({chinese for chinese, _ in places}) > 1
    }
    assert clashes == {}
