"""Write an unexpected error's details for IT, redacted: no secret ever reaches the log file.

Used by the command line (__main__.py) and by the app when a screen or worker fails. The
traceback carries no local variables (Textual's own report shows them, and a frame's
locals can hold a token or a patient's record); what is left passes through `redact`.
"""

from __future__ import annotations

import os
import traceback
from datetime import datetime

from clinic_tui import __version__
from clinic_tui.private_files import open_private, private_dir
from clinic_tui.redaction import redact


def crash_text(error: BaseException) -> str:
    """The redacted traceback of `error`, without local variables."""
    return redact("".join(traceback.format_exception(error)))


def write_crash_report(error: BaseException) -> str:
    """Append the report to the crash log; returns its path, or where it could not go."""
    from clinic_tui.locations import crash_log_path

    path = crash_log_path()
    try:
        private_dir(path.parent)
        descriptor = open_private(path, os.O_WRONLY | os.O_APPEND)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            stamp = datetime.now().astimezone().isoformat()
            handle.write(f"--- {stamp} clinic-tui {__version__}\n")
            handle.write(crash_text(error))
    except OSError:
        return "(nowhere: the log folder is not writable)"
    return str(path)
