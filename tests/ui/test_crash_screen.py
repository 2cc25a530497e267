"""An unexpected error in the app leaves no secret and no local variable on the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_tui.credentials import Credential
from tests.ui.queue_app import queue_app

pytestmark = pytest.mark.anyio


async def test_a_crash_shows_a_short_redacted_report_and_writes_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("clinic_tui.locations.crash_log_path", lambda: tmp_path / "crash.log")
    Credential(kind="bearer", secret="tok-ui-crash-8812")
    app = queue_app(tmp_path)

    def fail(headers: dict[str, str]) -> None:
        raise RuntimeError(f"upload refused: {headers['Authorization']}")

    async def crash() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            family, given = "王", "芳"
            app.call_later(fail, {"Authorization": "Bearer tok-ui-crash-8812", "X": family + given})
            await pilot.pause()

    with pytest.raises(RuntimeError):  # run_test re-raises what the app died of
        await crash()

    shown = " ".join(capsys.readouterr().err.split())  # Textual prints the report on exit
    assert "unexpected error" in shown
    assert "tok-ui-crash-8812" not in shown
    assert "王芳" not in shown  # Textual's own report would print the frame's locals
    logged = (tmp_path / "crash.log").read_text(encoding="utf-8")
    assert "RuntimeError: upload refused: Bearer [redacted]" in logged


async def test_a_screen_that_fails_with_a_patients_name_in_the_message_logs_no_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from clinic_tui.screens.queue import QueueScreen

    log = tmp_path / "crash.log"
    monkeypatch.setattr("clinic_tui.locations.crash_log_path", lambda: log)

    def open_chart_of(self: QueueScreen, patient_id: str) -> None:
        entry = self.selected
        assert entry is not None
        raise ValueError(f"chart of {entry.patient_name} ({patient_id}) would not open")

    monkeypatch.setattr(QueueScreen, "_open_chart_of", open_chart_of)
    app = queue_app(tmp_path)
    names: list[str] = []

    async def crash() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, QueueScreen)
            entry = app.screen.selected
            assert entry is not None
            names.append(entry.patient_name)
            await pilot.press("enter")
            await pilot.pause()

    with pytest.raises(ValueError, match="would not open"):
        await crash()

    name = names[0]
    logged = log.read_text(encoding="utf-8")
    assert "ValueError: " in logged
    assert "open_chart_of" in logged  # the function, file and line are kept
    assert "test_crash_screen.py" in logged
    assert name not in logged
    assert name[1:] not in logged  # nor the given name alone
    shown = " ".join(capsys.readouterr().err.split())
    assert name not in shown
