"""Whether a patient's records are kept at another clinic than the one this cache serves.

A clinic's cache downloads its own patients' records only (sync/scope.py: the
chained `patient.organization=<clinic>` searches, and the changes feed alike); a
patient another clinic referred here comes down alone (sync/referred_patients.py).
So for such a patient an empty list of problems or allergies means "not downloaded
here", never "none": the chart and the prescribing checks must say so. The rule is
the sync's own: the patient's managingOrganization is not the clinic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from clinic_tui.offline_cache.tables import OrganizationRow, PatientRow

_ORGANIZATION: Any = OrganizationRow.__table__  # type: ignore[attr-defined]
_PATIENT: Any = PatientRow.__table__  # type: ignore[attr-defined]


def records_kept_at(
    connection: Connection, managing_organization: str | None, clinic_id: str | None
) -> str | None:
    """The clinic (name, else id) keeping the records of a patient managed by
    `managing_organization`, when that is not `clinic_id`; None otherwise.

    None in an unscoped cache (no clinic: it downloads every record) and for a
    patient with no managing organization (no clinic to name; its records are not
    scoped away by organization either).
    """
    if not clinic_id or not managing_organization or managing_organization == clinic_id:
        return None
    name = connection.execute(
        select(_ORGANIZATION.c.name).where(_ORGANIZATION.c.id == managing_organization)
    ).scalar_one_or_none()
    return str(name) if name else managing_organization


def patient_records_kept_at(
    connection: Connection, patient_id: str, clinic_id: str | None
) -> str | None:
    """records_kept_at for a cached patient (None when the patient is not cached)."""
    if not clinic_id:
        return None
    managing = connection.execute(
        select(_PATIENT.c.organization_id).where(_PATIENT.c.id == patient_id)
    ).scalar_one_or_none()
    return records_kept_at(connection, managing, clinic_id)
