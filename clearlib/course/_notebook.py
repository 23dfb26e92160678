"""What the course tools share: where the course is, its objectives, and what a notebook grades.

An assignment is a folder ``course/source/NN-slug/`` holding ``NN-slug.ipynb`` (nbgrader allows
several notebooks; every ``*.ipynb`` in the folder counts). Each graded cell carries nbgrader
metadata (``grade_id``, ``points``) and the CLEAR key ``clear.objectives``: the learning
objectives (``LO1.3``...) it assesses, from ``objectives.csv`` (a copy of the syllabus table).
"""

from __future__ import annotations

import ast
import csv
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from clearlib._config import PACKAGE_DIR, REPO_DIR
from clearlib._exceptions import ConfigError

if TYPE_CHECKING:
    from traitlets.config import Config

__all__ = [
    "GRADE_ID_PATTERN",
    "AssignmentInfo",
    "GradedCell",
    "Objective",
    "course_config",
    "course_dir",
    "docstring_of",
    "ensure_nbgrader_tools",
    "graded_cells",
    "hidden_test_lines",
    "list_assignments",
    "objectives",
    "read_assignment",
    "strip_hidden_tests",
    "week_of",
]

#: A grade id: ``q<number>-<lower-case words joined by hyphens>`` (``q1-list-sizes``).
GRADE_ID_PATTERN = re.compile(r"q\d+-[a-z0-9-]+")
#: An assignment name: two-digit week, then a lower-case slug (``01-getting-started``).
ASSIGNMENT_PATTERN = re.compile(r"(\d{2})-[a-z0-9-]+")
BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
BEGIN_MARK_SCHEME = "BEGIN MARK SCHEME"
END_MARK_SCHEME = "END MARK SCHEME"
OBJECTIVES_CSV = PACKAGE_DIR / "course" / "objectives.csv"
LOCK_FILE = "grade_ids.txt"

Kind = Literal["test", "manual", "task"]


@dataclass(frozen=True)
class Objective:
    """A learning objective of the syllabus (``LO1.3``: week 1, objective 3)."""

    id: str
    week: int
    text: str


@lru_cache(maxsize=1)
def objectives() -> dict[str, Objective]:
    """Every learning objective of the course, by id, in syllabus order.

    Returns
    -------
    dict of str to Objective
        Read from ``clearlib/course/objectives.csv`` (columns ``id, week, text``).

    Examples
    --------
    >>> objs = objectives()
    >>> objs["LO1.3"].week, objs["LO1.3"].text
    (1, 'Compute list sizes and age-sex structure per practice.')
    """
    with OBJECTIVES_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["id"]: Objective(r["id"], int(r["week"]), r["text"]) for r in rows}


def week_of(assignment: str) -> int | None:
    """The week of an assignment from its name (``"03-seeing-activity"`` is week 3), or None.

    Examples
    --------
    >>> week_of("03-seeing-activity"), week_of("scratch")
    (3, None)
    """
    m = ASSIGNMENT_PATTERN.fullmatch(assignment)
    return int(m.group(1)) if m else None


def course_dir(path: str | Path | None = None) -> Path:
    """The course root: ``path``, else ``$CLEAR_COURSE_DIR``, else the current folder when it
    is a course (it holds ``nbgrader_config.py``, as the faculty guide has you work), else
    ``course/`` of the checkout.

    Raises
    ------
    ConfigError
        If the folder does not exist or has no ``source/`` folder.

    Examples
    --------
    >>> course_dir().name  # doctest: +SKIP
    'course'
    """
    if path is None:
        env = os.environ.get("CLEAR_COURSE_DIR")
        if env:
            path = env
        elif (Path.cwd() / "nbgrader_config.py").is_file():
            path = Path.cwd()
        elif (REPO_DIR / "course").is_dir():
            path = REPO_DIR / "course"
        else:
            path = Path.cwd()
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise ConfigError(
            f"Course folder {root} does not exist. Expected a folder with source/<assignment>/ "
            "in it; pass --course-dir or set CLEAR_COURSE_DIR."
        )
    return root


def list_assignments(course: str | Path | None = None) -> list[str]:
    """The assignments in ``<course>/source/``: sub-folders holding a notebook, sorted.

    Examples
    --------
    >>> list_assignments("/nonexistent-course-folder")  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    clearlib._exceptions.ConfigError: Course folder ... does not exist...
    """
    source = course_dir(course) / "source"
    if not source.is_dir():
        return []
    return sorted(
        p.name
        for p in source.iterdir()
        if p.is_dir() and not p.name.startswith(".") and _notebooks_in(p)
    )


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def strip_hidden_tests(source: str) -> str:
    """Remove every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region (markers too).

    The same rule as nbgrader's ``ClearHiddenTests``: any line containing a marker opens or
    closes a region. An unclosed region is removed to the end of the cell (fail safe).

    Examples
    --------
    >>> src = "assert x > 0\\n### BEGIN HIDDEN TESTS\\nassert x == 4\\n### END HIDDEN TESTS"
    >>> strip_hidden_tests(src)
    'assert x > 0'
    """
    return _strip_region(source, BEGIN_HIDDEN, END_HIDDEN)


def strip_mark_scheme(source: str) -> str:
    """Remove every ``BEGIN MARK SCHEME`` ... ``END MARK SCHEME`` region (markers too)."""
    return _strip_region(source, BEGIN_MARK_SCHEME, END_MARK_SCHEME)


def _strip_region(source: str, begin: str, end: str) -> str:
    kept, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept).rstrip("\n")


def hidden_test_lines(source: str) -> list[str]:
    """The lines inside hidden-test regions (markers excluded), stripped, blank lines dropped.

    Examples
    --------
    >>> hidden_test_lines("a = 1\\n### BEGIN HIDDEN TESTS\\n  assert a == 1\\n\\n### END HIDDEN TESTS")
    ['assert a == 1']
    """
    lines, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def docstring_of(source: str) -> str | None:
    """The docstring a test cell opens with (its first statement, a string), or None.

    Examples
    --------
    >>> docstring_of("'''Checks the list sizes.'''\\nassert True")
    'Checks the list sizes.'
    >>> docstring_of("assert True") is None
    True
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:  # e.g. a cell with IPython magics: look at the first line only
        first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
        if first[:1] not in {'"', "'"}:
            return None
        return first.strip("\"' ") or None
    if (
        tree.body
        and isinstance(tree.body[0], ast.Expr)
        and isinstance(tree.body[0].value, ast.Constant)
        and isinstance(tree.body[0].value.value, str)
    ):
        return tree.body[0].value.value.strip()
    return None


@dataclass(frozen=True)
class GradedCell:
    """One graded cell of a source notebook.

    ``kind`` is ``"test"`` for an autograded test cell (nbgrader ``grade`` without
    ``solution``), ``"manual"`` for an answer graded by hand (``grade`` and ``solution``), and
    ``"task"`` for an nbgrader task cell (graded by hand).
    """

    notebook: str
    index: int
    grade_id: str
    kind: Kind
    cell_type: str
    points: float | None
    objectives: tuple[str, ...]
    source: str

    @property
    def autograded(self) -> bool:
        """True for an autograded test cell."""
        return self.kind == "test"

    @property
    def hidden_lines(self) -> list[str]:
        """Lines of this cell's hidden tests (empty for a cell without hidden tests)."""
        return hidden_test_lines(self.source)

    @property
    def docstring(self) -> str | None:
        """The docstring a test cell opens with (what it checks), or None."""
        return docstring_of(self.source) if self.cell_type == "code" else None


@dataclass(frozen=True)
class AssignmentInfo:
    """An assignment's source notebooks and their graded cells, in notebook order."""

    name: str
    folder: Path
    notebooks: tuple[Path, ...]
    cells: tuple[GradedCell, ...]
    #: Every grade id of answer and graded cells, in notebook order (grades and comments
    #: attach to these ids in the gradebook).
    grade_ids: tuple[str, ...] = field(default=())

    @property
    def week(self) -> int | None:
        """The week, from the name (``01-getting-started`` is week 1)."""
        return week_of(self.name)

    @property
    def tests(self) -> list[GradedCell]:
        """The autograded test cells."""
        return [c for c in self.cells if c.kind == "test"]

    @property
    def autograded_points(self) -> float:
        """Points that autograding can award (the sum over test cells)."""
        return float(sum(c.points or 0 for c in self.tests))

    @property
    def max_points(self) -> float:
        """Every point of the assignment, autograded and manual."""
        return float(sum(c.points or 0 for c in self.cells))

    def cell(self, grade_id: str) -> GradedCell | None:
        """The graded cell with this grade id (None if there is none)."""
        return next((c for c in self.cells if c.grade_id == grade_id), None)


def read_assignment(name: str, *, course: str | Path | None = None) -> AssignmentInfo:
    """Read an assignment's source notebooks: every graded cell with its points and objectives.

    Parameters
    ----------
    name : str
        The assignment (a folder of ``<course>/source/``).
    course : path, optional
        The course root (default: :func:`course_dir`).

    Raises
    ------
    ConfigError
        If there is no such assignment, or a notebook cannot be read.

    Examples
    --------
    >>> info = read_assignment("01-getting-started")  # doctest: +SKIP
    >>> [c.grade_id for c in info.tests][:1]  # doctest: +SKIP
    ['q1-list-sizes-test']
    """
    folder = course_dir(course) / "source" / name
    notebooks = _notebooks_in(folder) if folder.is_dir() else []
    if not notebooks:
        known = ", ".join(list_assignments(course)) or "none yet"
        raise ConfigError(
            f"No assignment {name!r}: expected a notebook in {folder}. "
            f"Assignments in this course: {known}."
        )
    cells: list[GradedCell] = []
    ids: list[str] = []
    for path in notebooks:
        nb_cells, nb_ids = graded_cells(path)
        cells.extend(nb_cells)
        ids.extend(nb_ids)
    return AssignmentInfo(name, folder, tuple(notebooks), tuple(cells), tuple(ids))


def graded_cells(path: str | Path) -> tuple[list[GradedCell], list[str]]:
    """The graded cells of one notebook, and every grade id of its answer and graded cells.

    The ids come in notebook order: answer cells (nbgrader ``solution``), tests, written
    answers and tasks. Read-only cells are left out.

    Raises
    ------
    ConfigError
        If the notebook cannot be read.
    """
    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several types for a broken file
        raise ConfigError(
            f"Cannot read {path}: {exc}. Open it in JupyterLab and save it again."
        ) from exc
    cells: list[GradedCell] = []
    ids: list[str] = []
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {})
        nbg = meta.get("nbgrader", {}) or {}
        if nbg.get("solution") or nbg.get("grade") or nbg.get("task"):
            ids.append(str(nbg.get("grade_id", "")))
        kind: Kind | None = None
        if nbg.get("grade") and nbg.get("solution"):
            kind = "manual"
        elif nbg.get("grade"):
            kind = "test"
        elif nbg.get("task"):
            kind = "task"
        if kind is None:
            continue
        objs = (meta.get("clear", {}) or {}).get("objectives", []) or []
        if isinstance(objs, str):
            objs = [objs]
        points = nbg.get("points")
        cells.append(
            GradedCell(
                notebook=path.stem,
                index=index,
                grade_id=str(nbg.get("grade_id", "")),
                kind=kind,
                cell_type=cell.cell_type,
                points=float(points) if isinstance(points, int | float) else None,
                objectives=tuple(str(o) for o in objs),
                source=cell.source,
            )
        )
    return cells, ids


def ensure_nbgrader_tools() -> None:
    """Put this Python's ``bin`` folder on PATH: nbgrader runs ``alembic`` to make a gradebook.

    Needed when clearlib runs from a virtual environment that is not activated
    (``.venv/bin/clearlib course check``); otherwise nbgrader fails with "No such file or
    directory: 'alembic'".
    """
    import shutil
    import sys

    if shutil.which("alembic"):
        return
    bindir = Path(sys.executable).parent
    if (bindir / "alembic").exists():
        os.environ["PATH"] = str(bindir) + os.pathsep + os.environ.get("PATH", "")


def _config_file(course: Path) -> Path | None:
    for candidate in (course / "nbgrader_config.py", REPO_DIR / "course" / "nbgrader_config.py"):
        if candidate.is_file():
            return candidate
    return None


def course_config(
    course: str | Path | None = None,
    *,
    root: str | Path | None = None,
    db_url: str | None = None,
) -> Config:
    """nbgrader's configuration for a course: its ``nbgrader_config.py``, optionally re-rooted.

    Parameters
    ----------
    course : path, optional
        The course whose ``nbgrader_config.py`` to read (default: :func:`course_dir`). A course
        without one (a test fixture) borrows the repository's ``course/nbgrader_config.py``.
    root : path, optional
        Run nbgrader in this folder instead (a temporary copy of the course). The gradebook
        then defaults to ``<root>/gradebook.db``, so the real one is never touched.
    db_url : str, optional
        The gradebook's SQLAlchemy URL (default: the config's, or ``<root>/gradebook.db``).

    Examples
    --------
    >>> cfg = course_config()  # doctest: +SKIP
    >>> cfg.CourseDirectory.course_id  # doctest: +SKIP
    'clear'
    """
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    course_path = course_dir(course)
    source = _config_file(course_path)
    cfg = Config()
    if source is not None:
        try:
            cfg = PyFileConfigLoader(source.name, path=str(source.parent)).load_config()
        except Exception as exc:  # any error in the file: nbgrader itself would ignore the file
            raise ConfigError(
                f"Cannot load {source}: {type(exc).__name__}: {exc}. nbgrader would silently "
                "run without the course's settings (and with feedback that shows hidden "
                "tests): fix the file first."
            ) from exc
    else:  # no config anywhere: nbgrader's defaults plus the course id
        cfg.CourseDirectory.course_id = "clear"
    base = Path(root).resolve() if root is not None else course_path
    cfg.CourseDirectory.root = str(base)
    if db_url is not None:
        cfg.CourseDirectory.db_url = db_url
    elif root is not None or source is None or source.parent != course_path:
        cfg.CourseDirectory.db_url = f"sqlite:///{base / 'gradebook.db'}"
    cfg.LeakFreeFeedback.source_directory = str(base / "source")
    return cfg
