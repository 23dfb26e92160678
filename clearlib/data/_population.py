"""Who is on the list, and how old: the small rules every analysis of a PCN needs."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["age_at", "age_band", "registered_at"]


def registered_at(patients: pd.DataFrame, when: str | pd.Timestamp) -> pd.Series:
    """True for each patient registered, alive and born on the given date (the practice list).

    ``patients`` holds everyone *ever* registered in the two years; the list on a date
    leaves out people not yet registered, who had died or who had moved away by then.

    Examples
    --------
    >>> p = pd.DataFrame({
    ...     "birth_date": pd.to_datetime(["1950-01-01", "1980-05-05", "2000-02-02"]),
    ...     "registered_on": pd.to_datetime(["2001-01-01", "2025-06-01", "2010-01-01"]),
    ...     "died_on": pd.to_datetime([None, None, "2025-01-01"]),
    ...     "deregistered_on": pd.to_datetime([None, None, None]),
    ... })
    >>> registered_at(p, "2025-04-01").tolist()
    [True, False, False]
    """
    when = pd.Timestamp(when)
    return (
        (patients["registered_on"] <= when)
        & ~(patients["died_on"] <= when)
        & ~(patients["deregistered_on"] <= when)
        & (patients["birth_date"] <= when)
    )


def age_at(patients: pd.DataFrame, when: str | pd.Timestamp) -> pd.Series:
    """Age in whole years on the given date.

    Examples
    --------
    >>> p = pd.DataFrame({"birth_date": pd.to_datetime(["1950-04-02", "1950-04-01"])})
    >>> age_at(p, "2025-04-01").tolist()
    [74, 75]
    """
    when = pd.Timestamp(when)
    born = patients["birth_date"]
    had_birthday = (born.dt.month < when.month) | (
        (born.dt.month == when.month) & (born.dt.day <= when.day)
    )
    return (when.year - born.dt.year - (~had_birthday).astype(int)).astype("Int64")


def age_band(age: pd.Series, width: int = 5, top: int = 90) -> pd.Series:
    """Ordered age bands (``0-4``, ``5-9``, ..., ``90+``) from ages in whole years.

    Examples
    --------
    >>> age_band(pd.Series([0, 4, 5, 89, 90, 101])).astype(str).tolist()
    ['0-4', '0-4', '5-9', '85-89', '90+', '90+']
    """
    edges = list(range(0, top + width, width))
    labels = [f"{lo}-{lo + width - 1}" for lo in edges[:-1]] + [f"{top}+"]
    clipped = np.minimum(age.astype(float), top)
    return pd.cut(clipped, [*edges, np.inf], right=False, labels=labels)
