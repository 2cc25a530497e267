"""Print a signed slip: render its PDF under the data folder, then hand it to `lp` if configured.

The PDF is always written first, so a missing `lp`, an unknown printer or a jammed
queue never loses the slip: the outcome names the file and says, in words, why it
was not printed. The slip's data (clinic, patient, diagnosis, lines, prescriber)
come from the cache; rx-slip's renderer draws it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clinic_tui.offline_cache.chart_repository import ChartRepository
    from clinic_tui.prescribing.prescriber import Prescriber

LP_SECONDS = 30
"""Longest wait for `lp` to queue the job (it returns once queued, not once printed)."""

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class PrintOutcome:
    """Where the slip's PDF is, and what became of the print job."""

    path: Path
    printer: str | None
    """The printer it was sent to; None when none is configured (or it failed)."""
    problem: str | None = None
    """Why it was not printed, in words (English; the screen translates), when it was not."""


def send_to_printer(path: Path, printer: str, run: Runner = subprocess.run) -> str | None:
    """Queue `path` on `printer` with lp; None when queued, else the reason in words."""
    lp = shutil.which("lp")
    if lp is None:
        return "the lp command is not installed (CUPS client)"
    try:
        result = run(
            [lp, "-d", printer, "--", str(path)],
            capture_output=True,
            text=True,
            timeout=LP_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"lp did not answer within {LP_SECONDS} s"
    except OSError as error:
        return f"lp could not run: {error.strerror or error}"
    if result.returncode != 0:
        said = (result.stderr or result.stdout or "").strip().splitlines()
        return f"printer {printer}: {said[-1] if said else f'lp exit code {result.returncode}'}"
    return None


def slip_file(slips_dir: Path, group_id: str, signed: datetime) -> Path:
    """slips/2026-11-24/0930-<group>.pdf: by day, then time, unique per slip."""
    day = slips_dir / signed.date().isoformat()
    return day / f"{signed:%H%M}-{group_id[:8]}.pdf"


def print_slip(
    prescriber: Prescriber,
    charts: ChartRepository,
    patient_id: str,
    group_id: str,
    now: datetime,
    slips_dir: Path,
    printer: str | None,
    run: Runner = subprocess.run,
) -> PrintOutcome:
    """Render the slip of `group_id` to a PDF under `slips_dir`; print it when a printer is set."""
    from clinic_tui.prescribing.slip_data import render_slip_pdf

    path = render_slip_pdf(prescriber, charts, patient_id, group_id, now, slips_dir)
    if not printer:
        return PrintOutcome(path, None)
    problem = send_to_printer(path, printer, run)
    return PrintOutcome(path, None if problem else printer, problem)
