"""nbgrader configuration of the CLEAR course (course id ``clear``).

Run nbgrader from this folder (``cd course && nbgrader generate_assignment 01-getting-started``):
nbgrader reads this file from the current directory. ``clearlib course ...`` reads it too, from
wherever it is run. The faculty guide (README.md beside this file) walks through every step.

Folders, all relative to this one (only ``source/`` is committed; see .gitignore):

- ``source/<assignment>/<assignment>.ipynb``   what faculty author (model answers, hidden tests)
- ``release/``     the learner version made by ``nbgrader generate_assignment``
- ``submitted/<learner>/<assignment>/``        what learners hand in (``nbgrader collect`` or
  ``nbgrader zip_collect`` puts it there)
- ``autograded/``  submissions after ``nbgrader autograde`` / ``clearlib course grade``
- ``feedback/``    HTML feedback for learners (``clearlib course feedback``)
- ``gradebook.db`` every grade and comment (SQLite)
"""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

try:
    from clearlib.course._feedback import LeakFreeFeedback
except ImportError:
    # Never fall back to nbgrader's own feedback, which shows hidden tests: with clearlib
    # missing, `nbgrader generate_feedback` stops with an ImportError naming this class.
    LeakFreeFeedback = "clearlib.course._feedback.LeakFreeFeedback"

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

c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# --- feedback ---------------------------------------------------------------------------------
# nbgrader's own feedback shows hidden tests and full tracebacks (jupyter/nbgrader#917).
# LeakFreeFeedback removes hidden test regions, replaces every traceback by its last line and
# gives each question its points, a plain-language message and its learning objective.
c.GenerateFeedback.preprocessors = [GetGrades, LeakFreeFeedback, CSSHTMLHeaderPreprocessor]
c.LeakFreeFeedback.source_directory = os.path.join(HERE, "source")

# --- learners ---------------------------------------------------------------------------------
# nbgrader adds a learner to the gradebook when their work is first autograded. To give names
# for the Blackboard export, import the cohort once (README.md, "Learners"):
#   nbgrader db student import learners.csv      (columns: id,first_name,last_name,email)
