"""``clearlib course submit``: get an assignment ready to hand in, warning first if it is not done.

Handing in is never refused: a half-done notebook still earns the marks of what is in it, and
the deadline is the learner's to weigh. But a learner should not find out from their grade
that a question was blank or a check failed. So :func:`submit_notebook`

1. looks for blank answers in the notebook as saved (an answer cell that still raises
   ``NotImplementedError`` or is empty; a written answer that still reads ``YOUR ANSWER
   HERE`` or is empty);
2. validates it as ``clearlib course validate`` does (every cell from a fresh kernel; each
   failing check's whole message);
3. says in plain words what is blank or failing, and then
4. prepares the hand-in anyway: for Blackboard, a copy in ``to-hand-in/`` under the
   assignment's own file name (JupyterLab's "-Copy1" taken off), with the path to upload; on a
   hub (``exchange=True``), ``nbgrader submit`` of the notebook's assignment folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearlib._exceptions import ClearlibError, ConfigError
from clearlib.course._validate import (
    DEFAULT_CELL_TIMEOUT,
    TEXT_STUB,
    NotebookValidation,
    _heading_before,
    _read,
    _resolve,
    validate_notebook,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["HandIn", "blank_answers", "submit_notebook"]

#: Where ``clearlib course submit`` puts the copy to upload (relative to the current folder).
HAND_IN_FOLDER = "to-hand-in"
_COPY_SUFFIX = re.compile(r"(?:[-_ ]Copy\d*)+$")


def blank_answers(nb: Any) -> list[str]:
    """The questions whose answer cells are still blank, in notebook order.

    An answer (an nbgrader solution cell) is blank while its code still raises
    ``NotImplementedError`` or is empty, or while a written answer still reads
    ``YOUR ANSWER HERE`` or is empty. Nothing is run.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.

    Returns
    -------
    list of str
        Each blank answer as "Question 2: Count the practices (written answer)", its grade id
        in brackets.

    Examples
    --------
    >>> import nbformat
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    >>> answer = {"nbgrader": {"solution": True, "grade": False, "grade_id": "q1-count"}}
    >>> nb = new_notebook(cells=[
    ...     new_markdown_cell("## Question 1: Count the practices"),
    ...     new_code_cell("n = None\\nraise NotImplementedError()", metadata=answer),
    ... ])
    >>> blank_answers(nb)
    ['Question 1: Count the practices [q1-count]']
    >>> nb.cells[1].source = "n = 5"
    >>> blank_answers(nb)
    []
    """
    blank = []
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if not meta.get("solution"):
            continue
        text = cell.source.strip()
        if cell.cell_type == "code":
            empty = not text or "raise NotImplementedError" in text
            kind = ""
        else:
            empty = not text or TEXT_STUB in text
            kind = " (written answer)"
        if empty:
            question = _heading_before(nb.cells, i) or "A question"
            blank.append(f"{question}{kind} [{meta.get('grade_id', '?')}]")
    return blank


@dataclass(frozen=True)
class HandIn:
    """What :func:`submit_notebook` found and did.

    Attributes
    ----------
    notebook : Path
        The learner's notebook.
    blank : tuple of str
        The answers still blank (see :func:`blank_answers`).
    validation : NotebookValidation or None
        The validation report; None when it could not run (``not_checked`` says why).
    not_checked : str
        Why the notebook could not be validated; empty when it was.
    copy : Path or None
        The file to upload to Blackboard (None on a hub).
    exchange_output : str
        What ``nbgrader submit`` said (on a hub).

    Examples
    --------
    >>> done = HandIn(Path("01-getting-started.ipynb"), copy=Path("to-hand-in/01-getting-started.ipynb"))
    >>> done.warnings
    []
    >>> print(done.lines()[-1])
    Upload this file to Blackboard: to-hand-in/01-getting-started.ipynb
    """

    notebook: Path
    blank: tuple[str, ...] = ()
    validation: NotebookValidation | None = None
    not_checked: str = ""
    copy: Path | None = None
    exchange_output: str = ""

    @property
    def warnings(self) -> list[str]:
        """What the learner should know before handing in, in plain words (empty: all well)."""
        out = []
        if self.blank:
            out.append(f"{len(self.blank)} answer(s) still blank: " + "; ".join(self.blank) + ".")
        report = self.validation
        if report is not None and report.kind == "lesson":
            out.append(
                f"{self.notebook.name} is a lesson, not an assignment: there is nothing to hand "
                "in. Hand in your copy of the week's assignment (assignments/NN-slug/)."
            )
        elif report is not None and not report.ok:
            failing = [c for c in report.to_fix if c.status == "failed"]
            if failing:
                out.append(
                    f"{len(failing)} check(s) fail: "
                    + "; ".join(f"{c.question} [{c.grade_id}]" for c in failing)
                    + " (what each found is above)."
                )
            if report.problems:
                out.append(
                    f"{len(report.problems)} problem(s) would stop grading from counting your "
                    "work as it is (above)."
                )
        if self.not_checked:
            out.append(f"It could not be validated: {self.not_checked}")
        return out

    def lines(self) -> list[str]:
        """The warnings (if any), then what to do with the hand-in."""
        out = []
        if self.warnings:
            out.append(f"Before you hand in {self.notebook.name}:")
            out += [f"  ⚠ {w}" for w in self.warnings]
            out.append(
                "You can still hand it in: your tutor grades what is there. If there is time, "
                "fix these, save, and submit again (the newest hand-in counts)."
            )
        elif self.validation is not None:
            out.append(
                f"{self.notebook.name}: every answer is filled in and every visible check passes."
            )
        if self.exchange_output:
            out.append(self.exchange_output)
            out.append(f"Submitted {self.notebook.parent.name} to your course (nbgrader submit).")
        if self.copy is not None:
            out.append(f"Upload this file to Blackboard: {self.copy}")
        return out

    def render(self, console: Console) -> None:
        """Print the warnings in yellow and the hand-in in green."""
        from rich.markup import escape

        for line in self.lines():
            style = "yellow" if line.lstrip().startswith(("⚠", "Before", "You can")) else "green"
            console.print(f"[{style}]{escape(line)}[/{style}]", soft_wrap=True)


def _hand_in_name(path: Path) -> str:
    """The assignment's own file name: JupyterLab's "-Copy1" (and the like) taken off."""
    return _COPY_SUFFIX.sub("", path.stem) + path.suffix


def submit_notebook(
    path: str | Path,
    *,
    out: str | Path = HAND_IN_FOLDER,
    exchange: bool = False,
    course: str | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
) -> HandIn:
    """Get an assignment notebook ready to hand in, saying first what is blank or failing.

    Never refuses: the warnings come first, then the hand-in is made.

    Parameters
    ----------
    path : str or Path
        The learner's notebook, as saved (save it first).
    out : str or Path, default "to-hand-in"
        Where the copy to upload to Blackboard goes (it takes the assignment's own file name).
    exchange : bool
        On a hub with nbgrader's exchange: submit the notebook's folder with
        ``nbgrader submit`` (run from the folder above it) instead of making a copy.
    course : str, optional
        The course id for ``nbgrader submit --course`` (default: the hub's nbgrader config).
    cell_timeout : int, default 60
        Seconds each cell may run while validating.

    Returns
    -------
    HandIn

    Raises
    ------
    ConfigError
        If the path is not a notebook or does not exist, or ``nbgrader submit`` fails (its
        message is included).

    Examples
    --------
    >>> done = submit_notebook("my-work/01-getting-started.ipynb")  # doctest: +SKIP
    >>> print(done.lines()[-1])  # doctest: +SKIP
    Upload this file to Blackboard: to-hand-in/01-getting-started.ipynb
    >>> submit_notebook("my-work/01-getting-started.txt")
    Traceback (most recent call last):
    ...
    clearlib._exceptions.ConfigError: Expected a notebook (a .ipynb file); got 01-getting-started.txt...
    """
    notebook = _resolve(path)
    nb = _read(notebook)
    blank = tuple(blank_answers(nb))
    validation: NotebookValidation | None = None
    not_checked = ""
    try:
        validation = validate_notebook(notebook, cell_timeout=cell_timeout)
    except ClearlibError as exc:
        not_checked = f"{type(exc).__name__}: {exc}"
    copy = None
    exchange_output = ""
    if exchange:
        exchange_output = _nbgrader_submit(notebook, course)
    else:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / _hand_in_name(notebook)
        shutil.copyfile(notebook, copy)
    return HandIn(
        notebook=notebook,
        blank=blank,
        validation=validation,
        not_checked=not_checked,
        copy=copy,
        exchange_output=exchange_output,
    )


def _nbgrader_submit(notebook: Path, course: str | None) -> str:
    folder = notebook.parent
    command = [sys.executable, "-m", "nbgrader", "submit", folder.name]
    if course:
        command += ["--course", course]
    run = subprocess.run(
        command, cwd=folder.parent, capture_output=True, text=True, check=False, timeout=300
    )
    said = (run.stdout + run.stderr).strip()
    if run.returncode != 0:
        raise ConfigError(
            f"nbgrader submit could not hand in {folder.name} (from {folder.parent}); it said:\n"
            f"{said}\nThe assignment's folder must be the one the Assignments tab fetched "
            "(named as the assignment); on a hub, ask your course team if the message names "
            "the exchange or the course."
        )
    return said
