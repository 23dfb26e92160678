"""Reading and writing a generated dataset on disk: Parquet partitioned by practice.

The layout (``datasets/synthetic/README.md``, "Layout of a generated dataset")::

    <dataset>/manifest.json                    how it was made, row counts, SHA-256 checksums
    <dataset>/practices.parquet                small tables: one file each
    <dataset>/staff.parquet
    <dataset>/<table>/<practice_code>.parquet  large tables: one file per practice
    <dataset>/csv/<table>.csv                  with ``--format csv``
    <dataset>/xlsx/<table>.xlsx                with ``--format xlsx``

Types on disk and in memory
---------------------------
Every column has one storage type, whatever dtype the generator handed over, so files are
identical however they were made and every reader (pandas, DuckDB, R, Excel) sees the same:

=================  =====================  ==========================================
contract type      Parquet (Arrow) type   pandas dtype after :func:`read_dataset`
=================  =====================  ==========================================
string             ``string``             ``str`` (missing is ``NaN``)
string (a code)    ``string``             ``category``: the dictionary's values in order
integer            ``int64``              ``int64``; ``Int64`` when nullable
number             ``double``             ``float64`` (missing is ``NaN``)
boolean            ``bool``               ``bool``
date               ``date32``             ``datetime64[s]`` (missing is ``NaT``)
datetime           ``timestamp[s]``       ``datetime64[s]``
=================  =====================  ==========================================

Code columns of the large tables (``sex``, ``condition``, ``role``, ``status``, ...) are
categoricals whose categories are the allowed values of ``datapackage.json`` in its order, so
every dataset has the same categories (zero counts show as zero) and the ICS fits in memory.
Dates are read as ``datetime64[s]`` (not Python ``date`` objects) so that learners can compare
them with ``pd.Timestamp``, subtract them and use the ``.dt`` accessor straight away; one unit
for dates and date-times keeps merges and arithmetic free of unit mismatches.

Files are written deterministically: rows sorted by a stable key, fixed row-group size and
compression, no timestamps and no pandas metadata, so the same tables give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from clearlib._config import EXTRACT_DATE, LARGE_TABLES, SMALL_TABLES, TABLES
from clearlib._exceptions import ConfigError, DataError
from clearlib.data._bundle import PCNData

__all__ = [
    "COLUMNS",
    "EXCEL_MAX_ROWS",
    "MANIFEST",
    "SORT_KEYS",
    "Column",
    "arrow_schema",
    "categories",
    "check_excel_rows",
    "empty_frame",
    "export_csv",
    "export_xlsx",
    "file_sha256",
    "from_arrow",
    "read_dataset",
    "read_manifest",
    "read_table",
    "table_rows",
    "to_arrow",
    "verify",
    "write_manifest",
    "write_parquet",
    "write_tables",
]

#: The name of the manifest file in a dataset folder.
MANIFEST = "manifest.json"

#: Rows in an Excel worksheet, including the header row.
EXCEL_MAX_ROWS = 1_048_576

#: Fixed Parquet settings: changing any of them changes every checksum.
_PARQUET_OPTIONS: dict[str, Any] = {
    "row_group_size": 131_072,
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_size": 1 << 20,
    "store_schema": True,
}

_REGENERATE = "generated data is never edited; regenerate with `clearlib data synth {name}`"


@dataclass(frozen=True)
class Column:
    """One column of the data contract: its name, contract type and whether it may be empty."""

    name: str
    kind: str  # string, integer, number, boolean, date, datetime
    nullable: bool = False


def _cols(*specs: str) -> tuple[Column, ...]:
    out = []
    for spec in specs:
        name, kind = spec.split(":")
        nullable = kind.endswith("?")
        out.append(Column(name, kind.rstrip("?"), nullable))
    return tuple(out)


#: The columns of every table, in contract order (``datasets/synthetic/README.md``).
COLUMNS: dict[str, tuple[Column, ...]] = {
    "practices": _cols(
        "practice_code:string",
        "pcn_code:string",
        "name:string",
        "list_size:integer",
        "imd_decile:integer",
        "rurality:string",
        "clinical_system:string",
        "care_home_beds:integer",
    ),
    "staff": _cols(
        "staff_id:string",
        "pcn_code:string",
        "practice_code:string?",
        "role:string",
        "afc_band:string?",
        "wte:number",
        "arrs_funded:boolean",
        "start_date:date",
    ),
    "patients": _cols(
        "patient_id:string",
        "practice_code:string",
        "sex:code",
        "birth_date:date",
        "imd_decile:integer",
        "ethnicity:code",
        "registered_on:date",
        "deregistered_on:date?",
        "died_on:date?",
        "lives_alone:boolean",
        "care_home_resident:boolean",
        "housebound:boolean",
        "carer:boolean",
        "smoking_status:code",
        "bmi:number?",
    ),
    "conditions": _cols("patient_id:string", "condition:code", "diagnosed_on:date"),
    "frailty_deficits": _cols("patient_id:string", "deficit:code", "first_recorded_on:date"),
    "medications": _cols(
        "patient_id:string", "medicine_class:code", "started_on:date", "stopped_on:date?"
    ),
    "appointments": _cols(
        "appointment_id:string",
        "patient_id:string",
        "practice_code:string",
        "staff_id:string",
        "role:code",
        "start:datetime",
        "booked_on:date",
        "mode:code",
        "national_category:code",
        "duration_min:number",
        "status:code",
    ),
    "hospital_events": _cols(
        "event_id:string",
        "patient_id:string",
        "type:code",
        "start:date",
        "end:date?",
        "length_of_stay_days:integer?",
    ),
}

#: The stable sort key of each table (ties keep the generator's order).
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "practices": ("practice_code",),
    "staff": ("staff_id",),
    "patients": ("patient_id",),
    "conditions": ("patient_id", "condition", "diagnosed_on"),
    "frailty_deficits": ("patient_id", "deficit", "first_recorded_on"),
    "medications": ("patient_id", "medicine_class", "started_on"),
    "appointments": ("appointment_id",),
    "hospital_events": ("event_id",),
}

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "code": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("s"),
}

assert set(COLUMNS) == set(TABLES) == set(SORT_KEYS)


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema a table is stored with.

    Examples
    --------
    >>> arrow_schema("conditions").field("diagnosed_on").type
    DataType(date32[day])
    """
    return pa.schema(
        [pa.field(c.name, _ARROW_TYPES[c.kind], nullable=c.nullable) for c in _columns(table)]
    )


def _columns(table: str) -> tuple[Column, ...]:
    try:
        return COLUMNS[table]
    except KeyError:
        raise DataError(
            f"no table {table!r} in the data contract; the tables are {', '.join(TABLES)}."
        ) from None


# ---------------------------------------------------------------------------------------------
# pandas <-> Arrow
# ---------------------------------------------------------------------------------------------
def _column_to_arrow(series: pd.Series, column: Column, table: str) -> pa.Array:
    where = f"{table}.{column.name}"
    target = _ARROW_TYPES[column.kind]
    try:
        if column.kind in ("string", "code"):
            arr = pa.array(series, from_pandas=True)
            if pa.types.is_dictionary(arr.type):
                arr = arr.dictionary_decode()
            arr = arr.cast(pa.string())
        else:
            arr = pa.array(series, from_pandas=True)
            if column.kind == "date" and pa.types.is_timestamp(arr.type):
                as_date = arr.cast(pa.date32())
                back = as_date.cast(arr.type)
                if pc.any(pc.not_equal(back, arr)).as_py():
                    raise DataError(
                        f"{where}: expected dates (midnight), found times of day "
                        f"(dtype {series.dtype}). Give the generator day-precision dates."
                    )
                arr = as_date
            else:
                arr = arr.cast(target)  # safe cast: refuses to drop fractions or overflow
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError) as exc:
        raise DataError(
            f"{where}: expected {column.kind} values, found dtype {series.dtype} that cannot be "
            f"stored as {target} ({exc})."
        ) from exc
    if not column.nullable and arr.null_count:
        raise DataError(
            f"{where}: expected no missing values, found {arr.null_count:,}. "
            "The data contract says this column is always filled."
        )
    return arr


def to_arrow(frame: pd.DataFrame, table: str, *, sort: bool = True) -> pa.Table:
    """Convert a table to its Arrow storage schema, sorted by its stable key.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, with exactly the contract's columns (in any order, any compatible dtype).
    table : str
        Its name in the data contract, e.g. ``"patients"``.
    sort : bool, default True
        Sort rows by the table's key (a stable sort: ties keep their order).

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    DataError
        If a column is missing or extra, cannot be stored in its type, or is empty where the
        contract forbids it.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"patient_id": ["SYN-P001000002", "SYN-P001000001"],
    ...                    "condition": ["HYP", "DM"],
    ...                    "diagnosed_on": pd.to_datetime(["2020-05-01", "2019-01-31"])})
    >>> to_arrow(df, "conditions").column("condition").to_pylist()
    ['DM', 'HYP']
    """
    columns = _columns(table)
    expected = [c.name for c in columns]
    missing = [c for c in expected if c not in frame.columns]
    extra = [str(c) for c in frame.columns if c not in expected]
    if missing or extra:
        raise DataError(
            f"{table}: expected the columns {', '.join(expected)}; "
            f"missing {', '.join(missing) or 'none'}, unexpected {', '.join(extra) or 'none'}. "
            "Tables must follow the data contract in datasets/synthetic/README.md."
        )
    arrays = [_column_to_arrow(frame[c.name], c, table) for c in columns]
    out = pa.Table.from_arrays(arrays, schema=arrow_schema(table))
    keys = SORT_KEYS[table]
    if sort and out.num_rows > 1 and not _is_sorted(out, keys):
        out = out.sort_by([(key, "ascending") for key in keys])
    return out


def _is_sorted(data: pa.Table, keys: Sequence[str]) -> bool:
    """True if rows are already in key order (sort keys are never null), checked in one pass.

    Generators usually hand over sorted tables; checking is much cheaper than sorting again.
    """
    ordered: Any = None  # row i <= row i+1 on the keys compared so far, from the last key back
    for key in reversed(keys):
        column = data.column(key)
        before, after = column.slice(0, len(column) - 1), column.slice(1)
        if ordered is None:
            ordered = pc.less_equal(before, after)
        else:
            ordered = pc.or_(pc.less(before, after), pc.and_(pc.equal(before, after), ordered))
    return bool(pc.all(ordered).as_py())


def from_arrow(data: pa.Table, table: str) -> pd.DataFrame:
    """Convert a stored table to pandas with the documented dtypes (see the module docstring).

    Examples
    --------
    >>> import pyarrow as pa
    >>> data = pa.table({"patient_id": ["SYN-P001000001"], "deficit": ["falls"],
    ...                  "first_recorded_on": pa.array([19000], pa.date32())})
    >>> from_arrow(data, "frailty_deficits").dtypes.astype(str).tolist()
    ['str', 'category', 'datetime64[s]']
    """
    columns = _columns(table)
    data = data.select([c.name for c in columns])
    for i, column in enumerate(columns):
        if column.kind in ("date", "datetime"):
            data = data.set_column(i, column.name, data.column(i).cast(pa.timestamp("s")))
    frame = data.to_pandas(split_blocks=True)
    for column in columns:
        if column.kind == "integer" and column.nullable:
            frame[column.name] = data.column(column.name).to_pandas(
                types_mapper={pa.int64(): pd.Int64Dtype()}.get
            )
        elif column.kind == "integer":
            frame[column.name] = frame[column.name].astype("int64")
        elif column.kind == "boolean":
            frame[column.name] = frame[column.name].astype("bool")
        elif column.kind == "code":
            frame[column.name] = _categorical(data.column(column.name), table, column.name)
    return frame


def categories(table: str, column: str) -> tuple[str, ...]:
    """The allowed values of a code column, in the data dictionary's order (empty if open).

    Examples
    --------
    >>> categories("appointments", "status")
    ('attended', 'dna', 'cancelled')
    """
    from clearlib.data._dictionary import data_dictionary

    field = data_dictionary()[table].field(column)
    return tuple(field.enum or ())


def _categorical(values: pa.ChunkedArray, table: str, column: str) -> pd.Categorical:
    """Codes as a pandas Categorical: the dictionary's values in its order, then any others.

    Values outside the dictionary are kept (sorted, after the known ones) rather than lost:
    reading never drops data; ``clearlib data validate`` reports them.
    """
    known = list(categories(table, column))
    seen = pc.unique(values.cast(pa.string())).drop_null().to_pylist()
    cats = known + sorted(set(seen) - set(known))
    codes = pc.index_in(values, value_set=pa.array(cats, pa.string()))
    return pd.Categorical.from_codes(
        codes.fill_null(-1).to_numpy(zero_copy_only=False),
        dtype=pd.CategoricalDtype(pd.Index(cats, dtype="str")),
    )


def empty_frame(table: str) -> pd.DataFrame:
    """An empty table with the right columns and dtypes.

    Examples
    --------
    >>> empty_frame("medications").dtypes.astype(str).to_dict()
    {'patient_id': 'str', 'medicine_class': 'category', 'started_on': 'datetime64[s]', 'stopped_on': 'datetime64[s]'}
    """
    return from_arrow(arrow_schema(table).empty_table(), table)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def write_parquet(data: pa.Table, path: str | Path) -> None:
    """Write an Arrow table to Parquet with the fixed, deterministic settings.

    Examples
    --------
    >>> import tempfile, pyarrow as pa
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_parquet(pa.table({"x": [1, 2]}), Path(tmp) / "x.parquet")
    ...     pq.read_table(Path(tmp) / "x.parquet").num_rows
    2
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(data.replace_schema_metadata(None), path, **_PARQUET_OPTIONS)


def _practice_numbers(patients: pa.Table) -> dict[str, str]:
    """Map each practice code to the 3-digit practice number its patient identifiers carry."""
    pairs = (
        pa.table(
            {
                "code": patients.column("practice_code"),
                "number": pc.utf8_slice_codeunits(patients.column("patient_id"), 5, 8),
            }
        )
        .group_by(["code", "number"])
        .aggregate([])
    )
    codes = pairs.column("code").to_pylist()
    numbers = pairs.column("number").to_pylist()
    if len(set(codes)) != len(codes):
        raise DataError(
            "patients: expected every patient_id of a practice to carry its practice number "
            "(characters 6-8 of SYN-P001000123), found practices with several numbers."
        )
    return dict(zip(codes, numbers, strict=True))


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    folder: str | Path,
    *,
    practice_codes: Sequence[str] | None = None,
    practice_numbers: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Write tables in the dataset layout: small tables whole, large tables one file per practice.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Any of the contract's tables, by name.
    folder : path
        The dataset folder.
    practice_codes : sequence of str, optional
        The practices to write a file for (each gets one, even if it has no rows). Default:
        ``tables["practices"].practice_code``, else the practices found in ``patients``.
    practice_numbers : mapping of str to str, optional
        Practice code to the 3-digit number in its patients' identifiers, for splitting tables
        that only carry ``patient_id``. Default: read from ``tables["patients"]``.

    Returns
    -------
    dict of str to int
        Rows written, by file path relative to ``folder`` (POSIX separators).

    Raises
    ------
    DataError
        If a table breaks the contract, or has rows of no listed practice.

    Examples
    --------
    >>> import tempfile
    >>> patients = empty_frame("patients")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_tables({"patients": patients}, tmp, practice_codes=["SYN-G001"])
    {'patients/SYN-G001.parquet': 0}
    """
    folder = Path(folder)
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise DataError(
            f"no table {', '.join(unknown)} in the data contract ({', '.join(TABLES)})."
        )
    arrow = {name: to_arrow(frame, name) for name, frame in tables.items()}
    written: dict[str, int] = {}
    for name in SMALL_TABLES:
        if name in arrow:
            write_parquet(arrow[name], folder / f"{name}.parquet")
            written[f"{name}.parquet"] = arrow[name].num_rows

    large = [name for name in LARGE_TABLES if name in arrow]
    if not large:
        return written
    if practice_codes is None:
        if "practices" in arrow:
            practice_codes = arrow["practices"].column("practice_code").to_pylist()
        elif "patients" in arrow:
            practice_codes = sorted(set(arrow["patients"].column("practice_code").to_pylist()))
        else:
            raise DataError(
                "write_tables: give practice_codes, or the practices or patients table."
            )
    numbers: Mapping[str, str] | None = practice_numbers
    if numbers is None and "patients" in arrow:
        numbers = _practice_numbers(arrow["patients"])

    for name in large:
        data = arrow[name]
        if "practice_code" in data.column_names:
            key = data.column("practice_code")
            lookup: dict[str, str | None] = {code: code for code in practice_codes}
        else:
            if numbers is None:
                raise DataError(
                    f"write_tables: cannot split {name} by practice without the patients table "
                    "or practice_numbers."
                )
            key = pc.utf8_slice_codeunits(data.column("patient_id"), 5, 8)
            lookup = {code: numbers.get(code) for code in practice_codes}
        total = 0
        for code in practice_codes:
            value = lookup[code]
            part = data.filter(pc.equal(key, value)) if value is not None else data.slice(0, 0)
            write_parquet(part, folder / name / f"{code}.parquet")
            written[f"{name}/{code}.parquet"] = part.num_rows
            total += part.num_rows
        if total != data.num_rows:
            raise DataError(
                f"{name}: {data.num_rows - total:,} row(s) belong to no practice of "
                f"{', '.join(practice_codes)} (by practice_code or the practice number in "
                "patient_id). Every row must belong to a listed practice."
            )
    return written


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a dataset folder (an empty dict if it has none).

    Raises
    ------
    DataError
        If ``manifest.json`` exists but is not valid JSON.
    """
    file = Path(path) / MANIFEST
    if not file.is_file():
        return {}
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        name = Path(path).name
        raise DataError(
            f"{file}: not valid JSON ({exc}); {_REGENERATE.format(name=name)}."
        ) from exc


def write_manifest(path: str | Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` (indented, stable, UTF-8, newline at the end)."""
    file = Path(path) / MANIFEST
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    file.write_text(text, encoding="utf-8")
    return file


def _table_files(folder: Path, table: str, manifest: Mapping[str, Any]) -> list[Path]:
    """The Parquet files of one table, in practice order."""
    single = folder / f"{table}.parquet"
    if single.is_file():
        return [single]
    order: list[str] = [code for codes in manifest.get("pcns", {}).values() for code in codes]
    sub = folder / table
    if order:
        return [sub / f"{code}.parquet" for code in order]
    return sorted(sub.glob("*.parquet"))


def read_table(files: Iterable[str | Path], table: str) -> pd.DataFrame:
    """Read and concatenate Parquet files of one table into pandas (documented dtypes).

    Examples
    --------
    >>> read_table([], "conditions").shape
    (0, 3)
    """
    schema = arrow_schema(table)
    parts = []
    for file in files:
        try:
            parts.append(pq.read_table(file, columns=schema.names))
        except FileNotFoundError:
            raise DataError(f"{file}: no such file.") from None
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"{file}: not a readable {table} Parquet file ({exc}).") from exc
    if not parts:
        return empty_frame(table)
    try:
        data = pa.concat_tables([p.cast(schema) for p in parts])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        raise DataError(f"{table}: the files do not match the data contract ({exc}).") from exc
    return from_arrow(data, table)


def read_dataset(path: str | Path, tables: Iterable[str] | None = None) -> PCNData:
    """Read a dataset folder (Parquet, partitioned by practice) into a :class:`PCNData`.

    Parameters
    ----------
    path : path
        The dataset folder, e.g. ``datasets/synthetic/default``.
    tables : iterable of str, optional
        Read only these tables (the others are empty, with the right columns). Default: all.

    Returns
    -------
    PCNData
        Every table as a DataFrame with the dtypes in this module's docstring (dates as
        ``datetime64[s]``), and ``manifest`` from ``manifest.json``.

    Raises
    ------
    DataError
        If the folder or a file is missing or unreadable.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write_tables({"practices": empty_frame("practices")}, tmp)
    ...     bundle = read_dataset(tmp, tables=["practices"])
    >>> list(bundle.practices.columns[:2]), len(bundle.patients)
    (['practice_code', 'pcn_code'], 0)
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            f"{folder}: no such dataset folder. Generate one with `clearlib data synth NAME` "
            "or pass the folder that holds manifest.json."
        )
    wanted = list(TABLES) if tables is None else list(dict.fromkeys(tables))
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise DataError(f"no table {', '.join(unknown)}; the tables are {', '.join(TABLES)}.")
    manifest = read_manifest(folder)
    files = {name: _table_files(folder, name, manifest) for name in wanted}
    missing = [
        f.relative_to(folder).as_posix() for fs in files.values() for f in fs if not f.is_file()
    ]
    if missing:
        name = manifest.get("name", folder.name)
        raise DataError(
            f"{folder}: {len(missing)} file(s) missing: {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}. {_REGENERATE.format(name=name).capitalize()}."
        )
    frames = {
        name: read_table(files[name], name) if name in wanted else empty_frame(name)
        for name in TABLES
    }
    return PCNData(**frames, manifest=manifest)


# ---------------------------------------------------------------------------------------------
# Checksums
# ---------------------------------------------------------------------------------------------
def file_sha256(path: str | Path) -> str:
    """The SHA-256 checksum of a file, as 64 hex digits.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "a.txt").write_bytes(b"abc")
    ...     file_sha256(Path(tmp) / "a.txt")[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: str | Path) -> dict[str, Any]:
    """Check every file of a generated dataset against the checksums in its manifest.

    Parameters
    ----------
    path : path
        The dataset folder.

    Returns
    -------
    dict
        The manifest, when every file is present and unchanged.

    Raises
    ------
    DataError
        Naming each file that is missing, changed or not in the manifest. Generated data is
        never edited: regenerate it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "a.txt").write_text("abc")
    ...     _ = write_manifest(tmp, {"name": "x", "files": {"a.txt": {
    ...         "sha256": file_sha256(Path(tmp) / "a.txt"), "bytes": 3}}})
    ...     sorted(verify(tmp))
    ['files', 'name']
    """
    folder = Path(path)
    manifest = read_manifest(folder)
    name = manifest.get("name", folder.name)
    if not manifest:
        raise DataError(
            f"{folder}: no {MANIFEST}, so this is not a generated dataset (or it is incomplete); "
            f"{_REGENERATE.format(name=name)}."
        )
    listed: Mapping[str, Mapping[str, Any]] = manifest.get("files", {})
    problems = []
    for rel, entry in listed.items():
        file = folder / rel
        if not file.is_file():
            problems.append(f"{rel} is missing")
        elif file_sha256(file) != entry["sha256"]:
            problems.append(f"{rel} has been changed (its SHA-256 checksum differs)")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for rel in sorted(present - set(listed) - {MANIFEST}):
        problems.append(f"{rel} is not part of the generated dataset")
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise DataError(f"{folder}:\n{listing}\n{_REGENERATE.format(name=name).capitalize()}.")
    return manifest


# ---------------------------------------------------------------------------------------------
# Exports for spreadsheet users
# ---------------------------------------------------------------------------------------------
def _batches(files: Sequence[Path], table: str) -> Iterator[pa.RecordBatch]:
    schema = arrow_schema(table)
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(batch_size=65_536, columns=schema.names):
            yield batch.cast(schema)  # Parquet keeps seconds as milliseconds: restore the type


def export_csv(folder: str | Path, tables: Iterable[str] = TABLES) -> dict[str, int]:
    """Write ``<folder>/csv/<table>.csv`` from a dataset's Parquet files, one CSV per table.

    Dates are ISO (``2025-03-31``), date-times ``2025-03-31 09:30:00``, booleans ``true`` /
    ``false``, missing values empty, UTF-8 without a byte-order mark. Text is left unquoted;
    a batch of rows holding a comma, quote or line break in its text is written with every
    text value quoted (RFC 4180). The files are written practice by practice, so memory stays
    small however big the dataset.

    Returns
    -------
    dict of str to int
        Rows written, by file path relative to ``folder``.
    """
    folder = Path(folder)
    manifest = read_manifest(folder) or _pcns_from_practices(folder)
    out = folder / "csv"
    out.mkdir(exist_ok=True)
    written = {}
    for table in tables:
        rows = 0
        with open(out / f"{table}.csv", "wb") as fh:
            fh.write((",".join(arrow_schema(table).names) + "\n").encode())
            for batch in _batches(_table_files(folder, table, manifest), table):
                fh.write(_csv_bytes(batch))
                rows += batch.num_rows
        written[f"csv/{table}.csv"] = rows
    return written


def _csv_bytes(batch: pa.RecordBatch) -> bytes:
    buffer = io.BytesIO()
    try:
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        pa_csv.write_csv(batch, buffer, options)
    except pa.ArrowInvalid:  # a value holds a comma, quote or newline: quote the text
        buffer = io.BytesIO()
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        pa_csv.write_csv(batch, buffer, options)
    return buffer.getvalue()


def _pcns_from_practices(folder: Path) -> dict[str, Any]:
    """Practice order from ``practices.parquet``, for a folder not yet given its manifest."""
    file = folder / "practices.parquet"
    if not file.is_file():
        return {}
    data = pq.read_table(file, columns=["pcn_code", "practice_code"])
    pcns: dict[str, list[str]] = {}
    for pcn, code in zip(
        data.column("pcn_code").to_pylist(), data.column("practice_code").to_pylist(), strict=True
    ):
        pcns.setdefault(pcn, []).append(code)
    return {"pcns": pcns}


def table_rows(folder: str | Path, table: str) -> int:
    """Rows of one table in a dataset folder, from the Parquet footers (without reading data)."""
    folder = Path(folder)
    manifest = read_manifest(folder) or _pcns_from_practices(folder)
    return sum(pq.ParquetFile(f).metadata.num_rows for f in _table_files(folder, table, manifest))


#: Fixed time stamps for xlsx files, so they are byte-identical run after run.
_XLSX_TIME = dt.datetime.combine(EXTRACT_DATE, dt.time())
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def export_xlsx(folder: str | Path, tables: Iterable[str] = TABLES) -> dict[str, int]:
    """Write ``<folder>/xlsx/<table>.xlsx`` (one worksheet each) for Excel users.

    Raises
    ------
    ConfigError
        If a table has more rows than an Excel worksheet holds (1,048,576 including the
        header): nothing is written; use CSV instead.

    Returns
    -------
    dict of str to int
        Rows written, by file path relative to ``folder``.
    """
    from openpyxl import Workbook

    folder = Path(folder)
    tables = list(tables)
    manifest = read_manifest(folder) or _pcns_from_practices(folder)
    for table in tables:
        check_excel_rows(table, table_rows(folder, table))
    out = folder / "xlsx"
    out.mkdir(exist_ok=True)
    written = {}
    for table in tables:
        book = Workbook(write_only=True)
        book.properties.creator = "clearlib"
        book.properties.created = _XLSX_TIME
        sheet = book.create_sheet(title=table)
        sheet.append(arrow_schema(table).names)
        rows = 0
        for batch in _batches(_table_files(folder, table, manifest), table):
            columns = [col.to_pylist() for col in batch.columns]
            for row in zip(*columns, strict=True):
                sheet.append(row)
            rows += batch.num_rows
        buffer = io.BytesIO()
        book.save(buffer)
        (out / f"{table}.xlsx").write_bytes(_normalise_xlsx(buffer.getvalue()))
        written[f"xlsx/{table}.xlsx"] = rows
    return written


def check_excel_rows(table: str, rows: int) -> None:
    """Refuse a table too long for one Excel worksheet, saying what to do instead.

    Examples
    --------
    >>> check_excel_rows("appointments", 1_048_575)
    >>> check_excel_rows("appointments", 1_048_576)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clearlib._exceptions.ConfigError: the appointments table has 1,048,576 rows or more, ...
    """
    if rows > EXCEL_MAX_ROWS - 1:
        raise ConfigError(
            f"the {table} table has {rows:,} rows or more, but an Excel worksheet holds at most "
            f"{EXCEL_MAX_ROWS:,} rows including the header, so an .xlsx file would be cut short. "
            "Use --format csv (fmt='csv') instead: CSV has no row limit, and Excel's "
            "Power Query (Data > From Text/CSV) can load it into the Data Model."
        )


def _normalise_xlsx(data: bytes) -> bytes:
    """Pin the time stamps openpyxl writes (document properties and zip entries)."""
    stamp = _XLSX_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return buffer.getvalue()
