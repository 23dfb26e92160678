"""validate(): events outside the patient's time on the list or the extract window; empty tables.

Expected rows are worked out by hand from the tiny dataset in ``_tiny.py`` (row 1 is the first
row under the header). Extract window: 2024-04-01 to 2026-03-31.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from _tiny import tiny_tables, write_tables

from clearlib.data._validate import REGISTRATION_GRACE_DAYS, validate


def _found(report, severity: str | None = None) -> dict[tuple[str, str, str], list[int]]:
    """Rejected rows as {(file, column, check): [rows]}, optionally of one severity."""
    sev = dict(zip(report.problems["check"], report.problems["severity"], strict=True))
    out: dict[tuple[str, str, str], list[int]] = {}
    for r in report.rejected_rows.itertuples(index=False):
        if severity is None or sev[r.check] == severity:
            out.setdefault((r.file, r.column, r.check), []).append(int(r.row))
    return out


def _add_row(tables: dict[str, pd.DataFrame], table: str, line: str) -> None:
    df = tables[table]
    tables[table] = pd.concat(
        [df, pd.DataFrame([line.split(",")], columns=df.columns)], ignore_index=True
    )


def test_events_before_registration(tmp_path: Path):
    """Same day is fine; 29 and 30 days before warn; 223 days before is an error; a hospital
    event before registration warns; diagnoses and medicines from before registration pass."""
    assert REGISTRATION_GRACE_DAYS == 30
    tables = tiny_tables()
    patients = tables["patients"]
    patients.loc[0, "registered_on"] = "2024-05-01"  # appointment row 1 (2024-04-02): 29 days
    patients.loc[1, "registered_on"] = "2024-10-05"  # appointment row 3 (2024-09-05): 30 days
    patients.loc[4, "registered_on"] = "2025-10-01"  # appointment row 6 (2025-02-20): 223 days
    patients.loc[2, "registered_on"] = "2025-01-15"  # appointment row 4 is that day: fine
    report = validate(write_tables(tables, tmp_path))
    assert _found(report, "error") == {
        ("appointments.csv", "start", "before_registration"): [6],
    }
    assert _found(report, "warning") == {
        ("appointments.csv", "start", "shortly_before_registration"): [1, 3],
        ("hospital_events.csv", "start", "hospital_before_registration"): [4],
    }
    row = report.rejected_rows.query("check == 'before_registration'").iloc[0]
    assert row["value"] == "start=2025-02-20 10:20:00; registered_on=2025-10-01"
    assert not report.ok


def test_events_after_leaving_or_death(tmp_path: Path):
    """Care after death or deregistration is an error; a cancelled appointment after leaving
    warns; an event on the day of death passes."""
    tables = tiny_tables()
    # Patient row 4 (SYN-P001000004) died 2025-01-09; row 6 (SYN-P002000002) left 2024-11-30.
    tables["appointments"].loc[4, "start"] = "2025-02-01 13:00:00"  # row 5, attended
    tables["appointments"].loc[6, "start"] = "2025-01-10 16:00:00"  # row 7, cancelled
    _add_row(
        tables,
        "appointments",  # row 9, attended after leaving
        "SYN-A00200000004,SYN-P002000002,SYN-G002,SYN-S002001,gp,2025-03-03 10:00:00,"
        "2025-02-28,face_to_face,general_routine,10,attended",
    )
    tables["conditions"].loc[3, "diagnosed_on"] = "2025-03-01"  # row 4
    _add_row(tables, "conditions", "SYN-P002000002,AST,2025-01-05")  # row 6
    tables["frailty_deficits"].loc[2, "first_recorded_on"] = "2025-01-09"  # row 3: day of death
    tables["frailty_deficits"].loc[3, "first_recorded_on"] = "2025-01-10"  # row 4
    tables["hospital_events"].loc[2, ["start", "end"]] = ["2025-01-10", "2025-01-10"]  # row 3
    _add_row(tables, "medications", "SYN-P001000004,statin,2025-02-01,")  # row 4
    report = validate(write_tables(tables, tmp_path))
    assert _found(report, "error") == {
        ("conditions.csv", "diagnosed_on", "after_death"): [4],
        ("conditions.csv", "diagnosed_on", "after_deregistration"): [6],
        ("frailty_deficits.csv", "first_recorded_on", "after_death"): [4],
        ("medications.csv", "started_on", "after_death"): [4],
        ("appointments.csv", "start", "after_death"): [5],
        ("appointments.csv", "start", "after_deregistration"): [9],
        ("hospital_events.csv", "start", "after_death"): [3],
    }
    assert _found(report, "warning") == {
        ("appointments.csv", "start", "missed_after_deregistration"): [7],
    }


def test_missed_appointment_after_death_is_a_warning(tmp_path: Path):
    """A DNA after death warns (booked before, never removed); an attended one is an error."""
    tables = tiny_tables()
    tables["appointments"].loc[4, "start"] = "2025-02-01 13:00:00"  # row 5
    tables["appointments"].loc[4, ["status", "duration_min"]] = ["dna", "0"]
    report = validate(write_tables(tables, tmp_path))
    assert _found(report) == {("appointments.csv", "start", "missed_after_death"): [5]}
    assert report.ok


def test_events_outside_the_extract_window(tmp_path: Path):
    """After the extract date is an error in every event table; before the window warns."""
    tables = tiny_tables()
    tables["appointments"].loc[7, "start"] = "2026-04-02 09:00:00"  # row 8
    tables["appointments"].loc[2, ["start", "booked_on"]] = ["2021-09-05 11:00:00", "2021-08-20"]
    tables["hospital_events"].loc[3, "start"] = "2026-04-15"  # row 4
    tables["medications"].loc[2, "stopped_on"] = "2026-06-01"  # row 3
    tables["conditions"].loc[2, "diagnosed_on"] = "2026-05-01"  # row 3
    tables["patients"].loc[5, "deregistered_on"] = "2026-05-01"  # row 6
    report = validate(write_tables(tables, tmp_path))
    assert _found(report, "error") == {
        ("patients.csv", "deregistered_on", "deregistered_after_extract"): [6],
        ("conditions.csv", "diagnosed_on", "after_extract"): [3],
        ("medications.csv", "stopped_on", "after_extract"): [3],
        ("appointments.csv", "start", "after_extract"): [8],
        ("hospital_events.csv", "start", "after_extract"): [4],
    }
    assert _found(report, "warning") == {("appointments.csv", "start", "before_window"): [3]}
    problem = report.problems.query("check == 'after_extract' and table == 'appointments'")
    assert problem["expected"].iloc[0] == "start on or before the extract date, 2026-03-31"


def test_a_patient_already_blamed_does_not_blame_their_events(tmp_path: Path):
    """Death before birth is reported on the patient only, not on each later appointment; a
    registration after the extract date likewise."""
    tables = tiny_tables()
    tables["patients"].loc[3, "died_on"] = "1920-01-01"  # row 4, born 1930; appointment row 5
    tables["patients"].loc[1, "registered_on"] = "2026-04-10"  # row 2; appointment row 3
    report = validate(write_tables(tables, tmp_path))
    assert _found(report) == {
        ("patients.csv", "died_on", "died_before_birth"): [4],
        ("patients.csv", "registered_on", "registered_after_extract"): [2],
    }


def test_empty_table_is_an_error(tmp_path: Path):
    """A file with a header and no rows is reported as an empty table; a valid folder is not."""
    tables = tiny_tables()
    tables["hospital_events"] = tables["hospital_events"].iloc[0:0]
    report = validate(write_tables(tables, tmp_path))
    empty = report.problems.query("check == 'empty_table'")
    assert empty[["file", "table", "severity"]].values.tolist() == [
        ["hospital_events.csv", "hospital_events", "error"]
    ]
    assert "present but has no rows" in empty["message"].iloc[0]
    assert not report.ok


def test_empty_partition_is_fine_but_all_empty_parts_are_not(tmp_path: Path):
    """One practice with no rows is normal; a table whose every part is empty is reported."""
    tables = tiny_tables()
    folder = write_tables(tables, tmp_path)
    (folder / "medications.csv").unlink()
    (folder / "medications").mkdir()
    meds = tables["medications"]
    pq.write_table(
        pa.Table.from_pandas(meds, preserve_index=False), folder / "medications/a.parquet"
    )
    pq.write_table(
        pa.Table.from_pandas(meds.iloc[0:0], preserve_index=False), folder / "medications/b.parquet"
    )
    assert validate(folder).ok
    pq.write_table(
        pa.Table.from_pandas(meds.iloc[0:0], preserve_index=False), folder / "medications/a.parquet"
    )
    report = validate(folder)
    empty = report.problems.query("check == 'empty_table'")
    assert empty["file"].tolist() == ["medications/a.parquet, medications/b.parquet"]


def test_without_patients_only_the_extract_window_is_checked(tmp_path: Path):
    """With no patients file, an appointment after the extract date is still found, and a note
    says the registration checks were skipped."""
    tables = tiny_tables()
    tables["appointments"].loc[7, "start"] = "2026-04-02 09:00:00"  # row 8
    del tables["patients"]
    report = validate(write_tables(tables, tmp_path))
    assert _found(report)[("appointments.csv", "start", "after_extract")] == [8]
    assert any("registration and death" in n for n in report.notes)
