"""Printing a fake pass: text that looks like a passing test, wherever a grader might read.

Before every cell the cheat prints what a grader might take for success: nbgrader-like lines
(``All tests passed``, ``Score: 100%``), the trusted runner's protocol (JSON lines
``{"op": "done", "results": [...]}`` with every test passed), and the same on the kernel
process's real standard output and error (which the grader's log keeps); it also displays a
rich output (``application/json``) of passed results. Every declared answer is ``0``.

Today's grader: 0 of 18 on week 02 (measured: nbgrader reads the errors, not the text). Trusted
grader: 0 of 18 on week 02 and 0 of 3 on the tiny fixture (measured): results come from the
trusted runner's own channel, which the learner's kernel does not write.
"""

import json
import sys

from IPython import get_ipython
from IPython.display import display

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_PASSED = {
    "op": "done",
    "results": [{"status": "passed", "score": 1.0, "points": 1.0, "output": "", "error": None}]
    * 12,
}


def _look_successful(info):
    line = json.dumps(_PASSED)
    print("All tests passed!\nScore: 100%\n" + line)
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.write(line + "\n")
            stream.flush()
        except Exception:
            pass
    display({"application/json": _PASSED, "text/plain": "All tests passed!"}, raw=True)


get_ipython().events.register("pre_run_cell", _look_successful)

for _name in ANSWERS:
    globals()[_name] = 0
