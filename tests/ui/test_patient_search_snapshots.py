"""Snapshots of the patient search at 80x24: Chinese and Latin names aligned, both languages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine
from textual.app import App, ComposeResult
from textual.widgets import Static

from clinic_tui import i18n
from clinic_tui.offline_cache.patient_search import PatientSearch
from clinic_tui.screens.patient_search import PatientSearchScreen
from tests.ui.patient_search_fixtures import fill_cache
from tests.ui.pilot import settle

SnapCompare = Callable[..., bool]


class SearchSnapshotApp(App[None]):
    """Shows the search over a stand-in queue with `query` already typed."""

    def __init__(self, search: PatientSearch, query: str) -> None:
        super().__init__()
        self.search = search
        self.query_text = query

    def compose(self) -> ComposeResult:
        """The stand-in for the queue underneath."""
        yield Static("queue (host screen)")

    def on_mount(self) -> None:
        """Open the search with the query filled in."""
        screen = PatientSearchScreen(
            self.search, initial_query=self.query_text, today=lambda: date(2026, 11, 24)
        )
        self.push_screen(screen)


@pytest.fixture
def search(engine: Engine) -> PatientSearch:
    """A search over the fixture patients."""
    fill_cache(engine)
    return PatientSearch(engine)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("query", ["1", "qqq"], ids=["mixed-names", "no-match"])
def test_search_at_80x24(
    snap_compare: SnapCompare, search: PatientSearch, language: str, query: str
) -> None:
    i18n.set_language(language)
    app = SearchSnapshotApp(search, query)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
