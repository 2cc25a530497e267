"""The TUI's background sync end to end: a walk-in made offline reaches the real FHIR server.

ctrl+s runs the app's sync worker (SyncEngine with the CLI's client factory, the token
from CLINIC_TUI_TOKEN); the badge goes from '1 unsynced' to 'Synced' and the row loses
its unsynced mark.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from clinic_tui.app import ClinicApp
from clinic_tui.domain.models import Priority
from clinic_tui.sync.client import FhirClient
from clinic_tui.widgets.queue_table import QueueTable
from tests.factories import QUEUE_NOW
from tests.integration.conftest import FhirServer
from tests.ui.pilot import settle
from tests.ui.test_sync_ui import badge, server_app

pytestmark = pytest.mark.anyio


def _pending(app: ClinicApp, encounter_id: str) -> bool:
    with app.cache.engine.connect() as connection:
        return bool(
            connection.execute(
                text("SELECT pending FROM encounter WHERE id = :id"), {"id": encounter_id}
            ).scalar_one()
        )


def _mark(app: ClinicApp, encounter_id: str) -> str:
    return str(app.screen.query_one(QueueTable).get_row(encounter_id)[0]).strip()


async def test_ctrl_s_uploads_a_walk_in_and_clears_its_mark(
    tmp_path: Path, fhir_server: FhirServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", fhir_server.token)
    app = server_app(tmp_path, fhir_server.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        walk_in = app.cache.queue.register_walk_in(
            "p-wang", "复诊", Priority.ROUTINE, QUEUE_NOW, again=True
        )
        app.screen.refresh_queue()  # type: ignore[attr-defined]
        await settle(pilot)
        assert badge(app).words == "* 1 unsynced"
        assert _mark(app, walk_in.encounter_id) == "*"

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert badge(app).words == "✓ Synced 10:00", badge(app).words
        assert not _pending(app, walk_in.encounter_id)
        assert _mark(app, walk_in.encounter_id) == ""
    with FhirClient(fhir_server.base_url, lambda: fhir_server.token) as client:
        stored = client.read("Encounter", walk_in.encounter_id)
    assert stored["reasonCode"][0]["text"] == "复诊"


async def test_a_refused_token_shows_on_the_badge(
    tmp_path: Path, fhir_server: FhirServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "not-the-token")
    app = server_app(tmp_path, fhir_server.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert badge(app).words.startswith("x Sync failed: "), badge(app).words
        assert app.sync_state.last_synced is None
        assert app.is_running
