"""Python is taught before it is used: by the lessons before the lessons, and before assignments.

The rule (``clearlib.course._constructs``): a lesson teaches a construct in a markdown cell that
names it, beside code that uses it; a lesson may use what it or an earlier lesson teaches; an
assignment of week N may use (in its model solutions and setup code) what the lessons of weeks
1 to N teach.
"""

from __future__ import annotations

import json

import pytest

from clearlib._config import REPO_DIR
from clearlib.course._constructs import (
    CONSTRUCTS,
    ConstructFinding,
    assignment_code,
    audit_constructs,
    constructs_in,
    taught_in,
)

LESSONS = sorted((REPO_DIR / "modules").glob("*/*.ipynb"))
ASSIGNMENTS = sorted((REPO_DIR / "course" / "source").glob("*/*.ipynb"))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("print(f'{n:,} patients')", {"f-string", "f-string format"}),
        ("for name, table in pcn.items():\n    pass", {"for loop", "tuple unpacking"}),
        ("df[(df.a > 1) & ~df.b]", {"boolean mask"}),
        ("'old' if age >= 65 else 'young'", {"conditional expression"}),
        ("s.map(lambda x: x * 2)", {"lambda"}),
        ("[x for x in xs if x]", {"list comprehension", "comprehension with if"}),
        ("[a * b for a in xs for b in ys]", {"list comprehension", "nested comprehension"}),
        ("{k: v for k, v in d.items()}", {"dict comprehension", "tuple unpacking"}),
        ("sum(x for x in xs)", {"generator expression"}),
        (
            "def f(a, *, b=2):\n    return a",
            {"def", "default argument", "keyword-only argument", "return"},
        ),
        ("with open(p) as f:\n    pass", {"with"}),
        ("try:\n    x()\nexcept ValueError:\n    raise", {"try/except", "raise"}),
        ("assert ok, 'why'", {"assert"}),
        ("f(*args, **kwargs)", {"star unpacking"}),
        ("a.groupby('x')['y'].sum().sort_values()", {".groupby", "method chain"}),
        ("a.merge(b, on='id')", {".merge"}),
        ("pd.cut(age, [0, 18, 200])", {"pd.cut", "list"}),
        ("# for x in y: a comment\n'for x in y'", set()),
        ("%matplotlib inline\nx = 1", set()),
    ],
)
def test_constructs_in_names_what_the_code_uses(code, expected):
    """Each construct is found by its syntax, never by a word in a comment or a string."""
    assert constructs_in(code) == expected


def test_every_construct_has_a_teaching_pattern_and_a_lesson():
    """Each construct says how a lesson names it and which lesson should teach it."""
    assert len({c.name for c in CONSTRUCTS}) == len(CONSTRUCTS)
    assert all(c.words and c.teach for c in CONSTRUCTS)


def test_teaching_is_an_explanation_beside_an_example():
    """Naming a construct far from any code that uses it does not teach it; naming it nearby does."""
    far = [("markdown", "A `lambda` is a small function with no name.")]
    far += [("code", "x = 1")] * 4 + [("code", "s.map(lambda v: v + 1)")]
    assert "lambda" not in taught_in(far)
    near = [
        ("markdown", "A `lambda` is a small function with no name."),
        ("code", "f = lambda v: v"),
    ]
    assert taught_in(near) == {"lambda": 0}
    in_the_cell = [("markdown", "A `lambda`:\n```python\nf = lambda v: v\n```")]
    assert taught_in(in_the_cell) == {"lambda": 0}
    in_an_answer = [
        ("markdown", "<details>A `lambda`</details>"),
        ("code", "f = lambda v: v"),
    ]
    assert taught_in(in_an_answer) == {}


def test_audit_names_week_construct_place_and_lesson(tmp_path):
    """A week 02 assignment using `lambda` no lesson taught is reported with what to do."""
    lesson = tmp_path / "01.01-First.ipynb"
    lesson.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": "markdown", "metadata": {}, "source": ["A `for` loop:"]},
                    {"cell_type": "code", "metadata": {}, "source": ["for x in range(2):\n    x"]},
                ]
            }
        )
    )
    answer = {"nbgrader": {"solution": True, "grade": False}}
    assignment = tmp_path / "02-tables.ipynb"
    assignment.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": "markdown", "metadata": {}, "source": ["Q1"]},
                    {
                        "cell_type": "code",
                        "metadata": answer,
                        "source": ["### BEGIN SOLUTION\nf = lambda v: v\n### END SOLUTION\n"],
                    },
                ]
            }
        )
    )
    assert assignment_code(assignment) == [(1, "f = lambda v: v\n")]
    findings = audit_constructs([lesson], [assignment])
    assert findings == [
        ConstructFinding(2, "lambda", "assignment 02 cell 1", "02.01's 'Python you need' section")
    ]
    assert str(findings[0]).startswith("week 02: 'lambda' is used in assignment 02 cell 1 before")


def test_the_course_teaches_every_construct_before_it_is_used():
    """No lesson or assignment uses a construct of CONSTRUCTS before a lesson teaches it."""
    findings = audit_constructs(LESSONS, ASSIGNMENTS)
    assert not findings, "constructs used before they are taught:\n" + "\n".join(
        str(f) for f in findings
    )


def test_a_lesson_before_week_06_teaches_writing_a_function_with_an_exercise():
    """Week 06's assignment asks for a function: an earlier lesson teaches def, return and
    defaults, and has the learner write one (an exercise whose answer defines a function)."""
    before = [p for p in LESSONS if int(p.name[:2]) < 6]
    teaching = {}
    for path in before:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        taught = taught_in([(c["cell_type"], "".join(c["source"])) for c in cells])
        exercises = [
            "".join(c["source"])
            for c in cells
            if c["cell_type"] == "code" and "exercise" in c.get("metadata", {}).get("tags", [])
        ]
        if {"def", "return", "default argument"} <= set(taught) and any(
            "def" in constructs_in(code) for code in exercises
        ):
            teaching[path.name] = sorted(taught)
    assert teaching, "no lesson before week 06 teaches def, return and defaults with an exercise"
