"""The sync progress line names the records it is downloading in a clinician's words."""

from __future__ import annotations


def test_the_sync_progress_line_names_records_in_the_sessions_words() -> None:
    from clinic_tui import i18n
    from clinic_tui.commands.sync_round import progress_words
    from clinic_tui.sync.engine import SyncProgress

    progress = SyncProgress("download", "Encounter", 2, None, "page 2, 40 new")
    assert progress_words(progress) == ("download Visits", "page 2, 40 new")
    i18n.set_language("zh")
    assert progress_words(progress) == ("下载 就诊记录", "page 2, 40 new")
