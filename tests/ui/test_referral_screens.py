"""Referral screens under Pilot: refer from the chart, the thread, follow-ups on the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from textual.message import Message
from textual.widgets import DataTable, Select, Static, TextArea

from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.domain.models import Clinic
from clinic_tui.messages import SyncCounts
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import read_resource, upsert_resources
from clinic_tui.referral import fhir_shapes as shapes
from clinic_tui.referral.model import Coded, FollowUpPlan, ReferralDraft
from clinic_tui.referral.store import ReferralStore
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.follow_ups import FollowUpsScreen
from clinic_tui.screens.refer_form import ReferForm
from clinic_tui.screens.referrals import MessageForm, ReferralScreen, ReferralsScreen
from clinic_tui.widgets.referral_section import ReferralsSection
from tests.ui.chart_fixtures import NOW, TODAY, fill_cache, fixed_clock
from tests.ui.chart_host import ChartHostApp
from tests.ui.pilot import press, settle, type_text

pytestmark = pytest.mark.anyio

CARDIOLOGY = Coded(shapes.SNOMED, "394579002", "Cardiology")
COUNTY = Clinic("org-county", "青山县人民医院")


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The chart fixtures (p-allergic in today's queue) and a cardiology department."""
    fill_cache(engine)
    hospital = {"resourceType": "Organization", "id": "org-county", "name": "青山县人民医院"}
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [shapes.department_organization("dept-cardio", hospital, "心内科", CARDIOLOGY)],
        )
    return ClinicCache(engine, "org-town")


def _text(widget: Static) -> str:
    from rich.console import Console

    console = Console(width=300, color_system=None)
    with console.capture() as capture:
        console.print(widget.content)
    return " ".join(capture.get().split())


def _tasks(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        ids = [i for (i,) in connection.execute(text("SELECT id FROM task ORDER BY authored_on"))]
        return [read_resource(connection, "Task", i) or {} for i in ids]


async def test_r_on_the_chart_sends_a_referral_with_the_summary_from_the_chart(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        await press(pilot, "r")
        form = app.screen
        assert isinstance(form, ReferForm)
        summary = form.query_one("#summary", TextArea).text
        assert "I10" in summary
        assert "青霉素 Penicillin" in summary  # the allergy the hospital must know
        assert "氨氯地平片 Amlodipine 5mg" in summary
        assert "152/96" in summary  # the latest blood pressure
        assert form.query_one("#hospital", Select).value == "org-county"
        assert form.query_one("#refer-reason", Select).value in ("I10", "E11.9")
        form.query_one("#department", Select).value = "dept-cardio"
        form.query_one("#priority", Select).value = "urgent"
        await settle(pilot)
        box = form.query_one("#summary", TextArea)
        box.focus()
        await press(pilot, "ctrl+home")
        assert box.cursor_location == (0, 0)
        await press(pilot, "ctrl+end")  # the whole text's end, to add a line under the facts
        assert box.cursor_location == box.document.end
        await pilot.press("enter", *"头晕加重三天")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ChartScreen)
        section = app.screen.query_one(ReferralsSection)
        assert section.display
        assert "[Requested] !! Urgent Referral to 青山县人民医院 心内科" in _render(section.body)
        [task] = _tasks(cache.engine)
        assert task["status"] == "requested"
        assert task["priority"] == "urgent"
        with cache.engine.connect() as connection:
            request_id = str(task["focus"]["reference"]).split("/")[1]  # type: ignore[index]
            request = read_resource(connection, "ServiceRequest", request_id) or {}
        assert "头晕加重三天" in request["note"][0]["text"]
        assert "Condition/c-1" in [s["reference"] for s in request["supportingInfo"]]


async def test_a_referral_without_a_reason_is_refused_and_nothing_is_written(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, "p-unrecorded", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        form = app.screen
        assert isinstance(form, ReferForm)
        assert form.query_one("#refer-reason", Select).value == "__search__"  # no problems on file
        await press(pilot, "ctrl+s")
        assert app.screen is form
        assert "Choose the reason" in _text(form.query_one("#refer-reason-error", Static))
        assert _tasks(cache.engine) == []
        form.query_one("#refer-reason-query").focus()
        await type_text(pilot, "I10")
        await press(pilot, "enter", "ctrl+s")
        assert isinstance(app.screen, ChartScreen)
        assert len(_tasks(cache.engine)) == 1


async def test_the_thread_shows_the_question_and_a_answers_it(cache: ClinicCache) -> None:
    town = ReferralStore(cache.engine, cache.clinic)
    task_id = town.refer(
        "p-allergic", ReferralDraft(hospital_id="org-county", reason_text="头晕"), NOW
    )
    ReferralStore(cache.engine, COUNTY).ask(task_id, "最近一次心电图？", NOW)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    counts: list[int | None] = []

    def hook(message: Message) -> None:
        if isinstance(message, SyncCounts):
            counts.append(message.pending)

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await settle(pilot)
        await press(pilot, "R")
        listing = app.screen
        assert isinstance(listing, ReferralsScreen)
        assert listing.query_one(DataTable).row_count == 1
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, ReferralScreen)
        thread = _text(screen.query_one("#referral-thread", Static))
        assert "青山县人民医院 · Question" in thread
        assert "最近一次心电图？" in thread
        await press(pilot, "a")
        assert isinstance(app.screen, MessageForm)
        await type_text(pilot, "窦性心律")
        await press(pilot, "ctrl+s")
        assert app.screen is screen
        thread = _text(screen.query_one("#referral-thread", Static))
        assert "this clinic · Answer *" in thread
        assert "窦性心律" in thread
        # The unsynced badge is told at once: the answer waits in the outbox.
        assert counts
        assert counts[-1] == cache.pending_changes()
        # ... and the notice says so too, never "sent" while the badge counts it unsynced.
        notices = [notice.message for notice in app._notifications]
        assert "Answer saved; it goes with the next sync" in notices
        assert not [notice for notice in notices if "sent" in notice]


async def test_a_follow_up_sent_down_is_on_the_queue_on_its_day(cache: ClinicCache) -> None:
    town = ReferralStore(cache.engine, cache.clinic)
    task_id = town.refer(
        "p-allergic", ReferralDraft(hospital_id="org-county", reason_text="头晕"), NOW
    )
    county = ReferralStore(cache.engine, COUNTY)
    earlier = NOW - timedelta(days=20)
    county.accept(task_id, earlier, teleconsultation=True)
    county.complete(task_id, "氨氯地平加量", earlier, FollowUpPlan(TODAY, "复测血压"))
    app = ClinicApp(settings=Settings(data_dir=cache.path.parent), cache=cache, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = app.screen.query_one("#queue-follow-ups", Static)
        assert line.display
        assert _text(line) == "Follow-ups due 1: 张伟 复测血压 [F]"
        await press(pilot, "F")
        screen = app.screen
        assert isinstance(screen, FollowUpsScreen)
        table = screen.query_one(DataTable)
        assert [str(c) for c in table.get_row_at(0)] == [
            TODAY.isoformat(), "张伟 *", "复测血压", "青山县人民医院"
        ]  # fmt: skip
        await press(pilot, "enter")
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        plan = chart.query_one(ReferralsSection)
        assert plan.display
        assert "Follow-up due 2026-11-24: 复测血压" in _render(plan.body)
        assert "[Completed]" in _render(plan.body)
        await press(pilot, "escape", "x", "y")
        assert screen.query_one(DataTable).row_count == 0
        await press(pilot, "escape")
        assert not app.screen.query_one("#queue-follow-ups", Static).display


def test_the_queue_line_and_the_store_read_the_same_follow_ups(cache: ClinicCache) -> None:
    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.referral.follow_up_read import read_follow_ups_due

    town = ReferralStore(cache.engine, cache.clinic)
    county = ReferralStore(cache.engine, COUNTY)
    for days in (0, 3):
        task_id = town.refer("p-allergic", ReferralDraft(hospital_id="org-county"), NOW)
        county.accept(task_id, NOW)
        county.complete(task_id, "ok", NOW, FollowUpPlan(TODAY + timedelta(days=days), "随访"))
    for day in (TODAY, TODAY + timedelta(days=5)):
        with connect(cache.path) as connection:
            light = read_follow_ups_due(connection, "org-town", day)
        assert light == town.follow_ups_due(day)
        assert len(light) == (1 if day == TODAY else 2)


def _render(renderable: object) -> str:
    from rich.console import Console

    console = Console(width=300, color_system=None)
    with console.capture() as capture:
        console.print(renderable)
    return " ".join(capture.get().split())


async def test_in_the_real_app_every_refer_field_sits_on_its_label_s_line(
    cache: ClinicCache,
) -> None:
    # The app's stylesheet once gave #reason (the status dialog's field) a top margin that
    # pushed the reason below its label, out of sight: hence ids of the form's own.
    app = ClinicApp(settings=Settings(data_dir=cache.path.parent), cache=cache, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, ChartScreen)
        await press(pilot, "r")
        form = app.screen
        assert isinstance(form, ReferForm)
        for field in ("hospital", "department", "category", "priority", "refer-reason"):
            widget = form.query_one(f"#{field}", Select)
            row = widget.parent
            assert row is not None
            assert widget.region.y == row.region.y, field
            assert widget.region.height == 1, field


# ----- teleconsultation cues and keys typed early (issue #20) -------------------------------


def _hospital_asks(cache: ClinicCache, question: str = "最近一次心电图？") -> str:
    """A referral this clinic sent, with the hospital's question as it arrives by sync."""
    town = ReferralStore(cache.engine, cache.clinic)
    task_id = town.refer(
        "p-allergic", ReferralDraft(hospital_id="org-county", reason_text="头晕"), NOW
    )
    ReferralStore(cache.engine, COUNTY).ask(task_id, question, NOW)
    with cache.engine.begin() as connection:
        connection.execute(text("UPDATE communication SET pending = 0"))  # synced
    return task_id


@pytest.mark.parametrize(
    ("lang", "line", "new"),
    [
        ("en", "✉ 1 referral with new messages [R]", "✉ 1 new"),
        ("zh", "✉ 1 条转诊有新留言 [R]", "✉ 1条新留言"),
    ],
)
async def test_a_new_message_is_marked_on_the_queue_and_in_r_until_opened(
    cache: ClinicCache, lang: str, line: str, new: str
) -> None:
    from clinic_tui import i18n

    _hospital_asks(cache)
    i18n.set_language(lang)
    settings = Settings(data_dir=cache.path.parent, language=lang)
    app = ClinicApp(settings=settings, cache=cache, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cue = app.screen.query_one("#queue-follow-ups", Static)
        assert cue.display
        assert _text(cue) == line  # words, not a colour: NO_COLOR shows it too
        await press(pilot, "R")
        listing = app.screen
        assert isinstance(listing, ReferralsScreen)
        table = listing.query_one(DataTable)
        assert str(table.get_cell_at((0, len(table.columns) - 1))) == "✉1"
        assert table.region.width <= 80
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, ReferralScreen)
        thread = _text(screen.query_one("#referral-thread", Static))
        assert thread.startswith(new)
        await press(pilot, "escape")  # read: the mark has gone from the list ...
        assert str(table.get_cell_at((0, len(table.columns) - 1))) == ""
        await press(pilot, "escape")  # ... and from the queue
        assert not app.screen.query_one("#queue-follow-ups", Static).display


@pytest.mark.parametrize(("lang", "new"), [("en", "✉ 1 new"), ("zh", "✉ 1条新留言")])
async def test_the_chart_s_referral_line_marks_a_new_message_until_opened(
    cache: ClinicCache, lang: str, new: str
) -> None:
    from clinic_tui import i18n

    _hospital_asks(cache)
    i18n.set_language(lang)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        section = app.screen.query_one(ReferralsSection)
        assert new in _render(section.body)
        await press(pilot, "R", "enter")
        assert isinstance(app.screen, ReferralScreen)
        await press(pilot, "escape", "escape")
        assert isinstance(app.screen, ChartScreen)
        await settle(pilot)
        assert "✉" not in _render(app.screen.query_one(ReferralsSection).body)


async def test_an_enter_typed_before_r_has_loaded_opens_the_first_referral(
    cache: ClinicCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    task_id = _hospital_asks(cache)
    release = threading.Event()
    real = ReferralStore.referrals_of_clinic

    def slow(store: ReferralStore, *args: object, **kwargs: object) -> object:
        release.wait(30)  # the list reads until the test has typed Enter
        return real(store, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ReferralStore, "referrals_of_clinic", slow)
    app = ClinicApp(settings=Settings(data_dir=cache.path.parent), cache=cache, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("R", "enter")  # typed together, the list still reading
        await pilot.pause()
        assert isinstance(app.screen, ReferralsScreen)
        release.set()
        await settle(pilot)
        assert isinstance(app.screen, ReferralScreen)
        assert app.screen.task_id == task_id
        await press(pilot, "escape")
        assert isinstance(app.screen, ReferralsScreen)  # once: the list stays when back


async def test_an_enter_typed_before_f_has_loaded_opens_the_first_chart(
    cache: ClinicCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    town = ReferralStore(cache.engine, cache.clinic)
    task_id = town.refer("p-allergic", ReferralDraft(hospital_id="org-county"), NOW)
    county = ReferralStore(cache.engine, COUNTY)
    county.accept(task_id, NOW, teleconsultation=True)
    county.complete(task_id, "ok", NOW, FollowUpPlan(TODAY, "复测血压"))
    release = threading.Event()
    real = ReferralStore.follow_ups_due

    def slow(store: ReferralStore, day: object) -> object:
        release.wait(30)
        return real(store, day)  # type: ignore[arg-type]

    monkeypatch.setattr(ReferralStore, "follow_ups_due", slow)
    app = ClinicApp(settings=Settings(data_dir=cache.path.parent), cache=cache, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("F", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FollowUpsScreen)
        release.set()
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert app.screen.patient_id == "p-allergic"


async def test_the_referral_list_marks_the_row_enter_opens_in_words(
    cache: ClinicCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With NO_COLOR the cursor's shade alone did not say which referral Enter opens."""
    from textual.coordinate import Coordinate

    from clinic_tui.widgets.row_table import CURSOR_MARK

    monkeypatch.setenv("NO_COLOR", "1")
    town = ReferralStore(cache.engine, cache.clinic)
    for reason, minutes in (("头晕", 0), ("胸闷", 5)):
        draft = ReferralDraft(hospital_id="org-county", reason_text=reason)
        town.refer("p-allergic", draft, NOW - timedelta(minutes=minutes))
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "R")
        listing = app.screen
        assert isinstance(listing, ReferralsScreen)
        table = listing.query_one(DataTable)

        def marks() -> list[str]:
            return [str(table.get_cell_at(Coordinate(row, 0))) for row in range(table.row_count)]

        assert marks() == [CURSOR_MARK, ""]
        await press(pilot, "down")
        assert marks() == ["", CURSOR_MARK]
        await press(pilot, "enter")
        assert isinstance(app.screen, ReferralScreen)
        assert app.screen.task_id == listing.items[1].task_id


async def test_the_referral_reads_with_chinese_punctuation_in_chinese(cache: ClinicCache) -> None:
    """`转诊原因: ` beside the inbox's `转诊原因：` read as two products."""
    from clinic_tui import i18n

    i18n.set_language("zh")
    town = ReferralStore(cache.engine, cache.clinic)
    town.refer("p-allergic", ReferralDraft(hospital_id="org-county", reason_text="头晕"), NOW)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "R", "enter")
        screen = app.screen
        assert isinstance(screen, ReferralScreen)
        facts = _text(screen.query_one("#referral-facts", Static))
        assert "转诊原因：头晕" in facts
        assert ": " not in facts
