"""A county hospital's cache as its own sync fills it: referrals to it and their patients alone.

A demo township is generated into a scratch cache; the hospital's cache then takes what a
hospital-scoped sync brings (sync/scope.py, sync/referred_patients.py): every Organization
and Practitioner, the referrals the hospital or its departments own with their requests and
messages, and each referred Patient, without any of that patient's records.

    .venv/bin/python -m tests.ui.hospital_cache --data-dir /tmp/ce-hospital [--patients 200]

writes a hospital cache (clinic.sqlite3 and a config.toml with role expert) for a look by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sqlalchemy import Engine, text

from clinic_tui.demo.generator import generate_demo_clinic
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import upsert_resources
from tests.ui.triage_app import TRIAGE_NOW

_UNITS = """
SELECT id FROM organization WHERE id = :hospital
UNION SELECT id FROM organization WHERE part_of = :hospital AND kind IS NOT 'township'
"""


def _resources(engine: Engine, sql: str, **params: str) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [json.loads(row[0]) for row in connection.execute(text(sql), params)]


def build_hospital_cache(folder: Path, patients: int = 100) -> tuple[Engine, str]:
    """(the hospital's cache, the hospital's Organization id), built in `folder`."""
    township = open_cache(folder / "township.sqlite3")
    generate_demo_clinic(township, patients=patients, seed=8, now=TRIAGE_NOW, workers=0)
    with township.connect() as connection:
        hospital = str(
            connection.execute(
                text("SELECT id FROM organization WHERE kind = 'county' ORDER BY id LIMIT 1")
            ).scalar_one()
        )
    units = f"({_UNITS})"
    brought = [
        *_resources(township, "SELECT resource_json FROM organization"),
        *_resources(township, "SELECT resource_json FROM practitioner"),
        *_resources(
            township,
            f"SELECT resource_json FROM task WHERE owner_org IN {units}",
            hospital=hospital,
        ),
        *_resources(
            township,
            "SELECT s.resource_json FROM service_request s WHERE s.id IN "
            f"(SELECT focus_id FROM task WHERE owner_org IN {units})",
            hospital=hospital,
        ),
        *_resources(
            township,
            "SELECT c.resource_json FROM communication c WHERE c.task_id IN "
            f"(SELECT id FROM task WHERE owner_org IN {units})",
            hospital=hospital,
        ),
        # The referred patients only: their records stay with the township.
        *_resources(
            township,
            "SELECT p.resource_json FROM patient p WHERE p.id IN "
            f"(SELECT patient_id FROM task WHERE owner_org IN {units})",
            hospital=hospital,
        ),
    ]
    township.dispose()
    engine = open_cache(folder / "clinic.sqlite3")
    with engine.begin() as connection:
        upsert_resources(connection, brought)
        connection.execute(
            text("INSERT INTO cache_meta (key, value) VALUES ('clinic_id', :hospital)"),
            {"hospital": hospital},
        )
    return engine, hospital


def main() -> None:
    """Write a hospital cache and its config for `clinic-tui --data-dir`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    engine, hospital = build_hospital_cache(args.data_dir, args.patients)
    engine.dispose()
    (args.data_dir / "config.toml").write_text(
        f'[clinic]\norganization_id = "{hospital}"\nrole = "expert"\n', encoding="utf-8"
    )
    print(f"hospital {hospital}: {args.data_dir / 'clinic.sqlite3'}")


if __name__ == "__main__":
    main()
