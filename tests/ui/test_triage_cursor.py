"""The triage inbox after an action and on Esc: the cursor stays where the expert was, an
accepted referral that leaves the view is said to have gone where, Esc clears the text filter.

A walk found the cursor back on the first row after each accept (the expert lost their
place in a long inbox) and Esc in the filter box leaving the filter on (referrals hidden
with no word), unlike the patient search and the follow-up list's filter, where Esc drops
what was typed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import Input

from clinic_tui.screens.triage import TriageScreen
from clinic_tui.screens.triage_actions import AcceptForm, DeclineForm
from tests.ui.chart_fixtures import TODAY
from tests.ui.pilot import press, settle, type_text
from tests.ui.test_triage_screen import _app, _filters, _inbox, _names, _status, _table
from tests.unit.test_referral_store import cache as cache

pytestmark = pytest.mark.anyio


def _under_cursor(pilot: Pilot[Any]) -> str | None:
    row = _table(pilot).selected
    return row.reason if row is not None else None


async def _accept(pilot: Pilot[Any]) -> None:
    await press(pilot, "a")
    assert isinstance(pilot.app.screen, AcceptForm)
    await type_text(pilot, (TODAY + timedelta(days=2)).isoformat())
    await press(pilot, "ctrl+s")
    assert isinstance(pilot.app.screen, TriageScreen)


async def test_accepting_a_row_that_leaves_the_view_puts_the_cursor_on_the_next(
    cache: Engine,
) -> None:
    tasks = _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "j")  # the second row: the urgent one
        assert _under_cursor(pilot) == "气促 breathless"
        await _accept(pilot)
        assert _status(cache, tasks["urgent"]) == "accepted"
        # Gone from "to triage": the cursor is on the row that was below it, not the first.
        assert _names(pilot) == ["胸痛 chest pain", "膝痛 knee pain"]
        assert _under_cursor(pilot) == "膝痛 knee pain"
        assert _table(pilot).cursor_row == 1
        # And the screen says where the accepted referral went.
        assert app.notices[-1] == (
            "Accepted: 1 · 张伟 now under “s open”: s shows it, c completes it"
        )


async def test_accepting_the_last_row_puts_the_cursor_on_the_one_above(cache: Engine) -> None:
    _inbox(cache)
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j")
        assert _under_cursor(pilot) == "膝痛 knee pain"
        await _accept(pilot)
        assert _names(pilot) == ["胸痛 chest pain", "气促 breathless"]
        assert _under_cursor(pilot) == "气促 breathless"


async def test_an_accepted_referral_still_in_view_keeps_the_cursor_and_says_nothing_more(
    cache: Engine,
) -> None:
    _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")  # every open referral: accepted ones stay in view
        await press(pilot, "j", "j")
        assert _under_cursor(pilot) == "膝痛 knee pain"
        await _accept(pilot)
        assert "膝痛 knee pain" in _names(pilot)
        assert _under_cursor(pilot) == "膝痛 knee pain"
        assert app.notices[-1] == "Accepted: 1"


async def test_a_decline_also_leaves_the_cursor_where_the_expert_was(cache: Engine) -> None:
    _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "j")
        await press(pilot, "x")
        form = app.screen
        assert isinstance(form, DeclineForm)
        form.query_one("#decline-reason").value = "manage-locally"  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, TriageScreen)
        assert _under_cursor(pilot) == "膝痛 knee pain"


async def test_esc_in_the_text_filter_clears_it_and_goes_back_to_the_list(cache: Engine) -> None:
    _inbox(cache)
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "knee")
        assert _names(pilot) == ["膝痛 knee pain"]
        await press(pilot, "escape")
        field = pilot.app.screen.query_one("#triage-text", Input)
        assert pilot.app.focused is _table(pilot)
        assert (field.value, field.display) == ("", False)
        assert len(_names(pilot)) == 3
        assert "/ knee" not in _filters(pilot)
        # The referral the filter had under the cursor is still under it.
        assert _under_cursor(pilot) == "膝痛 knee pain"


async def test_enter_in_the_text_filter_keeps_it(cache: Engine) -> None:
    _inbox(cache)
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "knee")
        await press(pilot, "enter")
        assert _names(pilot) == ["膝痛 knee pain"]
        assert "/ knee" in _filters(pilot)
        # Back in the box and out with Esc: now it goes.
        await press(pilot, "slash", "escape")
        assert len(_names(pilot)) == 3
