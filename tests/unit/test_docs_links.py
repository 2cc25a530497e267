"""The README and docs/ hold together: every relative link and anchor resolves, every web
address is well-formed (none is fetched), the site builds with `mkdocs build --strict`, and
the site's home page is the README's text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown.extensions.toc import slugify_unicode, unique

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]

FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]*)(?:\s+\"[^\"]*\")?\)")
AUTOLINK = re.compile(r"<(?P<target>https?://[^>]+)>")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
HEADING = re.compile(r"^(#{1,6})\s+(?P<title>.+?)\s*#*\s*$")


def _prose_lines(text: str) -> list[str]:
    """The page's lines outside fenced code blocks (a `#` there is a shell comment)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        lines.append("" if fenced else line)
    return lines


def anchors(path: Path) -> set[str]:
    """The heading ids MkDocs gives the page (mkdocs.yml: toc with slugify_unicode)."""
    ids: set[str] = set()
    for line in _prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if match is None:
            continue
        title = match["title"]
        title = LINK.sub(lambda m: m["text"], title)
        title = title.replace("`", "").replace("**", "").replace("*", "")
        ids.add(unique(slugify_unicode(title, "-"), ids))
    return ids


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every Markdown link on the page, code left out."""
    found = []
    for number, line in enumerate(_prose_lines(path.read_text(encoding="utf-8")), start=1):
        prose = CODE_SPAN.sub("", line)
        found += [(number, m["target"]) for m in LINK.finditer(prose)]
        found += [(number, m["target"]) for m in AUTOLINK.finditer(prose)]
    return found


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the page's links, one line each."""
    problems = []
    where = path.relative_to(root)
    for number, target in links(path):
        parts = urlsplit(target)
        if parts.scheme in {"http", "https"}:
            if not parts.netloc or "." not in parts.netloc or " " in target:
                problems.append(f"{where}:{number}: malformed address {target!r}")
            continue
        if parts.scheme or target.startswith("/"):
            problems.append(f"{where}:{number}: not a relative link {target!r}")
            continue
        linked = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if not linked.exists():
            problems.append(f"{where}:{number}: {target!r}: no such file")
            continue
        if parts.fragment and (
            linked.suffix != ".md" or unquote(parts.fragment) not in anchors(linked)
        ):
            problems.append(f"{where}:{number}: {target!r}: no such anchor")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    """A moved page or a renamed heading breaks the link that pointed at it."""
    assert broken_links(page) == []


def test_the_checker_catches_a_broken_link_and_anchor(tmp_path: Path) -> None:
    """The check fails on what it must catch (a check that passes everything proves nothing)."""
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## 中文 标题\n", encoding="utf-8")
    page.write_text(
        "[ok](other.md#中文-标题) [gone](missing.md) [no anchor](other.md#nowhere)\n"
        "[bad](http://) `[in code](missing.md)`\n\n```\n[fenced](missing.md)\n```\n",
        encoding="utf-8",
    )
    problems = broken_links(page, tmp_path)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "'missing.md': no such file",
        "'other.md#nowhere': no such anchor",
        "malformed address 'http://'",
    ]


def test_readme_stays_short_and_links_the_guides() -> None:
    """The README is an entry point: at most 250 lines, pointing into docs/."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    targets = {target.split("#")[0] for _, target in links(readme)}
    for guide in (
        "docs/clinician/guide-en.md",
        "docs/clinician/guide-zh.md",
        "docs/admin/index.md",
        "docs/developer/index.md",
    ):
        assert guide in targets


def test_readme_test_command_is_the_one_ci_runs() -> None:
    """.ci/run runs the README's test command; the README keeps both set-up commands."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "| `make test` |" in readme
    assert "| `make demo` |" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_site_home_is_the_readme() -> None:
    """docs/index.md is written from README.md (`make docs`): it is never edited apart."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "docs_home.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_site_builds_strict(tmp_path: Path) -> None:
    """`mkdocs build --strict` (what `make docs` runs) passes: nav, links and anchors."""
    mkdocs = Path(sys.executable).with_name("mkdocs")
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "clinician" / "guide-zh.html").is_file()
