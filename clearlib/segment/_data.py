"""Reading tables at the edge: which table a column comes from, dates, windows, populations.

Every public function of :mod:`clearlib.segment` takes a dataset (a :class:`clearlib.PCNData`
or a mapping of table name to DataFrame), checks the columns it needs here, and then trusts
them. A missing column names the column, the table it should come from and what to do.

Time is handled one way throughout: a window is ``[start, end)`` with ``end`` exclusive.
"As at 31 March" means every record dated up to and including 31 March (``end`` is the next
midnight); "before the index date" means every record dated strictly before it (``end`` is the
index date itself).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clearlib._config import EXTRACT_DATE
from clearlib._exceptions import DataError
from clearlib.data._bundle import PCNData
from clearlib.data._population import registered_at

__all__ = ["known_before"]

ONE_DAY = pd.Timedelta(days=1)
#: eFI's ``efi_counts(when)`` counts records dated ``<= when``; one second before an exclusive
#: end is the same as "strictly before it" for dates and for date-times to the second.
_TICK = pd.Timedelta(seconds=1)

#: The date columns of each table, and (for the patient-level tables) the column that dates
#: a record: used to cut a dataset to what was known before a date.
_DATED = {
    "conditions": "diagnosed_on",
    "frailty_deficits": "first_recorded_on",
    "medications": "started_on",
    "appointments": "start",
    "hospital_events": "start",
}


def table(data: Any, name: str) -> pd.DataFrame:
    """One table of a dataset (a PCNData or a mapping of table name to DataFrame)."""
    if isinstance(data, PCNData):
        return data[name]
    if isinstance(data, Mapping):
        if name not in data:
            raise DataError(
                f"the dataset has no {name} table (found: {', '.join(map(str, data)) or 'none'}). "
                f"Pass a clearlib.PCNData (clearlib.load_pcn or clearlib.data.read_dataset) or a "
                f"dict that holds the {name} table."
            )
        return data[name]
    raise DataError(
        f"expected a dataset (clearlib.PCNData or a dict of DataFrames by table name); found "
        f"{type(data).__name__}. Load one with clearlib.load_pcn()."
    )


def require(frame: pd.DataFrame, table_name: str, columns: Iterable[str]) -> pd.DataFrame:
    """Check that ``frame`` (the ``table_name`` table) has ``columns``; return it unchanged."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"the {table_name} table should be a pandas DataFrame; found {type(frame).__name__}."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"the {table_name} table has no column {', '.join(repr(c) for c in missing)} "
            f"(found: {', '.join(map(str, frame.columns)) or 'no columns'}). It comes from the "
            f"{table_name} table of the data dictionary (datasets/synthetic/README.md); rename "
            "your column or load the data with clearlib.load_pcn / clearlib.data.read_dataset."
        )
    return frame


def require_dates(frame: pd.DataFrame, table_name: str, columns: Iterable[str]) -> None:
    """Check that date columns hold datetimes, not text."""
    for col in columns:
        if not pd.api.types.is_datetime64_any_dtype(frame[col]):
            raise DataError(
                f"column {col!r} of the {table_name} table should hold dates (datetime64); found "
                f"{frame[col].dtype}. Convert it with pd.to_datetime(...) or load the data with "
                "clearlib.load_pcn / clearlib.data.read_dataset, which types every column."
            )


def get(data: Any, name: str, columns: Iterable[str], dates: Iterable[str] = ()) -> pd.DataFrame:
    """A table with ``columns`` checked (and ``dates`` checked to be datetimes)."""
    dates = list(dates)
    frame = require(table(data, name), name, [*columns, *dates])
    require_dates(frame, name, dates)
    return frame


def timestamp(value: Any, what: str) -> pd.Timestamp:
    """A date argument as a midnight :class:`pandas.Timestamp` (clear message if it is not one)."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise DataError(f"{what} should be a date such as '2025-04-01'; found {value!r}.") from None
    if ts is pd.NaT or pd.isna(ts):
        raise DataError(f"{what} should be a date such as '2025-04-01'; found {value!r}.")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts


def extract_date(data: Any) -> pd.Timestamp:
    """The dataset's extract date (from its manifest), or the synthetic data's default."""
    manifest = getattr(data, "manifest", None) or {}
    value = manifest.get("extract_window", {}).get("extract_date")
    return pd.Timestamp(value) if value else pd.Timestamp(EXTRACT_DATE)


def as_at_end(data: Any, as_at: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(as_at, end)`` for "as at" a date: records dated up to and including ``as_at``."""
    day = extract_date(data) if as_at is None else timestamp(as_at, "as_at").normalize()
    return day, day + ONE_DAY


PATIENT_COLUMNS = (
    "patient_id",
    "sex",
    "birth_date",
    "imd_decile",
    "registered_on",
    "deregistered_on",
    "died_on",
)
PATIENT_DATES = ("birth_date", "registered_on", "deregistered_on", "died_on")


def population(
    data: Any, end: pd.Timestamp, columns: Iterable[str] = (), *, min_age: float = 0.0
) -> tuple[pd.DataFrame, People]:
    """Patients registered and alive just before ``end`` (exclusive), indexed by patient_id.

    A patient counts if registered on or before the last instant before ``end`` and neither
    dead nor deregistered by then (so a death on the index date itself still counts as in the
    population at the index date, and a death the day before does not). Also returns the
    :class:`People` that finds these patients' rows in the other tables.
    """
    extra = [c for c in columns if c not in PATIENT_COLUMNS]
    pts = get(
        data,
        "patients",
        [c for c in PATIENT_COLUMNS if c not in PATIENT_DATES] + extra,
        PATIENT_DATES,
    )
    ids = pts["patient_id"]
    if not _unique(ids):
        if ids.isna().any():
            raise DataError(
                f"the patients table has {int(ids.isna().sum())} row(s) without a patient_id; "
                "every patient needs one. Drop or fix those rows (see clearlib.data.validate)."
            )
        dup = ids[ids.duplicated()].iloc[0]
        raise DataError(
            f"the patients table has {int(ids.duplicated().sum())} duplicate patient_id value(s), "
            f"e.g. {dup!r}; expected one row per patient. Remove the duplicates (see "
            "clearlib.data.validate)."
        )
    listed = registered_at(pts, end - _TICK).to_numpy()
    if min_age > 0:
        listed = listed & (age_at(pts["birth_date"], end) >= min_age).to_numpy()
    rows = np.flatnonzero(listed)
    keep = [c for c in pts.columns if c in (*PATIENT_COLUMNS, *extra)]
    out = pts.iloc[rows][keep].set_index("patient_id")
    return out, People(out.index, universe=ids, rows=rows)


class People:
    """Whom a computation is about, and how to find their rows in the other tables.

    Drawn from the patients table (``universe`` and ``rows`` given), each event table's
    distinct ids are matched to patients-table rows once and cached (see :func:`positions`),
    so asking again for another date or population costs a gather, not a hash of millions of
    strings. Otherwise the ids are looked up directly.
    """

    def __init__(
        self, ids: pd.Index, universe: pd.Series | None = None, rows: np.ndarray | None = None
    ) -> None:
        self.ids = pd.Index(ids, name="patient_id")
        self._universe = universe
        self._rows = rows
        self._row_to_position: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, patient_ids: pd.Series) -> np.ndarray:
        """Position in :attr:`ids` of each row's patient (-1 when not there)."""
        if self._universe is not None and self._rows is not None:
            mapped = _to_universe_rows(patient_ids, self._universe)
            if mapped is not None:
                indices, to_row = mapped
                if self._row_to_position is None:
                    lookup = np.full(len(self._universe) + 1, -1, dtype=np.int64)
                    lookup[self._rows] = np.arange(len(self._rows))
                    self._row_to_position = lookup  # the final -1 serves row -1 (unknown)
                to_position = np.append(self._row_to_position[to_row], -1)
                return to_position[indices]
        return positions(self.ids, patient_ids)


def _unique(values: pd.Series) -> bool:
    """True when no value repeats and none is missing (uses the cached dictionary encoding)."""
    try:
        indices, uniques = _encoded(values)
    except (pa.ArrowException, TypeError, ValueError):
        return bool(values.is_unique and values.notna().all())
    return len(uniques) == len(indices) and bool((indices >= 0).all())


def age_at(birth_date: pd.Series, when: pd.Timestamp) -> pd.Series:
    """Age in years (days / 365.25) on the date ``when``."""
    return (when - birth_date).dt.days / 365.25


def positions(ids: pd.Index, patient_ids: pd.Series) -> np.ndarray:
    """Position of each row's patient in ``ids`` (-1 when the patient is not there).

    The id column is dictionary-encoded once (Arrow's hashing, straight on the string buffers)
    and the encoding kept in a small cache while the column lives; each call then looks up
    only the distinct ids (about one per patient) and gathers. On the ICS's 12 million
    appointments a repeat call takes a fraction of a second, where converting the strings to
    Python objects for :meth:`pandas.Index.get_indexer` takes over ten.
    """
    try:
        keys = _arrow(pd.Series(ids, copy=False))
        indices, uniques = _encoded(patient_ids)
        if uniques.type != keys.type:
            uniques = uniques.cast(keys.type)
        found = pc.index_in(uniques, value_set=keys).fill_null(-1)
        lookup = np.append(np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64), -1)
        return lookup[indices]  # index -1 (a missing id) reads the final -1
    except (pa.ArrowException, TypeError, ValueError):  # mixed or exotic ids: pandas' way
        return ids.get_indexer(pd.Index(np.asarray(patient_ids, dtype=object)))


#: Dictionary encodings of Arrow-backed id columns, keyed by the addresses of their (immutable)
#: Arrow buffers. Each entry holds the column's Arrow array, so the buffers cannot be freed and
#: their addresses reused while the entry exists: a key can never point at other data.
_ENCODED: OrderedDict[tuple, tuple[Any, np.ndarray, pa.Array]] = OrderedDict()
_ENCODED_SIZE = 8


def _encoded(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """``(indices, uniques)`` of a column: ``uniques[indices[i]]`` is row i (-1 when missing)."""
    arr = pa.array(values)
    key = _fingerprint(arr) if getattr(values.dtype, "storage", None) == "pyarrow" else None
    if key is not None and key in _ENCODED:
        _ENCODED.move_to_end(key)
        _, indices, uniques = _ENCODED[key]
        return indices, uniques
    whole = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    encoded = whole.dictionary_encode()
    indices = np.asarray(
        encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32
    )
    uniques = encoded.dictionary
    if key is not None:
        _ENCODED[key] = (arr, indices, uniques)
        while len(_ENCODED) > _ENCODED_SIZE:
            _ENCODED.popitem(last=False)
    return indices, uniques


#: For an event table's id column and the patients table's ids: the patients-table row of each
#: distinct event id. Keyed and kept alive like :data:`_ENCODED`.
_TO_ROWS: OrderedDict[tuple, tuple[Any, Any, np.ndarray]] = OrderedDict()


def _to_universe_rows(
    values: pd.Series, universe: pd.Series
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(indices, to_row)``: ``to_row[indices[i]]`` is row i's patients-table row (or -1).

    None unless both columns are Arrow-backed (then nothing can be cached).
    """
    arrow_backed = (getattr(v.dtype, "storage", None) == "pyarrow" for v in (values, universe))
    if not all(arrow_backed):
        return None
    try:
        indices, uniques = _encoded(values)
        values_arr, universe_arr = pa.array(values), pa.array(universe)
        key = (_fingerprint(values_arr), _fingerprint(universe_arr))
        if key in _TO_ROWS:
            _TO_ROWS.move_to_end(key)
            return indices, _TO_ROWS[key][2]
        keys = _arrow(universe)
        if uniques.type != keys.type:
            uniques = uniques.cast(keys.type)
        found = pc.index_in(uniques, value_set=keys).fill_null(-1)
        to_row = np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    _TO_ROWS[key] = (values_arr, universe_arr, to_row)
    while len(_TO_ROWS) > _ENCODED_SIZE:
        _TO_ROWS.popitem(last=False)
    return indices, to_row


def _fingerprint(arr: Any) -> tuple:
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    return tuple(
        (
            str(c.type),
            c.offset,
            len(c),
            tuple(b.address if b is not None else 0 for b in c.buffers()),
        )
        for c in chunks
    )


def _arrow(values: pd.Series) -> pa.Array:
    arr = pa.array(values)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def is_in(values: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    """``values`` in ``wanted`` as a numpy boolean array (fast on categorical code columns)."""
    wanted = list(wanted)
    if isinstance(values.dtype, pd.CategoricalDtype):
        # a lookup table over the category codes (code -1, missing, reads the last entry)
        lookup = np.append(values.cat.categories.isin(wanted), False)
        return lookup[values.cat.codes.to_numpy()]
    return values.isin(wanted).to_numpy(dtype=bool)


def counts(
    ids: pd.Index, pos: np.ndarray, mask: np.ndarray | None = None, weights=None
) -> np.ndarray:
    """Rows per patient of ``ids`` (optionally only rows where ``mask``; optionally weighted)."""
    keep = pos >= 0 if mask is None else (pos >= 0) & mask
    w = None if weights is None else np.asarray(weights, dtype=float)[keep]
    out = np.bincount(pos[keep], weights=w, minlength=len(ids))
    return out if weights is not None else out.astype(np.int64)


def in_window(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """``start <= date < end`` as a numpy boolean array (NaT is outside)."""
    d = dates.to_numpy()
    return (d >= np.datetime64(start)) & (d < np.datetime64(end))


def known_before(data: Any, date: Any) -> PCNData:
    """The dataset as it stood just before ``date``: every record dated on or after it removed.

    Conditions, frailty deficits, medications, appointments and hospital events dated on or
    after ``date`` are dropped; patients registered (or born) on or after it are dropped; and
    facts learned later are blanked: deaths, deregistrations, medication stop dates and
    discharge dates on or after ``date`` become missing. Undated patient attributes
    (``care_home_resident``, ``housebound``, ``lives_alone``, ``smoking_status``, ``bmi``) are
    recorded as at the extract and cannot be cut: they are kept as they are.

    This is the reference for :func:`check_no_leakage`: a feature builder is free of leakage
    exactly when it gives the same answer on ``known_before(data, index_date)`` as on ``data``.

    Parameters
    ----------
    data : PCNData or dict of DataFrame
        The dataset.
    date : date-like
        The first date that is not yet known.

    Returns
    -------
    PCNData
        A new bundle; ``data`` is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "event_id": ["e1", "e2"], "patient_id": ["p1", "p1"],
    ...     "type": ["ae", "emergency_admission"],
    ...     "start": pd.to_datetime(["2025-03-01", "2025-04-02"]),
    ...     "end": pd.to_datetime([None, "2025-04-05"]), "length_of_stay_days": [None, 3]})
    >>> cut = known_before({"hospital_events": events}, "2025-04-01")
    >>> cut.hospital_events["event_id"].tolist()
    ['e1']
    """
    when = timestamp(date, "date")
    tables = {}
    for name in PCNData.table_names():
        frame = _maybe_table(data, name)
        if frame is None:
            tables[name] = pd.DataFrame()
            continue
        tables[name] = _cut(frame, name, when)
    manifest = dict(getattr(data, "manifest", None) or {})
    return PCNData(**tables, manifest=manifest)


def _maybe_table(data: Any, name: str) -> pd.DataFrame | None:
    if isinstance(data, PCNData):
        return data[name]
    if isinstance(data, Mapping):
        return data.get(name)
    return table(data, name)  # raises the clear error


def _blank_after(frame: pd.DataFrame, column: str, when: pd.Timestamp) -> None:
    if column in frame.columns:
        late = (frame[column] >= when).to_numpy()
        if late.any():
            frame.loc[late, column] = pd.NaT


def _cut(frame: pd.DataFrame, name: str, when: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame.copy()
    if name == "patients":
        require(frame, "patients", ["registered_on", "birth_date"])
        require_dates(frame, "patients", ["registered_on", "birth_date"])
        keep = ((frame["registered_on"] < when) & (frame["birth_date"] < when)).to_numpy()
        out = frame.loc[keep].copy()
        for col in ("died_on", "deregistered_on"):
            _blank_after(out, col, when)
        return out
    col = _DATED.get(name)
    if col is None:
        return frame.copy()
    require(frame, name, [col])
    require_dates(frame, name, [col])
    out = frame.loc[(frame[col] < when).to_numpy()].copy()
    if name == "medications":
        _blank_after(out, "stopped_on", when)
    if name == "hospital_events" and "end" in out.columns:
        late = (out["end"] >= when).to_numpy()
        if late.any():
            out.loc[late, "end"] = pd.NaT
            if "length_of_stay_days" in out.columns:
                out.loc[late, "length_of_stay_days"] = pd.NA
    return out
