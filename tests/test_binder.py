"""Binder: the pinned environment installs, postBuild sets up the course, lesson 1 runs in it.

The slow test rebuilds what repo2docker builds, without Docker: a fresh virtual environment,
``pip install -r binder/requirements.txt``, ``binder/postBuild`` in a copy of the repository,
then the first lesson executed with that environment's kernel and the learner's setup check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
FIRST_LESSON = Path("modules/01-getting-started/01.01-Notebooks-And-PCN-Data.ipynb")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_name(name)] = version
    return pins


def test_every_dependency_is_pinned_for_binder() -> None:
    """Each of pyproject's dependencies has an exact pin in binder/requirements.txt."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {_name(r) for r in project["dependencies"]}
    pins = _pins()
    assert needed <= set(pins), f"pin these in binder/requirements.txt: {needed - set(pins)}"
    assert all(re.fullmatch(r"\d+(\.\d+)*", v) for v in pins.values()), pins


def test_binder_runtime_and_post_build() -> None:
    """Python 3.11 (the project's minimum); postBuild installs clearlib and makes the data."""
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert "python -m pip install --no-cache-dir -e ." in text
    assert "clearlib data synth default" in text
    assert "clearlib demo --no-serve --runs-dir runs" in text  # the dashboard Binder opens


def _copy_repository(target: Path) -> None:
    """The files a clone would have (tracked or new, never ignored), as Binder sees them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if src.is_file():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int) -> str:
    run = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert run.returncode == 0, (
        f"{' '.join(args)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    )
    return run.stdout


@pytest.mark.slow
def test_binder_environment_runs_the_first_lesson(tmp_path: Path) -> None:
    """Install binder/, run postBuild, then lesson 1 and the setup check pass in that environment."""
    lesson_exists = (REPO / FIRST_LESSON).is_file()
    if not lesson_exists and os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{FIRST_LESSON} is missing: Binder's badge opens it.")
    venv = tmp_path / "venv"
    repo = tmp_path / "repo"
    _copy_repository(repo)
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "CLEAR_DATA_DIR", "CLEAR_COURSE_DIR"}
    }
    env = {
        **base,
        "VIRTUAL_ENV": str(venv),
        "PATH": str(venv / "bin") + os.pathsep + base.get("PATH", ""),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"),
    }
    python = str(venv / "bin" / "python")
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env, 120)
    _run(
        [python, "-m", "pip", "install", "-q", "-r", str(repo / "binder" / "requirements.txt")],
        repo,
        env,
        600,
    )
    _run(["bash", "binder/postBuild"], repo, env, 600)
    assert (repo / "datasets" / "synthetic" / "default" / "manifest.json").is_file()

    check = subprocess.run(
        [str(venv / "bin" / "clearlib"), "course", "setup-check"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Everything works." in check.stdout

    if not lesson_exists:
        pytest.skip(f"{FIRST_LESSON} is not written yet")
    script = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "NotebookClient(nb, timeout=120, kernel_name='python3',\n"
        "               resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        # an exercise's check fails until the learner does the exercise (tagged raises-exception,
        # and it says so in its first line): every other cell must run without an error
        "def is_check(c):\n"
        "    return ('raises-exception' in c.metadata.get('tags', [])\n"
        "            or c.source.startswith('# Check your answer'))\n"
        "errors = [o for c in nb.cells if c.cell_type == 'code' and not is_check(c)\n"
        "          for o in c.outputs if o.output_type == 'error']\n"
        "assert not errors, errors\n"
        "print('lesson ran:', sum(c.cell_type == 'code' for c in nb.cells), 'code cells')\n"
    )
    lesson = repo / FIRST_LESSON
    out = _run([python, "-c", script, str(lesson), str(lesson.parent)], repo, env, 600)
    assert "lesson ran:" in out

    # The Binder dashboard link (voila/render/runs/sponsor-dashboard/sponsor.ipynb) opens a
    # dashboard made by postBuild's demo: its notebook runs from that folder without an error.
    dashboard = repo / "runs" / "sponsor-dashboard" / "sponsor.ipynb"
    assert (dashboard.parent / "run" / "summary.json").is_file()
    assert not list(dashboard.parent.rglob("notebook.ipynb"))  # never the executed workbook
    out = _run([python, "-c", script, str(dashboard), str(dashboard.parent)], repo, env, 600)
    assert "lesson ran:" in out
