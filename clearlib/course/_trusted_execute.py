"""Grade with the tests out of the learner's reach: :class:`TrustedExecute`.

nbgrader's ``Execute`` runs the learner's notebook and its test cells in one kernel, so a
learner's code can change how the tests run (an input transformer that empties later cells, a
patched ``run_cell``, assertions stripped, objects equal to anything, a killed kernel, printed
passes). :class:`TrustedExecute` keeps nbgrader's flow but splits it:

1. The learner's notebook runs in the sandboxed kernel as before (outputs, errors and written
   answers are what the learner wrote), except that each graded test cell is not run there:
   in its place, the kernel runs a short export of the answers the cell declares
   (``# answers: name: kind``, see :mod:`clearlib.course._answers`), written as data (JSON,
   Arrow, ``.npy``, plotly JSON) into a folder the grader then moves out of the sandbox.
2. After the last cell, with the learner's kernel still alive, the grader starts the trusted
   runner (:mod:`clearlib.course._trusted`) outside the sandbox. It runs the set-up cells and
   every test cell as the faculty wrote them (taken from the gradebook, hidden tests included),
   on the answers as data. A function answer is called in the learner's kernel, one call at a
   time with a time limit (``call_timeout``), its inputs and result crossing as data.
3. Each test cell's outputs become what the runner found: nothing when it passed, else an error
   output whose name and message are the test's own (``AssertionError: ...``) or a plain line
   saying why an answer could not be read. nbgrader's ``SaveAutoGrades`` scores them as usual,
   and the feedback shows the message the learner sees in JupyterLab.

A test cell the trusted runner never reports on (it crashed, or ran out of time) fails.

Examples
--------
>>> from clearlib.course._trusted_execute import TrustedExecute
>>> TrustedExecute().call_timeout  # 0: each call may run as long as a cell
0
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Integer, Unicode

from clearlib.course._answers import AnswerDeclarationError, export_snippet, parse_answers
from clearlib.course._sandbox import SandboxedExecute, _error

__all__ = ["TrustedExecute"]

_TAG = re.compile(r"^c\d+$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _is_test(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _gradebook_cells(resources: dict) -> dict[str, dict] | None:
    """``{grade_id: {source, locked, grade, solution, cell_type}}`` of the notebook, from the
    gradebook (the faculty text), or None when there is no gradebook to read."""
    info = resources.get("nbgrader", {})
    db_url, assignment, notebook = info.get("db_url"), info.get("assignment"), info.get("notebook")
    if not (db_url and assignment and notebook):
        return None
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(db_url) as gb:
            nb = gb.find_notebook(notebook, assignment)
            grades = {c.name for c in nb.grade_cells}
            solutions = {c.name for c in nb.solution_cells}
            return {
                c.name: {
                    "source": c.source or "",
                    "locked": bool(c.locked),
                    "cell_type": c.cell_type,
                    "grade": c.name in grades,
                    "solution": c.name in solutions,
                }
                for c in nb.source_cells
            }
    except MissingEntry:
        return None


class TrustedExecute(SandboxedExecute):
    """nbgrader's ``Execute`` with the learner's code in the sandbox and the tests outside it.

    Configure it like :class:`~clearlib.course._sandbox.SandboxedExecute`; ``call_timeout`` is
    the time limit of each call of a function answer, ``verify_data`` makes the trusted runner
    check datasets against their manifest's checksums before reading them.
    """

    call_timeout = Integer(
        0, help="Seconds each call of a learner's function may run (0: the per-cell timeout)."
    ).tag(config=True)
    verify_data = Bool(True, help="Check datasets' checksums in the trusted runner.").tag(
        config=True
    )
    assignment_dir = Unicode(
        "",
        help="The assignment's source folder: the trusted runner works in a copy of it (set-up "
        "cells may read files shipped with the assignment).",
    ).tag(config=True)
    fork_server = Bool(
        True,
        help="Keep one trusted runner per grading process: it runs the set-up cells once and "
        "forks a fresh copy for each notebook (False: a new runner per notebook).",
    ).tag(config=True)

    # --- the plan: faculty text of the set-up and test cells ------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        """Run the learner's notebook with answer exports, then the tests in the trusted runner."""
        resources = resources or {}
        self._private = tempfile.mkdtemp(prefix="t", dir=self.sandbox_root or None)
        self._exports = os.path.join(self._private, "answers")
        os.makedirs(self._exports)
        self._plain_sandbox = os.path.join(self._private, "kernel")  # when unsandboxed
        os.makedirs(self._plain_sandbox)
        self._plan(nb, resources)
        self._trusted_done = False
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        finally:
            shutil.rmtree(self._private, ignore_errors=True)
        return nb, resources

    def _plan(self, nb: NotebookNode, resources: dict) -> None:
        faculty = _gradebook_cells(resources)
        self._setup: list[dict] = []
        self._tests: dict[int, dict] = {}
        seen: set[str] = set()
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = meta.get("grade_id")
            if cell.cell_type != "code" or not grade_id:
                continue
            if faculty is None:
                text = {
                    "source": cell.source,
                    "locked": bool(meta.get("locked")),
                    "cell_type": "code",
                    "grade": bool(meta.get("grade")),
                    "solution": bool(meta.get("solution")),
                }
            else:
                text = faculty.get(grade_id)
            if _is_test(cell):
                test = {"index": index, "grade_id": grade_id, "tag": f"c{index}", "answers": []}
                if text is None or not text["grade"] or text["solution"] or grade_id in seen:
                    test["source"] = ""
                    test["declaration_error"] = (
                        f"the cell {grade_id!r} is not a test of this assignment"
                    )
                else:
                    test["source"] = text["source"]
                    try:
                        test["answers"] = [
                            [a.name, a.kind, a.optional] for a in parse_answers(text["source"])
                        ]
                    except AnswerDeclarationError as exc:
                        test["declaration_error"] = f"the grader cannot check this test: {exc}"
                self._tests[index] = test
            elif (
                text is not None
                and text["locked"]
                and text["cell_type"] == "code"
                and not text["grade"]
                and not text["solution"]
                and grade_id not in seen
            ):
                self._setup.append({"grade_id": grade_id, "source": text["source"], "at": index})
            seen.add(grade_id)

    # --- the learner's kernel -------------------------------------------------------------------
    def _kernel_dir(self) -> str:
        """A folder the learner's kernel sees at the same path (its private sandbox folder)."""
        if self.policy is not None and self.km is not None and hasattr(self.km, "sandbox_dir"):
            return self.km.sandbox_dir
        return self._plain_sandbox

    def preprocess_cell(self, cell, resources, index):
        """Run a learner's cell; in place of a test cell, export its answers."""
        if index in self._tests:
            self._export(cell, resources, index)
        else:
            cell, resources = super().preprocess_cell(cell, resources, index)
        if index == len(self.nb.cells) - 1 and not self._trusted_done:
            self._trusted_done = True
            self._run_trusted()
        return cell, resources

    def _export(self, cell: NotebookNode, resources: dict, index: int) -> None:
        test = self._tests[index]
        test["folder"] = None
        cell.outputs = [_error("NotGraded", "the grader stopped before it could check this test")]
        if test.get("declaration_error") or not test["answers"]:
            if not test.get("declaration_error"):
                test["folder"] = os.path.join(self._exports, test["tag"])
                os.makedirs(test["folder"], exist_ok=True)
            return
        from clearlib.course._answers import Answer

        name = f"answers-{test['tag']}-{secrets.token_hex(6)}"
        inside = os.path.join(self._kernel_dir(), name)
        answers = [Answer(n, k, bool(o)) for n, k, o in test["answers"]]
        export = copy.deepcopy(cell)
        export.source = export_snippet(inside, answers, test["tag"])
        export.outputs = []
        try:
            super().preprocess_cell(export, resources, index)
        finally:
            self.nb.cells[index] = cell
            if index in self._replayable:
                self._replayable.remove(index)
        cell.execution_count = export.get("execution_count")
        test["folder"] = self._take(inside, os.path.join(self._exports, test["tag"]))

    def _take(self, inside: str, dest: str) -> str | None:
        """Move a folder the kernel wrote out of its reach; None if it is not a plain folder."""
        if not os.path.lexists(inside):
            return None
        try:
            os.rename(inside, dest)
        except OSError:
            return None
        if os.path.islink(dest) or not os.path.isdir(dest):
            return None
        return dest

    # --- the trusted runner ---------------------------------------------------------------------
    def _run_trusted(self) -> None:
        if not self._tests:
            return
        calls = os.path.join(self._private, "calls")
        os.makedirs(calls)
        job = {
            "setup": self._setup,
            "tests": [self._tests[i] for i in sorted(self._tests)],
            "call_root": calls,
            "cell_timeout": int(self.timeout or 30),
            "verify_data": bool(self.verify_data),
            "cwd": _working_copy(self.assignment_dir, self.sandbox_root),
        }
        job_path = os.path.join(self._private, "job.json")
        with open(job_path, "w", encoding="utf-8") as fh:
            json.dump(job, fh)
        budget = (int(self.timeout or 30) + 5) * (len(self._tests) + len(self._setup) + 2)
        deadline = time.monotonic() + budget
        results: dict[int, dict] = {}
        if self.fork_server:
            runner = _server(self.sandbox_root or tempfile.gettempdir())
            runner.send({"job": job_path})
        else:
            work = job["cwd"] or os.path.join(self._private, "cwd")
            os.makedirs(work, exist_ok=True)
            runner = _RunnerProcess([job_path], work, os.path.join(self._private, "trusted.log"))
        try:
            failure, finished = self._converse(runner, results, deadline)
        except Exception as exc:  # the link broke: no result is trusted
            failure, finished = f"the trusted test runner failed: {exc}", False
        if not finished or not self.fork_server:
            if runner.child is not None and self.fork_server:
                with contextlib.suppress(OSError):
                    os.kill(runner.child, signal.SIGKILL)  # the server then says "done"
                finished = runner.drain(5.0)
            if not finished or not self.fork_server:
                runner.stop()
                _forget(runner)
        if failure:
            self.log.warning("trusted test runner: %s %s", failure, runner.log_tail())
        failure = failure or "the trusted test runner stopped before it reported on this test"
        for index in self._tests:
            cell = self.nb.cells[index]
            result = results.get(index)
            if result is None:
                cell.outputs = [_error("GraderError", failure)]
            else:
                cell.outputs = _outputs(result)

    def _converse(self, runner: _RunnerProcess, results: dict, deadline: float):
        """Serve the runner's calls until it reports: ``(problem or None, finished)``."""
        runner.child = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "the tests ran out of time in the trusted test runner", False
            line = runner.readline(left)
            if line is None:
                return "the trusted test runner stopped", False
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                continue
            op = message.get("op")
            if op == "started":
                runner.child = int(message.get("pid") or 0) or None
            elif op == "done":
                for result in message.get("results", []):
                    results[int(result["index"])] = result
                runner.child = None
                return message.get("error"), True
            elif op == "call":
                runner.send(self._serve_call(message))

    def _serve_call(self, message: dict) -> dict:
        """Call a learner's function in their kernel, inputs and result in a moved folder."""
        tag, name, folder = message.get("tag"), message.get("name"), message.get("folder", "")
        calls = os.path.join(self._private, "calls")
        if (
            not isinstance(tag, str)
            or not _TAG.match(tag)
            or not isinstance(name, str)
            or not _NAME.match(name)
            or os.path.dirname(os.path.realpath(folder)) != os.path.realpath(calls)
        ):
            return {"status": "error", "message": "could not be called (a malformed request)"}
        if getattr(self, "_calls_dead", False) or self._gave_up or self.kc is None:
            return {"status": "dead", "message": "could not be called: your kernel had stopped"}
        inside = os.path.join(self._kernel_dir(), f"call-{secrets.token_hex(8)}")
        os.rename(folder, inside)
        cell = NotebookNode(
            cell_type="code",
            metadata={},
            source=(
                "import clearlib.course._answers as _clear_answers\n"
                f"_clear_answers.serve_call(globals(), {tag!r}, {name!r}, {inside!r})\n"
                "del _clear_answers"
            ),
            outputs=[],
            execution_count=None,
        )
        index = len(self.nb.cells) - 1
        keep, saved_timeout, replaying = self.nb.cells[index], self.timeout, self._replaying
        limit = int(self.call_timeout or self.timeout or 30)
        self.timeout, self._replaying = limit, True
        status: dict = {"status": "ok"}
        try:
            self.execute_cell(cell, index, store_history=False)
        except (DeadKernelError, CellTimeoutError):
            self._calls_dead = True
            status = {
                "status": "timeout",
                "message": f"ran for more than {limit} s (or stopped the kernel)",
            }
        finally:
            self.nb.cells[index] = keep
            self.timeout, self._replaying = saved_timeout, replaying
        if status["status"] == "ok" and any(
            o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])
        ):
            status = {"status": "timeout", "message": f"ran for more than {limit} s"}
        if self._take(inside, folder) is None:
            os.makedirs(folder, exist_ok=True)
            if status["status"] == "ok":
                status = {"status": "error", "message": "gave no result the grader could read"}
        return status


def _outputs(result: dict) -> list[NotebookNode]:
    out: list[NotebookNode] = []
    text = str(result.get("stdout") or "")
    if text:
        out.append(NotebookNode(output_type="stream", name="stdout", text=text[:100_000]))
    if result.get("status") != "passed":
        ename = str(result.get("ename") or "Error")
        evalue = str(result.get("evalue") or "")
        tb = [str(line) for line in result.get("traceback") or [f"{ename}: {evalue}"]]
        out.append(NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=tb))
    return out


def _tail(path: str, size: int = 2000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - size))
            return fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


class _RunnerProcess:
    """A trusted runner process and its JSON-lines link (read without Python's buffering, so
    ``select`` sees every line)."""

    def __init__(self, args: list[str], cwd: str, log_path: str) -> None:
        self.log_path = log_path
        self.child: int | None = None
        self.owner = os.getpid()
        self._buffer = b""
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "clearlib.course._trusted", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=cwd,
                env=env,
                bufsize=0,
            )

    def alive(self) -> bool:
        return self.proc.poll() is None and self.owner == os.getpid()

    def send(self, message: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def readline(self, timeout: float) -> str | None:
        """The next line ("" if none came within ``timeout`` s), or None at the end."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                return ""
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return ""
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def drain(self, timeout: float) -> bool:
        """Read up to the next ``done`` line (after a child was stopped); True if it came."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self.readline(end - time.monotonic())
            if line is None:
                return False
            with contextlib.suppress(ValueError):
                if json.loads(line or "{}").get("op") == "done":
                    self.child = None
                    return True
        return False

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=10)

    def log_tail(self) -> str:
        return _tail(self.log_path)


#: This process's forking runner (one per grading worker).
_SERVER: list[_RunnerProcess] = []


def _server(root: str) -> _RunnerProcess:
    """The forking trusted runner of this process, started on first use."""
    if _SERVER and _SERVER[0].alive():
        return _SERVER[0]
    if _SERVER:
        _SERVER[0].stop()
        _SERVER.clear()
    folder = tempfile.mkdtemp(prefix="trusted-", dir=root)
    work = os.path.join(folder, "cwd")
    os.makedirs(work)
    server = _RunnerProcess(["--serve"], work, os.path.join(folder, "trusted.log"))
    _SERVER.append(server)
    return server


def _forget(runner: _RunnerProcess) -> None:
    if _SERVER and _SERVER[0] is runner:
        _SERVER.clear()


#: Copies of assignment folders made in this process, by (source folder, root).
_COPIES: dict[tuple[str, str], str] = {}


def _working_copy(source: str, root: str) -> str | None:
    """A private copy of the assignment's source folder (its notebooks left out), made once per
    grading process; None when there is no source folder."""
    if not source or not os.path.isdir(source):
        return None
    key = (os.path.realpath(source), root)
    if key not in _COPIES or not os.path.isdir(_COPIES[key]):
        dest = os.path.join(tempfile.mkdtemp(prefix="src-", dir=root or None), "assignment")
        shutil.copytree(
            source,
            dest,
            symlinks=True,
            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"),
        )
        _COPIES[key] = dest
    return _COPIES[key]
