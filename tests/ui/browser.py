"""`clinic-tui serve` driven by a real browser: Debian's chromium, headless, through chromedriver.

The page draws the terminal with xterm.js on a canvas, so its text is not in the DOM.
`screen_lines` reads xterm's own buffer over the DevTools protocol: the page's terminal
object is an instance of the class textual.js keeps in the closure of its resize handler;
`Runtime.queryObjects` finds the instances of that class. Waits poll the screen for
words, with a generous limit, never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 45.0
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

_FIND_TERMINAL_CLASS = """function () {
    return typeof this === "function" && this.prototype
        && typeof this.prototype.connect === "function"
        && typeof this.prototype.sendSize === "function";
}"""
_READ_SCREEN = """function () {
    const terminal = this[0].terminal;
    const buffer = terminal.buffer.active;
    const lines = [];
    for (let row = 0; row < terminal.rows; row++) {
        const line = buffer.getLine(buffer.viewportY + row);
        lines.push(line ? line.translateToString(true) : "");
    }
    return {cols: terminal.cols, rows: terminal.rows, lines: lines};
}"""


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        return (
            "Debian's chromium and chromium-driver are not installed "
            "(make test installs them as root: python scripts/browser.py install)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    """A port nothing listens on now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def font_cache(folder: Path) -> dict[str, str]:
    """An environment whose cache folder holds serve's Chinese font, built now (once per
    test module), so no page waits on it being built."""
    env = {"XDG_CACHE_HOME": str(folder)}
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from clinic_tui.commands.serve_fonts import CjkFont; CjkFont().woff()",
        ],
        env={**os.environ, **env},
        check=True,
        timeout=300,
    )
    return env


class Served:
    """`clinic-tui serve` on a free loopback port; it and every session stopped on exit.

    `url` is the address serve printed, with its per-launch key; `base` is without it.
    `env` adds to the environment serve runs in.
    """

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        command = [sys.executable, "-m", "clinic_tui", "serve", "--data-dir", str(data_dir)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: ended whole on exit
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        """What serve printed (read all along, so a full pipe never stalls it)."""
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + WAIT_SECONDS
        # serve prints "open http://...?key=... in a browser" once it listens.
        printed = re.compile(re.escape(self.base) + r"\?key=[A-Za-z0-9_-]+")
        found = None
        while found is None:
            found = next(filter(None, map(printed.search, list(self.lines))), None)
            if found is None and (self.process.poll() is not None or time.monotonic() > deadline):
                self._stop()
                raise AssertionError("serve did not start: " + "".join(self.lines))
            time.sleep(0.05)
        self.url = found.group(0)
        self.key = self.url.split("?key=", 1)[1]

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def __enter__(self) -> Served:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        """SIGTERM (serve ends its sessions), then SIGKILL to whatever of its group is left."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


class Browser:
    """Headless chromium with a fresh profile under `profile`, a window of `size` pixels."""

    def __init__(
        self, profile: Path, size: tuple[int, int] = (1000, 700), *, eager: bool = False
    ) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        if eager:
            # get() returns once the page is read (DOMContentLoaded), before its scripts
            # and fonts have loaded: as soon as a person could start typing.
            options.page_load_strategy = "eager"
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={size[0]},{size[1]}")
        self.profile = profile
        self.driver: Any = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _cdp(self, command: str, **params: Any) -> Any:
        return self.driver.execute_cdp_cmd(command, params)

    def _terminals(self) -> str | None:
        """The DevTools id of the array of the page's terminal objects (None before load)."""
        handler = self._cdp("Runtime.evaluate", expression="window.onresize")["result"]
        if "objectId" not in handler:
            return None
        inner = self._cdp("Runtime.getProperties", objectId=handler["objectId"], ownProperties=True)
        scopes = next(p for p in inner["internalProperties"] if p["name"] == "[[Scopes]]")
        listed = self._cdp(
            "Runtime.getProperties", objectId=scopes["value"]["objectId"], ownProperties=True
        )
        for scope in listed["result"][:-1]:  # the last is the global scope
            names = self._cdp(
                "Runtime.getProperties", objectId=scope["value"]["objectId"], ownProperties=True
            )
            for variable in names["result"]:
                value = variable.get("value", {})
                if value.get("type") != "function":
                    continue
                found = self._cdp(
                    "Runtime.callFunctionOn",
                    objectId=value["objectId"],
                    functionDeclaration=_FIND_TERMINAL_CLASS,
                    returnByValue=True,
                )
                if found["result"].get("value"):
                    prototype = self._cdp(
                        "Runtime.callFunctionOn",
                        objectId=value["objectId"],
                        functionDeclaration="function () { return this.prototype; }",
                    )["result"]["objectId"]
                    instances = self._cdp("Runtime.queryObjects", prototypeObjectId=prototype)
                    return str(instances["objects"]["objectId"])
        return None

    def screen_lines(self) -> list[str]:
        """The rows of the terminal on the page, as xterm holds them."""
        terminals = self._terminals()
        if terminals is None:
            return []
        screen = self._cdp(
            "Runtime.callFunctionOn",
            objectId=terminals,
            functionDeclaration=_READ_SCREEN,
            returnByValue=True,
        )["result"]
        if screen.get("subtype") == "error" or "value" not in screen:
            return []  # the terminal object is not made yet
        return list(screen["value"]["lines"])

    def wait_for(self, *words: str) -> list[str]:
        """Poll the terminal until one of `words` is on it; returns the screen's lines."""
        deadline = time.monotonic() + WAIT_SECONDS
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = self.screen_lines()
            if any(word in line for word in words for line in lines):
                return lines
            time.sleep(0.2)  # polling interval, not a wait for anything to happen
        shown = "\n".join(lines)
        raise AssertionError(f"the page never showed any of {words!r}; it shows:\n{shown}")

    def wait_for_all(self, *words: str) -> list[str]:
        """Poll the terminal until every one of `words` is on it; returns the screen's lines.

        A screen reaches xterm in several websocket messages, so one word (the footer's) can
        be drawn before another (the title's): a test that reads several waits for all.
        """
        deadline = time.monotonic() + WAIT_SECONDS
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = self.screen_lines()
            screen = "\n".join(lines)
            if all(word in screen for word in words):
                return lines
            time.sleep(0.2)  # polling interval, not a wait for anything to happen
        shown = "\n".join(lines)
        raise AssertionError(f"the page never showed all of {words!r}; it shows:\n{shown}")

    def wait_until_closed(self) -> str:
        """Poll until the page shows its session-ended dialog; returns the dialog's words."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            shown = self.driver.execute_script(
                "return document.body.classList.contains('-closed')"
                " ? document.querySelector('.closed-dialog .message').textContent : null;"
            )
            if shown is not None:
                return str(shown)
            time.sleep(0.2)  # polling interval, not a wait for anything to happen
        raise AssertionError("the page never showed that its session ended")

    def focused(self) -> str:
        """The focused element of the page, as `tag.class class`."""
        return str(
            self.driver.execute_script(
                "const e = document.activeElement;"
                "return e ? e.tagName.toLowerCase() + '.' + e.className : '';"
            )
        )

    def press(self, key: str) -> None:
        """Type `key` as a keyboard user does: into whatever has focus, with no click.

        The keys go where the page put focus; if that is not the terminal, they are lost,
        as they would be for a person, and the test waiting for their effect fails.
        """
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(key).perform()
