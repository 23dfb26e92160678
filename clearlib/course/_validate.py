"""``clearlib course validate``: check an assignment before submitting it, in plain words.

nbgrader's own :class:`nbgrader.validator.Validator` runs the notebook from a fresh kernel
(Restart and Run All, with the environment grading uses) and finds the checks that fail. Its
own report shows the test code and cuts every message at about 80 characters; this one says,
for each question, what its check found, in full:

- a question whose answer still raises ``NotImplementedError`` is "not answered yet";
- a failed check (an ``AssertionError``) gives the check's whole message;
- an answer or check that stops with another error gives its type, message and the line of
  the learner's own code it stopped at;
- a written answer is "not answered yet" while it still reads ``YOUR ANSWER HERE``.

A lesson (a notebook without checks) is not run: it is reported as a lesson, with nothing to
validate. The validator is configured here, in code, so no ``nbgrader_config.py`` is needed
(nor warned about); ``course/learner/jupyter/`` holds the same settings for nbgrader's own
tools (``nbgrader validate``, JupyterLab's Validate button).
"""

from __future__ import annotations

import html
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from clearlib._exceptions import ConfigError, DataError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "DEFAULT_CELL_TIMEOUT",
    "CheckOutcome",
    "NotebookValidation",
    "validate_notebook",
]

#: Seconds a cell may run before it is stopped (as ``course/nbgrader_config.py`` autogrades).
DEFAULT_CELL_TIMEOUT = 60
#: What a written answer reads until the learner answers (``ClearSolutions.text_stub``).
TEXT_STUB = "YOUR ANSWER HERE"
#: What validating a lesson (a notebook without graded cells) says.
LESSON_MESSAGE = (
    "This notebook has no graded questions (it is a lesson); there is nothing to validate."
)
#: Set by nbgrader in the kernels it runs while validating or grading.
_NBGRADER_ENV = ("NBGRADER_VALIDATING", "NBGRADER_EXECUTION")

Status = Literal["passed", "failed", "unanswered", "written"]
Kind = Literal["assignment", "lesson", "skipped"]

#: What a cell stopped for taking too long shows (the kernel is interrupted: KeyboardInterrupt).
_TIMED_OUT = frozenset({"CellTimeoutError", "TimeoutError", "KeyboardInterrupt"})

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_MARKS = re.compile(r"\s*\([^()]*\bmarks?\b[^()]*\)")
_FRAME = re.compile(r"Cell In\s*\[(\d+)\],?\s*line (\d+)")


@dataclass(frozen=True)
class CheckOutcome:
    """What validation found for one graded cell of an assignment.

    Attributes
    ----------
    grade_id : str
        The cell's nbgrader grade id (``q3-rate-by-practice-test``).
    question : str
        The heading of the question above the cell, marks left out (``Question 3: ...``).
    kind : {"test", "written"}
        ``"test"`` for a check run on the learner's code; ``"written"`` for an answer the
        tutor grades by hand.
    status : {"passed", "failed", "unanswered", "written"}
        ``"written"`` is an answered written answer: there is nothing to run.
    message : str
        For a failed or unanswered check, what to fix, in full; empty otherwise.

    Examples
    --------
    >>> CheckOutcome("q1-sizes-test", "Question 1: list sizes", "test", "passed").ok
    True
    """

    grade_id: str
    question: str
    kind: Literal["test", "written"]
    status: Status
    message: str = ""

    @property
    def ok(self) -> bool:
        """True unless this check needs fixing."""
        return self.status in {"passed", "written"}

    @property
    def label(self) -> str:
        """What the learner sees next to the mark: the question and what happened."""
        if self.status == "written":
            return f"{self.question} — written answer, graded by your tutor"
        if self.status == "unanswered":
            return f"{self.question} — not answered yet"
        return self.question

    @property
    def mark(self) -> str:
        """✓ passed, ✎ written (for the tutor), ✗ to fix."""
        return {"passed": "✓", "written": "✎"}.get(self.status, "✗")

    def lines(self) -> list[str]:
        """The outcome as text: a mark and the question, then the message indented."""
        out = [f"{self.mark} {self.label}  [{self.grade_id}]"]
        out += [f"    {line}" if line else "" for line in self.message.splitlines()]
        return out


@dataclass(frozen=True)
class NotebookValidation:
    """The result of validating one notebook: every check, then a one-line summary.

    Print it (or show it as a cell's last line in JupyterLab) to read it. ``ok`` is True when
    there is nothing to fix; ``exit_code`` is what ``clearlib course validate`` exits with.

    Attributes
    ----------
    path : Path
        The notebook validated (as saved on disk).
    kind : {"assignment", "lesson", "skipped"}
        ``"lesson"``: a notebook without checks, not run. ``"skipped"``: not run because the
        call itself ran inside a notebook being validated or graded.
    checks : tuple of CheckOutcome
        One per graded cell, in notebook order.
    problems : tuple of str
        What stops the notebook from being checked properly: a changed check cell, a cell
        whose type changed, the setup cell failing, the kernel stopping.
    cell_timeout : int
        Seconds each cell could run.
    seconds : float
        How long validation took.
    not_run : bool
        True when the notebook could not be run to the end (a cell's type changed, or the
        kernel stopped): ``problems`` says why, and ``checks`` is empty.

    Examples
    --------
    >>> lesson = NotebookValidation(Path("02.01-Filter-Sort-Select.ipynb"), "lesson")
    >>> lesson.ok, lesson.exit_code
    (True, 0)
    >>> print(lesson.summary())
    02.01-Filter-Sort-Select.ipynb: This notebook has no graded questions (it is a lesson); there is nothing to validate.
    """

    path: Path
    kind: Kind
    checks: tuple[CheckOutcome, ...] = ()
    problems: tuple[str, ...] = ()
    cell_timeout: int = DEFAULT_CELL_TIMEOUT
    seconds: float = 0.0
    not_run: bool = False

    @property
    def tests(self) -> list[CheckOutcome]:
        """The checks run on code (written answers left out)."""
        return [c for c in self.checks if c.kind == "test"]

    @property
    def to_fix(self) -> list[CheckOutcome]:
        """The checks (and written answers) that need fixing, in notebook order."""
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        """True when there is nothing to fix (also for a lesson)."""
        return not self.to_fix and not self.problems

    @property
    def exit_code(self) -> int:
        """0 when there is nothing to fix (a lesson included), 1 otherwise."""
        return 0 if self.ok else 1

    def summary(self) -> str:
        """One line: how many checks pass and how many to fix (or why nothing was run)."""
        name = self.path.name
        if self.kind == "lesson":
            return f"{name}: {LESSON_MESSAGE}"
        if self.kind == "skipped":
            return (
                f"Not validated here: this call ran inside a notebook that is itself being "
                f"validated or graded, so {name} was not run again."
            )
        if self.not_run:
            return f"{name} could not be checked: fix the problem above, then validate again."
        tests = self.tests
        passed = sum(c.status == "passed" for c in tests)
        failing = len(tests) - passed
        written = [c for c in self.checks if c.kind == "written"]
        unwritten = sum(c.status == "unanswered" for c in written)
        if failing:
            line = f"{passed} of {len(tests)} checks pass; {failing} to fix."
        elif self.problems:
            line = f"{passed} of {len(tests)} checks pass, but the problems above need fixing."
        elif len(tests) == 1:
            line = "The one visible check passes."
        else:
            line = f"All {len(tests)} visible checks pass."
        if unwritten:
            line += f" {_count(unwritten, 'written answer')} not answered yet."
        if self.problems and failing:
            line += f" {_count(len(self.problems), 'other problem')} to fix (above)."
        if self.ok:
            line += " Hidden checks run when your tutor grades it."
            if written:
                line += " Your tutor grades the written answers too."
        return line

    def _head(self) -> str:
        if self.kind != "assignment":
            return ""
        saved = (
            f"Validated {self.path.name} as saved: save your notebook first (Ctrl+S) so your "
            "latest changes count."
        )
        if self.not_run:
            return saved
        return (
            f"{saved} Every cell ran from a fresh start, as when your tutor grades it (each "
            f"cell may run for {self.cell_timeout} seconds)."
        )

    def _advice(self) -> str:
        if self.kind == "lesson":
            return (
                "To check your work before you hand it in, validate your week's assignment "
                "notebook (your copy of the one in assignments/): its Validate button, or "
                "clearlib course validate my-work/02-working-with-tables.ipynb"
            )
        return ""

    def _hints(self) -> str:
        hints = []
        if any(c.status == "unanswered" and c.kind == "test" for c in self.checks):
            hints.append(
                "To answer a question, write your code in its answer cell in place of "
                "raise NotImplementedError(...), and run it."
            )
        if any(c.status == "unanswered" and c.kind == "written" for c in self.checks):
            hints.append(
                f"To answer a written question, double-click its cell and replace {TEXT_STUB} "
                "with your answer."
            )
        return "\n".join(hints)

    def lines(self) -> list[str]:
        """The whole report as lines of text."""
        out = [x for x in (self._head(),) if x]
        for problem in self.problems:
            out += [
                f"✗ {line}" if i == 0 else f"    {line}"
                for i, line in enumerate(problem.splitlines())
            ]
        for check in self.checks:
            out += check.lines()
        if self._hints():
            out.append(self._hints())
        out.append(self.summary())
        if self._advice():
            out.append(self._advice())
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        green, red, grey = "#1a7f37", "#cf222e", "#57606a"
        parts = []
        if self._head():
            parts.append(f'<p style="color:{grey}">{html.escape(self._head())}</p>')
        items = []
        for problem in self.problems:
            head, _, rest = problem.partition("\n")
            items.append(_html_item("✗", red, head, "", rest))
        for c in self.checks:
            colour = green if c.status == "passed" else grey if c.ok else red
            items.append(_html_item(c.mark, colour, c.label, c.grade_id, c.message))
        if items:
            parts.append(
                '<ul style="list-style:none;padding-left:0;margin:0.5em 0">'
                + "".join(items)
                + "</ul>"
            )
        if self._hints():
            parts.append(f'<p style="white-space:pre-wrap">{html.escape(self._hints())}</p>')
        colour = green if self.ok else red
        parts.append(f'<p style="color:{colour}"><b>{html.escape(self.summary())}</b></p>')
        if self._advice():
            parts.append(f"<p>{html.escape(self._advice())}</p>")
        return '<div class="clear-validate">' + "".join(parts) + "</div>"

    def render(self, console: Console) -> None:
        """Print the report with colour: a mark per check, every message in full."""
        from rich.markup import escape

        if self._head():
            console.print(f"[dim]{escape(self._head())}[/dim]", soft_wrap=True)
        for problem in self.problems:
            head, _, rest = problem.partition("\n")
            console.print(f"[red]✗[/red] [bold]{escape(head)}[/bold]", soft_wrap=True)
            for line in rest.splitlines():
                console.print(f"    {escape(line)}", soft_wrap=True)
        for c in self.checks:
            first, *rest = c.lines()
            colour = "green" if c.status == "passed" else "dim" if c.ok else "red"
            text = first.partition(" ")[2]
            console.print(
                f"[{colour}]{c.mark}[/{colour}] [bold]{escape(text)}[/bold]", soft_wrap=True
            )
            for line in rest:
                console.print(escape(line), soft_wrap=True)
        if self._hints():
            console.print(escape(self._hints()), soft_wrap=True)
        colour = "green" if self.ok else "red"
        console.print(f"[{colour}]{escape(self.summary())}[/{colour}]", soft_wrap=True)
        if self._advice():
            console.print(escape(self._advice()), soft_wrap=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _html_item(mark: str, colour: str, title: str, grade_id: str, message: str) -> str:
    tail = f' <code style="color:#57606a">{html.escape(grade_id)}</code>' if grade_id else ""
    body = (
        f'<div style="margin-left:1.6em;white-space:pre-wrap">{html.escape(message)}</div>'
        if message
        else ""
    )
    return (
        f'<li><span style="color:{colour};font-weight:bold">{html.escape(mark)}</span> '
        f"<b>{html.escape(title)}</b>{tail}{body}</li>"
    )


# --- reading the executed notebook ----------------------------------------------------------


def _meta(cell: Any) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _heading_before(cells: list[Any], index: int) -> str | None:
    """The last heading of the nearest markdown cell above ``index`` that has one."""
    for cell in reversed(cells[:index]):
        if cell.cell_type != "markdown" or _meta(cell).get("grade"):
            continue
        found = _HEADING.findall(cell.source)
        if found:
            text = _MARKS.sub("", found[-1]).replace("**", "").replace("`", "").strip()
            return text or None
    return None


def _error(cell: Any) -> tuple[str, str, str] | None:
    """The first error a cell printed: its name, value and traceback (ANSI colours removed)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            trace = _ANSI.sub("", "\n".join(out.get("traceback", [])))
            ename = str(out.get("ename", "Error"))
            evalue = _ANSI.sub("", str(out.get("evalue", ""))).strip()
            return ename, evalue, trace
    return None


def _stderr(cell: Any) -> str:
    return "".join(
        _ANSI.sub("", str(out.get("text", "")))
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ).strip()


class _Notebook:
    """An executed notebook, with the lookups the messages need."""

    def __init__(self, nb: Any) -> None:
        self.cells = nb.cells
        self.by_count = {
            c.get("execution_count"): i
            for i, c in enumerate(self.cells)
            if c.cell_type == "code" and c.get("execution_count") is not None
        }

    def learners(self, index: int) -> bool:
        """True for a cell the learner writes (not a locked setup or check cell)."""
        from nbgrader import utils

        cell = self.cells[index]
        return cell.cell_type == "code" and not utils.is_locked(cell)

    def question(self, index: int) -> str | None:
        return _heading_before(self.cells, index)

    def under(self, index: int) -> str:
        """Words placing a cell, ``" under Question 3: ..."``; empty above the first heading."""
        heading = self.question(index)
        return f" under {heading}" if heading else ""

    def where(self, trace: str, answer_span: range | None = None) -> str:
        """Where a traceback last ran the learner's own code: "line 3 of your answer: ...".

        Empty when it never did (the error came from a check or the setup).
        """
        for count, line in reversed(_FRAME.findall(trace)):
            index = self.by_count.get(int(count))
            if index is None or not self.learners(index):
                continue
            lines = self.cells[index].source.splitlines()
            n = int(line)
            code = lines[n - 1].strip() if 0 < n <= len(lines) else ""
            whose = (
                "your answer"
                if answer_span is not None and index in answer_span
                else f"your code{self.under(index)}"
            )
            return f"line {n} of {whose}" + (f": {code}" if code else "")
        return ""


def _answer_error(ename: str, evalue: str, where: str, timeout: int, earlier_trouble: bool) -> str:
    if ename in _TIMED_OUT:
        text = (
            f"Your answer ran for more than {timeout} seconds and was stopped, so this check "
            "failed. Look for a loop that never ends, a loop over rows that pandas could do in "
            "one step, or a table that grows by accident (a join on the wrong key)."
        )
        return text + (f"\nIt was running {where}" if where else "")
    text = (
        f"Your answer stopped with {ename}: {evalue}"
        if evalue
        else f"Your answer stopped with {ename}"
    )
    if not text.endswith((".", "!", "?", ")")):
        text += "."
    if ename == "NameError" and earlier_trouble:
        text += (
            " It may use a name from an earlier answer that is not done yet or stopped with "
            "an error: fix that one first."
        )
    return text + (f"\n{where[0].upper()}{where[1:]}" if where else "")


def _check_error(ename: str, evalue: str, where: str) -> str:
    from clearlib.course._feedback import plain_message

    text = plain_message(ename, evalue)  # an AssertionError's own message, in full
    if where:
        text += f"\nIt stopped at {where}"
    return text


def _outcomes(nb: Any, timeout: int) -> tuple[list[CheckOutcome], list[str]]:
    """Every graded cell's outcome, and the errors no check accounts for (setup cells)."""
    from nbgrader import utils

    book = _Notebook(nb)
    cells = book.cells
    outcomes: list[CheckOutcome] = []
    accounted: set[int] = set()
    previous = -1
    trouble = False  # an earlier answer is not done yet, or stopped with an error
    for i, cell in enumerate(cells):
        if not utils.is_grade(cell):
            continue
        span = range(previous + 1, i)
        previous = i
        grade_id = str(_meta(cell).get("grade_id", f"cell {i + 1}"))
        question = book.question(i) or grade_id
        if utils.is_solution(cell):  # answered in this cell, graded by hand
            accounted.add(i)
            score, _ = utils.determine_grade(cell, None)
            err = _error(cell)
            blank = (score is not None and score == 0) or cell.source.strip() in {"", TEXT_STUB}
            if blank or (err and err[0] == "NotImplementedError"):
                outcomes.append(CheckOutcome(grade_id, question, "written", "unanswered"))
            else:
                outcomes.append(CheckOutcome(grade_id, question, "written", "written"))
            continue
        answers = [j for j in span if book.learners(j)]
        accounted.update(answers)
        accounted.add(i)
        score, max_score = utils.determine_grade(cell, None)
        failed = score is not None and (
            score < max_score or (max_score == 0 and utils.has_failed(cell))
        )
        if not failed:
            outcomes.append(CheckOutcome(grade_id, question, "test", "passed"))
            continue
        answer_errors = [e for j in answers if (e := _error(cells[j])) is not None]
        err = _error(cell)
        if any(e[0] == "NotImplementedError" for e in answer_errors) or (
            err is not None and err[0] == "NotImplementedError"
        ):
            trouble = True
            outcomes.append(CheckOutcome(grade_id, question, "test", "unanswered"))
            continue
        if answer_errors:
            ename, evalue, trace = answer_errors[0]
            message = _answer_error(ename, evalue, book.where(trace, span), timeout, trouble)
            trouble = True
        elif err is not None:
            ename, evalue, trace = err
            if ename in _TIMED_OUT:
                message = (
                    f"This check ran for more than {timeout} seconds and was stopped. Look for "
                    "a loop over rows that pandas could do in one step, or for a table that "
                    "grows by accident (a join on the wrong key)."
                )
            else:
                message = _check_error(ename, evalue, book.where(trace, span))
        elif _stderr(cell):
            message = (
                "The check printed a warning or an error, which counts as a failure:\n"
                + _stderr(cell)
            )
        else:
            message = "Partial credit: your answer passed some of this check, not all of it."
        outcomes.append(CheckOutcome(grade_id, question, "test", "failed", message))

    problems = []
    for i, cell in enumerate(cells):
        err = _error(cell)
        if err is None or i in accounted or cell.cell_type != "code":
            continue
        ename, evalue, trace = err
        text = f"{ename}: {evalue}" if evalue else ename
        if book.learners(i):
            where = book.where(trace) or f"your code{book.under(i)}"
            problems.append(f"A cell of yours stopped with {text}\nIt stopped at {where}")
        else:
            grade_id = _meta(cell).get("grade_id")
            name = f"The {grade_id} cell" if grade_id else "A cell you were given"
            problems.append(
                f"{name}{book.under(i)} stopped with {text}\nThe checks after it "
                "may fail because of this. Do not change that cell; if the message does not "
                "say what to do, run clearlib course setup-check."
            )
    return outcomes, problems


# --- running nbgrader's validator -----------------------------------------------------------


def _config(cell_timeout: int) -> Any:
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = cell_timeout
    config.Execute.interrupt_on_timeout = True
    # Kernels log errors only (not ipykernel's warning that it runs over TCP).
    config.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
    return config


def _in_kernel_being_graded() -> bool:
    return any(os.environ.get(name) for name in _NBGRADER_ENV)


def _resolve(path: str | Path | None) -> Path:
    if path is None:
        session = os.environ.get("JPY_SESSION_NAME")
        if not session or not session.endswith(".ipynb"):
            raise ConfigError(
                "Name the notebook to validate, for example "
                'validate_notebook("02-working-with-tables.ipynb").'
            )
        path = session
    found = Path(path).expanduser().resolve()
    if found.suffix != ".ipynb":
        raise ConfigError(
            f"Expected a notebook (a .ipynb file); got {found.name}. Name your assignment "
            "notebook, for example 02-working-with-tables.ipynb."
        )
    if not found.is_file():
        raise ConfigError(
            f"Notebook {found} not found. Check its name and folder (in JupyterLab, right-click "
            "the notebook in the file browser and choose Copy Path)."
        )
    return found


def _read(path: Path) -> Any:
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises many kinds of error for an unreadable file
        raise DataError(
            f"{path.name} is not a notebook Jupyter can read ({type(exc).__name__}: {exc}). "
            "Open it in JupyterLab; if it does not open, ask your course team for a fresh copy "
            "and copy your answers into it."
        ) from None


def validate_notebook(
    path: str | Path | None = None, *, cell_timeout: int = DEFAULT_CELL_TIMEOUT
) -> NotebookValidation:
    """Check an assignment notebook as grading will, and say in plain words what to fix.

    The notebook is run as saved on disk (save it first), from a fresh kernel, every cell in
    order, by nbgrader's own validator. A cell that runs longer than ``cell_timeout`` seconds
    is stopped and the rest still run. A lesson (no checks) is not run.

    Parameters
    ----------
    path : str or Path, optional
        The notebook. Default: the notebook this is called from, when JupyterLab says which
        (``$JPY_SESSION_NAME``).
    cell_timeout : int, default 60
        Seconds each cell may run.

    Returns
    -------
    NotebookValidation
        Each question's outcome and a summary; it prints as a report, ``ok`` is True when
        there is nothing to fix. Called inside a notebook that nbgrader is itself running
        (validating or grading), it returns at once, ``kind="skipped"``, without running.

    Raises
    ------
    ConfigError
        If the path is not a notebook, does not exist, or the notebook's kernel is missing.
    DataError
        If the file cannot be read as a notebook, or its nbgrader metadata is from another
        version of nbgrader.

    Examples
    --------
    >>> report = validate_notebook("02-working-with-tables.ipynb")  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    5 of 7 checks pass; 2 to fix.
    >>> validate_notebook("notes.txt")
    Traceback (most recent call last):
    ...
    clearlib._exceptions.ConfigError: Expected a notebook (a .ipynb file); got notes.txt...
    """
    if not isinstance(cell_timeout, int) or cell_timeout < 1:
        raise ConfigError(
            f"cell_timeout should be a whole number of seconds (1 or more); got {cell_timeout!r}."
        )
    found = _resolve(path)
    if _in_kernel_being_graded():
        return NotebookValidation(found, "skipped", cell_timeout=cell_timeout)
    nb = _read(found)
    from nbgrader import utils

    if not any(utils.is_grade(cell) for cell in nb.cells):
        return NotebookValidation(found, "lesson", cell_timeout=cell_timeout)
    return _validate(found, cell_timeout)


def _validate(path: Path, cell_timeout: int) -> NotebookValidation:
    from jsonschema.exceptions import ValidationError as MetadataError
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import DeadKernelError
    from nbgrader import utils
    from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError
    from nbgrader.validator import Validator

    class KeepingValidator(Validator):
        """nbgrader's validator, keeping the notebook it ran."""

        executed: Any = None

        def _preprocess(self, nb: Any) -> Any:
            self.executed = super()._preprocess(nb)
            return self.executed

    # nbclient logs a timeout as an error ("Interrupting kernel"): the report says it better.
    quiet = logging.getLogger("clearlib.course.validate")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    config = _config(cell_timeout)
    started: list[int] = []  # the cells run so far, to name the one a dead kernel was running
    config.Execute.on_cell_start = lambda cell, cell_index: started.append(cell_index)
    validator = KeepingValidator(config=config, log=quiet)
    start = time.monotonic()
    saved = {name: os.environ.get(name) for name in _NBGRADER_ENV}
    try:
        results = validator.validate(str(path))
    except (SchemaTooOldError, SchemaTooNewError) as exc:
        raise DataError(
            f"{path.name} carries nbgrader metadata of another nbgrader version ({exc}). Ask "
            "your course team for a fresh copy of the assignment and copy your answers into it."
        ) from None
    except MetadataError as exc:
        raise DataError(
            f"{path.name} has nbgrader metadata that nbgrader cannot read ({exc.message}). A "
            "cell's settings were changed or copied from elsewhere: ask your course team for a "
            "fresh copy of the assignment and copy your answers into it."
        ) from None
    except NoSuchKernel as exc:
        raise ConfigError(
            f"{path.name} asks for a kernel this computer does not have ({exc}). Run "
            "clearlib course setup-check and do what it says."
        ) from None
    except DeadKernelError:
        book = _Notebook(_read(path))
        index = started[-1] if started and started[-1] < len(book.cells) else None
        if index is None:
            which = "a cell"
        else:
            which = ("your code" if book.learners(index) else "a cell") + book.under(index)
        return NotebookValidation(
            path,
            "assignment",
            problems=(
                f"The notebook's kernel stopped while it ran {which} (it may have used up "
                "the memory, or called exit()).\nChange that cell, save, and validate again.",
            ),
            cell_timeout=cell_timeout,
            seconds=time.monotonic() - start,
            not_run=True,
        )
    finally:  # nbgrader sets these while it runs and does not put them back after an error
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    seconds = time.monotonic() - start
    if results.get("type_changed"):
        nb = _read(path)
        problems = []
        for i, cell in enumerate(nb.cells):
            new = _meta(cell).get("cell_type")
            graded = utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)
            if graded and new and new != cell.cell_type:
                problems.append(
                    f"A cell under {_heading_before(nb.cells, i) or 'the first question'} was "
                    f"a {new} cell and is now a {cell.cell_type} cell.\nChange it back (select "
                    f"it, press Esc, then {'Y' if new == 'code' else 'M'}), save, and validate "
                    "again: grading needs it as it was."
                )
        return NotebookValidation(
            path,
            "assignment",
            problems=tuple(problems),
            cell_timeout=cell_timeout,
            seconds=seconds,
            not_run=True,
        )
    outcomes, problems = _outcomes(validator.executed, cell_timeout)
    for source in results.get("changed", []):
        index = next(
            (
                i
                for i, c in enumerate(validator.executed.cells)
                if c.source.strip() == source["source"]
            ),
            None,
        )
        where = _heading_before(validator.executed.cells, index) if index is not None else None
        grade_id = (
            _meta(validator.executed.cells[index]).get("grade_id") if index is not None else None
        )
        problems.insert(
            0,
            f"You changed a cell you were given{f' ({grade_id})' if grade_id else ''}"
            f"{f' under {where}' if where else ''}.\nGrading puts the original back, so your "
            "change will not count: undo it (or copy the cell from a fresh copy of the "
            "assignment), save, and validate again.",
        )
    return NotebookValidation(
        path,
        "assignment",
        checks=tuple(outcomes),
        problems=tuple(problems),
        cell_timeout=cell_timeout,
        seconds=seconds,
    )
