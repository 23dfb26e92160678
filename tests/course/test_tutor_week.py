"""A tutor's whole week from a new course: release, collect, grade, grade by hand, feedback,
export, and grading again, with three learners whose work is all new.

``model`` hands in the model answers, ``blank`` the learner version untouched, ``wrong`` the
model with one answer changed to a wrong value (tests/course/fixtures/_tutor_week.py). The
assignment is the small one of tests/course/fixtures_check (its kernels start in a second).
The week of every real assignment runs in tests/course/test_assignments.py, in the course
that ``clearlib course check`` graded; ``python benchmarks/bench_grading.py`` times the week
for 40 learners.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import _tutor_week as week

from clearlib.course import export_grades, generate_feedback, grade_assignment, read_assignment
from clearlib.course._export import PendingGradesError

SOURCE = Path(__file__).parent / "fixtures_check" / "source"
ASSIGNMENT = "01-tiny-list-sizes"


def test_the_tutors_week_from_a_new_course(tmp_path: Path) -> None:
    """Scores, pending hand grades, feedback and the Blackboard file are right at every step."""
    assignment = ASSIGNMENT
    info = read_assignment(assignment, course=SOURCE.parent)
    total, autograded = info.max_points, info.autograded_points
    by_hand = total - autograded
    course = week.release(tmp_path / "course", assignment, SOURCE)
    assert (course / "release" / assignment / f"{assignment}.ipynb").is_file()
    week.collect(course, assignment, week.submissions(course, assignment))
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["blank", "model", "wrong"]
    wrong_answer = week.wrong_notebook(course / "source" / assignment / f"{assignment}.ipynb")[1]

    # grade: the model earns every autograded point, the blank none, the wrong fewer (the
    # spoiled question's test fails)
    report = grade_assignment(assignment, course_dir=course, jobs=2, progress=False)
    assert [r.status for r in report] == ["graded"] * 3, report.summary()
    assert report["model"].code_score == autograded, report.summary()
    assert report["blank"].code_score == 0
    assert report["wrong"].code_score < autograded
    failed = {q.grade_id for q in report["wrong"].failures}
    assert any(g.startswith(wrong_answer.split("-")[0] + "-") for g in failed), failed
    summary = report.summary()
    assert f"Points possible: {total:g} ({autograded:g} autograded, {by_hand:g} graded" in summary
    assert re.search(rf"\bmodel\s+{autograded:g} / {total:g} \({by_hand:g} pending\)", summary)

    # the tutor grades the model's written answers; the wrong learner's still wait
    graded = week.hand_grade(course, assignment, {"model": 1.0})
    assert graded
    pages = generate_feedback(assignment, course_dir=course)
    text = {p.parts[-3]: p.read_text(encoding="utf-8") for p in pages.files}
    assert sorted(text) == ["blank", "model", "wrong"]
    assert f"Score: {total:g} / {total:g}" in text["model"]
    assert "Score so far:" in text["wrong"] and "pending / " in text["wrong"]
    assert "Not yet" in text["wrong"]
    assert all("cdnjs" not in page for page in text.values())

    # exporting now stops and names who and what waits
    with pytest.raises(PendingGradesError, match=r"wrong \(" + assignment):
        export_grades([assignment], course_dir=course, out=tmp_path / "early")
    early = export_grades(
        [assignment], course_dir=course, out=tmp_path / "early", pending="complete_only"
    )
    assert early.left_out == [(assignment, "wrong")]

    # graded by hand, everything is final
    week.hand_grade(course, assignment, {"wrong": 0.5})
    result = export_grades([assignment], course_dir=course, out=tmp_path / "exports")
    assert str(result.points[assignment]).startswith(f"{assignment}: {total:g} points possible")
    with (tmp_path / "exports" / "blackboard-grade-center.csv").open(encoding="utf-8") as f:
        board = {row["Username"]: row[assignment] for row in csv.DictReader(f)}
    wrong_total = report["wrong"].code_score + 0.5 * by_hand
    assert board == {"blank": "0", "model": f"{total:g}", "wrong": f"{wrong_total:g}"}

    # grading again changes nothing: unchanged work is left alone, hand grades stay final
    again = grade_assignment(assignment, course_dir=course, jobs=2, progress=False)
    assert [r.status for r in again] == ["skipped"] * 3
    assert not any(r.needs_manual_grade for r in again)
    assert again["model"].score == total
