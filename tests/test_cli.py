"""Tests of the ``clearlib`` command: help, synth, profile, validate, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clearlib
import clearlib.data
from clearlib._cli import app

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Generated datasets go to a temporary folder, not the course's datasets/synthetic."""
    folder = tmp_path / "data"
    monkeypatch.setenv("CLEAR_DATA_DIR", str(folder))
    return folder


# ---------------------------------------------------------------------------------------------
# Help and version
# ---------------------------------------------------------------------------------------------
def test_help_lists_the_data_commands() -> None:
    """`clearlib --help` names the data group; `clearlib data --help` its three commands."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "data" in result.stdout
    result = runner.invoke(app, ["data", "--help"])
    assert result.exit_code == 0
    for command in ("synth", "profile", "validate"):
        assert command in result.stdout


def test_python_dash_m_runs_the_command() -> None:
    """`python -m clearlib` is the same command, for when .venv/bin is not on PATH."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "clearlib", "course", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "validate" in run.stdout and "setup-check" in run.stdout


@pytest.mark.parametrize(
    ("command", "phrases"),
    [
        ("synth", ["Generate a synthetic PCN dataset", "clearlib data synth default", "--messy"]),
        ("profile", ["how realistic", "clearlib data profile default"]),
        ("validate", ["Check your PCN's extract", "clearlib data validate extract/", "--report"]),
    ],
)
def test_each_command_explains_itself_with_an_example(command: str, phrases: list[str]) -> None:
    """Each command's help says what it is for and shows a command to copy."""
    result = runner.invoke(app, ["data", command, "--help"], terminal_width=120)
    assert result.exit_code == 0
    for phrase in phrases:
        assert phrase in result.stdout, phrase


def test_version_prints_the_package_version() -> None:
    """`clearlib --version` prints `clearlib X.Y.Z` and exits 0."""
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"clearlib {clearlib.__version__}\n"


# ---------------------------------------------------------------------------------------------
# synth
# ---------------------------------------------------------------------------------------------
def test_synth_writes_a_dataset_and_summarises_it(one_pcn_spec: Path, tmp_path: Path) -> None:
    """synth on a small spec: exit 0, manifest written, row counts and folder printed."""
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["data", "synth", str(one_pcn_spec), "--out", str(out), "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert manifest["pcns"] == {"SYN-PCN01": ["SYN-G001", "SYN-G002"]}
    assert "Written to" in result.stdout
    assert f'clearlib.data.read_dataset(r"{out}")' in result.stdout
    assert f"{manifest['tables']['patients']['rows']:,}" in result.stdout


def test_synth_format_csv_adds_csv_files(one_pcn_spec: Path, tmp_path: Path) -> None:
    """--format CSV (any case) writes csv/<table>.csv beside the Parquet files."""
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["data", "synth", str(one_pcn_spec), "--out", str(out), "--format", "CSV"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "csv" / "patients.csv").is_file()
    assert (out / "patients" / "SYN-G001.parquet").is_file()


def test_unknown_spec_prints_the_error_without_traceback(data_dir: Path) -> None:
    """An expected error: `SpecError: ...` on stderr, exit 1, no traceback, nothing written."""
    result = runner.invoke(app, ["data", "synth", "nosuch"])
    assert result.exit_code == 1
    assert result.stderr.startswith("SpecError: no population spec 'nosuch'")
    assert "default" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not data_dir.exists()


def test_out_folder_of_other_files_is_refused(one_pcn_spec: Path, tmp_path: Path) -> None:
    """--out pointing at a folder of someone's files: `ConfigError: ...`, exit 1."""
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["data", "synth", str(one_pcn_spec), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("ConfigError: ")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_messy_writes_an_export_and_points_at_the_answer_key(
    one_pcn_spec: Path, data_dir: Path, tmp_path: Path
) -> None:
    """--messy: the messy CSV export is written and the answer key's path printed."""
    out = tmp_path / "messy"
    result = runner.invoke(app, ["data", "synth", str(one_pcn_spec), "--messy", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "patients.csv").is_file()
    assert str(out / "answer_key.csv") in result.stdout.replace("\n", "")
    assert (data_dir / "tiny1" / "manifest.json").is_file()  # the clean dataset it came from


# ---------------------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------------------
class _FakeReport:
    def __init__(self, ok: bool) -> None:
        self.ok = ok
        self.saved_to: Path | None = None

    def render(self, console) -> None:
        console.print("clean" if self.ok else "3 problems")

    def to_csv(self, folder) -> Path:
        self.saved_to = Path(folder)
        return self.saved_to


@pytest.mark.parametrize(("ok", "code"), [(True, 0), (False, 1)])
def test_validate_exit_code_follows_the_report(
    ok: bool, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate exits 0 for a clean extract and 1 when it has problems, report printed."""
    report = _FakeReport(ok)
    monkeypatch.setattr(clearlib.data, "validate", lambda path: report, raising=False)
    result = runner.invoke(app, ["data", "validate", str(tmp_path)])
    assert result.exit_code == code
    assert ("clean" if ok else "3 problems") in result.stdout


def test_validate_report_option_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--report FOLDER hands the folder to the report's to_csv and says where it went."""
    report = _FakeReport(False)
    monkeypatch.setattr(clearlib.data, "validate", lambda path: report, raising=False)
    result = runner.invoke(
        app, ["data", "validate", str(tmp_path), "--report", str(tmp_path / "rep")]
    )
    assert result.exit_code == 1
    assert report.saved_to == tmp_path / "rep"
    assert "Report written to" in result.stdout


def test_validate_a_broken_extract_exits_1(tmp_path: Path) -> None:
    """A practices.csv with IMD decile 11 (allowed 1-10) is an extract with problems."""
    (tmp_path / "practices.csv").write_text(
        "practice_code,pcn_code,name,list_size,imd_decile,rurality,clinical_system,care_home_beds\n"
        "SYN-G001,SYN-PCN01,Riverside,3,11,urban,EMIS Web,0\n"
    )
    result = runner.invoke(app, ["data", "validate", str(tmp_path)])
    assert result.exit_code == 1, result.output


def test_validate_the_csv_export_of_a_generated_dataset_exits_0(
    one_pcn_spec: Path, tmp_path: Path
) -> None:
    """The CSV files clearlib writes pass clearlib's own validation."""
    out = tmp_path / "out"
    runner.invoke(app, ["data", "synth", str(one_pcn_spec), "--out", str(out), "-f", "csv"])
    result = runner.invoke(app, ["data", "validate", str(out / "csv")])
    assert result.exit_code == 0, result.output


def test_validate_of_a_missing_folder_is_an_expected_error(tmp_path: Path) -> None:
    """A path that does not exist: `DataError: ...`, exit 1, no traceback."""
    result = runner.invoke(app, ["data", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.startswith("DataError: ")
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------------------------
class _FakeProfile:
    all_within_tolerance = False

    def render(self, console) -> None:
        console.print("realism profile")


@pytest.mark.parametrize(("args", "code"), [([], 0), (["--strict"], 1)])
def test_profile_of_a_dataset_folder(
    args: list[str], code: int, one_pcn_spec: Path, tmp_path: Path, monkeypatch
) -> None:
    """profile PATH reads that folder and prints the profile; --strict fails off-target."""
    out = tmp_path / "out"
    runner.invoke(app, ["data", "synth", str(one_pcn_spec), "--out", str(out)])
    seen = []

    def fake_profile(bundle):
        seen.append(bundle)
        return _FakeProfile()

    monkeypatch.setattr(clearlib.data, "profile", fake_profile, raising=False)
    result = runner.invoke(app, ["data", "profile", str(out), *args])
    assert result.exit_code == code, result.output
    assert "realism profile" in result.stdout
    assert seen[0].manifest["name"] == "tiny1"
    assert len(seen[0].practices) == 2
