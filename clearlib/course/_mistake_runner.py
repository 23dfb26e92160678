"""Run a wrong-answer corpus against a source notebook, in this process; print JSON.

``python -m clearlib.course._mistake_runner NOTEBOOK CORPUS`` is what
:func:`clearlib.course._mistakes.run_mistakes` starts in a separate process. The model's cells
run once, with the namespace saved before each answer cell; each mistake starts from the saved
namespace before its first wrong answer and runs on to the end of the notebook (or the first
visible failure), as a learner running their notebook would. Visible checks are the test cells
without their hidden regions; the whole cell (hidden tests too) runs after its visible part
passes, as grading would run it.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearlib.course._mistakes import Mistake, read_corpus
from clearlib.course._notebook import BEGIN_HIDDEN, END_HIDDEN, strip_hidden_tests

_SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class _Cell:
    kind: str  # "answer", "test" or "code"
    grade_id: str
    code: str  # the model answer, or the code that runs
    visible: str = ""  # a test's visible part
    hidden: str = ""  # what runs after the visible part passes: its hidden tail, or the whole cell


def _cells(path: Path) -> list[_Cell]:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {}) or {}
        grade_id = meta.get("grade_id") or f"cell {i + 1}"
        source = cell.source
        if meta.get("solution"):
            code = "\n".join(
                line for line in source.split("\n") if not any(m in line for m in _SOLUTION_MARKERS)
            )
            cells.append(_Cell("answer", grade_id, code))
        elif meta.get("grade"):
            full = "\n".join(
                line
                for line in source.split("\n")
                if BEGIN_HIDDEN not in line and END_HIDDEN not in line
            )
            cells.append(
                _Cell("test", grade_id, full, strip_hidden_tests(source), _hidden_tail(source))
            )
        else:
            cells.append(_Cell("code", grade_id, source))
    return cells


def _hidden_tail(source: str) -> str:
    """The code that runs after a test's visible part, as grading runs the whole cell.

    When the cell's one hidden region is its tail (the usual layout), that is just the region;
    otherwise the whole cell runs again (visible lines too).
    """
    lines = source.split("\n")
    begins = [i for i, line in enumerate(lines) if BEGIN_HIDDEN in line]
    ends = [i for i, line in enumerate(lines) if END_HIDDEN in line]
    if not begins:
        return ""
    if len(begins) == 1 and (not ends or not "".join(lines[ends[-1] + 1 :]).strip()):
        stop = ends[-1] if ends else len(lines)
        return "\n".join(lines[begins[0] + 1 : stop])
    return "\n".join(line for line in lines if BEGIN_HIDDEN not in line and END_HIDDEN not in line)


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, AssertionError):
        return text or "(an assert with no message)"
    return f"{type(exc).__name__}: {text}"


def _snapshot(ns: dict[str, Any]) -> dict[str, Any]:
    """A copy of a namespace that later cells cannot change in place.

    pandas copies on write, so DataFrames and Series are shared safely; Python containers and
    other mutable objects (figures, models) are copied.
    """
    import pandas as pd

    saved = {}
    for name, value in ns.items():
        if name.startswith("__") or isinstance(value, pd.DataFrame | pd.Series | pd.Index):
            saved[name] = value
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            saved[name] = copy.copy(value)  # e.g. the dataset's bundle of tables
            continue
        try:
            saved[name] = copy.deepcopy(value)
        except Exception:
            saved[name] = value
    return saved


def _execute(code: str, ns: dict[str, Any], name: str) -> BaseException | None:
    """Run a cell's code in ``ns``, quietly; the exception it raised, or None."""
    out = io.StringIO()
    try:
        compiled = compile(code, f"<{name}>", "exec")
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            exec(compiled, ns)
    except (Exception, SystemExit) as exc:  # a learner's code may raise anything
        return exc
    return None


def _fresh_namespace() -> dict[str, Any]:
    from IPython.display import display

    return {"__name__": "__main__", "display": display}


def _run_model(cells: list[_Cell]) -> tuple[list[dict[str, Any] | None], list[str]]:
    """Run the model answers; the namespace saved before each answer cell, and any failures."""
    ns = _fresh_namespace()
    saved: list[dict[str, Any] | None] = []
    failures = []
    for cell in cells:
        saved.append(_snapshot(ns) if cell.kind == "answer" else None)
        if cell.kind == "test":
            exc = _execute(cell.visible, ns, cell.grade_id) or _execute(
                cell.hidden, ns, cell.grade_id
            )
        else:
            exc = _execute(cell.code, ns, cell.grade_id)
        if exc is not None:
            failures.append(f"{cell.grade_id}: {_message(exc)}")
    return saved, failures


def _run_mistake(
    mistake: Mistake, cells: list[_Cell], saved: list[dict[str, Any] | None]
) -> dict[str, str]:
    result = {"name": mistake.name, "caught": "not caught", "cell": "", "message": "", "error": ""}
    ids = [c.grade_id for c in cells]
    unknown = [q for q in mistake.answers if q not in ids]
    if unknown:
        result["error"] = f"no answer cell {unknown} in the notebook"
        return result
    start = min(ids.index(q) for q in mistake.answers)
    ns = dict(saved[start] or {})
    ns = _snapshot(ns)
    hidden: tuple[str, str] | None = None
    for cell in cells[start:]:
        if cell.kind == "test":
            exc = _execute(cell.visible, ns, cell.grade_id)
            if exc is not None:
                return {
                    **result,
                    "caught": "visible",
                    "cell": cell.grade_id,
                    "message": _message(exc),
                }
            exc = _execute(cell.hidden, ns, cell.grade_id)
            if exc is not None and hidden is None:
                hidden = (cell.grade_id, _message(exc))
            continue
        code = mistake.answers.get(cell.grade_id, cell.code)
        exc = _execute(code, ns, cell.grade_id)
        if exc is not None:
            return {
                **result,
                "caught": "visible",
                "cell": cell.grade_id,
                "message": f"error in {cell.grade_id}: {_message(exc)}",
            }
    if hidden:
        return {**result, "caught": "hidden", "cell": hidden[0], "message": hidden[1]}
    return result


def main(argv: list[str]) -> int:
    notebook, corpus = Path(argv[0]), Path(argv[1])
    try:
        import plotly.io as pio

        pio.renderers.default = "json"
    except ImportError:  # pragma: no cover - plotly is a dependency
        pass
    mistakes = read_corpus(corpus)
    cells = _cells(notebook)
    saved, failures = _run_model(cells)
    outcomes = [_run_mistake(m, cells, saved) for m in mistakes]
    covered = {q for m in mistakes for q in m.answers}
    tested = []
    for i, cell in enumerate(cells):
        if cell.kind == "answer":
            nxt = next((c for c in cells[i + 1 :] if c.kind in ("answer", "test")), None)
            if nxt is not None and nxt.kind == "test":
                tested.append(cell.grade_id)
    uncovered = [q for q in tested if q not in covered]
    result = {"outcomes": outcomes, "model_failures": failures, "uncovered": uncovered}
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
