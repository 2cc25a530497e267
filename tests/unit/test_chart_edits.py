"""Chart edits write the record and its outbox entry together, or nothing at all."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.chart_entry import (
    SUBSTANCES,
    AllergyEntry,
    ConditionEntry,
    DemographicsEntry,
    NoteEntry,
)
from clinic_tui.domain.diagnosis_search import fallback_search
from clinic_tui.domain.models import AllergyState, Clinic
from clinic_tui.domain.vital_entry import parse_vitals
from clinic_tui.offline_cache import chart_edits as chart_edits_module
from clinic_tui.offline_cache.chart_edits import ChartEditError, ChartEditor
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.store import read_resource
from tests.ui.chart_fixtures import NOW, TODAY, fill_cache

CLINIC = Clinic("org-town", "青山镇卫生院")


@pytest.fixture
def editor(engine: Engine) -> ChartEditor:
    """An editor over the fixture patients (p-allergic has today's visit e-1)."""
    fill_cache(engine)
    return ChartEditor(engine, CLINIC)


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


def _pending(engine: Engine, table: str, ident: str) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(f"SELECT pending FROM {table} WHERE id = :id"), {"id": ident}
            ).scalar_one()
        )


def _allergy(substance: str = "青霉素 Penicillin") -> AllergyEntry:
    return AllergyEntry(
        substance=substance,
        substance_code=SUBSTANCES[0],
        category="medication",
        criticality="high",
        reaction="过敏性休克 Anaphylaxis",
        reaction_code="39579001",
        severity="severe",
    )


def test_current_visit_is_todays_open_encounter(editor: ChartEditor) -> None:
    visit = editor.current_visit("p-allergic", TODAY)
    assert visit is not None
    assert (visit.encounter_id, visit.status, visit.note) == ("e-1", "arrived", None)
    assert editor.current_visit("p-nka", TODAY) is None
    assert editor.current_visit("p-allergic", date(2026, 11, 25)) is None


def test_a_diagnosis_of_this_visit_is_written_with_its_outbox_entry(
    editor: ChartEditor, engine: Engine
) -> None:
    hit = fallback_search("I10")[0]
    before = _outbox(engine)
    ident = editor.add_condition("p-allergic", ConditionEntry(hit, date(2026, 11, 1)), NOW, "e-1")
    assert _outbox(engine) == [*before, ("Condition", ident, "create")]
    condition = _read(engine, "Condition", ident)
    assert condition["encounter"] == {"reference": "Encounter/e-1"}
    assert condition["category"][0]["coding"][0]["code"] == "encounter-diagnosis"
    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10",
        "code": "I10",
        "display": "Essential (primary) hypertension",
    }
    assert condition["onsetDateTime"] == "2026-11-01"
    assert _pending(engine, "condition", ident)
    visit = editor.current_visit("p-allergic", TODAY)
    assert visit is not None
    assert visit.diagnoses == ("I10 高血压 *",)


def test_a_problem_is_resolved_or_withdrawn_never_deleted(
    editor: ChartEditor, engine: Engine
) -> None:
    editor.change_condition("c-1", "resolved", "confirmed", TODAY)
    resolved = _read(engine, "Condition", "c-1")
    assert resolved["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert resolved["abatementDateTime"] == TODAY.isoformat()
    editor.change_condition("c-2", "active", "entered-in-error", TODAY)
    withdrawn = _read(engine, "Condition", "c-2")
    assert "clinicalStatus" not in withdrawn  # FHIR con-5
    chart = ChartRepository(engine).load("p-allergic", TODAY)
    assert chart is not None
    assert [p.code for p in chart.problems] == ["J06.9", "I10"]
    assert [p.id for p in editor.problems("p-allergic")] == ["c-3", "c-1"]
    assert ("Condition", "c-2", "update") in _outbox(engine)


def test_an_allergy_replaces_a_no_known_allergy_statement(
    editor: ChartEditor, engine: Engine
) -> None:
    ident = editor.add_allergy("p-nka", _allergy(), NOW)
    statement = _read(engine, "AllergyIntolerance", "a-nka")
    assert statement["clinicalStatus"]["coding"][0]["code"] == "inactive"
    chart = ChartRepository(engine).load("p-nka", TODAY)
    assert chart is not None
    assert chart.allergy_state is AllergyState.RECORDED
    assert [(a.substance, a.reaction, a.pending) for a in chart.allergies] == [
        ("青霉素 Penicillin", "过敏性休克 Anaphylaxis", True)
    ]
    allergy = _read(engine, "AllergyIntolerance", ident)
    assert allergy["reaction"][0]["severity"] == "severe"
    assert allergy["code"]["coding"][0]["code"] == "764146007"
    assert ("AllergyIntolerance", "a-nka", "update") in _outbox(engine)


def test_no_known_allergies_is_refused_while_allergies_are_recorded(
    editor: ChartEditor, engine: Engine
) -> None:
    before = _outbox(engine)
    with pytest.raises(ChartEditError, match="Allergies are recorded"):
        editor.record_no_known_allergies("p-allergic", NOW)
    assert _outbox(engine) == before
    made = editor.record_no_known_allergies("p-unrecorded", NOW)
    assert made is not None
    assert editor.record_no_known_allergies("p-unrecorded", NOW) is None, "said once"
    chart = ChartRepository(engine).load("p-unrecorded", TODAY)
    assert chart is not None
    assert chart.allergy_state is AllergyState.NO_KNOWN_ALLERGIES


def test_entered_in_error_hides_an_allergy_and_keeps_the_record(
    editor: ChartEditor, engine: Engine
) -> None:
    editor.allergy_entered_in_error("a-2")
    withdrawn = _read(engine, "AllergyIntolerance", "a-2")
    assert withdrawn["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in withdrawn
    chart = ChartRepository(engine).load("p-allergic", TODAY)
    assert chart is not None
    assert [a.substance for a in chart.allergies] == ["磺胺类 Sulfonamides"]
    assert [a.id for a in editor.allergies("p-allergic")] == ["a-1"]


def test_vitals_are_one_observation_each_with_bmi_derived(
    editor: ChartEditor, engine: Engine
) -> None:
    entry, errors = parse_vitals(
        {"systolic": "168", "diastolic": "98", "spo2": "94", "weight": "70", "height": "172"}
    )
    assert errors == {}
    ids = editor.record_vitals("p-allergic", entry, NOW, "e-1")
    kinds = [_read(engine, "Observation", i)["code"]["coding"][-1]["code"] for i in ids]
    assert kinds == ["85354-9", "59408-5", "29463-7", "8302-2", "39156-5"]
    panel = _read(engine, "Observation", ids[0])
    assert [c["valueQuantity"]["value"] for c in panel["component"]] == [168, 98]
    spo2 = _read(engine, "Observation", ids[1])
    assert [c["code"] for c in spo2["code"]["coding"]] == ["2708-6", "59408-5"]
    bmi = _read(engine, "Observation", ids[-1])
    assert bmi["valueQuantity"]["value"] == 23.7
    assert bmi["derivedFrom"] == [
        {"reference": f"Observation/{ids[2]}"},
        {"reference": f"Observation/{ids[3]}"},
    ]
    assert all(
        _read(engine, "Observation", i)["encounter"]["reference"] == "Encounter/e-1" for i in ids
    )
    chart = ChartRepository(engine).load("p-allergic", TODAY)
    assert chart is not None
    latest = {v.loinc: (v.value, v.second_value, v.pending) for v in chart.vitals}
    assert latest["85354-9"] == (168.0, 98.0, True)
    assert latest["39156-5"] == (23.7, None, True)


def test_an_adults_last_height_gives_bmi_from_weight_alone(editor: ChartEditor) -> None:
    assert editor.last_height("p-allergic") == 168.0
    entry, _ = parse_vitals({"weight": "71"})
    ids = editor.record_vitals("p-allergic", entry, NOW, None, height_for_bmi=168.0)
    assert len(ids) == 2


def test_a_failure_mid_save_leaves_nothing_half_written(
    editor: ChartEditor, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = chart_edits_module.write_local_change
    calls = 0

    def failing(connection: Any, resource: Any, operation: str) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError("disk full")
        return real(connection, resource, operation)

    monkeypatch.setattr(chart_edits_module, "write_local_change", failing)
    before = _outbox(engine)
    entry, _ = parse_vitals(
        {"systolic": "120", "diastolic": "80", "heart_rate": "70", "weight": "60"}
    )
    with pytest.raises(OSError, match="disk full"):
        editor.record_vitals("p-allergic", entry, NOW, "e-1")
    assert _outbox(engine) == before
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM observation WHERE effective = :t"),
            {"t": NOW.isoformat(timespec="seconds")},
        ).scalar_one()
    assert count == 0


def test_the_note_is_one_document_per_visit_rewritten_in_place(
    editor: ChartEditor, engine: Engine
) -> None:
    soap = NoteEntry(subjective="头晕3天", assessment="高血压", plan="调整用药 <复诊> & 随访")
    ident = editor.save_note("p-allergic", "e-1", soap, NOW)
    document = _read(engine, "DocumentReference", ident)
    assert document["context"]["encounter"] == [{"reference": "Encounter/e-1"}]
    assert document["type"]["coding"][0]["code"] == "11506-3"
    assert document["author"] == [{"reference": "Organization/org-town", "display": "青山镇卫生院"}]
    visit = editor.current_visit("p-allergic", TODAY)
    assert visit is not None
    assert visit.note == soap
    assert visit.note_pending
    again = editor.save_note("p-allergic", "e-1", NoteEntry(free_text="改为自由文本"), NOW)
    assert again == ident
    assert [e for e in _outbox(engine) if e[0] == "DocumentReference"] == [
        ("DocumentReference", ident, "create")
    ], "an unsent create carries the rewrite"
    visit = editor.current_visit("p-allergic", TODAY)
    assert visit is not None
    assert visit.note == NoteEntry(free_text="改为自由文本")


def test_chief_complaint_and_contact_details(editor: ChartEditor, engine: Engine) -> None:
    editor.set_chief_complaint("e-1", "  头晕加重 ")
    assert _read(engine, "Encounter", "e-1")["reasonCode"] == [{"text": "头晕加重"}]
    changed = editor.correct_demographics(
        "p-allergic",
        DemographicsEntry(
            phone="139 0013 9000",
            address="湖南省清河县青山镇石门村三组",
            contact_name="张丽",
            contact_phone="13700137000",
        ),
    )
    assert changed
    patient = _read(engine, "Patient", "p-allergic")
    assert patient["telecom"] == [{"system": "phone", "value": "13900139000"}]
    assert patient["address"] == [{"use": "home", "text": "湖南省清河县青山镇石门村三组"}]
    assert patient["contact"] == [
        {"name": {"text": "张丽"}, "telecom": [{"system": "phone", "value": "13700137000"}]}
    ]
    assert patient["identifier"], "fields the form does not own are kept"
    current = editor.demographics("p-allergic")
    assert current is not None
    assert current.contact_name == "张丽"
    assert not editor.correct_demographics("p-allergic", current), "nothing differs"


def test_a_visit_record_shows_what_the_visit_recorded(editor: ChartEditor) -> None:
    hit = fallback_search("J06")[0]
    editor.add_condition("p-allergic", ConditionEntry(hit, None), NOW, "e-1")
    entry, _ = parse_vitals({"temperature": "38.2"})
    editor.record_vitals("p-allergic", entry, NOW, "e-1")
    editor.save_note("p-allergic", "e-1", NoteEntry(free_text="咽痛"), NOW)
    record = editor.visit_record("e-1")
    assert record is not None
    assert record.diagnoses == ["J06.9 急性上呼吸道感染 *"]
    assert record.vitals == [("Temperature", "38.2 °C *")]
    assert record.note == NoteEntry(free_text="咽痛")
    assert editor.visit_record("nope") is None


def test_writes_about_unknown_records_are_refused(editor: ChartEditor, engine: Engine) -> None:
    before = _outbox(engine)
    with pytest.raises(ChartEditError):
        editor.allergy_entered_in_error("nope")
    with pytest.raises(ChartEditError):
        editor.add_allergy("nobody", _allergy(), NOW)
    assert _outbox(engine) == before


def test_the_note_json_is_valid_utf8_text(editor: ChartEditor, engine: Engine) -> None:
    ident = editor.save_note("p-allergic", "e-1", NoteEntry(free_text="中文"), NOW)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT resource_json FROM document_reference WHERE id = :id"), {"id": ident}
        ).scalar_one()
    attachment = json.loads(stored)["content"][0]["attachment"]
    assert attachment["contentType"] == "text/plain; charset=utf-8"


def test_what_a_signed_in_clinician_records_names_them_and_follows_a_switch(
    engine: Engine,
) -> None:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    fill_cache(engine)
    cache = ClinicCache(engine)
    cache.sign_in("dr-li")
    editor = cache.chart_edits
    hit = fallback_search("I10")[0]
    condition = editor.add_condition("p-nka", ConditionEntry(hit, date(2026, 11, 1)), NOW, None)
    assert _read(engine, "Condition", condition)["recorder"] == {"reference": "Practitioner/dr-li"}
    cache.sign_in("dr-wang")  # another clinician unlocks: the same editor, their id
    allergy = editor.add_allergy("p-nka", _allergy(), NOW)
    assert _read(engine, "AllergyIntolerance", allergy)["recorder"] == {
        "reference": "Practitioner/dr-wang"
    }
    entry, _ = parse_vitals({"weight": "71"})
    [observation] = editor.record_vitals("p-nka", entry, NOW, None)
    assert _read(engine, "Observation", observation)["performer"] == [
        {"reference": "Practitioner/dr-wang"}
    ]
