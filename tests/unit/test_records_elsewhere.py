"""A referred patient's chart knows its records are kept at another clinic (real SQLite cache).

A hospital's cache holds the Patient of a referral (managingOrganization: the township)
but none of that patient's records: the chart and the prescribing context say where they
are, so an empty list is never read as "none". The hospital's own patients, a cache with
no clinic (unscoped: it downloads everything) and a patient with no managing clinic are
unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.models import AllergyState
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.prescribing.checks import check_basket
from clinic_tui.prescribing.context_reader import read_context
from clinic_tui.prescribing.model import Basket, Severity
from tests.ui.chart_fixtures import TODAY, condition, organization, patient
from tests.unit.rx_check_fixtures import AMOXICILLIN, order

TOWN, COUNTY = "org-town", "org-county"


def _managed(resource: dict[str, Any], clinic: str | None) -> dict[str, Any]:
    if clinic is not None:
        resource["managingOrganization"] = {"reference": f"Organization/{clinic}"}
    return resource


@pytest.fixture
def hospital(engine: Engine) -> Engine:
    """A county hospital's cache: a referred township patient, its own patient, an orphan."""
    with engine.begin() as connection:
        upsert_resources(
            connection,
            [
                organization(TOWN, "青山镇卫生院", "township"),
                organization(COUNTY, "青山县人民医院", "county"),
                _managed(patient("p-referred", "张", "伟", "male", "1958-03-14"), TOWN),
                _managed(patient("p-own", "李", "娜", "female", "1980-01-01"), COUNTY),
                condition("c-own", "p-own", "I10", "原发性高血压", "2020-01-01"),
                _managed(patient("p-nowhere", "王", "五", "male", "1990-01-01"), None),
                _managed(patient("p-unknown-org", "赵", "六", "male", "1990-01-01"), "org-gone"),
            ],
        )
    return engine


def _kept_at(engine: Engine, patient_id: str, clinic_id: str | None) -> str | None:
    chart = ChartRepository(engine, clinic_id).load(patient_id, TODAY)
    assert chart is not None
    return chart.records_kept_at


def test_a_referred_patients_chart_names_the_clinic_keeping_its_records(
    hospital: Engine,
) -> None:
    chart = ChartRepository(hospital, COUNTY).load("p-referred", TODAY)
    assert chart is not None
    assert chart.records_kept_at == "青山镇卫生院"
    # The lists are empty because nothing was downloaded, which the chart now says.
    assert (chart.problems, chart.allergy_state) == ([], AllergyState.NOT_RECORDED)


def test_the_clinics_own_patient_and_an_unscoped_cache_are_unchanged(hospital: Engine) -> None:
    assert _kept_at(hospital, "p-own", COUNTY) is None
    assert _kept_at(hospital, "p-referred", None) is None
    assert _kept_at(hospital, "p-nowhere", COUNTY) is None


def test_a_clinic_not_in_the_cache_is_named_by_its_id(hospital: Engine) -> None:
    assert _kept_at(hospital, "p-unknown-org", COUNTY) == "org-gone"


def test_the_clinic_cache_reads_its_scope_from_settings_or_the_cache(
    hospital: Engine, cache_file: Path
) -> None:
    configured = ClinicCache(hospital, clinic_id=COUNTY)
    assert configured.scope_clinic_id == COUNTY
    referred = configured.charts.load("p-referred", TODAY)
    assert referred is not None
    assert referred.records_kept_at == "青山镇卫生院"
    # No clinic configured or stored: every record is downloaded, nothing is elsewhere
    # (the cache still shows a clinic, its first township, but is not scoped to it).
    unscoped = ClinicCache(cache_file)
    assert (unscoped.scope_clinic_id, unscoped.clinic.id) == (None, TOWN)
    chart = unscoped.charts.load("p-referred", TODAY)
    assert chart is not None
    assert chart.records_kept_at is None
    with hospital.begin() as connection:
        connection.execute(text("INSERT INTO cache_meta (key, value) VALUES ('clinic_id', :c)"),
                           {"c": COUNTY})  # fmt: skip
    stored = ClinicCache(cache_file)
    assert stored.scope_clinic_id == COUNTY
    chart = stored.charts.load("p-referred", TODAY)
    assert chart is not None
    assert chart.records_kept_at == "青山镇卫生院"


def test_prescribing_warns_that_allergies_and_medicines_cannot_be_checked_here(
    hospital: Engine,
) -> None:
    context = read_context(hospital, "p-referred", TODAY, [AMOXICILLIN], clinic_id=COUNTY)
    assert context is not None
    assert context.records_kept_at == "青山镇卫生院"
    warnings = check_basket(Basket([order(AMOXICILLIN)]), context, TODAY)
    found = [w for w in warnings if w.key == "allergy:records-elsewhere"]
    assert len(found) == 1
    warning = found[0]
    # Shown like the others, and it does not block signing (only HIGH needs an override).
    assert warning.severity is Severity.MODERATE
    assert "kept at 青山镇卫生院 and cannot be checked here" in warning.message_en
    assert "保存在青山镇卫生院，本机无法核对" in warning.message_zh
    assert "sync scope" in warning.source
    # It says more than "not recorded", which would be only half the truth.
    assert "allergy:not-recorded" not in {w.key for w in warnings}


def test_the_own_patients_prescribing_context_is_unchanged(hospital: Engine) -> None:
    context = read_context(hospital, "p-own", TODAY, [AMOXICILLIN], clinic_id=COUNTY)
    assert context is not None
    assert context.records_kept_at is None
    keys = {w.key for w in check_basket(Basket([order(AMOXICILLIN)]), context, TODAY)}
    assert "allergy:not-recorded" in keys
    assert "allergy:records-elsewhere" not in keys
