"""Snapshots of the queue and its dialogs at fixed sizes (80x24 among them), fixed clock.

Update with `pytest tests/ui/test_snapshots_queue.py --snapshot-update`, then look at
the SVGs in tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from clinic_tui import i18n
from tests.ui.pilot import settle
from tests.ui.queue_app import queue_app

SnapCompare = Callable[..., bool]


async def wrong_walk_in(pilot: Pilot[Any]) -> None:
    """Open the new-patient form, fill it wrongly and try to save."""
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#name", Input).value = "欧阳明华"
    screen.query_one("#birth_date", Input).value = "1972-02-30"
    screen.query_one("#phone", Input).value = "139abc"
    await pilot.press("ctrl+s")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_queue(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(queue_app(tmp_path), terminal_size=size, run_before=settle)


def test_queue_no_color(
    snap_compare: SnapCompare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(queue_app(tmp_path), terminal_size=(80, 24), run_before=settle)


def test_queue_in_chinese(snap_compare: SnapCompare, tmp_path: Path) -> None:
    i18n.set_language("zh")
    assert snap_compare(queue_app(tmp_path), terminal_size=(80, 24), run_before=settle)


def test_walk_in_form_with_errors(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(queue_app(tmp_path), terminal_size=(80, 24), run_before=wrong_walk_in)


def test_status_dialog_asking_why_the_patient_left(
    snap_compare: SnapCompare, tmp_path: Path
) -> None:
    assert snap_compare(
        queue_app(tmp_path), press=["down", "s", "4"], terminal_size=(80, 24), run_before=settle
    )


def test_help(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(
        queue_app(tmp_path), press=["question_mark"], terminal_size=(80, 24), run_before=settle
    )


async def empty_walk_in(pilot: Pilot[Any]) -> None:
    """Open the new-patient form with nothing typed yet."""
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)


def test_empty_walk_in_form_no_color(
    snap_compare: SnapCompare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every empty field shows a bar at each end; the one with the cursor a heavier one.
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(queue_app(tmp_path), terminal_size=(80, 24), run_before=empty_walk_in)
