"""The prescriber writes prescriptions with their outbox entries, all or nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.models import Clinic
from clinic_tui.offline_cache.store import read_resource
from clinic_tui.prescribing.prescriber import (
    GROUP_SYSTEM,
    SLIP_TYPE_EXTENSION,
    Prescriber,
    PrescribingError,
)
from tests.ui.chart_fixtures import NOW, fill_cache

CLINIC = Clinic("org-town", "青山镇卫生院")


@pytest.fixture
def prescriber(engine: Engine) -> Prescriber:
    """A prescriber over the chart fixtures (p-allergic takes amlodipine m-1, metformin m-2)."""
    fill_cache(engine)
    return Prescriber(engine, CLINIC)


def _outbox(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT resource_type, resource_id, operation FROM outbox ORDER BY seq")
        )
        return [(str(t), str(i), str(o)) for t, i, o in rows]


def _read(engine: Engine, kind: str, ident: str) -> dict[str, Any]:
    with engine.connect() as connection:
        found = read_resource(connection, kind, ident)
    assert found is not None
    return found


def test_active_orders_are_the_active_ones_newest_first(prescriber: Prescriber) -> None:
    orders = prescriber.active_orders("p-allergic")
    assert [o.id for o in orders] == ["m-new", "m-1", "m-2"]
    assert orders[0].pending
    assert not orders[1].pending
    assert orders[1].resource["medicationCodeableConcept"]["text"].startswith("氨氯地平")


def test_requester_is_the_practitioner_else_the_clinic(engine: Engine) -> None:
    assert Prescriber(engine, CLINIC, "dr-li").requester() == {"reference": "Practitioner/dr-li"}
    assert Prescriber(engine, CLINIC).requester()["reference"] == "Organization/org-town"


def test_stop_sets_status_and_reason_with_its_outbox_entry(
    prescriber: Prescriber, engine: Engine
) -> None:
    before = _outbox(engine)
    prescriber.stop("m-1", "  踝部水肿 ankle oedema ")
    stopped = _read(engine, "MedicationRequest", "m-1")
    assert stopped["status"] == "stopped"
    assert stopped["statusReason"] == {"text": "踝部水肿 ankle oedema"}
    # Nothing else of the record is lost.
    assert stopped["dosageInstruction"] == [{"text": "5mg 口服 每日一次 qd"}]
    assert _outbox(engine) == [*before, ("MedicationRequest", "m-1", "update")]
    assert "m-1" not in [o.id for o in prescriber.active_orders("p-allergic")]


def test_stop_needs_a_reason_and_an_active_order(prescriber: Prescriber, engine: Engine) -> None:
    before = _outbox(engine)
    with pytest.raises(PrescribingError, match="Say why"):
        prescriber.stop("m-1", "   ")
    with pytest.raises(PrescribingError, match="no longer active"):
        prescriber.stop("m-3", "finished")  # completed already
    with pytest.raises(PrescribingError, match="not in this clinic"):
        prescriber.stop("m-missing", "gone")
    assert _outbox(engine) == before
    assert _read(engine, "MedicationRequest", "m-1")["status"] == "active"


def test_slip_requests_are_read_back_by_group(prescriber: Prescriber, engine: Engine) -> None:
    from clinic_tui.offline_cache.store import record_local_change

    for line in (2, 1):
        record_local_change(
            engine,
            {
                "resourceType": "MedicationRequest",
                "id": f"g-{line}",
                "status": "active",
                "intent": "order",
                "subject": {"reference": "Patient/p-allergic"},
                "medicationCodeableConcept": {"text": f"drug {line}"},
                "groupIdentifier": {"system": GROUP_SYSTEM, "value": "slip-1"},
                "identifier": [
                    {"system": "urn:clinic-tui:prescription-slip-line", "value": str(line)}
                ],
                "authoredOn": NOW.isoformat(),
                "extension": [{"url": SLIP_TYPE_EXTENSION, "valueCode": "ordinary"}],
            },
            "create",
        )
    found = prescriber.slip_requests("slip-1")
    assert [r["id"] for r in found] == ["g-1", "g-2"]
    assert json.dumps(found, ensure_ascii=False).count("slip-1") == 2
