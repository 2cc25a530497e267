"""Patient search on a 100,000-patient cache: indexed lookups beside a naive LIKE '%q%' scan.

Queries are drawn from real patients of the demo cache (seeded), per kind: a Han name prefix
of 1-2 characters, pinyin initials, full pinyin, an identity-number prefix of 6-10 digits, a
phone prefix of 7 digits and a Latin family-name prefix of 3 letters. Each query runs through
PatientSearch.search (limit 50) and, as the baseline, through the naive search an app without
search keys would write: `LIKE '%q%'` over the same columns, best first (ORDER BY), LIMIT 50.
Both open a connection per query from the same engine, as the screen's worker does.

    .venv/bin/python benchmarks/search.py [--queries 200] [--patients 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_cache import demo_cache_dir
from _timing import summary

from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.patient_search import PatientSearch, classify

Sample = dict[str, str]

KINDS: dict[str, tuple[str, Callable[[Sample, random.Random], str | None]]] = {
    # kind: (columns the naive search scans, how a clerk would type it from this patient)
    "name 1-2 Han chars": (
        "name",
        lambda p, r: p["name"][: r.choice((1, 2))] if p["is_han"] else None,
    ),
    "pinyin initials": ("pinyin_initials", lambda p, r: p["pinyin_initials"] or None),
    "full pinyin": ("pinyin_full", lambda p, r: p["pinyin_full"] if p["is_han"] else None),
    "id prefix 6-10 digits": (
        "identifier",
        lambda p, r: p["identifier"][: r.randint(6, 10)] if p["identifier"].isdigit() else None,
    ),
    "phone prefix 7 digits": ("phone", lambda p, r: p["phone"][:7] or None),
    "Latin family 3 letters": (
        "family",
        lambda p, r: p["family"][:3].lower() if not p["is_han"] and p["family"] else None,
    ),
    # The front desk's spellings: a given name alone, in Han or pinyin; family name first.
    "Han given name": ("given", lambda p, r: p["given"] if p["is_han"] and p["given"] else None),
    "given-name pinyin": (
        "pinyin_given",
        lambda p, r: p["pinyin_given"] if p["is_han"] and p["pinyin_given"] else None,
    ),
    "Latin family first": (
        "name",
        lambda p, r: (
            f"{p['family']} {p['given'].split()[0]}"
            if not p["is_han"] and p["family"] and p["given"]
            else None
        ),
    ),
}

_NAIVE = (
    "SELECT id, name, gender, birth_date, identifier, phone, pending FROM patient"
    " WHERE active AND ({where}) ORDER BY pinyin_full, name LIMIT 50"
)


def load_samples(engine: Engine, rng: random.Random, count: int) -> list[Sample]:
    """`count` random active patients' search-relevant fields."""
    with engine.connect() as connection:
        top = int(connection.execute(text("SELECT max(rowid) FROM patient")).scalar_one())
        rowids = rng.sample(range(1, top + 1), min(count, top))
        rows = connection.execute(
            text(
                "SELECT name, family, given, pinyin_full, pinyin_initials, pinyin_given,"
                " coalesce(identifier, '') AS identifier, coalesce(phone, '') AS phone"
                f" FROM patient WHERE active AND rowid IN ({','.join(map(str, rowids))})"
            )
        ).mappings()
        samples = [dict(row) for row in rows]
    for sample in samples:
        sample["is_han"] = "1" if classify(sample["name"])[0].value == "han-name" else ""
    return samples


def draw_queries(samples: list[Sample], rng: random.Random, per_kind: int) -> dict[str, list[str]]:
    """`per_kind` queries of each kind, typed from distinct random patients."""
    drawn: dict[str, list[str]] = {}
    for kind, (_, make) in KINDS.items():
        queries: list[str] = []
        for sample in rng.sample(samples, len(samples)):
            query = make(sample, rng)
            if query:
                queries.append(query)
            if len(queries) == per_kind:
                break
        drawn[kind] = queries
    return drawn


def naive_search(engine: Engine, columns: str, query: str) -> int:
    """The search without search keys: LIKE '%q%' on every column, ranked, 50 rows."""
    where = " OR ".join(f"{column} LIKE :pattern" for column in columns.split())
    with engine.connect() as connection:
        rows = connection.execute(text(_NAIVE.format(where=where)), {"pattern": f"%{query}%"})
        return len(rows.fetchall())


def timed(run: Callable[[str], int], queries: list[str]) -> tuple[list[float], float]:
    """Milliseconds per query, and the mean number of rows returned."""
    times: list[float] = []
    found = 0
    for query in queries:
        started = time.perf_counter()
        found += run(query)
        times.append((time.perf_counter() - started) * 1000)
    return times, found / max(len(queries), 1)


def main() -> None:
    """Print p50/p95/max per query kind for the indexed search and the naive scan."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    engine = open_cache(cache_path(demo_cache_dir(args.patients, args.seed)))
    search = PatientSearch(engine)
    rng = random.Random(args.seed)
    with engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM patient")).scalar_one()
    queries = draw_queries(load_samples(engine, rng, 20_000), rng, args.queries)
    for query in [q for kind in queries.values() for q in kind[:5]]:  # warm caches for both
        search.search(query)

    print(f"patient search over {total:,} cached patients, {args.queries} queries per kind")
    print("ms per query (connection included); indexed = PatientSearch.search, limit 50;")
    print("naive = LIKE '%q%' on the same columns, ORDER BY pinyin_full, LIMIT 50")
    print(
        f"{'':30}{'indexed p50':>12}{'p95':>8}{'max':>8}   {'naive p50':>9}{'p95':>8}{'max':>8}"
        f"{'rows':>7}"
    )
    worst = 0.0
    for kind, (columns, _) in KINDS.items():
        batch = queries[kind]
        fast, rows = timed(lambda q: len(search.search(q)), batch)
        slow, _ = timed(lambda q, c=columns: naive_search(engine, c, q), batch)
        worst = max(worst, sorted(fast)[round(0.95 * (len(fast) - 1))])
        print(
            f"{kind + f' ({len(batch)})':<30}{summary(fast, width=7):>27}   "
            f"{summary(slow, width=7):>25}{rows:7.1f}"
        )
    print(f"worst indexed p95: {worst:.2f} ms (target <= 20 ms)")
    print(
        "indexed plans:", *sorted(set(search.explain("zs") + search.explain("430124"))), sep="\n  "
    )
    engine.dispose()


if __name__ == "__main__":
    main()
