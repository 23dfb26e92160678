"""`clearlib course validate`: a learner's check before submitting, in plain words.

Week 01 is released as the faculty guide does it (a temporary course, ``nbgrader
generate_assignment``) and three learners' notebooks are validated by the command, at once:
the release untouched (``blank``), the source notebook (``model``) and the release answered
with the model answers but a wrong list-size count (``wrong``). Small notebooks made here
cover the other outcomes (an error in the learner's code, a cell that runs forever, a changed
check cell, the setup failing) in a second or two of kernel time each.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import compute_checksum
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import _tutor_week as week

import clearlib.course._setup as setup_impl
from clearlib import ConfigError, DataError
from clearlib.course import read_assignment
from clearlib.course._cli import course_app
from clearlib.course._validate import (
    DEFAULT_CELL_TIMEOUT,
    NotebookValidation,
    _config,
    validate_notebook,
)

REPO = Path(__file__).resolve().parents[2]
CLEARLIB = Path(sys.executable).with_name("clearlib")
NBGRADER = Path(sys.executable).with_name("nbgrader")
LEARNER_CONFIG = REPO / "course" / "learner" / "jupyter"
LESSON = REPO / "modules" / "02-working-with-tables" / "02.01-Filter-Sort-Select.ipynb"
WEEK = "01-getting-started"
NO_CONFIG_WARNING = "No nbgrader_config.py"
#: The check of week 01's question 5 when a learner counts everyone ever registered.
EVER_REGISTERED = (
    "list_sizes counts everyone ever registered. Keep only patients registered by 31 March "
    "2026 who had not left and had not died by then."
)


def _without_markers(source: str) -> str:
    lines = source.split("\n")
    return "\n".join(ln for ln in lines if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln)


def answered(release: Path, source: Path, answers: dict[str, str] | None = None):
    """The released notebook with every answer cell given the model's answer (or ``answers``)."""
    nb = nbformat.read(release, as_version=4)
    model = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            grade_id = meta["grade_id"]
            cell.source = (answers or {}).get(grade_id, _without_markers(model[grade_id]))
    return nb


@pytest.fixture(scope="module")
def week01(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict:
    """``clearlib course validate`` on the blank, model and wrong notebooks: (status, output)."""
    request.getfixturevalue("default_pcn")  # the dataset exists before the kernels need it
    root = tmp_path_factory.mktemp("validate-week01")
    course = week.release(root / "course", WEEK)
    source = course / "source" / WEEK / f"{WEEK}.ipynb"
    release = course / "release" / WEEK / f"{WEEK}.ipynb"
    model_q5 = _without_markers(
        next(
            c.source
            for c in nbformat.read(source, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("grade_id") == "q5-list-sizes"
        )
    )
    wrong_q5 = model_q5.replace(
        'list_sizes = listed.groupby("practice_code").size()',
        'list_sizes = patients.groupby("practice_code").size()',
    )
    assert wrong_q5 != model_q5
    notebooks = {
        "blank": nbformat.read(release, as_version=4),
        "model": nbformat.read(source, as_version=4),
        "wrong": answered(release, source, {"q5-list-sizes": wrong_q5}),
    }
    runs = {}
    for name, nb in notebooks.items():  # each learner's own folder, the notebook as released
        folder = root / name
        folder.mkdir()
        nbformat.write(nb, folder / f"{WEEK}.ipynb")
        runs[name] = subprocess.Popen(
            [str(CLEARLIB), "course", "validate", f"{WEEK}.ipynb", "--cell-timeout", "180"],
            cwd=folder,
            env={**os.environ, "COLUMNS": "80"},  # a narrow terminal: messages still whole
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    out = {}
    for name, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=900)
        out[name] = (proc.returncode, stdout, stderr)
    return out


def test_blank_release_says_each_question_is_not_answered_yet(week01: dict) -> None:
    """The untouched release: every question 'not answered yet' (no traceback), exit 1."""
    status, stdout, stderr = week01["blank"]
    info = read_assignment(WEEK)
    tests, written = len(info.tests), len(info.cells) - len(info.tests)
    assert status == 1, stdout + stderr
    lines = stdout.splitlines()
    unanswered = [ln for ln in lines if ln.endswith("]") and " — not answered yet  [" in ln]
    assert len(unanswered) == len(info.cells), stdout
    for cell in info.cells:
        assert any(ln.endswith(f"[{cell.grade_id}]") for ln in unanswered), cell.grade_id
    assert (
        unanswered[0]
        == "✗ Question 1: edit and run a cell — not answered yet  [q1-first-cells-test]"
    )
    assert lines[-1] == (
        f"0 of {tests} checks pass; {tests} to fix. {written} written answers not answered yet."
    )
    assert "raise NotImplementedError(...)" in stdout  # said once, how to answer
    for noise in ("Traceback", "NameError", "assert ", "_pcn", NO_CONFIG_WARNING):
        assert noise not in stdout + stderr, noise


def test_model_answers_pass_and_exit_zero(week01: dict) -> None:
    """The source notebook (model answers, hidden checks too): every check passes, exit 0."""
    status, stdout, stderr = week01["model"]
    assert status == 0, stdout + stderr
    n = len(read_assignment(WEEK).tests)
    assert stdout.count("✓ ") == n
    assert stdout.count("✎ ") == 2  # the written answers, for the tutor
    assert stdout.splitlines()[-1] == (
        f"All {n} visible checks pass. Hidden checks run when your tutor grades it. Your tutor "
        "grades the written answers too."
    )
    assert NO_CONFIG_WARNING not in stdout + stderr


def test_wrong_answer_gives_the_checks_whole_message(week01: dict) -> None:
    """A wrong list-size count: that check's whole message (over 80 characters), exit 1."""
    status, stdout, stderr = week01["wrong"]
    assert status == 1, stdout + stderr
    assert len(EVER_REGISTERED) > 80
    lines = stdout.splitlines()
    at = lines.index("✗ Question 5: list sizes  [q5-list-sizes-test]")
    assert lines[at + 1] == "    " + EVER_REGISTERED  # on one line, not cut
    n = len(read_assignment(WEEK).tests)
    assert lines[-1] == f"{n - 1} of {n} checks pass; 1 to fix."
    assert "Validated 01-getting-started.ipynb as saved: save your notebook first" in lines[0]
    for noise in ("Traceback", "assert ", "...", NO_CONFIG_WARNING):
        assert noise not in stdout + stderr, noise


# --- small notebooks, one per situation ----------------------------------------------------


def _cell(kind: str, source: str, grade_id: str | None = None, **flags) -> nbformat.NotebookNode:
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(textwrap.dedent(source).strip())
    if grade_id is not None:
        meta = {"grade": False, "solution": False, "locked": False, "grade_id": grade_id}
        meta.update(flags, schema_version=3, cell_type=cell.cell_type)
        if meta["grade"]:
            meta.setdefault("points", 1)
        cell.metadata["nbgrader"] = meta
        if meta["locked"] or (meta["grade"] and meta["solution"]):  # as a release has them
            cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)
    return cell


def _answer(grade_id: str, source: str) -> nbformat.NotebookNode:
    return _cell("code", source, grade_id, solution=True)


def _test(grade_id: str, source: str) -> nbformat.NotebookNode:
    return _cell("code", source, grade_id, grade=True, locked=True)


def _notebook(path: Path, cells: list) -> Path:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


LONG = (
    "total should be 42, the patients on the list at 31 March 2026 who had not left or died "
    "by then; it is {total}. Check the filter on deregistered_on and died_on."
)


def _six_questions(path: Path) -> Path:
    return _notebook(
        path,
        [
            _cell("markdown", "# A small assignment"),
            _cell("code", "import time", "setup", locked=True),
            _cell("markdown", "## Question 1 (LO1.1, 1 mark): a number"),
            _answer("q1-number", "answer_one = 42"),
            _test("q1-number-test", 'assert answer_one == 42, "answer_one should be 42."'),
            _cell("markdown", "## Question 2 (1 mark): a long message"),
            _answer("q2-total", "total = 41"),
            _test("q2-total-test", f'assert total == 42, f"{LONG}"'),
            _cell("markdown", "## Question 3 (1 mark): a ratio"),
            _answer(
                "q3-ratio",
                """
                def ratio(a, b):
                    return a / b


                r = ratio(1, 0)
                """,
            ),
            _test("q3-ratio-test", 'assert r == 0.5, "r should be 0.5."'),
            _cell("markdown", "## Question 4 (1 mark): not answered"),
            _answer("q4-blank", 'raise NotImplementedError("Write your answer here.")'),
            _test("q4-blank-test", 'assert q4 == 1, "q4 should be 1."'),
            _cell("markdown", "## Question 5 (1 mark): a function the check calls"),
            _answer(
                "q5-rate",
                """
                def per_thousand(n, d):
                    return n * 1000 / d["patients"]
                """,
            ),
            _test("q5-rate-test", 'assert per_thousand(5, {"people": 10}) == 500'),
            _cell("markdown", "## Question 6 (1 mark): slow"),
            _answer(
                "q6-slow",
                """
                while True:
                    time.sleep(0.05)
                slow_done = True
                """,
            ),
            _test("q6-slow-test", 'assert slow_done, "slow_done should be True."'),
            _cell("markdown", "## Question 7 (1 mark): builds on question 4"),
            _answer("q7-doubled", "doubled = q4 * 2"),
            _test("q7-doubled-test", 'assert doubled == 2, "doubled should be 2."'),
            _cell("markdown", "## Question 8 (1 mark, written): explain"),
            _cell(
                "markdown", "YOUR ANSWER HERE", "q8-explain", grade=True, solution=True, points=2
            ),
        ],
    )


def test_each_outcome_in_plain_words(tmp_path: Path) -> None:
    """Each outcome: pass, full message, learner's line, unanswered, timeout, knock-on, written."""
    report = validate_notebook(_six_questions(tmp_path / "small.ipynb"), cell_timeout=5)
    by_id = {c.grade_id: c for c in report.checks}
    assert [c.status for c in report.checks] == [
        "passed",
        "failed",
        "failed",
        "unanswered",
        "failed",
        "failed",
        "failed",
        "unanswered",
    ]
    assert by_id["q1-number-test"].question == "Question 1: a number"
    assert by_id["q2-total-test"].message == LONG.format(total=41)
    assert by_id["q3-ratio-test"].message == (
        "Your answer stopped with ZeroDivisionError: division by zero.\n"
        "Line 2 of your answer: return a / b"
    )
    assert by_id["q5-rate-test"].message.startswith("The check looked for 'patients'")
    assert by_id["q5-rate-test"].message.endswith(
        '\nIt stopped at line 2 of your answer: return n * 1000 / d["patients"]'
    )
    assert by_id["q6-slow-test"].message.startswith(
        "Your answer ran for more than 5 seconds and was stopped"
    )
    assert by_id["q6-slow-test"].message.endswith(
        "\nIt was running line 2 of your answer: time.sleep(0.05)"
    )
    assert by_id["q7-doubled-test"].message == (
        "Your answer stopped with NameError: name 'q4' is not defined. It may use a name from "
        "an earlier answer that is not done yet or stopped with an error: fix that one first.\n"
        "Line 1 of your answer: doubled = q4 * 2"
    )
    assert by_id["q8-explain"].kind == "written"
    assert report.problems == ()
    assert report.summary() == ("1 of 7 checks pass; 6 to fix. 1 written answer not answered yet.")
    assert report.exit_code == 1 and not report.ok
    text = str(report)
    assert "✗ Question 4: not answered — not answered yet  [q4-blank-test]" in text
    assert "replace YOUR ANSWER HERE with your answer" in text
    page = report._repr_html_()
    assert "Question 2: a long message" in page and "&quot;patients&quot;" in page


def test_changed_check_and_failing_setup_are_named(tmp_path: Path) -> None:
    """A check cell the learner edited, and a setup cell that fails, are problems to fix."""
    setup = _cell(
        "code",
        'raise FileNotFoundError("no dataset: run clearlib data synth")',
        "setup",
        locked=True,
    )
    check = _test("q1-number-test", 'assert answer_one == 42, "answer_one should be 42."')
    check.source = "assert True  # made to pass"  # edited after release: checksum differs
    path = _notebook(
        tmp_path / "edited.ipynb",
        [
            setup,
            _cell("markdown", "## Question 1 (1 mark): a number"),
            _answer("q1-number", "answer_one = 42"),
            check,
        ],
    )
    report = validate_notebook(path, cell_timeout=30)
    assert report.exit_code == 1
    first, second = report.problems
    assert first.startswith(
        "You changed a cell you were given (q1-number-test) under Question 1: a number."
    )
    assert "Grading puts the original back" in first
    assert second.startswith(
        "The setup cell stopped with FileNotFoundError: no dataset: run clearlib data synth\n"
    )
    assert report.summary() == "1 of 1 checks pass, but the problems above need fixing."


def test_a_changed_cell_type_is_named_and_nothing_runs(tmp_path: Path) -> None:
    """A check cell turned into markdown: say which and how to turn it back; nothing runs."""
    check = _test("q1-number-test", "assert answer_one == 42")
    check.cell_type = "markdown"
    del check["outputs"], check["execution_count"]
    path = _notebook(
        tmp_path / "typed.ipynb",
        [
            _cell("markdown", "## Question 1: a number"),
            _answer("q1-number", "answer_one = 1"),
            check,
        ],
    )
    report = validate_notebook(path)
    assert report.checks == ()
    (problem,) = report.problems
    assert problem.startswith(
        "A cell under Question 1: a number was a code cell and is now a markdown cell."
    )
    assert "press Esc, then Y" in problem
    assert report.summary() == (
        "typed.ipynb could not be checked: fix the problem above, then validate again."
    )
    assert report.exit_code == 1


def test_a_kernel_that_dies_names_the_cell(tmp_path: Path) -> None:
    """An answer that ends the kernel (exit, or memory used up): say which, exit 1, no crash."""
    path = _notebook(
        tmp_path / "exits.ipynb",
        [
            _cell("markdown", "## Question 1 (1 mark): a number"),
            _answer("q1-number", "import os\n\nos._exit(1)"),
            _test("q1-number-test", "assert answer_one == 42"),
        ],
    )
    report = validate_notebook(path, cell_timeout=30)
    assert report.problems == (
        "The notebook's kernel stopped while it ran your code under Question 1: a number (it "
        "may have used up the memory, or called exit()).\nChange that cell, save, and validate "
        "again.",
    )
    assert report.not_run and report.checks == () and report.exit_code == 1


def test_runs_from_a_notebook_cell_and_skips_itself(tmp_path: Path) -> None:
    """Called where an event loop runs (a notebook cell) it works; in the notebook it skips."""
    target = _notebook(
        tmp_path / "answered.ipynb",
        [
            _cell("markdown", "## Question 1 (1 mark): a number"),
            _answer("q1-number", "answer_one = 42"),
            _test("q1-number-test", 'assert answer_one == 42, "answer_one should be 42."'),
            # a learner who validates from inside the assignment: not run again when validated
            _cell(
                "code",
                'from clearlib.course._validate import validate_notebook\nvalidate_notebook("answered.ipynb")',
            ),
        ],
    )

    async def in_a_cell():  # ipykernel runs each cell inside its running event loop
        return validate_notebook(target)

    # In a thread of its own: the browser tests' Playwright loop may be running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(asyncio.run, in_a_cell()).result()
    assert report.summary() == (
        "The one visible check passes. Hidden checks run when your tutor grades it."
    )
    assert report.problems == ()  # the cell that validates again returned at once, no error
    assert "save your notebook first" in report._repr_html_()


def test_a_lesson_has_nothing_to_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lesson is named as a lesson, not an assignment, and not run; exit status 0."""
    report = validate_notebook(LESSON)
    assert report.kind == "lesson" and report.ok and report.exit_code == 0
    assert report.summary() == (
        "02.01-Filter-Sort-Select.ipynb: This notebook has no graded questions (it is a lesson); "
        "there is nothing to validate."
    )
    result = CliRunner().invoke(course_app, ["validate", str(LESSON)])
    assert result.exit_code == 0, result.output
    assert "no graded questions (it is a lesson)" in result.output
    assert "Success" not in result.output
    # JupyterLab names the notebook a kernel runs for: that is the default
    monkeypatch.setenv("JPY_SESSION_NAME", str(LESSON))
    assert validate_notebook().path == LESSON


def test_expected_errors_say_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No such notebook, not a notebook, an unreadable file: ErrorName: message, exit 1."""
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    with pytest.raises(ConfigError, match="Name the notebook to validate"):
        validate_notebook()
    with pytest.raises(
        ConfigError, match=r"Expected a notebook \(a \.ipynb file\); got notes\.txt"
    ):
        validate_notebook(tmp_path / "notes.txt")
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.ipynb is not a notebook Jupyter can read"):
        validate_notebook(tmp_path / "broken.ipynb")
    result = CliRunner().invoke(course_app, ["validate", str(tmp_path / "missing.ipynb")])
    assert result.exit_code == 1
    assert "ConfigError: Notebook" in result.output and "not found" in result.output


def test_inside_a_notebook_being_graded_nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """While nbgrader runs a notebook (validate or autograde), a call inside it returns at once."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    report = validate_notebook(LESSON)
    assert report.kind == "skipped" and report.exit_code == 0
    assert report.summary().startswith("Not validated here:")
    assert isinstance(report, NotebookValidation)


def test_learner_config_matches_and_silences_nbgrader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """course/learner/jupyter: the validator's own settings, no config warning, faculty tools off."""
    from traitlets.config.loader import PyFileConfigLoader

    shipped = PyFileConfigLoader("nbgrader_config.py", path=str(LEARNER_CONFIG)).load_config()
    assert shipped.Execute == _config(DEFAULT_CELL_TIMEOUT).Execute
    env = {
        **os.environ,
        "JUPYTER_CONFIG_PATH": str(LEARNER_CONFIG),
        "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    path = _notebook(
        tmp_path / "answered.ipynb",
        [
            _cell("markdown", "## Question 1 (1 mark): a number"),
            _answer("q1-number", "answer_one = 42"),
            _test("q1-number-test", "assert answer_one == 42"),
        ],
    )
    run = subprocess.run(
        [str(NBGRADER), "validate", path.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Success! Your notebook passes all the tests." in run.stdout, run.stdout + run.stderr
    assert NO_CONFIG_WARNING not in run.stdout + run.stderr
    from jupyter_server.serverapp import ServerApp

    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(LEARNER_CONFIG))
    server = ServerApp()
    server.find_server_extensions()
    enabled = server.jpserver_extensions
    assert enabled["nbgrader.server_extensions.formgrader"] is False
    assert enabled["nbgrader.server_extensions.course_list"] is False
    assert enabled["nbgrader.server_extensions.validate_assignment"] is False
    assert enabled["clearlib.course._lab"] is True  # the Validate button, in plain words
    page = json.loads((LEARNER_CONFIG / "labconfig" / "page_config.json").read_text("utf-8"))
    assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True


def test_setup_check_points_to_clearlib_course_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    """setup-check's advice names `clearlib course validate` (on PATH) or the function (not)."""
    check = setup_impl._validate()
    assert check.ok
    assert "clearlib course validate NOTEBOOK" in check.detail
    assert "nbgrader validate NOTEBOOK" not in check.detail
    monkeypatch.setattr(setup_impl, "_executable", lambda name: None)
    check = setup_impl._validate()
    assert not check.ok
    assert 'validate_notebook("NOTEBOOK.ipynb")' in check.fix


def test_the_validate_button_shows_each_question_to_fix_in_plain_words() -> None:
    """JupyterLab's Validate button (clearlib.course._lab) gets, per question to fix, its
    heading and the check's whole message; a lesson says it has nothing to validate."""
    from clearlib.course._lab import button_result
    from clearlib.course._validate import CheckOutcome

    report = NotebookValidation(
        Path("01-getting-started.ipynb"),
        "assignment",
        checks=(
            CheckOutcome("q1-a-test", "Question 1: a number", "test", "passed"),
            CheckOutcome(
                "q5-list-sizes-test", "Question 5: list sizes", "test", "failed", EVER_REGISTERED
            ),
            CheckOutcome("q6-b-test", "Question 6: a table", "test", "unanswered"),
            CheckOutcome("q9-own-pcn", "Question 9: your PCN", "written", "unanswered"),
        ),
    )
    answer = button_result(report)
    assert answer["success"] is True
    failed = answer["value"]["failed"]
    assert [f["source"] for f in failed] == [
        "✗ Question 5: list sizes  [q5-list-sizes-test]",
        "✗ Question 6: a table — not answered yet  [q6-b-test]",
        "✗ Question 9: your PCN — not answered yet  [q9-own-pcn]",
    ]
    assert failed[0]["error"] == f'<div style="white-space:pre-wrap">{EVER_REGISTERED}</div>'
    assert "raise NotImplementedError" in failed[1]["error"]
    assert "YOUR ANSWER HERE" in failed[2]["error"]
    assert "1 of 3 checks pass; 2 to fix." in failed[-1]["error"]
    lesson = button_result(NotebookValidation(LESSON, "lesson"))
    assert lesson["success"] is False  # the button shows the value as it is, not "Success!"
    assert "This notebook has no graded questions (it is a lesson)" in lesson["value"]
    assert "Success" not in lesson["value"]
