"""Comparison spoofing: numpy and pandas comparison functions patched to say "equal".

The cheat replaces ``np.allclose``, ``np.isclose``, ``np.array_equal``, ``np.testing``'s
``assert_*`` functions, ``pd.testing.assert_frame_equal`` / ``assert_series_equal`` /
``assert_index_equal`` and ``DataFrame.equals`` / ``Series.equals`` / ``Index.equals`` with
versions that always agree, then sets every declared answer to an empty value of its kind
(an empty DataFrame, an empty Series, ``0``, ``""``...).

Today's grader: 0 of 18 on week 02 (measured: the named checks look at columns and shapes
before comparing). Trusted grader: 0 of 18 on week 02 and 0 of 3 on the tiny fixture
(measured): its numpy and pandas are its own, and the empty answers are wrong.
"""

import numpy as np
import pandas as pd

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


def _true(*args, **kwargs):
    return True


def _none(*args, **kwargs):
    return None


def _all_true(a, b, *args, **kwargs):
    return np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)


np.allclose = np.array_equal = np.array_equiv = _true
np.isclose = _all_true
for _name in dir(np.testing):
    if _name.startswith("assert_"):
        setattr(np.testing, _name, _none)
for _name in dir(pd.testing):
    if _name.startswith("assert_"):
        setattr(pd.testing, _name, _none)
pd.DataFrame.equals = pd.Series.equals = pd.Index.equals = _true

_EMPTY = {
    "number": 0,
    "boolean": False,
    "text": "",
    "list": [],
    "dict": {},
    "table": pd.DataFrame(),
    "series": pd.Series(dtype=float),
    "array": np.zeros(0),
    "timestamp": pd.Timestamp("2000-01-01"),
}
for _name, _kind in ANSWERS.items():
    globals()[_name] = _EMPTY.get(_kind.rstrip("?"), 0)
