"""Which Python constructs a notebook uses, and where the course teaches each one.

The course is for clinicians who have used Excel, not Python. A learner can only write
``def efi_category_of(counts): ...`` in week 06 if a lesson showed ``def`` before week 06. This
module makes that promise checkable:

- :func:`constructs_in` names the constructs in a piece of code (parsed with :mod:`ast`, so a
  word in a string or a comment never counts);
- :func:`lesson_cells` and :func:`assignment_code` give the code a learner runs or reads in a
  lesson or an assignment;
- :func:`taught_in` finds where a lesson *teaches* a construct;
- :func:`audit_constructs` applies the rule to the whole course and lists every construct used before it is
  taught.

pandas' ``.apply`` is not listed: a scenario's ``hub.apply(base)`` looks the same to :mod:`ast`.

The rule
--------
A construct is **taught** at a markdown cell of a lesson when the cell's text names it (each
construct's ``words`` pattern: ``def``, "list comprehension", "f-string"...) *and* code within
:data:`NEAR` cells of it (or a fenced code block inside the cell) uses it: an explanation beside
a working example. A lesson may **use** a construct that it, or an earlier lesson, teaches
(lessons are ordered by their number, ``01.01`` to ``12.03``). An assignment of week N may use a
construct that a lesson of week N or earlier teaches. The code an assignment's learner writes or
reads is its model solutions (between ``### BEGIN SOLUTION`` and ``### END SOLUTION``) and its
setup cells (code cells that are neither answers nor graded checks); the checks' own code is
faculty's and is not counted.

Examples
--------
>>> sorted(constructs_in("total = sum(x for x in range(3) if x)"))
['comprehension with if', 'generator expression']
>>> sorted(constructs_in("def f(a, b=1):\\n    return a + b"))
['def', 'default argument', 'return']
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from clearlib._config import REPO_DIR

__all__ = [
    "CONSTRUCTS",
    "NEAR",
    "Construct",
    "ConstructFinding",
    "Use",
    "assignment_code",
    "audit_constructs",
    "constructs_in",
    "lesson_cells",
    "taught_in",
]

#: How many cells either side of an explanation may hold its example.
NEAR = 3


@dataclass(frozen=True)
class Construct:
    """One piece of Python (or one pandas idiom) a learner must know.

    Attributes
    ----------
    name : str
        Its name in findings ("list comprehension").
    words : str
        A regular expression (case-insensitive) that a lesson's explanation of it matches.
    teach : str
        Where the course teaches it, for the finding's "what to do".
    """

    name: str
    words: str
    teach: str


_PY01 = "01.01's 'Python you need' section"
_PY02 = "02.01's 'Python you need' section"
_FUNC = "05.03 Writing functions"

#: The constructs checked, in the order the course teaches them.
CONSTRUCTS: tuple[Construct, ...] = (
    Construct("f-string", r"f-string", _PY01),
    Construct("f-string format", r"format (?:spec|code)|`:,`|`:\.\d", _PY01),
    Construct("list", r"\ba list\b|\blists?\b.*`\[", _PY01),
    Construct("dictionary", r"dictionar(?:y|ies)", _PY01),
    Construct("for loop", r"`for`|for loop", _PY01),
    Construct("tuple unpacking", r"unpack", _PY01),
    Construct("boolean mask", r"`&`|`\|`|`~`", "02.01 Filter, sort, select"),
    Construct("if statement", r"`if`", _PY02),
    Construct(
        "conditional expression", r"`[^`]* if [^`]* else [^`]*`|conditional expression", _PY02
    ),
    Construct("lambda", r"`lambda`", _PY02),
    Construct("list comprehension", r"list comprehension", _PY02),
    Construct("dict comprehension", r"dictionary comprehension|dict comprehension", _PY02),
    Construct("set comprehension", r"set comprehension", _PY02),
    Construct("generator expression", r"generator expression|comprehension", _PY02),
    Construct("comprehension with if", r"comprehension[^.]*`if`|`if`[^.]*comprehension", _PY02),
    Construct("nested comprehension", r"two `for`s|nested comprehension", _PY02),
    Construct("star unpacking", r"`\*\w*`|`\*\*\w*`|unpack", _PY02),
    Construct("def", r"`def`", _FUNC),
    Construct("return", r"`return`", _FUNC),
    Construct("default argument", r"default (?:value|argument)", _FUNC),
    Construct("keyword-only argument", r"keyword-only|`\*`", _FUNC),
    Construct("while loop", r"`while`", _FUNC),
    Construct("with", r"`with\b", "04.01 ConstructFinding and fixing extract problems"),
    Construct("try/except", r"`try:?`|`except\b", _PY02),
    Construct("raise", r"`raise`", _FUNC),
    Construct("assert", r"`assert`", _PY01),
    Construct("class", r"`class`", _FUNC),
    Construct("method chain", r"\bchain", "02.02 Group and aggregate"),
    Construct(".groupby", r"`[\w.]*groupby", "02.02 Group and aggregate"),
    Construct(".merge", r"`[\w.]*merge", "02.03 Joining tables"),
    Construct(".pivot_table", r"`[\w.]*pivot_table", "02.02 Group and aggregate"),
    Construct("pd.cut", r"`[\w.]*cut\b", "01.02 List sizes and age structure"),
)

_BY_NAME = {c.name: c for c in CONSTRUCTS}
_METHODS = {".groupby": "groupby", ".merge": "merge"}
_METHODS |= {".pivot_table": "pivot_table", "pd.cut": "cut"}
_COMPREHENSIONS = {
    ast.ListComp: "list comprehension",
    ast.DictComp: "dict comprehension",
    ast.SetComp: "set comprehension",
    ast.GeneratorExp: "generator expression",
}


def _chain_length(node: ast.AST) -> int:
    """How many method calls follow one another: ``a.b().c().d()`` is 3."""
    n = 0
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        n += 1
        node = node.func.value
        while isinstance(node, ast.Subscript | ast.Attribute) and not isinstance(node, ast.Call):
            node = node.value
    return n


def _names(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.JoinedStr):
        yield "f-string"
    elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        yield "f-string format"
    elif isinstance(node, ast.ListComp):
        yield "list comprehension"
    elif isinstance(node, ast.List) and isinstance(node.ctx, ast.Load):
        yield "list"
    elif isinstance(node, ast.Dict):
        yield "dictionary"
        if None in node.keys:
            yield "star unpacking"
    elif isinstance(node, ast.For):
        yield "for loop"
        if isinstance(node.target, ast.Tuple):
            yield "tuple unpacking"
    elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Tuple) for t in node.targets):
        yield "tuple unpacking"
    elif isinstance(node, ast.BinOp | ast.UnaryOp | ast.AugAssign) and isinstance(
        node.op, ast.BitAnd | ast.BitOr | ast.Invert
    ):
        yield "boolean mask"
    elif isinstance(node, ast.If):
        yield "if statement"
    elif isinstance(node, ast.IfExp):
        yield "conditional expression"
    elif isinstance(node, ast.Lambda):
        yield "lambda"
    elif isinstance(node, ast.FunctionDef):
        yield "def"
        if node.args.defaults or any(d is not None for d in node.args.kw_defaults):
            yield "default argument"
        if node.args.kwonlyargs:
            yield "keyword-only argument"
    elif isinstance(node, ast.Return):
        yield "return"
    elif isinstance(node, ast.While):
        yield "while loop"
    elif isinstance(node, ast.With):
        yield "with"
    elif isinstance(node, ast.Try):
        yield "try/except"
    elif isinstance(node, ast.Raise):
        yield "raise"
    elif isinstance(node, ast.Assert):
        yield "assert"
    elif isinstance(node, ast.ClassDef):
        yield "class"
    elif isinstance(node, ast.Starred):
        yield "star unpacking"
    elif isinstance(node, ast.Call):
        if any(k.arg is None for k in node.keywords):
            yield "star unpacking"
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        yield from (c for c, method in _METHODS.items() if method == name)
        if _chain_length(node) >= 3:
            yield "method chain"
    if isinstance(node, tuple(_COMPREHENSIONS)):
        kind = _COMPREHENSIONS[type(node)]
        if kind != "list comprehension":
            yield kind
        if any(g.ifs for g in node.generators):
            yield "comprehension with if"
        inner = any(isinstance(n, tuple(_COMPREHENSIONS)) for n in ast.walk(node) if n is not node)
        if len(node.generators) > 1 or inner:
            yield "nested comprehension"


def constructs_in(code: str) -> set[str]:
    """Name the constructs of :data:`CONSTRUCTS` that ``code`` uses.

    Parameters
    ----------
    code : str
        Python source. Notebook magics (lines starting ``%`` or ``!``) are ignored; code that
        does not parse uses nothing.

    Returns
    -------
    set of str
        Construct names.

    Examples
    --------
    >>> sorted(constructs_in("rows = {n: len(t) for n, t in pcn.items()}"))
    ['dict comprehension', 'tuple unpacking']
    >>> sorted(constructs_in("df.groupby('a')['b'].sum().sort_values()"))
    ['.groupby', 'method chain']
    >>> constructs_in("not python (")
    set()
    """
    return set(_constructs(code))


@functools.lru_cache(maxsize=4096)
def _constructs(code: str) -> frozenset[str]:
    code = "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()
    )
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(tree):
        found.update(_names(node))
    # a dict comprehension's "for k, v in" is the comprehension's own unpacking
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension) and isinstance(node.target, ast.Tuple):
            found.add("tuple unpacking")
    return frozenset(found)


_FENCE = re.compile(r"```(?:python)?\n(.*?)```", re.S)
_ANSWER = re.compile(r"<details>.*?</details>", re.S)


@dataclass(frozen=True)
class Use:
    """A construct used in a notebook.

    Attributes
    ----------
    construct : str
        Its name.
    where : str
        The notebook's stem and cell, "07.02 cell 12".
    """

    construct: str
    where: str


@dataclass(frozen=True)
class ConstructFinding:
    """A construct used before the course teaches it.

    Attributes
    ----------
    week : int
        The week of the notebook that uses it.
    construct : str
        Its name.
    where : str
        Where it is first used ("07.02 cell 12", "assignment 06 cell 10").
    teach : str
        Which lesson should teach it (or teach it earlier).
    """

    week: int
    construct: str
    where: str
    teach: str

    def __str__(self) -> str:
        return (
            f"week {self.week:02d}: {self.construct!r} is used in {self.where} before a lesson "
            f"teaches it; teach it in {self.teach} (explain it in markdown that names it, "
            f"beside code that uses it)"
        )


def _cells(path: Path) -> list[dict]:
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return [{**c, "source": "".join(c["source"])} for c in cells]


def lesson_cells(path: str | Path) -> list[tuple[str, str]]:
    """A lesson's cells as (kind, code): ``("code", ...)``, ``("markdown", ...)``.

    Markdown's own fenced code (examples, and the answers a learner opens) is read as code too,
    by :func:`audit_constructs`.

    Examples
    --------
    >>> from clearlib._config import REPO_DIR
    >>> cells = lesson_cells(next((REPO_DIR / "modules").glob("01-*/01.01-*.ipynb")))
    >>> cells[0][0]
    'markdown'
    """
    return [(c["cell_type"], c["source"]) for c in _cells(Path(path))]


_SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def assignment_code(path: str | Path) -> list[tuple[int, str]]:
    """The code an assignment's learner writes or reads, as (cell index, code).

    That is the model solutions (between ``### BEGIN SOLUTION`` and ``### END SOLUTION``) and
    the setup cells (code that is neither an answer nor a graded check).

    Examples
    --------
    >>> from clearlib._config import REPO_DIR
    >>> path = REPO_DIR / "course/source/06-frailty-multimorbidity/06-frailty-multimorbidity.ipynb"
    >>> "def" in constructs_in("\\n".join(code for _, code in assignment_code(path)))
    True
    """
    found = []
    for i, cell in enumerate(_cells(Path(path))):
        if cell["cell_type"] != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            found.extend((i, block) for block in _SOLUTION.findall(cell["source"]))
        elif not meta.get("grade"):
            found.append((i, cell["source"]))
    return found


def _code_of(kind: str, source: str) -> str:
    if kind == "code":
        return source
    return "\n".join(block for block in _FENCE.findall(source))


def taught_in(cells: list[tuple[str, str]]) -> dict[str, int]:
    """Where a lesson teaches each construct it teaches: construct name -> markdown cell index.

    Parameters
    ----------
    cells : list of (kind, source)
        A lesson's cells, as :func:`lesson_cells` gives them.

    Returns
    -------
    dict
        The first cell that teaches each construct (see the rule in the module docstring).

    Examples
    --------
    >>> taught_in([("markdown", "A `lambda` is a function with no name."),
    ...            ("code", "s.map(lambda x: x + 1)")])
    {'lambda': 0}
    >>> taught_in([("markdown", "Group by practice."), ("code", "s.map(lambda x: x + 1)")])
    {}
    """
    used = [constructs_in(_code_of(kind, src)) for kind, src in cells]
    taught: dict[str, int] = {}
    for i, (kind, source) in enumerate(cells):
        if kind != "markdown":
            continue
        text = _ANSWER.sub("", source)
        near: set[str] = set().union(*used[max(0, i - NEAR) : i + NEAR + 1])
        for construct in CONSTRUCTS:
            if construct.name in taught or construct.name not in near:
                continue
            if re.search(construct.words, text, re.I):
                taught[construct.name] = i
    return taught


def _week(path: Path) -> int:
    return int(path.name[:2])


def _first_uses(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    first: dict[str, str] = {}
    for where, code in pairs:
        for name in sorted(constructs_in(code)):
            first.setdefault(name, where)
    return first


def audit_constructs(
    lessons: Iterable[str | Path] | None = None, assignments: Iterable[str | Path] | None = None
) -> list[ConstructFinding]:
    """Every construct used before a lesson teaches it, for lessons and assignments.

    Parameters
    ----------
    lessons : paths, optional
        The lessons, ``NN.MM-Title.ipynb``, taught in the order of their names (default: every
        lesson under the course's ``modules/``).
    assignments : paths, optional
        The assignments' source notebooks, ``NN-name.ipynb`` (default: every notebook under
        ``course/source/``).

    Returns
    -------
    list of ConstructFinding
        Empty when everything used is taught first.

    Examples
    --------
    >>> [str(f) for f in audit_constructs()]
    []
    """
    if lessons is None:
        lessons = (REPO_DIR / "modules").glob("*/*.ipynb")
    if assignments is None:
        assignments = (REPO_DIR / "course" / "source").glob("*/*.ipynb")
    lessons = sorted((Path(p) for p in lessons), key=lambda p: p.name)
    taught_by_week: dict[str, int] = {}
    known: set[str] = set()
    findings = []
    for path in lessons:
        cells = lesson_cells(path)
        here = taught_in(cells)
        stem = path.name[:5]
        uses = _first_uses(
            (f"{stem} cell {i}", _code_of(kind, src)) for i, (kind, src) in enumerate(cells)
        )
        for name, where in uses.items():
            if name not in known and name not in here:
                findings.append(ConstructFinding(_week(path), name, where, _BY_NAME[name].teach))
        for name in here:
            known.add(name)
            taught_by_week.setdefault(name, _week(path))
    for path in sorted(Path(p) for p in assignments):
        week = _week(path)
        uses = _first_uses(
            (f"assignment {path.name[:2]} cell {i}", code) for i, code in assignment_code(path)
        )
        for name, where in uses.items():
            if taught_by_week.get(name, 99) > week:
                findings.append(ConstructFinding(week, name, where, _BY_NAME[name].teach))
    return findings
