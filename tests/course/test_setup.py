"""A learner's "check my setup", and `nbgrader validate` on every assignment's learner version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clearlib.course._setup as setup_impl
from clearlib.course import (
    check_setup,
    course_dir,
    generate_release,
    list_assignments,
    read_assignment,
)
from clearlib.course._cli import course_app

FIXTURE = Path(__file__).parent / "fixtures_check"
NAMES = [
    "Python version",
    "Package clearlib",
    "Package pandas",
    "Package numpy",
    "Package pyarrow",
    "Package plotly",
    "Package scikit-learn",
    "Package scipy",
    "Package ipywidgets",
    "Package nbformat",
    "Dataset 'default'",
    "Your folder",
    "JupyterLab",
    "Python kernel",
    "nbgrader validate",
]


def _by_name(checks: list) -> dict:
    return {c.name: c for c in checks}


def test_setup_of_this_environment_works(default_pcn, tmp_path: Path) -> None:
    """Here (the project's own environment, dataset made) every one of the 15 checks passes."""
    checks = check_setup(folder=tmp_path)
    assert [c.name for c in checks] == NAMES
    assert all(c.ok for c in checks), "\n".join(str(c) for c in checks)
    assert all(c.fix == "" for c in checks)
    dataset = _by_name(checks)["Dataset 'default'"].detail
    assert dataset.startswith(f"loads: {len(default_pcn.practices)} practices")
    assert list(tmp_path.iterdir()) == []  # the folder check cleans up after itself


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A package that cannot be imported fails its check, with the pip command to run."""
    monkeypatch.setattr(setup_impl, "PACKAGES", {"clear_no_such_pkg": "clear-no-such-pkg"})
    check = _by_name(check_setup(folder=tmp_path))["Package clear-no-such-pkg"]
    assert not check.ok
    assert check.detail.startswith("cannot be imported (ModuleNotFoundError")
    assert "python -m pip install -e ." in check.fix


def test_old_python_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Below the minimum version, the check names both versions and what to install."""
    monkeypatch.setattr(setup_impl, "MIN_PYTHON", (99, 1))
    check = check_setup(folder=tmp_path)[0]
    assert not check.ok
    assert check.detail.endswith("the course needs 99.1 or newer")
    assert check.fix.startswith("Install Python 99.1 or newer")


def test_dataset_not_made_yet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With no dataset in the data folder, the learner is told the command that makes it."""
    monkeypatch.setenv("CLEAR_DATA_DIR", str(tmp_path / "data"))
    check = _by_name(check_setup(folder=tmp_path))["Dataset 'default'"]
    assert not check.ok
    assert check.detail.startswith("not made yet")
    assert "clearlib data synth default" in check.fix
    assert not (tmp_path / "data" / "default").exists()  # looking never generates


def test_folder_that_cannot_be_written(tmp_path: Path) -> None:
    """A folder that cannot be made (its parent is a file) fails with advice on where to work."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    check = _by_name(check_setup(folder=blocker / "work"))["Your folder"]
    assert not check.ok
    assert "cannot save work" in check.detail
    assert "folder you own" in check.fix


def test_cli_setup_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`clearlib course setup-check` exits 1 and says what to do when a check fails."""
    monkeypatch.setattr(setup_impl, "MIN_PYTHON", (99, 1))
    result = CliRunner().invoke(course_app, ["setup-check", "--folder", str(tmp_path)])
    assert result.exit_code == 1
    assert "What to do: Install Python 99.1 or newer" in result.output
    assert "to fix before the course will work" in result.output


COURSE_ASSIGNMENTS = [(course_dir(), name) for name in list_assignments(course_dir())]


def _validate(notebook: Path) -> str:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    run = subprocess.run(
        [str(Path(bindir) / "nbgrader"), "validate", notebook.name],
        cwd=notebook.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout + run.stderr


@pytest.mark.parametrize(
    ("course", "assignment"),
    [(FIXTURE, "01-tiny-list-sizes"), *COURSE_ASSIGNMENTS],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_nbgrader_validate_works_on_the_learner_version(
    course: Path, assignment: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`nbgrader validate` runs on the released notebook: every test and blank answer fails.

    nbgrader counts a written answer left as released ("YOUR ANSWER HERE") as failed too.
    """
    info = read_assignment(assignment, course=course)
    if any("load_pcn" in p.read_text(encoding="utf-8") for p in info.notebooks):
        request.getfixturevalue("default_pcn")  # the dataset exists before the kernels start
    release = generate_release(assignment, tmp_path, course_dir=course)
    for notebook in sorted(release.glob("*.ipynb")):
        graded = [c for c in info.cells if c.notebook == notebook.stem and c.kind != "task"]
        output = _validate(notebook)
        assert f"VALIDATION FAILED ON {len(graded)} CELL(S)!" in output, output


def test_nbgrader_validate_passes_the_model_solution(tmp_path: Path) -> None:
    """On the fixture's model solution, `nbgrader validate` says every test passes."""
    source = FIXTURE / "source" / "01-tiny-list-sizes" / "01-tiny-list-sizes.ipynb"
    copy = tmp_path / source.name
    copy.write_bytes(source.read_bytes())
    assert "Success! Your notebook passes all the tests." in _validate(copy)
