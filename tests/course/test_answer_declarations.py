"""Every graded test cell of every assignment declares the learner's values it reads.

The trusted grader runs a test cell away from the learner's kernel, on the answers its
``# answers: name: kind`` line declares (exported as data) and on what the locked set-up cells
define. A test that reads anything else would fail for everyone; a declaration that names a
set-up value would let a learner replace the data the test compares with. Static checks only:
no kernel runs here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from clearlib.course._answers import KINDS, names_defined, parse_answers, undeclared_names

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "course" / "fixtures_check" / "source" / "01-tiny-list-sizes"
NOTEBOOKS = [
    *sorted((REPO / "course" / "source").glob("[0-9][0-9]-*/[0-9][0-9]-*.ipynb")),
    REPO / "tests" / "course" / "fixtures" / "assignment" / "00-fixture.ipynb",
    TINY / "01-tiny-list-sizes.ipynb",
]
#: Set-up values a question asks the learner to change, and that its test therefore reads from
#: the learner's work (week 01 Question 2 appends to the given list; its hidden test checks the
#: given part is unchanged).
CHANGED_BY_THE_LEARNER = {("01-getting-started", "visits")}
_LINE = re.compile(r"^\s*#\s*answers\s*:", re.IGNORECASE)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _cells(path: Path) -> tuple[list, set[str], set[str]]:
    """(graded test cells, names the locked set-up cells define, names the answers bind)."""
    nb = nbformat.read(path, as_version=4)
    tests, setup, answered = [], set(), set()
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type != "code":
            continue
        if meta.get("grade") and not meta.get("solution"):
            tests.append(cell)
        elif meta.get("solution") and not meta.get("grade"):
            answered |= names_defined(cell.source)
        elif meta.get("locked"):
            setup |= names_defined(cell.source)
    return tests, setup, answered


def _declared(cell) -> list[str]:
    """The names on the cell's '# answers:' line (whatever their kinds)."""
    line = next((x for x in cell.source.splitlines() if _LINE.match(x)), "")
    body = line.split(":", 1)[1].strip() if line else "none"
    return [] if body.lower() == "none" else [i.split(":")[0].strip() for i in body.split(",")]


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def notebook(request) -> Path:
    return request.param


def test_the_assignments_are_all_here() -> None:
    """The twelve weeks and the two fixture assignments are checked, 90 graded test cells."""
    assert len(NOTEBOOKS) == 14 and all(p.exists() for p in NOTEBOOKS)
    assert sum(len(_cells(p)[0]) for p in NOTEBOOKS) >= 90


def test_each_test_declares_what_it_reads_with_known_kinds(notebook: Path) -> None:
    """Each graded test cell has one '# answers:' line of known kinds and reads nothing else
    (no name that is neither declared, defined by the cell, nor defined by a set-up cell)."""
    tests, setup, _ = _cells(notebook)
    problems = []
    for cell in tests:
        where = _meta(cell)["grade_id"]
        try:
            answers = parse_answers(cell.source)
        except Exception as exc:  # AnswerDeclarationError: the message says what is wrong
            problems.append(f"{where}: {exc}")
            continue
        unknown = [a.kind for a in answers if a.kind not in KINDS]
        extra = undeclared_names(cell.source, setup)
        if unknown or extra:
            problems.append(f"{where}: unknown kinds {unknown}, undeclared names {extra}")
    assert not problems, "\n".join(problems)


def test_the_line_comes_right_after_the_docstring(notebook: Path) -> None:
    """The declaration is the line right after the test's docstring (first, without one)."""
    for cell in _cells(notebook)[0]:
        lines = cell.source.splitlines()
        tree = ast.parse(cell.source)
        first = tree.body[0] if tree.body else None
        has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        at = first.end_lineno if has_doc else 0
        assert _LINE.match(lines[at]), (
            f"{_meta(cell)['grade_id']}: line {at + 1} should be '# answers: ...'; it is "
            f"{lines[at]!r}"
        )
        assert sum(bool(_LINE.match(line)) for line in lines) == 1


def test_declared_names_are_the_learners_answers_not_the_given_data(notebook: Path) -> None:
    """Every declared name is one an answer cell sets; none is a set-up value (which the
    learner's copy would then replace), except a value the question asks the learner to
    change."""
    tests, setup, answered = _cells(notebook)
    week = notebook.parent.name
    for cell in tests:
        for name in _declared(cell):
            where = f"{_meta(cell)['grade_id']}: {name}"
            if (week, name) in CHANGED_BY_THE_LEARNER:
                continue
            assert name in answered, f"{where} is set by no answer cell"
            assert name not in setup, f"{where} is a set-up value, not an answer"
