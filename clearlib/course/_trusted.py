"""The trusted test runner: graded tests run on answers as data, never beside learner code.

The grader (:class:`~clearlib.course._trusted_execute.TrustedExecute`) starts this module as
``python -I -m clearlib.course._trusted JOB.json`` outside the sandbox, after the learner's
notebook has run and each graded test cell's declared answers have been exported. It runs, in
a fresh namespace:

1. the assignment's set-up cells, as the faculty wrote them (from the gradebook);
2. then each graded test cell (visible and hidden tests) in order, with its declared answers
   loaded by :func:`clearlib.course._answers.load_answer` (strict readers, exact types, no
   pickle) and bound to their names.

Datasets read with :func:`clearlib.load_pcn` here are first checked against the SHA-256
checksums of their manifest (:func:`clearlib.data._store.verify`), so the expected values come
from the data as generated.

A function answer is bound to a proxy: calling it writes the inputs as data, asks the grader
(one JSON line on the protocol stream) to call the learner's function in the learner's kernel
with a time limit, and reads the result back as data.

Protocol: the runner's real stdout carries JSON lines to the grader (``{"op": "call", ...}``,
then ``{"op": "done", "results": [...]}``); the grader answers each call with one line on the
runner's stdin. What the tests print is captured per cell and returned with its result.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from clearlib.course._answers import (
    KINDS,
    Answer,
    AnswerExportError,
    load_answer,
    load_value,
    save_value,
)

__all__ = ["LearnerFunctionError", "main", "run_job", "serve"]

#: Builtin exceptions a learner's function may raise that cross as themselves (with message).
_CROSSING = {
    name: getattr(builtins, name)
    for name in (
        "ArithmeticError",
        "AssertionError",
        "AttributeError",
        "IndexError",
        "KeyError",
        "LookupError",
        "NameError",
        "NotImplementedError",
        "OverflowError",
        "RecursionError",
        "RuntimeError",
        "TypeError",
        "ValueError",
        "ZeroDivisionError",
    )
}


class LearnerFunctionError(Exception):
    """A learner's function raised an exception (named in the message), stopped, or ran out of
    time when the test called it."""


class AnswerError(Exception):
    """A declared answer could not be read from the learner's notebook as its kind."""


class _TestTimeout(BaseException):
    pass


class _Channel:
    """The JSON-lines link to the grader."""

    def __init__(self, out: Any, inp: Any) -> None:
        self.out = out
        self.inp = inp

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    def receive(self) -> dict:
        line = self.inp.readline()
        if not line:
            raise LearnerFunctionError("the grader stopped answering")
        return json.loads(line)


class _LearnerFunction:
    """Stands for a learner's function: each call runs it in the learner's kernel."""

    def __init__(self, runner: _Runner, tag: str, name: str) -> None:
        self._runner = runner
        self._tag = tag
        self.__name__ = name
        self.__qualname__ = name

    def __repr__(self) -> str:
        return f"<your function {self.__name__}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._runner.call(self._tag, self.__name__, args, kwargs)


class _Runner:
    def __init__(self, job: dict, channel: _Channel) -> None:
        self.job = job
        self.channel = channel
        self.calls = 0
        self.call_root = Path(job["call_root"])

    def call(self, tag: str, name: str, args: tuple, kwargs: dict) -> Any:
        self.calls += 1
        folder = self.call_root / f"k{self.calls}"
        folder.mkdir(parents=True)
        spec: dict[str, Any] = {"args": [], "kwargs": {}}
        from clearlib.course._answers import _kind_of

        for i, value in enumerate(args):
            kind = _kind_of(value)
            if kind is None or kind == "function":
                raise TypeError(f"a test passed {type(value).__name__} to {name}: not data")
            save_value(value, folder, f"a{i}", kind)
            spec["args"].append(kind)
        for key, value in kwargs.items():
            kind = _kind_of(value)
            if kind is None or not key.isidentifier():
                raise TypeError(f"a test passed {type(value).__name__} to {name}: not data")
            save_value(value, folder, f"k_{key}", kind)
            spec["kwargs"][key] = kind
        (folder / "call.json").write_text(json.dumps(spec))
        remaining = signal.alarm(0)
        try:
            self.channel.send(
                {"op": "call", "tag": tag, "name": name, "folder": str(folder), "id": self.calls}
            )
            reply = self.channel.receive()
        finally:
            if remaining:
                signal.alarm(remaining)
        status = reply.get("status")
        if status != "ok":
            raise LearnerFunctionError(
                f"your function {name} {reply.get('message') or 'could not be called'}"
            )
        return _call_result(folder, name)


def _call_result(folder: Path, name: str) -> Any:
    from clearlib.course._answers import _json

    if os.path.lexists(folder / "raised.json"):
        raised = _json(folder / "raised.json")
        ename = str(raised.get("ename", "Exception"))[:80] if type(raised) is dict else "Exception"
        evalue = str(raised.get("evalue", ""))[:2000] if type(raised) is dict else ""
        if ename in _CROSSING:
            raise _CROSSING[ename](evalue)
        raise LearnerFunctionError(f"your function {name} raised {ename}: {evalue}")
    if os.path.lexists(folder / "result.error.json"):
        note = _json(folder / "result.error.json")
        found = str(note.get("found", ""))[:200] if type(note) is dict else ""
        raise LearnerFunctionError(
            f"your function {name} returned {found or 'something'}, which cannot be checked: "
            "return a number, text, a list, a dict, a table, a Series, an array or a figure"
        )
    try:
        meta = _json(folder / "kind.json")
        kind = meta.get("kind") if type(meta) is dict else None
        if (kind not in KINDS and kind != "none") or kind == "function":
            raise ValueError("its result's kind is unknown")
        return load_value(folder, "result", kind)
    except (OSError, ValueError, TypeError) as exc:
        raise LearnerFunctionError(
            f"your function {name}'s result could not be read: {str(exc)[:200]}"
        ) from None


def _question(grade_id: str) -> str:
    """``Q3: `` for ``q3-busiest-test`` (a prefix for answer messages), else ``""``."""
    import re

    match = re.match(r"^q(\d+)", grade_id or "")
    return f"Q{int(match.group(1))}: " if match else ""


def _traceback(exc: BaseException, label: str) -> list[str]:
    """The traceback a learner would read: frames of the test cell and what it called."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != label:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    return ["".join(lines).rstrip("\n")]


def _verify_datasets() -> None:
    """Make ``load_pcn`` check each dataset's checksums once, before this process reads it."""
    from clearlib.data import _load
    from clearlib.data._store import verify

    checked: set[str] = set()
    read = _load._read_remembered

    def verified(path: Path, tables: tuple[str, ...]):
        key = str(Path(path).resolve())
        if key not in checked:
            verify(path)
            checked.add(key)
        return read(path, tables)

    _load._read_remembered = verified


def _alarm(signum: int, frame: Any) -> None:
    raise _TestTimeout()


def _namespace() -> dict[str, Any]:
    return {"__name__": "__main__", "__builtins__": builtins, "display": _display}


def _run_setup_cell(cell: dict, namespace: dict, timeout: int) -> None:
    label = f"<set-up cell {cell.get('grade_id')}>"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            signal.alarm(timeout * 4)
            try:
                exec(compile(cell["source"], label, "exec"), namespace)
            finally:
                signal.alarm(0)
    except BaseException as exc:  # the faculty's set-up failed: say so in the log
        print(f"set-up cell {cell.get('grade_id')}: {type(exc).__name__}: {exc}", file=sys.stderr)


def run_job(job: dict, channel: _Channel, namespace: dict | None = None) -> list[dict]:
    """Run the set-up cells, then every test cell of ``job``; one result dict per test cell.

    Set-up and test cells run in notebook order in a fresh namespace; given a ``namespace``
    where the set-up cells already ran, only the tests run.
    """
    runner = _Runner(job, channel)
    timeout = int(job.get("cell_timeout", 30))
    signal.signal(signal.SIGALRM, _alarm)
    cells = [("test", t["index"], t) for t in job.get("tests", [])]
    if namespace is None:
        namespace = _namespace()
        cells += [("setup", c.get("at", 0), c) for c in job.get("setup", [])]
    results = []
    for what, _, cell in sorted(cells, key=lambda item: (item[1], item[0] == "test")):
        if what == "test":
            results.append(_run_test(cell, namespace, runner, timeout))
        else:
            _run_setup_cell(cell, namespace, timeout)
    return results


def _setup_key(job: dict) -> str:
    import hashlib

    text = json.dumps(
        [
            job.get("setup", []),
            job.get("verify_data", True),
            job.get("cell_timeout", 30),
            job.get("cwd"),
        ],
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def serve(channel: _Channel) -> int:
    """Serve jobs one at a time (``{"job": path}`` lines on stdin) by forking.

    The set-up cells run once in this process, for every job with the same set-up; each job
    then runs in a child forked from that state, so it starts from a fresh copy of the set-up
    namespace (nothing a job does reaches the next) without reading the data again. The child
    says ``{"op": "started", "pid": ...}`` first, then talks to the grader as :func:`run_job`
    does; if it dies before its ``done`` line, this process writes one for it.
    """
    signal.signal(signal.SIGALRM, _alarm)
    key, namespace = None, _namespace()
    verified = False
    while True:
        line = channel.inp.readline()
        if not line:
            return 0
        try:
            job = json.loads(Path(json.loads(line)["job"]).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            channel.send({"op": "done", "results": [], "error": f"unreadable job: {exc}"})
            continue
        if job.get("verify_data", True) and not verified:
            _verify_datasets()
            verified = True
        if _setup_key(job) != key:
            key, namespace = _setup_key(job), _namespace()
            if job.get("cwd"):
                os.chdir(job["cwd"])
            for cell in sorted(job.get("setup", []), key=lambda c: c.get("at", 0)):
                _run_setup_cell(cell, namespace, int(job.get("cell_timeout", 30)))
        channel.out.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: one job, then exit without running the parent's cleanup
            code = 3
            try:
                channel.send({"op": "started", "pid": os.getpid()})
                results = run_job(job, channel, namespace)
                channel.send({"op": "done", "results": results})
                code = 0
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if status != 0:
            why = (
                f"killed by signal {os.WTERMSIG(status)}"
                if os.WIFSIGNALED(status)
                else f"exit status {os.WEXITSTATUS(status)}"
            )
            channel.out.write("\n")
            channel.send({"op": "done", "results": [], "error": f"the test runner stopped ({why})"})


def _display(*objs: Any, **kwargs: Any) -> None:
    for obj in objs:
        print(repr(obj))


def _failure(test: dict, ename: str, evalue: str, tb: list[str] | None = None, out: str = ""):
    return {
        "index": test["index"],
        "grade_id": test.get("grade_id"),
        "status": "failed",
        "ename": ename,
        "evalue": evalue,
        "traceback": tb or [f"{ename}: {evalue}"],
        "stdout": out,
    }


def _run_test(test: dict, namespace: dict, runner: _Runner, timeout: int) -> dict:
    grade_id = test.get("grade_id") or ""
    if test.get("declaration_error"):
        return _failure(test, "GraderError", test["declaration_error"])
    for name, kind, optional in test.get("answers", []):
        answer = Answer(name, kind, bool(optional))
        try:
            if test.get("folder") is None:
                raise AnswerExportError(
                    f"`{name}` could not be read from your notebook (the cells before this test "
                    "did not finish)"
                )
            value = load_answer(test["folder"], answer)
        except AnswerExportError as exc:
            return _failure(test, "AnswerError", _question(grade_id) + str(exc))
        if kind == "function" and value is not None:
            value = _LearnerFunction(runner, test["tag"], name)
        namespace[name] = value
    label = f"<test {grade_id}>"
    buffer = io.StringIO()
    try:
        code = compile(test["source"], label, "exec")
        with contextlib.redirect_stdout(buffer):
            signal.alarm(timeout)
            try:
                exec(code, namespace)
            finally:
                signal.alarm(0)
    except _TestTimeout:
        return _failure(
            test,
            "CellTimeoutError",
            f"the test ran for more than {timeout} s",
            out=buffer.getvalue(),
        )
    except BaseException as exc:  # the test failed: its message is the learner's feedback
        evalue = str(exc)
        return _failure(
            test, type(exc).__name__, evalue, _traceback(exc, label), out=buffer.getvalue()
        )
    return {
        "index": test["index"],
        "grade_id": grade_id,
        "status": "passed",
        "stdout": buffer.getvalue(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the job file named in ``argv`` (or serve jobs: ``--serve``); JSON lines to the real
    stdout, answers to calls from stdin."""
    argv = sys.argv[1:] if argv is None else argv
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever else writes to stdout goes to the log
    sys.stdout = sys.stderr
    channel = _Channel(proto, sys.stdin)
    if argv[:1] == ["--serve"]:
        return serve(channel)
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    if job.get("cwd"):
        os.chdir(job["cwd"])
    if job.get("verify_data", True):
        _verify_datasets()
    results = run_job(job, channel)
    channel.send({"op": "done", "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
