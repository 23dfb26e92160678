"""import_extract(): a system's export, read through a mapping file, becomes the same dataset.

The exports are written by ``clearlib.synth.write_export`` from the tiny spec (2 PCNs, 3
practices) through the shipped templates; each broken case changes one thing in a copy of the
export or of the mapping, and checks the error names the file, the column and the rows.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import clearlib
from clearlib import DataError
from clearlib._cli import app
from clearlib.data import (
    CodeListSet,
    MappingError,
    import_extract,
    load_mapping,
    read_codelist,
    read_dataset,
)
from clearlib.data._mapping import date_format, mappings_dir
from clearlib.data._store import SORT_KEYS
from clearlib.synth import write_export

TEMPLATES = {"emis": "emis-web", "systmone": "systmone"}
CODELISTS = mappings_dir().parent / "codelists"


def _sorted(df: pd.DataFrame, table: str) -> pd.DataFrame:
    return df.sort_values(list(SORT_KEYS[table]), kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder of this module's own (CLEAR_DATA_DIR), so the tiny dataset is cached once."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def tiny(tiny_spec_path: Path, data_dir: Path):
    """The tiny dataset, generated once for this module (cached in ``data_dir``)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLEAR_DATA_DIR", str(data_dir))
        return clearlib.load_pcn(tiny_spec_path)


@pytest.fixture(scope="module")
def exports(tiny, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny dataset written as an EMIS Web export and as a SystmOne export."""
    root = tmp_path_factory.mktemp("exports")
    return {s: write_export(tiny, root / s, system=s) for s in TEMPLATES}


def _copy_mapping(template: str, folder: Path, edit=None) -> Path:
    """A copy of a shipped template in ``folder`` (code-list paths made absolute), edited."""
    text = (mappings_dir() / f"{template}.toml").read_text(encoding="utf-8")
    text = text.replace('"../codelists/', f'"{CODELISTS.as_posix()}/')
    if edit is not None:
        text = edit(text)
    path = folder / f"{template}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _edit_cell(file: Path, column: str, row: int, value: str) -> str:
    """Set one cell (row 1 = first row under the header); return the value it replaced."""
    df = pd.read_csv(file, dtype=str, keep_default_na=False)
    old = df.loc[row - 1, column]
    df.loc[row - 1, column] = value
    df.to_csv(file, index=False, lineterminator="\r\n")
    return old


# --------------------------------------------------------------------------------------------
# Round trips.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("system", list(TEMPLATES))
def test_round_trip_gives_the_same_dataset(system, tiny, exports, tmp_path):
    """Export then import gives every table back unchanged, validates clean, reports no loss."""
    report = import_extract(TEMPLATES[system], exports[system], tmp_path / "out")
    assert report.ok, report.summary()
    assert report.validation is not None and report.validation.problems.empty
    assert report.rejected_rows.empty and report.unmapped_codes.empty
    back = read_dataset(tmp_path / "out")
    for name, frame in tiny.items():
        pd.testing.assert_frame_equal(_sorted(back[name], name), _sorted(frame, name))
    counts = report.tables.set_index("table")
    # The coded-entries file feeds two tables: each row is in exactly one table's lists.
    coded = len(tiny.conditions) + len(tiny.frailty_deficits)
    assert counts.loc["conditions", "rows_in"] == coded
    assert counts.loc["conditions", "not_in_lists"] == len(tiny.frailty_deficits)
    assert (
        counts["rows_out"] + counts["rejected"] + counts["merged"] + counts["not_in_lists"]
        == counts["rows_in"]
    ).all()
    assert back.manifest["pcns"] == {
        "SYN-PCN01": ["SYN-G001", "SYN-G002"],
        "SYN-PCN02": ["SYN-G003"],
    }
    assert (tmp_path / "out" / "import_report" / "summary.txt").is_file()


def test_exports_look_like_the_systems(exports):
    """EMIS: one file per practice, DD/MM/YYYY, date and time apart; SystmOne: DD-Mon-YYYY."""
    emis = sorted(p.name for p in exports["emis"].iterdir())
    assert "SYN-G003_Appointments.csv" in emis and "Practices.csv" in emis
    patients = pd.read_csv(exports["emis"] / "SYN-G001_Patients.csv", dtype=str)
    assert patients["Date of Birth"].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    assert set(patients["Gender"]) == {"Female", "Male"}
    appts = pd.read_csv(exports["emis"] / "SYN-G001_Appointments.csv", dtype=str)
    assert appts["Appointment Time"].str.fullmatch(r"\d{2}:\d{2}").all()
    coded = pd.read_csv(exports["systmone"] / "Coded events.csv", dtype=str)
    assert coded["Code"].str.startswith(("EXAMPLE-QOF-", "EXAMPLE-EFI-")).all()
    assert coded["Date"].str.fullmatch(r"\d{2}-[A-Z][a-z]{2}-\d{4}").all()
    s1 = pd.read_csv(exports["systmone"] / "Appointments.csv", dtype=str)
    assert s1["Appointment Date/Time"].str.fullmatch(r"\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}").all()
    assert b"\r\n" in (exports["systmone"] / "Patients.csv").read_bytes()


@pytest.mark.slow
def test_default_pcn_round_trip_keeps_counts_and_prevalence(default_pcn, tmp_path):
    """The default PCN through an EMIS Web export and back: same rows per table, same register
    prevalence and frailty deficits per patient, and the import validates clean."""
    folder = write_export(default_pcn, tmp_path / "emis", system="emis")
    report = import_extract("emis-web", folder, tmp_path / "out")
    assert report.ok, report.summary()
    back = read_dataset(tmp_path / "out")
    assert {n: len(f) for n, f in back.items()} == {n: len(f) for n, f in default_pcn.items()}
    for pcn in (default_pcn, back):
        assert len(pcn.patients) == len(default_pcn.patients)
    prevalence = [
        p.conditions["condition"].value_counts().sort_index() / len(p.patients)
        for p in (default_pcn, back)
    ]
    pd.testing.assert_series_equal(prevalence[0], prevalence[1])
    deficits = [
        p.frailty_deficits.groupby("patient_id").size().sort_index() for p in (default_pcn, back)
    ]
    pd.testing.assert_series_equal(deficits[0], deficits[1])


# --------------------------------------------------------------------------------------------
# A broken mapping: precise errors, before anything is written.
# --------------------------------------------------------------------------------------------
def test_unknown_column_names_file_and_column(exports, tmp_path):
    """A mapped column the export lacks: MappingError naming the file, the column, a guess."""
    mapping = _copy_mapping(
        "emis-web",
        tmp_path,
        lambda t: t.replace('birth_date = "Date of Birth"', 'birth_date = "Date of Brith"'),
    )
    with pytest.raises(MappingError) as err:
        import_extract(mapping, exports["emis"], tmp_path / "out")
    message = str(err.value)
    assert message.startswith("SYN-G001_Patients.csv: ")
    assert "'Date of Brith' (did you mean 'Date of Birth'?)" in message
    assert "[tables.patients]" in message
    assert not (tmp_path / "out").exists()


def test_undeclared_date_format_is_refused(tmp_path):
    """A date column in a table without `dates`: the error names table, column, file, example."""

    def drop_dates(text: str) -> str:
        block = text.index("[tables.patients]")
        return text[:block] + text[block:].replace('dates = "DD/MM/YYYY"\n', "", 1)

    with pytest.raises(MappingError) as err:
        load_mapping(_copy_mapping("emis-web", tmp_path, drop_dates))
    message = str(err.value)
    assert "[tables.patients.columns] birth_date" in message
    assert "'Date of Birth' in '*_Patients.csv'" in message
    assert 'dates = "DD/MM/YYYY"' in message and "never guesses" in message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("[tables.staff]", "[tables.staffing]"), "no such table"),
        (lambda t: t.replace('bmi = "BMI"', 'weight = "BMI"'), "patients has no column weight"),
        (
            lambda t: t.replace('labels = "smoking"', 'labels = "smoke"'),
            "no label map [labels.smoke]",
        ),
        (
            lambda t: t.replace('"Ex-smoker" = "ex"', '"Ex-smoker" = "former"'),
            "translates to former",
        ),
        (lambda t: t.replace('codelists = "qof"', 'codelists = "qoff"'), "no code-list set 'qoff'"),
        (
            lambda t: t.replace('dates = "DD/MM/YYYY"', 'dates = "DD/MM/YYYQ"', 1),
            "[tables.staff] dates: date format 'DD/MM/YYYQ'",
        ),
        (
            lambda t: t.replace('practice_code = "ODS Code"\npcn', "pcn"),
            "practice_code are not mapped",
        ),
    ],
)
def test_mapping_mistakes_are_named(tmp_path, edit, expected):
    """Each mistake in a mapping file is a MappingError that says what and where."""
    with pytest.raises(MappingError, match=re.escape(expected)):
        load_mapping(_copy_mapping("emis-web", tmp_path, edit))


# --------------------------------------------------------------------------------------------
# Rows that cannot be mapped: listed, counted, never dropped silently.
# --------------------------------------------------------------------------------------------
def test_code_in_no_list_is_reported_with_count_terms_and_rows(exports, tmp_path):
    """Two rows with an unknown code: listed once with count 2, its term and rows; not ok."""
    folder = shutil.copytree(exports["emis"], tmp_path / "export")
    file = folder / "SYN-G002_CodedEntries.csv"
    _edit_cell(file, "SNOMED Code", 3, "999999999")
    _edit_cell(file, "Term", 3, "Mystery finding")
    _edit_cell(file, "SNOMED Code", 5, "999999999")
    report = import_extract("emis-web", folder, tmp_path / "out", check=False)
    assert not report.ok
    codes = report.unmapped_codes.to_dict("records")
    assert codes == [
        {
            "files": "*_CodedEntries.csv",
            "column": "SNOMED Code",
            "code": "999999999",
            "rows": 2,
            "example_terms": report.unmapped_codes["example_terms"].iloc[0],
            "first_rows": "SYN-G002_CodedEntries.csv row 3; SYN-G002_CodedEntries.csv row 5",
        }
    ]
    assert codes[0]["example_terms"].startswith("Mystery finding")
    with pytest.raises(MappingError, match=r"SNOMED Code: code '999999999' in 2 rows"):
        report.raise_if_invalid()
    assert (tmp_path / "out" / "import_report" / "unmapped_codes.csv").is_file()


def test_unlisted_codes_can_be_a_warning(exports, tmp_path):
    """With unlisted_codes = "warning" the same export imports as ok, the code still listed."""
    folder = shutil.copytree(exports["emis"], tmp_path / "export")
    _edit_cell(folder / "SYN-G001_CodedEntries.csv", "SNOMED Code", 1, "123")
    mapping = _copy_mapping(
        "emis-web",
        folder,
        lambda t: t.replace('unlisted_codes = "error"', 'unlisted_codes = "warning"'),
    )
    report = import_extract(mapping, out=tmp_path / "out")  # export folder: the mapping's
    assert report.ok, report.summary()
    assert report.unmapped_codes["code"].tolist() == ["123"]


def test_unknown_label_and_bad_date_reject_rows_with_reasons(tiny, exports, tmp_path):
    """A label with no translation and a date not in the declared format: the rows are
    rejected with file, row and reason, the label listed with its count, the patient's
    events rejected as orphans; every row is accounted for."""
    folder = shutil.copytree(exports["emis"], tmp_path / "export")
    patients = folder / "SYN-G003_Patients.csv"
    pid = pd.read_csv(patients, dtype=str).loc[1, "Patient ID"]  # row 2
    _edit_cell(patients, "Gender", 2, "Indeterminate")
    _edit_cell(folder / "SYN-G001_Appointments.csv", "Booked Date", 4, "2025-06-06")
    report = import_extract("emis-web", folder, tmp_path / "out", check=False)
    assert not report.ok
    labels = report.unmapped_labels.to_dict("records")
    assert labels == [
        {
            "file": "SYN-G003_Patients.csv",
            "table": "patients",
            "column": "Gender",
            "label_map": "sex",
            "label": "Indeterminate",
            "rows": 1,
            "first_rows": "SYN-G003_Patients.csv row 2",
        }
    ]
    rej = report.rejected_rows
    date = rej.query("column == 'Booked Date'").iloc[0]
    assert (date["file"], date["row"], date["value"]) == (
        "SYN-G001_Appointments.csv",
        4,
        "2025-06-06",
    )
    assert date["reason"] == "not a date written DD/MM/YYYY (the format declared in the mapping)"
    orphans = rej[rej["reason"].str.startswith("patient_id not among the imported patients")]
    own = {
        t: int(tiny[t]["patient_id"].eq(pid).sum())
        for t in (
            "conditions",
            "frailty_deficits",
            "medications",
            "appointments",
            "hospital_events",
        )
    }
    assert len(orphans) == sum(own.values()) and set(orphans["value"]) <= {pid}
    counts = report.tables.set_index("table")
    assert counts.loc["patients", "rejected"] == 1
    assert counts.loc["appointments", "rejected"] == 1 + own["appointments"]
    back = read_dataset(tmp_path / "out")
    assert len(back.patients) == len(tiny.patients) - 1
    assert len(back.appointments) == len(tiny.appointments) - 1 - own["appointments"]


def test_derivations_and_constants(tiny, tmp_path):
    """Birth year only -> 1 July of that year; a constant PCN code; length of stay derived."""

    def edit(text: str) -> str:
        text = text.replace(
            'birth_date = "Date of Birth"',
            'birth_date = { derive = "from_year", column = "Year of Birth" }',
        )
        return text.replace('pcn_code = "PCN Code"', 'pcn_code = { constant = "SYN-PCN09" }')

    mapping = load_mapping(_copy_mapping("emis-web", tmp_path, edit))
    folder = write_export(tiny, tmp_path / "export", system=mapping)
    header = (folder / "SYN-G001_Patients.csv").read_text().splitlines()[0]
    assert "Year of Birth" in header and "Date of Birth" not in header
    report = import_extract(mapping, folder, tmp_path / "out", check=False)
    assert report.rejected_rows.empty, report.summary()
    back = read_dataset(tmp_path / "out")
    born = _sorted(back.patients, "patients")["birth_date"]
    expected = pd.to_datetime(
        _sorted(tiny.patients, "patients")["birth_date"].dt.year.astype(str) + "-07-01"
    )
    assert (born.to_numpy() == expected.to_numpy()).all()
    assert set(back.practices["pcn_code"]) == set(back.staff["pcn_code"]) == {"SYN-PCN09"}
    pd.testing.assert_series_equal(
        _sorted(back.hospital_events, "hospital_events")["length_of_stay_days"],
        _sorted(tiny.hospital_events, "hospital_events")["length_of_stay_days"],
    )


# --------------------------------------------------------------------------------------------
# Code lists and templates.
# --------------------------------------------------------------------------------------------
def test_a_code_on_two_lists_feeds_both_and_the_earliest_date_is_kept(tmp_path):
    """One code on the HYP and CKD lists gives a row in each; a later record merges."""
    lists = tmp_path / "qof"
    lists.mkdir()
    (lists / "HYP.csv").write_text("code,term\n1,a\n2,b\n")
    (lists / "CKD.csv").write_text("code,term\n2,b\n")
    (tmp_path / "c.csv").write_text(
        "Patient,Code,Date\nSYN-P001000001,2,05/06/2020\nSYN-P001000001,1,01/01/2019\n"
    )
    (tmp_path / "m.toml").write_text(
        'schema_version = 1\n[codelists]\nqof = "qof"\n[tables.conditions]\nfiles = "c.csv"\n'
        'dates = "DD/MM/YYYY"\n[tables.conditions.columns]\npatient_id = "Patient"\n'
        'condition = { column = "Code", codelists = "qof" }\ndiagnosed_on = "Date"\n'
    )
    report = import_extract(tmp_path / "m.toml", out=tmp_path / "out", check=False)
    row = report.tables.iloc[0]
    assert (row["rows_in"], row["rows_out"], row["merged"]) == (2, 2, 1)
    back = read_dataset(tmp_path / "out", tables=["conditions"]).conditions
    assert back[["condition", "diagnosed_on"]].astype(str).values.tolist() == [
        ["CKD", "2020-06-05"],
        ["HYP", "2019-01-01"],
    ]


def test_read_codelist_keeps_provenance(tmp_path):
    """The # lines are kept as metadata; OpenCodelists' own headers (id, snomedct_id) work."""
    f = tmp_path / "AF.csv"
    f.write_text(
        "# status: published\n# source: OpenCodelists x/y\nsnomedct_id,description\n49436004,Atrial fibrillation\n"
    )
    cl = read_codelist(f)
    assert (cl.value, cl.codes, cl.terms, cl.is_example) == (
        "AF",
        ("49436004",),
        {"49436004": "Atrial fibrillation"},
        False,
    )
    assert cl.meta["source"] == "OpenCodelists x/y"
    (tmp_path / "bad.csv").write_text("concept,label\n1,a\n")
    with pytest.raises(DataError, match="expected a code column"):
        read_codelist(tmp_path / "bad.csv")


def test_code_list_named_for_no_value_is_refused(tmp_path):
    """A list file named for no register (a typo) would drop a register: it is an error."""
    (tmp_path / "AFF.csv").write_text("code,term\n1,a\n")
    with pytest.raises(DataError, match="AFF are named for no allowed value"):
        CodeListSet.from_folder("qof", tmp_path, allowed=["AF", "HYP"])


def test_shipped_example_lists_are_labelled_and_obviously_invented():
    """Every shipped example list says status: example and holds only EXAMPLE- codes."""
    files = sorted((CODELISTS / "example").rglob("*.csv"))
    assert len(files) == 20 + 36 + 32
    for f in files:
        cl = read_codelist(f)
        assert cl.is_example, f
        assert all(c.startswith("EXAMPLE-") for c in cl.codes), f
        assert "EXAMPLE ONLY" in f.read_text()


def test_templates_load_and_cover_every_table():
    """Both templates load against the dictionary and map all eight tables."""
    for name in TEMPLATES.values():
        m = load_mapping(name)
        assert set(m.tables) == {
            "practices",
            "staff",
            "patients",
            "conditions",
            "frailty_deficits",
            "medications",
            "appointments",
            "hospital_events",
        }
    assert date_format("DD-Mon-YYYY HH:MM") == "%d-%b-%Y %H:%M"


# --------------------------------------------------------------------------------------------
# The command line.
# --------------------------------------------------------------------------------------------
def test_cli_import_clean_and_broken(exports, tmp_path):
    """`clearlib data import` exits 0 on a clean export and 1 with `MappingError: file...`."""
    runner = CliRunner()
    ok = runner.invoke(
        app, ["data", "import", "systmone", str(exports["systmone"]), "--out", str(tmp_path / "a")]
    )
    assert ok.exit_code == 0, ok.output
    assert "IMPORTED: " in ok.output and "import_report" in ok.output
    mapping = _copy_mapping(
        "systmone", tmp_path, lambda t: t.replace('bmi = "BMI"', 'bmi = "Body Mass"')
    )
    shutil.copytree(exports["systmone"], tmp_path / "s")
    bad = runner.invoke(
        app, ["data", "import", str(mapping), str(tmp_path / "s"), "--out", str(tmp_path / "b")]
    )
    assert bad.exit_code == 1
    assert (
        "MappingError" in bad.output and "Patients.csv" in bad.output and "Body Mass" in bad.output
    )


def test_cli_synth_as_writes_an_export(tiny, tiny_spec_path, data_dir, tmp_path, monkeypatch):
    """`clearlib data synth SPEC --as systmone --out DIR` writes the export and says how to import it."""
    monkeypatch.setenv("CLEAR_DATA_DIR", str(data_dir))  # the cached tiny dataset is reused
    result = CliRunner().invoke(
        app,
        ["data", "synth", str(tiny_spec_path), "--as", "systmone", "--out", str(tmp_path / "x")],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "Patients.csv").is_file()
    assert "clearlib data import systmone" in result.output


def _verhoeff(code: str) -> bool:
    """The SNOMED CT check digit (Verhoeff) of an identifier is right."""
    d = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ]
    p = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ]
    c = 0
    for i, ch in enumerate(reversed(code)):
        c = d[c][p[i % 8][int(ch)]]
    return c == 0


def test_published_lists_cite_their_source_and_hold_valid_snomed_ids():
    """Each published list names the repository, file and commit it was copied from, and
    every code is a SNOMED CT identifier with a correct check digit."""
    assert _verhoeff("49436004") and not _verhoeff("49436005")  # atrial fibrillation
    files = sorted((CODELISTS / "published").rglob("*.csv"))
    assert [f.stem for f in files] == ["AF", "HF"]
    for f in files:
        cl = read_codelist(f)
        assert cl.meta["status"] == "published" and cl.coding_system == "snomedct"
        assert cl.meta["copied_from"].startswith("GitHub repository opensafely/")
        assert "commit" in cl.meta["copied_from"]
        assert all(c.isdigit() and _verhoeff(c) for c in cl.codes), f
    registers = CodeListSet.from_folder("qof", CODELISTS / "published" / "qof", ["AF", "HF", "HYP"])
    assert registers.values == ("AF", "HF") and registers.lookup()["49436004"] == ("AF",)


def test_cli_synth_refuses_messy_with_as():
    """`--messy` and `--as` together are refused before anything is generated."""
    result = CliRunner().invoke(app, ["data", "synth", "default", "--messy", "--as", "emis"])
    assert result.exit_code == 2
    assert "choose --messy or --as, not both" in result.output
