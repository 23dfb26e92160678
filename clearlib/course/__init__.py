"""The nbgrader course: check assignments, leak-free feedback, grade exports, learners' setup.

Faculty use these through ``clearlib course check | mistakes | grade | feedback | export | similarity``
(and, with Blackboard, ``collect-lms | package-feedback``);
learners through ``clearlib course setup-check | validate | submit``. The assignments' visible checks
use :mod:`clearlib.course.checks`. The faculty guide is ``course/README.md``.

Names load on first use, so ``import clearlib.course`` (and the ``clearlib`` command) stays
quick: nbgrader, nbconvert and SQLAlchemy are imported only by the commands that need them.

Examples
--------
>>> from clearlib.course import check_assignment, objectives
>>> objectives()["LO1.1"].text
'Run, edit and save a notebook; restart and run all.'
>>> report = check_assignment("01-getting-started")  # doctest: +SKIP
>>> report.ok  # doctest: +SKIP
True
"""

from __future__ import annotations

import importlib
from typing import Any as _Any

__all__ = [
    "AssignmentInfo",
    "Check",
    "CheckOutcome",
    "CheckReport",
    "CollectReport",
    "ConstructFinding",
    "ExportResult",
    "FeedbackPackage",
    "FeedbackReport",
    "GradedCell",
    "GradingReport",
    "HandIn",
    "LeakFreeFeedback",
    "LearnerEdition",
    "LearnerResult",
    "Mistake",
    "MistakeOutcome",
    "MistakeReport",
    "NotebookValidation",
    "Objective",
    "PairFlag",
    "PendingGradesError",
    "PlotlyHTML",
    "PointsPossible",
    "Problem",
    "QuestionResult",
    "QuietOverwriteCells",
    "SimilarityReport",
    "TimeEstimate",
    "add_figure_html",
    "audit_constructs",
    "blackboard_table",
    "blank_answers",
    "cell_scores",
    "check_assignment",
    "check_course",
    "check_setup",
    "collect_lms",
    "course_config",
    "course_dir",
    "estimate_assignment",
    "estimate_lesson",
    "export_grades",
    "figure_html",
    "find_leaks",
    "finish_page",
    "generate_feedback",
    "generate_release",
    "grade_assignment",
    "grades_table",
    "hidden_message",
    "hidden_statements",
    "list_assignments",
    "mask_figures",
    "mastery_figure",
    "objective_mastery",
    "objectives",
    "package_feedback",
    "plain_message",
    "points_possible",
    "publish_learner_edition",
    "read_assignment",
    "read_corpus",
    "render_checks",
    "run_mistakes",
    "scan_edition",
    "similarity_report",
    "submit_notebook",
    "validate_notebook",
]

_WHERE = {
    "AssignmentInfo": "_notebook",
    "GradedCell": "_notebook",
    "Objective": "_notebook",
    "course_config": "_notebook",
    "course_dir": "_notebook",
    "list_assignments": "_notebook",
    "objectives": "_notebook",
    "read_assignment": "_notebook",
    "CheckReport": "_check",
    "Problem": "_check",
    "check_assignment": "_check",
    "check_course": "_check",
    "generate_release": "_check",
    "FeedbackReport": "_feedback",
    "LeakFreeFeedback": "_feedback",
    "find_leaks": "_feedback",
    "generate_feedback": "_feedback",
    "hidden_statements": "_feedback",
    "plain_message": "_feedback",
    "PendingGradesError": "_export",
    "PointsPossible": "_export",
    "points_possible": "_export",
    "PlotlyHTML": "_feedback",
    "QuietOverwriteCells": "_feedback",
    "add_figure_html": "_feedback",
    "figure_html": "_feedback",
    "finish_page": "_feedback",
    "hidden_message": "_feedback",
    "mask_figures": "_feedback",
    "ExportResult": "_export",
    "blackboard_table": "_export",
    "cell_scores": "_export",
    "export_grades": "_export",
    "grades_table": "_export",
    "mastery_figure": "_export",
    "objective_mastery": "_export",
    "GradingReport": "_grade",
    "grade_assignment": "_grade",
    "LearnerResult": "_grade",
    "QuestionResult": "_grade",
    "Check": "_setup",
    "check_setup": "_setup",
    "render_checks": "_setup",
    "Mistake": "_mistakes",
    "MistakeOutcome": "_mistakes",
    "MistakeReport": "_mistakes",
    "read_corpus": "_mistakes",
    "run_mistakes": "_mistakes",
    "CheckOutcome": "_validate",
    "NotebookValidation": "_validate",
    "validate_notebook": "_validate",
    "PairFlag": "_similarity",
    "SimilarityReport": "_similarity",
    "similarity_report": "_similarity",
    "ConstructFinding": "_constructs",
    "audit_constructs": "_constructs",
    "TimeEstimate": "_timing",
    "estimate_assignment": "_timing",
    "estimate_lesson": "_timing",
    "LearnerEdition": "_learner",
    "publish_learner_edition": "_learner",
    "scan_edition": "_learner",
    "HandIn": "_submit",
    "blank_answers": "_submit",
    "submit_notebook": "_submit",
    "CollectReport": "_lms",
    "FeedbackPackage": "_lms",
    "collect_lms": "_lms",
    "package_feedback": "_lms",
}


def __getattr__(name: str) -> _Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'clearlib.course' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"clearlib.course.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
