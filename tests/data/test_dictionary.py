"""The data dictionary (datasets/synthetic/datapackage.json) and its reader."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frictionless
import pandas as pd
import pytest
from _tiny import tiny_tables, write_tables

from clearlib import DataError, reference
from clearlib._config import TABLES, datapackage_path
from clearlib.data._dictionary import data_dictionary

DESCRIPTOR = json.loads(datapackage_path().read_text(encoding="utf-8"))


def _enum(table: str, column: str) -> list[str]:
    for resource in DESCRIPTOR["resources"]:
        if resource["name"] == table:
            for f in resource["schema"]["fields"]:
                if f["name"] == column:
                    return f["constraints"]["enum"]
    raise AssertionError(f"no column {table}.{column} in datapackage.json")


def test_datapackage_is_valid_for_frictionless():
    """frictionless's own metadata validator finds no error in datapackage.json."""
    errors = list(frictionless.Package.metadata_validate(DESCRIPTOR))
    assert errors == [], [e.message for e in errors]
    package = frictionless.Package(str(datapackage_path()))
    assert [r.name for r in package.resources] == list(TABLES)


def test_tiny_csv_export_passes_frictionless(tmp_path: Path):
    """frictionless validates the tiny clean dataset, laid out at the resources' paths."""
    write_tables(tiny_tables(), tmp_path / "default" / "csv")
    shutil.copy(datapackage_path(), tmp_path / "datapackage.json")
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])


def test_frictionless_catches_a_broken_link(tmp_path: Path):
    """The foreign keys bite: an appointment with an unknown staff_id fails in frictionless."""
    tables = tiny_tables()
    tables["appointments"].loc[0, "staff_id"] = "SYN-S999999"
    write_tables(tables, tmp_path / "default" / "csv")
    shutil.copy(datapackage_path(), tmp_path / "datapackage.json")
    report = frictionless.validate(tmp_path / "datapackage.json")
    errors = [(task.name, e.type, e.row_number) for task in report.tasks for e in task.errors]
    assert errors == [("appointments", "foreign-key", 2)]  # frictionless counts the header as 1


@pytest.mark.parametrize(
    ("table", "column", "reference_table"),
    [
        ("conditions", "condition", "conditions"),
        ("frailty_deficits", "deficit", "efi_deficits"),
        ("appointments", "national_category", "appointment_categories"),
        ("appointments", "role", "roles"),
        ("staff", "role", "roles"),
    ],
)
def test_enums_equal_reference_codes(table: str, column: str, reference_table: str):
    """Allowed codes in datapackage.json are exactly the codes of clearlib/reference/*.csv."""
    codes = getattr(reference, reference_table)()["code"].tolist()
    assert _enum(table, column) == codes


def test_reference_counts_are_as_published():
    """The enums have 20 QOF registers, 36 eFI deficits, 16 GPAD categories and 17 roles."""
    assert len(_enum("conditions", "condition")) == 20
    assert len(_enum("frailty_deficits", "deficit")) == 36
    assert len(_enum("appointments", "national_category")) == 16
    assert len(_enum("appointments", "role")) == 17


def test_contract_enums():
    """Code lists written in the data contract (README) are the ones in the dictionary."""
    assert _enum("patients", "sex") == ["F", "M"]
    assert _enum("patients", "ethnicity") == ["White", "Asian", "Black", "Mixed", "Other"]
    assert _enum("patients", "smoking_status") == ["never", "ex", "current"]
    assert _enum("practices", "rurality") == ["urban", "town", "rural"]
    assert _enum("practices", "clinical_system") == ["EMIS Web", "SystmOne", "Vision"]
    assert _enum("appointments", "mode") == [
        "face_to_face",
        "telephone",
        "video_online",
        "home_visit",
    ]
    assert _enum("appointments", "status") == ["attended", "dna", "cancelled"]
    assert _enum("hospital_events", "type") == [
        "ae",
        "emergency_admission",
        "elective_admission",
        "outpatient",
    ]


def test_every_field_has_a_type_and_a_description():
    """Each of the 58 columns has a known type and a description of at least a few words."""
    rows = data_dictionary().to_frame()
    assert len(rows) == 8 + 8 + 15 + 3 + 3 + 4 + 11 + 6
    assert set(rows["type"]) <= {"string", "integer", "number", "boolean", "date", "datetime"}
    short = rows.loc[rows["description"].str.split().str.len() < 4, ["table", "field"]]
    assert short.empty, short


def test_columns_follow_the_contract_order():
    """Columns are in the README's order, e.g. patients starts patient_id, practice_code, sex."""
    dd = data_dictionary()
    assert dd["patients"].field_names[:4] == ("patient_id", "practice_code", "sex", "birth_date")
    assert dd["appointments"].field_names[-1] == "status"
    assert dd["hospital_events"].field_names == (
        "event_id",
        "patient_id",
        "type",
        "start",
        "end",
        "length_of_stay_days",
    )


def test_keys_and_links():
    """Primary keys and the foreign keys named in the issue are declared."""
    dd = data_dictionary()
    assert dd["conditions"].primary_key == ("patient_id", "condition")
    assert dd["frailty_deficits"].primary_key == ("patient_id", "deficit")
    assert dd["medications"].primary_key == ()
    links = {
        (t.name, fk.fields, fk.table, fk.reference_fields)
        for t in dd.tables
        for fk in t.foreign_keys
    }
    for table in ("conditions", "frailty_deficits", "medications", "appointments"):
        assert (table, ("patient_id",), "patients", ("patient_id",)) in links
    assert ("hospital_events", ("patient_id",), "patients", ("patient_id",)) in links
    assert ("patients", ("practice_code",), "practices", ("practice_code",)) in links
    assert ("appointments", ("staff_id",), "staff", ("staff_id",)) in links
    assert ("appointments", ("practice_code",), "practices", ("practice_code",)) in links


def test_ranges_and_required():
    """Ranges read back as declared: imd 1-10, wte above 0 up to 1, bmi 10-90, duration >= 0."""
    dd = data_dictionary()
    imd = dd["patients"].field("imd_decile")
    assert (imd.minimum, imd.maximum, imd.required) == (1, 10, True)
    wte = dd["staff"].field("wte")
    assert (wte.exclusive_minimum, wte.maximum, wte.allowed()) == (
        0,
        1,
        "more than 0 and at most 1",
    )
    bmi = dd["patients"].field("bmi")
    assert (bmi.minimum, bmi.maximum, bmi.required, bmi.unit) == (10, 90, False, "kg/m²")
    assert dd["appointments"].field("duration_min").minimum == 0
    assert not dd["patients"].field("died_on").required


def test_to_frame_is_tidy():
    """to_frame gives one row per column with allowed values in words."""
    df = data_dictionary().to_frame()
    assert list(df.columns) == [
        "table",
        "field",
        "type",
        "required",
        "allowed_values",
        "unit",
        "description",
    ]
    sex = df[(df["table"] == "patients") & (df["field"] == "sex")].iloc[0]
    assert sex["allowed_values"] == "F, M"
    assert df["required"].dtype == bool
    assert isinstance(df, pd.DataFrame)


def test_missing_dictionary_is_a_clear_error(tmp_path: Path):
    """Reading a datapackage.json that is not there raises DataError saying where it looked."""
    with pytest.raises(DataError, match="no file there"):
        data_dictionary(tmp_path / "datapackage.json")
