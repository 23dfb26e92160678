"""Autograde every submission of an assignment in parallel, each in a sandbox, with nbgrader.

How it works (``grade_assignment``):

1. The parent reads the course's nbgrader configuration as ``nbgrader autograde`` does, lists
   ``submitted/<learner>/<assignment>/``, checks the sandbox, and copies ``gradebook.db`` once
   (SQLite's backup API) to a private snapshot.
2. A ``concurrent.futures.ProcessPoolExecutor`` starts ``jobs`` worker processes. Each copies
   the snapshot to its own gradebook, loads nbgrader's ``AutogradeApp`` configuration once,
   then grades one learner at a time with nbgrader's own ``Autograde`` converter
   (``CourseDirectory.student_id = learner``): the same sanitising (``OverwriteCells`` puts back
   edited and deleted test cells), execution, output limiting and scoring
   (``SaveAutoGrades``, ``AssignLatePenalties``) as serial ``nbgrader autograde``. Only
   ``Execute`` is swapped for :class:`~clearlib.course._sandbox.SandboxedExecute`, whose kernel
   runs in bubblewrap with the per-cell time limit, the memory limit and the output limit.
   The autograded notebooks go straight to ``autograded/<learner>/<assignment>/``.
3. Each worker returns what nbgrader wrote in its private gradebook for that learner. The
   parent alone writes the real gradebook, through nbgrader's ``Gradebook`` API (student,
   submission timestamp, late penalty, every grade's ``auto_score`` and
   ``needs_manual_grade``, every comment's ``auto_comment``), one learner at a time, as results
   arrive. SQLite never sees two writers, so no grade can be lost or corrupted, and a batch
   stopped half-way keeps the learners already graded.

One kernel per notebook, as nbgrader does; the per-cell time limit is nbclient's ``timeout``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SAWarning

from clearlib._exceptions import ConfigError
from clearlib.course._sandbox import Incident, SandboxPolicy, check_sandbox

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "OUTCOMES",
    "STATUSES",
    "GradingReport",
    "LearnerResult",
    "QuestionResult",
    "grade_assignment",
]

#: A learner's status, worst first: nbgrader could not grade the submission at all; a cell ran
#: out of memory; a cell killed its kernel; a cell timed out; the sandbox refused a file;
#: graded normally; left alone (already graded and ``force=False``).
STATUSES = (
    "failed",
    "out_of_memory",
    "kernel_died",
    "timed_out",
    "blocked",
    "graded",
    "skipped",
)
#: A question's outcome: the first five are failures of an autograded test cell.
OUTCOMES = (
    "out_of_memory",
    "kernel_died",
    "timed_out",
    "blocked",
    "not_run",
    "failed",
    "passed",
    "needs_manual_grade",
    "manually_graded",
    "not_graded",
)
_SEVERITY = ("out_of_memory", "kernel_died", "timed_out", "not_run", "blocked")


@dataclass(frozen=True)
class QuestionResult:
    """One graded cell (nbgrader ``grade_id``) of one learner's submission.

    ``kind`` is ``autograded`` (a test cell), ``manual`` (a written answer) or ``task``;
    ``score`` is nbgrader's (the manual score when faculty gave one, else the autograder's;
    None when not graded); ``message`` says why an autograded test failed.
    """

    notebook: str
    grade_id: str
    kind: str
    score: float | None
    max_score: float
    outcome: str
    message: str = ""

    @property
    def failed(self) -> bool:
        """True when an autograded test did not pass."""
        return self.kind == "autograded" and self.outcome not in ("passed", "manually_graded")


@dataclass(frozen=True)
class LearnerResult:
    """What grading did with one learner's submission.

    ``status`` is one of :data:`STATUSES`; ``score`` and ``max_score`` are nbgrader's totals
    for the assignment (written answers count 0 until graded by hand); ``code_score`` and
    ``max_code_score`` cover the autograded tests only.
    """

    learner: str
    status: str
    reason: str = ""
    score: float = 0.0
    max_score: float = 0.0
    code_score: float = 0.0
    max_code_score: float = 0.0
    needs_manual_grade: bool = False
    questions: tuple[QuestionResult, ...] = ()
    incidents: tuple[Incident, ...] = ()
    wall_time: float = 0.0
    log: str = ""

    @property
    def failures(self) -> list[QuestionResult]:
        """The autograded questions that did not pass."""
        return [q for q in self.questions if q.failed]


@dataclass(frozen=True)
class GradingReport:
    """The outcome of :func:`grade_assignment`: one :class:`LearnerResult` per learner.

    Index it by learner id (``report["ab123"]``); ``to_frame()`` gives one row per learner and
    question, ``summary()`` a few lines for a person.
    """

    assignment: str
    course_dir: Path
    learners: tuple[LearnerResult, ...]
    wall_time: float
    jobs: int
    cell_timeout: int
    memory_mb: int
    settings: dict = field(default_factory=dict)

    def __getitem__(self, learner: str) -> LearnerResult:
        for result in self.learners:
            if result.learner == learner:
                return result
        raise KeyError(f"No learner {learner!r} in this report; graded: {self.learner_ids}")

    def __len__(self) -> int:
        return len(self.learners)

    def __iter__(self):
        return iter(self.learners)

    @property
    def learner_ids(self) -> list[str]:
        """The learners graded, in order."""
        return [r.learner for r in self.learners]

    def counts(self) -> dict[str, int]:
        """How many learners ended in each status (every status listed, zeros included)."""
        out = dict.fromkeys(STATUSES, 0)
        for result in self.learners:
            out[result.status] += 1
        return out

    @property
    def failures(self) -> list[tuple[str, str, str, str]]:
        """``(learner, grade_id, outcome, message)`` for every failed test and failed learner."""
        rows = []
        for result in self.learners:
            if result.status == "failed":
                rows.append((result.learner, "", "failed", result.reason))
            for q in result.failures:
                rows.append((result.learner, q.grade_id, q.outcome, q.message))
        return rows

    def to_frame(self) -> pd.DataFrame:
        """One row per learner and graded cell (one row for a learner with no grades).

        Columns: learner, status, learner_score, learner_max_score, wall_time, notebook,
        grade_id, kind, score, max_score, outcome, message.
        """
        import pandas as pd

        rows = []
        for r in self.learners:
            base = {
                "learner": r.learner,
                "status": r.status,
                "learner_score": r.score,
                "learner_max_score": r.max_score,
                "wall_time": r.wall_time,
            }
            if not r.questions:
                rows.append({**base, "message": r.reason})
            for q in r.questions:
                rows.append(
                    {
                        **base,
                        "notebook": q.notebook,
                        "grade_id": q.grade_id,
                        "kind": q.kind,
                        "score": q.score,
                        "max_score": q.max_score,
                        "outcome": q.outcome,
                        "message": q.message,
                    }
                )
        columns = [
            "learner",
            "status",
            "learner_score",
            "learner_max_score",
            "wall_time",
            "notebook",
            "grade_id",
            "kind",
            "score",
            "max_score",
            "outcome",
            "message",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        for column in ("learner", "status", "notebook", "grade_id", "kind", "outcome", "message"):
            frame[column] = frame[column].astype("str").where(frame[column].notna())
        return frame

    def summary(self) -> str:
        """A short text: counts by status, mean autograded score, then each failure."""
        counts = {k: v for k, v in self.counts().items() if v}
        parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
        lines = [
            f"Graded {len(self.learners)} submission(s) of {self.assignment} in "
            f"{self.wall_time:.1f} s with {self.jobs} worker(s): {parts or 'none'}."
        ]
        scored = [r for r in self.learners if r.status not in ("failed", "skipped")]
        if scored:
            mean = sum(r.code_score for r in scored) / len(scored)
            top = max(r.max_code_score for r in scored)
            lines.append(f"Mean autograded score {mean:.2f} / {top:g}.")
            manual = sum(r.needs_manual_grade for r in scored)
            if manual:
                lines.append(f"{manual} submission(s) have written answers to grade by hand.")
        for result in self.learners:
            if result.status == "failed":
                lines.append(f"  {result.learner}: not graded: {result.reason}")
                continue
            for q in result.failures:
                message = q.message.splitlines()[0] if q.message else ""
                lines.append(
                    f"  {result.learner} {q.grade_id}: {q.outcome.replace('_', ' ')}"
                    + (f": {message[:160]}" if message else "")
                )
        return "\n".join(lines)


# --- configuration ------------------------------------------------------------------------------
def _default_course_dir() -> Path:
    from clearlib._config import REPO_DIR

    return REPO_DIR / "course"


def _load_app(course_dir: Path):
    """nbgrader's AutogradeApp with the course's configuration loaded, as the CLI loads it."""
    from nbgrader.apps import AutogradeApp

    app = AutogradeApp()
    app.log.setLevel(logging.ERROR)
    app.initialize([], root=str(course_dir))
    return app


def _sqlite_path(db_url: str, root: str) -> Path:
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        raise ConfigError(
            f"grade_assignment needs an SQLite gradebook (db_url 'sqlite:///...'); the course's "
            f"CourseDirectory.db_url is {db_url!r}. Use `nbgrader autograde` for other databases."
        )
    path = Path(db_url[len(prefix) :])
    return path if path.is_absolute() else Path(root) / path


def _submitted_learners(coursedir, assignment: str) -> list[str]:
    """Learner ids with a folder ``submitted/<learner>/<assignment>/`` (as nbgrader matches)."""
    import glob

    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    regexp = re.compile(
        coursedir.format_path(
            re.escape(coursedir.submitted_directory),
            "(?P<learner>[^/]+)",
            re.escape(assignment),
            escape=True,
        )
        + "$"
    )
    learners = []
    for path in sorted(glob.glob(pattern)):
        match = regexp.match(path)
        if match and os.path.isdir(path):
            learners.append(match.group("learner"))
    return learners


def _private_paths(app, coursedir) -> list[str]:
    """What learners' code must not see besides the course root: every nbgrader folder (they
    may live elsewhere), the exchange, and the git repository holding the course (its history
    has the model answers and hidden tests)."""
    steps = ("source", "release", "submitted", "autograded", "feedback", "solution")
    paths = []
    for step in steps:
        folder = getattr(coursedir, f"{step}_directory", None)
        if folder:
            paths.append(str(Path(coursedir.format_path(folder, ".", ".")).resolve()))
    exchange = app.config.get("Exchange", {}).get("root")
    if isinstance(exchange, str):
        paths.append(exchange)
    root = Path(coursedir.root).resolve()
    for parent in [root, *root.parents]:
        if (parent / ".git").exists():
            paths += _git_dirs(parent / ".git")
            break
    return paths


def _git_dirs(dot_git: Path) -> list[str]:
    """``.git`` and, for a worktree (``.git`` is a file), the folders holding its history."""
    paths = [str(dot_git)]
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            gitdir = (dot_git.parent / text.split(":", 1)[1].strip()).resolve()
            paths.append(str(gitdir))
            common = gitdir / "commondir"
            if common.is_file():
                paths.append(str((gitdir / common.read_text().strip()).resolve()))
    return paths


def _snapshot(db_path: Path, dest: Path) -> None:
    """A consistent copy of the gradebook, even while formgrader has it open."""
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


@dataclass(frozen=True)
class _Settings:
    course_dir: str
    assignment: str
    snapshot: str
    run_dir: str
    cell_timeout: int
    output_limit_kb: int
    force: bool
    policy: SandboxPolicy | None


# --- the worker process -------------------------------------------------------------------------
class _Collector(logging.Handler):
    """Keeps the log messages of the learner being graded, formatted when logged (nbgrader
    logs database objects that cannot be printed once their session is closed)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[int, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a message that cannot be formatted is still worth keeping
            message = str(record.msg)
        self.records.append((record.levelno, record.levelname, message))


_WORKER: dict[str, Any] = {}


def _init_worker(settings: _Settings) -> None:
    """Load nbgrader and the course's configuration once per worker process."""
    from traitlets.config import Config

    # nbgrader 0.9 with SQLAlchemy 2 warns on every new submission, and nbformat on the cells
    # nbgrader puts back without an id: nothing is wrong, and the parent reports what matters
    warnings.filterwarnings("ignore", category=SAWarning)
    warnings.filterwarnings("ignore", module="nbformat")
    folder = tempfile.mkdtemp(prefix="w", dir=settings.run_dir)
    db = os.path.join(folder, "gradebook.db")
    shutil.copyfile(settings.snapshot, db)
    app = _load_app(Path(settings.course_dir))
    app.coursedir.db_url = "sqlite:///" + db
    collector = _Collector()
    app.log.handlers = [collector]
    app.log.setLevel(logging.INFO)
    app.log.propagate = False
    cfg = Config()
    cfg.SandboxedExecute.timeout = settings.cell_timeout
    cfg.SandboxedExecute.interrupt_on_timeout = True
    cfg.SandboxedExecute.output_limit_kb = settings.output_limit_kb
    cfg.SandboxedExecute.sandbox_root = folder
    cfg.SandboxedExecute.policy = settings.policy
    # a sandboxed kernel holds nothing worth a graceful shutdown
    cfg.SandboxedExecute.shutdown_kernel = "immediate"
    cfg.OverwriteCells.add_missing_cells = True
    cfg.BaseConverter.force = settings.force
    app.update_config(cfg)
    _WORKER.update(app=app, db=db, collector=collector, settings=settings)


def _grade_learner(learner: str) -> dict:
    """Grade one learner with nbgrader's Autograde converter; return what it recorded."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    from clearlib.course import _sandbox
    from clearlib.course._sandbox import SandboxedExecute

    app = _WORKER["app"]
    settings: _Settings = _WORKER["settings"]
    collector: _Collector = _WORKER["collector"]
    collector.records.clear()
    _sandbox.INCIDENTS.clear()
    start = time.monotonic()
    app.coursedir.student_id = learner
    app.coursedir.assignment_id = settings.assignment
    converter = Autograde(coursedir=app.coursedir, parent=app)
    converter.autograde_preprocessors = [
        SandboxedExecute if pp is Execute else pp for pp in converter.autograde_preprocessors
    ]
    error = ""
    try:
        converter.start()
    except Exception as exc:  # nbgrader's own failure, reported per learner
        error = f"{type(exc).__name__}: {exc}"
    wall = time.monotonic() - start
    skipped = any(m.startswith("Skipping existing assignment") for _, _, m in collector.records)
    log = "\n".join(
        f"[{name}] {message}"
        for level, name, message in collector.records
        if level >= logging.WARNING
    )
    record = _read_submission(_WORKER["db"], app.coursedir.course_id, settings.assignment, learner)
    notebooks = {}
    if not error and not skipped:
        dest = app.coursedir.format_path(
            app.coursedir.autograded_directory, learner, settings.assignment
        )
        for name in record.get("notebooks", {}):
            notebooks[name] = _cell_errors(os.path.join(dest, f"{name}.ipynb"))
    return {
        "learner": learner,
        "error": _failure_reason(collector.records, error) if error else "",
        "skipped": skipped,
        "record": record,
        "cell_errors": notebooks,
        "incidents": list(_sandbox.INCIDENTS),
        "wall_time": wall,
        "log": log,
    }


def _failure_reason(records: list[tuple[int, str, str]], error: str) -> str:
    """The last exception line nbgrader logged (its traceback), else its first error."""
    errors = [message for level, _, message in records if level >= logging.ERROR]
    for message in reversed(errors):
        if message.startswith("Traceback"):
            lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
            return lines[-1]
    interesting = [m for m in errors if not m.startswith(("There was an error", "Please see"))]
    return interesting[0] if interesting else error


def _read_submission(db: str, course_id: str, assignment: str, learner: str) -> dict:
    """Everything nbgrader's autograde writes for one submission, read from ``db``."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook("sqlite:///" + db, course_id) as gb:
        try:
            submission = gb.find_submission(assignment, learner)
        except MissingEntry:
            return {}
        notebooks = {}
        for nb in submission.notebooks:
            solution_names = {c.name for c in nb.notebook.solution_cells}
            task_names = {c.name for c in nb.notebook.task_cells}
            grades = {}
            for g in nb.grades:
                kind = (
                    "task"
                    if g.name in task_names
                    else "manual"
                    if g.name in solution_names
                    else "autograded"
                )
                grades[g.name] = {
                    "auto_score": g.auto_score,
                    "manual_score": g.manual_score,
                    "score": g.score,
                    "max_score": g.max_score,
                    "needs_manual_grade": bool(g.needs_manual_grade),
                    "kind": kind,
                }
            notebooks[nb.name] = {
                "late_submission_penalty": nb.late_submission_penalty,
                "grades": grades,
                "comments": {c.name: c.auto_comment for c in nb.comments},
            }
        return {
            "timestamp": submission.timestamp,
            "score": submission.score,
            "max_score": submission.max_score,
            "code_score": submission.code_score,
            "max_code_score": submission.max_code_score,
            "needs_manual_grade": bool(submission.needs_manual_grade),
            "notebooks": notebooks,
        }


def _cell_errors(path: str) -> dict:
    """``{"order": [grade ids in notebook order, None for other cells], "errors": {index:
    "Name: value"}}`` read from an autograded notebook."""
    import nbformat

    if not os.path.exists(path):
        return {}
    nb = nbformat.read(path, as_version=4)
    order, errors = [], {}
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        order.append(meta.get("grade_id") if meta.get("grade") or meta.get("task") else None)
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                errors[i] = f"{out.get('ename')}: {out.get('evalue')}".strip().rstrip(":")
    return {"order": order, "errors": errors}


# --- the parent: the real gradebook -------------------------------------------------------------
def _merge(gb, assignment: str, learner: str, record: dict) -> None:
    """Write into the course gradebook exactly the fields ``nbgrader autograde`` writes."""
    if not record:
        return
    gb.update_or_create_student(learner)
    if record.get("timestamp") is not None:
        gb.update_or_create_submission(assignment, learner, timestamp=record["timestamp"])
    else:
        gb.update_or_create_submission(assignment, learner)
    for name, nb in record["notebooks"].items():
        submitted = gb.find_submission_notebook(name, assignment, learner)
        submitted.late_submission_penalty = nb["late_submission_penalty"]
        for cell, grade in nb["grades"].items():
            row = gb.find_grade(cell, name, assignment, learner)
            row.auto_score = grade["auto_score"]
            row.needs_manual_grade = grade["needs_manual_grade"]
        for cell, auto_comment in nb["comments"].items():
            gb.find_comment(cell, name, assignment, learner).auto_comment = auto_comment
    gb.db.commit()


def _questions(result: dict) -> tuple[list[QuestionResult], list[Incident]]:
    record = result["record"]
    incidents: list[Incident] = result["incidents"]
    questions = []
    for name, nb in record.get("notebooks", {}).items():
        cells = result["cell_errors"].get(name, {})
        order, errors = cells.get("order", []), cells.get("errors", {})
        nb_incidents = [i for i in incidents if i.notebook == name]
        for grade_id, g in nb["grades"].items():
            kind, score = (
                g["kind"],
                g["score"]
                if g["auto_score"] is not None or g["manual_score"] is not None
                else None,
            )
            if kind != "autograded":
                outcome = "needs_manual_grade" if g["needs_manual_grade"] else "manually_graded"
                questions.append(
                    QuestionResult(name, grade_id, kind, g["manual_score"], g["max_score"], outcome)
                )
                continue
            if g["manual_score"] is not None:
                questions.append(
                    QuestionResult(name, grade_id, kind, score, g["max_score"], "manually_graded")
                )
                continue
            if g["auto_score"] is None:
                message = result["error"] or "the cell was not graded"
                questions.append(
                    QuestionResult(
                        name, grade_id, kind, None, g["max_score"], "not_graded", message
                    )
                )
                continue
            if g["auto_score"] >= g["max_score"]:
                questions.append(
                    QuestionResult(name, grade_id, kind, score, g["max_score"], "passed")
                )
                continue
            # the cells this question depends on: those since the previous graded cell
            index = order.index(grade_id) if grade_id in order else -1
            first = index
            while first > 0 and order[first - 1] is None:
                first -= 1
            span = range(first, index + 1)
            found = [i for i in nb_incidents if i.cell_index in span and i.kind in _SEVERITY]
            found.sort(key=lambda i: (_SEVERITY.index(i.kind), -i.cell_index))
            test_error = errors.get(index, "")
            earlier = [errors[i] for i in span if i != index and i in errors]
            if found:
                outcome, cause, at = found[0].kind, found[0].message, found[0].cell_index
            elif earlier:
                outcome, cause, at = "failed", earlier[0], None
            else:
                outcome, cause, at = "failed", test_error, index
            message = cause
            if at != index:
                message += " (in the answer before the test)"
                if test_error:
                    message += f"; the test then failed: {test_error}"
            questions.append(
                QuestionResult(name, grade_id, kind, score, g["max_score"], outcome, message)
            )
    return questions, incidents


def _learner_result(result: dict) -> LearnerResult:
    record = result["record"]
    questions, incidents = _questions(result)
    if result["error"]:
        status, reason = "failed", result["error"]
    elif result["skipped"]:
        status, reason = "skipped", "already autograded (use force=True to grade again)"
    else:
        kinds = [i.kind for i in incidents]
        status = next(
            (s for s in ("out_of_memory", "kernel_died", "timed_out", "blocked") if s in kinds),
            "graded",
        )
        if status == "graded" and "not_run" in kinds:
            status = "kernel_died"
        reason = "; ".join(
            f"{i.grade_id or f'cell {i.cell_index}'}: {i.message}"
            for i in incidents
            if i.kind != "output_truncated"
        )
    return LearnerResult(
        learner=result["learner"],
        status=status,
        reason=reason,
        score=float(record.get("score") or 0.0),
        max_score=float(record.get("max_score") or 0.0),
        code_score=float(record.get("code_score") or 0.0),
        max_code_score=float(record.get("max_code_score") or 0.0),
        needs_manual_grade=bool(record.get("needs_manual_grade")),
        questions=tuple(questions),
        incidents=tuple(incidents),
        wall_time=float(result["wall_time"]),
        log=result["log"],
    )


def _crashed(learner: str, why: str) -> LearnerResult:
    return LearnerResult(learner=learner, status="failed", reason=why)


class _Progress:
    """A rich progress bar with ETA, a callback, or nothing."""

    def __init__(self, progress: bool | Callable, total: int, assignment: str) -> None:
        self.callback = progress if callable(progress) else None
        self.bar = None
        self.done = 0
        self.total = total
        if progress is True:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("[bold]Grading {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[last]}"),
                console=Console(stderr=True),
            )
            self.task = self.bar.add_task(assignment, total=total, last="")

    def start(self) -> None:
        if self.bar is not None:
            self.bar.start()
            self.started = True

    def stop(self) -> None:
        if self.bar is not None and getattr(self, "started", False):
            self.bar.stop()

    def advance(self, result: LearnerResult) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, last=f"{result.learner}: {result.status}")
        if self.callback is not None:
            self.callback(result, self.done, self.total)


def grade_assignment(
    assignment: str,
    *,
    course_dir: str | Path | None = None,
    jobs: int = 2,
    learners: Sequence[str] | None = None,
    cell_timeout: int = 30,
    memory_mb: int = 1536,
    output_limit_kb: int = 512,
    progress: bool | Callable = True,
    force: bool = True,
) -> GradingReport:
    """Autograde every collected submission of ``assignment`` in parallel, sandboxed.

    Grades land in the course's ``gradebook.db`` exactly as ``nbgrader autograde`` records them,
    and autograded notebooks in ``autograded/<learner>/<assignment>/``; ``nbgrader
    generate_feedback`` and formgrader work on them as usual.

    Parameters
    ----------
    assignment : str
        The assignment name (``01-getting-started``), released with ``nbgrader
        generate_assignment`` so the gradebook knows it.
    course_dir : path, optional
        The nbgrader course root holding ``nbgrader_config.py``; default ``course/`` of the
        repository.
    jobs : int
        Worker processes (each runs one kernel at a time). Default 2.
    learners : sequence of str, optional
        Grade only these learners (each must have a submission); default every learner in
        ``submitted/``.
    cell_timeout : int
        Seconds each cell may run; a slower cell is interrupted and fails, the rest still runs.
    memory_mb : int
        Address-space limit of each learner's kernel, in MiB (at least 256).
    output_limit_kb : int
        Most output kept per cell, in KiB; the rest is cut before it reaches the gradebook and
        the feedback.
    progress : bool or callable
        True: a progress bar with ETA on stderr. A callable is called as ``progress(result,
        done, total)`` after each learner. False: silent.
    force : bool
        Grade again learners already autograded (nbgrader's ``--force``). Default True.

    Returns
    -------
    GradingReport
        Per learner: status, score, each question's points and failure message, wall time.

    Raises
    ------
    ConfigError
        The course, assignment, learners or sandbox (bubblewrap) cannot be used.

    Examples
    --------
    >>> from clearlib.course import grade_assignment  # doctest: +SKIP
    >>> report = grade_assignment("01-getting-started", jobs=2, progress=False)  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    Graded 40 submission(s) of 01-getting-started in 61.2 s with 2 worker(s): 38 graded, ...
    >>> report.to_frame().groupby("grade_id")["score"].mean()  # doctest: +SKIP
    """
    started = time.monotonic()
    _check_int("jobs", jobs, 1)
    _check_int("cell_timeout", cell_timeout, 1)
    _check_int("memory_mb", memory_mb, 256)
    _check_int("output_limit_kb", output_limit_kb, 1)
    if not isinstance(assignment, str) or not assignment or os.sep in assignment:
        raise ConfigError(
            f"assignment must be an assignment folder name such as '01-getting-started'; got {assignment!r}."
        )
    course = Path(course_dir) if course_dir is not None else _default_course_dir()
    course = course.expanduser().resolve()
    if not course.is_dir():
        raise ConfigError(
            f"The course folder {course} does not exist; pass course_dir= the nbgrader course root."
        )

    app = _load_app(course)
    coursedir = app.coursedir
    root = coursedir.root
    db_path = _sqlite_path(coursedir.db_url, root)
    _check_gradebook(db_path, coursedir.course_id, assignment)
    available = _submitted_learners(coursedir, assignment)
    chosen = _choose_learners(available, learners, assignment, coursedir)

    hidden = [str(db_path), *_private_paths(app, coursedir)]
    policy = SandboxPolicy.for_course(root, hidden=hidden, memory_mb=memory_mb)
    check_sandbox(policy)

    os.makedirs(coursedir.format_path(coursedir.autograded_directory, ".", "."), exist_ok=True)
    run_dir = tempfile.mkdtemp(prefix="clear-grade-")
    results: dict[str, LearnerResult] = {}
    try:
        snapshot = os.path.join(run_dir, "snapshot.db")
        _snapshot(db_path, Path(snapshot))
        settings = _Settings(
            course_dir=str(root),
            assignment=assignment,
            snapshot=snapshot,
            run_dir=run_dir,
            cell_timeout=int(cell_timeout),
            output_limit_kb=int(output_limit_kb),
            force=bool(force),
            policy=policy,
        )
        _Run(settings, coursedir, progress, len(chosen), results).grade(chosen, jobs)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    ordered = tuple(results[learner] for learner in chosen)
    return GradingReport(
        assignment=assignment,
        course_dir=Path(root),
        learners=ordered,
        wall_time=time.monotonic() - started,
        jobs=int(jobs),
        cell_timeout=int(cell_timeout),
        memory_mb=int(memory_mb),
        settings={"output_limit_kb": int(output_limit_kb), "force": bool(force), "sandbox": policy},
    )


def _start_method() -> str:
    """``fork`` when it is safe (Linux, no other thread yet): the workers then start with
    nbgrader already imported, seconds sooner; else ``spawn`` (say, inside a Jupyter kernel)."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


class _Run:
    """One grading run: worker pools, the course gradebook, the progress display."""

    def __init__(self, settings: _Settings, coursedir, progress, total: int, results: dict) -> None:
        self.settings = settings
        self.coursedir = coursedir
        self.bar = _Progress(progress, total, settings.assignment)
        self.results = results
        self.attempts: dict[str, int] = {}
        self.gb = None

    def grade(self, learners: list[str], jobs: int) -> None:
        """Grade ``learners``. When a worker process dies, the pool breaks and every learner
        it still held is graded again in a new pool; learners caught in two crashes are then
        graded alone, one pool each, so that only a submission that kills its grader alone is
        reported as such."""
        # nbgrader's modules are imported before the workers fork, so they start at once
        from nbgrader.api import Gradebook
        from nbgrader.converters import Autograde  # noqa: F401

        pending = list(learners)
        try:
            while pending:
                alone = [learner for learner in pending if self.attempts.get(learner, 0) >= 2]
                shared = [learner for learner in pending if learner not in alone]
                pending = []
                if shared:
                    pending += self._pool(shared, min(jobs, len(shared)), Gradebook)
                for learner in alone:
                    pending += self._pool([learner], 1, Gradebook, alone=True)
        finally:
            self.bar.stop()
            if self.gb is not None:
                self.gb.close()

    def _pool(
        self, pending: list[str], workers: int, gradebook_class, *, alone: bool = False
    ) -> list[str]:
        again: list[str] = []
        context = multiprocessing.get_context(_start_method())
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(self.settings,)
        ) as pool:
            futures = {pool.submit(_grade_learner, learner): learner for learner in pending}
            # only now (after the fork): open the gradebook, start the progress thread
            if self.gb is None:
                self.gb = gradebook_class(self.coursedir.db_url, self.coursedir.course_id)
                self.bar.start()
            try:
                for future in as_completed(futures):
                    learner = futures[future]
                    try:
                        raw = future.result()
                    except BrokenProcessPool:
                        self.attempts[learner] = self.attempts.get(learner, 0) + 1
                        if not alone:
                            again.append(learner)
                            continue
                        result = _crashed(
                            learner, "grading this submission alone crashed the grading process"
                        )
                    except Exception as exc:  # one learner's problem, not the batch's
                        result = _crashed(learner, f"{type(exc).__name__}: {exc}")
                    else:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", SAWarning)
                            _merge(self.gb, self.settings.assignment, learner, raw["record"])
                        result = _learner_result(raw)
                    self.results[learner] = result
                    self.bar.advance(result)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return again


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}; got {value!r}.")


def _check_gradebook(db_path: Path, course_id: str, assignment: str) -> None:
    if not db_path.exists():
        raise ConfigError(
            f"No gradebook at {db_path}: release the assignment first (`nbgrader "
            f"generate_assignment {assignment}` in the course folder)."
        )
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{db_path}", course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            known = sorted(a.name for a in gb.assignments)
            raise ConfigError(
                f"The gradebook {db_path} has no assignment {assignment!r} (it has {known}); "
                f"run `nbgrader generate_assignment {assignment}` in the course folder first."
            ) from None


def _choose_learners(
    available: list[str], learners: Sequence[str] | None, assignment: str, coursedir
) -> list[str]:
    where = coursedir.format_path(coursedir.submitted_directory, "<learner>", assignment)
    if not available:
        raise ConfigError(
            f"No submissions of {assignment!r} to grade: nothing matches {where}. Collect them first (`nbgrader collect {assignment}`)."
        )
    if learners is None:
        return available
    if isinstance(learners, str):
        learners = [learners]
    chosen = list(dict.fromkeys(learners))
    missing = [learner for learner in chosen if learner not in available]
    if missing:
        raise ConfigError(
            f"No submission of {assignment!r} for {missing} (expected {where}); "
            f"learners with a submission: {available[:20]}{' ...' if len(available) > 20 else ''}."
        )
    return chosen
