"""Kernel hook tampering: ``showtraceback`` is patched so that no error is ever shown.

nbgrader decides that a test cell failed when the cell's output holds an error. The cheat
replaces the shell's ``showtraceback``, ``_showtraceback`` (ipykernel's, which sends the error
to the grader) and ``showsyntaxerror`` with functions that do nothing: every failing assert and
every blank answer's NotImplementedError leaves no error in the output.

Today's grader: full autograded marks on a blank notebook. Trusted grader: zero.
"""

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_shell = get_ipython()


def _quiet(*args, **kwargs):
    return None


_shell.showtraceback = _quiet
_shell._showtraceback = _quiet
_shell.showsyntaxerror = _quiet
