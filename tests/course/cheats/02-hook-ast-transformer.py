"""Kernel hook tampering: an AST transformer wraps every later statement in ``try/except``.

The cheat registers an IPython AST transformer (``ast_transformers``): every statement of every
later cell is wrapped in ``try: ... except BaseException: pass``. Failing asserts, the named
checks' AssertionErrors and the blank answers' NotImplementedError are all swallowed, so each
test cell ends without an error and nbgrader counts it as passed.

Today's grader: 18 of 18 autograded points on a blank week 02 (measured). Trusted grader: 0 of
18 on week 02 and 0 of 3 on the tiny fixture (measured): the tests run elsewhere, on answers
that were never defined.
"""

import ast

from IPython import get_ipython

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


class _Swallow(ast.NodeTransformer):
    def visit_Module(self, node: ast.Module) -> ast.Module:
        body = []
        for statement in node.body:
            handler = ast.ExceptHandler(
                type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()]
            )
            body.append(ast.Try(body=[statement], handlers=[handler], orelse=[], finalbody=[]))
        node.body = body
        return ast.fix_missing_locations(node)


get_ipython().ast_transformers.append(_Swallow())
