"""Comparison spoofing: builtins patched to agree with the tests.

The cheat replaces ``isinstance``, ``all`` and ``any`` in ``builtins`` and ``math.isclose``
with versions that, when called from a notebook cell or from the named checks
(``clearlib.course.checks``), give the answer a test hopes for (True), and behave normally
elsewhere so that the kernel keeps working. Every declared answer is ``0``.

Today's grader: 0 of 18 on week 02 (measured: the checks then fail on the answers' missing
attributes). Trusted grader: 0 of 18 on week 02 and 0 of 3 on the tiny fixture (measured): the
tests run in another process, whose builtins the learner cannot reach.
"""

import builtins
import math
import sys

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_real = {name: getattr(builtins, name) for name in ("isinstance", "all", "any")}
_real_isclose = math.isclose


def _from_tests() -> bool:
    frame = sys._getframe(2)
    name = frame.f_code.co_filename
    return name.startswith("<ipython-input") or "/ipykernel_" in name or "course/checks" in name


def _isinstance(obj, cls):
    return True if _from_tests() else _real["isinstance"](obj, cls)


def _all(iterable):
    return True if _from_tests() else _real["all"](iterable)


def _any(iterable):
    return True if _from_tests() else _real["any"](iterable)


def _isclose(*args, **kwargs):
    return True if _from_tests() else _real_isclose(*args, **kwargs)


builtins.isinstance, builtins.all, builtins.any = _isinstance, _all, _any
math.isclose = _isclose

for _name in ANSWERS:
    globals()[_name] = 0
