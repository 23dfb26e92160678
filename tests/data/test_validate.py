"""validate(): every defect is found at the right file, table, column and rows; nothing coerced.

Row numbers are data rows (row 1 is the first row under the header), as the report gives them.
Expected rows are worked out by hand from the tiny dataset in ``_tiny.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _tiny import tiny_bundle, tiny_tables, write_tables
from rich.console import Console

from clearlib import DataError, ValidationError
from clearlib.data._validate import match_columns, validate


def _validate(tables: dict[str, pd.DataFrame], folder: Path):
    return validate(write_tables(tables, folder))


def _found(report) -> dict[tuple[str, str, str], list[int]]:
    """Rejected rows as {(file, column, check): [rows]}."""
    out: dict[tuple[str, str, str], list[int]] = {}
    for r in report.rejected_rows.itertuples(index=False):
        out.setdefault((r.file, r.column, r.check), []).append(int(r.row))
    return out


def _problems(report, severity: str = "error") -> list[tuple[str, str, str]]:
    p = report.problems[report.problems["severity"] == severity]
    return list(zip(p["file"], p["column"], p["check"], strict=True))


def test_clean_tiny_dataset_passes(tmp_path: Path):
    """The hand-made clean dataset has no problem at all: 8 files, 36 rows, nothing rejected."""
    report = _validate(tiny_tables(), tmp_path)
    assert report.ok
    assert report.problems.empty, report.summary()
    assert report.rejected_rows.empty
    assert report.files["rows"].sum() == 2 + 4 + 6 + 5 + 4 + 3 + 8 + 4
    assert report.summary().startswith("VALID: 0 errors, 0 warnings, 0 rows rejected")


def test_copied_clean_dataset_passes(tmp_path: Path):
    """Three copies of the tiny patients (new identifiers) are still valid."""
    report = _validate(tiny_tables(copies=3), tmp_path)
    assert report.ok and report.problems.empty, report.summary()


def test_mixed_date_format_is_rejected_not_guessed(tmp_path: Path):
    """03/04/1961, 1961-4-3 and 2025-02-30 are reported as not YYYY-MM-DD dates, never parsed."""
    tables = tiny_tables()
    tables["patients"].loc[1, "birth_date"] = "03/04/1961"  # row 2
    tables["patients"].loc[2, "birth_date"] = "2019-3-8"  # row 3
    tables["appointments"].loc[4, "booked_on"] = "3 Oct 2024"  # row 5
    tables["conditions"].loc[0, "diagnosed_on"] = "2025-02-30"  # row 1: no such day
    report = _validate(tables, tmp_path)
    assert _found(report) == {
        ("patients.csv", "birth_date", "date_format"): [2, 3],
        ("conditions.csv", "diagnosed_on", "date_format"): [1],
        ("appointments.csv", "booked_on", "date_format"): [5],
    }
    row = report.problems[report.problems["file"] == "patients.csv"].iloc[0]
    assert row["found"] == "'03/04/1961', '2019-3-8'"
    assert row["rows_sample"] == "2, 3" and row["n_rows"] == 2
    assert "YYYY-MM-DD" in row["expected"]


def test_datetime_must_be_iso(tmp_path: Path):
    """A start of 02/04/2024 09:10 is rejected; 2024-04-02T09:10 (ISO, no seconds) is accepted."""
    tables = tiny_tables()
    tables["appointments"].loc[0, "start"] = "2024-04-02T09:10"
    tables["appointments"].loc[1, "start"] = "11/06/2024 14:30"
    report = _validate(tables, tmp_path)
    assert _found(report) == {("appointments.csv", "start", "datetime_format"): [2]}


def test_bom_is_noted_and_removed_from_the_header(tmp_path: Path):
    """A BOM on staff.csv is one warning; staff_id is still recognised, so the data is valid."""
    write_tables(tiny_tables(), tmp_path)
    file = tmp_path / "staff.csv"
    file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
    report = validate(tmp_path)
    assert report.ok
    assert _problems(report, "warning") == [("staff.csv", "", "bom")]
    assert _problems(report) == []


def test_duplicate_row_and_duplicate_key(tmp_path: Path):
    """A copied row is a duplicate_row at the copy; two rows sharing an id are a duplicate_key."""
    tables = tiny_tables()
    appts = tables["appointments"]
    appts.loc[7, "appointment_id"] = appts.loc[6, "appointment_id"]  # rows 7 and 8 share an id
    tables["appointments"] = pd.concat([appts, appts.iloc[[1]]], ignore_index=True)  # row 9
    report = _validate(tables, tmp_path)
    assert _found(report) == {
        ("appointments.csv", "", "duplicate_row"): [9],
        ("appointments.csv", "appointment_id", "duplicate_key"): [7, 8],
    }
    dup = report.rejected_rows.query("check == 'duplicate_row'").iloc[0]
    assert dup["value"] == "same as row 2"


def test_composite_key_of_conditions(tmp_path: Path):
    """Two HYP rows for one patient break the (patient_id, condition) key: rows 1 and 2."""
    tables = tiny_tables()
    tables["conditions"].loc[1, "condition"] = "HYP"
    report = _validate(tables, tmp_path)
    assert _found(report) == {("conditions.csv", "patient_id, condition", "duplicate_key"): [1, 2]}


def test_impossible_age(tmp_path: Path):
    """Older than 115 on 2026-03-31 (or at death) and born in the future are found; 115 is not."""
    tables = tiny_tables()
    patients = tables["patients"]
    patients.loc[0, "birth_date"] = "1910-03-31"  # row 1: 116 on the extract date
    patients.loc[1, "birth_date"] = "1910-04-01"  # row 2: 115 on the extract date: allowed
    patients.loc[2, "birth_date"] = "2026-04-01"  # row 3: born the day after the extract
    patients.loc[3, "birth_date"] = "1909-06-01"  # row 4: died 2025-01-09 aged 115: allowed
    report = _validate(tables, tmp_path)
    # Row 3 was also registered (2019) before its impossible birth date: only the birth date
    # is blamed.
    assert _found(report) == {
        ("patients.csv", "birth_date", "age_over_115"): [1],
        ("patients.csv", "birth_date", "birth_in_future"): [3],
    }


def test_impossible_dates(tmp_path: Path):
    """Death or registration before birth, booking after the appointment, discharge before admission."""
    tables = tiny_tables()
    tables["patients"].loc[4, "died_on"] = "1970-01-01"  # row 5, born 1975-08-14
    tables["patients"].loc[5, "registered_on"] = "1988-12-01"  # row 6, born 1988-12-02
    tables["appointments"].loc[4, "booked_on"] = "2024-10-04"  # row 5, starts 2024-10-03 13:00
    tables["appointments"].loc[3, "booked_on"] = "2025-01-15"  # row 4: booked that day: fine
    tables["hospital_events"].loc[1, "end"] = "2024-11-30"  # row 2, admitted 2024-12-01
    tables["medications"].loc[2, "stopped_on"] = "2016-05-31"  # row 3, started 2016-06-01
    report = _validate(tables, tmp_path)
    assert _found(report) == {
        ("patients.csv", "died_on", "died_before_birth"): [5],
        ("patients.csv", "registered_on", "registered_before_birth"): [6],
        ("medications.csv", "stopped_on", "stopped_before_started"): [3],
        ("appointments.csv", "booked_on", "booked_after_start"): [5],
        ("hospital_events.csv", "end", "end_before_start"): [2],
    }
    booked = report.rejected_rows.query("check == 'booked_after_start'").iloc[0]
    assert booked["value"] == "booked_on=2024-10-04; start=2024-10-03 13:00:00"


def test_renamed_column_suggests_the_dictionary_name(tmp_path: Path):
    """NHS_Number for patient_id: 'missing column patient_id; ... did you mean patient_id?'."""
    tables = tiny_tables()
    tables["conditions"] = tables["conditions"].rename(columns={"patient_id": "NHS_Number"})
    tables["appointments"] = tables["appointments"].rename(columns={"start": "Appointment Date"})
    report = _validate(tables, tmp_path)
    errors = report.problems[report.problems["severity"] == "error"]
    assert list(errors["message"]) == [
        "missing column patient_id; found unexpected column NHS_Number — did you mean patient_id?",
        "missing column start; found unexpected column Appointment Date — did you mean start?",
    ]
    assert list(errors["n_rows"]) == [5, 8]
    assert report.rejected_rows.empty  # the missing columns' cells are not blamed row by row
    assert "missing column patient_id" in report.summary()


def test_match_columns_pairs_renamed_columns():
    """Case and spacing, aliases, near spellings and a lone leftover are each paired."""
    expected = ("patient_id", "birth_date", "sex", "bmi")
    missing, unexpected = match_columns(["Patient ID", "DOB", "sexx", "weight", "notes"], expected)
    assert missing == {
        "patient_id": "Patient ID",
        "birth_date": "DOB",
        "sex": "sexx",
        "bmi": None,
    }
    assert unexpected == ["weight", "notes"]
    assert match_columns(["a", "weight"], ("a", "bmi")) == ({"bmi": "weight"}, [])


def test_unknown_codes(tmp_path: Path):
    """A condition not on the QOF list, an unknown role and status DNA are not allowed values."""
    tables = tiny_tables()
    tables["conditions"].loc[1, "condition"] = "XYZ"  # row 2
    tables["appointments"].loc[2, "role"] = "receptionist"  # row 3
    tables["appointments"].loc[3, "status"] = "DNA"  # row 4: the code is lower case
    report = _validate(tables, tmp_path)
    assert _found(report) == {
        ("conditions.csv", "condition", "allowed_values"): [2],
        ("appointments.csv", "role", "allowed_values"): [3],
        ("appointments.csv", "status", "allowed_values"): [4],
    }
    status = report.problems.query("column == 'status'").iloc[0]
    assert status["expected"] == "one of: attended, dna, cancelled"
    assert status["found"] == "'DNA'"


def test_blank_key(tmp_path: Path):
    """A blank (or all-space) patient_id is reported as blank, and not as a broken link."""
    tables = tiny_tables()
    tables["appointments"].loc[3, "patient_id"] = ""  # row 4
    tables["conditions"].loc[0, "patient_id"] = "   "  # row 1
    report = _validate(tables, tmp_path)
    assert _found(report) == {
        ("conditions.csv", "patient_id", "blank"): [1],
        ("appointments.csv", "patient_id", "blank"): [4],
    }


def test_broken_links(tmp_path: Path):
    """A practice, patient or member of staff that does not exist is a foreign_key error."""
    tables = tiny_tables()
    tables["patients"].loc[5, "practice_code"] = "SYN-G009"  # row 6
    tables["appointments"].loc[0, "staff_id"] = "SYN-S999999"  # row 1
    tables["hospital_events"].loc[3, "patient_id"] = "SYN-P009000001"  # row 4
    report = _validate(tables, tmp_path)
    assert _found(report) == {
        ("patients.csv", "practice_code", "foreign_key"): [6],
        ("appointments.csv", "staff_id", "foreign_key"): [1],
        ("hospital_events.csv", "patient_id", "foreign_key"): [4],
    }
    link = report.problems.query("column == 'staff_id'").iloc[0]
    assert link["message"] == "1 row: staff_id not found in staff"


def test_types_and_ranges(tmp_path: Path):
    """3.0 is not an integer, Y is not a boolean, wte 0 and bmi 95 and imd 0 are out of range."""
    tables = tiny_tables()
    tables["practices"].loc[0, "list_size"] = "3.0"  # row 1
    tables["staff"].loc[0, "wte"] = "0"  # row 1: must be more than 0
    tables["staff"].loc[1, "arrs_funded"] = "Y"  # row 2
    tables["staff"].loc[2, "wte"] = "1"  # row 3: 1 is allowed
    tables["patients"].loc[0, "imd_decile"] = "0"  # row 1
    tables["patients"].loc[1, "bmi"] = "95"  # row 2
    tables["patients"].loc[4, "bmi"] = "27 kg/m2"  # row 5
    tables["appointments"].loc[0, "duration_min"] = "-5"  # row 1
    report = _validate(tables, tmp_path)
    assert _found(report) == {
        ("practices.csv", "list_size", "integer_format"): [1],
        ("staff.csv", "wte", "minimum"): [1],
        ("staff.csv", "arrs_funded", "boolean_format"): [2],
        ("patients.csv", "imd_decile", "minimum"): [1],
        ("patients.csv", "bmi", "maximum"): [2],
        ("patients.csv", "bmi", "number_format"): [5],
        ("appointments.csv", "duration_min", "minimum"): [1],
    }
    wte = report.problems.query("column == 'wte'").iloc[0]
    assert wte["expected"] == "more than 0 and at most 1"


def test_blank_required_value_and_blank_line(tmp_path: Path):
    """A blank sex is an error; an empty line is a warning and later rows keep their numbers."""
    tables = tiny_tables()
    tables["patients"].loc[1, "sex"] = ""  # row 2
    write_tables(tables, tmp_path)
    meds = tmp_path / "medications.csv"
    lines = meds.read_text().splitlines()
    lines.insert(2, "")  # an empty line becomes data row 2
    lines[3] = lines[3].replace("2018-09-10", "10/09/2018")  # now data row 3
    meds.write_text("\n".join(lines) + "\n")
    report = validate(tmp_path)
    assert _found(report) == {
        ("patients.csv", "sex", "blank"): [2],
        ("medications.csv", "", "blank_row"): [2],
        ("medications.csv", "started_on", "date_format"): [3],
    }
    assert ("medications.csv", "", "blank_row") in _problems(report, "warning")


def test_unreadable_and_not_utf8_files(tmp_path: Path):
    """A line with too many cells makes a file unreadable; Windows-1252 text is not UTF-8."""
    tables = tiny_tables()
    tables["practices"].loc[0, "name"] = "Café Surgery"
    write_tables(tables, tmp_path)
    practices = tmp_path / "practices.csv"
    practices.write_bytes(practices.read_text().encode("cp1252"))
    events = tmp_path / "hospital_events.csv"
    events.write_text(events.read_text() + "a,b,c,d,e,f,g\n")
    report = validate(tmp_path)
    assert _problems(report) == [
        ("practices.csv", "name", "not_utf8"),
        ("hospital_events.csv", "", "unreadable_file"),
    ]
    assert _found(report) == {("practices.csv", "name", "not_utf8"): [1]}
    unreadable = report.problems.query("check == 'unreadable_file'").iloc[0]
    assert "line 6" in unreadable["found"]


def test_missing_table_and_stray_files(tmp_path: Path):
    """No staff file is a warning (links to staff are skipped); patient.xlsx gets a hint."""
    tables = tiny_tables()
    del tables["staff"]
    write_tables(tables, tmp_path)
    (tmp_path / "patient.xlsx").write_bytes(b"")
    report = validate(tmp_path)
    assert report.ok
    assert sorted(_problems(report, "warning")) == [
        ("", "", "missing_table"),
        ("patient.xlsx", "", "unrecognised_file"),
    ]
    hint = report.problems.query("check == 'unrecognised_file'").iloc[0]["found"]
    assert hint == "patient.xlsx (did you mean patients.csv?)"
    assert any("staff" in note for note in report.notes)


def test_parquet_parts_are_checked_with_their_file_names(tmp_path: Path):
    """Typed Parquet parts (<table>/<practice>.parquet) pass; a bad part names its own rows."""
    bundle = tiny_bundle()
    for name, df in bundle.items():
        if name in ("practices", "staff"):
            pq.write_table(
                pa.Table.from_pandas(df, preserve_index=False), tmp_path / f"{name}.parquet"
            )
            continue
        (tmp_path / name).mkdir()
        pq.write_table(
            pa.Table.from_pandas(df, preserve_index=False), tmp_path / name / "all.parquet"
        )
    assert validate(tmp_path).ok, validate(tmp_path).summary()

    patients = bundle.patients
    (tmp_path / "patients" / "all.parquet").unlink()
    for code, part in patients.groupby("practice_code"):
        part = part.reset_index(drop=True)
        if code == "SYN-G002":
            part.loc[1, "imd_decile"] = 11  # row 2 of this part
        pq.write_table(
            pa.Table.from_pandas(part, preserve_index=False),
            tmp_path / "patients" / f"{code}.parquet",
        )
    report = validate(tmp_path)
    assert _found(report) == {("patients/SYN-G002.parquet", "imd_decile", "maximum"): [2]}
    assert report.rejected_rows["line"].isna().all()  # line numbers only exist in CSV files


def test_nothing_is_coerced(tmp_path: Path):
    """Values are checked exactly as written: a padded code, 'yes' and '1,234' are all rejected."""
    tables = tiny_tables()
    tables["patients"].loc[0, "sex"] = "F "  # row 1
    tables["patients"].loc[1, "carer"] = "yes"  # row 2
    tables["practices"].loc[0, "care_home_beds"] = "1,234"  # row 1
    report = _validate(tables, tmp_path)
    assert _found(report) == {
        ("practices.csv", "care_home_beds", "integer_format"): [1],
        ("patients.csv", "sex", "allowed_values"): [1],
        ("patients.csv", "carer", "boolean_format"): [2],
    }
    assert set(report.rejected_rows["value"]) == {"F ", "yes", "1,234"}


def test_report_lists_every_rejected_row(tmp_path: Path):
    """to_csv writes problems.csv and rejected_rows.csv with one line per rejected row."""
    tables = tiny_tables(copies=3)
    tables["appointments"]["status"] = "Attended"  # all 24 rows
    tables["patients"].loc[0, "birth_date"] = "17/05/1938"  # row 1
    report = validate(write_tables(tables, tmp_path / "extract"), report_path=tmp_path / "report")
    rejected = pd.read_csv(tmp_path / "report" / "rejected_rows.csv")
    problems = pd.read_csv(tmp_path / "report" / "problems.csv")
    assert len(rejected) == 24 + 1
    assert list(rejected.columns) == [
        "file",
        "table",
        "row",
        "line",
        "column",
        "check",
        "value",
        "reason",
    ]
    assert (rejected["line"] == rejected["row"] + 1).all()
    assert sorted(rejected.loc[rejected["table"] == "appointments", "row"]) == list(range(1, 25))
    assert list(problems["n_rows"]) == [1, 24]
    summary = report.summary()
    assert "Rows: 1, 2, 3, 4, 5 and 19 more." in summary
    assert "NOT VALID: 2 errors, 0 warnings, 25 rows rejected" in summary


def test_raise_if_invalid_carries_the_report(tmp_path: Path):
    """raise_if_invalid raises ValidationError with the report; a valid report returns itself."""
    tables = tiny_tables()
    assert _validate(tables, tmp_path / "clean").raise_if_invalid().ok
    tables["patients"].loc[0, "sex"] = "X"
    report = _validate(tables, tmp_path / "bad")
    with pytest.raises(ValidationError, match="NOT VALID: 1 error") as caught:
        report.raise_if_invalid()
    assert caught.value.report is report


def test_render_and_repr(tmp_path: Path):
    """render() prints a table of problems through rich; repr gives the headline."""
    tables = tiny_tables()
    tables["patients"].loc[0, "sex"] = "X"
    report = _validate(tables, tmp_path)
    console = Console(record=True, width=160)
    report.render(console)
    text = console.export_text()
    assert "NOT VALID" in text and "patients.csv" in text and "'X'" in text
    assert repr(report).startswith(
        "<ValidationReport NOT VALID: 1 error, 0 warnings, 1 rows rejected"
    )


def test_single_file(tmp_path: Path):
    """One file can be checked alone: a clean patients.csv is valid, links are noted as unchecked."""
    write_tables(tiny_tables(), tmp_path)
    report = validate(tmp_path / "patients.csv")
    assert report.ok and list(report.files["file"]) == ["patients.csv"]
    assert report.notes == (
        "Only one file was checked, so links to other tables were not checked.",
    )


def test_folder_without_tables(tmp_path: Path):
    """A folder whose tables sit one level down is an error that names the folder to open."""
    write_tables(tiny_tables(), tmp_path / "2025")
    report = validate(tmp_path)
    assert _problems(report) == [(tmp_path.name, "", "no_tables")]
    found = report.problems.iloc[0]["found"]
    assert found == "no file or folder named for a table (folders not searched: 2025/)"


def test_missing_path_is_a_data_error(tmp_path: Path):
    """A path that does not exist raises DataError, not a report."""
    with pytest.raises(DataError, match="nothing is there"):
        validate(tmp_path / "no-such-folder")


@pytest.mark.slow
@pytest.mark.xdist_group("default_dataset")
def test_generated_default_dataset_is_valid(tmp_path: Path, tiny_spec_path: Path):
    """The default dataset passes validate(); a generated CSV export passes validate() and
    frictionless's own validator (on the small test spec, so frictionless's row-by-row
    checks of every foreign key take seconds rather than a minute)."""
    import shutil

    import frictionless

    import clearlib
    from clearlib._config import TABLES, data_dir, datapackage_path
    from clearlib.synth import generate

    pcn = clearlib.load_pcn("default")
    folder = data_dir() / "default"
    report = validate(folder)
    assert report.ok and report.problems.empty, report.summary()
    assert sorted(report.files["table"].unique()) == sorted(TABLES)
    assert report.files.groupby("table")["rows"].sum()["patients"] == len(pcn.patients)

    # A CSV export laid out where datapackage.json's resource paths point (default/csv/...).
    generate(tiny_spec_path, out=tmp_path / "default", fmt="csv", jobs=1)
    report = validate(tmp_path / "default" / "csv")
    assert report.ok and report.problems.empty, report.summary()
    shutil.copy(datapackage_path(), tmp_path / "datapackage.json")
    checked = frictionless.validate(tmp_path / "datapackage.json")
    assert checked.valid, checked.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
