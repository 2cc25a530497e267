"""PatientSearchScreen from the keyboard: type, see results, Enter returns an id, Escape None."""

from __future__ import annotations

from datetime import date

import pytest
from rich.cells import cell_len
from sqlalchemy import Engine
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Static

from clinic_tui import i18n
from clinic_tui.domain.national_id import make
from clinic_tui.offline_cache.patient_search import PatientSearch
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.screens.patient_search import PatientSearchScreen, ResultsTable
from tests.ui.patient_search_fixtures import SMITH_ID_NUMBER, fill_cache, patient
from tests.ui.pilot import settle, type_text

# Pilot tests are coroutines; anyio's pytest plugin (installed with httpx) runs them.
pytestmark = pytest.mark.anyio

TODAY = date(2026, 11, 24)


class SearchHostApp(App[None]):
    """Pushes one PatientSearchScreen and keeps what it was dismissed with."""

    def __init__(self, search: PatientSearch, title: str | None = None) -> None:
        super().__init__()
        self.search = search
        self.title_text = title
        self.chosen: list[str | None] = []

    def compose(self) -> ComposeResult:
        """The stand-in for the queue underneath."""
        yield Static("queue (host screen)")

    def on_mount(self) -> None:
        """Open the search at once."""
        screen = PatientSearchScreen(self.search, title=self.title_text, today=lambda: TODAY)
        self.push_screen(screen, self.chosen.append)


@pytest.fixture
def search(engine: Engine) -> PatientSearch:
    """A search over the fixture patients."""
    fill_cache(engine)
    return PatientSearch(engine)


@pytest.fixture
def no_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search on the next tick after a keystroke, so tests wait on workers, not on a timer."""
    monkeypatch.setattr(PatientSearchScreen, "DEBOUNCE_SECONDS", 0.0)


def _screen(pilot: Pilot[None]) -> PatientSearchScreen:
    screen = pilot.app.screen
    assert isinstance(screen, PatientSearchScreen)
    return screen


def _names(pilot: Pilot[None]) -> list[str]:
    table = pilot.app.screen.query_one(ResultsTable)
    return [str(table.get_row_at(row)[0]) for row in range(table.row_count)]


def _status(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one("#patient-search-status", Static).render())


@pytest.mark.usefixtures("no_debounce")
async def test_enter_with_several_matches_chooses_nobody_until_a_row_is_chosen(
    search: PatientSearch,
) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.focused, Input)
        await type_text(pilot, "zs")
        assert _names(pilot) == ["张三", "张珊", "章三丰"]
        assert _status(pilot) == "3 patients"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientSearchScreen)  # nobody taken by rank alone
        assert _status(pilot) == "3 patients match: choose one with ↓ and Enter"
        assert app.chosen == []
        await type_text(pilot, "f")  # zsf: one match left
        await pilot.press("enter")
        await pilot.pause()
    assert app.chosen == ["p-zhangsanfeng"]


@pytest.mark.usefixtures("no_debounce")
async def test_three_patients_of_one_name_are_all_shown_and_enter_waits_for_a_row(
    engine: Engine,
) -> None:
    fill_cache(engine)
    namesakes = [
        patient(f"p-lsf-{n}", "李", "素芬", gender="female", birth=birth, id_number=number,
                phone=f"1390000000{n}")
        for n, (birth, number) in enumerate(
            [("1960-01-01", make("430124", date(1960, 1, 1), 2)),
             ("1971-05-05", make("430124", date(1971, 5, 5), 4)),
             ("1983-09-09", make("430124", date(1983, 9, 9), 6))]
        )
    ]  # fmt: skip
    with engine.begin() as connection:
        upsert_resources(connection, namesakes)
    app = SearchHostApp(PatientSearch(engine))
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "李素芬")
        await pilot.press("enter")
        await settle(pilot)
        assert _names(pilot) == ["李素芬"] * 3
        assert "3 patients match" in _status(pilot)
        assert app.chosen == []
        await pilot.press("down", "down", "enter")
        await pilot.pause()
    assert app.chosen == ["p-lsf-1"]


async def test_enter_typed_before_several_results_arrive_waits_for_a_row(
    search: PatientSearch,
) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"zs", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientSearchScreen)
        assert "3 patients match" in _status(pilot)
        assert app.chosen == []


@pytest.mark.usefixtures("no_debounce")
async def test_down_moves_into_results_and_enter_picks_that_row(search: PatientSearch) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "zs")
        await pilot.press("down")
        assert isinstance(app.focused, ResultsTable)
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.chosen == ["p-zhangshan"]


@pytest.mark.usefixtures("no_debounce")
async def test_up_from_first_row_returns_to_the_query(search: PatientSearch) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "zs")
        await pilot.press("down", "down", "up")
        assert isinstance(app.focused, ResultsTable)
        await pilot.press("up")
        assert isinstance(app.focused, Input)
        await pilot.press("f")
        await settle(pilot)
        assert _names(pilot) == ["章三丰"]


async def test_escape_returns_none(search: PatientSearch) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"zs")
        await pilot.press("escape")
        await pilot.pause()
    assert app.chosen == [None]


@pytest.mark.usefixtures("no_debounce")
async def test_no_match_says_so_and_enter_does_nothing(search: PatientSearch) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "qqq")
        assert _names(pilot) == []
        assert _status(pilot) == "No patient matches 'qqq'"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientSearchScreen)
    assert app.chosen == []


async def test_enter_typed_before_results_arrive_picks_the_fresh_top_result(
    search: PatientSearch,
) -> None:
    # A card reader types the whole number and Enter at once, inside the real debounce.
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*SMITH_ID_NUMBER.lower(), "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    assert app.chosen == ["p-smith"]


@pytest.mark.usefixtures("no_debounce")
async def test_stale_results_are_never_shown(search: PatientSearch) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "ls")
        assert _names(pilot) == ["李四"]
        _screen(pilot).run_search("zs")  # a search for a query no longer in the box
        await settle(pilot)
        assert _names(pilot) == ["李四"]


@pytest.mark.usefixtures("no_debounce")
async def test_clearing_the_query_clears_the_results(search: PatientSearch) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "zs")
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert _names(pilot) == []
        assert "Type a name" in _status(pilot)


@pytest.mark.usefixtures("no_debounce")
async def test_chinese_and_latin_names_line_up_at_80_columns(search: PatientSearch) -> None:
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "110105")
        table = pilot.app.screen.query_one(ResultsTable)
        assert table.row_count == 3
        offsets = set()
        for y in range(1, table.row_count + 1):  # line 0 is the header
            line = table.render_line(y).text
            start = next(i for i in range(len(line)) if line[i : i + 2] in ("19", "20"))
            offsets.add(cell_len(line[:start]))
        assert len(offsets) == 1, offsets
        # Every column, the phone last, is inside the 80-column screen.
        assert table.virtual_size.width <= 80


@pytest.mark.usefixtures("no_debounce")
async def test_labels_in_chinese(search: PatientSearch) -> None:
    i18n.set_language("zh")
    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "查找患者" in str(pilot.app.screen.query_one("#patient-search-title").render())
        await type_text(pilot, "qqq")
        assert _status(pilot) == "没有与“qqq”匹配的患者"
        await pilot.press("backspace", "backspace", "backspace", *"ls")
        await settle(pilot)
        assert _status(pilot) == "1 位患者"
        assert str(pilot.app.screen.query_one(ResultsTable).get_row_at(0)[1]) == "女 50岁"


async def test_custom_title(search: PatientSearch) -> None:
    app = SearchHostApp(search, title="Walk-in: find the patient first")
    async with app.run_test(size=(80, 24)) as pilot:
        title = str(pilot.app.screen.query_one("#patient-search-title").render())
        assert title == "Walk-in: find the patient first"


@pytest.mark.usefixtures("no_debounce")
async def test_typing_and_the_blink_repaint_the_query_line_alone_and_focus_repaints_it_whole(
    search: PatientSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a thin link the border above and below the query was two thirds of each
    # keystroke's and each blink's bytes: only the line of text is redrawn for those.
    from textual.widget import Widget

    from clinic_tui.screens.patient_search import QueryInput

    app = SearchHostApp(search)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        query = app.screen.query_one(QueryInput)
        calls: list[tuple[object, ...]] = []
        original = Widget.refresh

        def spy(self: Widget, *regions: object, **options: bool) -> Widget:
            if self is query and options.get("repaint", True):
                calls.append(regions)
            return original(self, *regions, **options)  # type: ignore[arg-type]

        monkeypatch.setattr(Widget, "refresh", spy)
        await pilot.press("s")
        query._toggle_cursor()
        text_line = query.content_region.reset_offset
        assert calls
        assert all(regions == (text_line,) for regions in calls), calls
        assert text_line.height == 1
        assert query.outer_size.height == 3  # the border above and below is not in it
        calls.clear()
        query.blur()  # its border changes look: all of it is repainted
        await pilot.pause()
        assert () in calls, calls
        monkeypatch.undo()
        await settle(pilot)
        assert _names(pilot)  # the search itself went on as before
