"""Killing or hanging the kernel: the kernel loops for ever when the tests would run.

The cheat registers a ``pre_run_cell`` hook: when a test cell or the grader's answer export is
about to run, the kernel ignores interrupts (``SIGINT``) and loops for ever; any call of a
function answer by the grader (``serve_call``) does the same. The aim: the tests time out, or
the grading of the assignment never ends.

Today's grader: every test cell runs out of time, is interrupted in vain, and the kernel is
killed and started again; 0, and the grading of the others goes on. Trusted grader: 0 of 18 on
week 02 and 0 of 3 on the tiny fixture (measured) (status ``timed_out``), and the others are
graded.
"""

import re
import signal

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_TEST = re.compile(r'^\s*"""Checks|\bassert\b|_clear_answers|clearlib\.course\._answers', re.M)


def _hang(*args, **kwargs):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:  # with SIGINT ignored, no KeyboardInterrupt can end this
        pass


def _hang_before_tests(info):
    if _TEST.search(info.raw_cell or ""):
        _hang()


get_ipython().events.register("pre_run_cell", _hang_before_tests)

try:
    import clearlib.course._answers as _answers

    _answers.serve_call = _hang
    _answers.export_answers = _hang
except ImportError:
    pass
