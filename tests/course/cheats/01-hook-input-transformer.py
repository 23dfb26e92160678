"""Kernel hook tampering: an input transformer turns every later cell into ``pass``.

The cheat registers an IPython input transformer (``input_transformers_post``), which rewrites
the text of every cell before it runs. From then on each cell runs ``pass`` instead of its
code: the learner's unanswered cells no longer raise, and the test cells (which nbgrader runs
in the same kernel) no longer test anything, so they "pass".

Today's grader (the tests in the learner's kernel, ``--legacy-grader``): 18 of 18 autograded
points on a blank week 02 (measured). Trusted grader: 0 of 18 on week 02 and 0 of 3 on the tiny
fixture (measured): the tests run in another process on answers exported as data; nothing is
defined, so every answer is missing.
"""

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


def _run_nothing(lines: list[str]) -> list[str]:
    return ["pass\n"]


get_ipython().input_transformers_post.append(_run_nothing)
