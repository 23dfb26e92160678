"""Kernel hook tampering: a custom exception handler swallows every error.

``set_custom_exc`` makes IPython call the cheat's handler, instead of showing a traceback, for
any exception a cell raises. The handler prints a reassuring line and returns; no error output
reaches nbgrader, which then counts every test cell (and every blank answer) as passed.

Today's grader: full autograded marks on a blank notebook. Trusted grader: zero.
"""

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


def _handler(shell, etype, value, tb, tb_offset=None):
    print("ok")


get_ipython().set_custom_exc((BaseException,), _handler)
