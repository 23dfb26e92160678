"""nbgrader configuration of the CLEAR course (course id ``clear``).

Run nbgrader from this folder (``cd course && nbgrader generate_assignment 01-getting-started``):
nbgrader reads this file from the current directory. ``clearlib course ...`` reads it too, from
wherever it is run. The faculty guide (README.md beside this file) walks through every step.

Folders, all relative to this one (only ``source/`` is committed; see .gitignore):

- ``source/<assignment>/<assignment>.ipynb``   what faculty author (model answers, hidden tests)
- ``release/``     the learner version made by ``nbgrader generate_assignment``
- ``submitted/<learner>/<assignment>/``        what learners hand in (``nbgrader collect`` or
  ``nbgrader zip_collect`` puts it there, the latter from ``downloaded/<assignment>/archive/``)
- ``autograded/``  submissions after ``nbgrader autograde`` / ``clearlib course grade``
- ``feedback/``    HTML feedback for learners (``clearlib course feedback``)
- ``gradebook.db`` every grade and comment (SQLite)
"""

import os

# Preprocessors are named by their import path, not imported here: the configuration stays
# plain data (formgrader can show it), and with clearlib missing `nbgrader generate_feedback`
# stops with an ImportError naming LeakFreeFeedback instead of falling back to nbgrader's own
# feedback, which shows hidden tests.
CLEAR = "clearlib.course._feedback."

c = get_config()  # noqa: F821 (nbgrader's config loader provides get_config)

HERE = os.path.dirname(os.path.abspath(__file__))

# --- the course and its folders ----------------------------------------------------------------
c.CourseDirectory.course_id = "clear"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
# Files in source/<assignment>/ that must not be copied to learners: the grade-id lock file
# that `clearlib course check --update-lock` writes, and nbgrader's usual leftovers.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "grade_ids.txt",
]

# --- the learner version ----------------------------------------------------------------------
# What a learner sees in place of a model answer. Running the blank cell fails with this
# message, so every test after it fails too and the blank release earns no points.
c.ClearSolutions.code_stub = {
    "python": 'raise NotImplementedError("Write your answer here, then run the cell.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Hidden tests (### BEGIN HIDDEN TESTS / ### END HIDDEN TESTS) are removed from the release.
c.ClearHiddenTests.enforce_metadata = True

# --- autograding ------------------------------------------------------------------------------
# Each cell may run for 60 seconds; a cell that takes longer is interrupted, scored as failed,
# and the rest of the notebook still runs. (`clearlib course grade` adds a sandbox and its own,
# shorter per-cell limit: see README.md.)
# Put back test cells a learner deleted, as clearlib course grade does.
c.OverwriteCells.add_missing_cells = True
# nbgrader's own steps, with two changes: QuietOverwriteCells does not warn that every test
# cell with hidden tests "has changed" (the learner's copy never has them), and PlotlyHTML gives
# each learner's plotly figure an HTML rendering, so that it shows in the formgrader.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    CLEAR + "QuietOverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    CLEAR + "PlotlyHTML",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Kernels log only errors: not ipykernel's "Kernel is running over TCP without encryption"
# warning, once per graded notebook (the sandbox of `clearlib course grade` uses IPC anyway).
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]

c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# --- feedback ---------------------------------------------------------------------------------
# nbgrader's own feedback shows hidden tests and full tracebacks (jupyter/nbgrader#917).
# LeakFreeFeedback removes hidden test regions, replaces every traceback by its last line,
# gives each question its points, a plain-language message and its learning objective, shows
# written answers not yet graded as pending (not 0) and draws learners' plotly figures offline.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    CLEAR + "LeakFreeFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.LeakFreeFeedback.source_directory = os.path.join(HERE, "source")
# A hidden check's failure message names the mistake with its figures masked ("…"): the
# figures are often the expected answer, and a learner who may resubmit must not get it.
# After the final deadline (no more resubmissions), set True and run `clearlib course feedback`
# again to give learners the full messages.
c.LeakFreeFeedback.release_expected_values = False

# --- collecting from Blackboard ----------------------------------------------------------------
# `nbgrader zip_collect ASSIGNMENT` reads downloaded/ASSIGNMENT/archive/ (Blackboard's
# "Assignment File Download" zip, or its files). Blackboard names each file
#   <assignment>_<username>_attempt_<yyyy-mm-dd-hh-mm-ss>_<the learner's file name>
# (and adds a .txt receipt per attempt, which is skipped: only .ipynb files are collected).
# The attempt's date is left out: nbgrader misreads that format, so no late penalty is computed.
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = (
    r".*_(?P<student_id>[^_/]+)_attempt_\d{4}(?:-\d\d){5}_(?P<file_id>[^/]+)$"
)
c.FileNameCollectorPlugin.valid_ext = [".ipynb"]

# --- learners ---------------------------------------------------------------------------------
# nbgrader adds a learner to the gradebook when their work is first autograded. To give names
# for the Blackboard export, import the cohort once (README.md, "Learners"):
#   nbgrader db student import learners.csv      (columns: id,first_name,last_name,email)
