"""What encrypting the cache costs: start-up and patient search, plain beside encrypted.

The same demo cache twice: as generated (plain), and a copy converted with
`encrypt_cache` (SQLCipher 4, a key derived from a passphrase by scrypt). Start-up runs
the probe of startup.py in fresh processes, interleaved plain/encrypted; the encrypted
start includes unlocking (scrypt on the passphrase) as `clinic-tui` does it. Search runs
the same seeded queries of search.py through PatientSearch on both caches.

    .venv/bin/python benchmarks/encryption.py [--runs 7] [--queries 100] [--patients 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_cache import BENCH_DIR, demo_cache_dir
from _timing import summary
from search import KINDS, draw_queries, load_samples, timed
from startup import measure

from clinic_tui.commands.encrypt import encrypt_cache
from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.cache_key import Encryption, read_marker, remember_key
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.patient_search import PatientSearch

PASSPHRASE = "benchmark passphrase"


def encrypted_copy(plain_dir: Path) -> Path:
    """A folder with an encrypted copy of the plain cache (made once, then reused)."""
    folder = BENCH_DIR / f"{plain_dir.name}-encrypted"
    path = cache_path(folder)
    if (folder / "complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    source = sqlite3.connect(cache_path(plain_dir))
    source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source.close()
    shutil.copy(cache_path(plain_dir), path)
    encryption = Encryption(source="passphrase", salt=os.urandom(16))
    started = time.perf_counter()
    result = encrypt_cache(path, encryption, encryption.derive(PASSPHRASE))
    print(
        f"encrypted a copy ({sum(result.rows.values()):,} rows, "
        f"{path.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    (folder / "complete").write_text("yes")
    return folder


def startup(plain: Path, encrypted: Path, runs: int) -> None:
    """Cold start to the filled queue, plain and encrypted, interleaved."""
    os.environ.pop("CLINIC_TUI_BENCH_PASSPHRASE", None)
    samples: dict[str, list[tuple[float, float]]] = {"plain": [], "encrypted": []}

    def one(kind: str) -> tuple[float, float]:
        if kind == "encrypted":
            os.environ["CLINIC_TUI_BENCH_PASSPHRASE"] = PASSPHRASE
        try:
            return measure("clinic", plain if kind == "plain" else encrypted)
        finally:
            os.environ.pop("CLINIC_TUI_BENCH_PASSPHRASE", None)

    one("plain")  # warm the OS page cache for both
    one("encrypted")
    for _ in range(runs):
        for kind in samples:
            samples[kind].append(one(kind))
    print(f"cold start to the filled queue, {runs} runs each, headless 120x40")
    print(f"{'cache':<40}{'median s':>10}{'min s':>8}{'peak RSS MiB':>14}")
    medians = {}
    labels = {
        "plain": "plain (sqlite3)",
        "encrypted": "encrypted (SQLCipher, passphrase unlock)",
    }
    for kind, runs_of in samples.items():
        walls = [wall for wall, _ in runs_of]
        medians[kind] = statistics.median(walls)
        rss = max(peak for _, peak in runs_of)
        print(f"{labels[kind]:<40}{medians[kind]:>10.3f}{min(walls):>8.3f}{rss:>14.1f}")
    print(f"ratio encrypted/plain (median): {medians['encrypted'] / medians['plain']:.2f}x")


def search(plain: Path, encrypted: Path, per_kind: int, seed: int) -> None:
    """The same seeded patient searches on both caches."""
    encrypted_path = cache_path(encrypted)
    marker = read_marker(encrypted_path)
    assert marker is not None
    remember_key(encrypted_path, marker.derive(PASSPHRASE))
    engines = {
        "plain": open_cache(cache_path(plain)),
        "encrypted": open_cache(encrypted_path),
    }
    searches = {kind: PatientSearch(engine) for kind, engine in engines.items()}
    rng = random.Random(seed)
    queries = draw_queries(load_samples(engines["plain"], rng, 20_000), rng, per_kind)
    for query in [q for batch in queries.values() for q in batch[:5]]:
        for each in searches.values():
            each.search(query)
    print(f"patient search, {per_kind} queries per kind, ms per query (connection included)")
    print(
        f"{'':30}{'plain p50':>10}{'p95':>8}{'max':>8}   {'encrypted p50':>13}{'p95':>8}{'max':>8}"
    )
    for kind in KINDS:
        batch = queries[kind]
        times = {}
        for name, each in searches.items():
            times[name], _ = timed(lambda q, s=each: len(s.search(q)), batch)
        print(
            f"{kind + f' ({len(batch)})':<30}{summary(times['plain'], width=7):>26}   "
            f"{summary(times['encrypted'], width=7):>29}"
        )
    for engine in engines.values():
        engine.dispose()


def main() -> None:
    """Print start-up and search figures for a plain and an encrypted copy of one cache."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--queries", type=int, default=100, help="search queries per kind")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    plain = demo_cache_dir(args.patients, args.seed)
    encrypted = encrypted_copy(plain)
    print(f"cache: {args.patients:,} patients; plain {plain}, encrypted {encrypted}")
    startup(plain, encrypted, args.runs)
    print()
    search(plain, encrypted, args.queries, args.seed)


if __name__ == "__main__":
    main()
