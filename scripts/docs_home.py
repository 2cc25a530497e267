"""The documentation site's home page (docs/index.md) is the README, its links made relative
to docs/: one text, so the two never drift apart.

    python scripts/docs_home.py           # write docs/index.md (`make docs` does)
    python scripts/docs_home.py --check   # exit 1 when docs/index.md is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
HOME = ROOT / "docs" / "index.md"

NOTE = "<!-- Written from README.md by scripts/docs_home.py (`make docs`): edit README.md. -->\n"


def home_page(readme: str) -> str:
    """The README as the site's home: `docs/x.md` links become `x.md`."""
    text = readme.replace("](docs/", "](")
    text = text.replace("[`docs/`](index.md)", "these pages")
    return NOTE + "\n" + text


def main(argv: list[str] | None = None) -> int:
    """Write docs/index.md, or check it."""
    parser = argparse.ArgumentParser(description="docs/index.md from README.md")
    parser.add_argument("--check", action="store_true", help="exit 1 when it is stale")
    args = parser.parse_args(argv)
    wanted = home_page(README.read_text(encoding="utf-8"))
    if args.check:
        if not HOME.is_file() or HOME.read_text(encoding="utf-8") != wanted:
            print("docs/index.md is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    HOME.write_text(wanted, encoding="utf-8")
    print(f"wrote {HOME.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
