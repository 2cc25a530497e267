"""`clinic-tui demo-data`: write a demo township clinic into an empty cache, with progress.

All or nothing: the clinic goes in as one transaction, and a cache file (or folder) that
this run created is removed again when the run fails or is interrupted, so a failed run
never leaves an empty or half-made cache that the workstation would then open.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from clinic_tui.commands.cli import add_demo_clinic_options, settings_of, subcommand
from clinic_tui.commands.progress import ProgressDisplay
from clinic_tui.config import Settings
from clinic_tui.errors import CacheError
from clinic_tui.i18n import tr

if TYPE_CHECKING:
    from clinic_tui.demo.generator import DemoSummary


_SIDE_FILES = ("-wal", "-shm", "-journal")


def _remove_new_cache(path: Path, folder_was_there: bool) -> None:
    for suffix in ("", *_SIDE_FILES):
        # A --data-dir under a file (/etc/passwd/x) was never created: nothing to remove, and
        # the reason the cache could not be made is what the user must see.
        with contextlib.suppress(NotADirectoryError):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if not folder_was_there:
        with contextlib.suppress(OSError):  # rmdir: only an empty folder, nobody else's files
            path.parent.rmdir()


class _Stop:
    """ctrl+c, SIGTERM and SIGHUP (the terminal closed) end the run, and its clean-up runs.

    Without handlers SIGTERM and SIGHUP end the process on the spot, half-made cache and all.
    A KeyboardInterrupt raised where Python swallows it (inside a fork handler, say) would be
    lost, so the stop is also remembered and raised again at the next progress report.
    """

    def __init__(self) -> None:
        self.asked = threading.Event()

    def __call__(self, _signum: int, _frame: FrameType | None) -> None:
        self.asked.set()
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise KeyboardInterrupt if a stop was asked for."""
        if self.asked.is_set():
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def handling_signals(self) -> Iterator[None]:
        """These signals call this object while the block runs (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be set from the main thread
            return
        names = ("SIGINT", "SIGTERM", "SIGHUP")
        stops = [getattr(signal, name) for name in names if hasattr(signal, name)]
        previous = {stop: signal.signal(stop, self) for stop in stops}
        try:
            yield
        finally:
            for stop, handler in previous.items():
                signal.signal(stop, handler)


def write_demo_clinic(settings: Settings, *, patients: int, seed: int, history_years: int) -> int:
    """Fill the cache in settings.data_dir with a demo clinic; exit code 0."""
    from clinic_tui.locations import cache_path

    path = cache_path(settings.data_dir)
    folder_was_there = path.parent.exists()
    file_was_there = path.exists()
    stop = _Stop()
    try:
        with stop.handling_signals():
            summary = _generate(
                path, patients=patients, seed=seed, history_years=history_years, stop=stop
            )
    except BaseException as error:
        from sqlalchemy.exc import DBAPIError  # here: the parser imports this module

        if not file_was_there:
            _remove_new_cache(path, folder_was_there)
        reason = getattr(error, "orig", None) if isinstance(error, DBAPIError) else error
        if isinstance(reason, sqlite3.Error | OSError):
            # A full disk, for one: the user's words, not a crash report.
            raise CacheError(
                tr("cannot write the demo clinic to {path}: {reason}; nothing was kept").format(
                    path=path, reason=reason
                )
            ) from error
        raise
    counts = tr("{patients:,} patients, {queue} in today's queue, {records:,} records").format(
        patients=summary.patients, queue=summary.queue, records=summary.records
    )
    message = tr("Demo clinic ready: {summary} in {path}").format(summary=counts, path=path)
    print(message, file=sys.stderr)
    return 0


def _generate(
    path: Path, *, patients: int, seed: int, history_years: int, stop: _Stop
) -> DemoSummary:
    from clinic_tui.demo.generator import generate_demo_clinic
    from clinic_tui.offline_cache.engine import open_cache

    engine = open_cache(path)
    try:
        with ProgressDisplay() as display:

            def progress(done: int, total: int) -> None:
                stop.check()
                display.update(tr("writing patients"), done, total)

            return generate_demo_clinic(
                engine,
                patients=patients,
                seed=seed,
                history_years=history_years,
                progress=progress,
            )
    finally:
        engine.dispose()  # before any clean-up removes the file


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `demo-data` command."""
    demo = subcommand(
        commands,
        "demo-data",
        parents=[common],
        help=tr("fill a cache with a realistic demo township clinic"),
        description=tr(
            "Fill the cache with a demo township clinic: patients, their records, referrals "
            "and today's queue. Deterministic for a given seed and day. Writes only into an "
            "empty cache: a cache that already holds records is refused, unchanged; a run that "
            "fails leaves no cache file behind. Shows its progress (a bar on a terminal, "
            "plain lines otherwise)."
        ),
    )
    add_demo_clinic_options(demo, default=2000)


def run(args: argparse.Namespace) -> int:
    """Write the demo clinic into the cache of --data-dir."""
    return write_demo_clinic(
        settings_of(args), patients=args.patients, seed=args.seed, history_years=args.history_years
    )
