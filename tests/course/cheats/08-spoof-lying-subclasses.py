"""Comparison spoofing: subclasses of float, str, list, dict, DataFrame, Series and ndarray that lie.

They pass isinstance checks and lie when compared.

Each declared answer is set, by its declared kind, to an instance of a subclass of the right
type whose ``==`` (and ``equals``, ``isclose``-style comparisons through ``__eq__``) always
says equal: ``isinstance(answer, pd.DataFrame)`` is True and ``answer == expected`` is True
everywhere, while the data inside are empty or zero.

Today's grader: 0 of 18 on week 02 (measured: the named checks look at the columns and values,
not only ``==``), but tests written as isinstance plus ``==`` would pass. Trusted grader: 0 of
18 on week 02 and 0 of 3 on the tiny fixture (measured): the exporter takes exact types only,
so a subclass is refused, and its lies could not cross anyway.
"""

import numpy as np
import pandas as pd

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


def _always_equal(self, other):
    return True


class LyingFloat(float):
    __eq__ = _always_equal
    __hash__ = float.__hash__

    def __ne__(self, other):
        return False


class LyingStr(str):
    __eq__ = _always_equal
    __hash__ = str.__hash__


class LyingList(list):
    __eq__ = _always_equal


class LyingDict(dict):
    __eq__ = _always_equal


class LyingFrame(pd.DataFrame):
    @property
    def _constructor(self):
        return LyingFrame

    def __eq__(self, other):
        return pd.DataFrame(True, index=self.index, columns=self.columns)

    def equals(self, other):
        return True


class LyingSeries(pd.Series):
    @property
    def _constructor(self):
        return LyingSeries

    def __eq__(self, other):
        return pd.Series(True, index=self.index)

    def equals(self, other):
        return True


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def _liar(kind: str):
    kind = kind.rstrip("?")
    if kind == "number":
        return LyingFloat(0.0)
    if kind == "text":
        return LyingStr("")
    if kind == "list":
        return LyingList()
    if kind == "dict":
        return LyingDict()
    if kind == "table":
        return LyingFrame({"value": [0.0]})
    if kind == "series":
        return LyingSeries([0.0])
    if kind == "array":
        return np.zeros(1).view(LyingArray)
    if kind == "boolean":
        return np.True_
    if kind == "function":
        return lambda *args, **kwargs: LyingFloat(0.0)
    return LyingFloat(0.0)


for _name, _kind in ANSWERS.items():
    globals()[_name] = _liar(_kind)
