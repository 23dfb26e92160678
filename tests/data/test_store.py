"""Tests of the dataset store: Parquet by practice, manifest, checksums, exports, generation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from clearlib._config import TABLES
from clearlib._exceptions import ConfigError, DataError, SpecError
from clearlib.data._load import load_pcn
from clearlib.data._store import (
    COLUMNS,
    check_excel_rows,
    export_xlsx,
    file_sha256,
    read_dataset,
    read_manifest,
    to_arrow,
    verify,
    write_manifest,
    write_tables,
)
from clearlib.synth import _run
from clearlib.synth._run import generate
from clearlib.synth._spec import load_spec


def _d(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[s]")


def _contract_tables() -> dict[str, pd.DataFrame]:
    """Two practices' worth of every table, rows deliberately out of key order."""
    return {
        "practices": pd.DataFrame(
            {
                "practice_code": ["SYN-G002", "SYN-G001"],
                "pcn_code": ["SYN-PCN01", "SYN-PCN01"],
                "name": ["Moor Surgery", "Riverside, Medical Centre"],
                "list_size": [1, 2],
                "imd_decile": [9, 2],
                "rurality": ["rural", "urban"],
                "clinical_system": ["SystmOne", "EMIS Web"],
                "care_home_beds": [0, 40],
            }
        ),
        "staff": pd.DataFrame(
            {
                "staff_id": ["SYN-S901001", "SYN-S001001"],
                "pcn_code": ["SYN-PCN01", "SYN-PCN01"],
                "practice_code": [None, "SYN-G001"],
                "role": ["clinical_pharmacist", "gp"],
                "afc_band": ["7", None],
                "wte": [1.0, 0.6],
                "arrs_funded": [True, False],
                "start_date": _d("2021-09-01", "2010-01-04"),
            }
        ),
        "patients": pd.DataFrame(
            {
                "patient_id": ["SYN-P002000001", "SYN-P001000002", "SYN-P001000001"],
                "practice_code": ["SYN-G002", "SYN-G001", "SYN-G001"],
                "sex": pd.Categorical(["F", "M", "F"]),
                "birth_date": _d("1940-02-29", "1990-06-15", "2020-01-01"),
                "imd_decile": [9, 2, 3],
                "ethnicity": ["White", "Asian", "Mixed"],
                "registered_on": _d("1970-01-01", "2015-03-02", "2020-01-10"),
                "deregistered_on": _d(None, "2025-05-05", None),
                "died_on": _d("2025-01-31", None, None),
                "lives_alone": [True, False, False],
                "care_home_resident": [True, False, False],
                "housebound": [True, False, False],
                "carer": [False, True, False],
                "smoking_status": ["ex", "current", "never"],
                "bmi": [22.5, np.nan, 17.0],
            }
        ),
        "conditions": pd.DataFrame(
            {
                "patient_id": ["SYN-P002000001", "SYN-P001000002", "SYN-P002000001"],
                "condition": ["HYP", "AST", "AF"],
                "diagnosed_on": _d("1999-01-01", "2001-01-01", "2010-07-07"),
            }
        ),
        "frailty_deficits": pd.DataFrame(
            {
                "patient_id": ["SYN-P002000001"],
                "deficit": ["falls"],
                "first_recorded_on": _d("2023-12-25"),
            }
        ),
        "medications": pd.DataFrame(
            {
                "patient_id": ["SYN-P002000001", "SYN-P002000001"],
                "medicine_class": ["statin", "anticoagulant"],
                "started_on": _d("2010-07-08", "2010-07-08"),
                "stopped_on": _d(None, "2025-01-31"),
            }
        ),
        "appointments": pd.DataFrame(
            {
                "appointment_id": ["SYN-A00200000001", "SYN-A00100000001"],
                "patient_id": ["SYN-P002000001", "SYN-P001000002"],
                "practice_code": ["SYN-G002", "SYN-G001"],
                "staff_id": ["SYN-S901001", "SYN-S001001"],
                "role": ["clinical_pharmacist", "gp"],
                "start": pd.Series(
                    pd.to_datetime(["2024-04-02 09:30", "2024-04-01 14:10"]), dtype="datetime64[s]"
                ),
                "booked_on": _d("2024-03-20", "2024-04-01"),
                "mode": ["telephone", "face_to_face"],
                "national_category": ["medication_review", "general_acute"],
                "duration_min": [15.0, 0.0],
                "status": ["attended", "dna"],
            }
        ),
        "hospital_events": pd.DataFrame(
            {
                "event_id": ["SYN-H0020000002", "SYN-H0020000001"],
                "patient_id": ["SYN-P002000001", "SYN-P002000001"],
                "type": ["ae", "emergency_admission"],
                "start": _d("2024-12-01", "2024-11-01"),
                "end": _d(None, "2024-11-04"),
                "length_of_stay_days": pd.array([pd.NA, 3], dtype="Int64"),
            }
        ),
    }


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as plain text, to compare values whatever the categories."""
    return frame.astype({c: "str" for c in frame.columns if frame[c].dtype == "category"})


@pytest.fixture
def written(tmp_path: Path) -> Path:
    write_tables(_contract_tables(), tmp_path / "ds")
    return tmp_path / "ds"


# ---------------------------------------------------------------------------------------------
# Writing and reading tables
# ---------------------------------------------------------------------------------------------
def test_write_tables_splits_large_tables_by_practice(tmp_path: Path) -> None:
    """Small tables are one file; large ones one file per practice, rows counted per file."""
    counts = write_tables(_contract_tables(), tmp_path)
    assert counts == {
        "practices.parquet": 2,
        "staff.parquet": 2,
        "patients/SYN-G002.parquet": 1,
        "patients/SYN-G001.parquet": 2,
        "conditions/SYN-G002.parquet": 2,  # found by the practice number in patient_id
        "conditions/SYN-G001.parquet": 1,
        "frailty_deficits/SYN-G002.parquet": 1,
        "frailty_deficits/SYN-G001.parquet": 0,  # every practice gets a file, even empty
        "medications/SYN-G002.parquet": 2,
        "medications/SYN-G001.parquet": 0,
        "appointments/SYN-G002.parquet": 1,
        "appointments/SYN-G001.parquet": 1,
        "hospital_events/SYN-G002.parquet": 2,
        "hospital_events/SYN-G001.parquet": 0,
    }
    ids = pq.read_table(tmp_path / "patients" / "SYN-G001.parquet").column("patient_id")
    assert ids.to_pylist() == ["SYN-P001000001", "SYN-P001000002"]  # sorted by key


def test_round_trip_keeps_every_value_sorted_by_key(written: Path) -> None:
    """Reading back gives every value written, rows sorted by each table's key."""
    bundle = read_dataset(written)
    source = _contract_tables()
    for name in TABLES:
        got = _as_text(bundle[name])
        assert list(got.columns) == [c.name for c in COLUMNS[name]], name
        assert len(got) == len(source[name]), name
    patients = _as_text(bundle.patients)
    assert patients.patient_id.tolist() == ["SYN-P001000001", "SYN-P001000002", "SYN-P002000001"]
    assert patients.sex.tolist() == ["F", "M", "F"]
    assert patients.birth_date.tolist() == list(
        pd.to_datetime(["2020-01-01", "1990-06-15", "1940-02-29"])
    )
    assert patients.deregistered_on.isna().tolist() == [True, False, True]
    assert patients.bmi.isna().tolist() == [False, True, False]
    assert bundle.staff.staff_id.tolist() == ["SYN-S001001", "SYN-S901001"]
    assert bundle.staff.practice_code.isna().tolist() == [False, True]
    assert bundle.practices.name.tolist() == ["Riverside, Medical Centre", "Moor Surgery"]
    conditions = _as_text(bundle.conditions)
    assert conditions.condition.tolist() == ["AST", "AF", "HYP"]  # P001 first, then AF < HYP
    events = bundle.hospital_events
    assert events.event_id.tolist() == ["SYN-H0020000001", "SYN-H0020000002"]
    assert events.length_of_stay_days.tolist()[0] == 3
    assert events.length_of_stay_days.isna().tolist() == [False, True]
    assert bundle.appointments.start.tolist() == list(
        pd.to_datetime(["2024-04-01 14:10", "2024-04-02 09:30"])
    )


def test_round_trip_gives_the_documented_dtypes(written: Path) -> None:
    """Dates datetime64[s], nullable integers Int64, codes category, other text str."""
    bundle = read_dataset(written)
    assert bundle.patients.dtypes.astype(str).to_dict() == {
        "patient_id": "str",
        "practice_code": "str",
        "sex": "category",
        "birth_date": "datetime64[s]",
        "imd_decile": "int64",
        "ethnicity": "category",
        "registered_on": "datetime64[s]",
        "deregistered_on": "datetime64[s]",
        "died_on": "datetime64[s]",
        "lives_alone": "bool",
        "care_home_resident": "bool",
        "housebound": "bool",
        "carer": "bool",
        "smoking_status": "category",
        "bmi": "float64",
    }
    assert bundle.hospital_events.dtypes.astype(str).to_dict() == {
        "event_id": "str",
        "patient_id": "str",
        "type": "category",
        "start": "datetime64[s]",
        "end": "datetime64[s]",
        "length_of_stay_days": "Int64",
    }
    assert bundle.staff.dtypes.astype(str).to_dict() == {
        "staff_id": "str",
        "pcn_code": "str",
        "practice_code": "str",
        "role": "str",
        "afc_band": "str",
        "wte": "float64",
        "arrs_funded": "bool",
        "start_date": "datetime64[s]",
    }
    assert bundle.appointments.start.dtype == "datetime64[s]"
    assert bundle.practices.list_size.dtype == "int64"


def test_round_trip_twice_is_identical(written: Path, tmp_path: Path) -> None:
    """Writing what was read and reading it again changes neither values nor dtypes."""
    first = read_dataset(written)
    write_tables(dict(first.items()), tmp_path / "again")
    second = read_dataset(tmp_path / "again")
    for name in TABLES:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


def test_rows_sorted_on_the_first_key_are_still_sorted_on_the_second() -> None:
    """Conditions of one patient out of order (HYP before AF) are sorted; ties keep order."""
    frame = pd.DataFrame(
        {
            "patient_id": ["SYN-P001000001", "SYN-P001000001", "SYN-P001000002"],
            "condition": ["HYP", "AF", "AF"],
            "diagnosed_on": _d("2001-01-01", "2002-02-02", "2003-03-03"),
        }
    )
    data = to_arrow(frame, "conditions")
    assert data.column("condition").to_pylist() == ["AF", "HYP", "AF"]
    assert to_arrow(frame.iloc[[1, 0, 2]], "conditions").equals(data)


def test_code_columns_have_the_dictionary_categories(written: Path) -> None:
    """Codes are categoricals in the dictionary's order, even for values not present."""
    bundle = read_dataset(written)
    assert list(bundle.patients.sex.cat.categories) == ["F", "M"]
    assert list(bundle.appointments.status.cat.categories) == ["attended", "dna", "cancelled"]
    assert list(bundle.hospital_events.type.cat.categories) == [
        "ae",
        "emergency_admission",
        "elective_admission",
        "outpatient",
    ]
    # medicine_class has no fixed list: its categories are the values found, sorted
    assert list(bundle.medications.medicine_class.cat.categories) == ["anticoagulant", "statin"]


def test_reading_keeps_a_code_outside_the_dictionary(tmp_path: Path) -> None:
    """A code the dictionary does not know is kept (added after the known ones), not lost."""
    tables = _contract_tables()
    tables["patients"]["sex"] = ["F", "X", "M"]
    write_tables(tables, tmp_path)
    sex = read_dataset(tmp_path, tables=["patients"]).patients.sex
    assert list(sex.cat.categories) == ["F", "M", "X"]
    assert sex.astype(str).tolist() == ["M", "X", "F"]  # sorted by patient_id


def test_read_dataset_reads_only_the_tables_asked_for(written: Path) -> None:
    """Tables not asked for are empty, with their columns and dtypes."""
    bundle = read_dataset(written, tables=["practices"])
    assert len(bundle.practices) == 2
    assert len(bundle.appointments) == 0
    assert list(bundle.appointments.columns) == [c.name for c in COLUMNS["appointments"]]
    assert bundle.appointments.start.dtype == "datetime64[s]"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["patients"].assign(age=1), "unexpected age"),
        (lambda t: t["patients"].drop(columns="bmi"), "missing bmi"),
        (lambda t: t["patients"].assign(sex=["F", None, "M"]), "patients.sex: expected no missing"),
        (
            lambda t: t["patients"].assign(birth_date=pd.to_datetime(["2020-01-01 10:00"] * 3)),
            "found times of day",
        ),
        (lambda t: t["patients"].assign(imd_decile=[1.5, 2, 3]), "patients.imd_decile"),
    ],
)
def test_to_arrow_refuses_tables_that_break_the_contract(change, message: str) -> None:
    """Extra or missing columns, blanks in required columns, bad types: a DataError."""
    with pytest.raises(DataError, match=message):
        to_arrow(change(_contract_tables()), "patients")


def test_write_tables_refuses_rows_of_no_listed_practice(tmp_path: Path) -> None:
    """A row whose practice is not listed makes a DataError, not a silently lost row."""
    tables = _contract_tables()
    with pytest.raises(DataError, match=r"patients: 1 row\(s\) belong to no practice"):
        write_tables(tables, tmp_path, practice_codes=["SYN-G001"])


def test_read_dataset_of_missing_folder_says_how_to_make_one(tmp_path: Path) -> None:
    """A folder that is not there: DataError pointing at `clearlib data synth`."""
    with pytest.raises(DataError, match="clearlib data synth"):
        read_dataset(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------------
# Checksums
# ---------------------------------------------------------------------------------------------
def test_file_sha256_matches_a_known_digest(tmp_path: Path) -> None:
    """SHA-256 of b"abc" is the published test vector ba7816bf...15ad."""
    (tmp_path / "abc").write_bytes(b"abc")
    assert file_sha256(tmp_path / "abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def _manifested(folder: Path) -> Path:
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    write_manifest(
        folder,
        {"name": "demo", "files": {f: {"sha256": file_sha256(folder / f)} for f in files}},
    )
    return folder


def test_verify_passes_an_untouched_dataset(written: Path) -> None:
    """Every file present and unchanged: verify returns the manifest."""
    assert verify(_manifested(written))["name"] == "demo"


def test_verify_names_an_edited_file(written: Path) -> None:
    """One changed byte in one file: DataError naming that file and how to regenerate."""
    folder = _manifested(written)
    target = folder / "patients" / "SYN-G001.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(DataError) as info:
        verify(folder)
    text = str(info.value)
    assert "patients/SYN-G001.parquet has been changed" in text
    assert "staff.parquet" not in text
    assert "never edited; regenerate with `clearlib data synth demo`" in text


def test_verify_names_missing_and_unexpected_files(written: Path) -> None:
    """A deleted file and an added one are both reported."""
    folder = _manifested(written)
    (folder / "staff.parquet").unlink()
    (folder / "patients" / "SYN-G999.parquet").write_bytes(b"x")
    with pytest.raises(DataError) as info:
        verify(folder)
    assert "staff.parquet is missing" in str(info.value)
    assert "patients/SYN-G999.parquet is not part of the generated dataset" in str(info.value)


def test_verify_refuses_a_folder_without_manifest(written: Path) -> None:
    """No manifest.json: not a generated dataset."""
    with pytest.raises(DataError, match=r"no manifest\.json"):
        verify(written)


# ---------------------------------------------------------------------------------------------
# Generating whole datasets (tiny spec: 2 PCNs, 3 practices, 750 listed patients)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tiny_spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny spec generated once with jobs=1 and the spec's seed (7)."""
    return generate(tiny_spec_path, out=tmp_path_factory.mktemp("gen") / "tiny", jobs=1)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_generate_writes_the_layout(tiny: Path) -> None:
    """Small tables at the top, one file per practice for each large table, a manifest."""
    expected = {"manifest.json", "practices.parquet", "staff.parquet"} | {
        f"{t}/{code}.parquet" for t in TABLES[2:] for code in ("SYN-G001", "SYN-G002", "SYN-G003")
    }
    assert set(_files(tiny)) == expected
    assert not list(tiny.parent.glob(".tiny.*")), "no work folder left behind"


def test_manifest_counts_rows_and_checksums_every_file(tiny: Path) -> None:
    """Rows per table and per practice match the files; every file's SHA-256 is right."""
    manifest = read_manifest(tiny)
    bundle = read_dataset(tiny)
    assert manifest["name"] == "tiny"
    assert manifest["seed"] == 7
    assert manifest["spec_digest"] == load_spec(manifest["spec"]["path"]).digest()
    assert manifest["extract_window"] == {
        "start": "2024-04-01",
        "end": "2026-03-31",
        "extract_date": "2026-03-31",
    }
    assert manifest["pcns"] == {"SYN-PCN01": ["SYN-G001", "SYN-G002"], "SYN-PCN02": ["SYN-G003"]}
    for name in TABLES:
        assert manifest["tables"][name]["rows"] == len(bundle[name]), name
    by_practice = manifest["tables"]["patients"]["by_practice"]
    assert by_practice == bundle.patients.practice_code.value_counts().sort_index().to_dict()
    assert manifest["tables"]["practices"]["rows"] == 3
    files = set(_files(tiny)) - {"manifest.json"}
    assert set(manifest["files"]) == files
    for rel in files:
        assert manifest["files"][rel]["sha256"] == file_sha256(tiny / rel), rel
        assert manifest["files"][rel]["bytes"] == (tiny / rel).stat().st_size
    assert verify(tiny) == manifest


def test_manifest_has_no_wall_clock_time(tiny: Path) -> None:
    """Nothing in the manifest looks like today's date or a time stamp."""
    text = (tiny / "manifest.json").read_text()
    assert pd.Timestamp.now().strftime("%Y-%m-%d") not in text
    assert not {"created", "created_at", "timestamp"} & set(json.loads(text))


def test_same_seed_gives_byte_identical_files_with_one_or_two_jobs(
    tiny: Path, tiny_spec_path: Path, tmp_path: Path
) -> None:
    """Generating again with jobs=2 gives exactly the bytes of the jobs=1 run, manifest too."""
    again = generate(tiny_spec_path, out=tmp_path / "tiny", jobs=2)
    assert _files(again) == _files(tiny)


def test_another_seed_gives_other_data(tiny: Path, tiny_spec_path: Path, tmp_path: Path) -> None:
    """Seed 8 instead of 7: different patients, recorded in the manifest."""
    other = generate(tiny_spec_path, seed=8, out=tmp_path / "tiny-seed8", jobs=1)
    assert read_manifest(other)["seed"] == 8
    for code in ("SYN-G001", "SYN-G002", "SYN-G003"):
        rel = f"patients/{code}.parquet"
        assert file_sha256(other / rel) != file_sha256(tiny / rel), rel


def test_csv_export_writes_one_file_per_table(tiny_spec_path: Path, tmp_path: Path) -> None:
    """fmt='csv': csv/<table>.csv, header, ISO dates, true/false, empty for missing."""
    folder = generate(tiny_spec_path, out=tmp_path / "tiny", fmt="csv", jobs=1)
    manifest = read_manifest(folder)
    assert manifest["formats"] == ["parquet", "csv"]
    bundle = read_dataset(folder)
    for name in TABLES:
        assert f"csv/{name}.csv" in manifest["files"], name
        frame = pd.read_csv(folder / "csv" / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(frame.columns) == [c.name for c in COLUMNS[name]], name
        assert len(frame) == len(bundle[name]), name
    patients = pd.read_csv(folder / "csv" / "patients.csv", dtype=str, keep_default_na=False)
    assert set(patients.lives_alone) <= {"true", "false"}
    assert patients.birth_date.str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert patients.died_on.eq("").sum() == bundle.patients.died_on.isna().sum()
    first = bundle.patients.iloc[0]
    assert patients.loc[0, "birth_date"] == first.birth_date.strftime("%Y-%m-%d")
    appointments = pd.read_csv(folder / "csv" / "appointments.csv", dtype=str)
    assert appointments.start.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert verify(folder)


def test_xlsx_export_is_one_readable_workbook_per_table(
    tiny_spec_path: Path, tmp_path: Path
) -> None:
    """fmt='xlsx': xlsx/<table>.xlsx with a header row and every row, the same bytes twice."""
    from openpyxl import load_workbook

    folder = generate(tiny_spec_path, out=tmp_path / "tiny", fmt="xlsx", jobs=1)
    manifest = read_manifest(folder)
    book = load_workbook(folder / "xlsx" / "staff.xlsx", read_only=True)
    rows = list(book["staff"].iter_rows(values_only=True))
    book.close()
    assert rows[0] == tuple(c.name for c in COLUMNS["staff"])
    assert len(rows) == manifest["tables"]["staff"]["rows"] + 1
    assert rows[1][6] in (True, False)  # arrs_funded is a real boolean cell
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    shutil.rmtree(copy / "xlsx")
    export_xlsx(copy)
    assert _files(copy / "xlsx") == _files(folder / "xlsx")


def test_xlsx_refused_for_a_table_longer_than_a_worksheet(tiny_spec_path: Path) -> None:
    """1,048,575 data rows fit under the header; one more is refused, suggesting CSV."""
    check_excel_rows("appointments", 1_048_575)
    with pytest.raises(ConfigError, match=r"appointments table has 1,048,576 rows.*--format csv"):
        check_excel_rows("appointments", 1_048_576)


def test_xlsx_refused_before_generating_a_list_too_big_for_excel(
    tiny_spec_path: Path, tmp_path: Path
) -> None:
    """A spec listing 1.2 million patients is refused at once, nothing written."""
    import dataclasses

    spec = load_spec(tiny_spec_path)
    big = dataclasses.replace(spec.practices[0], list_size=1_200_000)
    spec = dataclasses.replace(spec, practices=(big, *spec.practices[1:]))
    with pytest.raises(ConfigError, match="patients table"):
        generate(spec, out=tmp_path / "big", fmt="xlsx")
    assert not (tmp_path / "big").exists()


def test_generate_refuses_to_overwrite_a_folder_that_is_not_a_dataset(
    tiny_spec_path: Path, tmp_path: Path
) -> None:
    """--out pointing at someone's folder of files: ConfigError, the files untouched."""
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not a generated dataset"):
        generate(tiny_spec_path, out=tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(("option", "value"), [("fmt", "json"), ("jobs", 0), ("seed", -1)])
def test_generate_refuses_bad_options(tiny_spec_path: Path, tmp_path: Path, option, value) -> None:
    """An unknown format, no workers or a negative seed: ConfigError."""
    with pytest.raises(ConfigError):
        generate(tiny_spec_path, out=tmp_path / "x", **{option: value})


def test_interrupted_run_leaves_no_dataset(
    tiny_spec_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure in the second PCN leaves neither the dataset nor a work folder behind."""
    from clearlib.synth import _generate

    real = _generate.generate_pcn

    def fail_second(spec, pcn_code, seed):
        if pcn_code == "SYN-PCN02":
            raise KeyboardInterrupt
        return real(spec, pcn_code, seed)

    monkeypatch.setattr(_generate, "generate_pcn", fail_second)
    with pytest.raises(KeyboardInterrupt):
        generate(tiny_spec_path, out=tmp_path / "tiny", jobs=1)
    assert list(tmp_path.iterdir()) == []


def test_regenerating_replaces_the_old_dataset(tiny: Path, tmp_path: Path) -> None:
    """Generating over an existing dataset replaces it completely (no stale files)."""
    folder = tmp_path / "tiny"
    shutil.copytree(tiny, folder)
    (folder / "patients" / "SYN-G999.parquet").write_bytes(b"stale")
    generate(read_manifest(tiny)["spec"]["path"], out=folder, jobs=1)
    assert _files(folder) == _files(tiny)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


def test_commit_keeps_a_dataset_that_appeared_meanwhile(tmp_path: Path) -> None:
    """If another process finished the same dataset first, theirs stays and ours goes."""
    ours, out = tmp_path / ".ds.partial-1-00000000", tmp_path / "ds"
    ours.mkdir()
    (ours / "manifest.json").write_text("ours")
    out.mkdir()
    (out / "manifest.json").write_text("theirs")
    assert _run._commit(ours, out, existing=None) == out
    assert (out / "manifest.json").read_text() == "theirs"
    assert not ours.exists()


def test_two_processes_generating_the_same_dataset_both_succeed(
    one_pcn_spec: Path, tmp_path: Path
) -> None:
    """Two concurrent runs into one folder: both exit 0, one complete, valid dataset remains."""
    out = tmp_path / "tiny1"
    code = textwrap.dedent(
        f"""
        from clearlib.synth._run import generate
        generate({str(one_pcn_spec)!r}, out={str(out)!r}, jobs=1)
        """
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, env=os.environ)
        for _ in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err.decode()
    assert verify(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny1"]


# ---------------------------------------------------------------------------------------------
# load_pcn: generate on first use, then read the cache
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLEAR_DATA_DIR", str(tmp_path))
    return tmp_path


def test_load_pcn_generates_once_then_reads_the_cache(
    one_pcn_spec: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First call writes <data_dir>/tiny1; the second reads it without generating."""
    first = load_pcn(one_pcn_spec)
    assert (data_dir / "tiny1" / "manifest.json").is_file()
    assert first.manifest["name"] == "tiny1"

    def no_generation(*args, **kwargs):
        raise AssertionError("the cached dataset should have been read")

    monkeypatch.setattr(_run, "generate", no_generation)
    second = load_pcn(one_pcn_spec, tables=["patients"])
    pd.testing.assert_frame_equal(first.patients, second.patients)
    assert len(second.appointments) == 0


def test_load_pcn_reads_the_files_once_per_process_and_hands_out_separate_tables(
    one_pcn_spec: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second call returns the remembered tables without reading; a change to one call's
    table or manifest reaches no other; a rewritten manifest makes it read again."""
    from clearlib.data import _load

    first = load_pcn(one_pcn_spec)
    reads = []
    real = _load.read_dataset
    monkeypatch.setattr(_load, "read_dataset", lambda *a, **k: reads.append(a) or real(*a, **k))
    second = load_pcn(one_pcn_spec)
    assert reads == []
    pd.testing.assert_frame_equal(first.patients, second.patients)
    first.patients["flag"] = 1
    first.patients.loc[first.patients.index[0], "patient_id"] = "changed"
    first.manifest["name"] = "changed"
    third = load_pcn(one_pcn_spec)
    assert "flag" not in third.patients.columns
    assert "changed" not in set(third.patients["patient_id"])
    assert third.manifest["name"] == "tiny1"
    write_manifest(data_dir / "tiny1", {**read_manifest(data_dir / "tiny1"), "note": "again"})
    load_pcn(one_pcn_spec)
    assert len(reads) == 1


def test_load_pcn_regenerates_a_cache_from_an_older_spec(
    one_pcn_spec: Path, data_dir: Path
) -> None:
    """A manifest whose spec digest differs from the spec's: the dataset is made again."""
    load_pcn(one_pcn_spec, tables=["practices"])
    manifest = read_manifest(data_dir / "tiny1")
    write_manifest(data_dir / "tiny1", {**manifest, "spec_digest": "0" * 16})
    bundle = load_pcn(one_pcn_spec, tables=["practices"])
    assert bundle.manifest["spec_digest"] == manifest["spec_digest"]
    assert read_manifest(data_dir / "tiny1")["spec_digest"] == manifest["spec_digest"]


def test_load_pcn_regenerates_a_cache_with_a_file_missing(
    one_pcn_spec: Path, data_dir: Path
) -> None:
    """A deleted practice file makes the cache incomplete: load_pcn generates it again."""
    load_pcn(one_pcn_spec, tables=["practices"])
    (data_dir / "tiny1" / "appointments" / "SYN-G002.parquet").unlink()
    bundle = load_pcn(one_pcn_spec, tables=["appointments"])
    assert (data_dir / "tiny1" / "appointments" / "SYN-G002.parquet").is_file()
    assert len(bundle.appointments) == bundle.manifest["tables"]["appointments"]["rows"]


def test_read_dataset_names_missing_files(tiny: Path, tmp_path: Path) -> None:
    """Reading a dataset with a file gone: DataError naming it and how to regenerate."""
    folder = tmp_path / "tiny"
    shutil.copytree(tiny, folder)
    (folder / "conditions" / "SYN-G003.parquet").unlink()
    with pytest.raises(DataError, match=r"conditions/SYN-G003\.parquet.*clearlib data synth tiny"):
        read_dataset(folder)


def test_abandoned_work_folders_of_dead_runs_are_removed(tiny: Path, tmp_path: Path) -> None:
    """A work folder whose process has ended is cleared by the next run; a live one is kept."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = tmp_path / f".tiny.partial-{int(ended.stdout)}-0123abcd"
    live = tmp_path / f".tiny.partial-{os.getpid()}-0123abcd"
    dead.mkdir()
    live.mkdir()
    generate(read_manifest(tiny)["spec"]["path"], out=tmp_path / "tiny", jobs=1)
    assert not dead.exists()
    assert live.exists()


def test_load_pcn_keeps_other_seeds_apart(one_pcn_spec: Path, data_dir: Path) -> None:
    """seed=8 is cached as tiny1-seed8, beside (not over) the spec's own seed."""
    bundle = load_pcn(one_pcn_spec, seed=8, tables=["practices"])
    assert bundle.manifest["seed"] == 8
    assert sorted(p.name for p in data_dir.iterdir()) == ["tiny1-seed8"]


def test_load_pcn_of_unknown_name_lists_the_specs() -> None:
    """An unknown name: SpecError naming the specs there are."""
    with pytest.raises(SpecError, match=r"no population spec 'nosuch'.*default.*ics"):
        load_pcn("nosuch")


# ---------------------------------------------------------------------------------------------
# The storage schema agrees with the data dictionary
# ---------------------------------------------------------------------------------------------
def test_storage_columns_match_datapackage() -> None:
    """Same tables, columns in the same order, same types, blanks allowed in the same places."""
    from clearlib.data._dictionary import data_dictionary

    dictionary = data_dictionary()
    assert list(dictionary) == list(TABLES)
    for table in TABLES:
        ours = [
            (c.name, "string" if c.kind == "code" else c.kind, c.nullable) for c in COLUMNS[table]
        ]
        theirs = [(f.name, f.type, not f.required) for f in dictionary[table].fields]
        assert ours == theirs, table
