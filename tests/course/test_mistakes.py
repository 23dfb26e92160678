"""The wrong-answer corpus: every usual mistake is caught where the corpus says, naming it.

``course/mistakes/<assignment>.toml`` holds each assignment's usual mistakes (those its lessons
warn about and those its authors have seen); ``clearlib.course._mistakes`` runs them against
the assignment's checks. A new question cannot ship without mistakes in the corpus.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from clearlib._exceptions import ConfigError
from clearlib.course import list_assignments
from clearlib.course._mistakes import corpus_path, read_corpus, run_mistakes

ASSIGNMENTS = list_assignments()


def _write_assignment(tmp_path: Path) -> tuple[Path, Path]:
    """A small assignment (no dataset): one answer, a visible check and a hidden one."""
    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell("values = [3, 1, 2]")
    setup.metadata["nbgrader"] = {"grade_id": "setup", "solution": False, "grade": False}
    answer = nbformat.v4.new_code_cell("### BEGIN SOLUTION\ntotal = sum(values)\n### END SOLUTION")
    answer.metadata["nbgrader"] = {"grade_id": "q1-total", "solution": True, "grade": False}
    test = nbformat.v4.new_code_cell(
        '"""Checks total."""\n'
        'assert isinstance(total, int), "total should be a whole number."\n'
        'assert total != len(values), "You counted the values instead of adding them."\n'
        "### BEGIN HIDDEN TESTS\n"
        'assert total == 6, "total is not the sum of the values."\n'
        "### END HIDDEN TESTS"
    )
    test.metadata["nbgrader"] = {"grade_id": "q1-total-test", "grade": True, "points": 1}
    later = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nhalf = total / 2\n### END SOLUTION")
    later.metadata["nbgrader"] = {"grade_id": "q2-half", "solution": True, "grade": False}
    nb.cells = [setup, answer, test, later]
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    corpus = tmp_path / "demo.toml"
    corpus.write_text(
        """
[[mistake]]
question = "q1-total"
name = "counted the values"
expect = "visible"
message = "counted the values"
code = "total = len(values)"

[[mistake]]
question = "q1-total"
name = "left one out"
expect = "hidden"
reason = "a visible check would give the total away"
message = "not the sum"
code = "total = sum(values[:2])"

[[mistake]]
question = "q1-total"
name = "summed twice"
expect = "visible"
message = "anything"
code = "total = 6"

[[mistake]]
question = "q1-total"
name = "text instead of a number"
expect = "visible"
message = "whole number"
code = "total = str(sum(values))"

[[mistake]]
question = "q1-total"
name = "the answer itself fails"
expect = "visible"
message = "NameError"
code = "total = sum(vals)"

[[mistake]]
name = "both wrong, the later one breaks"
expect = "visible"
message = "error in q2-half"
[mistake.answers]
"q1-total" = "total = sum(values[:2])"
"q2-half" = "half = total / 0"
""",
        encoding="utf-8",
    )
    return path, corpus


def test_the_runner_says_where_each_mistake_is_caught(tmp_path: Path) -> None:
    """A mistake is caught visibly, only at grading, or not at all, with the message shown."""
    notebook, corpus = _write_assignment(tmp_path)
    report = run_mistakes("demo", notebook=notebook, corpus=corpus, course=tmp_path)
    got = {o.mistake.name: (o.caught, o.cell) for o in report.outcomes}
    assert got == {
        "counted the values": ("visible", "q1-total-test"),
        "left one out": ("hidden", "q1-total-test"),
        "summed twice": ("not caught", ""),
        "text instead of a number": ("visible", "q1-total-test"),
        "the answer itself fails": ("visible", "q1-total"),
        "both wrong, the later one breaks": ("visible", "q2-half"),
    }
    assert report.model_failures == [] and report.uncovered == []
    unexpected = [o.mistake.name for o in report.unexpected]
    assert unexpected == ["summed twice"], unexpected
    assert dict(report.counts) == {"visible": 4, "hidden": 1, "not caught": 1}
    assert not report.ok
    assert "6 mistakes: 4 caught visibly, 1 only at grading, 1 not caught" in report.summary()


def test_a_question_without_mistakes_and_a_failing_model_are_reported(tmp_path: Path) -> None:
    """An autograded question missing from the corpus, and a model that fails, are problems."""
    notebook, corpus = _write_assignment(tmp_path)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[1].source = "### BEGIN SOLUTION\ntotal = 5\n### END SOLUTION"
    nbformat.write(nb, notebook)
    corpus.write_text(
        '[[mistake]]\nquestion = "q2-half"\nname = "x"\nexpect = "visible"\nmessage = "y"\n'
        'code = "half = 1"\n',
        encoding="utf-8",
    )
    report = run_mistakes("demo", notebook=notebook, corpus=corpus, course=tmp_path)
    assert report.uncovered == ["q1-total"]
    assert report.model_failures == ["q1-total-test: total is not the sum of the values."]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "no \\[\\[mistake\\]\\] entries"),
        ("[[mistake]]\nname = 'a'\nexpect = 'visible'\nmessage = 'm'\n", "give question and code"),
        (
            "[[mistake]]\nquestion = 'q1-a'\ncode = 'x = 1'\nname = 'a'\nexpect = 'later'\n"
            "message = 'm'\n",
            "must be 'visible' or 'hidden'",
        ),
        (
            "[[mistake]]\nquestion = 'q1-a'\ncode = 'x = 1'\nname = 'a'\nexpect = 'hidden'\n"
            "message = 'm'\n",
            "needs a reason",
        ),
        (
            "[[mistake]]\nquestion = 'q1-a'\ncode = 'x = 1'\nname = 'a'\nexpect = 'visible'\n"
            "message = 'm'\nhint = 'h'\n",
            "unknown field",
        ),
        ("[[mistake]\n", "not valid TOML"),
    ],
)
def test_a_malformed_corpus_says_what_is_wrong(tmp_path: Path, text: str, error: str) -> None:
    """Each malformed entry is refused with the file, the entry and what to change."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=error):
        read_corpus(path)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_has_a_corpus(assignment: str) -> None:
    """Each assignment ships its usual mistakes, each one a real entry."""
    assert read_corpus(corpus_path(assignment)), assignment


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_usual_mistakes_are_caught(assignment: str, default_pcn) -> None:
    """Every mistake of the corpus fails the check it should, with a message naming it; the
    model answers pass every check; every autograded question has mistakes in the corpus."""
    report = run_mistakes(assignment)
    problems = [o.describe() for o in report.unexpected]
    problems += [f"the model answer fails {f}" for f in report.model_failures]
    problems += [f"{q} has no mistake in the corpus" for q in report.uncovered]
    assert not problems, report.summary() + "\n" + "\n".join(problems)
