"""The real app in a pseudo-terminal: keys go in as the bytes a terminal sends, in one write.

Pilot hands keys to the app one at a time; a card reader, a paste or a thin link hands
the terminal a burst that the app reads in one go. Only a real pty shows what that does.
Tests wait for words to appear on screen (with a generous limit for a slow machine),
never for a fixed time.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from types import TracebackType

_CONTROL = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]"  # CSI: cursor moves, colours, modes
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: title, clipboard
    rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78]"
)
WAIT_SECONDS = 30.0
"""Longest wait for words to appear: only a broken app (or a machine on its knees) takes it."""

DOWN = "\x1b[B"
ENTER = "\r"
TAB = "\t"
ESCAPE = "\x1b"
CTRL_S = "\x13"
CTRL_Q = "\x11"
CTRL_N = "\x0e"


class Terminal:
    """clinic-tui running on `data_dir` in an 80x24 pty."""

    def __init__(self, data_dir: Path, *args: str, cols: int = 80, rows: int = 24) -> None:
        self.fd, child = os.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "NO_COLOR": "1", "COLUMNS": str(cols)}
        command = [sys.executable, "-m", "clinic_tui", "--data-dir", str(data_dir), *args]
        self.process = subprocess.Popen(
            command, stdin=child, stdout=child, stderr=child, env=env, start_new_session=True
        )
        os.close(child)
        self.output = b""
        """Everything the app drew since the last `forget`."""

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.fd)

    def text(self) -> str:
        """What was drawn, without the escape sequences (words stay whole within a line)."""
        return _CONTROL.sub(b"", self.output).decode("utf-8", "replace")

    def _read(self, seconds: float) -> bool:
        """Read what is there within `seconds`; False once the app has closed the pty."""
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the app has exited and the pty is closed
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, *words: str) -> str:
        """Read until one of `words` has been drawn since the last `forget`; returns it."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            shown = self.text()
            for word in words:
                if word in shown:
                    return word
            if not self._read(0.05) and self.process.poll() is not None:
                break
        raise AssertionError(f"never drew any of {words!r}; last output:\n{self.text()[-2000:]}")

    def forget(self) -> None:
        """Drop what was drawn so far, so `wait_for` sees only what comes next."""
        while select.select([self.fd], [], [], 0)[0] and self._read(0):
            pass
        self.output = b""

    def send(self, keys: str) -> None:
        """Write `keys` to the terminal in one write, as a reader or a paste would."""
        os.write(self.fd, keys.encode())

    def quit(self) -> int:
        """ctrl+q, then the exit code (the cache is closed and can be read)."""
        self.send(CTRL_Q)
        deadline = time.monotonic() + WAIT_SECONDS
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.05)
        return self.process.wait(timeout=1)
