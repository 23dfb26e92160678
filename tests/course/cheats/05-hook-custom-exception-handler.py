"""Kernel hook tampering: a custom exception handler swallows every error.

``set_custom_exc`` makes IPython call the cheat's handler, instead of showing a traceback, for
any exception a cell raises. The handler prints a reassuring line and returns, and a
``post_run_cell`` hook clears the error from each cell's result (so the kernel replies "ok"):
no error reaches nbgrader, which then counts every test cell (and every blank answer) as
passed.

Today's grader: 18 of 18 autograded points on a blank week 02 (measured). Trusted grader: 0 of
18 on week 02 and 0 of 3 on the tiny fixture (measured): the handler hides errors only in the
learner's kernel; the tests run elsewhere, on answers that were never defined.
"""

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


def _handler(shell, etype, value, tb, tb_offset=None):
    print("ok")


def _no_error(result):
    result.error_before_exec = None
    result.error_in_exec = None


get_ipython().set_custom_exc((BaseException,), _handler)
get_ipython().events.register("post_run_cell", _no_error)
