"""The cheat corpus scores nothing: a blank assignment with each cheat in its first answer cell.

One ``grade_assignment`` call (the trusted grader, the default) grades the model answers and a
representative subset of the corpus (``tests/course/cheats/``, at least one cheat of each
class), each cheat as one learner handing in the blank release with the cheat as its first
answer. The assignment is the tiny fixture ``01-tiny-list-sizes`` (a locked set-up cell, two
autograded questions with hidden tests, one written answer), so that the whole batch grades in
a few minutes; the cheats aim at what every week shares (the kernel, the grader, clearlib's
files, the dataset). Every cheat must score zero autograded marks, the model full marks, the
written answer must reach manual grading as written, and no file the tampering cheats aim at
may change. ``benchmarks/bench_grading.py --cheats`` runs the whole corpus on every real week,
with the legacy grader's scores beside.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "fixtures"))
sys.path.insert(0, str(HERE / "cheats"))

import _corpus as corpus  # noqa: E402
import _tutor_week as week  # noqa: E402

ASSIGNMENT = "01-tiny-list-sizes"
SOURCE = HERE / "fixtures_check" / "source"
WEEK = HERE.parent.parent / "course" / "source" / "02-working-with-tables"
#: One or more of each class (hooks and spoofing twice); the rest run in the benchmark.
SUBSET = ("01", "04", "06", "07", "08", "11", "13", "16", "17", "19")
#: The classes of cheat issue #15 lists (the first words of each cheat's docstring).
CLASSES = {
    "Kernel hook tampering",
    "Assertion stripping",
    "Comparison spoofing",
    "Reading the course source",
    "Tampering",
    "Writing files the grader reads",
    "Killing or hanging the kernel",
    "Printing a fake pass",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    """The tiny assignment released; the model and each cheat of the subset handed in and
    graded at once."""
    from clearlib.course import grade_assignment

    course = week.release(tmp_path_factory.mktemp("cheats"), ASSIGNMENT, source=SOURCE)
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebooks = {"model": nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)}
    for name in SUBSET:
        path = corpus.cheat(name)
        notebooks[corpus.learner_id(path)] = corpus.cheat_notebook(release, path)
    week.collect(course, ASSIGNMENT, notebooks)
    guarded = corpus.guarded_files()
    before = corpus.fingerprint(guarded)
    report = grade_assignment(
        ASSIGNMENT, course_dir=course, jobs=2, cell_timeout=30, progress=False, force=True
    )
    changed = [p for p, h in corpus.fingerprint(guarded).items() if before.get(p) != h]
    return course, notebooks, report, changed, corpus.leftovers()


def test_the_corpus_has_every_class_of_cheat() -> None:
    """Each class of the issue has a cheat; each cheat names its class and takes the answers."""
    files = corpus.cheat_files()
    classes = {corpus.cheat_class(p) for p in files}
    assert classes == CLASSES
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert corpus.PLACEHOLDER in text, path.name
        words = " ".join(text.split())
        assert "Today's grader" in words and "Trusted grader" in words, path.name
    assert {corpus.cheat_class(corpus.cheat(n)) for n in SUBSET} == CLASSES


def test_a_cheat_goes_in_the_first_answer_cell_with_the_declared_answers(tmp_path: Path) -> None:
    """The cheat notebook is the blank release with the cheat, and the week's declared answers
    filled in, as its first answer cell; the other answers are left blank."""
    source = WEEK / f"{WEEK.name}.ipynb"
    answers = corpus.declared_answers(nbformat.read(source, 4))
    assert answers["pharmacist_phone_mar"] == "table"
    assert answers["n_no_appointments"] == "number"
    nb = corpus.cheat_notebook(nbformat.read(source, 4), corpus.cheat("07"))
    first = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    assert "class Anything" in first.source
    assert f"ANSWERS = {answers!r}" in first.source


def test_every_cheat_scores_zero_and_the_model_full_marks(graded) -> None:
    """Each cheat of the subset scores 0 autograded marks; the model answers score all."""
    _, notebooks, report, _, _ = graded
    model = report["model"]
    assert model.max_code_score > 0
    assert model.code_score == model.max_code_score, [
        (q.grade_id, q.message) for q in model.failures
    ]
    scores = {r.learner: r.code_score for r in report.learners if r.learner != "model"}
    assert set(scores) == set(notebooks) - {"model"}
    assert {k: v for k, v in scores.items() if v} == {}


def test_every_learner_is_graded_whatever_the_others_did(graded) -> None:
    """No cheat stops the grading of anyone: every learner has a result for every question
    (a cheat that kills its kernel is reported so), and the model is graded normally."""
    _, notebooks, report, _, _ = graded
    statuses = {r.learner: r.status for r in report.learners}
    assert set(statuses) == set(notebooks) and statuses["model"] == "graded"
    assert "failed" not in statuses.values(), statuses
    asked = {q.grade_id for q in report["model"].questions}
    assert all({q.grade_id for q in r.questions} == asked for r in report.learners)


def test_written_answers_reach_manual_grading_untouched(graded) -> None:
    """The model's written answers wait for a tutor, word for word as handed in."""
    course, notebooks, report, _, _ = graded
    model = report["model"]
    written = [q for q in model.questions if q.kind == "manual"]
    assert written and model.needs_manual_grade
    handed_in = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in notebooks["model"].cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("solution")
    }
    graded_nb = nbformat.read(
        course / "autograded" / "model" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4
    )
    kept = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in graded_nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") in handed_in
    }
    assert kept == handed_in
    assert {q.grade_id for q in written} == set(handed_in)


def test_no_cheat_changed_a_file_it_aimed_at(graded) -> None:
    """The checks modules, the reference tables, the dataset and site-packages are as before:
    no write of the tampering cheats got through."""
    _, _, _, changed, leftovers = graded
    assert changed == []
    assert leftovers == []
