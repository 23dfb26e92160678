"""Every shipped notebook: named by the convention, committed clean, and executes top to bottom.

A lesson's exercise is a code cell tagged ``exercise`` (the learner's starting code), a check
cell tagged ``raises-exception`` (asserts that stop with what to fix; the tag lets "Run All" go
on past an exercise not yet done) and a collapsed answer (``<details>`` with a fenced Python
block). A lesson executes here with each exercise replaced by its answer, so the answer is
checked to pass its own check.

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


_FENCE = re.compile(r"```python\n(.*?)```", re.S)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _exercises(cells) -> list[tuple[int, int | None, str | None]]:
    """Each exercise cell: (its index, its check cell's index, its answer's code), None if missing."""
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or "exercise" not in _tags(cell):
            continue
        later = list(enumerate(cells))[i + 1 :]
        check = next(
            (
                j
                for j, c in later[:2]
                if c["cell_type"] == "code" and "assert" in "".join(c["source"])
            ),
            None,
        )
        details = next(
            ("".join(c["source"]) for _, c in later[:3] if "<details>" in "".join(c["source"])),
            "",
        )
        answer = _FENCE.search(details)
        found.append((i, check, answer.group(1) if answer else None))
    return found


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
    for i, _, answer in _exercises(nb.cells):
        nb.cells[i].source = answer or nb.cells[i].source
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


@pytest.mark.parametrize("path", _lessons(), ids=lambda p: p.relative_to(REPO_DIR).as_posix())
def test_every_exercise_has_a_check_and_an_answer(path: Path) -> None:
    """An exercise cell is followed by its check (asserts, tagged raises-exception) and answer."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    bad = []
    for i, check, answer in _exercises(cells):
        if check is None or "raises-exception" not in _tags(cells[check]):
            bad.append(f"cell {i}: no check cell (asserts, tagged raises-exception) right after it")
        if answer is None:
            bad.append(f"cell {i}: no <details> answer with a ```python block after its check")
    exercises = {i for i, _, _ in _exercises(cells)}
    for j, cell in enumerate(cells):
        if "raises-exception" in _tags(cell) and not exercises & {j - 1, j - 2}:
            bad.append(f"cell {j}: may raise, but is not the check of an exercise cell just above")
    assert not bad, f"{path.name}: " + "; ".join(bad)


def test_the_first_code_cell_of_the_course_is_short_and_explained() -> None:
    """01.01's first code cell has at most 5 lines of code, and the text above it explains them."""
    first = next(p for p in _lessons() if p.name.startswith("01.01"))
    cells = json.loads(first.read_text(encoding="utf-8"))["cells"]
    i = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    code = [
        line
        for line in "".join(cells[i]["source"]).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(code) <= 5, f"01.01's first code cell has {len(code)} lines of code: {code}"
    above = "".join(cells[i - 1]["source"])
    assert cells[i - 1]["cell_type"] == "markdown" and all(
        word in above for word in ("comment", "import", "`for`")
    ), "the cell above 01.01's first code cell should say what each of its lines does"
