"""Every assignment in course/source passes `clearlib course check` (run by `make test`).

Set ``CLEAR_COURSE_DIR`` to check another course folder (tests/course/test_check.py does, to
prove this file passes on an empty course and fails on a broken assignment).
"""

from __future__ import annotations

import pytest

from clearlib.course import check_assignment, course_dir, list_assignments, read_assignment

ASSIGNMENTS = list_assignments(course_dir())


@pytest.mark.parametrize("assignment", ASSIGNMENTS or [pytest.param(None, id="no-assignments-yet")])
def test_assignment_is_ready(assignment: str | None, request: pytest.FixtureRequest) -> None:
    """The model solution earns every autograded point, the blank none, and nothing is amiss."""
    if assignment is None:
        assert list_assignments(course_dir()) == []
        return
    info = read_assignment(assignment)
    if any("load_pcn" in p.read_text(encoding="utf-8") for p in info.notebooks):
        # make the dataset before the kernels need it (not grouped on one xdist worker: were
        # two workers to make it at once, clearlib.synth's atomic rename keeps one copy)
        request.getfixturevalue("default_pcn")
    report = check_assignment(assignment)
    assert report.ok, report.summary()
