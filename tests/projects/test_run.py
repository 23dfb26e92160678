"""Tests of one project run: the run folder, its manifest, failures, time limits, parameters."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import papermill
import pytest

import clearlib.projects
from clearlib import ConfigError
from clearlib.projects import RunError, RunResult
from clearlib.projects._manifest import describe_cell, input_checksum
from clearlib.projects._params import parse_value
from clearlib.projects._run import make_run_id, reserve

NOTEBOOKS = Path(__file__).parent / "notebooks"
WRITES_SUMMARY = NOTEBOOKS / "writes_summary.ipynb"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, RunResult, Path]:
    """The same template, data and parameters run twice (the data folder has two files)."""
    base = tmp_path_factory.mktemp("twice")
    data = base / "extract"
    data.mkdir()
    (data / "patients.csv").write_text("patient_id\nSYN-1\n", encoding="utf-8")
    (data / "staff.csv").write_text("staff_id\nSYN-S1\n", encoding="utf-8")
    params = {"pcn_code": "SYN-PCN01", "scale": 2, "scenario_files": ["cheapest_mix"]}
    first = clearlib.projects.run(WRITES_SUMMARY, params, data=data, runs_dir=base / "runs")
    second = clearlib.projects.run(WRITES_SUMMARY, params, data=data, runs_dir=base / "runs")
    return first, second, data


# ---------------------------------------------------------------------------------------------
# A run that succeeds
# ---------------------------------------------------------------------------------------------
def test_run_folder_is_complete_and_nothing_partial_remains(two_runs) -> None:
    """A run folder holds the executed notebook, manifest, summary and aggregates; no .partial."""
    first, second, _ = two_runs
    assert first.ok and first.status == "succeeded"
    assert first.run_id != second.run_id
    names = sorted(p.name for p in first.folder.iterdir())
    assert names == ["aggregates", "manifest.json", "notebook.ipynb", "run.log", "summary.json"]
    assert not list(first.folder.parent.glob(".*.partial"))
    assert first.summary["headline"] == {"cohort_size": 20, "cohort_wte": 2.5}


def test_run_id_names_template_pcn_time_and_parameters(two_runs) -> None:
    """The default id is <stem>-<pcn>-<UTC yyyymmddTHHMMSS>-<6 hex>, and a clash gets -2."""
    first, second, _ = two_runs
    stem, pcn = "writes_summary", "SYN-PCN01"
    assert first.run_id.startswith(f"{stem}-{pcn}-")
    stamp, digest = first.run_id[len(f"{stem}-{pcn}-") :].split("-")[:2]
    assert datetime.strptime(stamp, "%Y%m%dT%H%M%S")
    assert len(digest) == 6 and int(digest, 16) >= 0
    # the same parameters give the same hash; in the same second the id is told apart with -2
    if second.run_id.startswith(first.run_id):
        assert second.run_id == first.run_id + "-2"
    else:
        assert second.run_id.split("-")[-1] == digest


def test_manifest_records_parameters_input_versions_and_timings(two_runs) -> None:
    """manifest.json: parameters as passed and defaults, input and template SHA-256, versions,
    start/end/duration, kernel start, status."""
    first, _, data = two_runs
    m = json.loads((first.folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["schema_version"] == 1 and m["run_id"] == first.run_id
    assert m["status"] == "succeeded" and m["message"] == "" and m["failure"] is None
    assert m["parameters"]["passed"] == {
        "pcn_code": "SYN-PCN01",
        "scale": 2,
        "scenario_files": ["cheapest_mix"],
        "data_source": str(data.resolve()),
    }
    assert m["parameters"]["defaults"] == {
        "data_source": "",
        "pcn_code": "",
        "scale": 1.0,
        "scenario_files": ["proactive_care"],
        "behaviour": "succeed",
        "output_dir": ".",
    }
    assert m["parameters"]["effective"]["behaviour"] == "succeed"
    # the input: one SHA-256 over "<name>\t<sha256>\n" of each file, sorted by name
    lines = "".join(
        f"{name}\t{hashlib.sha256((data / name).read_bytes()).hexdigest()}\n"
        for name in ("patients.csv", "staff.csv")
    )
    assert m["input"] == {
        "data_source": str(data.resolve()),
        "kind": "folder",
        "path": str(data.resolve()),
        "sha256": hashlib.sha256(lines.encode()).hexdigest(),
        "files": 2,
        "checksums_from": "file contents",
    }
    assert m["template"]["sha256"] == hashlib.sha256(WRITES_SUMMARY.read_bytes()).hexdigest()
    env = m["environment"]
    for name in ("clearlib", "python", "pandas", "numpy", "plotly", "papermill", "nbclient"):
        assert env[name], name
    assert env["scikit-learn"] and env["clearlib"] == clearlib.__version__
    timing = m["timing"]
    started = datetime.fromisoformat(timing["started"])
    finished = datetime.fromisoformat(timing["finished"])
    assert started <= finished and started.tzinfo is not None
    assert 0 < timing["kernel_start_s"] < timing["duration_s"]
    assert m["execution"]["kernel_name"] == "python3"
    assert m["execution"]["timeout_per_cell_s"] == 600
    # 4 code cells + the injected parameters cell, each at its limit, plus two minutes
    assert m["execution"]["kill_after_s"] == 600 * 5 + 120


def test_same_input_and_parameters_give_identical_outputs(two_runs) -> None:
    """Two runs with the same input and parameters write byte-identical aggregates and summary."""
    first, second, _ = two_runs
    for rel in ("aggregates/counts.csv", "summary.json"):
        assert (first.folder / rel).read_bytes() == (second.folder / rel).read_bytes(), rel
    assert first.manifest["input"]["sha256"] == second.manifest["input"]["sha256"]


def test_output_dir_is_the_folder_being_assembled(two_runs) -> None:
    """The notebook is given the run's .partial folder (absolute), renamed when it ends."""
    first, _, _ = two_runs
    effective = first.manifest["parameters"]["effective"]
    assert effective["output_dir"] == str(first.folder.parent / f".{first.run_id}.partial")
    assert RunResult.from_folder(first.folder).manifest == first.manifest


# ---------------------------------------------------------------------------------------------
# Runs that fail
# ---------------------------------------------------------------------------------------------
def test_failing_cell_is_named_and_the_notebook_kept(in_tmp: Path) -> None:
    """A ValueError in cell 3 under "Build the cohort": RunError names both; folder renamed, failed."""
    with pytest.raises(RunError) as caught:
        clearlib.projects.run(NOTEBOOKS / "fails_in_cell_3.ipynb", run_id="cohort-fails")
    assert str(caught.value) == (
        'Run cohort-fails failed in cell 3 ("Build the cohort"): ValueError: no patients at '
        "the index date. The executed notebook is at runs/cohort-fails/notebook.ipynb."
    )
    result = caught.value.result
    assert result.status == "failed" and not result.ok
    folder = in_tmp / "runs" / "cohort-fails"
    assert result.folder == folder and (folder / "notebook.ipynb").is_file()
    assert not (in_tmp / "runs" / ".cohort-fails.partial").exists()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed"
    failure = manifest["failure"]
    assert failure["reason"] == "exception" and failure["cell"] == 3
    assert failure["heading"] == "Build the cohort" and failure["first_line"] == "cohort = []"
    assert failure["exception"] == "ValueError"
    assert failure["message"] == "no patients at the index date"


def test_cell_over_its_time_limit_is_timed_out(in_tmp: Path, kernel_mark) -> None:
    """A cell sleeping past `timeout` stops the run: status timed_out, the cell named."""
    with pytest.raises(RunError) as caught:
        clearlib.projects.run(NOTEBOOKS / "hangs.ipynb", run_id="hangs", timeout=2)
    assert str(caught.value).startswith(
        'Run hangs timed out in cell 3 ("Wait for ever"): the cell ran longer than the limit '
        "of 2 s per cell"
    )
    assert caught.value.result.status == "timed_out"
    assert caught.value.result.manifest["failure"]["reason"] == "cell_timeout"
    assert kernel_mark() == []


def test_a_run_killed_midway_leaves_only_a_partial_folder(in_tmp: Path, kernel_mark) -> None:
    """Killing the process running a run leaves .<id>.partial, never a complete-looking folder;
    the run's kernel stops too."""
    code = (
        "import clearlib.projects\n"
        f"clearlib.projects.run(r'{NOTEBOOKS / 'hangs.ipynb'}', run_id='cut', timeout=120)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=in_tmp)
    partial = in_tmp / "runs" / ".cut.partial"
    deadline = time.monotonic() + 300  # a bound for a very busy machine, not a timing
    while not kernel_mark() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert kernel_mark(), "the run's kernel never started"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert partial.is_dir()
    assert not (in_tmp / "runs" / "cut").exists()
    manifest = json.loads((partial / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "running"
    deadline = time.monotonic() + 30  # the run's process notices within a second or two
    while kernel_mark() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert kernel_mark() == []


# ---------------------------------------------------------------------------------------------
# Parameters (no kernel needed)
# ---------------------------------------------------------------------------------------------
def test_fixture_parameters_are_what_papermill_inspects() -> None:
    """template_parameters agrees with papermill.inspect_notebook: names, order, defaults."""
    declared = clearlib.projects.template_parameters(WRITES_SUMMARY)
    inspected = papermill.inspect_notebook(str(WRITES_SUMMARY))
    assert list(declared) == list(inspected)
    assert [p.default_source for p in declared.values()] == [
        p["default"] for p in inspected.values()
    ]
    assert [p.type_name for p in declared.values()] == ["str", "str", "float", "list", "str", "str"]


def test_unknown_parameter_is_rejected_naming_the_known_ones(in_tmp: Path) -> None:
    """An unknown name is a ConfigError listing the template's parameters; nothing is written."""
    with pytest.raises(ConfigError) as caught:
        clearlib.projects.run(WRITES_SUMMARY, {"pcn": "SYN-PCN01"})
    message = str(caught.value)
    assert message.startswith("writes_summary.ipynb has no parameter 'pcn'; its parameters are: ")
    assert "data_source, pcn_code, scale, scenario_files, behaviour, output_dir" in message
    assert not (in_tmp / "runs").exists()


def test_wrong_type_is_rejected_with_the_default_as_example() -> None:
    """scale is a float: a text is refused, naming the default 1.0; a whole number is accepted."""
    with pytest.raises(ConfigError, match=r"scale .* expects a float \(its default is 1.0\)"):
        clearlib.projects.check_parameters(WRITES_SUMMARY, {"scale": "big"})
    assert clearlib.projects.check_parameters(WRITES_SUMMARY, {"scale": 2}) == {"scale": 2}


def test_template_without_parameters_cell_is_rejected() -> None:
    """A notebook with no cell tagged 'parameters' is a ConfigError saying how to tag one."""
    with pytest.raises(ConfigError, match="has no cell tagged 'parameters'"):
        clearlib.projects.run(NOTEBOOKS / "no_parameters.ipynb")


def test_missing_template_is_a_config_error() -> None:
    """A template path that does not exist is a ConfigError naming it."""
    with pytest.raises(ConfigError, match=r"No template at nosuch\.ipynb"):
        clearlib.projects.template_parameters("nosuch.ipynb")


def test_key_value_texts_are_read_for_each_parameters_type() -> None:
    """-p texts: text parameters stay text (dates too), numbers and lists are parsed."""
    parsed = clearlib.projects.parse_parameters(
        WRITES_SUMMARY,
        ["pcn_code=2024", "scale=0.5", "scenario_files=proactive_care,cheapest_mix"],
    )
    assert parsed == {
        "pcn_code": "2024",
        "scale": 0.5,
        "scenario_files": ["proactive_care", "cheapest_mix"],
    }
    assert parse_value("[a, 1]", "list") == ["a", 1]
    assert parse_value("2024-04-01") == "2024-04-01"  # no dates, as papermill -y
    with pytest.raises(ConfigError, match="name=value"):
        clearlib.projects.parse_parameters(WRITES_SUMMARY, ["scale"])
    with pytest.raises(ConfigError, match="has no parameter 'colour'"):
        clearlib.projects.parse_parameters(WRITES_SUMMARY, ["colour=red"])


def test_run_id_is_made_unique_and_a_given_id_must_be_free(tmp_path: Path) -> None:
    """reserve() adds -2, -3 to a default id that is taken; a given id that is taken is an error."""
    when = datetime(2026, 12, 6, 23, 15, 0, tzinfo=UTC)
    run_id = make_run_id(WRITES_SUMMARY, {"pcn_code": "", "scale": 1.0}, when)
    assert run_id.startswith("writes_summary-all-20261206T231500-")
    assert reserve(tmp_path, run_id, exact=False) == run_id
    assert reserve(tmp_path, run_id, exact=False) == run_id + "-2"
    assert (tmp_path / f".{run_id}-2.partial").is_dir()
    with pytest.raises(ConfigError, match="already exists"):
        reserve(tmp_path, run_id, exact=True)


def test_a_generated_dataset_is_identified_by_its_manifest_checksums(tmp_path: Path) -> None:
    """A dataset folder's checksum comes from its manifest's file checksums, not re-hashing."""
    (tmp_path / "practices.parquet").write_bytes(b"not read")
    files = {"practices.parquet": {"sha256": "a" * 64}, "staff.parquet": {"sha256": "b" * 64}}
    (tmp_path / "manifest.json").write_text(json.dumps({"name": "x", "files": files}))
    info = input_checksum(tmp_path)
    expected = f"practices.parquet\t{'a' * 64}\nstaff.parquet\t{'b' * 64}\n"
    assert info["kind"] == "dataset folder" and info["checksums_from"] == "dataset manifest"
    assert info["sha256"] == hashlib.sha256(expected.encode()).hexdigest()
    assert info["files"] == 2
    assert input_checksum(None) is None


def test_the_cell_a_run_stopped_in_is_found_by_its_heading() -> None:
    """describe_cell: the marked cell, or the last started; heading above, else first line."""
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "# Title\n## Load the data", "metadata": {}},
            {
                "cell_type": "code",
                "source": "pcn = load()",
                "execution_count": 1,
                "metadata": {"papermill": {"start_time": "t", "exception": False}},
            },
            {
                "cell_type": "code",
                "source": ["# size it\n", "wte = hours / 37.5"],
                "execution_count": None,
                "metadata": {"papermill": {"start_time": "t", "exception": None}},
            },
        ]
    }
    assert describe_cell(nb, "killed") == {
        "cell": 2,
        "cell_index": 2,
        "heading": "Load the data",
        "first_line": "# size it",
    }
    assert describe_cell(nb, "exception") is None
