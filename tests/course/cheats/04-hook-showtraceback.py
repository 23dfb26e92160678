"""Kernel hook tampering: ``showtraceback`` is patched so that no error is ever shown.

nbgrader decides that a test cell failed when the cell's output holds an error. The cheat
replaces the shell's ``showtraceback``, ``_showtraceback`` (ipykernel's, which sends the error
to the grader) and ``showsyntaxerror`` with functions that do nothing, and a ``post_run_cell``
hook clears the error from each cell's result (so the kernel replies "ok"): every failing
assert and every blank answer's NotImplementedError leaves no error behind.

Today's grader: 18 of 18 autograded points on a blank week 02 (measured). Trusted grader: 0 of
18 on week 02 and 0 of 3 on the tiny fixture (measured): errors in the learner's kernel no
longer decide anything; the tests run elsewhere, on answers that were never defined.
"""

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_shell = get_ipython()


def _quiet(*args, **kwargs):
    return None


_shell.showtraceback = _quiet
_shell._showtraceback = _quiet
_shell.showsyntaxerror = _quiet


def _no_error(result):
    result.error_before_exec = None
    result.error_in_exec = None


_shell.events.register("post_run_cell", _no_error)
