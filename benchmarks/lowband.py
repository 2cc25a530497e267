"""Sync over a thin link: 1 Mbit/s, 100 ms RTT, nginx gzip in front of a seeded FHIR server.

One run measures, through the project's link emulator (tests/netlab/fault_proxy.py, no
faults) in front of Debian's nginx with gzip (tests/netlab/nginx_front.py) in front of a
fresh sekmet-fhir server seeded with `clinic-tui seed-server`:

- the initial sync with SyncEngine into an empty cache (in a subprocess: peak RSS, VmHWM),
  first on the same path with the link unshaped (what the server and client cost alone);
- an incremental sync with nothing to do;
- an incremental sync with 50 changes each way (50 edits made directly on the server,
  50 local edits through the cache store's outbox);
- a straightforward client: fhirpy paging through the same resource types on the same
  link with gzip (fhirpy lives in its own venv under .bench/, never in the project's).

For each: wall time, payload bytes each way, HTTP requests (round trips) and connections,
and the wire limit = (bytes up + bytes down) / bandwidth + minimal round trips x RTT.
Figures only, no asserts.

    .venv/bin/python benchmarks/lowband.py [--patients 5000] [--mbit 1] [--rtt-ms 100]

Seeding 5,000 patients takes a minute or two; `--server-dir DIR` keeps the seeded server's
database in DIR and reuses it on the next run, and `--phases` picks what to measure.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.netlab is the project's own link laboratory

from clinic_tui.offline_cache.engine import open_cache  # noqa: E402
from clinic_tui.offline_cache.store import read_resource, record_local_change  # noqa: E402
from clinic_tui.offline_cache.tables import RESOURCE_TABLES  # noqa: E402
from clinic_tui.sync.client import FhirClient  # noqa: E402
from clinic_tui.sync.download import DEFAULT_PAGE_SIZE, DOWNLOAD_STREAMS  # noqa: E402
from tests.netlab.fault_proxy import FaultProxy, ProxyStats  # noqa: E402
from tests.netlab.fhir_server import running_fhir_server  # noqa: E402
from tests.netlab.nginx_front import NginxFront, NginxUnavailable, free_port  # noqa: E402

BENCH = ROOT / ".bench"
FHIRPY_VENV = BENCH / "fhirpy-venv"
FHIRPY_PIN = "fhirpy==2.3.1"
FHIRPY_PAGE_SIZE = 100
"""fhirpy's page (`.limit(100)`): twice the server's default of 50, as a plain client would ask."""
CHANGES = 50
TOKEN_VARIABLE = "LOWBAND_TOKEN"
ALL_PHASES = ("unshaped", "idle", "changes", "fhirpy")

FHIRPY_PAGER = """
import json, os, sys, time
from fhirpy import SyncFHIRClient
url, page, kinds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
client = SyncFHIRClient(url, authorization="Bearer " + os.environ["LOWBAND_TOKEN"])
started = time.perf_counter()
counts = {}
for kind in kinds:
    # The library's own paging: it follows the Bundle next links.
    counts[kind] = sum(1 for _ in client.resources(kind).limit(page))
print(json.dumps({"wall": time.perf_counter() - started, "counts": counts}))
"""


@dataclass(frozen=True)
class Phase:
    """One measured exchange over the emulated link."""

    name: str
    wall: float
    stats: ProxyStats
    min_round_trips: int
    """Round trips no client can avoid; 0 marks the unshaped baseline (no wire limit)."""
    note: str = ""

    def wire_limit(self, bandwidth: float, rtt: float) -> float:
        """Seconds the link needs at best: its bytes at full rate plus the unavoidable RTTs."""
        return self.stats.bytes_total / bandwidth + self.min_round_trips * rtt


# ---- the child process: one sync round, its peak RSS -----------------------------------


def _vmhwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child_sync(cache: Path, url: str) -> None:
    """Run one SyncEngine round into `cache` and print a JSON summary (child process)."""
    from clinic_tui.sync.engine import SyncEngine

    token = os.environ[TOKEN_VARIABLE]
    cache.parent.mkdir(parents=True, exist_ok=True)
    engine = open_cache(cache)
    with FhirClient(url, lambda: token) as client:
        started = time.perf_counter()
        report = SyncEngine(engine, client).run()
        wall = time.perf_counter() - started
    engine.dispose()
    summary = {
        "wall": wall,
        "complete": report.complete,
        "downloaded": report.downloaded,
        "uploaded": report.uploaded,
        "conflicts": report.conflicts,
        "errors": report.errors[:3],
        "vmhwm_kib": _vmhwm_kib(),
    }
    print(json.dumps(summary))


def _run_child(args: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    result = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{args[1]} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


# ---- set-up: server, seed, nginx, link --------------------------------------------------


HISTORY_YEARS = 4
"""Years of past visits per patient: 5,000 patients then make about 105,000 resources (issue 4)."""


def seed(
    direct_url: str, token: str, patients: int, scratch: Path, history_years: int = HISTORY_YEARS
) -> str:
    """Fill the server with `clinic-tui seed-server`; returns its summary line."""
    cli = Path(sys.executable).with_name("clinic-tui")
    env = {
        **os.environ,
        "CLINIC_TUI_TOKEN": token,
        "XDG_CONFIG_HOME": str(scratch / "config"),
        "XDG_DATA_HOME": str(scratch / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    command = [str(cli), "seed-server", "--server", direct_url, "--patients", str(patients)]
    command += ["--seed", "1", "--history-years", str(history_years)]
    command += ["--data-dir", str(scratch / "cli")]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"clinic-tui seed-server failed: {result.stderr.strip()[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


def server_edits(direct_url: str, token: str, count: int) -> list[str]:
    """Edit `count` Patients directly on the server (one transaction); returns their ids."""
    with FhirClient(direct_url, lambda: token) as client:
        # get_json, not bundle_page: this page's links name the public URL, not this one.
        page = client.get_json("Patient", {"_count": str(count), "_sort": "_id"})
        patients = [entry["resource"] for entry in page.get("entry", [])][:count]
        entries = []
        for patient in patients:
            edited = {**patient, "telecom": [{"system": "phone", "value": "13900000000"}]}
            version = patient["meta"]["versionId"]
            entries.append(
                {
                    "fullUrl": f"{client.base_url}/Patient/{patient['id']}",
                    "resource": edited,
                    "request": {
                        "method": "PUT",
                        "url": f"Patient/{patient['id']}",
                        "ifMatch": f'W/"{version}"',
                    },
                }
            )
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        client.request("POST", client.base_url, body=bundle)
    return [patient["id"] for patient in patients]


def local_edits(cache: Path, count: int, avoid: set[str]) -> int:
    """Edit `count` cached Patients through the store's outbox; returns how many."""
    from sqlalchemy import text

    engine = open_cache(cache)
    done = 0
    with engine.connect() as connection:
        ids = [
            row[0]
            for row in connection.execute(text("SELECT id FROM patient ORDER BY id DESC LIMIT 500"))
            if row[0] not in avoid
        ][:count]
    for ident in ids:
        with engine.connect() as connection:
            patient = read_resource(connection, "Patient", ident)
        if patient is None:
            continue
        patient["address"] = [{"text": "青山镇 3 组", "city": "青山镇"}]
        record_local_change(engine, patient, "update")
        done += 1
    engine.dispose()
    return done


def cache_records(cache: Path) -> int:
    """Records in the cache, all types."""
    import sqlite3

    connection = sqlite3.connect(cache)
    total = 0
    for table in RESOURCE_TABLES.values():
        name = table.__table__.name  # type: ignore[attr-defined]
        total += connection.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
    connection.close()
    return total


def fhirpy_python() -> Path | None:
    """The benchmark venv's python with fhirpy, created on first use; None if it cannot be."""
    python = FHIRPY_VENV / "bin" / "python"
    check = [str(python), "-c", "import fhirpy"]
    if python.exists() and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python
    BENCH.mkdir(exist_ok=True)
    print(f"creating {FHIRPY_VENV} with {FHIRPY_PIN} (benchmark only)", file=sys.stderr)
    steps = [
        [sys.executable, "-m", "venv", str(FHIRPY_VENV)],
        [str(python), "-m", "pip", "install", "--quiet", FHIRPY_PIN],
    ]
    for step in steps:
        if subprocess.run(step, check=False, timeout=900).returncode != 0:
            return None
    return python


# ---- the run ----------------------------------------------------------------------------


def measure(
    proxy: FaultProxy,
    name: str,
    min_round_trips: int,
    command: list[str],
    env: dict[str, str],
    *,
    unshaped: bool = False,
) -> tuple[Phase, dict[str, Any]]:
    """Run `command` through the link and collect the link's counters around it.

    `unshaped`: the same path with the link's bandwidth and delay switched off, which shows
    what the server and the client themselves cost.
    """
    shape = proxy.bandwidth, proxy.one_way_delay
    if unshaped:
        proxy.bandwidth, proxy.one_way_delay = None, 0.0
    proxy.reset_stats()
    started = time.perf_counter()
    try:
        summary = _run_child(command, env, timeout=7200)
    finally:
        proxy.bandwidth, proxy.one_way_delay = shape
    wall = time.perf_counter() - started
    return Phase(name, summary.get("wall", wall), proxy.stats(), min_round_trips), summary


def _kib(count: int) -> str:
    """KiB, with a decimal when small (a quiet round moves well under one KiB)."""
    kib = count / 1024
    return f"{kib:.1f}" if kib < 10 else f"{kib:.0f}"


def print_table(phases: list[Phase], bandwidth: float, rtt: float) -> None:
    """The figures, one line per phase."""
    header = (
        f"{'':<34}{'wall s':>8}{'up KiB':>9}{'down KiB':>10}{'reqs':>7}{'conns':>6}"
        f"{'limit s':>9}{'x limit':>8}"
    )
    print(header)
    for phase in phases:
        s = phase.stats
        line = (
            f"{phase.name:<34}{phase.wall:>8.1f}{_kib(s.bytes_up):>9}"
            f"{_kib(s.bytes_down):>10}{s.requests:>7}{s.connections:>6}"
        )
        if phase.min_round_trips:
            limit = phase.wire_limit(bandwidth, rtt)
            line += f"{limit:>9.1f}{phase.wall / limit:>8.2f}"
        print(line)


def run(args: argparse.Namespace) -> int:
    """Set up server, nginx and link; measure every phase; print the table."""
    bandwidth = args.mbit * 1_000_000 / 8
    rtt = args.rtt_ms / 1000
    token = secrets.token_urlsafe(24)
    public_port = free_port()
    public_url = f"http://127.0.0.1:{public_port}/fhir"
    BENCH.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="lowband-", dir=BENCH))
    cache = scratch / "cache" / "clinic.sqlite3"
    env = {**os.environ, TOKEN_VARIABLE: token}
    sync_command = [sys.executable, __file__, "--child-sync", str(cache), public_url]
    phases: list[Phase] = []
    notes: list[str] = []
    server_dir = args.server_dir.resolve() if args.server_dir else scratch / "server"
    seeded_mark = server_dir / f"seeded-{args.patients}-patients-{args.history_years}-years"
    wanted = set(args.phases.split(","))
    try:
        # keep: with --server-dir the server's folder stays for the next run's reuse.
        with running_fhir_server(
            f"lowband-{os.getpid()}",
            server_dir,
            token,
            public_url=public_url,
            keep=bool(args.server_dir),
        ) as direct:
            started = time.perf_counter()
            if seeded_mark.exists():
                print(f"reusing the server seeded in {server_dir}", flush=True)
            else:
                seeded = seed(direct, token, args.patients, scratch, args.history_years)
                seeded_mark.write_text(seeded + "\n")
                print(f"seeded in {time.perf_counter() - started:.0f} s: {seeded}", flush=True)
            server_port = int(direct.rsplit(":", 1)[1].split("/", 1)[0])
            try:
                front = NginxFront(server_port, gzip_level=args.gzip_level).start()
            except NginxUnavailable as error:
                print(f"lowband: nginx unavailable, benchmark skipped: {error}")
                return 0
            link = FaultProxy.thin_link(
                front.port, mbit=args.mbit, rtt=rtt, listen_port=public_port
            )
            with link, front_stopped(front):
                if "unshaped" in wanted:
                    # The same sync on an unshaped path: server and client time alone.
                    direct_cache = scratch / "cache-unshaped" / "clinic.sqlite3"
                    command = [
                        sys.executable,
                        __file__,
                        "--child-sync",
                        str(direct_cache),
                        public_url,
                    ]
                    name = "initial sync, link unshaped"
                    phases.append(measure(link, name, 0, command, env, unshaped=True)[0])
                phase, first = measure(link, "initial sync (SyncEngine)", 1, sync_command, env)
                phases.append(phase)
                initial = phase
                records = cache_records(cache)
                notes.append(
                    f"initial sync: {records:,} records cached, complete={first['complete']}, "
                    f"peak RSS (VmHWM) {first['vmhwm_kib'] / 1024:.0f} MiB"
                )
                if first["errors"]:
                    notes.append(f"initial sync errors: {first['errors']}")
                if "idle" in wanted:
                    name = "incremental, nothing to do"
                    phases.append(measure(link, name, 1, sync_command, env)[0])
                if "changes" in wanted:
                    edited = server_edits(direct, token, CHANGES)
                    local = local_edits(cache, CHANGES, set(edited))
                    name = f"incremental, {CHANGES} + {local} changes"
                    phase, changed = measure(link, name, 2, sync_command, env)
                    phases.append(phase)
                    notes.append(
                        f"{name}: downloaded {changed['downloaded']}, uploaded "
                        f"{changed['uploaded']}, complete={changed['complete']} "
                        f"{changed['errors']}"
                    )
                if "fhirpy" in wanted:
                    python = fhirpy_python()
                    if python is None:
                        notes.append("fhirpy: could not create its venv; skipped")
                    else:
                        kinds = list(RESOURCE_TABLES)
                        command = [
                            str(python),
                            "-c",
                            FHIRPY_PAGER,
                            public_url,
                            str(FHIRPY_PAGE_SIZE),
                        ]
                        phase, paged = measure(
                            link, "fhirpy paging (straightforward)", 1, [*command, *kinds], env
                        )
                        phases.append(phase)
                        total = sum(paged["counts"].values())
                        notes.append(f"fhirpy: {total:,} resources paged")
                        ratio = phase.wall / initial.wall
                        notes.append(f"initial sync vs fhirpy: {ratio:.2f}x faster")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"\nlink: {args.mbit:g} Mbit/s each way, RTT {args.rtt_ms:g} ms (tests/netlab proxy); "
        f"nginx gzip level {args.gzip_level}; page size {DEFAULT_PAGE_SIZE} "
        f"(fhirpy {FHIRPY_PAGE_SIZE}), {DOWNLOAD_STREAMS} download streams"
    )
    print_table(phases, bandwidth, rtt)
    for note in notes:
        print(note)
    print(
        "targets (issue 4): initial <= 1.3x limit and >= 1.5x faster than fhirpy; nothing to "
        "do <= 2 round trips; 50+50 <= 1.5x limit; peak RSS < 200 MiB"
    )
    return 0


@contextmanager
def front_stopped(front: NginxFront) -> Iterator[None]:
    """Stop nginx when the block ends."""
    try:
        yield
    finally:
        front.stop()


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument(
        "--history-years",
        type=int,
        default=HISTORY_YEARS,
        help="years of past visits per patient in the seeded clinic (clinic-tui seed-server)",
    )
    parser.add_argument("--mbit", type=float, default=1.0, help="bandwidth each way")
    parser.add_argument("--rtt-ms", type=float, default=100.0)
    parser.add_argument("--gzip-level", type=int, default=6, help="nginx gzip_comp_level")
    parser.add_argument(
        "--phases",
        default=",".join(ALL_PHASES),
        help=f"comma-separated, of {','.join(ALL_PHASES)} (the initial sync always runs)",
    )
    parser.add_argument(
        "--server-dir",
        type=Path,
        help="keep the seeded server's database here and reuse it on the next run",
    )
    parser.add_argument("--child-sync", nargs=2, metavar=("CACHE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_sync:
        child_sync(Path(args.child_sync[0]), args.child_sync[1])
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
