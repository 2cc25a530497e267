"""WHO essential medicines from the gnuhealth package: forms and strengths, Chinese unreviewed."""

from __future__ import annotations

import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.gnuhealth_formulary import (
    GnuhealthFileError,
    read_who_essential_medicines,
)
from tests.conftest import Cli

MODULE = "trytond/modules/health_who_essential_medicines/"
MEDICINES = """<?xml version="1.0" encoding="utf-8"?>
<tryton><data>
<record model="gnuhealth.medicament" id="meds_em1">
    <field name="active_component">digoxin</field>
    <field name="category" ref="em_12_2"/>
    <field name="pregnancy_category">C</field>
    <field name="notes">Injection: 250 micrograms/ml in 2-ml ampoule.
Tablet: 62.5 micrograms; 250 micrograms.</field>
</record>
<record model="gnuhealth.medicament" id="meds_em2">
    <field name="active_component">lithium carbonate</field>
    <field name="category" ref="em_24_2_2"/>
    <field name="pregnancy_category">D</field>
    <field name="notes">Solid oral dosage form: 300 mg.</field>
</record>
<record model="gnuhealth.medicament" id="meds_em3">
    <field name="active_component">ceftazidime</field>
    <field name="category" ref="em_6_2_1"/>
    <field name="notes">Powder for injection: 250 mg or 1 g (as pentahydrate) in vial.</field>
</record>
<record model="gnuhealth.medicament" id="meds_em4">
    <field name="active_component">nitrofurantoin macro</field>
    <field name="category" ref="em_6_2_2"/>
    <field name="notes">Tablet: 100 mg.
Capsule [c]: 25 mg; 50 mg (as macrocrystals).</field>
</record>
<record model="gnuhealth.medicament" id="meds_em5">
    <field name="active_component">levothyroxine x</field>
    <field name="category" ref="em_18_8"/>
    <field name="notes">Tablet: 25 micrograms; 0.1 mg.</field>
</record>
</data></tryton>
"""
PO = """
msgctxt "model:gnuhealth.medicament,active_component:meds_em1"
msgid "digoxin"
msgstr "异羟洋地黄毒苷"

msgctxt "model:gnuhealth.medicament,active_component:meds_em2"
msgid "lithium carbonate"
msgstr "碳酸锂"
"""


def wheel(tmp_path: Path) -> Path:
    path = tmp_path / "gnuhealth_who_essential_medicines-5.0.4-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MODULE + "data/WHO_list_of_essential_medicines.xml", MEDICINES)
        archive.writestr(MODULE + "locale/zh_CN.po", PO)
        archive.writestr(
            "gnuhealth_who_essential_medicines-5.0.4.dist-info/METADATA", "Version: 5.0.4\n"
        )
    return path


def test_reads_forms_and_strengths_and_never_takes_the_chinese_as_the_label_name(
    tmp_path: Path,
) -> None:
    package = read_who_essential_medicines(wheel(tmp_path), starter_formulary())
    assert package.version == "5.0.4"
    assert (package.skipped_present, package.skipped_no_oral_solid) == (1, 1)
    by_code = {drug.code: drug for drug in package.drugs}
    assert set(by_code) == {"lithium-carbonate", "nitrofurantoin-macro", "levothyroxine-x"}
    lithium = by_code["lithium-carbonate"]
    assert lithium.name_zh == "Lithium carbonate"
    assert lithium.synonyms == ("碳酸锂",)
    assert [(p.form, p.strength, p.strength_unit) for p in lithium.products] == [
        ("solid-oral", 300, "mg")
    ]
    assert lithium.adult_dose is None
    assert lithium.pregnancy == "unknown"
    nitrofurantoin = by_code["nitrofurantoin-macro"]
    assert nitrofurantoin.antimicrobial
    assert [(p.form, p.strength) for p in nitrofurantoin.products] == [
        ("tablet", 100), ("capsule", 25), ("capsule", 50)]  # fmt: skip
    levothyroxine = by_code["levothyroxine-x"]
    assert [(p.strength, p.strength_unit) for p in levothyroxine.products] == [
        (25, "µg"), (100, "µg")]  # fmt: skip


def test_a_file_that_is_not_the_package_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.whl"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("x.txt", "x")
    with pytest.raises(GnuhealthFileError, match="holds no data/WHO_list"):
        read_who_essential_medicines(other, starter_formulary())


def test_cli_import_marks_the_rows_unreviewed(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, err = cli("formulary", "import", "--from", str(wheel(tmp_path)),
                         "--data-dir", str(data))  # fmt: skip
    assert code == 0, err
    assert "3 WHO essential medicines from gnuhealth-who-essential-medicines 5.0.4" in out
    with closing(sqlite3.connect(data / "clinic.sqlite3")) as connection:
        reviewed = dict(connection.execute("SELECT code, reviewed FROM formulary_drug"))
    assert reviewed["lithium-carbonate"] == 0
    assert reviewed["digoxin"] == 1
    code, out, _ = cli("formulary", "search", "碳酸锂", "--data-dir", str(data))
    assert code == 0
    assert "(unreviewed)" in out
    assert "碳酸锂" not in out
