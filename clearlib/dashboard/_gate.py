"""The gate at the publish edge: may this run be shown to sponsors?

A run's public outputs are checked again, whatever the workbook did before writing them:

- every table in ``aggregates/`` goes through :func:`clearlib.privacy.check_publishable`;
- every figure in ``figures/``: each trace's ``x``, ``y``, ``z``, ``values``, ``text``,
  ``hovertext`` and ``customdata`` are read from the figure's JSON (plotly's base64 arrays
  included) and checked the same way. Numbers are taken as counts unless their axis or trace
  is named for something else (hours, WTE, cost, a rate, a week or a date);
- every number in ``summary.json`` whose key names a count (``cohort_size``, ``count``,
  ``n``, ``patients``, ``remaining``, ``removed`` ...), every text that looks like a patient
  identifier, and every sentence that gives a small number of people.

The report names the file, the trace or key, and the cells (row or point numbers), never the
values: the report itself may be read by someone who must not see them.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError
from clearlib.privacy import SUPPRESSION_MARKERS, Policy, check_number, check_publishable, policy

__all__ = ["RunCheck", "check_run", "load_summary", "run_policy"]

PROBLEM_COLUMNS = ("where", "check", "what", "cells", "advice")

#: Keys of summary.json whose numbers are counts of people (or of events about people).
_COUNT_KEYS = frozenset(
    {
        "count",
        "counts",
        "n",
        "patients",
        "people",
        "persons",
        "remaining",
        "removed",
        "excluded",
        "included",
        "admissions",
        "appointments",
        "deaths",
        "cohort",
        "list_size",
        "registered",
    }
)
_COUNT_SUFFIXES = ("_size", "_count", "_n", "_patients", "_people", "_admissions", "_deaths")
_COUNT_PREFIXES = ("n_", "count_", "number_of_")

#: Words that say a number is not a count of people: a unit, a money value, a rate or a label.
_NOT_COUNT_WORDS = frozenset(
    {
        "wte",
        "fte",
        "equivalent",
        "equivalents",
        "hours",
        "hour",
        "minutes",
        "minute",
        "mins",
        "cost",
        "costs",
        "pay",
        "price",
        "allocation",
        "budget",
        "gbp",
        "£",
        "rate",
        "share",
        "percent",
        "percentage",
        "%",
        "proportion",
        "ratio",
        "per",
        "score",
        "risk",
        "probability",
        "week",
        "weeks",
        "month",
        "year",
        "date",
        "day",
        "days",
        "months",
        "years",
        "period",
        "decile",
        "quintile",
        "age",
        "band",
        "limit",
        "mean",
        "average",
        "centre",
        "centerline",
        "process",
        "upper",
        "lower",
        "target",
        "index",
    }
)
_TRACE_KEYS = ("x", "y", "z", "values", "text", "hovertext", "customdata")
#: What a trace key is called in reports and checks (``text`` would read as free text).
_KEY_LABELS = {
    "x": "x values",
    "y": "y values",
    "z": "z values",
    "values": "values",
    "text": "labels",
    "hovertext": "hover labels",
    "customdata": "custom data",
}
_ID_VALUE = re.compile(r"\b(SYN-P\d{4,}|SYN-[AHS]\d{6,}|PSN-[0-9a-f]{8,}|\d{3} ?\d{3} ?\d{4})\b")
_PEOPLE_WORDS = r"(patients?|people|persons?|residents?|men|women|children|adults|deaths?)"
_SMALL_IN_TEXT = re.compile(rf"(?<![\d.,£])(\d+)\s+(?:\w+\s+){{0,2}}?{_PEOPLE_WORDS}\b", re.I)
_BDATA_DTYPES = {
    "i1": "<i1",
    "u1": "<u1",
    "i2": "<i2",
    "u2": "<u2",
    "i4": "<i4",
    "u4": "<u4",
    "f4": "<f4",
    "f8": "<f8",
    "u1c": "<u1",
}


def _words(text: Any) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9£%]+", str(text).lower()) if w}


def run_policy(summary: dict[str, Any]) -> Policy:
    """The disclosure policy a run was made under (``summary["policy"]["name"]``).

    A summary that names no policy was made under clearlib's default, ``hide-1-4``.

    Examples
    --------
    >>> run_policy({"policy": {"name": "nhs-hide-1-7-round-5"}}).threshold
    7
    >>> run_policy({}).name
    'hide-1-4'
    """
    block = summary.get("policy") or {}
    name = block.get("name") if isinstance(block, dict) else block
    try:
        return policy(str(name)) if name else policy()
    except ConfigError as exc:
        raise DataError(
            f"The run names the disclosure policy {name!r}, which clearlib does not know "
            f"({exc}). Run the workbook again with disclosure_policy set to a known policy."
        ) from None


def load_summary(run_folder: str | Path) -> dict[str, Any]:
    """Read a run's ``summary.json``, checking that it is a run folder of schema version 1.

    Parameters
    ----------
    run_folder : str or Path
        The run folder (``runs/<run-id>``) written by ``clearlib project run``.

    Returns
    -------
    dict
        The summary, as written.

    Raises
    ------
    clearlib.DataError
        If the folder, or its summary.json, is missing or unreadable, or the run failed.
    """
    run = Path(run_folder)
    path = run / "summary.json"
    if not run.is_dir():
        raise DataError(
            f"No run folder at {run}. Expected a folder written by clearlib project run "
            "(runs/<run-id>) holding summary.json; check the path."
        )
    if not path.is_file():
        manifest = run / "manifest.json"
        status = ""
        if manifest.is_file():
            try:
                status = str(json.loads(manifest.read_text(encoding="utf-8")).get("status", ""))
            except (OSError, ValueError):
                status = ""
        why = (
            " The run failed: read its notebook.ipynb for the cell that stopped."
            if (status == "failed")
            else ""
        )
        raise DataError(
            f"{run} has no summary.json, so it is not a finished run.{why} Expected the "
            "folder of a completed run from clearlib project run."
        )
    try:
        summary = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{path} cannot be read as JSON ({type(exc).__name__}). Run the workbook again to "
            "rewrite it."
        ) from None
    if not isinstance(summary, dict) or summary.get("schema_version") != 1:
        found = summary.get("schema_version") if isinstance(summary, dict) else type(summary)
        raise DataError(
            f"{path} has schema_version {found!r}; this clearlib reads schema_version 1. "
            "Run the workbook again with this clearlib."
        )
    return summary


@dataclass(frozen=True, repr=False)
class RunCheck:
    """The verdict of the publish gate on one run.

    Attributes
    ----------
    run : Path
        The run folder checked.
    policy : Policy
        The disclosure policy the run was checked under (named in its summary.json).
    problems : pandas.DataFrame
        One row per problem: ``where`` (file, and trace or key), ``check`` (``small_count``,
        ``identifier``, ``free_text`` or ``unreadable``), ``what``, ``cells`` (row or point
        numbers, never values) and ``advice``.
    checked : tuple of str
        Every table, figure and summary file checked.
    """

    run: Path
    policy: Policy
    problems: pd.DataFrame
    checked: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True if the run may be served or exported."""
        return self.problems.empty

    def summary(self) -> str:
        """The verdict in plain words: what was checked, and every problem and where it is."""
        if self.ok:
            return (
                f"PUBLISHABLE: {len(self.checked)} files of {self.run.name} checked under the "
                f"{self.policy.name} policy: no count it hides ({self.policy.hidden_range}), no "
                "patient-level identifier and no free text."
            )
        n = len(self.problems)
        lines = [
            f"BLOCKED: {self.run.name} cannot be shown to sponsors: {n} problem"
            f"{'s' if n != 1 else ''} under the {self.policy.name} policy: "
            f"{self.policy.describe()}"
        ]
        for i, p in enumerate(self.problems.itertuples(index=False), 1):
            cells = f" ({p.cells})" if p.cells else ""
            lines.append(f"{i}. {p.where}{cells}: {p.what}.")
            lines.append(f"   What to do: {p.advice}")
        return "\n".join(lines)

    def raise_if_blocked(self) -> Self:
        """Raise :class:`clearlib.DataError` with the summary if the run may not be shown."""
        if not self.ok:
            raise DataError(self.summary())
        return self

    def __repr__(self) -> str:
        return f"<RunCheck {self.summary().splitlines()[0]}>"


def _advice(check: str) -> str:
    if check == "small_count":
        return (
            "Suppress small numbers in the workbook (clearlib.privacy.suppress) before the "
            "table, figure or summary is written, then run it again."
        )
    if check == "identifier":
        return "Remove patient-level identifiers: a run publishes aggregates only."
    if check == "free_text":
        return "Remove free text from records; count coded categories instead."
    return "Run the workbook again to rewrite the file."


def _problem(where: str, check: str, what: str, cells: str = "") -> dict[str, str]:
    return {"where": where, "check": check, "what": what, "cells": cells, "advice": _advice(check)}


def _from_publish_check(where: str, frame: pd.DataFrame, **kwargs: Any) -> list[dict[str, str]]:
    """Problems that check_publishable finds in a frame, located by ``where``."""
    result = check_publishable(frame, name=where, **kwargs)
    out = []
    for p in result.problems.itertuples(index=False):
        rows = "" if p.rows in ("", "all") else f"rows {p.rows}"
        if p.rows == "all":
            rows = "every row"
        out.append(
            {
                "where": f"{where}, column {p.column}",
                "check": p.check,
                "what": p.what,
                "cells": rows,
                "advice": _advice(p.check),
            }
        )
    return out


# Tables -------------------------------------------------------------------------------------


def _check_table(run: Path, path: Path, rule: Policy) -> list[dict[str, str]]:
    where = path.relative_to(run).as_posix()
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=True)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return [_problem(where, "unreadable", f"the table cannot be read ({type(exc).__name__})")]
    try:
        # check_publishable takes every column of whole numbers as counts; a column named for
        # hours, WTE or money is not one, whatever its values.
        found = check_publishable(frame, policy=rule).count_cols
        counts = [c for c in found if not (_words(c) & _NOT_COUNT_WORDS)]
        return _from_publish_check(where, frame, count_cols=counts, policy=rule)
    except DataError as exc:  # a column check_publishable cannot judge
        return [_problem(where, "unreadable", str(exc).rstrip("."))]


# Figures ------------------------------------------------------------------------------------


def _decode(value: Any) -> list[Any] | None:
    """A trace attribute as a flat list, decoding plotly's base64 typed arrays; None if absent."""
    if value is None:
        return None
    if isinstance(value, dict) and "bdata" in value:
        dtype = _BDATA_DTYPES.get(str(value.get("dtype", "f8")), "<f8")
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype)
        return [v.item() for v in array.ravel()]
    if isinstance(value, list | tuple):
        flat: list[Any] = []
        for v in value:
            inner = _decode(v) if isinstance(v, list | tuple | dict) else [v]
            flat.extend(inner or [])
        return flat
    if isinstance(value, str | int | float):
        return [value]
    return None


def _axis_title(layout: dict[str, Any], axis: str) -> str:
    spec = layout.get(axis, {}) if isinstance(layout, dict) else {}
    title = spec.get("title", "") if isinstance(spec, dict) else ""
    if isinstance(title, dict):
        title = title.get("text", "")
    return str(title or "")


def _value_context(trace: dict[str, Any], layout: dict[str, Any], key: str) -> str:
    """Words naming what a trace attribute measures: its axis title and the trace's name."""
    horizontal = trace.get("orientation") == "h"
    axis_of = {"x": "xaxis", "y": "yaxis"}
    parts = [str(trace.get("name", "") or "")]
    if key in axis_of:
        ref = str(trace.get(f"{key}axis", key))  # "x2" -> "xaxis2"
        parts.append(_axis_title(layout, axis_of[key] + ref[1:]))
    elif key in ("text", "hovertext"):
        value_axis = "x" if horizontal else "y"
        ref = str(trace.get(f"{value_axis}axis", value_axis))
        parts.append(_axis_title(layout, axis_of[value_axis] + ref[1:]))
    elif key == "z":
        colorbar = trace.get("colorbar", {})
        if isinstance(colorbar, dict):
            title = colorbar.get("title", "")
            parts.append(title.get("text", "") if isinstance(title, dict) else str(title or ""))
    hover = trace.get("hovertemplate")
    if isinstance(hover, str):
        parts.append(hover)
    return " ".join(parts)


def _whole_numbers(values: list[Any]) -> bool:
    """True if every value is a whole number, a numeric string, a marker or missing."""
    seen = False
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, bool):
            return False
        if isinstance(v, str):
            text = v.strip().replace(",", "")
            if text in SUPPRESSION_MARKERS or text == "":
                continue
            try:
                v = float(text)
            except ValueError:
                return False
        if not isinstance(v, int | float) or not float(v).is_integer():
            return False
        seen = True
    return seen


def _category_axis(trace: dict[str, Any], key: str) -> bool:
    """True for the axis that holds categories or times in a bar, box or line trace."""
    horizontal = trace.get("orientation") == "h"
    return (key == "x" and not horizontal) or (key == "y" and horizontal)


def _trace_label(i: int, trace: dict[str, Any]) -> str:
    name = trace.get("name")
    return f"trace {i + 1}" + (f" ({name})" if name else "")


def _check_figure(run: Path, path: Path, rule: Policy) -> list[dict[str, str]]:
    where = path.relative_to(run).as_posix()
    try:
        figure = json.loads(path.read_text(encoding="utf-8"))
        traces = figure.get("data", [])
        layout = figure.get("layout", {}) or {}
        if not isinstance(traces, list):
            raise ValueError("data is not a list")
    except (OSError, ValueError, AttributeError) as exc:
        return [_problem(where, "unreadable", f"the figure cannot be read as plotly JSON ({exc})")]
    problems: list[dict[str, str]] = []
    for i, trace in enumerate(traces):
        if not isinstance(trace, dict):
            continue
        for key in _TRACE_KEYS:
            values = _decode(trace.get(key))
            if not values:
                continue
            label = _KEY_LABELS[key]
            column = pd.Series(values, dtype="object", name=label)
            context = _words(_value_context(trace, layout, key))
            is_count = (
                _whole_numbers(values)
                and not (context & _NOT_COUNT_WORDS)
                and not (_category_axis(trace, key) and trace.get("type", "scatter") != "histogram")
            )
            frame = column.to_frame()
            if is_count:
                frame[label] = pd.to_numeric(
                    column.map(
                        lambda v: (
                            None
                            if v is None
                            or (isinstance(v, str) and v.strip() in SUPPRESSION_MARKERS)
                            else str(v).replace(",", "")
                        )
                    ),
                    errors="coerce",
                ).abs()  # a waterfall's steps down are negative counts
            found = _from_publish_check(
                f"{where}, {_trace_label(i, trace)}",
                frame,
                count_cols=[label] if is_count else [],
                policy=rule,
            )
            for p in found:
                p["where"] = p["where"].replace(f", column {label}", f", {label}")
                p["cells"] = (
                    p["cells"].replace("rows", "points").replace("every row", "every point")
                )
            problems.extend(found)
            if key in ("text", "hovertext") and not is_count:
                small = [
                    n + 1
                    for n, v in enumerate(values)
                    if isinstance(v, str)
                    and any(rule.hides(int(m.group(1))) for m in _SMALL_IN_TEXT.finditer(v))
                ]
                if small:
                    problems.append(
                        _problem(
                            f"{where}, {_trace_label(i, trace)}, {label}",
                            "small_count",
                            f"labels give a number of people the policy hides "
                            f"({rule.hidden_range})",
                            "points " + ", ".join(map(str, small[:5])),
                        )
                    )
    return problems


# summary.json -------------------------------------------------------------------------------


def _is_count_key(key: str) -> bool:
    k = key.lower()
    if _words(k) & _NOT_COUNT_WORDS and k not in _COUNT_KEYS:
        return False
    return k in _COUNT_KEYS or k.endswith(_COUNT_SUFFIXES) or k.startswith(_COUNT_PREFIXES)


def _leaves(value: Any, path: str, key: str) -> Iterator[tuple[str, str, Any]]:
    """(path, nearest key, value) of every leaf of a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else str(k), str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]", key)
    else:
        yield path, key, value


def _check_summary(summary: dict[str, Any], rule: Policy) -> list[dict[str, str]]:
    problems = []
    for path, key, value in _leaves(summary, "", ""):
        where = f"summary.json, {path}"
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            count = abs(value)
            if _is_count_key(key) and float(count).is_integer():
                verdict = check_number(count, name=path, policy=rule)
                problems.extend(
                    _problem(where, p.check, p.what) for p in verdict.problems.itertuples()
                )
            continue
        if not isinstance(value, str):
            continue
        if _ID_VALUE.search(value):
            problems.append(
                _problem(where, "identifier", "text holding a patient-level identifier")
            )
            continue
        for match in _SMALL_IN_TEXT.finditer(value):
            if rule.hides(int(match.group(1))):
                problems.append(
                    _problem(
                        where,
                        "small_count",
                        "a sentence gives a number of people the policy hides "
                        f"({rule.hidden_range})",
                    )
                )
                break
    return problems


def check_run(run_folder: str | Path) -> RunCheck:
    """Check every public output of a run before it is served or exported.

    Parameters
    ----------
    run_folder : str or Path
        A run folder (``runs/<run-id>``) holding ``summary.json``, ``aggregates/*.csv`` and
        ``figures/*.json``.

    Returns
    -------
    RunCheck
        ``.ok``, ``.problems`` (where, check, what, cells, advice: never the values),
        ``.summary()`` and ``.raise_if_blocked()``.

    Raises
    ------
    clearlib.DataError
        If the folder is not a finished run (no readable summary.json of schema version 1),
        or names a disclosure policy clearlib does not know.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> (run / "aggregates").mkdir()
    >>> _ = (run / "aggregates" / "by_practice.csv").write_text(
    ...     "practice_code,patients\\nSYN-G001,120\\nSYN-G002,3\\n")
    >>> summary = {"schema_version": 1, "policy": {"name": "hide-1-4"},
    ...            "headline": {"cohort_size": 123}}
    >>> _ = (run / "summary.json").write_text(json.dumps(summary))
    >>> report = check_run(run)
    >>> report.ok
    False
    >>> list(report.problems["where"])
    ['aggregates/by_practice.csv, column patients']
    >>> list(report.problems["cells"])
    ['rows 2']
    """
    run = Path(run_folder)
    summary = load_summary(run)
    rule = run_policy(summary)
    problems = _check_summary(summary, rule)
    checked = ["summary.json"]
    for path in sorted((run / "aggregates").glob("*.csv")):
        checked.append(path.relative_to(run).as_posix())
        problems.extend(_check_table(run, path, rule))
    for path in sorted((run / "figures").glob("*.json")):
        checked.append(path.relative_to(run).as_posix())
        problems.extend(_check_figure(run, path, rule))
    for kind, listing in (("tables", "aggregates"), ("figures", "figures")):
        named = summary.get(kind) or {}
        for name, rel in named.items() if isinstance(named, dict) else []:
            if not (run / str(rel)).is_file():
                problems.append(
                    _problem(
                        f"summary.json, {kind}.{name}",
                        "unreadable",
                        f"names {rel}, which is not in the run's {listing} folder",
                    )
                )
    return RunCheck(
        run=run,
        policy=rule,
        problems=pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS)),
        checked=tuple(checked),
    )
