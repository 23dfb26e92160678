"""Week 12's checks (from notebook to sponsor): the usual mistakes of a parameters cell and of
the Papermill runs, by name.

The defaults a parameters cell must hold and the runs the sponsor asks for are given in the
questions, so checking them gives nothing away; whether the published table and the XmR numbers
are right stays with the hidden tests in the notebook.

Examples
--------
>>> from clearlib.course.checks import week12
>>> week12.parameters_cell('practice_code = "SYN-G001"  # the practice', ["SYN-G001"])
>>> week12.parameters_cell('output_dir = f"runs/{practice_code}"  # where', ["SYN-G001"])
Traceback (most recent call last):
AssertionError: The parameters cell should hold plain values only. These lines compute, import or read something: ["output_dir = f'runs/{practice_code}'"]. Papermill puts its new values in a cell AFTER this one, so a value worked out here from another parameter keeps the default's value; do the working in the cells below.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

import pandas as pd

from clearlib.course.checks._core import _require

__all__ = ["parameters_cell", "runs_table", "shift_function"]

#: The defaults the question's table gives (practice_code: any practice).
DEFAULTS = {"as_at": "2026-03-31", "older_age": 65, "output_dir": "."}


def parameters_cell(text: Any, practices: Sequence[str]) -> None:
    """Check a parameters cell holds plain values (no calculation, import or data), with the
    defaults the question gives, each of the right type.

    Only ``name = constant`` lines count as plain: an assignment to anything but a name (an
    attribute or item of an expression, e.g. ``__import__("os").system(...).x = 1``) runs code.

    Parameters
    ----------
    text : str
        The learner's ``parameters_cell``.
    practices : sequence of str
        The practice codes ``practice_code`` may default to.
    """
    _require(
        isinstance(text, str),
        "parameters_cell should be the text of the cell (a string in quotes); it is a "
        f"{type(text).__name__}.",
    )
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise AssertionError(
            f"parameters_cell is not valid Python (line {error.lineno}): {error.msg}."
        ) from None
    computed = [
        ast.unparse(s)
        for s in tree.body
        if not (
            isinstance(s, ast.Assign)
            and isinstance(s.value, ast.Constant)
            and all(isinstance(t, ast.Name) for t in s.targets)
        )
    ]
    _require(
        not computed,
        "The parameters cell should hold plain values only. These lines compute, import or read "
        f"something: {computed}. Papermill puts its new values in a cell AFTER this one, so a "
        "value worked out here from another parameter keeps the default's value; do the working "
        "in the cells below.",
    )
    values = {
        t.id: s.value.value
        for s in tree.body
        if isinstance(s, ast.Assign)
        for t in s.targets
        if isinstance(t, ast.Name)
    }
    if "practice_code" in values:
        _require(
            values["practice_code"] in practices,
            f"practice_code's default should be one of the practices {list(practices)}; it is "
            f"{values['practice_code']!r}.",
        )
    if "older_age" in values:
        _require(
            type(values["older_age"]) is int,
            "older_age should be a whole number with no quotes (ages are compared as numbers); it "
            f"is {values['older_age']!r}.",
        )
    for name, want in DEFAULTS.items():
        if name in values:
            _require(
                values[name] == want,
                f"{name} should default to {want!r} (the question's table); it is "
                f"{values[name]!r}.",
            )


def runs_table(table: Any, as_at: str = "2025-03-31", older_age: int = 75) -> None:
    """Check each run in ``runs_table`` used the date and age the sponsor asked for.

    Examples
    --------
    >>> import pandas as pd
    >>> runs_table(pd.DataFrame({"practice_code": ["A"], "as_at": ["2026-03-31"], "older_age": [65]}))
    Traceback (most recent call last):
    AssertionError: The run for A counts people aged 65+ on 2026-03-31: the sponsor asked for 75+ on 31 March 2025. Pass as_at and older_age in parameters (the workbook's defaults are not what was asked).
    """
    _require(isinstance(table, pd.DataFrame), "runs_table should be a DataFrame.")
    rows = table.reset_index() if "practice_code" not in table.columns else table
    for row in rows.to_dict("records"):
        got = (str(row.get("as_at")), row.get("older_age"))
        _require(
            got == (as_at, older_age),
            f"The run for {row.get('practice_code')} counts people aged {got[1]}+ on {got[0]}: "
            f"the sponsor asked for {older_age}+ on "
            f"{pd.Timestamp(as_at):%-d %B %Y}. Pass as_at and older_age in parameters (the "
            "workbook's defaults are not what was asked).",
        )


def shift_function(flag_shift: Any) -> None:
    """Check ``flag_shift`` on a small series worked by hand: 7 weeks below the mean then 7
    above are two shifts, so every week is flagged, each as True or False.

    Examples
    --------
    >>> import pandas as pd
    >>> shift_function(lambda values: (values - values.mean()).abs() > 0)
    >>> shift_function(lambda values: values > values.mean())
    Traceback (most recent call last):
    AssertionError: On 7 weeks below the mean then 7 above (two shifts), flag_shift flags weeks [7, 8, 9, 10, 11, 12, 13]; it should flag all 14: every week of a run of 7 or more on either side of the mean, from its first week.
    """
    _require(callable(flag_shift), "flag_shift should be a function: def flag_shift(values): ...")
    toy = pd.Series([1.0] * 7 + [9.0] * 7)
    got = flag_shift(toy)
    _require(
        isinstance(got, pd.Series) and got.index.equals(toy.index),
        "flag_shift should return a pandas Series indexed like the values it is given.",
    )
    _require(
        got.dtype == bool,
        f"flag_shift should return True/False for each week; its type is {got.dtype}.",
    )
    flagged = got.to_numpy().nonzero()[0].tolist()
    _require(
        len(flagged) == len(toy),
        f"On 7 weeks below the mean then 7 above (two shifts), flag_shift flags weeks {flagged}; "
        "it should flag all 14: every week of a run of 7 or more on either side of the mean, "
        "from its first week.",
    )
