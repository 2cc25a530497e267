"""Schema v4 (sync groundwork): server versions kept aside and the _history position."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect, text

from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.migrations import migrate
from clinic_tui.offline_cache.tables import ServerVersion, SyncState


def test_v3_cache_gains_server_versions_and_keeps_its_watermarks(cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(cache_file, isolation_level=None)
    migrate(connection, target=3)
    connection.execute(
        "INSERT INTO sync_state (resource_type, watermark) VALUES ('Patient', '2026-01-01T00:00Z')"
    )
    connection.close()

    engine = open_cache(cache_file)
    with engine.connect() as db:
        row = db.execute(text("SELECT watermark, history_since FROM sync_state")).one()
        columns = {c["name"] for c in inspect(db).get_columns("server_version")}
    assert tuple(row) == ("2026-01-01T00:00Z", None)
    assert columns == set(ServerVersion.__table__.columns.keys())  # type: ignore[attr-defined]
    assert "history_since" in SyncState.__table__.columns  # type: ignore[attr-defined]
