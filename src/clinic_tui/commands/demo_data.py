"""`clinic-tui demo-data`: write a demo township clinic into an empty cache, with progress.

All or nothing: the clinic goes in as one transaction, and a cache file (or folder) that
this run created is removed again when the run fails or is interrupted, so a failed run
never leaves an empty or half-made cache that the workstation would then open.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from clinic_tui.commands.progress import ProgressDisplay
from clinic_tui.config import Settings
from clinic_tui.errors import CacheError
from clinic_tui.i18n import add_translations, tr

add_translations(
    {
        "writing patients": "正在写入患者",
        "{patients:,} patients, {queue} in today's queue, {records:,} records": (
            "{patients:,} 名患者，今日候诊 {queue} 人，{records:,} 条记录"
        ),
        "Demo clinic ready: {summary} in {path}": "演示诊所已就绪：{summary}，位于 {path}",
        "cannot write the demo clinic to {path}: {reason}; nothing was kept": (
            "无法把演示诊所写入 {path}：{reason}；未保留任何内容"
        ),
    }
)

_SIDE_FILES = ("-wal", "-shm", "-journal")


def _remove_new_cache(path: Path, folder_was_there: bool) -> None:
    for suffix in ("", *_SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if not folder_was_there:
        with contextlib.suppress(OSError):  # rmdir: only an empty folder, nobody else's files
            path.parent.rmdir()


def write_demo_clinic(settings: Settings, *, patients: int, seed: int, history_years: int) -> int:
    """Fill the cache in settings.data_dir with a demo clinic; exit code 0."""
    from clinic_tui.demo.generator import generate_demo_clinic
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.engine import open_cache

    path = cache_path(settings.data_dir)
    folder_was_there = path.parent.exists()
    file_was_there = path.exists()
    engine = None
    try:
        engine = open_cache(path)
        with ProgressDisplay() as display:
            summary = generate_demo_clinic(
                engine,
                patients=patients,
                seed=seed,
                history_years=history_years,
                progress=lambda done, total: display.update(tr("writing patients"), done, total),
            )
    except BaseException as error:
        if engine is not None:
            engine.dispose()
            engine = None
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
    finally:
        if engine is not None:
            engine.dispose()
    counts = tr("{patients:,} patients, {queue} in today's queue, {records:,} records").format(
        patients=summary.patients, queue=summary.queue, records=summary.records
    )
    message = tr("Demo clinic ready: {summary} in {path}").format(summary=counts, path=path)
    print(message, file=sys.stderr)
    return 0
