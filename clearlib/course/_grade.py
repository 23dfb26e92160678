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

The graded tests do not run in that kernel (``trusted=True``, the default): each test cell's
declared answers are exported from it as data, and the tests run afterwards in a separate,
trusted process that never executes learner code
(:class:`~clearlib.course._trusted_execute.TrustedExecute`). ``trusted=False`` keeps nbgrader's
own behaviour, tests and learner code in one kernel, for comparison.

Grading again (the default, ``force=False``) grades only submissions that are new or changed:
the parent keeps a checksum of each graded submission folder, and of each written answer, in
``autograded/.clear-graded-<assignment>.json``. nbgrader's autograde flags every hand-graded
answer "needs manual grade" again; after merging, the parent turns that flag back off for
every grade with a manual score whose answer is unchanged (the whole submission, for a
hand-changed autograded score), so finished hand grading is never undone.
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
        """A text for the tutor: counts by status, one line per learner, every problem in full.

        Each learner's line gives their score (written answers not yet graded by hand are
        pending, never 0), their status and what waits for a hand grade; then every failed
        test and every submission that could not be graded, with its whole message.
        """
        counts = {k: v for k, v in self.counts().items() if v}
        parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
        lines = [
            f"Graded {len(self.learners)} submission(s) of {self.assignment} in "
            f"{self.wall_time:.1f} s with {self.jobs} worker(s): {parts or 'none'}."
        ]
        scored = [r for r in self.learners if r.status != "failed" and r.questions]
        if scored:
            top = max(r.max_score for r in scored)
            code = max(r.max_code_score for r in scored)
            lines.append(
                f"Points possible: {top:g} ({code:g} autograded, {top - code:g} graded by hand)."
            )
            mean = sum(r.code_score for r in scored) / len(scored)
            lines.append(f"Mean autograded score {mean:.2f} / {code:g}.")
            manual = sum(r.needs_manual_grade for r in scored)
            if manual:
                lines.append(f"{manual} submission(s) have written answers to grade by hand.")
        width = max((len(r.learner) for r in self.learners), default=0)
        for result in self.learners:
            lines.append(f"  {result.learner:<{width}}  {_learner_line(result)}")
        problems = []
        for result in self.learners:
            if result.status == "failed":
                problems.append(f"  {result.learner}: not graded: {result.reason}")
                continue
            for q in result.failures:
                message = " ".join(q.message.split())
                problems.append(
                    f"  {result.learner} {q.grade_id}: {q.outcome.replace('_', ' ')}"
                    + (f": {message}" if message else "")
                )
        if problems:
            lines.append("Problems:")
            lines += problems
        return "\n".join(lines)


def _learner_line(result: LearnerResult) -> str:
    """``18 / 21 (3 pending)  graded; by hand: q5-explain`` for one learner."""
    if result.status == "failed":
        return f"-  not graded: {result.reason}"
    pending = [q for q in result.questions if q.outcome == "needs_manual_grade"]
    waiting = sum(q.max_score for q in pending)
    score = sum((q.score or 0.0) for q in result.questions if q.outcome != "needs_manual_grade")
    text = f"{score:g} / {result.max_score:g}"
    if waiting:
        text += f" ({waiting:g} pending)"
    status = result.status.replace("_", " ")
    if result.status == "skipped":
        status = "unchanged, not graded again"
    elif result.status not in ("graded",):
        status += f": {result.reason}" if result.reason else ""
    failed = len(result.failures)
    if failed:
        status += f"; {failed} test(s) failed"
    if pending:
        status += "; to grade by hand: " + ", ".join(q.grade_id for q in pending)
    return f"{text}  {status}"


# --- configuration ------------------------------------------------------------------------------
def _default_course_dir() -> Path:
    from clearlib.course._notebook import course_dir

    return course_dir(None)


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
    trusted: bool = True


# --- what was graded last time ------------------------------------------------------------------
#: Beside the learners' folders in ``autograded/``: per learner, a checksum of the submission
#: and of each written answer, as they were when last graded (a file, so that nbgrader's
#: ``autograded/*/<assignment>`` never takes it for a learner).
STORE_NAME = ".clear-graded-{assignment}.json"


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _fingerprint(folder: Path) -> dict:
    """Checksums of a submission folder: of every file in it (notebooks and nbgrader's
    ``timestamp.txt``) and of each written answer's source, by notebook and grade id."""
    import json

    files = {}
    answers: dict[str, dict[str, str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if ".ipynb_checkpoints" in path.parts:
            continue
        data = path.read_bytes()
        files[str(path.relative_to(folder))] = _sha(data)
        if path.suffix != ".ipynb":
            continue
        try:
            cells = json.loads(data).get("cells", [])
        except ValueError:
            continue
        for cell in cells:
            meta = (cell.get("metadata") or {}).get("nbgrader") or {}
            if meta.get("solution") and (meta.get("grade") or meta.get("task")):
                source = cell.get("source", "")
                text = "".join(source) if isinstance(source, list) else str(source)
                answers.setdefault(path.stem, {})[str(meta.get("grade_id"))] = _sha(
                    text.strip().encode("utf-8")
                )
    return {
        "submission": _sha("\n".join(f"{k} {v}" for k, v in files.items()).encode()),
        "answers": answers,
    }


def _store_path(coursedir, assignment: str) -> Path:
    folder = Path(coursedir.format_path(coursedir.autograded_directory, ".", "."))
    return folder / STORE_NAME.format(assignment=assignment)


def _read_store(path: Path) -> dict:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_store(path: Path, store: dict) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(store, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _keep_hand_grades(gb, assignment: str, learner: str, record: dict, before, now) -> None:
    """Undo nbgrader's "needs manual grade" where a finished hand grade still holds.

    nbgrader's autograde flags every grade that has a manual score for review again. A written
    answer whose text is unchanged since it was last graded keeps its hand grade (flag off);
    so does a hand-changed autograded score when the whole submission is unchanged.
    """
    if not before or not record:
        return
    same = before.get("submission") == now.get("submission")
    for name, nb in record.get("notebooks", {}).items():
        old = before.get("answers", {}).get(name, {})
        new = now.get("answers", {}).get(name, {})
        for cell, grade in nb["grades"].items():
            if not grade["needs_manual_grade"]:
                continue
            row = gb.find_grade(cell, name, assignment, learner)
            if row.manual_score is None:
                continue
            unchanged = same or (
                grade["kind"] != "autograded" and cell in old and old.get(cell) == new.get(cell)
            )
            if unchanged:
                row.needs_manual_grade = False
                grade["needs_manual_grade"] = False
                grade["manual_score"] = row.manual_score
                grade["score"] = row.score
    gb.db.commit()
    record["needs_manual_grade"] = any(
        g["needs_manual_grade"]
        for nb in record["notebooks"].values()
        for g in nb["grades"].values()
    )


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
    cfg.TrustedExecute.assignment_dir = app.coursedir.format_path(
        app.coursedir.source_directory, ".", settings.assignment
    )
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
    from clearlib.course._trusted_execute import TrustedExecute

    app = _WORKER["app"]
    settings: _Settings = _WORKER["settings"]
    collector: _Collector = _WORKER["collector"]
    collector.records.clear()
    _sandbox.INCIDENTS.clear()
    start = time.monotonic()
    app.coursedir.student_id = learner
    app.coursedir.assignment_id = settings.assignment
    converter = Autograde(coursedir=app.coursedir, parent=app)
    executor = TrustedExecute if settings.trusted else SandboxedExecute
    converter.autograde_preprocessors = [
        executor if _resolve(pp) is Execute else pp for pp in converter.autograde_preprocessors
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


def _resolve(preprocessor: Any) -> Any:
    """A preprocessor class from a class or its import path (as nbgrader_config.py names it)."""
    if isinstance(preprocessor, str):
        from traitlets.utils.importstring import import_item

        return import_item(preprocessor)
    return preprocessor


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
        status, reason = "skipped", "unchanged since it was last graded (--force grades it again)"
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
    """A rich progress bar with ETA (on a terminal), one plain line per learner (in a log), a
    callback, or nothing."""

    def __init__(self, progress: bool | Callable, total: int, assignment: str) -> None:
        self.callback = progress if callable(progress) else None
        self.bar = None
        self.lines = False
        self.done = 0
        self.total = total
        if progress is True:
            from rich.console import Console

            if not Console(stderr=True).is_terminal:
                self.lines = True
                print(
                    f"Grading {assignment}: {total} new or changed submission(s)",
                    file=sys.stderr,
                    flush=True,
                )
                return
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
        if self.lines:
            status = result.status.replace("_", " ")
            print(
                f"  {self.done}/{self.total} {result.learner}: {status}",
                file=sys.stderr,
                flush=True,
            )
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
    force: bool = False,
    trusted: bool = True,
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
        The nbgrader course root holding ``nbgrader_config.py``; default ``$CLEAR_COURSE_DIR``,
        else the current folder if it holds ``nbgrader_config.py``, else ``course/`` of the
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
        Grade every learner again. Default False: grade only submissions that are new or
        changed since they were last graded (a checksum of the submitted folder is kept in
        ``autograded/.clear-graded-<assignment>.json``); the others are reported as
        ``skipped`` with their recorded grades. Either way, a written answer already graded
        by hand whose text has not changed keeps its grade: it is not flagged "needs manual
        grade" again.
    trusted : bool
        Default True: each graded test runs in the trusted runner, outside the learner's
        kernel, on the answers its cell declares (``# answers:``), exported from the kernel
        as data (see :mod:`clearlib.course._trusted_execute`). False: the legacy grader,
        where tests run in the learner's kernel (a learner's code can change how they run).

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
    store_path = _store_path(coursedir, assignment)
    store = _read_store(store_path)
    now = {
        learner: _fingerprint(
            Path(coursedir.format_path(coursedir.submitted_directory, learner, assignment))
        )
        for learner in chosen
    }
    results: dict[str, LearnerResult] = {}
    to_grade = []
    for learner in chosen:
        graded_dir = Path(
            coursedir.format_path(coursedir.autograded_directory, learner, assignment)
        )
        unchanged = store.get(learner, {}).get("submission") == now[learner]["submission"]
        if force or not unchanged or not graded_dir.is_dir():
            to_grade.append(learner)
        else:
            results[learner] = _unchanged_result(coursedir, db_path, assignment, learner)
    run_dir = tempfile.mkdtemp(prefix="clear-grade-")
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
            force=True,
            policy=policy,
            trusted=bool(trusted),
        )
        run = _Run(settings, coursedir, progress, len(to_grade), results)
        run.fingerprints = (store, now, store_path)
        if to_grade:
            run.grade(to_grade, jobs)
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
        settings={
            "output_limit_kb": int(output_limit_kb),
            "force": bool(force),
            "sandbox": policy,
            "trusted": bool(trusted),
        },
    )


def _unchanged_result(coursedir, db_path: Path, assignment: str, learner: str) -> LearnerResult:
    """The recorded grades of a submission left alone because it has not changed."""
    record = _read_submission(str(db_path), coursedir.course_id, assignment, learner)
    dest = coursedir.format_path(coursedir.autograded_directory, learner, assignment)
    raw = {
        "learner": learner,
        "error": "",
        "skipped": True,
        "record": record,
        "cell_errors": {
            name: _cell_errors(os.path.join(dest, f"{name}.ipynb"))
            for name in record.get("notebooks", {})
        },
        "incidents": [],
        "wall_time": 0.0,
        "log": "",
    }
    return _learner_result(raw)


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
        self.fingerprints: tuple[dict, dict, Path] | None = None

    def grade(self, learners: list[str], jobs: int) -> None:
        """Grade ``learners``. When a worker process dies, the pool breaks and every learner
        it still held is graded again in a new pool; learners caught in two crashes are then
        graded alone, one pool each, so that only a submission that kills its grader alone is
        reported as such."""
        # nbgrader's modules are imported before the workers fork, so they start at once
        from nbgrader.api import Gradebook
        from nbgrader.converters import Autograde  # noqa: F401

        from clearlib.course import _trusted_execute  # noqa: F401

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
                            _remember(self, learner, raw)
                        result = _learner_result(raw)
                    self.results[learner] = result
                    self.bar.advance(result)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return again


def _remember(run: _Run, learner: str, raw: dict) -> None:
    """Keep finished hand grades, and store what was graded (only when it was)."""
    if run.fingerprints is None:
        return
    store, now, path = run.fingerprints
    _keep_hand_grades(
        run.gb, run.settings.assignment, learner, raw["record"], store.get(learner), now[learner]
    )
    if raw["error"] or not raw["record"]:
        store.pop(learner, None)
    else:
        store[learner] = now[learner]
    _write_store(path, store)


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
