"""Tampering: an answer that is code, for a test that runs what it is given (week 12's parameters cell).

Week 12 Question 1 asks for ``parameters_cell``, the text of a Papermill parameters cell, and
its hidden test runs the workbook with it in a new kernel, started by whatever process runs the
test. The test let through any assignment of a constant, but an assignment's *target* can be
any expression: ``__import__("os").system("...").x = 0`` runs code. The cheat hands in the
four parameters the question asks for plus such a line, which writes a file
``LEARNER-WROTE-HERE.txt`` beside clearlib's reference tables (where no learner may write),
and sets every other declared answer to ``0``.

Today's grader: 0 of 16 on week 12 (measured: the hidden test now refuses the line before
anything runs; before it was tightened the test ran in the learner's sandboxed kernel, so the
write failed, read-only). Trusted grader: 0 of 16 on week 12 and no file written (measured);
before the test was tightened, the Papermill kernel was started by the trusted process, outside
the sandbox, and the line would have run with the grader's rights. Now the test refuses any
assignment to something other than a plain name, and Papermill runs a parameters cell rebuilt
from the literal values handed in, never the learner's text.
"""

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_PAYLOAD = (
    '__import__("pathlib").Path(__import__("clearlib.reference", fromlist=["x"]).__file__)'
    '.with_name("LEARNER-WROTE-HERE.txt").write_text("written by a learner\'s answer").real = 0'
)

for _name in ANSWERS:
    globals()[_name] = 0

parameters_cell = f"""
practice_code = "SYN-G001"  # the practice to summarise (practice_code in pcn.practices)
as_at = "2026-03-31"  # the date of the list (ISO date, YYYY-MM-DD)
older_age = 65  # age (whole years) from which a person counts as older
output_dir = "."  # the folder this run writes summary.json to
{_PAYLOAD}
"""
