"""`clearlib course submit`: warn in plain words about blank answers and failing checks, then
hand in anyway (a copy to upload to Blackboard, or nbgrader submit on a hub).

The notebook is a two-question assignment made here (one wrong answer, one blank, one blank
written answer), so each run costs a kernel start, not a week's assignment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

from _tiny_assignment import WRONG_MESSAGE, tiny_assignment

from clearlib.course import blank_answers, submit_notebook
from clearlib.course._cli import course_app

REPO = Path(__file__).resolve().parents[2]
LESSON = REPO / "modules" / "01-getting-started" / "01.01-Notebooks-And-PCN-Data.ipynb"


def test_blank_answers_are_named_without_running(tmp_path: Path) -> None:
    """The blank code answer and the blank written answer, by question; the wrong one is not."""
    nb = nbformat.read(tiny_assignment(tmp_path / "a.ipynb"), as_version=4)
    assert blank_answers(nb) == [
        "Question 2: count the patients [q2-patients]",
        "Question 3: what it means (written answer) [q3-meaning]",
    ]


def test_submit_warns_then_makes_the_copy_to_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI says what is blank and which check fails (its message), then copies the
    notebook to to-hand-in/ under the assignment's own name ("-Copy1" taken off) and exits 0."""
    work = tmp_path / "edition"
    notebook = tiny_assignment(work / "my-work" / "01-getting-started-Copy1.ipynb")
    monkeypatch.chdir(work)
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(course_app, ["submit", "my-work/01-getting-started-Copy1.ipynb"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert WRONG_MESSAGE in out  # the failing check's whole message, from validation
    assert "2 answer(s) still blank: Question 2: count the patients [q2-patients]" in out
    assert "1 check(s) fail: Question 1: count the practices [q1-practices-test]" in out
    assert "You can still hand it in" in out
    copy = work / "to-hand-in" / "01-getting-started.ipynb"
    assert f"Upload this file to Blackboard: {Path('to-hand-in') / copy.name}" in out
    assert copy.read_bytes() == notebook.read_bytes()


def test_a_finished_notebook_hands_in_without_warnings(tmp_path: Path) -> None:
    """Every answer given and every check passing: no warning, and the copy is made."""
    notebook = tiny_assignment(tmp_path / "01-getting-started.ipynb")
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[2].source = "practices = 5"
    nb.cells[5].source = "patients = 48000"
    nb.cells[8].source = "Five practices look after 48,000 patients."
    nbformat.write(nb, notebook)
    done = submit_notebook(notebook, out=tmp_path / "out")
    assert done.warnings == []
    assert done.lines() == [
        "01-getting-started.ipynb: every answer is filled in and every visible check passes.",
        f"Upload this file to Blackboard: {tmp_path / 'out' / '01-getting-started.ipynb'}",
    ]


def test_a_lesson_is_not_an_assignment_to_hand_in(tmp_path: Path) -> None:
    """Submitting a lesson warns that there is nothing to hand in (nothing is run)."""
    done = submit_notebook(LESSON, out=tmp_path)
    assert done.validation is not None and done.validation.kind == "lesson"
    assert any("is a lesson, not an assignment" in w for w in done.warnings)
    assert (tmp_path / LESSON.name).exists()  # never refused


def test_on_a_hub_it_warns_then_runs_nbgrader_submit(tmp_path: Path) -> None:
    """With exchange=True the notebook's assignment folder goes to the course's inbound
    folder through nbgrader submit (a real exchange in a temporary folder), after the warning."""
    exchange = tmp_path / "exchange"
    (exchange / "clear" / "inbound").mkdir(parents=True)
    tiny_assignment(
        exchange / "clear" / "outbound" / "01-getting-started" / "01-getting-started.ipynb"
    )
    home = tmp_path / "home"
    notebook = tiny_assignment(home / "01-getting-started" / "01-getting-started.ipynb")
    (home / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(tmp_path / 'cache')!r}\n"
        "c.CourseDirectory.course_id = 'clear'\n",
        encoding="utf-8",
    )
    done = submit_notebook(notebook, exchange=True)
    assert done.copy is None and done.blank  # warned, and no Blackboard copy
    inbound = list((exchange / "clear" / "inbound").iterdir())
    assert len(inbound) == 1 and "+01-getting-started+" in inbound[0].name
    assert (inbound[0] / "01-getting-started.ipynb").read_bytes() == notebook.read_bytes()
    assert "Submitted 01-getting-started to your course (nbgrader submit)." in done.lines()
