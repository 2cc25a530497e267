"""`clinic-tui serve` in a real browser: open the page, press n, the chart of the called patient.

Debian's chromium, headless, driven through chromium-driver; the screen is read from
xterm.js's own buffer on the page (tests/ui/browser.py), and a screenshot is checked.
Skips with the reason where the browser is not installed (`make test` installs it as root).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.ui.browser import Browser, Served, browser_missing
from tests.ui.browser import font_cache as prebuilt_font

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))

WINDOW = (1000, 700)


def _png_size_and_colours(png: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct pixel rows' hashes of an 8-bit RGB(A) PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks += body
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8, "expected an 8-bit screenshot"
    assert colour in (2, 6), "expected an RGB or RGBA screenshot"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(chunks)
    stride = 1 + width * channels
    # Filtered rows: identical filtered rows are identical pixel rows for this count's purpose.
    distinct = len({raw[row * stride : (row + 1) * stride] for row in range(height)})
    return width, height, distinct


@pytest.fixture(scope="module")
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One cache folder for every serve here: the Chinese font is built once, not per test."""
    return prebuilt_font(tmp_path_factory.mktemp("serve-font-cache"))


@pytest.fixture(scope="module")
def demo_clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo township clinic with people waiting."""
    folder = tmp_path_factory.mktemp("served-clinic")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "clinic_tui",
            "demo-data",
            "--patients",
            "60",
            "--seed",
            "7",
            "--data-dir",
            str(folder),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder


def test_the_browser_shows_the_queue_and_n_opens_the_called_patients_chart(
    demo_clinic: Path, tmp_path: Path, font_cache: dict[str, str]
) -> None:
    with (
        Served(demo_clinic, env=font_cache) as served,
        Browser(tmp_path / "profile", WINDOW) as browser,
    ):
        browser.driver.get(served.url)  # the address serve printed, with its key
        assert browser.driver.current_url == served.base  # the key left the address bar
        queue = browser.wait_for_all("Queue", "Call next", "▶")
        # The keyboard reaches the terminal with no click: xterm reads keys from its textarea.
        assert "xterm-helper-textarea" in browser.focused()
        # The first row waiting is the patient `n` calls (emergencies first).
        called = next(line for line in queue if "▶" in line).split()

        browser.press("n")
        # The banner's title is on every chart; the name heads it.
        chart = browser.wait_for_all("Allergies", called[2])
        screen = "\n".join(chart)
        assert "Call next" not in screen  # the queue gave way to the chart
        assert called[2] in screen  # the called patient's name heads the chart

        shot = tmp_path / "chart.png"
        browser.driver.save_screenshot(str(shot))
        viewport = browser.driver.execute_script("return [innerWidth, innerHeight]")
    width, height, distinct_rows = _png_size_and_colours(shot.read_bytes())
    assert [width, height] == viewport  # the whole page, as the window shows it
    assert width == WINDOW[0]
    # A blank or single-colour page has a handful of distinct rows; drawn text has hundreds.
    assert distinct_rows > 100, f"the screenshot looks blank ({distinct_rows} distinct rows)"


def test_the_page_loads_nothing_from_the_internet(
    demo_clinic: Path, font_cache: dict[str, str]
) -> None:
    # A cloud desktop behind a firewall would wait on a web font from elsewhere.
    import urllib.request

    with Served(demo_clinic, env=font_cache) as served:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(served.url, timeout=30) as answer:
            page = answer.read().decode()
        font_url = re.search(r'url\("([^"]+)"\) format\("woff"\)', page)
        assert font_url is not None
        with browser.open(font_url.group(1), timeout=120) as answer:
            font = answer.read()
            cached = answer.headers["Cache-Control"]
    assert "googleapis" not in page
    assert (
        re.findall(r'(?:src|href|url)[=(]"(https?://[^/"]+)', page)
        == [f"http://127.0.0.1:{served.port}"] * 3
    )  # xterm.css, the Chinese font, textual.js: all from serve itself
    assert f"127.0.0.1:{served.port}/static/js/textual.js" in page
    # The Chinese font is serve's own: a WOFF, a subset of ~1.3 MB, kept by the browser.
    assert font[:4] == b"wOFF"
    assert 500_000 < len(font) < 2_500_000
    assert "immutable" in cached


def test_the_terminal_starts_with_the_chinese_font_loaded(
    demo_clinic: Path, tmp_path: Path, font_cache: dict[str, str]
) -> None:
    with (
        Served(demo_clinic, "--lang", "zh", env=font_cache) as served,
        Browser(tmp_path / "profile", WINDOW) as browser,
    ):
        browser.driver.get(served.url)
        browser.wait_for_all("候诊队列")
        faces = browser.driver.execute_script(
            "return [...document.fonts].map(f => [f.family, f.unicodeRange, f.status]);"
        )
        drawable = browser.driver.execute_script(
            'return document.fonts.check(\'16px "Roboto Mono"\', "候诊队列");'
        )
    chinese = [face for face in faces if "4E00" in face[1].upper()]
    assert [status for _family, _range, status in chinese] == ["loaded"]
    assert drawable


def test_a_session_past_the_cap_says_why_on_the_page(
    demo_clinic: Path, tmp_path: Path, font_cache: dict[str, str]
) -> None:
    with (
        Served(demo_clinic, "--max-sessions", "1", env=font_cache) as served,
        Browser(tmp_path / "profile", WINDOW) as browser,
    ):
        browser.driver.get(served.url)
        browser.wait_for_all("Queue", "Call next")
        browser.driver.switch_to.new_window("tab")
        browser.driver.get(served.base)  # the cookie opens the page; the socket is refused
        shown = browser.wait_until_closed()
    assert "1 sessions are open" in shown
    assert "--max-sessions" in shown


def test_a_pin_typed_as_the_page_opens_signs_in(
    demo_clinic: Path, tmp_path: Path, font_cache: dict[str, str]
) -> None:
    from selenium.webdriver.common.keys import Keys

    data = tmp_path / "clinic"
    shutil.copytree(demo_clinic, data)
    subprocess.run(
        [
            *(sys.executable, "-m", "clinic_tui", "users", "add", "--practitioner-id"),
            *("dr-li", "--name", "Li Wei", "--data-dir", str(data)),
        ],
        input="482916\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with (
        Served(data, env=font_cache) as served,
        Browser(tmp_path / "profile", WINDOW, eager=True) as browser,
    ):
        browser.driver.get(served.url)
        # Typed at once: the terminal is not made yet (the page waits for its font).
        terminal_made = browser.driver.execute_script(
            "return document.querySelector('.xterm-helper-textarea') !== null;"
        )
        browser.press("482916" + Keys.ENTER)
        screen = "\n".join(browser.wait_for_all("Queue", "Call next"))
    assert not terminal_made, "the terminal was up before the keys: nothing early was typed"
    assert "Sign in" not in screen  # the PIN, typed before the page was ready, signed in
