"""Snapshots of the triage inbox on a small demo hospital (fixed clock and seed).

Update with `pytest tests/ui/test_triage_snapshots.py --snapshot-update`, then look at
the SVGs in tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import clinic_tui.screens.triage  # imported for its key descriptions (see below)
import clinic_tui.screens.triage_actions  # noqa: F401
from clinic_tui import i18n
from tests.ui.pilot import settle
from tests.ui.triage_app import triage_app

SnapCompare = Callable[..., bool]

# Key descriptions are translated when their module is imported: imported here, before any
# test sets Chinese, so every run (alone, in any order, on any xdist worker) draws the same
# footer, as the queue's snapshots do.


def test_triage_inbox_no_color(
    snap_compare: SnapCompare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(triage_app(tmp_path), terminal_size=(80, 24), run_before=settle)


def test_triage_inbox_in_chinese(snap_compare: SnapCompare, tmp_path: Path) -> None:
    i18n.set_language("zh")
    app = triage_app(tmp_path, language="zh")
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)
