"""Parallel grading: the same grades as serial ``nbgrader autograde``, regrading, the report."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import _grading_course as gc
from _make_fixtures import EXPECTED

from clearlib import ConfigError
from clearlib.course._grade import GradingReport, grade_assignment

pytestmark = pytest.mark.xdist_group("grading")

#: Submissions that are safe to run outside the sandbox (serial nbgrader runs them unsandboxed).
COHORT = [
    "correct",
    "partly_correct",
    "syntax_error",
    "deleted_test_cell",
    "edited_test_cell",
    "changed_cell_type",
    "extra_cells",
    "sys_exit",
    "infinite_loop",
]
TIMEOUT = 5


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A released fixture course with the benign cohort submitted (never graded)."""
    root = gc.make_course(tmp_path_factory.mktemp("template") / "course", timeout=TIMEOUT)
    gc.submit(root, {name: gc.fixture_submission(name) for name in COHORT})
    return root


@pytest.fixture(scope="module")
def serial(course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course graded by plain serial ``nbgrader autograde``."""
    copy = gc.copy_course(course, tmp_path_factory.mktemp("serial") / "course")
    done = gc.serial_autograde(copy)
    assert "Traceback" not in done.stdout, done.stdout[-3000:]
    return copy


@pytest.fixture(scope="module")
def parallel(course: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GradingReport]:
    """Another copy, graded by ``grade_assignment(jobs=2)``, and its report."""
    copy = gc.copy_course(course, tmp_path_factory.mktemp("parallel") / "course")
    report = grade_assignment(
        gc.ASSIGNMENT, course_dir=copy, jobs=2, cell_timeout=TIMEOUT, progress=False
    )
    return copy, report


def _submissions(course: Path) -> dict[str, tuple]:
    """Per learner: submission timestamp and late penalty of each notebook, from SQLite."""
    con = sqlite3.connect(course / "gradebook.db")
    try:
        rows = con.execute(
            "SELECT s.student_id, s.timestamp, n.late_submission_penalty "
            "FROM submitted_assignment s JOIN submitted_notebook n ON n.assignment_id = s.id"
        ).fetchall()
    finally:
        con.close()
    return {learner: (stamp, penalty) for learner, stamp, penalty in rows}


def test_parallel_grades_equal_serial_nbgrader(serial: Path, parallel) -> None:
    """Every learner's per-cell auto score, manual flag and comment match serial nbgrader."""
    course, _ = parallel
    expected = gc.gradebook_grades(serial)
    found = gc.gradebook_grades(course)
    assert len(expected) == len(COHORT) * 7  # 4 grade cells + 3 answer comments each
    assert found == expected
    assert _submissions(course) == _submissions(serial)
    assert gc.learner_scores(course) == gc.learner_scores(serial)


def test_parallel_writes_lose_nothing_and_keep_sqlite_sound(parallel) -> None:
    """Two workers: one submission and four grades per learner, and SQLite's check passes."""
    course, report = parallel
    con = sqlite3.connect(course / "gradebook.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        per_learner = dict(
            con.execute(
                "SELECT s.student_id, COUNT(g.id) FROM submitted_assignment s "
                "JOIN submitted_notebook n ON n.assignment_id = s.id "
                "JOIN grade g ON g.notebook_id = n.id GROUP BY s.student_id"
            ).fetchall()
        )
    finally:
        con.close()
    assert per_learner == dict.fromkeys(COHORT, 4)
    assert sorted(report.learner_ids) == sorted(COHORT)


@pytest.mark.parametrize("learner", COHORT)
def test_each_learner_earns_the_points_worked_out_by_hand(parallel, learner: str) -> None:
    """The autograded points of each submission are those its cells earn (EXPECTED)."""
    _, report = parallel
    result = report[learner]
    assert result.code_score == EXPECTED[learner]
    assert result.max_code_score == 4
    assert result.max_score == 6  # plus the 2-point written answer


def test_report_gives_status_points_and_failure_messages(parallel) -> None:
    """Statuses, per-question points and the failing test's own message reach the report."""
    _, report = parallel
    assert report["correct"].status == "graded"
    assert report["infinite_loop"].status == "timed_out"
    partly = {q.grade_id: q for q in report["partly_correct"].questions}
    assert partly["q1-total-patients-test"].score == 1
    assert partly["q1-total-patients-test"].outcome == "passed"
    assert partly["q2-per-practice-test"].score == 0
    assert partly["q2-per-practice-test"].max_score == 2
    assert partly["q2-per-practice-test"].outcome == "failed"
    assert partly["q2-per-practice-test"].message == (
        "AssertionError: The total for practice A should add up its sessions' patients"
    )
    assert partly["q4-explain"].kind == "manual"
    assert partly["q4-explain"].outcome == "needs_manual_grade"
    loop = {q.grade_id: q for q in report["infinite_loop"].questions}
    assert loop["q2-per-practice-test"].outcome == "timed_out"
    assert f"more than {TIMEOUT} s" in loop["q2-per-practice-test"].message
    syntax = {q.grade_id: q for q in report["syntax_error"].questions}
    assert syntax["q1-total-patients-test"].message.startswith("SyntaxError")
    assert ("partly_correct", "q2-per-practice-test") in {(f[0], f[1]) for f in report.failures}
    assert all(r.wall_time > 0 for r in report)
    assert report.wall_time > 0


def test_report_frame_and_summary(parallel) -> None:
    """to_frame has one row per learner and graded cell; summary counts statuses."""
    _, report = parallel
    frame = report.to_frame()
    assert len(frame) == len(COHORT) * 4
    assert list(frame.columns[:5]) == [
        "learner",
        "status",
        "learner_score",
        "learner_max_score",
        "wall_time",
    ]
    row = frame[(frame.learner == "edited_test_cell") & (frame.grade_id == "q2-per-practice-test")]
    assert row.score.tolist() == [0.0]
    assert frame.groupby("learner")["score"].sum()["correct"] == 4
    text = report.summary()
    assert text.startswith(f"Graded {len(COHORT)} submission(s) of 00-fixture")
    assert ": 1 timed out, 8 graded." in text
    assert "Points possible: 6 (4 autograded, 2 graded by hand)." in text
    lines = text.splitlines()
    # one line per learner: score so far, the written answer pending (not 0), status
    expected = "correct 4 / 6 (2 pending) graded; to grade by hand: q4-explain"
    assert expected in [" ".join(line.split()) for line in lines], text
    assert sum(line.startswith("  ") and "/ 6" in line for line in lines) == len(COHORT)
    problems = lines[lines.index("Problems:") + 1 :]
    # every problem whole: the full assertion message, never cut
    assert (
        "  partly_correct q2-per-practice-test: failed: AssertionError: The total for practice "
        "A should add up its sessions' patients"
    ) in problems
    assert report.counts()["graded"] == 8
    with pytest.raises(KeyError, match="No learner 'nobody'"):
        report["nobody"]


def test_regrading_one_learner_leaves_the_others_alone(course: Path, tmp_path: Path) -> None:
    """learners=[...] regrades only them; others' grades and files and manual scores stay."""
    copy = gc.copy_course(course, tmp_path / "course")
    grade_assignment(
        gc.ASSIGNMENT,
        course_dir=copy,
        jobs=2,
        learners=["correct", "partly_correct"],
        cell_timeout=TIMEOUT,
        progress=False,
    )
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{copy / 'gradebook.db'}", "clear") as gb:
        _hand_grade(gb, "partly_correct", 1.5)
    before = gc.gradebook_grades(copy)
    other = copy / "autograded" / "correct" / "00-fixture" / "00-fixture.ipynb"
    other_hash = hashlib.sha256(other.read_bytes()).hexdigest()
    # the learner resubmits a corrected notebook; faculty regrade just that learner
    fixed = copy / "submitted" / "partly_correct" / "00-fixture" / "00-fixture.ipynb"
    fixed.write_bytes(gc.fixture_submission("correct").read_bytes())
    seen = []
    report = grade_assignment(
        gc.ASSIGNMENT,
        course_dir=copy,
        learners=["partly_correct"],
        cell_timeout=TIMEOUT,
        progress=lambda result, done, total: seen.append((result.learner, done, total)),
    )
    assert report.learner_ids == ["partly_correct"]
    assert seen == [("partly_correct", 1, 1)]
    assert report["partly_correct"].code_score == 4
    after = gc.gradebook_grades(copy)
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {("partly_correct", "00-fixture", "q2-per-practice-test")}
    assert after[("partly_correct", "00-fixture", "q4-explain")][1] == 1.5  # manual score kept
    assert hashlib.sha256(other.read_bytes()).hexdigest() == other_hash
    assert set(gc.learner_scores(copy)) == {"correct", "partly_correct"}


def _hand_grade(gb, learner: str, score: float) -> None:
    """Grade the written answer by hand, as the formgrader does (score in, flag off)."""
    grade = gb.find_grade("q4-explain", "00-fixture", "00-fixture", learner)
    grade.manual_score = score
    grade.needs_manual_grade = False
    gb.db.commit()


def _q4(course: Path, learner: str) -> tuple:
    """(manual_score, needs_manual_grade) of a learner's written answer."""
    grades = gc.gradebook_grades(course)
    _, manual, flagged, _ = grades[(learner, "00-fixture", "q4-explain")]
    return manual, flagged


def test_grading_again_keeps_finished_work(course: Path, tmp_path: Path) -> None:
    """A second run skips unchanged work; --force regrades it but keeps finished hand grades;
    a changed written answer alone waits for its hand grade again."""
    from nbgrader.api import Gradebook

    copy = gc.copy_course(course, tmp_path / "course")
    two = ["correct", "partly_correct"]
    first = grade_assignment(
        gc.ASSIGNMENT, course_dir=copy, learners=two, cell_timeout=TIMEOUT, progress=False
    )
    assert [r.status for r in first] == ["graded", "graded"]
    with Gradebook(f"sqlite:///{copy / 'gradebook.db'}", "clear") as gb:
        _hand_grade(gb, "correct", 2)
        _hand_grade(gb, "partly_correct", 1)
    graded = copy / "autograded" / "correct" / "00-fixture" / "00-fixture.ipynb"
    stamp = graded.stat().st_mtime_ns
    before = gc.gradebook_grades(copy)

    again = grade_assignment(gc.ASSIGNMENT, course_dir=copy, learners=two, progress=False)
    assert [r.status for r in again] == ["skipped", "skipped"]
    assert again["correct"].score == 6  # 4 autograded + 2 by hand, read from the gradebook
    assert not again["correct"].needs_manual_grade
    assert gc.gradebook_grades(copy) == before
    assert graded.stat().st_mtime_ns == stamp
    assert "unchanged, not graded again" in again.summary()

    forced = grade_assignment(
        gc.ASSIGNMENT, course_dir=copy, learners=two, cell_timeout=TIMEOUT, progress=False,
        force=True,
    )  # fmt: skip
    assert [r.status for r in forced] == ["graded", "graded"]
    assert graded.stat().st_mtime_ns != stamp
    assert _q4(copy, "correct") == (2, False)  # nbgrader alone would flag it again
    assert _q4(copy, "partly_correct") == (1, False)
    assert gc.gradebook_grades(copy) == before
    assert forced["correct"].score == 6

    # partly_correct rewrites their written answer and hands in again
    path = copy / "submitted" / "partly_correct" / "00-fixture" / "00-fixture.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q4-explain"
    )
    cell.source = "Practice B is busiest: it sees the most patients each session."
    nbformat.write(nb, path)
    third = grade_assignment(gc.ASSIGNMENT, course_dir=copy, learners=two, progress=False)
    assert third["correct"].status == "skipped"
    assert third["partly_correct"].status == "graded"
    assert _q4(copy, "partly_correct") == (1, True)  # the old mark stays, for review
    assert _q4(copy, "correct") == (2, False)
    q4 = {q.grade_id: q for q in third["partly_correct"].questions}["q4-explain"]
    assert q4.outcome == "needs_manual_grade"


def test_progress_callback_counts_every_learner(course: Path, tmp_path: Path) -> None:
    """The callback gets each result once, with done going 1..n and the total n."""
    copy = gc.copy_course(course, tmp_path / "course")
    calls = []
    report = grade_assignment(
        gc.ASSIGNMENT,
        course_dir=copy,
        jobs=2,
        learners=["correct", "syntax_error", "extra_cells"],
        cell_timeout=TIMEOUT,
        progress=lambda result, done, total: calls.append((result.learner, done, total)),
    )
    assert [done for _, done, _ in calls] == [1, 2, 3]
    assert {total for _, _, total in calls} == {3}
    assert sorted(learner for learner, _, _ in calls) == ["correct", "extra_cells", "syntax_error"]
    # not forced: already autograded submissions are skipped, as nbgrader does without --force
    again = grade_assignment(
        gc.ASSIGNMENT, course_dir=copy, learners=["correct"], force=False, progress=False
    )
    assert again["correct"].status == "skipped"
    assert report["correct"].status == "graded"


def test_progress_bar_is_drawn_on_stderr(course: Path, tmp_path: Path, capsys) -> None:
    """progress=True draws rich's bar on stderr and leaves stdout alone."""
    copy = gc.copy_course(course, tmp_path / "course")
    grade_assignment(gc.ASSIGNMENT, course_dir=copy, learners=["correct"], progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "Grading 00-fixture" in err
    assert "1/1" in err


def test_bad_arguments_say_what_to_do(course: Path, tmp_path: Path) -> None:
    """Unknown learner or assignment, bad numbers and a missing course raise ConfigError."""
    with pytest.raises(ConfigError, match=r"No submission of '00-fixture' for \['zz'\]"):
        grade_assignment(gc.ASSIGNMENT, course_dir=course, learners=["zz"], progress=False)
    with pytest.raises(ConfigError, match=r"has no assignment '99-none'.*generate_assignment"):
        grade_assignment("99-none", course_dir=course, progress=False)
    with pytest.raises(ConfigError, match="jobs must be a whole number of at least 1; got 0"):
        grade_assignment(gc.ASSIGNMENT, course_dir=course, jobs=0)
    with pytest.raises(ConfigError, match="memory_mb must be a whole number of at least 256"):
        grade_assignment(gc.ASSIGNMENT, course_dir=course, memory_mb=64)
    with pytest.raises(ConfigError, match="does not exist"):
        grade_assignment(gc.ASSIGNMENT, course_dir=tmp_path / "nowhere")


def test_missing_bubblewrap_says_how_to_install_it(course: Path, monkeypatch) -> None:
    """Without bwrap, grading stops before any learner with the apt-get line."""
    from clearlib.course import _sandbox

    monkeypatch.setattr(_sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(_sandbox.os, "access", lambda path, mode: False)
    with pytest.raises(ConfigError, match="apt-get install bubblewrap"):
        grade_assignment(gc.ASSIGNMENT, course_dir=course, progress=False)


def _crash_on_boom(learner: str) -> dict:
    """Stands in for the worker's grading function: the worker process dies on "boom"."""
    from clearlib.course import _grade

    if learner == "boom":
        os._exit(3)
    return _grade._real_grade_learner(learner)


def test_a_crashed_worker_fails_one_learner_not_the_batch(
    course: Path, tmp_path: Path, monkeypatch
) -> None:
    """A worker that dies breaks the pool; the others it held are graded again, "boom" alone."""
    from clearlib.course import _grade

    copy = gc.copy_course(course, tmp_path / "course")
    shutil.copytree(copy / "submitted" / "correct", copy / "submitted" / "boom")
    monkeypatch.setattr(_grade, "_real_grade_learner", _grade._grade_learner, raising=False)
    monkeypatch.setattr(_grade, "_grade_learner", _crash_on_boom)
    monkeypatch.setattr(_grade, "_start_method", lambda: "fork")  # workers see the patch
    report = grade_assignment(
        gc.ASSIGNMENT,
        course_dir=copy,
        jobs=2,
        learners=["boom", "correct", "partly_correct"],
        cell_timeout=TIMEOUT,
        progress=False,
    )
    assert report["boom"].status == "failed"
    assert report["boom"].reason == "grading this submission alone crashed the grading process"
    assert report["correct"].code_score == 4
    assert report["partly_correct"].code_score == 2
    assert set(gc.learner_scores(copy)) == {"correct", "partly_correct"}


def test_spawned_workers_grade_the_same(course: Path, tmp_path: Path, monkeypatch) -> None:
    """With spawn (used when the caller has threads, e.g. inside Jupyter) grading is the same."""
    from clearlib.course import _grade

    monkeypatch.setattr(_grade, "_start_method", lambda: "spawn")
    copy = gc.copy_course(course, tmp_path / "course")
    report = grade_assignment(
        gc.ASSIGNMENT,
        course_dir=copy,
        learners=["syntax_error"],
        cell_timeout=TIMEOUT,
        progress=False,
    )
    assert report["syntax_error"].status == "graded"
    assert report["syntax_error"].code_score == EXPECTED["syntax_error"]
