"""Progress of a headless command on stderr: a rich bar on a terminal, else plain lines.

Plain lines (one per step, never a redraw) when stderr is not a terminal or NO_COLOR
is set, so logs of unattended runs stay readable.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO


def wants_plain(stream: TextIO | None = None) -> bool:
    """True when progress should be plain lines: not a terminal, or NO_COLOR set."""
    stream = stream if stream is not None else sys.stderr
    return bool(os.environ.get("NO_COLOR")) or not stream.isatty()


class ProgressDisplay:
    """Shows one step at a time (`update(step, done, total, detail)`), rich or plain."""

    PLAIN_EVERY = 5.0
    """Seconds between plain lines of one long step (its last state is always printed)."""

    def __init__(
        self,
        *,
        plain: bool | None = None,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.plain = wants_plain(self._stream) if plain is None else plain
        self._clock = clock
        self._last: tuple[str, str] | None = None
        """(step, line) of the latest update, printed or not."""
        self._printed: tuple[str, str] | None = None
        self._printed_at = 0.0
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressDisplay:
        if not self.plain:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self._stream),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=None)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
        else:
            self._flush()

    def _flush(self) -> None:
        if self._last is not None and self._last != self._printed:
            print(self._last[1], file=self._stream, flush=True)
            self._printed = self._last
            self._printed_at = self._clock()

    def update(self, step: str, done: int, total: int | None, detail: str | None = None) -> None:
        """Report that `step` has done `done` of `total` (None: not known) units."""
        if self._progress is not None:
            description = f"{step}: {detail}" if detail else step
            self._progress.update(self._task, description=description, completed=done, total=total)
            return
        # Plain: the last state of each step, and of a long step one line every few seconds.
        count = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
        line = f"{step}: {detail or count}"
        if self._last is not None and self._last[0] != step:
            self._flush()
        self._last = (step, line)
        finished = total is not None and done >= total
        if finished or self._clock() - self._printed_at >= self.PLAIN_EVERY:
            self._flush()
