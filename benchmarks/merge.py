"""Three-way merge and the merge of kept-aside server versions after a download.

Times three_way_merge on a Patient with names, identifiers, telecom, extensions and
an address (disjoint edits, and a clash), beside copy.deepcopy of the same resource
as the floor; then merge_kept_aside over N records a download kept aside, beside
upsert_resources of the same N server versions (what a download writes anyway).
Prints p50/p95/max in ms for the merge and totals for the batch.

    .venv/bin/python benchmarks/merge.py [--runs 2000] [--records 1000]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import summary, timed

from clinic_tui.domain.merge import three_way_merge
from clinic_tui.offline_cache.conflicts import merge_kept_aside
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import upsert_resources, write_local_change
from clinic_tui.sync.cache_io import keep_server_version


def patient(ident: str, version: str) -> dict[str, Any]:
    """A Patient about as rich as the demo data and the hospital's records."""
    return {
        "resourceType": "Patient",
        "id": ident,
        "meta": {"versionId": version, "lastUpdated": "2026-11-20T08:00:00+00:00"},
        "identifier": [
            {"system": "urn:oid:2.16.156.10011.1.1", "value": "110101199003077777"},
            {"system": "urn:clinic:mrn", "value": f"MRN-{ident}"},
        ],
        "name": [{"text": "王小明", "family": "王", "given": ["小明"]}],
        "telecom": [
            {"system": "phone", "use": "mobile", "value": "13800000000"},
            {"system": "phone", "use": "home", "value": "010-1234567"},
        ],
        "gender": "male",
        "birthDate": "1990-03-07",
        "address": [{"city": "保定", "district": "涞源", "line": ["一号"]}],
        "extension": [
            {"url": "urn:ext:ethnicity", "valueString": "汉"},
            {"url": "urn:ext:insurance", "valueString": "新农合"},
        ],
        "managingOrganization": {"reference": "Organization/clinic-1"},
    }


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()

    base = patient("p-1", "1")
    local = copy.deepcopy(base)
    local["birthDate"] = "1990-03-08"
    local["telecom"][0]["value"] = "13811111111"
    remote = copy.deepcopy(base)
    remote["meta"]["versionId"] = "2"
    remote["telecom"][1]["value"] = "010-7654321"
    remote["extension"][1]["valueString"] = "城镇职工"
    clash = copy.deepcopy(remote)
    clash["birthDate"] = "1991-01-01"
    print(f"{'per resource (ms)':34} {'p50':>8} {'p95':>8} {'max':>8}")
    print(
        f"{'copy.deepcopy (floor)':34} "
        f"{summary(timed(lambda: copy.deepcopy(base), args.runs), decimals=3)}"
    )
    print(
        f"{'three_way_merge, disjoint edits':34} "
        f"{summary(timed(lambda: three_way_merge(base, local, remote), args.runs), decimals=3)}"
    )
    print(
        f"{'three_way_merge, one clash':34} "
        f"{summary(timed(lambda: three_way_merge(base, local, clash), args.runs), decimals=3)}"
    )

    with tempfile.TemporaryDirectory() as folder:
        engine = open_cache(Path(folder) / "clinic.sqlite3")
        ids = [f"p-{n}" for n in range(args.records)]
        with engine.begin() as connection:
            upsert_resources(connection, [patient(i, "1") for i in ids])
            for n, ident in enumerate(ids):
                edited = patient(ident, "1")
                edited["birthDate"] = "1990-03-08"
                write_local_change(connection, edited, "update")
                theirs = patient(ident, "2")
                # One in ten clashes on birthDate; the rest change another field.
                theirs["birthDate" if n % 10 == 0 else "gender"] = "1991-01-01"
                keep_server_version(
                    connection, "Patient", ident, theirs, version_id="2", last_updated=None
                )
        started = time.perf_counter()
        outcome = merge_kept_aside(engine)
        took = time.perf_counter() - started
        started = time.perf_counter()
        with engine.begin() as connection:
            upsert_resources(connection, [patient(i, "3") for i in ids])
        floor = time.perf_counter() - started
        engine.dispose()
    print(f"\n{args.records} kept-aside records: {outcome}")
    print(
        f"  merge_kept_aside          {took * 1000:8.0f} ms ({took / args.records * 1000:.2f}/rec)"
    )
    print(f"  upsert_resources (floor)  {floor * 1000:8.0f} ms (one transaction)")


if __name__ == "__main__":
    main()
