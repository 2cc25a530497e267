"""Every key label (footer word and help text) of a screen or widget has its Chinese in the
catalogue, whichever module is imported first.

The app imports a screen when it is first opened, so a label whose Chinese sits in some
other module stays English until that module happens to load: the chart's `m` read
"Prescribe" in Chinese help until the order screen had been opened once. Each module is
imported alone, in a fresh interpreter, as the app would first meet it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src" / "clinic_tui"

MODULES = sorted(
    f"clinic_tui.{path.parent.name}.{path.stem}"
    if path.parent != SOURCE
    else f"clinic_tui.{path.stem}"
    for path in [SOURCE / "app.py", *SOURCE.glob("screens/*.py"), *SOURCE.glob("widgets/*.py")]
    if "Binding(" in path.read_text(encoding="utf-8")
)

_CHECK = """
import importlib, inspect, json, sys
from textual.binding import Binding
from clinic_tui import i18n
module = importlib.import_module(sys.argv[1])
i18n.set_language("zh")
missing = []
for _, cls in inspect.getmembers(module, inspect.isclass):
    if cls.__module__ != module.__name__:
        continue
    for binding in cls.__dict__.get("BINDINGS", ()):
        if not isinstance(binding, Binding):
            continue
        for text in (binding.description, binding.tooltip):
            if text and any(c.isascii() and c.isalpha() for c in text) and i18n.tr(text) == text:
                missing.append(f"{cls.__name__} {binding.key}: {text}")
print(json.dumps(missing))
"""


def test_the_modules_with_keys_are_found() -> None:
    assert "clinic_tui.app" in MODULES
    assert "clinic_tui.screens.chart_editing" in MODULES
    assert "clinic_tui.widgets.queue_table" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_each_key_label_has_its_chinese_once_its_module_is_imported(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, module], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []
