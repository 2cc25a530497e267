"""How many years of past visits the demo gives each patient (`--history-years`), and how
many patients a demo clinic may have (`--patients`).

Kept apart from the builders so the command line can check the options without importing them.
"""

from __future__ import annotations

DEFAULT_HISTORY_YEARS = 2
"""Years of past visits a patient's history covers unless asked for more (or fewer)."""
MAX_HISTORY_YEARS = 20
"""Longest history offered: about as old as township health centres' electronic records."""


def history_years_problem(years: int) -> str | None:
    """Why `years` cannot be a history length, or None when it can."""
    if not 1 <= years <= MAX_HISTORY_YEARS:
        return f"expected a number of years from 1 to {MAX_HISTORY_YEARS}, got {years}"
    return None


MAX_PATIENTS = 200_000
"""Largest demo clinic: 100,000 patients take about half a minute and 1.5 GB on the 2-core
reference machine; far more only fills the disk (and every patient's seed is held in memory)."""
