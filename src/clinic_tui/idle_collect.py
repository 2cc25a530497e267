"""Full garbage collections while the clinician pauses, not in the middle of a keystroke.

CPython collects its oldest generation once enough objects have survived the younger
ones. With a big list on screen (5,000 referrals in the triage inbox, their cells,
Textual's render caches) that scan takes 130-150 ms on the 2-core test machine, and the
keystroke it happens to fall on waits for it: it was the inbox filter's whole p95
(benchmarks/triage_inbox.py, 2026-12-01: 207 ms with it, 48 ms without).

So while the app runs, the young generations stay automatic (a few ms each) and the
oldest one is collected here: when it is due and no key or click has come for
QUIET_SECONDS, or regardless once it is FORCE_FACTOR times overdue, so memory stays
bounded for someone who types without ever pausing. A key that arrives during an idle
collection waits for it once, instead of every few hundred keystrokes.

Pure Python (no Textual): the app feeds it input times, and it looks every CHECK_SECONDS
from a plain asyncio callback. Not a Textual timer: each of those is a message the app
handles, and a handled message redraws the screen; in --low-bandwidth an idle app must
write nothing to the link (benchmarks/bytes_per_keystroke.py, idle 10 s: 0 bytes).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
from collections.abc import Callable

QUIET_SECONDS = 1.0
"""No input for this long counts as a pause (longer than the gap between typed keys)."""

CHECK_SECONDS = 0.5
"""How often a started collector looks whether a pause has come."""

FORCE_FACTOR = 10
"""Collect even while input keeps coming once the oldest generation is this many times due."""

_NEVER = 1_000_000_000
"""An oldest-generation threshold CPython never reaches: it then leaves that generation to us."""


class IdleCollector:
    """Defers CPython's oldest-generation collections to pauses in the clinician's input."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, quiet_seconds: float = QUIET_SECONDS
    ) -> None:
        self._clock = clock
        self.quiet_seconds = quiet_seconds
        self._last_input = clock()
        self._saved: tuple[int, int, int] | None = None
        self._check: asyncio.TimerHandle | None = None
        self.pauses_ms: deque[float] = deque(maxlen=100)
        """How long each collection it ran took (milliseconds), newest last."""

    @property
    def active(self) -> bool:
        """True between start() and stop()."""
        return self._saved is not None

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Take the oldest generation over from CPython (nothing when GC is off or already ours).

        With `loop`, look for a pause every CHECK_SECONDS on it until stop().
        """
        if self._saved is not None or not gc.isenabled():
            return
        threshold0, threshold1, threshold2 = gc.get_threshold()
        if threshold2 >= _NEVER:
            return  # another collector (a second app in this process) holds it already
        self._saved = (threshold0, threshold1, threshold2)
        gc.set_threshold(threshold0, threshold1, _NEVER)
        if loop is not None:
            self._check = loop.call_later(CHECK_SECONDS, self._look, loop)

    def _look(self, loop: asyncio.AbstractEventLoop) -> None:
        self.collect_if_idle()
        if self._saved is not None:
            self._check = loop.call_later(CHECK_SECONDS, self._look, loop)

    def stop(self) -> None:
        """Give the oldest generation back to CPython, with the thresholds it had."""
        if self._check is not None:
            self._check.cancel()
            self._check = None
        if self._saved is None:
            return
        threshold0, threshold1, _ = gc.get_threshold()
        gc.set_threshold(threshold0, threshold1, self._saved[2])
        self._saved = None

    def touched(self) -> None:
        """A key or a click: the clinician is at work, not pausing."""
        self._last_input = self._clock()

    def collect_if_idle(self) -> bool:
        """Run the oldest generation's collection if it is due and now is a pause (or overdue)."""
        if self._saved is None:
            return False
        # Collections of the middle generation since the last full one: CPython's own
        # measure of when the oldest is due (gc.get_threshold()[2] of them).
        waiting = gc.get_count()[2]
        due = max(1, self._saved[2])
        if waiting < due:
            return False
        pausing = self._clock() - self._last_input >= self.quiet_seconds
        if not pausing and waiting < due * FORCE_FACTOR:
            return False
        started = time.perf_counter()
        gc.collect()
        self.pauses_ms.append((time.perf_counter() - started) * 1000)
        return True
