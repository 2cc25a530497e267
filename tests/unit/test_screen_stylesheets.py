"""Every screen's own stylesheet is read with the app's, so no screen's first open
re-parses all of them and restyles the whole app."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from textual.screen import Screen

import clinic_tui.screens
from clinic_tui.app import ClinicApp


def _screens_with_a_stylesheet() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for module in pkgutil.iter_modules(clinic_tui.screens.__path__):
        loaded = importlib.import_module(f"clinic_tui.screens.{module.name}")
        for value in vars(loaded).values():
            if (
                isinstance(value, type)
                and issubclass(value, Screen)
                and value.__module__ == loaded.__name__
                and "CSS_PATH" in vars(value)
            ):
                paths = value.CSS_PATH if isinstance(value.CSS_PATH, list) else [value.CSS_PATH]
                for path in paths:
                    found[value.__name__] = Path(path)
    return found


def test_every_screen_stylesheet_is_among_the_apps() -> None:
    screens = _screens_with_a_stylesheet()
    assert {"ChartScreen", "PrescriptionScreen", "PatientSearchScreen"} <= set(screens)
    app_paths = ClinicApp.CSS_PATH
    assert isinstance(app_paths, list)
    read_at_start = {Path(path).resolve() for path in app_paths}
    for name, path in screens.items():
        assert path.resolve() in read_at_start, name
        assert path.is_file(), name
