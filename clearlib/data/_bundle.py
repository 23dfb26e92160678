"""The dataset bundle: one object holding every table of a PCN (or ICS) dataset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from clearlib._config import TABLES

__all__ = ["PCNData"]


@dataclass(frozen=True, repr=False)
class PCNData:
    """Every table of a dataset, as pandas DataFrames.

    Attributes are the tables of the data dictionary (``datasets/synthetic/README.md``);
    ``manifest`` holds how the dataset was made (spec, seed, version, row counts, checksums).

    Examples
    --------
    >>> import pandas as pd
    >>> empty = {name: pd.DataFrame() for name in PCNData.table_names()}
    >>> bundle = PCNData(**empty)
    >>> bundle.table_names()[:3]
    ('practices', 'staff', 'patients')
    >>> sorted(dict(bundle.items()))[:2]
    ['appointments', 'conditions']
    """

    practices: pd.DataFrame
    staff: pd.DataFrame
    patients: pd.DataFrame
    conditions: pd.DataFrame
    frailty_deficits: pd.DataFrame
    medications: pd.DataFrame
    appointments: pd.DataFrame
    hospital_events: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def table_names() -> tuple[str, ...]:
        """The names of the tables, in dictionary order."""
        return TABLES

    def items(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Iterate over ``(table name, DataFrame)`` pairs."""
        for name in TABLES:
            yield name, getattr(self, name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLES)}")
        return getattr(self, name)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(df):,}" for name, df in self.items())
        label = self.manifest.get("name", "dataset")
        return f"PCNData({label}: {sizes})"


assert [f.name for f in fields(PCNData)][: len(TABLES)] == list(TABLES)
