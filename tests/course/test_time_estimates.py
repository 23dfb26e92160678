"""Every lesson and assignment says how long it takes, and the week fits the syllabus's promise.

The syllabus promises about 2 hours of lessons and 1 to 2 hours of assignment a week. The
estimates come from ``clearlib.course._timing`` (its docstring documents the model); a lesson
states its estimate in its first cell, written by ``time_line``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from clearlib._config import REPO_DIR
from clearlib.course._timing import (
    TimeEstimate,
    estimate_assignment,
    estimate_cells,
    estimate_lesson,
    round5,
    stated_assignment_hours,
    stated_lesson_minutes,
    time_line,
)

LESSONS = sorted((REPO_DIR / "modules").glob("*/*.ipynb"))
ASSIGNMENTS = sorted((REPO_DIR / "course" / "source").glob("*/*.ipynb"))

#: Minutes a week's lessons may take, the optional "Going further" sections apart ("about 2 hours").
WEEK_LESSON_MINUTES = 125
#: Minutes an assignment may take beyond the hours it states (and beyond 2 hours).
ASSIGNMENT_SLACK = 10
#: How far a lesson's stated minutes may be from the estimate.
TOLERANCE = 5

#: Assignments known to run longer than 2 hours, still to be trimmed, each with the estimate's
#: reason. A listed assignment must still overrun (so the list cannot outlive the trim); an
#: assignment not listed here must fit.
OVERRUNS: dict[str, str] = {}


def _week(path: Path) -> str:
    return path.name[:2]


def test_the_notebooks_are_found():
    """There are lessons and assignments to time, so the checks below are not vacuous."""
    assert len(LESSONS) >= 24 and len(ASSIGNMENTS) == 12


def test_the_estimator_counts_reading_code_and_exercises_as_documented():
    """320 words read in 2 minutes; a 2-line code cell 1.3; a "Try it" 6; optional apart."""
    est = estimate_cells(
        [
            ("markdown", "# Title\n" + "word " * 319),
            ("code", "x = 1\n# a comment is not read as code\ny = 2"),
            ("markdown", "### Try it\n<details>answer words are the exercise's</details>"),
            ("markdown", "## Going further\n" + "word " * 158),
            ("code", "z = 3"),
            ("markdown", "## Summary"),
        ]
    )
    # reading: 320 + 2 ("Try it") + 1 ("Summary", after the optional section) words at 160 a minute
    assert est.reading == pytest.approx(323 / 160, abs=0.05)
    # doing: one code cell (1) with two lines of code (2 x 0.15), one exercise (6)
    assert est.doing == pytest.approx(7.3)
    # optional: 160 words (1) and a one-line code cell (1.15)
    assert est.optional == pytest.approx(2.15, abs=0.05)
    assert round5(est.total) == 10


def test_the_time_line_reads_back():
    """The line time_line writes is the line stated_lesson_minutes reads."""
    line = time_line(TimeEstimate(12.0, 30.0, optional=9.0))
    assert line == (
        "**Time needed:** about 40 minutes (reading 10, code and exercises 30); "
        'the "Going further" sections add about 10.'
    )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:5])
def test_lesson_states_its_time_and_it_agrees_with_the_estimate(path: Path):
    """The first cell says "**Time needed:** about N minutes (...)", N within 5 of the estimate."""
    stated = stated_lesson_minutes(path)
    est = estimate_lesson(path)
    assert stated is not None, (
        f"{path.name}: no time estimate at the top; put this line in the first cell:\n"
        f"{time_line(est)}"
    )
    assert abs(stated - est.total) <= TOLERANCE + 2.5, (
        f"{path.name} says about {stated} minutes but is estimated at {est.total:.0f} "
        f"(reading {est.reading:.0f}, code and exercises {est.doing:.0f}); update the line to:\n"
        f"{time_line(est)}"
    )


def test_each_weeks_lessons_fit_about_two_hours():
    """A week's lessons, the optional "Going further" sections apart, take at most about 2 hours."""
    weeks: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for path in LESSONS:
        weeks[_week(path)].append((path.stem[:5], estimate_lesson(path).total))
    over = {
        week: f"{sum(t for _, t in lessons):.0f} min: {lessons}"
        for week, lessons in weeks.items()
        if sum(t for _, t in lessons) > WEEK_LESSON_MINUTES
    }
    assert not over, (
        f"these weeks' lessons take more than {WEEK_LESSON_MINUTES} minutes; trim them or move "
        f'optional depth into a "## Going further" section: {over}'
    )


@pytest.mark.parametrize("path", ASSIGNMENTS, ids=lambda p: p.stem[:2])
def test_assignment_states_its_time(path: Path):
    """The assignment's first cell says "**Time needed:** about 1 to 2 hours." (or similar)."""
    assert stated_assignment_hours(path) is not None, (
        f"{path.name}: the first cell should state '**Time needed:** about 1 to 2 hours.'"
    )


@pytest.mark.parametrize("path", ASSIGNMENTS, ids=lambda p: p.stem[:2])
def test_assignment_fits_what_it_states(path: Path):
    """The estimate is within the stated hours and 2 hours (10 minutes' slack), or is listed
    in OVERRUNS with its reason."""
    stated = stated_assignment_hours(path) or 2.0
    limit = min(stated, 2.0) * 60 + ASSIGNMENT_SLACK
    est = estimate_assignment(path)
    week = _week(path)
    if week in OVERRUNS:
        assert OVERRUNS[week], f"say why assignment {week} may overrun"
        assert est.total > limit, (
            f"assignment {week} now fits ({est.total:.0f} minutes): remove it from OVERRUNS"
        )
        return
    assert est.total <= limit, (
        f"assignment {week} is estimated at {est.total:.0f} minutes (reading {est.reading:.0f}, "
        f"answers and checks {est.doing:.0f}), more than its {stated:g} hours and the syllabus's "
        "2: trim it, or list it in OVERRUNS with the reason"
    )
