"""A township cache with N patients enrolled in the chronic-disease programmes, built once.

Under .bench/followup-<N>/: N enrolled patients (a third in both programmes) with a year and
a half of 随访 each (Encounter, BP / weight / glucose Observations, QuestionnaireResponse,
next-visit Task, the earlier Tasks completed), as many patients again not enrolled, and
eight ordinary clinic visits per patient, so the indexes hold what a real year holds. Every
record is made by followup/fhir_shapes.py, as the registry writes them. Shared by the
follow-up list benchmarks.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from _demo_cache import BENCH_DIR

TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 10, 0).astimezone()
CLINIC = "org-bench-town"
DOCTORS = ("pr-bench-1", "pr-bench-2", "pr-bench-3", "pr-bench-4")
VILLAGES = ("东山村", "西河村", "南岭村", "北坡村", "青石村", "白沙村", "柳树村", "石桥村")


def followup_cache(enrolled: int = 5000, seed: int = 7) -> Path:
    """Folder of the cache (clinic.sqlite3), generated when missing."""
    folder = BENCH_DIR / f"followup-{enrolled}-seed{seed}"
    marker = folder / "complete"
    if marker.exists():
        return folder
    from clinic_tui.offline_cache.engine import open_cache
    from clinic_tui.offline_cache.store import bulk_insert_resources, bulk_load

    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("clinic.sqlite3*"):
        leftover.unlink()
    started = time.perf_counter()
    engine = open_cache(folder / "clinic.sqlite3")
    count = 0
    with bulk_load(engine) as connection:
        count += bulk_insert_resources(
            connection,
            [{"resourceType": "Organization", "id": CLINIC, "name": "青山镇卫生院"}]
            + [{"resourceType": "Practitioner", "id": d, "name": [{"text": d}]} for d in DOCTORS],
        )
        rng = random.Random(seed)
        for start in range(0, enrolled * 2, 500):
            batch: list[dict[str, Any]] = []
            for n in range(start, min(start + 500, enrolled * 2)):
                batch.extend(_patient_records(rng, n, enrolled=n < enrolled))
            count += bulk_insert_resources(connection, batch)
        connection.exec_driver_sql(
            "INSERT INTO cache_meta (key, value) VALUES ('clinic_id', ?)", (CLINIC,)
        )
    engine.dispose()
    marker.write_text(f"{enrolled} enrolled, {count} records")
    print(
        f"built {folder}: {count:,} records in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return folder


def _patient_records(rng: random.Random, n: int, *, enrolled: bool) -> list[dict[str, Any]]:
    from clinic_tui.followup import fhir_shapes as shapes
    from clinic_tui.followup.model import (
        Classification,
        Control,
        FollowUpValues,
        Programme,
        VisitMode,
    )

    patient_id = f"p{n:06d}"
    village = VILLAGES[n % len(VILLAGES)]
    records: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": patient_id,
            "name": [{"family": "王李张刘陈杨"[n % 6], "given": [f"{n}"]}],
            "gender": ("male", "female")[n % 2],
            "birthDate": f"{1940 + n % 45}-0{1 + n % 9}-1{n % 10}",
            "managingOrganization": {"reference": f"Organization/{CLINIC}"},
            "address": [{"use": "home", "line": [f"{village}{1 + n % 9}组{n % 40}号"]}],
        }
    ]
    for k in range(8):  # ordinary clinic visits over the past two years
        start = NOW - timedelta(days=rng.randrange(730), hours=k)
        records.append(
            {
                "resourceType": "Encounter",
                "id": f"e{n:06d}-{k}",
                "status": "finished",
                "class": {"code": "AMB"},
                "subject": {"reference": f"Patient/{patient_id}"},
                "serviceProvider": {"reference": f"Organization/{CLINIC}"},
                "period": {"start": start.isoformat(timespec="seconds")},
            }
        )
    if not enrolled:
        return records
    programmes = [Programme.HYPERTENSION] if n % 3 else [Programme.HYPERTENSION, Programme.DIABETES]
    if n % 7 == 0:
        programmes = [Programme.DIABETES]
    doctor = DOCTORS[n % len(DOCTORS)]
    episodes = []
    for programme in programmes:
        episode = shapes.episode_of_care(
            f"eoc{n:06d}-{programme.value}",
            patient_id,
            programme,
            CLINIC,
            doctor,
            TODAY - timedelta(days=540 + n % 200),
            None,
        )
        records.append(episode)
        episodes.append((programme, episode["id"]))
    when = datetime.combine(TODAY - timedelta(days=540), datetime.min.time()).astimezone()
    when += timedelta(days=rng.randrange(60), hours=9)
    visit = 0
    tasks: list[dict[str, Any]] = []
    while True:
        due = (when + timedelta(days=rng.choice((14, 90, 90, 90)))).date()
        values = FollowUpValues(
            systolic=rng.randrange(110, 185),
            diastolic=rng.randrange(65, 110),
            weight_kg=round(rng.uniform(45, 90), 1),
            fasting_glucose=round(rng.uniform(4.5, 13), 1)
            if Programme.DIABETES in programmes
            else None,
        )
        if values.diastolic is not None and values.systolic is not None:
            values = FollowUpValues(
                systolic=max(values.systolic, values.diastolic + 20),
                diastolic=values.diastolic,
                weight_kg=values.weight_kg,
                fasting_glucose=values.fasting_glucose,
            )
        encounter_id = f"v{n:06d}-{visit}"
        mode = (VisitMode.CLINIC, VisitMode.HOME, VisitMode.PHONE)[visit % 3]
        records.append(
            shapes.visit_encounter(
                encounter_id, patient_id, [e for _, e in episodes], mode, when, CLINIC, doctor
            )
        )
        records.extend(
            shapes.visit_observations(
                [f"o{n:06d}-{visit}-{i}" for i in range(7)],
                patient_id,
                encounter_id,
                values,
                when,
                doctor,
                160.0,
            )
        )
        control = (
            Control.SATISFACTORY
            if due - when.date() > timedelta(days=30)
            else Control.UNSATISFACTORY
        )
        records.append(
            shapes.questionnaire_response(
                f"q{n:06d}-{visit}",
                patient_id,
                encounter_id,
                values,
                Classification(control=control, reasons=(), next_due=due),
                when,
                doctor,
                "",
            )
        )
        for task in tasks:
            records.append(shapes.done_task(task, encounter_id, when))
        tasks = [
            shapes.next_visit_task(
                f"t{n:06d}-{visit}-{programme.value}",
                patient_id,
                episode_id,
                programme,
                encounter_id,
                due,
                CLINIC,
                when,
            )
            for programme, episode_id in episodes
        ]
        visit += 1
        # The next visit happens around its date, or (one patient in five) not yet.
        next_when = datetime.combine(due, datetime.min.time()).astimezone() + timedelta(
            days=rng.randrange(-3, 20), hours=9
        )
        if next_when.date() >= TODAY or rng.random() < 0.02:
            break
        when = next_when
    records.extend(tasks)
    return records
