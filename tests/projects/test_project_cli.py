"""Tests of ``clearlib project run`` and ``clearlib project batch``: output, errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clearlib.projects._cli import project_app

NOTEBOOKS = Path(__file__).parent / "notebooks"
WRITES_SUMMARY = str(NOTEBOOKS / "writes_summary.ipynb")

runner = CliRunner()


def test_project_group_is_mounted_on_the_clearlib_command() -> None:
    """`clearlib project --help` lists run and batch."""
    from clearlib._cli import app

    result = runner.invoke(app, ["project", "--help"])
    assert result.exit_code == 0, result.output
    assert "run" in result.stdout and "batch" in result.stdout


def test_run_prints_headline_figures_and_the_run_folder(in_tmp: Path) -> None:
    """`project run -p ... --run-id` exits 0, prints the headline figures and the folder."""
    result = runner.invoke(
        project_app,
        ["run", WRITES_SUMMARY, "-p", "scale=2", "-p", "pcn_code=SYN-PCN01", "--run-id", "r1"],
        terminal_width=120,
    )
    assert result.exit_code == 0, result.output
    assert "Run r1 succeeded" in result.stdout
    assert "cohort_size" in result.stdout and "20" in result.stdout
    assert "Run folder: runs/r1" in result.stdout
    manifest = json.loads((in_tmp / "runs" / "r1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["passed"] == {"scale": 2.0, "pcn_code": "SYN-PCN01"}


def test_failed_run_prints_run_error_and_exits_1(in_tmp: Path) -> None:
    """A failing cell: `RunError: Run <id> failed in cell 3 ("Build the cohort"): ...` on
    stderr, exit 1, no traceback."""
    template = str(NOTEBOOKS / "fails_in_cell_3.ipynb")
    result = runner.invoke(project_app, ["run", template, "--run-id", "f1"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        'RunError: Run f1 failed in cell 3 ("Build the cohort"): ValueError: no patients at the '
        "index date. The executed notebook is at runs/f1/notebook.ipynb."
    )
    assert "Traceback" not in result.output


def test_unknown_parameter_prints_config_error_naming_the_known_ones(in_tmp: Path) -> None:
    """`-p colour=red`: `ConfigError: ... has no parameter 'colour'; its parameters are: ...`."""
    result = runner.invoke(project_app, ["run", WRITES_SUMMARY, "-p", "colour=red"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "ConfigError: writes_summary.ipynb has no parameter 'colour'; its parameters are: "
        "data_source, pcn_code, scale, scenario_files, behaviour, output_dir."
    )
    assert not (in_tmp / "runs").exists()


def test_batch_prints_a_summary_and_names_failed_runs(in_tmp: Path) -> None:
    """`project batch --over behaviour=succeed,fail`: the table, then RunError naming the
    failed run, exit 1."""
    result = runner.invoke(
        project_app,
        ["batch", WRITES_SUMMARY, "--over", "behaviour=succeed,fail", "--jobs", "2"],
        terminal_width=200,
    )
    assert result.exit_code == 1, result.output
    assert "succeeded" in result.stdout and "failed" in result.stdout
    assert "Batch folder: runs/writes_summary-batch-" in result.stdout
    assert "\nRunError: 1 of 2 runs of writes_summary-batch-" in result.stderr
    assert "ValueError: asked to fail" in result.stderr
    assert "--retry-failed runs/writes_summary-batch-" in result.stderr


def test_batch_needs_values_or_a_batch_to_retry(in_tmp: Path) -> None:
    """No --over and no --retry-failed, or --jobs that is not a number: ConfigError, exit 1."""
    result = runner.invoke(project_app, ["batch", WRITES_SUMMARY])
    assert result.exit_code == 1
    assert result.stderr.startswith("ConfigError: Give --over NAME=V1,V2")
    result = runner.invoke(project_app, ["batch", WRITES_SUMMARY, "--over", "scale=1", "-j", "x"])
    assert result.exit_code == 1
    assert result.stderr.startswith("ConfigError: --jobs takes a whole number or 'dask'")
