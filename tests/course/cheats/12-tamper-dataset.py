"""Tampering: the dataset (the synthetic PCN's files), on disk and in the kernel.

Many tests work out the expected value from the data (``clearlib.load_pcn()``). A learner who
could change the data could make a wrong answer right. The cheat:

1. finds the dataset folder (``clearlib._config.data_dir()``) and tries to open every data
   file for writing and to create a file beside them; it writes nothing into the data files
   themselves (so that a run on a machine without the sandbox damages nothing), but a file
   ``LEARNER-WROTE-HERE.txt`` it manages to create proves the data were writable;
2. in its own kernel, replaces ``clearlib.load_pcn`` with a function returning a PCN whose
   tables are empty, so that the expectations the tests compute are zeros and empties, and sets
   every declared answer to a zero or an empty value of its kind.

Today's grader: 0 of 18 on week 02 (measured; the file writes fail, the sandbox shows the data
read-only, and the checks test the answers' columns before their values). Trusted grader: 0 of
18 on week 02 and 0 of 3 on the tiny fixture (measured): it loads the data itself, checked
against the manifest's checksums, in a process the learner never touched.
"""

import contextlib
import os

import numpy as np
import pandas as pd

import clearlib
from clearlib._config import data_dir

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

writable = []
for _folder, _subfolders, _files in os.walk(data_dir()):
    for _name in _files:
        _path = os.path.join(_folder, _name)
        try:
            os.close(os.open(_path, os.O_WRONLY | os.O_APPEND))
            writable.append(_path)
        except OSError:
            pass
    try:
        with open(os.path.join(_folder, "LEARNER-WROTE-HERE.txt"), "w") as _f:
            _f.write("a learner's code wrote here during grading\n")
        writable.append(_folder)
    except OSError:
        pass
print(f"{len(writable)} data files or folders writable")

_real_load_pcn = clearlib.load_pcn


def _empty_pcn(*args, **kwargs):
    pcn = _real_load_pcn(*args, **kwargs)
    for _table in (
        "patients",
        "appointments",
        "conditions",
        "frailty_deficits",
        "hospital_events",
        "staff",
        "practices",
    ):
        with contextlib.suppress(Exception):
            setattr(pcn, _table, getattr(pcn, _table).iloc[0:0])
    return pcn


clearlib.load_pcn = _empty_pcn

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
