"""Tampering: the reference tables (the CSVs of ``clearlib.reference``).

Weeks 09 to 11 compute expectations from clearlib's reference tables (task minutes, the
competency matrix, working time, pay bands, ARRS). The cheat:

1. tries to open every reference CSV for writing and to create a file in their folder (it
   writes nothing into the CSVs, so that a run without the sandbox damages nothing);
2. in its own kernel, replaces each reference table function (``reference.tasks()``...) with
   one returning the table with every number set to 0, and sets every declared answer to zero
   or an empty value of its kind.

Today's grader: 0 of 18 on week 02 (measured; the file writes fail, read-only). Trusted grader:
0 of 18 on week 02 and 0 of 3 on the tiny fixture (measured).
"""

import os

import numpy as np
import pandas as pd

import clearlib.reference as reference

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_folder = os.path.dirname(reference.__file__)
writable = []
for _name in os.listdir(_folder):
    if _name.endswith(".csv"):
        try:
            os.close(os.open(os.path.join(_folder, _name), os.O_WRONLY | os.O_APPEND))
            writable.append(_name)
        except OSError:
            pass
try:
    with open(os.path.join(_folder, "LEARNER-WROTE-HERE.txt"), "w") as _f:
        _f.write("a learner's code wrote here during grading\n")
    writable.append(_folder)
except OSError:
    pass
print(f"{len(writable)} reference files or folders writable")


def _zeroed(function):
    def zeroed(*args, **kwargs):
        table = function(*args, **kwargs)
        if not isinstance(table, pd.DataFrame):
            return table
        table = table.copy()
        for column in table.select_dtypes("number").columns:
            table[column] = 0
        return table

    return zeroed


for _name in reference.__all__:
    _function = getattr(reference, _name)
    if callable(_function):
        setattr(reference, _name, _zeroed(_function))

_EMPTY = {
    "number": 0,
    "boolean": False,
    "text": "",
    "list": [],
    "dict": {},
    "table": pd.DataFrame(),
    "series": pd.Series(dtype=float),
    "array": np.zeros(0),
}
for _name, _kind in ANSWERS.items():
    globals()[_name] = _EMPTY.get(_kind.rstrip("?"), 0)
