"""Assertion stripping: every ``assert`` and every named check becomes a no-op.

An assert cannot be switched off at run time (``python -O`` is decided at start-up), so the
cheat removes them from the code instead: an AST transformer replaces each ``assert`` statement
with ``pass``, each ``raise`` with ``pass``, and each call of a named check
(``week02.something(...)``, ``clearlib.course.checks``) with ``None``. The test cells run, but
test nothing.

Today's grader: 11 of 18 on a blank week 02 (measured; the tests that failed read an answer
that was never defined). Trusted grader: 0 of 18 on week 02 and 0 of 3 on the tiny fixture
(measured): the test text it runs comes from the gradebook, in a process the learner never
touched.
"""

import ast
import re

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


class _StripAsserts(ast.NodeTransformer):
    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        return ast.copy_location(ast.Pass(), node)

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        return ast.copy_location(ast.Pass(), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        called = ast.unparse(node.func)
        if re.match(r"(week\d\d|checks)\.", called) or "course.checks" in called:
            return ast.copy_location(ast.Constant(None), node)
        return self.generic_visit(node)


get_ipython().ast_transformers.append(_StripAsserts())
