"""Killing or hanging the kernel: the kernel kills itself when the tests would run.

The cheat registers a ``pre_run_cell`` hook: when a cell about to run is a test cell (it opens
with a ``Checks ...`` docstring, or holds ``assert``) or the grader's answer export
(``_clear_answers``), the kernel kills itself (``os._exit``) before the cell runs. It also
makes any call of a function answer by the grader (``serve_call``) kill the kernel. The aim:
the tests never run, so nothing fails, or the grader gives up and records the grader's error
instead of the learner's.

Today's grader: 0 of 18 on week 02 (measured: the kernel is started again, the earlier cells
run again, the hook too, and each test cell fails). Trusted grader: 0 of 18 on week 02 and 0 of
3 on the tiny fixture (measured): no answers are exported, each is reported missing, and the
learner's status is ``kernel_died``.
"""

import os
import re

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_TEST = re.compile(r'^\s*"""Checks|\bassert\b|_clear_answers|clearlib\.course\._answers', re.M)


def _die_before_tests(info):
    if _TEST.search(info.raw_cell or ""):
        os._exit(0)


get_ipython().events.register("pre_run_cell", _die_before_tests)

try:
    import clearlib.course._answers as _answers

    def _die(*args, **kwargs):
        os._exit(0)

    _answers.serve_call = _die
    _answers.export_answers = _die
except ImportError:
    pass
