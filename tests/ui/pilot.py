"""Driving an app under Pilot: wait for its workers, press keys, type text.

Tests wait on workers and message queues, never on timers, so they need no timed sleeps.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

SETTLE_ROUNDS = 3
"""A worker's result may start another read (a sync ends, the queue reloads): wait a few."""


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and their results reach the screens."""
    for _ in range(SETTLE_ROUNDS):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys one at a time, settling after each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type `text` into the focused widget (Chinese characters included)."""
    await pilot.press(*text)
    await settle(pilot)
