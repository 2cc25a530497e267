"""Upload of an offline day's outbox over a thin link: adaptive bundles vs one change per trip.

Starts the real FHIR server (scripts/fhir_server.py) behind the network lab's link
emulator (tests/netlab, default 0.5 Mbit/s each way, 300 ms round trip), writes N
new patients into a fresh cache as local changes, and uploads them twice: with
bundles of one change (the floor: one round trip per change, as a PUT each) and
with the adaptive bundles. Prints seconds, round trips, bytes and the bundle size
reached, beside each other.

    .venv/bin/python benchmarks/upload.py [--records 200] [--mbit 0.5] [--rtt 0.3]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clinic_tui.offline_cache.engine import open_cache  # noqa: E402
from clinic_tui.offline_cache.store import record_local_change  # noqa: E402
from clinic_tui.sync.client import FhirClient  # noqa: E402
from clinic_tui.sync.upload import Uploader  # noqa: E402
from clinic_tui.sync.upload_plan import BatchSizer  # noqa: E402
from tests.netlab.fault_proxy import FaultProxy  # noqa: E402

SCRIPT = ROOT / "scripts" / "fhir_server.py"


def server(*args: str, token: str) -> str:
    """Run the server script; its last output line."""
    env = {**os.environ, "FHIR_SERVER_TOKEN": token}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def patient(ident: str, number: int) -> dict[str, object]:
    """A walk-in patient as the desk registers one."""
    return {
        "resourceType": "Patient",
        "id": ident,
        "identifier": [{"system": "urn:bench", "value": ident}],
        "name": [{"family": "王", "given": [f"小明{number}"], "text": f"王小明{number}"}],
        "telecom": [{"system": "phone", "use": "mobile", "value": f"138{number:08d}"}],
        "gender": "male" if number % 2 else "female",
        "birthDate": f"19{50 + number % 50:02d}-0{1 + number % 9}-1{number % 10}",
        "address": [{"city": "保定", "district": "涞源", "line": [f"{number}号"]}],
    }


def run(label: str, proxy: FaultProxy, token: str, records: int, sizer: BatchSizer) -> None:
    """Upload `records` new patients from a fresh cache and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        engine = open_cache(Path(folder) / "bench.sqlite3")
        for number in range(records):
            record_local_change(engine, patient(f"bench-{uuid.uuid4().hex}", number), "create")
        proxy.reset_stats()
        with FhirClient(f"{proxy.url}/fhir", lambda: token, read_timeout=60) as client:
            started = time.perf_counter()
            result = Uploader(engine, client, sizer=sizer).run()
            seconds = time.perf_counter() - started
        engine.dispose()
    stats = proxy.stats()
    assert result.uploaded == records, result.errors
    print(
        f"{label:<26} {seconds:8.1f} s {stats.requests:6d} round trips "
        f"{stats.bytes_total / 1024:9.0f} KiB   bundle size reached {sizer.size}"
    )


def main() -> None:
    """Parse arguments, start server and link, run both uploads, stop everything."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--mbit", type=float, default=0.5)
    parser.add_argument("--rtt", type=float, default=0.3)
    args = parser.parse_args()
    token = secrets.token_urlsafe(16)
    name = f"bench-upload-{os.getpid()}"
    server("install", token=token)
    with tempfile.TemporaryDirectory() as data:
        direct = server("start", "--name", name, "--data-dir", data, token=token)
        try:
            port = int(direct.rsplit(":", 1)[1].split("/", 1)[0])
            with FaultProxy.thin_link(port, mbit=args.mbit, rtt=args.rtt) as proxy:
                print(
                    f"{args.records} new patients, {args.mbit} Mbit/s, {args.rtt * 1000:.0f} ms RTT"
                )
                run(
                    "one change per round trip",
                    proxy,
                    direct,
                    token,
                    args.records,
                    BatchSizer(1, maximum=1),
                )
                run("adaptive bundles", proxy, token, args.records, BatchSizer())
        finally:
            server("stop", "--name", name, "--clean", token=token)


if __name__ == "__main__":
    main()
