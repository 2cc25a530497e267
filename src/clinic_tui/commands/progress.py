"""Progress of a headless command on stderr: a rich bar on a terminal, else plain lines.

Plain lines (one per step, never a redraw) when stderr is not a terminal or NO_COLOR
is set, so logs of unattended runs stay readable.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any, TextIO


def wants_plain(stream: TextIO | None = None) -> bool:
    """True when progress should be plain lines: not a terminal, or NO_COLOR set."""
    stream = stream if stream is not None else sys.stderr
    return bool(os.environ.get("NO_COLOR")) or not stream.isatty()


class ProgressDisplay:
    """Shows one step at a time (`update(step, done, total)`), rich or plain."""

    def __init__(self, *, plain: bool | None = None, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.plain = wants_plain(self._stream) if plain is None else plain
        self._step: str | None = None
        self._last: tuple[str, int, int | None] | None = None
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
        elif self._last is not None and self._last != self._printed:
            self._print(*self._last)

    _printed: tuple[str, int, int | None] | None = None

    def _print(self, step: str, done: int, total: int | None) -> None:
        count = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
        print(f"{step}: {count}", file=self._stream, flush=True)
        self._printed = (step, done, total)

    def update(self, step: str, done: int, total: int | None) -> None:
        """Report that `step` has done `done` of `total` (None: not known) units."""
        if self._progress is not None:
            self._progress.update(self._task, description=step, completed=done, total=total)
            return
        # Plain: a line when a step starts and when it finishes, nothing in between.
        if self._last is not None and self._last[0] != step and self._last != self._printed:
            self._print(*self._last)
        if step != self._step or (total is not None and done >= total):
            self._print(step, done, total)
        self._step = step
        self._last = (step, done, total)
