"""Answers as data: what a graded test reads from a learner's work, and how it crosses over.

Every autograded test cell of an assignment declares, beside its test, the learner's values it
reads and what kind each must be (a comment line right after its docstring)::

    # answers: pharmacist_phone_mar: table
    # answers: n_no_appointments: number, mean_appointments_per_patient: number?

The trusted grader (:mod:`clearlib.course._trusted`) never runs a learner's code: it gets each
declared answer as data, exported from the learner's kernel in a format that cannot carry code,
and runs the test on that. This module holds the three parts:

- the declaration parser (:func:`parse_answers`) and :func:`undeclared_names`, which finds the
  names a test cell reads that it neither defines nor declares;
- the exporter, run in the learner's (sandboxed, untrusted) kernel by a short code string
  (:func:`export_snippet`): it writes each declared value into a folder, in a closed set of
  formats (JSON for numbers, text, lists and dicts; Arrow IPC for tables and series; ``.npy``
  without pickle for arrays; plotly JSON for figures), or a note of the type it found;
- the loader (:func:`load_answer`), run in the trusted process: strict readers, exact types,
  size limits, never pickle.

The kinds (:data:`KINDS`) are a closed set; a kind suffixed ``?`` also accepts ``None``.

Examples
--------
>>> from clearlib.course._answers import parse_answers
>>> parse_answers("# answers: x: number, top: table?\\nassert x > 0")
[Answer(name='x', kind='number', optional=False), Answer(name='top', kind='table', optional=True)]
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearlib._exceptions import ClearlibError, ConfigError

__all__ = [
    "KINDS",
    "MAX_ANSWER_BYTES",
    "Answer",
    "AnswerDeclarationError",
    "AnswerExportError",
    "export_snippet",
    "load_answer",
    "parse_answers",
    "undeclared_names",
]

#: The kinds an answer may be declared as, and what each means for a learner.
KINDS: dict[str, str] = {
    "number": "a number",
    "boolean": "True or False",
    "text": "a piece of text (a string)",
    "list": "a list",
    "dict": "a dictionary",
    "timestamp": "a date or time (a pandas Timestamp)",
    "table": "a table (a pandas DataFrame)",
    "series": "a pandas Series",
    "array": "a numpy array",
    "figure": "a plotly figure",
    "function": "a function",
    "pcn": "a PCN dataset (clearlib.load_pcn's PCNData)",
    "policy": "a disclosure policy (clearlib.privacy.Policy)",
    "publishcheck": "a publication check (clearlib.privacy.PublishCheck)",
    "demand": "a workforce demand (clearlib.workforce.Demand)",
    "capacity": "a workforce capacity (clearlib.workforce.Capacity)",
    "accessresult": "an access simulation result (clearlib.workforce.AccessResult)",
}

#: Largest file one answer may export (bytes).
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: Largest JSON text (an answer's or a note's).
MAX_JSON_BYTES = 16 * 1024 * 1024
#: Deepest nesting and most items a list or dict answer may have.
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
#: Oldest pyarrow whose IPC reader is safe from CVE-2023-47248 (arbitrary code while reading).
MIN_PYARROW = (14, 0, 1)
#: What a question's check says when the learner's notebook never set its answer (a blank).
NOT_DEFINED = "is not defined: run the cell that sets it"

_DECLARATION = re.compile(r"^\s*#\s*answers\s*:(?P<body>.*)$", re.IGNORECASE)
_ITEM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<kind>[a-z]+)(?P<opt>\?)?$")
_NUMPY_NUMBERS = frozenset(
    f"{kind}{bits}" for kind in ("int", "uint") for bits in (8, 16, 32, 64)
) | frozenset({"float16", "float32", "float64"})


class AnswerDeclarationError(ClearlibError):
    """A test cell's ``# answers:`` line is missing or malformed."""


class AnswerExportError(ClearlibError):
    """A learner's answer could not be read as its declared kind; the message is for learners.

    Parameters
    ----------
    message : str
        The plain feedback line (``dna_rate must be a number; found ...``).
    """


@dataclass(frozen=True)
class Answer:
    """One declared answer: its ``name``, its ``kind`` (a key of :data:`KINDS`), and whether
    ``None`` is accepted (``optional``, written ``kind?``)."""

    name: str
    kind: str
    optional: bool = False

    def describe(self) -> str:
        """What the answer must be, in words (``a number, or None``)."""
        text = KINDS[self.kind]
        return f"{text}, or None" if self.optional else text


# --- declarations -------------------------------------------------------------------------------
def declaration_line(source: str) -> str | None:
    """The body of the cell's ``# answers:`` line (after the colon), or None if it has none."""
    found = None
    for line in source.splitlines():
        match = _DECLARATION.match(line)
        if match:
            if found is not None:
                raise AnswerDeclarationError(
                    "A test cell has two '# answers:' lines; put every answer it reads on one "
                    "line, such as '# answers: a: number, b: table'."
                )
            found = match.group("body").strip()
    return found


def parse_answers(source: str) -> list[Answer]:
    """The answers a test cell declares on its ``# answers:`` line.

    Parameters
    ----------
    source : str
        The test cell's source (the faculty text, with its hidden tests).

    Returns
    -------
    list of Answer
        In the order declared; empty for ``# answers: none``.

    Raises
    ------
    AnswerDeclarationError
        No ``# answers:`` line, two of them, a kind not in :data:`KINDS`, a name that is not
        a Python identifier, or a name declared twice.

    Examples
    --------
    >>> parse_answers("# answers: rate: number?, plot: figure")
    [Answer(name='rate', kind='number', optional=True), Answer(name='plot', kind='figure', optional=False)]
    >>> parse_answers("# answers: none")
    []
    """
    body = declaration_line(source)
    if body is None:
        raise AnswerDeclarationError(
            "The test cell has no '# answers:' line: add one after its docstring naming each "
            "value it reads and its kind, such as '# answers: total_patients: number' "
            f"(kinds: {', '.join(KINDS)}), or '# answers: none'."
        )
    if body.lower() == "none":
        return []
    answers: list[Answer] = []
    for item in (part.strip() for part in body.split(",")):
        match = _ITEM.match(item)
        if not match or match.group("kind") not in KINDS:
            raise AnswerDeclarationError(
                f"'# answers:' item {item!r} should read 'name: kind' with a kind among "
                f"{', '.join(KINDS)} (add '?' when None is accepted)."
            )
        name = match.group("name")
        if any(a.name == name for a in answers):
            raise AnswerDeclarationError(f"'# answers:' declares {name!r} twice.")
        answers.append(Answer(name, match.group("kind"), bool(match.group("opt"))))
    return answers


class _Names(ast.NodeVisitor):
    """Free names of a cell: read at module level, in functions, classes and comprehensions."""

    def __init__(self) -> None:
        self.read: list[str] = []
        self.bound: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.read.append(node.id)
        else:
            self.bound.add(node.id)

    def _bind_args(self, args: ast.arguments) -> None:
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            self.bound.add(arg.arg)
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                self.bound.add(arg.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.bound.add(node.name)
        self._bind_args(node.args)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._bind_args(node.args)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.bound.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        self.bound.update(node.names)

    visit_Nonlocal = visit_Global

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.bound.add(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.bound.add(node.rest)
        self.generic_visit(node)


def _strip_magics(source: str) -> str:
    """IPython line magics and shell escapes become blank lines (same line numbers)."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def names_read(source: str) -> tuple[list[str], set[str]]:
    """``(names read, names bound)`` anywhere in a cell (raises SyntaxError if it has one)."""
    tree = ast.parse(_strip_magics(source))
    visitor = _Names()
    visitor.visit(tree)
    return visitor.read, visitor.bound


def undeclared_names(test_source: str, allowed: set[str] | frozenset[str] | list[str]) -> list[str]:
    """The names a test cell reads that nothing provides: not assigned, imported or defined in
    the cell, not builtins, not declared on its ``# answers:`` line, not in ``allowed``.

    The analysis is flow-insensitive (a name the cell binds anywhere counts as its own), which
    is what a test cell needs: it reads the learner's work only through declared answers.

    Parameters
    ----------
    test_source : str
        The test cell's source.
    allowed : collection of str
        Names the cell may read besides its answers: those the assignment's set-up cells
        define.

    Returns
    -------
    list of str
        Sorted, each once; empty when the cell reads only what it may.

    Examples
    --------
    >>> cell = "# answers: total: number\\nexpected = sessions['n'].sum()\\nassert total == expected"
    >>> undeclared_names(cell, allowed=set())
    ['sessions']
    >>> undeclared_names(cell, allowed={"sessions"})
    []
    """
    read, bound = names_read(test_source)
    try:
        declared = {a.name for a in parse_answers(test_source)}
    except AnswerDeclarationError:
        declared = set()
    known = bound | declared | set(allowed) | set(dir(builtins)) | {"__name__", "__doc__"}
    # IPython's own names, always defined in a kernel (display, get_ipython, In, Out)
    known |= {"display", "get_ipython", "In", "Out"}
    return sorted({name for name in read if name not in known})


def names_defined(source: str) -> set[str]:
    """Names a set-up cell binds at its top level (assignments, imports, defs, classes)."""
    tree = ast.parse(_strip_magics(source))
    out: set[str] = set()
    for node in tree.body:
        visitor = _Names()
        visitor.visit(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        else:
            out |= visitor.bound
    return out


# --- the exporter (runs in the learner's kernel) ------------------------------------------------
def export_snippet(folder: str, answers: list[Answer], tag: str) -> str:
    """The code string the grader runs in the learner's kernel to export ``answers``.

    ``tag`` identifies the test cell (function answers are kept under it for later calls).

    Examples
    --------
    >>> print(export_snippet("/tmp/x", [Answer("n", "number")], "c3"))  # doctest: +ELLIPSIS
    import clearlib.course._answers as _clear_answers
    _clear_answers.export_answers(globals(), '/tmp/x', [('n', 'number', False)], 'c3')
    del _clear_answers
    """
    spec = [(a.name, a.kind, a.optional) for a in answers]
    return (
        "import clearlib.course._answers as _clear_answers\n"
        f"_clear_answers.export_answers(globals(), {folder!r}, {spec!r}, {tag!r})\n"
        "del _clear_answers"
    )


#: Function answers exported in this (learner's) kernel, by test-cell tag and name.
_FUNCTIONS: dict[tuple[str, str], Any] = {}


def _type_name(value: Any) -> str:
    cls = type(value)
    name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "object")
    return str(name)[:80]


def _found(value: Any) -> str:
    """``an object of type `Anything``` for a note."""
    if value is None:
        return "None"
    return f"an object of type `{_type_name(value)}`"


def _write_bytes(path: Path, data: bytes) -> None:
    if len(data) > MAX_ANSWER_BYTES:
        raise ValueError(
            f"it is {len(data) / 1e6:.0f} MB once saved, more than the "
            f"{MAX_ANSWER_BYTES // (1024 * 1024)} MiB an answer may be"
        )
    path.write_bytes(data)


#: Learner-facing kinds of clearlib objects: module, class. Each crosses as its fields (tables,
#: series, numbers, text...), and the trusted side builds it again with the class's constructor.
OBJECTS: dict[str, tuple[str, str]] = {
    "pcn": ("clearlib.data._bundle", "PCNData"),
    "policy": ("clearlib.privacy._policy", "Policy"),
    "publishcheck": ("clearlib.privacy._gate", "PublishCheck"),
    "demand": ("clearlib.workforce._demand", "Demand"),
    "capacity": ("clearlib.workforce._capacity", "Capacity"),
    "accessresult": ("clearlib.workforce._access", "AccessResult"),
}
#: The fields each object crosses with (a dataclass's own fields, or these).
_OBJECT_FIELDS = {
    "demand": {
        "table": "_table",
        "calendar": "_calendar",
        "minutes": "_minutes",
        "competency": "_competency",
    },
    "capacity": {"table": "_table"},
}
#: Most side files (tables, series, arrays inside a list, dict or object) one value may have.
MAX_PARTS = 1000


def _object_class(kind: str, *, load: bool) -> Any:
    import importlib
    import sys

    module, name = OBJECTS[kind]
    mod = importlib.import_module(module) if load else sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None


def _object_kind(value: Any) -> str | None:
    for kind in OBJECTS:
        cls = _object_class(kind, load=False)
        if cls is not None and type(value) is cls:
            return kind
    return None


def _object_fields(kind: str, value: Any) -> dict[str, Any]:
    import dataclasses

    if kind in _OBJECT_FIELDS:
        return {name: getattr(value, attr) for name, attr in _OBJECT_FIELDS[kind].items()}
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def _object_build(kind: str, fields: dict[str, Any]) -> Any:
    import dataclasses

    cls = _object_class(kind, load=True)
    expected = (
        set(_OBJECT_FIELDS[kind])
        if kind in _OBJECT_FIELDS
        else {f.name for f in dataclasses.fields(cls)}
    )
    if set(fields) != expected:
        raise ValueError(f"a {kind} object is malformed")
    if kind == "demand":
        return cls(
            fields["table"],
            fields["calendar"],
            minutes=fields["minutes"],
            competency=fields["competency"],
        )
    if kind == "capacity":
        return cls(fields["table"])
    return cls(**fields)


class _Parts:
    """Side files of one value (``<stem>.p<n>.arrow`` or ``.npy``) for the tables, series and
    arrays inside a list, dict or object."""

    def __init__(self, folder: Path, stem: str, limit: int = MAX_ANSWER_BYTES) -> None:
        self.folder, self.stem, self.count, self.limit = Path(folder), stem, 0, limit

    def path(self, n: Any, ext: str) -> Path:
        if type(n) is not int or not 0 <= n < MAX_PARTS:
            raise ValueError("a part of it is malformed")
        return self.folder / f"{self.stem}.p{n}.{ext}"

    def put(self, data: bytes, ext: str) -> int:
        if self.count >= MAX_PARTS:
            raise ValueError(f"it holds more than {MAX_PARTS} tables or arrays")
        n, self.count = self.count, self.count + 1
        _write_bytes(self.path(n, ext), data)
        return n


def _to_json(value: Any, parts: _Parts | None = None, depth: int = 0, count=None) -> Any:
    """``value`` as JSON with tags: ``{"t": [...]}`` a tuple, ``{"d": [[k, v], ...]}`` a dict,
    ``{"n": dtype, "v": x}`` a numpy number, ``{"ts": iso}`` a Timestamp, ``{"table": n}``,
    ``{"series": n, "name": ...}``, ``{"array": n}`` a side file, ``{"obj": kind, "fields":
    {...}}`` a clearlib object. Exact types only."""
    import numpy as np
    import pandas as pd

    count = count if count is not None else [0]
    count[0] += 1
    if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
        raise ValueError("it is too large or too deeply nested to be checked")
    cls = type(value)
    if value is None or cls in (bool, str, int, float):
        return value
    if cls is list:
        return [_to_json(v, parts, depth + 1, count) for v in value]
    if cls is tuple:
        return {"t": [_to_json(v, parts, depth + 1, count) for v in value]}
    if cls is dict:
        return {
            "d": [
                [_to_json(k, parts, depth + 1, count), _to_json(v, parts, depth + 1, count)]
                for k, v in value.items()
            ]
        }
    if cls is np.bool_:
        return {"n": "bool", "v": bool(value)}
    if (
        isinstance(value, np.generic)
        and cls.__name__ in _NUMPY_NUMBERS
        and cls is np.dtype(cls.__name__).type
    ):
        return {"n": cls.__name__, "v": value.item()}
    ts = _timestamp_iso(value)
    if ts is not None:
        return {"ts": ts}
    if parts is not None:
        if cls is pd.DataFrame:
            return {"table": parts.put(_arrow_bytes(value), "arrow")}
        if cls is pd.Series:
            n = parts.put(_arrow_bytes(value.to_frame("values")), "arrow")
            return {"series": n, "name": _to_json(value.name, parts, depth + 1, count)}
        if cls is np.ndarray and value.dtype.kind not in "OV":
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=False)
            return {"array": parts.put(buffer.getvalue(), "npy")}
        kind = _object_kind(value)
        if kind is not None:
            fields = _object_fields(kind, value)
            return {
                "obj": kind,
                "fields": {k: _to_json(v, parts, depth + 1, count) for k, v in fields.items()},
            }
    raise TypeError(_found(value))


def _timestamp_iso(value: Any) -> str | None:
    import datetime

    import pandas as pd

    cls = type(value)
    if cls is pd.Timestamp and value.tz is None:
        return value.isoformat()
    if cls in (datetime.datetime, datetime.date) and getattr(value, "tzinfo", None) is None:
        return pd.Timestamp(value).isoformat()
    return None


def _arrow_bytes(frame: Any) -> bytes:
    """A DataFrame as an Arrow IPC file; a categorical column index crosses as plain labels,
    with its categories in the schema's metadata (``clear.columns``)."""
    import pandas as pd
    import pyarrow as pa

    meta = None
    if isinstance(frame.columns, pd.CategoricalIndex):
        columns = frame.columns
        meta = json.dumps(
            {
                "categories": _to_json(list(columns.categories)),
                "ordered": bool(columns.ordered),
                "name": _to_json(columns.name),
            }
        ).encode("utf-8")
        frame = frame.set_axis(pd.Index(list(columns), dtype=object), axis=1)
    table = pa.Table.from_pandas(frame)
    if meta is not None:
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), b"clear.columns": meta}
        )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _kind_of(value: Any) -> str | None:
    """The kind a value can cross as (for function inputs and results), or None."""
    import numpy as np
    import pandas as pd

    cls = type(value)
    if cls in (bool, np.bool_):
        return "boolean"
    if cls in (int, float) or (isinstance(value, np.generic) and cls.__name__ in _NUMPY_NUMBERS):
        return "number"
    if cls is str:
        return "text"
    if cls in (list, tuple):
        return "list"
    if cls is dict:
        return "dict"
    if cls is pd.DataFrame:
        return "table"
    if cls is pd.Series:
        return "series"
    if cls is np.ndarray:
        return "array"
    if _timestamp_iso(value) is not None:
        return "timestamp"
    if _is_figure(value):
        return "figure"
    return _object_kind(value)


def _is_figure(value: Any) -> bool:
    import sys

    go = sys.modules.get("plotly.graph_objs")
    return go is not None and type(value) is go.Figure


#: Kinds that cross as one JSON file (with side files for tables inside them).
_JSON_KINDS = frozenset({"number", "boolean", "text", "list", "dict", "timestamp", *OBJECTS})


def save_value(value: Any, folder: Path, name: str, kind: str, optional: bool = False) -> None:
    """Write ``value`` as ``kind`` into ``folder`` (files ``name.*``); raise TypeError (with what
    was found) or ValueError (why it cannot be saved) otherwise."""
    import numpy as np
    import pandas as pd

    if value is None and optional:
        (folder / f"{name}.json").write_text(json.dumps({"kind": kind, "none": True}))
        return
    if kind in _JSON_KINDS:
        if _kind_of(value) != kind:
            raise TypeError(_found(value))
        parts = _Parts(folder, name) if kind in ("list", "dict", *OBJECTS) else None
        payload = {"kind": kind, "value": _to_json(value, parts)}
        _write_bytes(folder / f"{name}.json", json.dumps(payload).encode("utf-8"))
    elif kind == "table":
        if type(value) is not pd.DataFrame:
            raise TypeError(_found(value))
        _write_bytes(folder / f"{name}.arrow", _arrow_bytes(value))
    elif kind == "series":
        if type(value) is not pd.Series:
            raise TypeError(_found(value))
        meta = {"kind": kind, "name": _to_json(value.name)}
        _write_bytes(folder / f"{name}.arrow", _arrow_bytes(value.to_frame("values")))
        (folder / f"{name}.json").write_text(json.dumps(meta))
    elif kind == "array":
        if type(value) is not np.ndarray or value.dtype.kind in "OV":
            raise TypeError(
                _found(value) if type(value) is not np.ndarray else "an array of objects"
            )
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        _write_bytes(folder / f"{name}.npy", buffer.getvalue())
    elif kind == "figure":
        if not _is_figure(value):
            raise TypeError(_found(value))
        _write_bytes(folder / f"{name}.plotly.json", value.to_json().encode("utf-8"))
    else:
        raise TypeError(f"a kind the grader does not know ({kind})")


def export_answers(namespace: dict, folder: str, spec: list, tag: str) -> None:
    """Write each ``(name, kind, optional)`` of ``spec`` from ``namespace`` into ``folder``.

    Runs in the learner's kernel. A value that cannot be saved as its kind leaves a note
    (``name.error.json``) saying what was found instead; nothing is raised, so the learner's
    notebook output is unchanged.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, kind, optional in spec:
        try:
            if name not in namespace:
                raise NameError(f"`{name}` is not defined")
            value = namespace[name]
            if kind == "function":
                if value is None and optional:
                    (out / f"{name}.json").write_text(json.dumps({"kind": kind, "none": True}))
                    continue
                import types

                if type(value) is not types.FunctionType:
                    raise TypeError(_found(value))
                _FUNCTIONS[(tag, name)] = value
                (out / f"{name}.json").write_text(json.dumps({"kind": kind, "value": True}))
                continue
            save_value(value, out, name, kind, optional)
        except NameError as exc:
            _note(out, name, "missing", str(exc))
        except TypeError as exc:
            _note(out, name, "type", str(exc))
        except Exception as exc:  # the learner's object failed while being saved
            _note(out, name, "unsaveable", f"{type(exc).__name__}: {exc}"[:300])


def _note(folder: Path, name: str, problem: str, found: str) -> None:
    (folder / f"{name}.error.json").write_text(json.dumps({"problem": problem, "found": found}))


def serve_call(namespace: dict, tag: str, name: str, folder: str) -> None:
    """Run one call of a function answer (in the learner's kernel): read the inputs the trusted
    side wrote in ``folder``, call the function kept for ``(tag, name)``, write its result."""
    out = Path(folder)
    call = json.loads((out / "call.json").read_text())
    big = 16 * MAX_ANSWER_BYTES  # inputs come from the trusted side
    args = [load_value(out, f"a{i}", kind, big) for i, kind in enumerate(call["args"])]
    kwargs = {key: load_value(out, f"k_{key}", kind, big) for key, kind in call["kwargs"].items()}
    try:
        function = _FUNCTIONS[(tag, name)]
        result = function(*args, **kwargs)
    except BaseException as exc:  # the learner's function raised: its error crosses as text
        text = {"ename": type(exc).__name__[:80], "evalue": str(exc)[:2000]}
        (out / "raised.json").write_text(json.dumps(text))
        if isinstance(exc, KeyboardInterrupt):
            raise
        return
    kind = _kind_of(result)
    try:
        if result is None:
            kind = "none"
            (out / "result.json").write_text(json.dumps({"kind": "none", "value": None}))
        elif kind is None:
            raise TypeError(_found(result))
        else:
            save_value(result, out, "result", kind)
        (out / "kind.json").write_text(json.dumps({"kind": kind}))
    except (TypeError, ValueError) as exc:
        _note(out, "result", "type", str(exc))


# --- the loader (runs in the trusted process) ---------------------------------------------------
def pyarrow_is_safe(version: str) -> bool:
    """True if this pyarrow version has CVE-2023-47248 fixed (14.0.1 or later).

    Examples
    --------
    >>> pyarrow_is_safe("14.0.1"), pyarrow_is_safe("14.0.0"), pyarrow_is_safe("26.0.1")
    (True, False, True)
    """
    parts = [int(p) if p.isdigit() else 0 for p in re.split(r"[.+-]", version)[:3]]
    return tuple(parts + [0] * (3 - len(parts))) >= MIN_PYARROW


def _read(path: Path, limit: int = MAX_ANSWER_BYTES) -> bytes:
    """A regular file's bytes (no symbolic links, FIFOs or devices; at most ``limit``)."""
    import stat

    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("it is not a regular file")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        if info.st_size > limit:
            raise ValueError(
                f"it is {info.st_size / 1e6:.0f} MB once saved, more than the "
                f"{limit // (1024 * 1024)} MiB an answer may be"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ValueError("it is too large")
    return data


def _from_json(value: Any, parts: _Parts | None = None, depth: int = 0) -> Any:
    import numpy as np
    import pandas as pd

    if depth > MAX_DEPTH:
        raise ValueError("it is nested too deeply")
    cls = type(value)
    if value is None or cls in (bool, str, int, float):
        return value
    if cls is list:
        return [_from_json(v, parts, depth + 1) for v in value]
    keys = set(value) if cls is dict else set()
    if keys == {"t"} and type(value["t"]) is list:
        return tuple(_from_json(v, parts, depth + 1) for v in value["t"])
    if keys == {"d"} and type(value["d"]) is list:
        out = {}
        for pair in value["d"]:
            if type(pair) is not list or len(pair) != 2:
                raise ValueError("a dict entry is malformed")
            key = _from_json(pair[0], parts, depth + 1)
            if type(key) in (list, dict):
                raise ValueError("a dict key is not hashable")
            out[key] = _from_json(pair[1], parts, depth + 1)
        return out
    if keys == {"n", "v"}:
        dtype = value["n"]
        if dtype == "bool" and type(value["v"]) is bool:
            return np.bool_(value["v"])
        if dtype in _NUMPY_NUMBERS and type(value["v"]) in (int, float):
            return np.dtype(dtype).type(value["v"])
        raise ValueError("a number is malformed")
    if keys == {"ts"} and type(value["ts"]) is str:
        return pd.Timestamp(value["ts"][:64])
    if parts is not None and keys == {"table"}:
        return _arrow_frame(parts.path(value["table"], "arrow"), parts.limit)
    if parts is not None and keys == {"series", "name"}:
        frame = _arrow_frame(parts.path(value["series"], "arrow"), parts.limit)
        return _series(frame, _from_json(value["name"], None, depth + 1))
    if parts is not None and keys == {"array"}:
        return _array(parts.path(value["array"], "npy"), parts.limit)
    if (
        parts is not None
        and keys == {"obj", "fields"}
        and value["obj"] in OBJECTS
        and type(value["fields"]) is dict
    ):
        fields = {str(k): _from_json(v, parts, depth + 1) for k, v in value["fields"].items()}
        return _object_build(value["obj"], fields)
    raise ValueError("it holds something that is not data")


#: The typed arrays plotly's JSON may hold (``{"dtype": "f8", "bdata": base64, "shape": "2, 3"}``;
#: plotly 6 and later write numpy arrays so): plotly.js's typed-array codes, numbers only.
_TYPED_ARRAY_DTYPES = frozenset({"f8", "f4", "i1", "u1", "i2", "u2", "i4", "u4"})


def _typed_arrays(value: Any, depth: int = 0) -> Any:
    """``value`` (a figure's JSON) with each typed array decoded to a numpy array.

    A figure reloaded with its arrays still encoded has dicts where its data was (its bars'
    ``x``, a heatmap's ``z``), so a test would see ``{'dtype': 'f8', 'bdata': ...}``. The bytes
    are read as numbers of the declared type only (a numpy array, as the learner's figure held);
    anything else is refused.
    """
    import base64
    import binascii

    import numpy as np

    if depth > MAX_DEPTH:
        raise ValueError(f"it is nested more than {MAX_DEPTH} deep")
    if isinstance(value, list):
        return [_typed_arrays(v, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    if "bdata" in value and "dtype" in value and set(value) <= {"bdata", "dtype", "shape"}:
        dtype, shape = value["dtype"], value.get("shape")
        if dtype not in _TYPED_ARRAY_DTYPES or type(value["bdata"]) is not str:
            raise ValueError("it holds an array of a type plotly does not write")
        try:
            raw = base64.b64decode(value["bdata"], validate=True)
            array = np.frombuffer(raw, dtype=np.dtype(dtype)).copy()
            if shape is not None:
                dims = [int(d) for d in str(shape).split(",")] if type(shape) is str else shape
                array = array.reshape([int(d) for d in dims])
        except (binascii.Error, ValueError, TypeError) as error:
            raise ValueError(f"it holds a malformed array ({error})") from None
        return array
    return {k: _typed_arrays(v, depth + 1) for k, v in value.items()}


def _json(path: Path) -> Any:
    return json.loads(_read(path, MAX_JSON_BYTES).decode("utf-8"))


def _arrow_frame(path: Path, limit: int = MAX_ANSWER_BYTES) -> Any:
    import pandas as pd
    import pyarrow as pa

    if not pyarrow_is_safe(pa.__version__):
        raise ConfigError(
            f"pyarrow {pa.__version__} can run code hidden in a file it reads (CVE-2023-47248); "
            "the trusted grader needs pyarrow 14.0.1 or later: `pip install -U pyarrow`."
        )
    # pandas' Arrow types for periods and intervals (a Series by month crosses with its
    # PeriodIndex): registered when imported, and plain JSON metadata, never pickle
    import pandas.core.arrays.arrow.extension_types

    data = _read(path, limit)
    table = pa.ipc.open_file(pa.py_buffer(data)).read_all()
    meta = (table.schema.metadata or {}).get(b"clear.columns")
    frame = table.to_pandas()
    if type(frame) is not pd.DataFrame:
        raise TypeError(_found(frame))
    if meta is not None:
        info = json.loads(meta.decode("utf-8"))
        if type(info) is not dict or set(info) != {"categories", "ordered", "name"}:
            raise ValueError("its column labels are malformed")
        columns = pd.CategoricalIndex(
            list(frame.columns),
            categories=_from_json(info["categories"]),
            ordered=bool(info["ordered"]),
            name=_from_json(info["name"]),
        )
        frame = frame.set_axis(columns, axis=1)
    return frame


def _series(frame: Any, name: Any) -> Any:
    if list(frame.columns) != ["values"]:
        raise ValueError("its saved form is malformed")
    series = frame["values"]
    series.name = name
    return series


def _array(path: Path, limit: int = MAX_ANSWER_BYTES) -> Any:
    import numpy as np

    array = np.load(io.BytesIO(_read(path, limit)), allow_pickle=False)
    if type(array) is not np.ndarray or array.dtype.kind in "OV":
        raise TypeError(_found(array))
    return array


def load_value(folder: Path, name: str, kind: str, limit: int = MAX_ANSWER_BYTES) -> Any:
    """Read the value ``name`` saved as ``kind`` in ``folder`` (strict: exact types, no pickle,
    size limits). Raise ValueError or TypeError when the files are not what ``kind`` writes."""
    import numpy as np
    import pandas as pd

    folder = Path(folder)
    marker = folder / f"{name}.json"
    payload = _json(marker) if os.path.lexists(marker) else None
    if payload == {"kind": kind, "none": True}:
        return None
    if kind in _JSON_KINDS or kind in ("none", "function"):
        if payload is None:
            raise FileNotFoundError(marker)
        if type(payload) is not dict or payload.get("kind") != kind:
            raise ValueError("its saved form is malformed")
        parts = _Parts(folder, name, limit) if kind in ("list", "dict", *OBJECTS) else None
        value = _from_json(payload.get("value"), parts)
        if value is None or kind in ("none", "function"):
            return value
        if kind in OBJECTS:
            expected: tuple = (_object_class(kind, load=True),)
        else:
            expected = {
                "number": (int, float, *(np.dtype(t).type for t in _NUMPY_NUMBERS)),
                "boolean": (bool, np.bool_),
                "text": (str,),
                "list": (list, tuple),
                "dict": (dict,),
                "timestamp": (pd.Timestamp,),
            }[kind]
        if type(value) not in expected:
            raise TypeError(_found(value))
        return value
    if kind == "table":
        return _arrow_frame(folder / f"{name}.arrow", limit)
    if kind == "series":
        if type(payload) is not dict or payload.get("kind") != "series":
            raise ValueError("its saved form is malformed")
        frame = _arrow_frame(folder / f"{name}.arrow", limit)
        return _series(frame, _from_json(payload.get("name")))
    if kind == "array":
        return _array(folder / f"{name}.npy", limit)
    if kind == "figure":
        import plotly.graph_objects as go

        figure = json.loads(_read(folder / f"{name}.plotly.json", limit).decode("utf-8"))
        if type(figure) is not dict:
            raise ValueError("its saved form is malformed")
        return go.Figure(_typed_arrays(figure), skip_invalid=True)
    raise ValueError(f"the kind {kind!r} is not one the grader reads")


def load_answer(folder: str | os.PathLike, answer: Answer) -> Any:
    """The learner's value of ``answer``, read from the export ``folder`` of its test cell.

    Parameters
    ----------
    folder : path
        Where :func:`export_answers` wrote the cell's answers.
    answer : Answer
        The declaration (from the faculty text; never from the export).

    Returns
    -------
    object
        A value of an exact, plain type for the kind (a function answer returns True: the
        trusted side calls it through a proxy).

    Raises
    ------
    AnswerExportError
        With the plain feedback line: the answer is missing, of another type, or unreadable.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     export_answers({"n": 3.5, "s": "x"}, tmp, [("n", "number", False),
    ...                    ("s", "number", False)], "c1")
    ...     load_answer(tmp, Answer("n", "number"))
    ...     load_answer(tmp, Answer("s", "number"))
    Traceback (most recent call last):
    ...
    clearlib.course._answers.AnswerExportError: `s` must be a number; found an object of type `str`
    """
    folder = Path(folder)
    where = f"`{answer.name}`"
    error_path = folder / f"{answer.name}.error.json"
    if os.path.lexists(error_path) or not os.path.isdir(folder) or os.path.islink(folder):
        note = None
        if error_path.exists():
            try:
                note = _json(error_path)
            except (OSError, ValueError):
                note = None
        if type(note) is dict and note.get("problem") == "missing":
            raise AnswerExportError(f"{where} {NOT_DEFINED}, and keep its name as given")
        if type(note) is dict and note.get("problem") in ("type", "unsaveable"):
            found = re.sub(r"[^\w`.,:;()<> '\-\[\]]", "", str(note.get("found", "")))[:300]
            if note["problem"] == "type":
                raise AnswerExportError(f"{where} must be {answer.describe()}; found {found}")
            raise AnswerExportError(
                f"{where} could not be saved as {answer.describe()} for checking: {found}"
            )
        raise AnswerExportError(
            f"{where} could not be read from your notebook (the grader found no value for it: "
            "did a cell stop the kernel, or change how cells run?)"
        )
    try:
        value = load_value(folder, answer.name, answer.kind)
    except FileNotFoundError:
        raise AnswerExportError(
            f"{where} could not be read from your notebook: it is not {answer.describe()}"
        ) from None
    except TypeError as exc:
        raise AnswerExportError(f"{where} must be {answer.describe()}; found {exc}") from None
    except ConfigError:
        raise
    except Exception as exc:  # a malformed file: the learner's kernel wrote it
        raise AnswerExportError(
            f"{where} could not be read as {answer.describe()}: {str(exc)[:200]}"
        ) from None
    if value is None and not answer.optional:
        raise AnswerExportError(f"{where} must be {answer.describe()}; found None")
    return value
