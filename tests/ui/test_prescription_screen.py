"""The order screen under Pilot: type a line, read its problems, see a named warning,
override it with a reason, sign, and find the MedicationRequests in the cache."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from rich.cells import cell_len
from rich.console import Console
from sqlalchemy import Engine, text
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.local_users import LocalUser
from clinic_tui.offline_cache.store import read_resource
from clinic_tui.screens.discard_dialog import ConfirmScreen
from clinic_tui.screens.prescription import PrescriptionScreen
from clinic_tui.screens.prescription_dialogs import OverrideDialog, StopDialog
from clinic_tui.widgets.marked_list import MarkedOptionList
from tests.ui.chart_fixtures import allergy, clinic_app, fill_cache, fixed_clock
from tests.ui.chart_host import ChartHostApp
from tests.ui.pilot import press, settle, type_text

# Pending until the formulary, the parser and the checks land (rx-formulary, rx-checks).
pytest.importorskip("clinic_tui.prescribing.order_line")
pytest.importorskip("clinic_tui.prescribing.checks")

pytestmark = pytest.mark.anyio


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The fixture patients; p-allergic (penicillin anaphylaxis) is in today's queue."""
    fill_cache(engine)
    return ClinicCache(engine)


def plain(renderable: Any) -> str:
    """What a widget or Rich text reads as, without colour, on one line."""
    console = Console(width=400, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(renderable)
    return " ".join(capture.get().split())


def basket_text(screen: PrescriptionScreen) -> str:
    """Every basket row with its warnings."""
    listing = screen.query_one("#rx-basket", MarkedOptionList)
    return " | ".join(plain(listing.prompt_at(i)) for i in range(listing.option_count))


async def open_orders(pilot: Pilot[None]) -> PrescriptionScreen:
    """m on the chart: the order screen, read and ready."""
    await settle(pilot)
    await press(pilot, "m")
    screen = pilot.app.screen
    assert isinstance(screen, PrescriptionScreen)
    await settle(pilot)
    return screen


async def enter_line(pilot: Pilot[None], line: str) -> None:
    """Type a line into the order line and press Enter."""
    await type_text(pilot, line)
    await press(pilot, "enter")


def medication_requests(cache: ClinicCache, patient_id: str) -> list[dict[str, Any]]:
    """Every MedicationRequest of the patient this test signed (new, unsynced; not the
    fixture's own unsynced m-new)."""
    with cache.engine.connect() as connection:
        ids = connection.execute(
            text(
                "SELECT resource_id FROM outbox WHERE resource_type = 'MedicationRequest' "
                "AND operation = 'create' ORDER BY seq"
            )
        ).scalars()
        found = [read_resource(connection, "MedicationRequest", ident) for ident in ids]
    return [
        r
        for r in found
        if r and r["id"] != "m-new" and r["subject"]["reference"] == f"Patient/{patient_id}"
    ]


async def test_a_typed_line_joins_the_basket_as_a_structured_row(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        await enter_line(pilot, "amox 500mg po tid 7d")
        assert len(screen.basket.lines) == 1
        row = basket_text(screen)
        assert "Amoxicillin 阿莫西林 500 mg" in row
        assert "500 mg oral" in row
        assert "7 d" in row
        assert screen.query_one("#rx-line", Input).value == ""
        # Safe everyday order for an adult with no allergies: nothing high.
        assert "HIGH" not in row


async def test_a_bad_line_stays_with_its_problems_in_words(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        await enter_line(pilot, "amox po tid")
        assert screen.basket.lines == []
        assert screen.query_one("#rx-line", Input).value == "amox po tid"
        problems = screen.query_one("#rx-problems", Static)
        assert problems.display
        assert plain(problems.content).startswith("! Could not read this line:")


async def test_the_drug_completes_from_the_formulary(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        await type_text(pilot, "amox")
        suggestions = screen.query_one("#rx-suggestions", OptionList)
        assert suggestions.display
        assert isinstance(suggestions, MarkedOptionList)
        assert "Amoxicillin" in plain(suggestions.prompt_at(0))
        await press(pilot, "tab")
        assert screen.query_one("#rx-line", Input).value == "Amoxicillin "
        assert not suggestions.display


async def test_allergy_warning_blocks_signing_until_overridden(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_orders(pilot)
        await enter_line(pilot, "amox 500mg po tid 5d")
        row = basket_text(screen)
        assert "!! HIGH" in row
        assert "enicillin" in row  # the allergy it is against, named
        assert "needs an override to sign" in row
        # s: the override dialog; Esc goes back and nothing is signed.
        screen.query_one("#rx-basket").focus()
        await press(pilot, "s")
        assert isinstance(app.screen, OverrideDialog)
        await press(pilot, "escape")
        assert app.screen is screen
        assert medication_requests(cache, "p-allergic") == []
        # s again: pick 'other' without a comment is refused, with one it is recorded.
        await press(pilot, "s")
        dialog = app.screen
        assert isinstance(dialog, OverrideDialog)
        reasons = dialog.query_one("#override-reasons", OptionList)
        reasons.highlighted = [r.code for r in dialog.reasons].index("other")
        await press(pilot, "enter", "enter")
        assert "'Other' needs a reason" in plain(
            dialog.query_one("#override-error", Static).content
        )
        await type_text(pilot, "skin test negative 2025")
        await press(pilot, "enter")
        # The fixture's second allergy record is coded as penicillin too: its own override.
        while isinstance(app.screen, OverrideDialog):
            await press(pilot, "enter", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        await settle(pilot)
        signed = medication_requests(cache, "p-allergic")
        assert len(signed) == 1
        request = signed[0]
        assert request["status"] == "active"
        assert request["intent"] == "order"
        assert request["encounter"]["reference"] == "Encounter/e-1"
        assert "skin test negative 2025" in str(request["extension"])
        assert screen.basket.lines == []
        assert screen.last_slip is not None
        assert request["groupIdentifier"]["value"] == screen.last_slip.group_id


async def test_renew_and_stop_from_the_active_list(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_orders(pilot)
        active = screen.query_one("#rx-active", OptionList)
        active.focus()
        ids = [o.id for o in screen.active]
        # Stop the first (after confirming with a reason).
        active.highlighted = ids.index("m-1")
        await press(pilot, "x")
        assert isinstance(app.screen, StopDialog)
        await press(pilot, "enter")  # no reason: refused, still open
        assert isinstance(app.screen, StopDialog)
        await type_text(pilot, "ankle oedema")
        await press(pilot, "enter")
        await settle(pilot)
        with cache.engine.connect() as connection:
            stopped = read_resource(connection, "MedicationRequest", "m-1")
        assert stopped is not None
        assert stopped["status"] == "stopped"
        assert stopped["statusReason"]["text"] == "ankle oedema"
        assert "m-1" not in [o.id for o in screen.active]
        # Change metformin: its free-text dosage cannot be read back, so the line is typed
        # again; on signing the old order is stopped and the new one names it.
        active.focus()
        active.highlighted = [o.id for o in screen.active].index("m-2")
        await press(pilot, "c")
        line = screen.query_one("#rx-line", Input)
        assert line.has_focus
        assert line.value.startswith("二甲双胍片 Metformin")
        line.value = ""
        await enter_line(pilot, "metformin 500mg po tid 7d")
        assert [order.replaces for order in screen.basket.lines] == ["m-2"]
        await sign(pilot, screen)
        old = read(cache, "m-2")
        assert old["status"] == "stopped"
        changed = medication_requests(cache, "p-allergic")[-1]
        assert changed["priorPrescription"] == {"reference": "MedicationRequest/m-2"}
        # Renew it: the structured order comes back whole as a basket line; signing
        # completes the old one.
        active.focus()
        active.highlighted = [o.id for o in screen.active].index(changed["id"])
        await press(pilot, "r")
        assert [order.replaces for order in screen.basket.lines] == [changed["id"]]
        assert screen.basket.lines[0].drug.code == "metformin"
        await sign(pilot, screen)
        assert read(cache, changed["id"])["status"] == "completed"
        renewed = medication_requests(cache, "p-allergic")[-1]
        assert renewed["priorPrescription"] == {"reference": f"MedicationRequest/{changed['id']}"}


def read(cache: ClinicCache, request_id: str) -> dict[str, Any]:
    """A MedicationRequest as cached now."""
    with cache.engine.connect() as connection:
        found = read_resource(connection, "MedicationRequest", request_id)
    assert found is not None
    return found


async def sign(pilot: Pilot[None], screen: PrescriptionScreen) -> None:
    """s on the basket, any overrides with the first reason, then yes."""
    screen.query_one("#rx-basket").focus()
    await press(pilot, "s")
    while isinstance(pilot.app.screen, OverrideDialog):
        await press(pilot, "enter", "enter")
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await press(pilot, "y")
    await settle(pilot)
    assert screen.basket.lines == []


async def test_tab_typed_before_completion_is_ready_still_takes_the_drug(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        # As on a slow PC: the formulary's index is not built yet when the keys come.
        screen.index_ready = False
        await type_text(pilot, "amox")
        await press(pilot, "tab")
        line = screen.query_one("#rx-line", Input)
        assert line.has_focus  # Tab was held for the drug, not taken to move on
        await type_text(pilot, " 250mg po tid 5d")
        screen.index_built()
        await settle(pilot)
        assert line.value == "Amoxicillin 250mg po tid 5d"


async def test_a_hospitals_imported_drug_completes_from_the_cache(cache: ClinicCache) -> None:
    from contextlib import closing
    from dataclasses import replace

    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.prescribing.formulary import starter_formulary
    from clinic_tui.prescribing.formulary_store import write_drugs

    amoxicillin = starter_formulary().find("amoxicillin")
    assert amoxicillin is not None
    house = replace(amoxicillin, code="house-amox", name_en="Hospitamox", synonyms=())
    with closing(connect(cache.path)) as connection:
        write_drugs(connection, [house], "hospital.csv")
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        await type_text(pilot, "hospit")
        suggestions = screen.query_one("#rx-suggestions", MarkedOptionList)
        assert suggestions.display
        assert "Hospitamox" in plain(suggestions.prompt_at(0))


async def test_completion_is_ready_on_opening_from_the_cached_pinyin_keys(
    cache: ClinicCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import closing

    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.prescribing.formulary_store import ensure_starter_formulary

    with closing(connect(cache.path)) as connection:
        ensure_starter_formulary(connection)

    def refuse(name: str) -> tuple[str, str]:
        raise AssertionError(f"pinyin worked out on the order screen for {name!r}")

    # The order screen must complete by pinyin from the keys the cache keeps, no pypinyin.
    monkeypatch.setattr("clinic_tui.prescribing.formulary.search_keys", refuse)
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        assert screen.index_ready
        await type_text(pilot, "amxl")
        suggestions = screen.query_one("#rx-suggestions", MarkedOptionList)
        assert suggestions.display
        assert "Amoxicillin" in plain(suggestions.prompt_at(0))


@pytest.mark.parametrize(("patient", "warned"), [("p-nka", True), ("p-allergic", False)])
async def test_signing_says_first_when_the_slip_will_carry_no_diagnosis(
    cache: ClinicCache, patient: str, warned: bool
) -> None:
    # p-nka has no diagnosis at the visit and no active problem; p-allergic has problems.
    app = ChartHostApp(cache, patient, fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        assert screen.has_diagnosis is not warned
        await enter_line(pilot, "metformin 500mg po bid 7d")
        screen.query_one("#rx-basket").focus()
        await press(pilot, "s")
        while isinstance(pilot.app.screen, OverrideDialog):
            await press(pilot, "enter", "enter")
        confirm = pilot.app.screen
        assert isinstance(confirm, ConfirmScreen)
        said = [(n.message, n.severity) for n in app._notifications]
        no_diagnosis = [s for m, s in said if "No diagnosis" in m]
        assert no_diagnosis == (["information"] if warned else [])
        assert ("no diagnosis" in confirm.question) is warned
        await press(pilot, "y")  # not blocking: it signs
        await settle(pilot)
        assert screen.basket.lines == []


async def test_help_names_m_prescribe_and_the_footer_m_rx(cache: ClinicCache) -> None:
    from clinic_tui.screens.chart import ChartScreen
    from clinic_tui.screens.help import key_sections

    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        own = next(section for section in key_sections(chart) if section.kind == "screen")
        assert [line.description for line in own.lines if line.keys == ["m"]] == ["Prescribe"]
        binding = chart.active_bindings["m"].binding
        assert (binding.description, binding.show) == ("Rx", True)


async def test_p_on_the_active_list_prints_that_orders_slip(
    cache: ClinicCache, tmp_path: Any
) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        await enter_line(pilot, "amox 500mg po tid 5d")
        await sign(pilot, screen)
        screen.last_slip = None  # as on the screen opened again later
        screen.slips_dir = tmp_path / "slips"
        await press(pilot, "shift+tab")  # from the basket up to the active list
        assert screen.focused is screen.query_one("#rx-active")
        await press(pilot, "p")
        await settle(pilot)
        assert len(list((tmp_path / "slips").rglob("*.pdf"))) == 1


class SignedInHost(ChartHostApp):
    """The chart host with a clinician unlocked, as ClinicApp has after the lock screen."""

    def __init__(self, cache: ClinicCache, patient_id: str, user: LocalUser) -> None:
        super().__init__(cache, patient_id, fixed_clock)
        self.signed_in: LocalUser | None = user
        cache.sign_in(user.practitioner_id, user.name)


def pdf_text(path: Path) -> str:
    """The text of a slip's PDF, as pdfium reads it."""
    document = pypdfium2.PdfDocument(path)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


async def test_the_slip_names_the_signed_in_clinician_and_a_reprint_its_signer(
    cache: ClinicCache, tmp_path: Path
) -> None:
    app = SignedInHost(cache, "p-nka", LocalUser("dr-li", "李明", "-"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        screen.slips_dir = tmp_path / "first"
        await enter_line(pilot, "amox 500mg po tid 5d")
        await sign(pilot, screen)
        await press(pilot, "p")
        await settle(pilot)
        (first,) = (tmp_path / "first").rglob("*.pdf")
        assert "医师（签名）：李明 药品金额" in pdf_text(first)  # the slip is Chinese by default
    (request,) = medication_requests(cache, "p-nka")
    assert request["requester"] == {"reference": "Practitioner/dr-li", "display": "李明"}

    # Later another clinician, signed in here, reprints it from the active list.
    app = SignedInHost(cache, "p-nka", LocalUser("dr-wang", "王芳", "-"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        screen.slips_dir = tmp_path / "again"
        screen.query_one("#rx-active").focus()
        await settle(pilot)
        await press(pilot, "p")
        await settle(pilot)
        (again,) = (tmp_path / "again").rglob("*.pdf")
        assert "医师（签名）：李明 药品金额" in pdf_text(again)
        assert "王芳" not in pdf_text(again)


UYGHUR_FAMILY, UYGHUR_GIVEN = "ئابدۇرەھىم", "مەمەت"


async def test_printing_a_name_the_font_lacks_asks_first_naming_the_characters(
    engine: Engine, tmp_path: Path
) -> None:
    from clinic_tui.offline_cache.store import upsert_resources

    fill_cache(engine)
    with engine.begin() as connection:
        patient = read_resource(connection, "Patient", "p-nka")
        assert patient is not None
        patient["name"] = [{"family": UYGHUR_FAMILY, "given": [UYGHUR_GIVEN]}]
        upsert_resources(connection, [patient])
    app = ChartHostApp(ClinicCache(engine), "p-nka", fixed_clock)
    slips = tmp_path / "slips"
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_orders(pilot)
        screen.slips_dir = slips
        await enter_line(pilot, "amox 500mg po tid 5d")
        await sign(pilot, screen)
        await press(pilot, "p")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        asked = dialog.question
        for char in UYGHUR_FAMILY[:3]:
            assert char in asked
        assert "U+0626" in asked  # ئ, named by its code too: a terminal may not draw it
        assert "□" in asked
        await press(pilot, "n")  # cancelled: no slip made
        assert app.screen is screen
        assert not list(slips.rglob("*.pdf")) if slips.exists() else True
        await press(pilot, "p")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")  # printed anyway, the name to be written by hand
        await settle(pilot)
        (made,) = slips.rglob("*.pdf")
        assert "□□□" in pdf_text(made)


async def test_printing_a_name_the_font_has_asks_nothing(
    cache: ClinicCache, tmp_path: Path
) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        screen.slips_dir = tmp_path / "slips"
        await enter_line(pilot, "amox 500mg po tid 5d")
        await sign(pilot, screen)
        await press(pilot, "p")
        await settle(pilot)
        assert app.screen is screen
        assert len(list((tmp_path / "slips").rglob("*.pdf"))) == 1


SIZES = [(80, 24), (120, 40)]
LANGUAGES = ["en", "zh"]


async def basket_rows(pilot: Pilot[None], screen: PrescriptionScreen) -> list[str]:
    """Every row the basket draws, top to bottom, read by scrolling it line by line."""
    listing = screen.query_one("#rx-basket", MarkedOptionList)
    listing.scroll_to(y=0, animate=False, immediate=True)
    await pilot.pause()
    rows: list[str] = []
    last = int(listing.max_scroll_y)
    for y in range(last + 1):
        listing.scroll_to(y=y, animate=False, immediate=True)
        await pilot.pause()
        shown = [
            listing.render_line(i).text for i in range(listing.scrollable_content_region.height)
        ]
        rows.extend(shown if y == last else shown[:1])
    return rows


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_warnings_wrap_whole_beside_their_severity(
    cache: ClinicCache, lang: str, size: tuple[int, int]
) -> None:
    from clinic_tui import i18n
    from clinic_tui.widgets.order_lines import severity_label, warning_message

    i18n.set_language(lang)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=size) as pilot:
        screen = await open_orders(pilot)
        # Penicillin allergy (two HIGH findings) and a long MODERATE interaction with aspirin.
        await enter_line(pilot, "amox 500mg po tid 7d")
        await enter_line(pilot, "ibu 400mg po tid 3d")
        assert {w.severity.name for w in screen.warnings} >= {"HIGH", "MODERATE"}
        rows = await basket_rows(pilot, screen)
        width = screen.query_one("#rx-basket").scrollable_content_region.width
        assert all(cell_len(row.rstrip()) <= width for row in rows)
        drawn = "".join("".join(row.split()) for row in rows)
        for warning in screen.warnings:
            message = warning_message(warning)
            # Every character of the finding is on screen, none cut off with '…'.
            assert "".join(message.split()) in drawn, message
            label = severity_label(warning.severity).plain
            first = "".join(message.split())[:2]
            assert any(
                label in row and first in "".join(row.split(label, 1)[1].split()) for row in rows
            ), f"{label} is not on the line of {message[:10]}"
        # The line's words and its supply are said in the session's language.
        basket = basket_text(screen)
        assert ("共 21 粒" if lang == "zh" else "total 21 capsules") in basket


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_sign_and_slip_type_show_in_the_footer_while_a_line_is_typed(
    cache: ClinicCache, lang: str, size: tuple[int, int]
) -> None:
    from textual.widgets._footer import FooterKey

    from clinic_tui import i18n

    i18n.set_language(lang)
    app = clinic_app(cache)  # the real app: its own keys (help, quit) share the footer
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "m")
        screen = app.screen
        assert isinstance(screen, PrescriptionScreen)
        await enter_line(pilot, "metformin 500mg po bid 7d")
        screen.query_one("#rx-line").focus()
        await type_text(pilot, "ibu")
        assert screen.query_one("#rx-line", Input).has_focus
        shown = {
            key.action: key.key_display
            for key in screen.query(FooterKey)
            if key.display and key.region.width
        }
        assert "sign" in shown, shown
        assert "slip_type" in shown, shown
        # The keys the footer names work where the cursor is: the slip type, then signing.
        await press(pilot, shown["slip_type"].replace("^", "ctrl+"))
        assert screen.query_one("#rx-kind").has_focus
        screen.query_one("#rx-line").focus()
        await press(pilot, shown["sign"].replace("^", "ctrl+"))
        assert isinstance(pilot.app.screen, ConfirmScreen)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_help_lists_every_key_of_the_order_screen_from_the_order_line(
    cache: ClinicCache, lang: str
) -> None:
    from clinic_tui import i18n
    from clinic_tui.i18n import tr
    from clinic_tui.screens.help import HelpScreen

    i18n.set_language(lang)
    app = clinic_app(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "m")
        screen = app.screen
        assert isinstance(screen, PrescriptionScreen)
        await enter_line(pilot, "metformin 500mg po bid 7d")
        screen.query_one("#rx-line").focus()
        await press(pilot, "f1")
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        listed = set(help_screen.keys)
        for key, words in [
            ("s", "Sign the prescription"),
            ("p", "Print the slip"),
            ("t", "Slip type"),
            ("e", "Edit the basket line"),
            ("x", "Remove the basket line"),
            ("o", "Override the line's warning with a reason"),
            ("r", "Renew the active medicine"),
            ("c", "Change the active medicine"),
            ("x", "Stop the active medicine"),
        ]:
            assert (key, tr(words)) in listed, (key, words)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_what_a_warning_is_against_is_in_the_sessions_language(
    cache: ClinicCache, lang: str
) -> None:
    """A Chinese row never says `涉及: Penicillin`, an English one never `against: 青霉素`."""
    from clinic_tui import i18n
    from clinic_tui.offline_cache.store import upsert_resources

    # Recorded as the demo and a Chinese clinic record it: Chinese text, English coding.
    penicillin = allergy("a-demo", "p-allergic", "青霉素", code="764146007")
    penicillin["code"]["coding"][0]["display"] = "Penicillin"
    with cache.engine.begin() as connection:
        upsert_resources(connection, [penicillin])
    i18n.set_language(lang)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_orders(pilot)
        # Penicillin allergies (against the allergen) and an interaction (against a drug).
        await enter_line(pilot, "amox 500mg po tid 7d")
        await enter_line(pilot, "ibu 400mg po tid 3d")
        label = re.escape(i18n.tr("against"))
        against = re.findall(rf"{label}(?:: |：)(.*?) · ", basket_text(screen))
        if lang == "zh":
            assert {"青霉素", "阿司匹林"} <= set(against), against
            assert not {"Penicillin", "Acetylsalicylic acid"} & set(against), against
        else:
            assert {"Penicillin", "Acetylsalicylic acid"} <= set(against), against


def _marked_rows(listing: MarkedOptionList) -> list[int]:
    """The rows of `listing` drawn with the cursor's marker."""
    from clinic_tui.widgets.row_table import CURSOR_MARK

    return [
        i
        for i in range(listing.option_count)
        if plain(listing.get_option_at_index(i).prompt).startswith(CURSOR_MARK)
    ]


async def test_only_the_focused_list_is_marked_so_x_acts_on_the_row_in_sight(
    cache: ClinicCache,
) -> None:
    """Shift+Tab from a basket line left it marked while x stopped an active medicine."""
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        await enter_line(pilot, "metformin 500mg po bid 7d")
        await enter_line(pilot, "ibu 400mg po tid 3d")
        basket = screen.query_one("#rx-basket", MarkedOptionList)
        active = screen.query_one("#rx-active", MarkedOptionList)
        basket.focus()
        await press(pilot, "down")
        assert _marked_rows(basket) == [basket.highlighted]
        assert _marked_rows(active) == []
        await press(pilot, "shift+tab")
        assert screen.focused is active
        # The basket's line is no longer marked: the marked row is the medicine x stops.
        assert _marked_rows(basket) == []
        assert _marked_rows(active) == [active.highlighted]
        await press(pilot, "x")
        assert isinstance(app.screen, StopDialog)
        await press(pilot, "escape")
        await press(pilot, "tab")
        assert screen.focused is basket
        assert _marked_rows(basket) == [basket.highlighted]
        await press(pilot, "x")
        assert len(screen.basket.lines) == 1
