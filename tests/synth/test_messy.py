"""The messy export: every defect in the answer key is found by validate() where the key says."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from clearlib.data._validate import validate
from clearlib.synth._messy import ANSWER_KEY_COLUMNS, DEFECT_CLASSES, make_messy, write_messy


def _tiny():
    """The hand-made dataset of tests/data/_tiny.py (a sibling folder, not a package)."""
    if "_tiny" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "_tiny", Path(__file__).parents[1] / "data" / "_tiny.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["_tiny"] = module
        spec.loader.exec_module(module)
    return sys.modules["_tiny"]


#: The checks of validate() that find each class of defect.
FINDS = {
    "mixed_date_format": {"date_format"},
    "bom": {"bom"},
    "duplicate_row": {"duplicate_row"},
    "impossible_age": {"age_over_115", "birth_in_future"},
    "impossible_date": {"died_before_birth", "booked_after_start", "end_before_start"},
    "renamed_column": {"missing_column"},
    "unknown_code": {"allowed_values"},
    "blank_key": {"blank"},
}


@pytest.fixture(scope="module")
def bundle():
    """Twenty copies of the tiny dataset: 120 patients, 160 appointments, 80 hospital events."""
    return _tiny().tiny_bundle(copies=20)


@pytest.fixture(scope="module", params=[0, 7])
def messy(request, bundle, tmp_path_factory):
    """A messy export written for seed 0 and seed 7, with its answer key and its report."""
    folder = write_messy(
        bundle, tmp_path_factory.mktemp(f"messy{request.param}"), seed=request.param
    )
    key = pd.read_csv(folder / "answer_key.csv", dtype={"row": "Int64"}, keep_default_na=False)
    return folder, key, validate(folder)


def test_answer_key_counts(messy):
    """The key lists 8 mixed dates, 1 BOM, 5 copies, 3 ages, 6 dates, 2 renames, 4 codes, 3 blanks."""
    _, key, _ = messy
    assert list(key.columns) == list(ANSWER_KEY_COLUMNS)
    counts = key["defect"].value_counts().to_dict()
    assert counts == {
        "mixed_date_format": 3 + 3 + 2,
        "bom": 1,
        "duplicate_row": 3 + 2,
        "impossible_age": 2 + 1,
        "impossible_date": 2 + 2 + 2,
        "renamed_column": 2,
        "unknown_code": 2 + 1 + 1,
        "blank_key": 2 + 1,
    }
    assert set(key["defect"]) == set(DEFECT_CLASSES)


def test_every_defect_is_found_where_the_key_says(messy):
    """Each row defect is a rejected row at its file, column and row; each file defect a problem."""
    _, key, report = messy
    rejected = {
        (r.file, r.column, int(r.row), r.check)
        for r in report.rejected_rows.itertuples(index=False)
    }
    problems = {(p.file, p.column, p.check) for p in report.problems.itertuples(index=False)}
    missed = []
    for d in key.itertuples(index=False):
        if pd.isna(d.row):
            hit = any((d.file, d.column, check) in problems for check in FINDS[d.defect])
        else:
            hit = any((d.file, d.column, int(d.row), c) in rejected for c in FINDS[d.defect])
        if not hit:
            missed.append(d)
    assert missed == []


def test_nothing_else_is_found(messy):
    """Every error in the report is a defect of the key: no false alarm on the clean rows."""
    _, key, report = messy
    with_rows = key.dropna(subset=["row"])
    expected = {(d.file, d.column, int(d.row)) for d in with_rows.itertuples(index=False)}
    errors = report.rejected_rows.merge(
        report.problems[["file", "column", "check", "severity"]], on=["file", "column", "check"]
    ).query("severity == 'error'")
    found = {(r.file, r.column, int(r.row)) for r in errors.itertuples(index=False)}
    assert found == expected
    file_level = report.problems[report.problems["rows_sample"] == ""]
    assert sorted(zip(file_level["file"], file_level["check"], strict=True)) == sorted(
        [(f, "missing_column") for f in key.query("defect == 'renamed_column'")["file"]]
        + [(key.query("defect == 'bom'")["file"].iloc[0], "bom")]
        + [("answer_key.csv", "unrecognised_file")]
    )


def test_written_cells_are_the_injected_values(messy):
    """At each key row the written file holds the injected value; a copy equals the row above."""
    folder, key, _ = messy
    for d in key.dropna(subset=["row"]).itertuples(index=False):
        df = pd.read_csv(folder / d.file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        row = int(d.row) - 1
        if d.defect == "duplicate_row":
            assert df.iloc[row].tolist() == df.iloc[row - 1].tolist()
        else:
            assert df.iloc[row][d.column] == d.injected_value
            assert d.original_value != d.injected_value


def test_bom_and_line_endings(messy):
    """Exactly the file named in the key starts with a BOM; the files end lines with CRLF."""
    folder, key, _ = messy
    with_bom = key.query("defect == 'bom'")["file"].tolist()
    starts = {p.name for p in folder.glob("*.csv") if p.read_bytes().startswith(b"\xef\xbb\xbf")}
    assert starts == set(with_bom)
    assert b"\r\n" in (folder / "patients.csv").read_bytes()


def test_same_seed_same_export(bundle, tmp_path: Path):
    """The same seed writes the same bytes; another seed picks other rows."""
    a = write_messy(bundle, tmp_path / "a", seed=3)
    b = write_messy(bundle, tmp_path / "b", seed=3)
    for file in sorted(p.name for p in a.iterdir()):
        assert (a / file).read_bytes() == (b / file).read_bytes(), file
    _, key3 = make_messy(bundle, seed=3)
    _, key4 = make_messy(bundle, seed=4)
    assert not key3.equals(key4)


def test_large_dataset_is_sampled(bundle):
    """With max_patients=30 the export keeps 30 patients and only their rows in other tables."""
    tables, _ = make_messy(bundle, seed=0, max_patients=30)
    ids = set(tables["patients"]["patient_id"])
    assert len(tables["patients"]) == 30
    kept = tables["frailty_deficits"]["patient_id"]
    assert set(kept) <= ids and len(kept) > 0
    assert len(tables["practices"]) == 2 and len(tables["staff"]) == 4
