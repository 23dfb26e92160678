"""A messy export: a dataset written as a clinical system's export would arrive, with an answer key.

The data-quality lesson and the validator's tests need data with known faults. ``make_messy``
takes a clean dataset, writes every table as CSV text and injects a few defects of each class
below, at rows drawn from a seed; the answer key lists every one (file, table, column, row,
original and injected value), so a learner, or a test, can check that each was found.

=====================  ========================================================================
defect                 what is injected
=====================  ========================================================================
mixed_date_format      dates written 03/04/1957 or 3 Apr 2025 instead of YYYY-MM-DD
bom                    a UTF-8 byte-order mark at the start of one file
duplicate_row          exact copies of rows, written just after the original
impossible_age         a birth date that makes the patient older than 115, or born in the future
impossible_date        death before birth; booked after the appointment; discharge before admission
renamed_column         ``NHS_Number`` for ``patient_id``; ``Diagnosis Date`` for ``diagnosed_on``
unknown_code           a condition code not on the QOF list; an unknown role; status ``DNA``
blank_key              a blank ``patient_id``
=====================  ========================================================================

Each defect is on a row of its own (never two on one row), so each is found exactly once.
Row numbers in the answer key count data rows in the written file: row 1 is the first row
under the header.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from clearlib._config import EXTRACT_DATE
from clearlib.data._bundle import PCNData
from clearlib.data._dictionary import data_dictionary
from clearlib.data._validate import table_as_text

__all__ = ["ANSWER_KEY_COLUMNS", "DEFECT_CLASSES", "make_messy", "write_messy"]

DEFECT_CLASSES = (
    "mixed_date_format",
    "bom",
    "duplicate_row",
    "impossible_age",
    "impossible_date",
    "renamed_column",
    "unknown_code",
    "blank_key",
)
ANSWER_KEY_COLUMNS = (
    "defect",
    "file",
    "table",
    "column",
    "row",
    "original_value",
    "injected_value",
)

#: Patients kept (a random sample) when a dataset is larger: keeps the export quick to write.
MAX_PATIENTS = 60_000

Rng = np.random.Generator
Maker = Callable[[Rng, pd.DataFrame], list[str]]


def _iso(value: str) -> date:
    return date.fromisoformat(value[:10])


def _day_first(rng: Rng, rows: pd.DataFrame, column: str) -> list[str]:
    return [_iso(v).strftime("%d/%m/%Y") for v in rows[column]]


def _day_month_name(rng: Rng, rows: pd.DataFrame, column: str) -> list[str]:
    return [f"{_iso(v).day} {_iso(v):%b %Y}" for v in rows[column]]


def _very_old(rng: Rng, rows: pd.DataFrame) -> list[str]:
    out = []
    for v in rows["birth_date"]:
        d = _iso(v)
        year = int(rng.integers(1880, 1906))
        out.append(date(year, d.month, min(d.day, 28)).isoformat())
    return out


def _unborn(rng: Rng, rows: pd.DataFrame) -> list[str]:
    return [
        (EXTRACT_DATE + timedelta(days=int(rng.integers(30, 400)))).isoformat()
        for _ in range(len(rows))
    ]


def _shift(base: str, low: int, high: int, sign: int) -> Maker:
    def make(rng: Rng, rows: pd.DataFrame) -> list[str]:
        return [
            (_iso(v) + sign * timedelta(days=int(rng.integers(low, high)))).isoformat()
            for v in rows[base]
        ]

    return make


def _constant(value: str) -> Maker:
    return lambda rng, rows: [value] * len(rows)


def _codes(pool: tuple[str, ...]) -> Maker:
    # Distinct codes, so two injected rows of one patient do not also clash on the key.
    return lambda rng, rows: list(rng.choice(pool, size=len(rows), replace=False))


def _everything(df: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=df.index)


@dataclass(frozen=True)
class _Defect:
    """A defect to inject into ``count`` rows of ``table`` (fewer if too few rows qualify)."""

    defect: str
    table: str
    column: str
    count: int
    make: Maker
    eligible: Callable[[pd.DataFrame], pd.Series] = _everything


def _alive(df: pd.DataFrame) -> pd.Series:
    return df["died_on"].eq("")


DEFECTS: tuple[_Defect, ...] = (
    _Defect(
        "mixed_date_format",
        "patients",
        "birth_date",
        3,
        lambda rng, rows: _day_first(rng, rows, "birth_date"),
    ),
    _Defect(
        "mixed_date_format",
        "appointments",
        "booked_on",
        3,
        lambda rng, rows: _day_month_name(rng, rows, "booked_on"),
    ),
    _Defect(
        "mixed_date_format",
        "frailty_deficits",
        "first_recorded_on",
        2,
        lambda rng, rows: _day_first(rng, rows, "first_recorded_on"),
    ),
    _Defect("impossible_age", "patients", "birth_date", 2, _very_old, _alive),
    _Defect("impossible_age", "patients", "birth_date", 1, _unborn, _alive),
    _Defect("impossible_date", "patients", "died_on", 2, _shift("birth_date", 1, 3650, -1), _alive),
    _Defect("impossible_date", "appointments", "booked_on", 2, _shift("start", 1, 30, +1)),
    _Defect(
        "impossible_date",
        "hospital_events",
        "end",
        2,
        _shift("start", 1, 10, -1),
        lambda df: df["end"].ne(""),
    ),
    _Defect("unknown_code", "conditions", "condition", 2, _codes(("DIAB", "CHF", "HTN", "CVA"))),
    _Defect("unknown_code", "appointments", "role", 1, _constant("receptionist")),
    _Defect("unknown_code", "appointments", "status", 1, _constant("DNA")),
    _Defect("blank_key", "appointments", "patient_id", 2, _constant("")),
    _Defect("blank_key", "conditions", "patient_id", 1, _constant("")),
)

#: Copies of whole rows: (table, how many).
DUPLICATES: tuple[tuple[str, int], ...] = (("appointments", 3), ("conditions", 2))

#: Columns renamed as some clinical systems name them: (table, column, name in the export).
RENAMES: tuple[tuple[str, str, str], ...] = (
    ("medications", "patient_id", "NHS_Number"),
    ("conditions", "diagnosed_on", "Diagnosis Date"),
)


def _sample(bundle: PCNData, rng: Rng, max_patients: int) -> dict[str, pd.DataFrame]:
    tables = dict(bundle.items())
    patients = tables["patients"]
    if len(patients) <= max_patients:
        return tables
    keep = np.sort(rng.choice(len(patients), size=max_patients, replace=False))
    ids = patients["patient_id"].iloc[keep]
    for name, df in tables.items():
        if name == "patients":
            tables[name] = patients.iloc[keep].reset_index(drop=True)
        elif "patient_id" in df.columns and name not in ("practices", "staff"):
            tables[name] = df[df["patient_id"].isin(ids)].reset_index(drop=True)
    return tables


def make_messy(
    bundle: PCNData, *, seed: int = 0, max_patients: int = MAX_PATIENTS
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Write a dataset as a messy clinical-system export would hold it, and list every defect.

    Parameters
    ----------
    bundle : PCNData
        A clean dataset (for example ``clearlib.load_pcn("default")``).
    seed : int, default 0
        Chooses the rows that receive defects: the same seed gives the same export.
    max_patients : int, default 60,000
        A larger dataset is cut to a random sample of this many patients (with all their
        rows) first, so the export stays quick to write.

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        Every table as text, as it would be written to ``<table>.csv`` (headers include the
        renamed columns).
    answer_key : pandas.DataFrame
        One row per injected defect: ``defect``, ``file``, ``table``, ``column``, ``row``
        (data row in the written file, 1 = first row under the header; blank for defects of
        a whole file or column), ``original_value`` and ``injected_value``.

    Examples
    --------
    >>> import pandas as pd
    >>> from clearlib.data._dictionary import data_dictionary
    >>> empty = {t.name: pd.DataFrame({f.name: pd.Series(dtype="str") for f in t.fields})
    ...          for t in data_dictionary().tables}
    >>> tables, key = make_messy(PCNData(**empty), seed=1)
    >>> sorted(key["defect"])
    ['bom', 'renamed_column', 'renamed_column']
    >>> list(tables["medications"].columns)
    ['NHS_Number', 'medicine_class', 'started_on', 'stopped_on']
    """
    rng = np.random.default_rng(seed)
    dd = data_dictionary()
    typed = _sample(bundle, rng, max_patients)
    tables = {name: table_as_text(typed[name], dd[name]) for name in dd}
    used = {name: np.zeros(len(df), dtype=bool) for name, df in tables.items()}
    records: list[dict[str, object]] = []

    for d in DEFECTS:
        df = tables[d.table]
        ok = d.eligible(df).to_numpy(dtype=bool) & ~used[d.table]
        candidates = np.flatnonzero(ok)
        n = min(d.count, len(candidates))
        if n == 0:
            continue
        rows = np.sort(rng.choice(candidates, size=n, replace=False))
        new = d.make(rng, df.iloc[rows])
        column = df.columns.get_loc(d.column)
        for pos, value in zip(rows, new, strict=True):
            records.append(
                {
                    "defect": d.defect,
                    "table": d.table,
                    "column": d.column,
                    "pos": int(pos),
                    "original_value": df.iat[pos, column],
                    "injected_value": value,
                }
            )
        df.iloc[rows, column] = new
        used[d.table][rows] = True

    for table, count in DUPLICATES:
        df = tables[table]
        candidates = np.flatnonzero(~used[table])
        n = min(count, len(candidates))
        sources = np.sort(rng.choice(candidates, size=n, replace=False)) if n else np.array([], int)
        copies = np.isin(np.arange(len(df)), sources).astype(int) + 1
        order = np.repeat(np.arange(len(df)), copies)
        first = np.cumsum(copies) - copies  # where each original row lands (0-based)
        tables[table] = df.iloc[order].reset_index(drop=True)
        for rec in records:
            if rec["table"] == table:
                rec["pos"] = int(first[int(rec["pos"])])  # type: ignore[call-overload]
        for src in sources:
            records.append(
                {
                    "defect": "duplicate_row",
                    "table": table,
                    "column": "",
                    "pos": int(first[src]) + 1,
                    "original_value": "",
                    "injected_value": f"copy of row {first[src] + 1}",
                }
            )

    for table, column, renamed in RENAMES:
        tables[table] = tables[table].rename(columns={column: renamed})
        records.append(
            {
                "defect": "renamed_column",
                "table": table,
                "column": column,
                "pos": None,
                "original_value": column,
                "injected_value": renamed,
            }
        )

    bom_table = str(rng.choice(list(dd)))
    records.append(
        {
            "defect": "bom",
            "table": bom_table,
            "column": "",
            "pos": None,
            "original_value": "",
            "injected_value": "EF BB BF",
        }
    )

    key = pd.DataFrame(
        records, columns=["defect", "table", "column", "pos", "original_value", "injected_value"]
    )
    key["file"] = key["table"] + ".csv"
    key["row"] = pd.array(key["pos"].astype("Float64") + 1, dtype="Int64")
    order = {name: i for i, name in enumerate(DEFECT_CLASSES)}
    key = key.sort_values(
        ["defect", "table", "row"], key=lambda s: s.map(order) if s.name == "defect" else s
    )
    key = key[list(ANSWER_KEY_COLUMNS)].reset_index(drop=True)
    for col in ("defect", "file", "table", "column", "original_value", "injected_value"):
        key[col] = key[col].astype("str")
    return tables, key


def write_messy(
    bundle: PCNData,
    out_dir: str | Path,
    *,
    seed: int = 0,
    max_patients: int = MAX_PATIENTS,
) -> Path:
    """Write a messy export of ``bundle`` as CSV files, with ``answer_key.csv`` beside them.

    Files are ``<table>.csv`` with Windows line endings, as exports from clinical systems
    usually arrive; one has a byte-order mark. See :func:`make_messy` for the defects.

    Parameters
    ----------
    bundle : PCNData
        A clean dataset.
    out_dir : str or pathlib.Path
        The folder to write (created if needed; files of the same names are replaced).
    seed : int, default 0
        Chooses the rows that receive defects.
    max_patients : int, default 60,000
        Cut a larger dataset to a random sample of this many patients first.

    Returns
    -------
    pathlib.Path
        The folder written.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from clearlib.data._dictionary import data_dictionary
    >>> empty = {t.name: pd.DataFrame({f.name: pd.Series(dtype="str") for f in t.fields})
    ...          for t in data_dictionary().tables}
    >>> out = write_messy(PCNData(**empty), tempfile.mkdtemp())
    >>> sorted(p.name for p in out.iterdir())[:3]
    ['answer_key.csv', 'appointments.csv', 'conditions.csv']
    """
    tables, key = make_messy(bundle, seed=seed, max_patients=max_patients)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with_bom = set(key.loc[key["defect"].eq("bom"), "file"])
    for name, df in tables.items():
        file = f"{name}.csv"
        encoding = "utf-8-sig" if file in with_bom else "utf-8"
        df.to_csv(out / file, index=False, encoding=encoding, lineterminator="\r\n")
    key.to_csv(out / "answer_key.csv", index=False)
    return out
