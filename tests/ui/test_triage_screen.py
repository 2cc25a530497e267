"""The hospital expert's triage inbox driven from the keyboard, at 80x24 and 120x40.

Referrals are written by the township's ReferralStore at known times before the
app's fixed clock; the app opens on the county hospital's cache, so the role is
the expert's without a flag. No server is configured: every action works offline.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, text
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import Select, Static
from textual.widgets.data_table import ColumnKey

from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.referral.reads import InboxReader
from clinic_tui.screens import triage
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.queue import QueueScreen
from clinic_tui.screens.triage import TriageScreen
from clinic_tui.screens.triage_actions import (
    AcceptForm,
    AskForm,
    CompleteForm,
    DeclineForm,
    ForwardForm,
)
from clinic_tui.screens.walk_in_dialogs import ConfirmScreen
from clinic_tui.widgets.inbox_table import InboxTable
from clinic_tui.widgets.sync_badge import SyncBadge
from tests.ui.chart_fixtures import NOW, TODAY
from tests.ui.pilot import press, settle, type_text
from tests.ui.queue_app import Clock
from tests.unit.test_referral_store import DRAFT, _county, _town
from tests.unit.test_referral_store import cache as cache

pytestmark = pytest.mark.anyio
SIZES = [(80, 24), (120, 40)]


def _plain(widget: Any) -> str:
    console = Console(width=400, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(widget.content if isinstance(widget, Static) else widget)
    return " ".join(capture.get().split())


def _refer(engine: Engine, hours_ago: float, priority: str, reason: str) -> str:
    draft = replace(DRAFT, priority=priority, reason_text=reason)
    return _town(engine).refer("p-allergic", draft, NOW - timedelta(hours=hours_ago))


def _inbox(engine: Engine) -> dict[str, str]:
    """Three referrals: stat 6 h ago (over the 4 h SLA), urgent 1 h ago, routine a day ago."""
    return {
        "stat": _refer(engine, 6, "stat", "胸痛 chest pain"),
        "urgent": _refer(engine, 1, "urgent", "气促 breathless"),
        "routine": _refer(engine, 26, "routine", "膝痛 knee pain"),
    }


def _app(engine: Engine, **settings: Any) -> ClinicApp:
    folder = Path(str(engine.url.database)).parent
    chosen = replace(Settings(data_dir=folder), **settings)
    # The cache's clinic is the county hospital: an expert's workstation.
    return ClinicApp(
        settings=chosen,
        cache=ClinicCache(engine, "org-county", "pr-county"),
        clock=Clock(NOW),
        auto_sync=False,
    )


def _status(engine: Engine, task_id: str) -> str:
    with engine.connect() as connection:
        found = connection.execute(text("SELECT status FROM task WHERE id = :i"), {"i": task_id})
        return str(found.scalar_one())


def _table(pilot: Pilot[Any]) -> InboxTable:
    return pilot.app.screen.query_one(InboxTable)


def _names(pilot: Pilot[Any]) -> list[str]:
    return [row.reason for row in _table(pilot).rows_shown]


def _filters(pilot: Pilot[Any]) -> str:
    return _plain(pilot.app.screen.query_one("#triage-filters", Static))


@pytest.mark.parametrize("size", SIZES)
async def test_a_hospital_opens_on_its_inbox_sorted_with_the_sla_mark(
    cache: Engine,
    size: tuple[int, int],
) -> None:
    _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TriageScreen)
        assert _names(pilot) == ["胸痛 chest pain", "气促 breathless", "膝痛 knee pain"]
        table = _table(pilot)
        cells = [_plain(cell) for cell in table.get_row_at(0)]
        assert "!!! STAT" in cells
        assert "⚠ 2h over" in cells  # 6 h waited, 4 h allowed: in words, not colour alone
        assert [_plain(cell) for cell in table.get_row_at(1)][-1] == ""
        assert "⚠ 1 over SLA" in _filters(pilot)
        preview = _plain(app.screen.query_one("#triage-preview-text", Static))
        assert "胸痛 chest pain" in preview
        assert "Problems: I10" in preview


async def test_a_referral_waiting_for_weeks_shows_its_whole_wait_at_80_columns(
    cache: Engine,
) -> None:
    _inbox(cache)
    _refer(cache, 24 * 24 + 12, "routine", "腰痛 back pain")
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = _table(pilot)
        waits = [
            _plain(table.get_cell_at(Coordinate(row, table.get_column_index("wait"))))
            for row in range(table.row_count)
        ]
        assert "24d" in waits  # whole days from ten days: never cut to '24d 12'
        assert all(len(wait) <= table.columns[ColumnKey("wait")].width for wait in waits)


async def test_the_clinic_role_opens_the_queue_even_at_a_hospital(cache: Engine) -> None:
    app = _app(cache, role="clinic")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_filter_keys_and_the_text_filter(cache: Engine) -> None:
    _inbox(cache)
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "u")  # stat only
        assert _names(pilot) == ["胸痛 chest pain"]
        await press(pilot, "u", "u", "u", "u")  # asap, urgent, routine, then all again
        assert len(_names(pilot)) == 3
        await press(pilot, "w", "w")  # waiting longer than 4 h
        assert _names(pilot) == ["胸痛 chest pain", "膝痛 knee pain"]
        assert "w > 4 h" in _filters(pilot)
        await press(pilot, "w", "w", "w", "w")  # back to any wait
        await press(pilot, "d")  # the first department by name: 内分泌科 has none
        assert _names(pilot) == []
        assert "No referral matches these filters" in _plain(
            pilot.app.screen.query_one("#triage-empty", Static)
        )
        await press(pilot, "d")  # 心内科
        assert len(_names(pilot)) == 3
        await press(pilot, "slash")
        await type_text(pilot, "knee")
        assert _names(pilot) == ["膝痛 knee pain"]
        await press(pilot, "enter")
        assert pilot.app.focused is _table(pilot)
        assert "/ knee" in _filters(pilot)


async def test_j_k_move_and_o_opens_the_chart(cache: Engine) -> None:
    _inbox(cache)
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "k")
        assert _table(pilot).cursor_row == 1
        await press(pilot, "o")
        assert isinstance(pilot.app.screen, ChartScreen)
        assert pilot.app.screen.patient_id == "p-allergic"


async def test_accept_with_an_appointment_writes_it_locally(cache: Engine) -> None:
    tasks = _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = app.cache.pending_changes()
        assert f"{before} unsynced" in _plain(app.screen.query_one(SyncBadge).render())
        await press(pilot, "a")
        assert isinstance(app.screen, AcceptForm)
        await type_text(pilot, (TODAY + timedelta(days=2)).isoformat())
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, TriageScreen)
        assert _status(cache, tasks["stat"]) == "accepted"
        # It leaves "to triage": the notice says where it went and how to complete it.
        assert app.notices[-1] == (
            "Accepted: 1 · 张伟 now under “s open”: s shows it, c completes it"
        )
        # Offline: the change waits in the outbox and the badge says so.
        assert before == app.cache.pending_changes()  # the Task was pending already (refer)
        assert f"{before} unsynced" in _plain(app.screen.query_one(SyncBadge).render())
        with cache.connect() as connection:
            # Still one create for the server (never synced): it now carries the acceptance.
            outbox = connection.execute(
                text("SELECT count(*) FROM outbox WHERE resource_id = :i"), {"i": tasks["stat"]}
            ).scalar_one()
            pending = connection.execute(
                text("SELECT pending FROM task WHERE id = :i"), {"i": tasks["stat"]}
            ).scalar_one()
        assert (outbox, pending) == (1, 1)
        assert _names(pilot) == ["气促 breathless", "膝痛 knee pain"]


async def test_accept_refuses_a_wrong_date_and_writes_nothing(cache: Engine) -> None:
    tasks = _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "a")
        await type_text(pilot, "2026-02-30")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, AcceptForm)
        assert "Not a date" in _plain(app.screen.query_one("#appointment-error", Static))
        assert _status(cache, tasks["stat"]) == "requested"


async def test_decline_with_a_coded_reason(cache: Engine) -> None:
    tasks = _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "x")
        form = app.screen
        assert isinstance(form, DeclineForm)
        form.query_one("#decline-reason", Select).value = "manage-locally"
        form.query_one("#decline-text").focus()
        await type_text(pilot, "先调整用药")
        await press(pilot, "ctrl+s")
        assert _status(cache, tasks["urgent"]) == "rejected"
        with cache.connect() as connection:
            task = json.loads(
                connection.execute(
                    text("SELECT resource_json FROM task WHERE id = :i"), {"i": tasks["urgent"]}
                ).scalar_one()
            )
        assert task["statusReason"]["coding"][0]["code"] == "manage-locally"
        assert task["statusReason"]["text"] == "先调整用药"


async def test_ask_writes_a_question_into_the_thread(cache: Engine) -> None:
    tasks = _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "q")
        assert isinstance(app.screen, AskForm)
        await type_text(pilot, "ECG?")
        await press(pilot, "ctrl+s")
        assert _status(cache, tasks["stat"]) == "requested"  # a question moves nothing
        thread = _county(cache).thread(tasks["stat"])
        assert [(m.kind, m.text) for m in thread] == [("question", "ECG?")]
        await settle(pilot)
        assert "ECG?" in _plain(app.screen.query_one("#triage-preview-text", Static))


async def test_forward_to_another_department(cache: Engine) -> None:
    tasks = _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f")
        form = app.screen
        assert isinstance(form, ForwardForm)
        assert form.departments == [("dept-endo", "内分泌科")]  # not the one it is at
        form.query_one("#forward-department", Select).value = "dept-endo"
        await press(pilot, "ctrl+s")
        assert _table(pilot).rows_shown[0].department == "内分泌科"
        assert _status(cache, tasks["stat"]) == "requested"


async def test_complete_with_advice_and_a_follow_up(cache: Engine) -> None:
    tasks = _inbox(cache)
    _county(cache).accept(tasks["urgent"], NOW, teleconsultation=True)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")  # all open referrals, the accepted one among them
        assert "气促 breathless" in _names(pilot)
        while _table(pilot).selected.task_id != tasks["urgent"]:  # type: ignore[union-attr]
            await press(pilot, "j")
        await press(pilot, "c")
        assert isinstance(app.screen, CompleteForm)
        await type_text(pilot, "继续口服药")
        await press(pilot, "tab")
        await type_text(pilot, "测血压")
        await press(pilot, "tab")
        await type_text(pilot, (TODAY + timedelta(days=14)).isoformat())
        await press(pilot, "ctrl+s")
        assert _status(cache, tasks["urgent"]) == "completed"
        with cache.connect() as connection:
            due = connection.execute(
                text("SELECT due_date FROM task WHERE kind = 'follow-up'")
            ).scalar_one()
        assert due == (TODAY + timedelta(days=14)).isoformat()


async def test_an_illegal_action_says_why_and_opens_nothing(cache: Engine) -> None:
    tasks = _inbox(cache)
    _county(cache).decline(tasks["stat"], "duplicate", "", NOW)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *"sssssss")  # open, then each status alone: declined is the 7th
        assert _names(pilot) == ["胸痛 chest pain"]
        await press(pilot, "a")
        assert isinstance(app.screen, TriageScreen)
        assert app.notices[-1] == "a declined referral cannot be accepted"
        await press(pilot, "c")  # complete: also refused, in the state machine's words
        assert app.notices[-1] == "a declined referral cannot be completed"


async def test_bulk_accept_of_marked_rows_after_a_confirmation(cache: Engine) -> None:
    tasks = _inbox(cache)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "space")  # marks the first two, moving down each time
        assert _table(pilot).marked == {tasks["stat"], tasks["urgent"]}
        assert "+ 2 marked" in _filters(pilot)
        await press(pilot, "a")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        assert isinstance(app.screen, AcceptForm)
        app.screen.query_one("#teleconsultation").value = True  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        assert [_status(cache, tasks[k]) for k in ("stat", "urgent", "routine")] == [
            "accepted",
            "accepted",
            "requested",
        ]
        assert app.notices[-1].startswith("Accepted: 2 · 2 referrals now under “s open”")
        assert _table(pilot).marked == set()


async def test_the_inbox_in_chinese(cache: Engine) -> None:
    from clinic_tui import i18n

    _inbox(cache)
    i18n.set_language("zh")
    app = _app(cache, language="zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        cells = [_plain(cell) for cell in _table(pilot).get_row_at(0)]
        assert "!!! 立即" in cells
        assert "已申请" in cells
        assert "⚠ 超时2小时" in cells
        assert "分诊收件箱" in _plain(app.screen.query_one("#triage-title", Static))


@pytest.mark.parametrize("size", SIZES)
async def test_columns_fit_beside_the_scrollbar(tmp_path: Path, size: tuple[int, int]) -> None:
    from tests.ui.triage_app import triage_app

    app = triage_app(tmp_path, patients=200)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, *"sssssssss")  # every referral: more rows than the screen holds
        table = _table(pilot)
        assert table.virtual_size.height > table.size.height  # so a vertical scrollbar shows
        # ... and no sideways one: every column is in view (was one cell too wide at 80).
        assert table.virtual_size.width <= table.size.width - 2


async def test_typing_in_the_filter_reads_no_preview_until_back_on_the_list(
    cache: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _inbox(cache)
    # A pause no test outlasts: the preview may only follow through leaving the filter.
    monkeypatch.setattr(triage, "PREVIEW_PAUSE", 3600.0)
    reads: list[str] = []

    def read_preview(reader: InboxReader, task_id: str) -> Any:
        reads.append(task_id)
        return real_read_preview(reader, task_id)

    real_read_preview = InboxReader.preview
    monkeypatch.setattr(InboxReader, "preview", read_preview)
    async with _app(cache).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert len(reads) == 1  # the top referral on opening
        preview = pilot.app.screen.query_one("#triage-preview-text", Static)
        await press(pilot, "slash")
        await type_text(pilot, "knee")  # each keystroke moves the top row
        assert _names(pilot) == ["膝痛 knee pain"]
        assert len(reads) == 1
        assert "胸痛 chest pain" in _plain(preview)  # still the one before typing
        await press(pilot, "enter")
        assert len(reads) == 2
        assert "膝痛 knee pain" in _plain(preview)


async def test_a_keystroke_that_changes_no_row_keeps_the_table(
    cache: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _inbox(cache)
    async with _app(cache).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j")
        table = _table(pilot)
        cleared: list[bool] = []
        real_clear = table.clear

        def clear(columns: bool = False) -> InboxTable:
            cleared.append(columns)
            return real_clear(columns)

        monkeypatch.setattr(table, "clear", clear)
        await press(pilot, "slash")
        await type_text(pilot, "  ")  # spaces: no word to look for, every row still passes
        assert cleared == []
        assert _names(pilot) == ["胸痛 chest pain", "气促 breathless", "膝痛 knee pain"]
        assert table.cursor_row == 1
        await type_text(pilot, "knee")
        assert cleared == [False]
        assert _names(pilot) == ["膝痛 knee pain"]


async def test_a_click_selects_the_row_clicked_after_filtering(cache: Engine) -> None:
    _inbox(cache)
    async with _app(cache).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "knee")
        await press(pilot, *["backspace"] * 4, "enter")
        assert _table(pilot).cursor_row == 2  # still on the knee
        # The cells are drawn from before the filter, each at a new place: a click on the
        # second row (under the header) must still say the second row.
        assert await pilot.click(InboxTable, offset=(6, 2))
        await settle(pilot)
        assert _table(pilot).cursor_row == 1


# ----- teleconsultation cues and the inbox's workings (issue #20) ----------------------------


def _township_writes(engine: Engine, task_id: str, *texts: str) -> None:
    """The township's messages on `task_id`, a minute apart, as the hospital's cache holds
    them once synced."""
    for minute, words in enumerate(texts):
        _town(engine).ask(task_id, words, NOW + timedelta(minutes=minute))
    with engine.begin() as connection:
        connection.execute(text("UPDATE communication SET pending = 0"))


def _name_cell(pilot: Pilot[Any], row: int) -> str:
    table = _table(pilot)
    return _plain(table.get_cell_at((row, list(table.columns).index("name"))))


def _preview(pilot: Pilot[Any]) -> str:
    return _plain(pilot.app.screen.query_one("#triage-preview-text", Static))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_an_unread_township_message_is_marked_until_the_expert_reads_it(
    cache: Engine, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    from clinic_tui import i18n

    tasks = _inbox(cache)
    _township_writes(cache, tasks["urgent"], "血压 180/110，已给硝苯地平")
    # A dwell no test outlasts: only Enter or an action key may clear a mark here.
    monkeypatch.setattr(triage, "SEEN_AFTER", 3600.0)
    i18n.set_language(lang)
    app = _app(cache, language=lang)
    async with app.run_test(size=(80, 24) if lang == "en" else (120, 40)) as pilot:
        await settle(pilot)
        assert _name_cell(pilot, 1).startswith("✉1 ")  # a text mark, not a colour
        assert not _name_cell(pilot, 0).startswith("✉")
        await press(pilot, "j", "j", "k", "k")  # the cursor passes over it: still unread
        assert _name_cell(pilot, 1).startswith("✉1 ")
        await press(pilot, "j")
        new = "✉ 1 new" if lang == "en" else "✉ 1条新留言"
        assert new in _preview(pilot)
        assert f"✉ {NOW:%m-%d %H:%M}" in _preview(pilot)  # the new message itself is marked too
        await press(pilot, "enter")  # read: the mark goes, here and on the next read
        assert not _name_cell(pilot, 1).startswith("✉")
        # The preview keeps saying which messages were new while the expert reads them.
        assert new in _preview(pilot)
        await press(pilot, "s", "s", "s", "s", "s", "s", "s", "s", "s")  # all, a re-read later
        assert all(not row.unread for row in _table(pilot).rows_shown)


async def test_the_mark_clears_after_the_thread_has_been_shown_a_moment(
    cache: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = _inbox(cache)
    _township_writes(cache, tasks["stat"], "已做心电图")
    dwells: list[Any] = []  # the seen timers' callbacks, run here instead of waiting a second
    real_set_timer = TriageScreen.set_timer

    def set_timer(screen: TriageScreen, delay: float, callback: Any = None, **kw: Any) -> Any:
        if delay == triage.SEEN_AFTER:
            dwells.append(callback)
        return real_set_timer(
            screen, 3600.0 if delay == triage.SEEN_AFTER else delay, callback, **kw
        )

    monkeypatch.setattr(TriageScreen, "set_timer", set_timer)
    async with _app(cache).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert len(dwells) == 1  # the thread of the top row is on show: its second began
        await press(pilot, "j")  # ... but the expert moved on before it was over
        dwells[-1]()
        await settle(pilot)
        assert _table(pilot).rows_shown[0].unread == 1
        assert _name_cell(pilot, 0).startswith("✉1 ")
        await press(pilot, "k")  # back, and staying this time
        assert len(dwells) == 2
        dwells[-1]()
        await settle(pilot)
        assert _table(pilot).rows_shown[0].unread == 0
        assert not _name_cell(pilot, 0).startswith("✉")
        with cache.connect() as connection:
            seen = connection.execute(
                text("SELECT value FROM cache_meta WHERE key = :k"),
                {"k": "thread-seen:" + tasks["stat"]},
            ).scalar_one()
        assert seen == "1"


async def test_an_action_key_marks_the_thread_read(
    cache: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = _inbox(cache)
    _township_writes(cache, tasks["stat"], "已做心电图")
    monkeypatch.setattr(triage, "SEEN_AFTER", 3600.0)
    app = _app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert _table(pilot).rows_shown[0].unread == 1
        await press(pilot, "q")  # ask: the expert answers what the preview showed
        assert isinstance(app.screen, AskForm)
        await press(pilot, "escape")
        await settle(pilot)
        assert _table(pilot).rows_shown[0].unread == 0


async def test_the_preview_shows_the_newest_messages_first_and_uses_the_height(
    cache: Engine,
) -> None:
    tasks = _inbox(cache)
    _township_writes(cache, tasks["stat"], "first message", "second message", "latest message")
    async with _app(cache).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        preview = _preview(pilot)
        assert preview.index("latest message") < preview.index("second message")
        assert preview.index("second message") < preview.index("first message")
        assert preview.index("first message") < preview.index("Problems: I10")  # summary last
        pane = pilot.app.screen.query_one("#triage-preview")
        assert pane.size.height > 7  # not a fixed 7 lines with the screen half empty
        # Every line of the thread is in view without scrolling.
        assert pane.virtual_size.height <= pane.size.height


async def test_tab_leaves_the_cursor_where_it_is_seen_and_c_acts_on_that_row(
    cache: Engine,
) -> None:
    tasks = _inbox(cache)
    _county(cache).accept(tasks["stat"], NOW, teleconsultation=True)
    _county(cache).accept(tasks["urgent"], NOW, teleconsultation=True)
    app = _app(cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "s")  # open ones: the two accepted first
        assert _names(pilot)[:2] == ["胸痛 chest pain", "气促 breathless"]
        await press(pilot, "k", "k", "tab", "down")
        table = _table(pilot)
        assert table.cursor_row == 1  # ↓ moved the row marked on screen
        assert "▶" in _plain(table.get_cell_at((1, 0)))
        await press(pilot, "c")
        assert isinstance(app.screen, CompleteForm)
        assert [row.task_id for row in app.screen.rows] == [tasks["urgent"]]


@pytest.mark.parametrize("typed", ["hxb", "hexiao", "xnk", "xinneike"])
async def test_the_text_filter_takes_pinyin_and_initials(cache: Engine, typed: str) -> None:
    _inbox(cache)
    with cache.begin() as connection:  # the keys the cache keeps with each patient
        connection.execute(
            text("UPDATE patient SET pinyin_full = 'hexiaobo', pinyin_initials = 'hxb'")
        )
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await type_text(pilot, typed)  # the patient's pinyin or initials, or 心内科's
        assert len(_names(pilot)) == 3  # all three are this patient's, at 心内科
        await type_text(pilot, " knee")
        assert _names(pilot) == ["膝痛 knee pain"]
        await press(pilot, *["backspace"] * 5)
        await type_text(pilot, "qqq")
        assert _names(pilot) == []
