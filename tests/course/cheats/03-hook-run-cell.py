"""Kernel hook tampering: ``run_cell`` is patched to skip every cell that tests or fails.

The cheat replaces the shell's ``run_cell`` and ``run_cell_async`` (ipykernel calls the latter
with the cell's text already transformed) with wrappers that run ``pass`` instead of any cell
holding an ``assert``, a named check or ``raise NotImplementedError``: the test cells never run
their checks and report success.

Today's grader (the tests in the learner's kernel, ``--legacy-grader``): 18 of 18 autograded
points on a blank week 02 (measured). Trusted grader: 0 of 18 on week 02 and 0 of 3 on the tiny
fixture (measured): the tests run in another process; the patched ``run_cell`` only skips the
learner's own answer export, so every answer is missing.
"""

import re

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_shell = get_ipython()
_TESTS = re.compile(r"\bassert\b|NotImplementedError|checks|\bweek\d\d\.")
_run_cell, _run_cell_async = _shell.run_cell, _shell.run_cell_async


def _skip(raw_cell, kwargs):
    if _TESTS.search(str(raw_cell)):
        if "transformed_cell" in kwargs:  # ipykernel's call of run_cell_async
            kwargs["transformed_cell"] = "pass\n"
            kwargs["preprocessing_exc_tuple"] = None
        return "pass\n"
    return raw_cell


def run_cell(raw_cell, *args, **kwargs):
    return _run_cell(_skip(raw_cell, kwargs), *args, **kwargs)


async def run_cell_async(raw_cell, *args, **kwargs):
    return await _run_cell_async(_skip(raw_cell, kwargs), *args, **kwargs)


_shell.run_cell, _shell.run_cell_async = run_cell, run_cell_async
