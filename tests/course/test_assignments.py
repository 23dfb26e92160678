"""Every assignment in course/source passes `clearlib course check`, and a tutor's whole week
runs on it (run by `make test`).

The check makes the learner version and grades the model solution, the blank learner version
and a half-answered version with the course's grader, in a course it keeps
(``check_assignment(keep=...)``). The tutor's week carries on in that course, so that each
week's kernels serve both: a Blackboard download brings a ``wrong`` learner's notebook (the
model with one answer made wrong, tests/course/fixtures/_tutor_week.py), collected with
``nbgrader zip_collect``; grading runs only that notebook (the model, blank and half-answered
work is unchanged since the check graded it); the tutor grades written answers by hand;
feedback; the Blackboard export; grading again changes nothing. Every step's outcome is
asserted, for every assignment. tests/course/test_tutor_week.py runs the week from a new
course, every learner's work new, on a small assignment.

Set ``CLEAR_COURSE_DIR`` to check another course folder (tests/course/test_check.py does, to
prove this file passes on an empty course and fails on a broken assignment).
"""

from __future__ import annotations

import csv
import html
import re
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import _tutor_week as week

from clearlib.course import (
    check_assignment,
    course_dir,
    export_grades,
    generate_feedback,
    grade_assignment,
    list_assignments,
    read_assignment,
)
from clearlib.course._check import BLANK, HALF, MODEL
from clearlib.course._export import PendingGradesError
from clearlib.course._notebook import AssignmentInfo

ASSIGNMENTS = list_assignments(course_dir())
WRONG = "wrong"
#: The model's grading time is a figure, not a test: on a busy machine it runs over the check's
#: 60 s budget. The budget is also each cell's time limit here.
TIME_BUDGET_S = 600
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS or [pytest.param(None, id="no-assignments-yet")])
def test_assignment_is_ready(
    assignment: str | None, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The check passes, then every step of the tutor's week in the checked course is right."""
    if assignment is None:
        assert list_assignments(course_dir()) == []
        return
    info = read_assignment(assignment)
    if any("load_pcn" in p.read_text(encoding="utf-8") for p in info.notebooks):
        # make the dataset before the kernels need it (not grouped on one xdist worker: were
        # two workers to make it at once, clearlib.synth's atomic rename keeps one copy)
        request.getfixturevalue("default_pcn")
    course = tmp_path / "course"
    report = check_assignment(assignment, keep=course, time_budget_s=TIME_BUDGET_S)
    assert report.ok, report.summary()
    _tutors_week(course, info, report.half_points, tmp_path)


def _hidden_lines(source: Path, handed_in: Path, graded: Path, release: Path) -> set[str]:
    """Lines of the hidden tests that the learner's feedback may not show: those found
    neither in the learner's answers, nor in the outputs of the graded notebook, nor in the
    learner version (a message or helper line that a visible check has too)."""
    parts = [c.source for c in nbformat.read(release, as_version=4).cells]
    parts += [
        c.source
        for c in nbformat.read(handed_in, as_version=4).cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]
    for cell in nbformat.read(graded, as_version=4).cells:
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")))
            parts += [str(v) for v in out.get("data", {}).values()]
    visible = "\n".join(parts)
    lines = set()
    for cell in nbformat.read(source, as_version=4).cells:
        for region in HIDDEN.findall(cell.source):
            for line in region.splitlines():
                line = line.strip()
                if len(line) >= 20 and not line.startswith("#") and line not in visible:
                    lines.add(line)
    return lines


def _tutors_week(course: Path, info: AssignmentInfo, half_points: float, tmp: Path) -> None:
    """The tutor's week in the course ``check_assignment(keep=course)`` left graded."""
    assignment = info.name
    total, autograded = info.max_points, info.autograded_points
    by_hand = total - autograded
    notebook = f"{assignment}.ipynb"
    source = course / "source" / assignment / notebook

    # release: the learner version, without model answers or hidden tests
    released = (course / "release" / assignment / notebook).read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" not in released
    assert "BEGIN HIDDEN TESTS" not in released

    # collect: a Blackboard download with a wrong learner's notebook
    wrong_nb, wrong_answer = week.wrong_notebook(source)
    week.collect(course, assignment, {WRONG: wrong_nb})
    learners = sorted(p.name for p in (course / "submitted").iterdir())
    assert learners == sorted([BLANK, HALF, MODEL, WRONG])

    # grade: only the new work runs; the model has every autograded point, the blank none,
    # the half-answered and the wrong learner fewer (the spoiled question's test fails)
    report = grade_assignment(
        assignment, course_dir=course, jobs=2, cell_timeout=TIME_BUDGET_S, progress=False
    )
    status = {r.learner: r.status for r in report}
    assert status == {BLANK: "skipped", HALF: "skipped", MODEL: "skipped", WRONG: "graded"}, (
        report.summary()
    )
    assert report[MODEL].code_score == autograded, report.summary()
    assert report[BLANK].code_score == 0, report.summary()
    assert report[HALF].code_score == half_points < autograded, report.summary()
    assert report[WRONG].code_score < autograded, report.summary()
    failed = {q.grade_id for q in report[WRONG].failures}
    assert any(g.startswith(wrong_answer.split("-")[0] + "-") for g in failed), failed
    summary = report.summary()
    assert f"Points possible: {total:g} ({autograded:g} autograded, {by_hand:g} graded" in summary
    assert re.search(rf"\b{MODEL}\s+{autograded:g} / {total:g} \({by_hand:g} pending\)", summary)

    # grade by hand: the model's written answers; the wrong learner's still wait
    assert week.hand_grade(course, assignment, {MODEL: 1.0})
    # feedback: the check wrote the blank's and the half-answered learner's; the model's and
    # the wrong learner's grades have changed since
    pages = generate_feedback(assignment, course_dir=course, learners=[MODEL, WRONG])
    text = {p.parts[-3]: p.read_text(encoding="utf-8") for p in pages.files}
    assert sorted(text) == [MODEL, WRONG]
    assert sorted(p.name for p in (course / "feedback").iterdir()) == learners
    assert f"Score: {total:g} / {total:g}" in text[MODEL]
    assert "Score so far:" in text[WRONG] and "pending / " in text[WRONG]
    assert "Not yet" in text[WRONG]
    assert all("cdnjs" not in page for page in text.values())
    hidden = _hidden_lines(
        source,
        course / "submitted" / WRONG / assignment / notebook,
        course / "autograded" / WRONG / assignment / notebook,
        course / "release" / assignment / notebook,
    )
    assert hidden
    shown = {ln.strip() for ln in html.unescape(re.sub(r"<[^>]+>", "", text[WRONG])).splitlines()}
    assert not hidden & shown

    # export: stops and names who waits; complete_only leaves them out
    with pytest.raises(PendingGradesError, match=rf"{WRONG} \({assignment}"):
        export_grades([assignment], course_dir=course, out=tmp / "early")
    early = export_grades(
        [assignment], course_dir=course, out=tmp / "early", pending="complete_only"
    )
    assert early.left_out == [(assignment, WRONG)]

    # graded by hand, everything is final
    week.hand_grade(course, assignment, {WRONG: 0.5})
    result = export_grades([assignment], course_dir=course, out=tmp / "exports")
    assert str(result.points[assignment]).startswith(f"{assignment}: {total:g} points possible")
    with (tmp / "exports" / "blackboard-grade-center.csv").open(encoding="utf-8") as f:
        board = {row["Username"]: row[assignment] for row in csv.DictReader(f)}
    wrong_total = report[WRONG].code_score + 0.5 * by_hand
    assert board == {
        BLANK: "0",
        HALF: f"{half_points:g}",
        MODEL: f"{total:g}",
        WRONG: f"{wrong_total:g}",
    }

    # grading again changes nothing: unchanged work is left alone, hand grades stay final
    again = grade_assignment(
        assignment, course_dir=course, jobs=2, cell_timeout=TIME_BUDGET_S, progress=False
    )
    assert [r.status for r in again] == ["skipped"] * 4
    assert not any(r.needs_manual_grade for r in again)
    assert again[MODEL].score == total
    assert again[WRONG].score == wrong_total
