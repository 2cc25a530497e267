"""The chart screen, driven with Pilot: banner states, sections, keys, unknown patients."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from rich.console import Console
from sqlalchemy import Engine
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from clinic_tui import i18n
from clinic_tui.domain.models import Chart
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import read_resource, record_local_change
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.widgets.allergy_banner import AllergyBanner
from clinic_tui.widgets.chart_sections import ChartSection, ProblemsSection
from clinic_tui.widgets.patient_header import PatientHeader
from tests.ui.chart_fixtures import ALLERGIC_ID_NUMBER, allergy, fill_cache, fixed_clock
from tests.ui.chart_host import ChartHostApp

# Pilot tests are coroutines; anyio's pytest plugin (installed with httpx) runs them.
pytestmark = pytest.mark.anyio


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """A clinic cache holding the three fixture patients."""
    fill_cache(engine)
    return ClinicCache(engine)


def _plain(widget: Static) -> str:
    """What a widget shows, as plain text (wide characters included, no styles)."""
    console = Console(width=400, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(widget.content)
    return " ".join(capture.get().split())


async def _loaded(pilot: Pilot[None]) -> ChartScreen:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ChartScreen)
    return screen


async def test_recorded_allergies_fill_the_banner_with_markers(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        banner = screen.query_one(AllergyBanner)
        assert banner.has_class("-recorded")
        assert _plain(banner) == (
            "ALLERGIES: !! Penicillin: anaphylaxis (HIGH) !! 磺胺类 Sulfonamides: 皮疹 rash (low)"
        )


async def test_no_known_allergies_is_stated(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        banner = (await _loaded(pilot)).query_one(AllergyBanner)
        assert banner.has_class("-no-known")
        assert _plain(banner) == "No known allergies (recorded)"


async def test_unrecorded_allergies_are_stated_in_chinese(cache: ClinicCache) -> None:
    i18n.set_language("zh")
    app = ChartHostApp(cache, "p-unrecorded", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        banner = screen.query_one(AllergyBanner)
        assert banner.has_class("-not-recorded")
        assert _plain(banner) == "?? 过敏史未记录 — 开药前请询问"
        assert _plain(screen.query_one(PatientHeader)) == "王小明 男 8月龄 出生 2026-03-02"
        assert screen.query_one("#problems", ChartSection).border_title == "诊断 / 问题列表"


async def test_sections_show_the_chart(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _loaded(pilot)
        header = _plain(screen.query_one(PatientHeader))
        assert header.startswith("张伟 Male 68y Today: Routine · Waiting Born 1958-03-14")
        assert f"Identity number {ALLERGIC_ID_NUMBER}" in header
        assert "Phone 13800138000" in header

        problems = screen.query_one("#problems", ChartSection)
        assert problems.border_title == "Problems (3)"
        body = _plain(problems.query_one(".section-body", Static))
        assert body.index("E11.9") < body.index("I10") < body.index("J06.9")
        assert "急性上呼吸道感染 Acute URTI (resolved)" in body

        medications = screen.query_one("#medications", ChartSection)
        body = _plain(medications.query_one(".section-body", Static))
        assert "阿司匹林肠溶片 Aspirin 100mg *" in body
        assert "阿莫西林" not in body
        assert medications.border_subtitle == "* unsynced"

        vitals = _plain(
            screen.query_one("#vitals", ChartSection).query_one(".section-body", Static)
        )
        assert "Blood pressure ! 152/96 mmHg 2026-10-15 ▇▅▃▁█ was 138/88" in vitals
        assert "Oxygen saturation ! 95 % 2026-10-15 was 97" in vitals
        assert "Body weight 71 kg 2026-10-15 was 72.5" in vitals
        assert "Heart rate 88 /min 2026-10-15 ▁▅█ was 80" in vitals

        visits = _plain(
            screen.query_one("#visits", ChartSection).query_one(".section-body", Static)
        )
        assert visits.startswith("2026-11-24 青山镇卫生院 头晕 dizziness Waiting")
        assert "青山县人民医院" in visits


async def test_empty_sections_say_none_recorded(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        body = screen.query_one("#vitals", ChartSection).query_one(".section-body", Static)
        assert _plain(body) == "None recorded"


async def test_tab_moves_between_sections_and_escape_goes_back(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        assert app.focused is screen.query_one("#problems")
        await pilot.press("tab")
        assert app.focused is screen.query_one("#medications")
        await pilot.press("tab", "tab")
        assert app.focused is screen.query_one("#visits")
        # At 80x24 the visits lie below the fold: focusing them scrolls the chart.
        await pilot.wait_for_scheduled_animations()
        assert screen.query_one("#chart-sections").scroll_y > 0
        await pilot.press("shift+tab")
        assert app.focused is screen.query_one("#vitals")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChartScreen)
        assert app.query_one("#host", Static) is not None


async def test_unknown_patient_gets_a_clear_message(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "nobody", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        status = screen.query_one("#chart-status", Static)
        assert _plain(status) == "No patient with id nobody in this clinic's records"
        assert not screen.query_one(AllergyBanner).display or not screen.has_class("-loaded")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChartScreen)


async def test_a_failing_read_is_reported_not_raised(
    cache: ClinicCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(patient_id: str, today: object) -> None:
        raise OSError("disk I/O error")

    monkeypatch.setattr(cache.charts, "load", broken)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        status = _plain(screen.query_one("#chart-status", Static))
        assert status == "Could not read the chart: disk I/O error"


async def test_loading_state_shows_until_the_chart_arrives(cache: ClinicCache) -> None:
    release = threading.Event()
    real_load = cache.charts.load

    def slow_load(patient_id: str, today: date) -> Chart | None:
        release.wait(timeout=30)
        return real_load(patient_id, today)

    cache.charts.load = slow_load  # type: ignore[method-assign]
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChartScreen)
        assert _plain(screen.query_one("#chart-status", Static)) == "Loading chart…"
        assert not screen.query_one("#chart-sections").display
        release.set()
        await _loaded(pilot)
        assert screen.query_one("#chart-sections").display
        assert not screen.query_one("#chart-status").display


async def test_unsynced_allergy_and_patient_carry_the_mark_and_its_legend(
    cache: ClinicCache,
) -> None:
    with cache.engine.connect() as connection:
        edited = read_resource(connection, "Patient", "p-unrecorded")
    assert edited is not None
    edited["telecom"] = [{"system": "phone", "value": "13900001111"}]
    record_local_change(cache.engine, edited, "update")
    record_local_change(
        cache.engine, allergy("a-new", "p-unrecorded", "鸡蛋 Egg", criticality="low"), "create"
    )
    app = ChartHostApp(cache, "p-unrecorded", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        banner = _plain(screen.query_one(AllergyBanner))
        assert banner == "ALLERGIES: !! 鸡蛋 Egg: reaction not recorded (low) * * unsynced"
        header = _plain(screen.query_one(PatientHeader))
        assert header.startswith("王小明 * Male")
        assert header.endswith("Phone 13900001111 * unsynced")


class _EditableProblems(ProblemsSection):
    EDITABLE = True


async def test_edit_key_is_hidden_until_a_section_becomes_editable() -> None:
    edits: list[ChartSection] = []

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield ProblemsSection(id="read-only")
            yield _EditableProblems(id="editable")

        def on_chart_section_edit_requested(self, message: ChartSection.EditRequested) -> None:
            edits.append(message.section)

    app = Host()
    async with app.run_test() as pilot:
        read_only = app.query_one("#read-only", ChartSection)
        editable = app.query_one("#editable", ChartSection)
        read_only.focus()
        await pilot.press("e")
        assert edits == []
        assert read_only.check_action("edit", ()) is False
        editable.focus()
        await pilot.press("e")
        await pilot.pause()
        assert edits == [editable]


async def test_chart_is_read_again_when_a_screen_above_it_closes(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        await pilot.press("tab")
        app.push_screen(Screen())
        await pilot.pause()
        record_local_change(
            cache.engine, allergy("a-late", "p-nka", "花生 Peanut", criticality="high"), "create"
        )
        app.pop_screen()
        await _loaded(pilot)
        assert screen.query_one(AllergyBanner).has_class("-recorded")
        assert app.focused is screen.query_one("#medications")


async def test_opening_a_chart_is_audited_once_not_at_every_re_read(cache: ClinicCache) -> None:
    from clinic_tui.messages import CacheChanged

    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        screen.post_message(CacheChanged())  # a sync wrote records: the chart is read again
        await _loaded(pilot)
    reads = [record for record in cache.audit.for_patient("p-allergic") if record.action == "read"]
    assert len(reads) == 1
    assert reads[0].entity == "Patient/p-allergic"


async def test_a_chart_that_does_not_exist_is_not_audited_as_opened(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "nobody", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot)
    assert cache.audit.for_patient("nobody") == []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_allergies_and_medicines_read_in_one_language(
    cache: ClinicCache, lang: str, size: tuple[int, int]
) -> None:
    from tests.ui.chart_fixtures import medication

    i18n.set_language(lang)
    record_local_change(
        cache.engine,
        allergy("a-unsure", "p-allergic", "Aspirin 阿司匹林", criticality="unable-to-assess"),
        "create",
    )
    prn = medication(
        "m-prn", "p-allergic", "对乙酰氨基酚片 Paracetamol 500mg",
        "500 mg 口服 必要时，最多每6小时一次 q6h prn 3天", "2026-11-20",
    )  # fmt: skip
    record_local_change(cache.engine, prn, "create")
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=size) as pilot:
        screen = await _loaded(pilot)
        banner = _plain(screen.query_one(AllergyBanner))
        medicines = _plain(screen.query_one("#medications", ChartSection).query_one(
            ".section-body", Static))  # fmt: skip
        if lang == "zh":
            assert "!! 青霉素：过敏性休克（高危）" in banner
            assert "!! 阿司匹林：反应未记录（未评估）" in banner
            assert "Penicillin" not in banner
            assert "过敏史：" in banner  # Chinese punctuation on a Chinese row
            assert "500 mg 口服 必要时，最多每6小时一次 q6h prn 3天" in medicines
        else:
            assert "!! Penicillin: anaphylaxis (HIGH)" in banner
            assert "!! Aspirin: reaction not recorded (not assessed)" in banner
            assert "unable-to-assess" not in banner
            assert "青霉素" not in banner
            assert "500 mg oral when needed, at most every 6 hours q6h prn 3 d" in medicines
            assert "口服" not in medicines


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_only_a_known_pair_is_split_so_no_written_word_is_lost(lang: str) -> None:
    from clinic_tui.widgets.allergy_banner import session_words

    i18n.set_language(lang)
    zh = lang == "zh"
    assert session_words("Penicillin 青霉素") == ("青霉素" if zh else "Penicillin")
    assert session_words("青霉素") == ("青霉素" if zh else "Penicillin")
    assert session_words("Urticaria 荨麻疹") == ("荨麻疹" if zh else "Urticaria")
    # Two things, or words no list knows: kept exactly as the clinician wrote them.
    assert session_words("Penicillin, 头孢") == "Penicillin, 头孢"
    assert session_words("鸡蛋 Egg") == "鸡蛋 Egg"
