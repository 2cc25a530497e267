"""Opening the order screen's formulary and its first completion, in a fresh process each run.

The first Latin completion needs every drug's pinyin keys. Baseline: the formulary as it was
built before the cache kept them (the same drugs, no stored keys), so the first completion
loads pypinyin and works out every Chinese name's keys. Now: read_formulary from a cache
whose rows carry the keys written with them, then the same first completion. Each run is a
new Python process (pypinyin loads once per process, as on the order screen's first
opening); timed inside it once its modules are loaded, as in the running workstation:
read the formulary, complete("a"), complete("amxl"). Beside them, the one-off price:
writing the starter into a new cache (keys worked out there, once per starter version).

    .venv/bin/python benchmarks/formulary_complete.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import summary

from clinic_tui.offline_cache.cache_file import connect, prepare_cache

_PROBE = """
import json, sys, time
from contextlib import closing
from pathlib import Path
from clinic_tui.offline_cache.cache_file import connect
from clinic_tui.prescribing.formulary import Formulary
from clinic_tui.prescribing.formulary_store import read_formulary
started = time.perf_counter()  # the modules are loaded, as in the running workstation
with closing(connect(Path(sys.argv[2]))) as connection:
    formulary = read_formulary(connection)
if sys.argv[1] == "baseline":
    formulary = Formulary(formulary.drugs)  # the same drugs, without their stored keys
opened = time.perf_counter()
first = formulary.complete("a")
completed = time.perf_counter()
assert formulary.complete("amxl")[0].code == "amoxicillin"
second = time.perf_counter()
print(json.dumps({
    "open": (opened - started) * 1000,
    "first": (completed - opened) * 1000,
    "next": (second - completed) * 1000,
    "drugs": len(formulary),
    "pypinyin": "pypinyin" in sys.modules,
}))
"""


def probe(mode: str, path: Path) -> dict[str, float]:
    """One fresh process: open the formulary and complete twice; its timings."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


_WRITE = """
import sys, time
from contextlib import closing
from pathlib import Path
started = time.perf_counter()
from clinic_tui.offline_cache.cache_file import connect
from clinic_tui.prescribing.formulary_store import ensure_starter_formulary
with closing(connect(Path(sys.argv[1]))) as connection:
    ensure_starter_formulary(connection)
print((time.perf_counter() - started) * 1000)
"""


def main() -> None:
    """Print p50 / p95 / max of the baseline and of the cached keys."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="formulary-bench-") as folder:
        path = Path(folder) / "clinic.sqlite3"
        prepare_cache(path)
        written = subprocess.run(
            [sys.executable, "-c", _WRITE, str(path)], check=True, capture_output=True, text=True
        )
        with closing(connect(path)) as connection:
            count = connection.execute("SELECT count(*) FROM formulary_drug").fetchone()[0]
        print(f"Formulary: {count} drugs (the shipped starter); {args.runs} fresh processes each.")
        print(f"One-off: writing the starter into a new cache, keys included: "
              f"{float(written.stdout):.0f} ms")  # fmt: skip
        print(f"{'milliseconds':<42}{'p50':>8} {'p95':>8} {'max':>8}")
        for mode, label in (("baseline", "baseline (no stored keys)"), ("cached", "now")):
            runs = [probe(mode, path) for _ in range(args.runs)]
            loads = {bool(run["pypinyin"]) for run in runs}
            print(f"{label}: pypinyin loaded: {', '.join(map(str, sorted(loads)))}")
            for key, what in (
                ("open", "read the formulary from the cache"),
                ("first", "first completion ('a')"),
                ("next", "next completion ('amxl')"),
            ):
                print(f"  {what:<40}{summary([run[key] for run in runs])}")
            total = [run["open"] + run["first"] for run in runs]
            print(f"  {'open + first completion':<40}{summary(total)}")


if __name__ == "__main__":
    main()
