#!/usr/bin/env python3
"""Install the browser the `clinic-tui serve` test drives: Debian's chromium and chromium-driver.

    python scripts/browser.py install     # apt-get install -y chromium chromium-driver if missing
    python scripts/browser.py check       # exit 0 when both are there

`make test` runs `install`, so CI (root, no stdin) gets them. Where apt-get is missing or
this is not root, `install` says how to install them and exits 0: the browser test then
skips with that reason instead of failing. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGES = ("chromium", "chromium-driver")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def installed() -> bool:
    """Both the browser and its driver are on this machine."""
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def install() -> int:
    """apt-get install the browser and driver when missing; never fails `make test`."""
    if installed():
        print(f"browser: chromium and chromedriver present ({CHROMIUM}, {CHROMEDRIVER})")
        return 0
    if shutil.which("apt-get") is None:
        print("browser: chromium missing and no apt-get here; the browser test will skip")
        return 0
    if os.name == "posix" and os.geteuid() != 0:
        print(
            "browser: chromium missing; run `sudo apt-get install -y chromium chromium-driver` "
            "for the browser test (it skips without them)"
        )
        return 0
    print("browser: apt-get install -y chromium chromium-driver", flush=True)
    result = _apt("install", "-y", *PACKAGES)
    if result.returncode != 0:
        print("browser: install failed; apt-get update, then once more", flush=True)
        _apt("update")
        result = _apt("install", "-y", *PACKAGES)
    if result.returncode != 0 or not installed():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        print(
            "browser: could not install chromium; the browser test will skip: " + " | ".join(tail)
        )
    return 0


def main(argv: list[str]) -> int:
    """`install` or `check`."""
    command = argv[0] if argv else "check"
    if command == "install":
        return install()
    if command == "check":
        return 0 if installed() else 1
    print(f"usage: {sys.argv[0]} install|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
