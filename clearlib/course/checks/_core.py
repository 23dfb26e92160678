"""General checks: type and shape, order, missing values, numbers, and known mistakes."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "close_to",
    "has_index",
    "is_number",
    "is_table",
    "is_whole_number",
    "no_missing",
    "not_mistake",
    "same",
    "sorted_by",
    "within",
]


def _require(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition`` (an ``assert`` that ``python -O`` keeps)."""
    if not condition:
        raise AssertionError(message)


def _type_name(value: Any) -> str:
    return type(value).__name__


def is_table(
    value: Any,
    name: str,
    *,
    kind: str = "DataFrame",
    columns: Sequence[str] | None = None,
    rows: int | None = None,
    empty_hint: str = "check your filters and the spelling of the codes",
) -> None:
    """Check ``value`` is a pandas DataFrame (or Series) with these columns, not empty.

    Parameters
    ----------
    value : object
        The learner's answer.
    name : str
        Its variable name, for the message.
    kind : {"DataFrame", "Series"}
        What it should be.
    columns : sequence of str, optional
        Exactly these columns, in this order (DataFrames only).
    rows : int, optional
        Exactly this many rows (otherwise at least one).
    empty_hint : str
        What to check when it is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> is_table(pd.DataFrame({"a": [1]}), "t", columns=["a"])
    >>> is_table([1], "t")
    Traceback (most recent call last):
    AssertionError: t should be a pandas DataFrame; it is a list.
    >>> is_table(pd.DataFrame({"b": [1], "a": [2]}), "t", columns=["a", "b"])
    Traceback (most recent call last):
    AssertionError: Keep exactly these columns of t, in this order: ['a', 'b']; it has ['b', 'a'].
    """
    want = {"DataFrame": pd.DataFrame, "Series": pd.Series}[kind]
    _require(
        isinstance(value, want), (f"{name} should be a pandas {kind}; it is a {_type_name(value)}.")
    )
    if columns is not None and kind == "DataFrame":
        have = [str(c) for c in value.columns]
        _require(
            have == list(columns),
            (
                f"Keep exactly these columns of {name}, in this order: {list(columns)}; it has {have}."
            ),
        )
    if rows is not None:
        _require(len(value) == rows, f"{name} should have {rows} rows; it has {len(value)}.")
    else:
        _require(len(value) > 0, f"{name} is empty: {empty_hint}.")


def has_index(value: pd.Series | pd.DataFrame, name: str, labels: Sequence[Any]) -> None:
    """Check the index holds exactly these labels, in this order (compared as text).

    Examples
    --------
    >>> import pandas as pd
    >>> has_index(pd.Series([1, 2], index=["x", "y"]), "s", ["x", "y"])
    >>> has_index(pd.Series([1, 2], index=["y", "x"]), "s", ["x", "y"])
    Traceback (most recent call last):
    AssertionError: s should be indexed by ['x', 'y'], in that order; its index is ['y', 'x'].
    """
    have = [str(i) for i in value.index]
    want = [str(i) for i in labels]
    if have == want:
        return
    if sorted(have) == sorted(want):
        raise AssertionError(
            f"{name} should be indexed by {_short(want)}, in that order; its index is {_short(have)}."
        )
    missing = [w for w in want if w not in have]
    extra = [h for h in have if h not in want]
    raise AssertionError(
        f"{name} should be indexed by {_short(want)}: missing {_short(missing)}, "
        f"extra {_short(extra)}."
    )


def _short(items: Sequence[Any], limit: int = 8) -> str:
    items = list(items)
    if len(items) <= limit:
        return str(items)
    return f"[{', '.join(map(repr, items[:limit]))}, ... ({len(items)} in all)]"


def no_missing(value: Any, name: str, hint: str = "") -> None:
    """Check a Series or DataFrame has no missing values (NaN, None, NaT).

    Examples
    --------
    >>> import pandas as pd
    >>> no_missing(pd.Series([1.0, None], index=["a", "b"]), "rate", "divide Series that share an index")
    Traceback (most recent call last):
    AssertionError: rate has 1 missing value(s) (NaN), e.g. at ['b']: divide Series that share an index.
    """
    missing = value.isna()
    if isinstance(value, pd.DataFrame):
        missing = missing.any(axis=1)
    n = int(missing.sum())
    if n:
        where = [str(i) for i in value.index[missing.to_numpy()][:3]]
        raise AssertionError(
            f"{name} has {n} missing value(s) (NaN), e.g. at {where}"
            + (f": {hint}." if hint else ".")
        )


def sorted_by(
    table: pd.DataFrame, name: str, columns: Sequence[str], ascending: bool | Sequence[bool] = True
) -> None:
    """Check rows are sorted by ``columns``: by the first, then the second within ties, ...

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"start": [1, 1, 2], "id": [5, 3, 1]})
    >>> sorted_by(t.sort_values(["start", "id"]), "t", ["start", "id"])
    >>> sorted_by(t, "t", ["start", "id"])
    Traceback (most recent call last):
    AssertionError: Within the same start, sort t by id (smallest first): sort_values(['start', 'id']).
    """
    orders = [ascending] * len(columns) if isinstance(ascending, bool) else list(ascending)
    want = table.sort_values(list(columns), ascending=orders, kind="stable")
    if list(want.index) == list(table.index):
        return
    for depth, column in enumerate(columns):
        keys = list(columns[: depth + 1])
        done = table[keys].reset_index(drop=True)
        good = done.sort_values(keys, ascending=orders[: depth + 1], kind="stable")
        if not done.equals(good.reset_index(drop=True)):
            direction = "smallest first" if orders[depth] else "largest first"
            call = f"sort_values({list(columns)!r}" + (
                ")" if all(orders) else f", ascending={orders!r})"
            )
            if depth == 0:
                raise AssertionError(f"Sort {name} by {column} ({direction}): {call}.")
            raise AssertionError(
                f"Within the same {', '.join(columns[:depth])}, sort {name} by {column} "
                f"({direction}): {call}."
            )
    raise AssertionError(f"Sort {name} by {list(columns)} and keep its rows' index unchanged.")


def is_number(value: Any, name: str) -> None:
    """Check ``value`` is a single number (not a Series, a string or None).

    Examples
    --------
    >>> is_number(3.5, "mean_age")
    >>> is_number("3.5", "mean_age")
    Traceback (most recent call last):
    AssertionError: mean_age should be a single number; it is a str.
    """
    ok = isinstance(value, numbers.Number | np.number) and not isinstance(value, bool)
    _require(ok, f"{name} should be a single number; it is a {_type_name(value)}.")


def is_whole_number(value: Any, name: str) -> None:
    """Check ``value`` is a whole number (``int`` or a numpy integer), e.g. a count.

    Examples
    --------
    >>> is_whole_number(12, "n")
    >>> is_whole_number(12.0, "n")
    Traceback (most recent call last):
    AssertionError: n should be a whole number (a count); it is a float: use int(...) or len(...).
    """
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    _require(
        ok,
        (
            f"{name} should be a whole number (a count); it is a {_type_name(value)}: use int(...) or "
            "len(...)."
        ),
    )


def within(value: float, name: str, low: float, high: float, hint: str) -> None:
    """Check a number lies in a plausible range; the hint says what a value outside means.

    Examples
    --------
    >>> within(0.3, "share", 0, 1, "a share is between 0 and 1")
    >>> within(30, "share", 0, 1, "a share is between 0 and 1, not a percentage")
    Traceback (most recent call last):
    AssertionError: share is 30, outside 0 to 1: a share is between 0 and 1, not a percentage.
    """
    _require(low <= value <= high, f"{name} is {value:,.4g}, outside {low:,} to {high:,}: {hint}.")


def same(a: Any, b: Any, *, rel: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """True if two answers are the same: numbers within tolerance, Series on the same labels
    (compared as text) within tolerance, DataFrames equal in values, other objects ``==``.

    Examples
    --------
    >>> import pandas as pd
    >>> same(0.1 + 0.2, 0.3)
    True
    >>> same(pd.Series([1.0, 2.0], index=["a", "b"]), pd.Series([2.0, 1.0], index=["b", "a"]))
    True
    >>> same(pd.Series([1.0], index=["a"]), pd.Series([1.5], index=["a"]))
    False
    """
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        sa = pd.Series(a.to_numpy(), index=[str(i) for i in a.index])
        sb = pd.Series(b.to_numpy(), index=[str(i) for i in b.index])
        if sorted(sa.index) != sorted(sb.index):
            return False
        sb = sb.reindex(sa.index)
        try:
            x, y = sa.to_numpy(dtype=float), sb.to_numpy(dtype=float)
        except (TypeError, ValueError):
            return bool((sa.astype(str) == sb.astype(str)).all())
        return bool(np.allclose(x, y, rtol=rel, atol=abs_tol, equal_nan=True))
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        if a.shape != b.shape:
            return False
        return a.reset_index(drop=True).equals(b.reset_index(drop=True))
    if isinstance(a, pd.Series | pd.DataFrame) or isinstance(b, pd.Series | pd.DataFrame):
        return False
    if isinstance(a, numbers.Number | np.number) and isinstance(b, numbers.Number | np.number):
        if any(math.isnan(float(v)) for v in (a, b)):
            return False
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_tol)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def close_to(value: Any, expected: Any, message: str, *, rel: float = 1e-6) -> None:
    """Check an answer equals ``expected`` (see :func:`same`); fail with ``message``.

    Examples
    --------
    >>> close_to(2.0000001, 2, "n should be 2")
    >>> close_to(3, 2, "Count each appointment once.")
    Traceback (most recent call last):
    AssertionError: Count each appointment once.
    """
    _require(same(value, expected, rel=rel), message)


def not_mistake(value: Any, mistaken: Any, message: str, *, rel: float = 1e-6) -> None:
    """Fail with ``message`` if the answer equals what a known mistake gives.

    ``mistaken`` is the answer recomputed the wrong way (e.g. dividing by everyone ever
    registered instead of the listed patients); the message names the mistake and the fix.
    It does not give the right answer away.

    Examples
    --------
    >>> not_mistake(120.0, 80.0, "You divided by everyone ever registered.")
    >>> not_mistake(80.0, 80.0, "You divided by everyone ever registered.")
    Traceback (most recent call last):
    AssertionError: You divided by everyone ever registered.
    """
    _require(not same(value, mistaken, rel=rel), message)
