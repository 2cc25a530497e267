"""The cost of the download's trust boundary (sync/inbound.py: clean, bound, validate).

1. CPU alone: `admit` over every resource of a demo clinic, beside `row_values` (what
   the download does to each resource anyway), in microseconds per resource.
2. With a server (--server URL, token in FHIR_SERVER_TOKEN): a first download of every
   type into a fresh cache, with the boundary and with `admit` switched off, alternated,
   median seconds of --runs each. --seed-patients N first PUTs a demo clinic of N patients.

    .venv/bin/python benchmarks/download_boundary.py [--patients 200]
    FHIR_SERVER_TOKEN=... .venv/bin/python benchmarks/download_boundary.py \\
        --server http://127.0.0.1:8080/fhir [--seed-patients 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clinic_tui.demo.generator import iter_demo_resources
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import row_values
from clinic_tui.offline_cache.tables import RESOURCE_TABLES
from clinic_tui.sync import download as download_module
from clinic_tui.sync.client import FhirClient

try:
    from clinic_tui.sync.inbound import admit
except ImportError:  # run on a tree from before the boundary (PYTHONPATH=.../src): "before" only
    admit = None  # type: ignore[assignment]


def cpu_only(patients: int) -> None:
    """admit and row_values over one demo clinic's resources."""
    if admit is None:
        return
    moment = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    resources = [
        r
        for r in iter_demo_resources(patients, 1, moment, 1)
        if r["resourceType"] in RESOURCE_TABLES
    ]
    for resource in resources:  # warm up (pypinyin's tables load on the first Han name)
        row_values(admit(resource))
    for label, step in (("row_values (baseline)", row_values), ("admit (boundary)", admit)):
        started = time.perf_counter()
        for resource in resources:
            step(resource)
        elapsed = time.perf_counter() - started
        per = elapsed / len(resources) * 1e6
        print(
            f"{label:24} {len(resources):7,} resources {elapsed * 1000:9.1f} ms {per:7.1f} µs each"
        )


def _first_download(client: FhirClient) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_cache(Path(folder) / "clinic.sqlite3")
        try:
            started, cpu = time.perf_counter(), time.process_time()
            result = download_module.download(engine, client)
            return time.perf_counter() - started, time.process_time() - cpu, result.written
        finally:
            engine.dispose()


def with_server(url: str, runs: int, seed_patients: int) -> None:
    """First downloads with the boundary on and off, alternated."""
    token = os.environ.get("FHIR_SERVER_TOKEN")
    client = FhirClient(url, (lambda: token) if token else None)
    if seed_patients:
        from clinic_tui.commands.seed_server import seed_server

        seeded = seed_server(client, patients=seed_patients, seed=1)
        print(f"seeding {seed_patients} patients: {seeded}")
    original = getattr(download_module, "admit", None)

    def off(resource: dict[str, Any]) -> dict[str, Any]:
        return resource

    modes = ("off", "on") if original is not None else ("before",)
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
    written = 0
    for _ in range(runs):
        for mode in modes:
            if original is not None:
                download_module.admit = original if mode == "on" else off  # type: ignore[attr-defined]
            elapsed, cpu, written = _first_download(client)
            times[mode].append((elapsed, cpu))
    if original is not None:
        download_module.admit = original  # type: ignore[attr-defined]
    client.close()
    labels = {"off": "boundary off", "on": "boundary on", "before": "before (main)"}
    for mode in modes:
        wall = [t for t, _ in times[mode]]
        cpu = [c for _, c in times[mode]]
        runs_text = ", ".join(f"{t:.2f}" for t in wall)
        print(
            f"first download, {labels[mode]:13} {written:7,} records  "
            f"median {statistics.median(wall):6.2f} s wall, {statistics.median(cpu):6.2f} s CPU  "
            f"(wall runs: {runs_text})"
        )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--server")
    parser.add_argument("--seed-patients", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cpu_only(args.patients)
    if args.server:
        with_server(args.server, args.runs, args.seed_patients)


if __name__ == "__main__":
    main()
