"""Named checks for the assignments' visible test cells.

A visible test cell reads as a few named checks, each failing with a message in plain words that
names the mistake and how to fix it::

    from clearlib.course import checks

    checks.is_table(pharmacist_phone_mar, "pharmacist_phone_mar", columns=COLUMNS)
    checks.sorted_by(pharmacist_phone_mar, "pharmacist_phone_mar", ["start", "appointment_id"])

The general checks live here; each week's own checks (the usual mistakes of its questions,
recomputed from the data so that a wrong answer is recognised) live in ``weekNN`` modules beside
this one. Every check raises ``AssertionError`` (so nbgrader counts the cell as failed) and
returns None when it passes. Hidden tests never live here: learners can read this package.
"""

from clearlib.course.checks._core import (
    close_to,
    has_index,
    is_number,
    is_table,
    is_whole_number,
    no_missing,
    not_mistake,
    same,
    sorted_by,
    within,
)

__all__ = [
    "close_to",
    "has_index",
    "is_number",
    "is_table",
    "is_whole_number",
    "no_missing",
    "not_mistake",
    "same",
    "sorted_by",
    "within",
]
