"""Every shipped notebook: named by the convention, committed clean, and executes top to bottom.

Lessons execute here; assignments are executed (model and blank release) by
``clearlib course check`` in tests/course. How long each lesson takes is printed by
``benchmarks/bench_notebooks.py``, not asserted here.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from clearlib._config import REPO_DIR

LESSON_NAME = re.compile(
    r"^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*/(\d{2})\.(\d{2})-[A-Z0-9][A-Za-z0-9]*(?:-[A-Z0-9][A-Za-z0-9]*)*\.ipynb$"
)
ASSIGNMENT_NAME = re.compile(
    r"^(\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*)/(\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*)\.ipynb$"
)


def _lessons() -> list[Path]:
    return sorted((REPO_DIR / "modules").glob("*/*.ipynb"))


def _shipped() -> list[Path]:
    """The notebooks a clone holds: tracked or new, never git-ignored (runs/, checkpoints)."""
    roots = ("modules", "course/source", "templates")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *roots],
        cwd=REPO_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(
        REPO_DIR / rel
        for rel in filter(None, listed.split("\0"))
        if rel.endswith(".ipynb") and (REPO_DIR / rel).is_file()
    )


def test_lessons_exist_for_the_weeks_built() -> None:
    """There are lessons: an empty modules/ folder would make the execution test vacuous."""
    assert _lessons(), "no lessons found under modules/"


def test_lesson_names_follow_the_convention() -> None:
    """modules/NN-slug/NN.MM-Title-Words.ipynb, with NN the same in folder and file."""
    bad = []
    for path in _lessons():
        rel = path.relative_to(REPO_DIR / "modules").as_posix()
        m = LESSON_NAME.match(rel)
        if not m or m.group(1) != m.group(2):
            bad.append(rel)
    assert not bad, f"lesson names should be NN-slug/NN.MM-Title-Words.ipynb: {bad}"


def test_assignment_names_follow_the_convention() -> None:
    """course/source/NN-slug/NN-slug.ipynb: one notebook named for its folder."""
    bad = []
    for path in sorted((REPO_DIR / "course" / "source").glob("*/*.ipynb")):
        rel = path.relative_to(REPO_DIR / "course" / "source").as_posix()
        m = ASSIGNMENT_NAME.match(rel)
        if not m or m.group(1) != m.group(2):
            bad.append(rel)
    assert not bad, f"assignments should be NN-slug/NN-slug.ipynb: {bad}"


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.relative_to(REPO_DIR).as_posix())
def test_notebook_is_committed_clean(path: Path) -> None:
    """No outputs and no execution counts in a committed notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"cells {dirty} carry outputs; clear them before committing"


@pytest.mark.slow
@pytest.mark.usefixtures("default_pcn")  # the dataset is generated once, before any lesson
@pytest.mark.parametrize("path", _lessons(), ids=lambda p: p.relative_to(REPO_DIR).as_posix())
def test_lesson_executes(path: Path) -> None:
    """The lesson runs top to bottom without an error, in its own folder."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("output_type") == "error"
    ]
    assert not errors
