"""`clearlib course check`: a ready assignment passes; a broken one fails with every problem."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from typer.testing import CliRunner

from clearlib.course import check_assignment, read_assignment
from clearlib.course._check import read_lock
from clearlib.course._cli import course_app

FIXTURE = Path(__file__).parent / "fixtures_check"
NAME = "01-tiny-list-sizes"
IDS = [
    "q1-list-sizes",
    "q1-list-sizes-test",
    "q2-columns",
    "q2-columns-test",
    "q3-explain-list-size",
]
REPO = Path(__file__).resolve().parents[2]


def _course(tmp_path: Path) -> Path:
    """A copy of the fixture course to break."""
    course = tmp_path / "course"
    shutil.copytree(FIXTURE / "source", course / "source")
    return course


def _edit(course: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to the fixture notebook's cells, looked up by grade id."""
    path = course / "source" / NAME / f"{NAME}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}
    change(cells)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def ready_report():
    return check_assignment(NAME, course_dir=FIXTURE)


def test_fixture_assignment_is_ready(ready_report) -> None:
    """The model earns all 3 autograded points and the blank release 0; 2 points are manual."""
    assert ready_report.ok, ready_report.summary()
    assert ready_report.autograded_points == 3
    assert ready_report.manual_points == 2
    assert ready_report.model_points == 3
    assert ready_report.blank_points == 0
    assert 0 < ready_report.model_seconds < 60
    assert "ready" in ready_report.summary()


def test_check_leaves_the_course_folder_untouched(ready_report) -> None:
    """Checking grades in a temporary copy: no release/, submitted/ or gradebook.db appear."""
    made = {p.name for p in FIXTURE.iterdir()}
    assert made == {"source"}
    assert sorted(p.name for p in (FIXTURE / "source" / NAME).iterdir()) == [f"{NAME}.ipynb"]


def test_broken_assignment_reports_every_problem_at_once(tmp_path: Path) -> None:
    """A model that fails, a test the blank passes and missing objectives are all reported."""
    course = _course(tmp_path)

    def break_it(cells: dict[str, Any]) -> None:
        # the model keeps 2 of the 3 practices: the visible test fails with its message
        cells["q1-list-sizes"].source = (
            "### BEGIN SOLUTION\n"
            'list_sizes = patients.groupby("practice_code").size().head(2)\n'
            "### END SOLUTION"
        )
        # a test without docstring that passes on anything, tagged with an unknown objective
        cells["q2-columns-test"].source = "# answers: none\nassert True"
        cells["q2-columns-test"].metadata["clear"]["objectives"] = ["LO9.9"]
        # the written answer is no longer graded: no manual answer, LO1.1 not assessed
        cells["q3-explain-list-size"].metadata = {}

    _edit(course, break_it)
    report = check_assignment(NAME, course_dir=course)
    found = sorted((p.where, p.message) for p in report.problems)
    expected = [
        ("objectives", "LO1.1 (Run, edit and save a notebook; restart and run all.) is not"),
        ("objectives", "LO1.2 (Load the PCN dataset and describe its tables, keys and data"),
        (
            "q1-list-sizes-test",
            "The model solution fails this test (0 of 2 points): "
            "AssertionError: Your list sizes should have one row per practice; they have 2 rows",
        ),
        ("q2-columns-test", "The blank release passes this test (1 points without an answer)"),
        ("q2-columns-test", "This test should open with a docstring"),
        ("q2-columns-test", "Unknown learning objective 'LO9.9'"),
        ("written answer", "The assignment needs at least one answer graded by hand"),
    ]
    assert [w for w, _ in found] == [w for w, _ in expected], report.summary()
    for (_, message), (_, start) in zip(found, expected, strict=True):
        assert message.startswith(start), (message, start)
    assert not report.ok
    assert report.model_points == 1  # q2's always-true test
    assert report.blank_points == 1


def test_static_checks_of_ids_points_and_hidden_markers(tmp_path: Path) -> None:
    """Bad and duplicate grade ids, 0 points, no objective and an unclosed hidden region.

    LO1.3 stays assessed (by the written answer), so no coverage problem is expected.
    """
    course = _course(tmp_path)

    def break_it(cells: dict[str, Any]) -> None:
        q1 = cells["q1-list-sizes-test"]
        q1.metadata["nbgrader"]["grade_id"] = "Q1_Sizes"
        q1.metadata["clear"]["objectives"] = []
        q1.source = q1.source.replace("### END HIDDEN TESTS", "")
        q2 = cells["q2-columns-test"]
        q2.metadata["nbgrader"]["grade_id"] = "q1-list-sizes"
        q2.metadata["nbgrader"]["points"] = 0

    _edit(course, break_it)
    report = check_assignment(NAME, course_dir=course, execute=False)
    found = sorted((p.where, p.message.split(":")[0].split(";")[0]) for p in report.problems)
    assert found == [
        (
            "Q1_Sizes",
            "The grade id 'Q1_Sizes' should read qN-short-name (a question number, then lower-case words joined by hyphens, like q1-list-sizes or q1-list-sizes-test).",
        ),
        ("Q1_Sizes", "This graded cell has no learning objective"),
        ("Q1_Sizes", "This test has 1 BEGIN HIDDEN TESTS and 0 END HIDDEN TESTS markers"),
        ("q1-list-sizes", "The grade id 'q1-list-sizes' is used by 2 cells"),
        ("q1-list-sizes", "This graded cell is worth 0.0 points"),
    ], report.summary()
    assert report.model_points is None and report.blank_points is None
    assert any("static checks only" in n for n in report.notes)


def test_lock_file_pins_grade_ids(tmp_path: Path) -> None:
    """--update-lock records the 5 ids in notebook order; a renamed id then fails the check."""
    course = _course(tmp_path)
    first = check_assignment(NAME, course_dir=course, execute=False, update_lock=True)
    assert first.ok, first.summary()
    assert read_lock(course / "source" / NAME) == IDS
    assert check_assignment(NAME, course_dir=course, execute=False).ok

    def rename(cells: dict[str, Any]) -> None:
        cells["q2-columns-test"].metadata["nbgrader"]["grade_id"] = "q2-n-columns-test"

    _edit(course, rename)
    report = check_assignment(NAME, course_dir=course, execute=False)
    assert [(p.where, p.message[:40]) for p in report.problems] == [
        ("q2-columns-test", "The grade id 'q2-columns-test' is in gra"),
        ("q2-n-columns-test", "The grade id 'q2-n-columns-test' is not "),
    ]
    assert [c.grade_id for c in read_assignment(NAME, course=course).cells][1] == (
        "q2-n-columns-test"
    )


def test_lock_is_not_written_over_duplicate_ids(tmp_path: Path) -> None:
    """--update-lock refuses to record ids that are not unique."""
    course = _course(tmp_path)

    def duplicate(cells: dict[str, Any]) -> None:
        cells["q2-columns-test"].metadata["nbgrader"]["grade_id"] = "q1-list-sizes-test"

    _edit(course, duplicate)
    report = check_assignment(NAME, course_dir=course, execute=False, update_lock=True)
    assert "grade_ids.txt" in [p.where for p in report.problems]
    assert read_lock(course / "source" / NAME) is None


def test_lock_file_is_not_released_to_learners(tmp_path: Path) -> None:
    """grade_ids.txt stays with faculty: nbgrader's learner version leaves it out."""
    from clearlib.course import generate_release

    course = _course(tmp_path)
    check_assignment(NAME, course_dir=course, execute=False, update_lock=True)
    release = generate_release(NAME, tmp_path / "release", course_dir=course)
    assert sorted(p.name for p in release.iterdir()) == [f"{NAME}.ipynb"]
    text = (release / f"{NAME}.ipynb").read_text(encoding="utf-8")
    assert "Write your answer here, then run the cell." in text
    assert "hidden_expected_sizes" not in text and "BEGIN HIDDEN TESTS" not in text


def test_cli_check_exits_1_and_lists_problems(tmp_path: Path) -> None:
    """`clearlib course check --static` exits 0 on the fixture and 1 on a broken copy."""
    runner = CliRunner()
    ok = runner.invoke(course_app, ["check", NAME, "--static", "--course-dir", str(FIXTURE)])
    assert ok.exit_code == 0, ok.output
    assert "ready" in ok.output

    course = _course(tmp_path)

    def no_docstring(cells: dict[str, Any]) -> None:
        cells["q2-columns-test"].source = 'assert isinstance(n_columns, int), "A whole number"'

    _edit(course, no_docstring)
    bad = runner.invoke(course_app, ["check", "--static", "--course-dir", str(course)])
    assert bad.exit_code == 1, bad.output
    assert "should open with a docstring" in bad.output
    assert "1 of 1 assignment(s) need fixing" in bad.output


def test_cli_check_with_no_assignments(tmp_path: Path) -> None:
    """An empty course has nothing to check, and that is not an error."""
    (tmp_path / "source").mkdir()
    result = CliRunner().invoke(course_app, ["check", "--course-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "No assignments" in result.output


def test_unknown_assignment_is_a_problem(tmp_path: Path) -> None:
    """Naming an assignment that does not exist gives one problem naming the ones that do."""
    report = check_assignment("09-nothing-here", course_dir=FIXTURE)
    assert [p.where for p in report.problems] == ["assignment"]
    assert NAME in report.problems[0].message


def _run_assignment_tests(course: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEAR_COURSE_DIR": str(course)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "tests/course/test_assignments.py",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_make_test_passes_an_empty_course_and_fails_a_broken_assignment(tmp_path: Path) -> None:
    """tests/course/test_assignments.py: 1 passed with no assignments, 1 failed with a broken one."""
    empty = tmp_path / "empty"
    (empty / "source").mkdir(parents=True)
    run = _run_assignment_tests(empty)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout

    broken = _course(tmp_path)

    def blank_passes(cells: dict[str, Any]) -> None:
        always = '"""Checks nothing at all."""\n# answers: none\nassert True'
        cells["q2-columns-test"].source = always

    _edit(broken, blank_passes)
    run = _run_assignment_tests(broken)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout
    assert "The blank release passes this test" in run.stdout


def test_broken_nbgrader_config_stops_the_check(tmp_path: Path) -> None:
    """An nbgrader_config.py that fails to load is an error (nbgrader would quietly ignore it)."""
    course = _course(tmp_path)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nimport clear_no_such_module\n", encoding="utf-8"
    )
    result = CliRunner().invoke(course_app, ["check", "--static", "--course-dir", str(course)])
    assert result.exit_code == 1
    assert "ConfigError: Cannot load" in result.output
    assert "ModuleNotFoundError" in result.output


def test_cli_grade_passes_every_option_to_grade_assignment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`clearlib course grade` hands its options to clearlib.course._grade.grade_assignment."""
    import types

    calls: list[tuple[str, dict[str, Any]]] = []

    class Report:
        def summary(self) -> str:
            return "2 submissions graded"

    def grade_assignment(assignment: str, **options: Any) -> Report:
        calls.append((assignment, options))
        return Report()

    fake = types.ModuleType("clearlib.course._grade")
    fake.grade_assignment = grade_assignment  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "clearlib.course._grade", fake)
    args = ["grade", NAME, "--jobs", "3", "--learner", "ab12", "--learner", "cd34"]
    args += ["--cell-timeout", "45", "--memory-mb", "2048", "--course-dir", str(tmp_path)]
    args += ["--output-limit-kb", "64", "--force"]
    result = CliRunner().invoke(course_app, args)
    assert result.exit_code == 0, result.output
    assert "2 submissions graded" in result.output
    assert calls == [
        (
            NAME,
            {
                "course_dir": tmp_path,
                "jobs": 3,
                "learners": ["ab12", "cd34"],
                "cell_timeout": 45,
                "memory_mb": 2048,
                "output_limit_kb": 64,
                "force": True,
                "trusted": True,
            },
        )
    ]
    calls.clear()
    assert CliRunner().invoke(course_app, ["grade", NAME]).exit_code == 0
    assert calls[0][1]["force"] is False  # by default only new and changed submissions
    calls.clear()
    assert CliRunner().invoke(course_app, ["grade", NAME, "--legacy-grader"]).exit_code == 0
    assert calls[0][1]["trusted"] is False  # tests in the learner's kernel, for comparison


def test_public_names_of_clearlib_course() -> None:
    """__all__ is sorted and every name in it loads (the package imports its modules lazily)."""
    import clearlib.course

    names = clearlib.course.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(clearlib.course, name) is not None, name
    with pytest.raises(AttributeError):
        _ = clearlib.course.no_such_name
