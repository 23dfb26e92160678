"""Check an extract against the data dictionary and report every problem and every rejected row.

An extract is a folder of files named for the tables of the dictionary (``patients.csv``,
``appointments.parquet``, or a folder ``appointments/`` of parts), or one such file. Every
cell is read as text first: nothing is converted silently. Each column is then checked
against its entry in the dictionary with a pandera schema built from the dictionary itself
(type, blanks, allowed values, ranges); then keys, links between tables and dates that
contradict each other are checked with pandas; then every event date is checked against the
patient's time on the list (registration, deregistration, death) and the extract window
(``WINDOWS``), as an error or a warning by how a real extract would explain it.

Row numbers count data rows: row 1 is the first row under the header. In a CSV file without
line breaks inside quoted cells, the line number (and the row number Excel shows) is one
more; ``rejected_rows`` gives both.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import pandera.pandas as pda
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pandera.errors import SchemaErrors

from clearlib._config import EXTRACT_DATE, WINDOW_START
from clearlib._exceptions import DataError, ValidationError
from clearlib.data._dictionary import DataDictionary, FieldSpec, TableSpec, data_dictionary

__all__ = ["ValidationReport", "table_as_text", "validate"]

_EXTRACT = pd.Timestamp(EXTRACT_DATE)
_WINDOW_START = pd.Timestamp(WINDOW_START)
#: An appointment up to this many days before registration is a warning (the registration is
#: often keyed in after the first visit); further back it is an error.
REGISTRATION_GRACE_DAYS = 30
_MAX_AGE = 115
_SAMPLE_ROWS = 5
_SAMPLE_VALUES = 3
_BOM = b"\xef\xbb\xbf"
_TABLE_SUFFIXES = (".csv", ".parquet")
_SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".tsv", ".txt", ".ods")

_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_DATETIME_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
_INTEGER_RE = r"[+-]?\d+"
_NUMBER_RE = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"

PROBLEM_COLUMNS = (
    "severity",
    "file",
    "table",
    "column",
    "check",
    "message",
    "expected",
    "found",
    "rows_sample",
    "n_rows",
    "advice",
)
REJECTED_COLUMNS = ("file", "table", "row", "line", "column", "check", "value", "reason")


# --------------------------------------------------------------------------------------------
# What each check means, declared as data: severity, what is wrong, what was expected, what
# to do. Templates are filled with the column, table, allowed values and linked table.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CheckText:
    severity: str
    what: str
    expected: str
    advice: str


_EXTRACT_TEXT = EXTRACT_DATE.isoformat()
_WINDOW_TEXT = WINDOW_START.isoformat()

CHECKS: dict[str, _CheckText] = {
    "date_format": _CheckText(
        "error",
        "not a date written YYYY-MM-DD",
        "a date written YYYY-MM-DD, e.g. 2025-04-03",
        "Export {column} as YYYY-MM-DD (in Excel: Format Cells > Custom > yyyy-mm-dd, then "
        "save as CSV UTF-8). clearlib never guesses whether 03/04/2025 means 3 April or 4 March.",
    ),
    "datetime_format": _CheckText(
        "error",
        "not a date and time written YYYY-MM-DD HH:MM",
        "a date and time written YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS (24-hour clock), "
        "e.g. 2025-04-03 09:30",
        "Export {column} as YYYY-MM-DD HH:MM:SS on the 24-hour clock, without a time zone.",
    ),
    "integer_format": _CheckText(
        "error",
        "not a whole number",
        "a whole number written with digits only, e.g. 3",
        "Remove decimal points, thousands separators, spaces and words from {column}.",
    ),
    "number_format": _CheckText(
        "error",
        "not a number",
        "a number written with digits and at most one decimal point, e.g. 27.4",
        "Remove units, thousands separators, spaces and words from {column}; leave the cell "
        "blank if the value was never recorded and the column allows blanks.",
    ),
    "boolean_format": _CheckText(
        "error",
        "not true or false",
        "true or false",
        "Write true or false in {column} (not Y/N, yes/no or 1/0).",
    ),
    "allowed_values": _CheckText(
        "error",
        "not one of the allowed values",
        "one of: {allowed}",
        "Map the local codes in {column} to the dictionary's codes (clearlib.data."
        "data_dictionary() lists them); look for typos, extra spaces and capital letters.",
    ),
    "minimum": _CheckText(
        "error",
        "below the smallest allowed value",
        "{allowed}",
        "Check {column} at the source: such values are impossible or were mis-keyed.",
    ),
    "maximum": _CheckText(
        "error",
        "above the largest allowed value",
        "{allowed}",
        "Check {column} at the source: such values are impossible or were mis-keyed.",
    ),
    "blank": _CheckText(
        "error",
        "blank, but {column} must be filled in",
        "a value in every row",
        "Fill in {column} at the source, or remove the rows that cannot be completed and "
        "note how many you removed.",
    ),
    "blank_row": _CheckText(
        "warning",
        "completely empty",
        "no empty rows",
        "Nothing to do unless rows are missing: empty rows are left out. Delete them to "
        "silence this warning.",
    ),
    "duplicate_row": _CheckText(
        "error",
        "an exact copy of an earlier row",
        "each row once",
        "Delete the repeated rows: the export probably ran twice, or overlapping date "
        "ranges were joined together.",
    ),
    "duplicate_key": _CheckText(
        "error",
        "{column} also on another row",
        "a different {column} on every row",
        "Find out which of the rows is right and keep only that one: {column} must identify "
        "one row of {table}.",
    ),
    "foreign_key": _CheckText(
        "error",
        "{column} not found in {ref_table}",
        "a {column} that appears in the {ref_column} column of {ref_table}",
        "Add the missing rows to {ref_table}, or correct {column}: these rows cannot be "
        "linked to anything.",
    ),
    "birth_in_future": _CheckText(
        "error",
        "born after the extract date",
        f"a birth date on or before the extract date, {_EXTRACT_TEXT}",
        "Correct the date of birth at the source; look for the day and month swapped or a "
        "mistyped year.",
    ),
    "age_over_115": _CheckText(
        "error",
        f"older than {_MAX_AGE} on the extract date (or at death)",
        f"an age of {_MAX_AGE} or less on {_EXTRACT_TEXT} (or on the date of death)",
        "Correct the date of birth at the source (a placeholder such as 1900-01-01 is a "
        "common cause); leave no patient with an impossible age.",
    ),
    "registered_before_birth": _CheckText(
        "error",
        "registered before birth",
        "a registration date on or after the date of birth",
        "Check registered_on and birth_date at the source: one of them is wrong.",
    ),
    "deregistered_before_registered": _CheckText(
        "error",
        "deregistered before registering",
        "deregistered_on on or after registered_on",
        "Check registered_on and deregistered_on at the source: one of them is wrong.",
    ),
    "died_before_birth": _CheckText(
        "error",
        "died before birth",
        "a date of death on or after the date of birth",
        "Check died_on and birth_date at the source: one of them is wrong.",
    ),
    "died_after_extract": _CheckText(
        "error",
        "death recorded after the extract date",
        f"a date of death on or before the extract date, {_EXTRACT_TEXT}",
        "Check died_on at the source: a death cannot be recorded in the future.",
    ),
    "booked_after_start": _CheckText(
        "error",
        "booked after the appointment started",
        "booked_on on or before the day of start",
        "Check booked_on and start at the source: one of them is wrong (often day and "
        "month swapped).",
    ),
    "end_before_start": _CheckText(
        "error",
        "ends before it starts",
        "an end date on or after the start date",
        "Check start and end at the source: one of them is wrong.",
    ),
    "stopped_before_started": _CheckText(
        "error",
        "stopped before it started",
        "stopped_on on or after started_on",
        "Check started_on and stopped_on at the source: one of them is wrong.",
    ),
    "registered_after_extract": _CheckText(
        "error",
        "registered after the extract date",
        f"a registration date on or before the extract date, {_EXTRACT_TEXT}",
        "Check registered_on at the source: a patient registered after the extract was taken "
        "cannot be in it (look for day and month swapped).",
    ),
    "deregistered_after_extract": _CheckText(
        "error",
        "deregistered after the extract date",
        f"a deregistration date on or before the extract date, {_EXTRACT_TEXT}",
        "Check deregistered_on at the source: a planned removal is not a deregistration; leave "
        "it blank until it has happened.",
    ),
    "after_extract": _CheckText(
        "error",
        "{column} after the extract date",
        f"{{column}} on or before the extract date, {_EXTRACT_TEXT}",
        "Check {column} at the source (often day and month swapped). Nothing can have happened "
        "after the extract was taken: future bookings belong in no extract of activity.",
    ),
    "before_window": _CheckText(
        "warning",
        "{column} before the extract window",
        f"{{column}} on or after {_WINDOW_TEXT}, the first day of the two financial years "
        "the workbooks analyse",
        "Nothing to fix if the export covered a longer period: these rows fall in no financial "
        "year of the analysis. Export from the start of the window to silence this warning.",
    ),
    "before_registration": _CheckText(
        "error",
        f"{{column}} more than {REGISTRATION_GRACE_DAYS} days before the patient registered",
        f"{{column}} on or after registered_on (up to {REGISTRATION_GRACE_DAYS} days before "
        "is a warning)",
        "Check registered_on in patients and {column} here: the practice cannot have seen a "
        "patient long before they joined its list. A re-registration that overwrote the first "
        "registration date is a common cause: export the first registration date.",
    ),
    "shortly_before_registration": _CheckText(
        "warning",
        f"{{column}} up to {REGISTRATION_GRACE_DAYS} days before the patient registered",
        "{column} on or after registered_on",
        "Nothing to fix if the registration was keyed in after the first visit (a new "
        "patient or a temporary resident); otherwise check registered_on in patients.",
    ),
    "hospital_before_registration": _CheckText(
        "warning",
        "{column} before the patient registered with the practice",
        "{column} on or after registered_on",
        "Nothing to fix if the hospital data follows the patient's NHS number across "
        "practices: these events belong to the time before they joined. Leave them out of "
        "the practice's activity.",
    ),
    "after_deregistration": _CheckText(
        "error",
        "{column} after the patient left the practice",
        "{column} on or before deregistered_on",
        "Check deregistered_on in patients and {column} here: the practice cannot record care "
        "after the patient left its list (a re-registration may have been exported with the "
        "old deregistration date).",
    ),
    "missed_after_deregistration": _CheckText(
        "warning",
        "a missed or cancelled appointment after the patient left the practice",
        "appointments on or before deregistered_on",
        "Nothing to fix if the appointment was booked before the patient left and never "
        "removed from the book; leave such rows out of DNA rates.",
    ),
    "hospital_after_deregistration": _CheckText(
        "warning",
        "{column} after the patient left the practice",
        "{column} on or before deregistered_on",
        "Nothing to fix if the hospital data follows the patient's NHS number: these events "
        "belong to their new practice. Leave them out of this practice's activity.",
    ),
    "after_death": _CheckText(
        "error",
        "{column} after the patient died",
        "{column} on or before died_on",
        "Check died_on in patients and {column} here: nothing can be recorded for a patient "
        "after their death (look for the wrong patient, or day and month swapped).",
    ),
    "missed_after_death": _CheckText(
        "warning",
        "a missed or cancelled appointment after the patient died",
        "appointments on or before died_on",
        "Nothing to fix if the appointment was booked before the death and never removed "
        "from the book; leave such rows out of DNA rates.",
    ),
    "empty_table": _CheckText(
        "error",
        "table {table} is present but has no rows",
        "at least one data row under the header",
        "Run the export again and check its date range and filters: a search that found "
        "nothing writes only a header. Leave the file out if the table is not available.",
    ),
    "bom": _CheckText(
        "warning",
        "the file starts with a byte-order mark (BOM)",
        "UTF-8 text without a byte-order mark",
        "Nothing to do: clearlib removed the mark before reading the header. Other tools may "
        "read the first column name wrongly; save as plain UTF-8 to avoid that.",
    ),
    "not_utf8": _CheckText(
        "error",
        "characters that are not UTF-8 text (shown as \ufffd)",
        "UTF-8 text",
        "Save the file again as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8), then "
        "check the accented letters and symbols in these rows.",
    ),
    "missing_column": _CheckText(
        "error",
        "missing column {column}",
        "a column called {column}",
        "Rename or add the column so the header reads exactly {column}; its cells were not "
        "checked.",
    ),
    "unexpected_column": _CheckText(
        "warning",
        "column {column} is not in the data dictionary",
        "only the dictionary's columns: {allowed}",
        "Nothing to do if the column is extra: it was not checked. If it holds one of the "
        "dictionary's columns under another name, rename it.",
    ),
    "unreadable_file": _CheckText(
        "error",
        "the file could not be read",
        "a CSV file with a header row, or a Parquet file",
        "Open the file in a text editor or Excel, fix the problem described, and save it "
        "again as CSV UTF-8.",
    ),
    "missing_table": _CheckText(
        "warning",
        "no file for table {table}",
        "a file {table}.csv or {table}.parquet, or a folder {table}/",
        "Add the table if you have it; checks on it, and links to it from other tables, "
        "were skipped.",
    ),
    "unrecognised_file": _CheckText(
        "warning",
        "the file name is not a table of the data dictionary",
        "files named for the tables: {allowed}",
        "Rename the file if it holds one of the tables; otherwise it was ignored.",
    ),
    "no_tables": _CheckText(
        "error",
        "no table files were found",
        "files named for the tables: {allowed}",
        "Point clearlib at the folder that holds the extract's CSV or Parquet files, named "
        "for the tables (patients.csv, appointments.csv, ...).",
    ),
}

#: Column names that clinical systems use for the dictionary's columns (normalised: lower
#: case, words joined by ``_``). Used only to suggest a fix, never to rename silently.
ALIASES: dict[str, str] = {
    "nhs_number": "patient_id",
    "nhs_no": "patient_id",
    "patientid": "patient_id",
    "patient": "patient_id",
    "patient_number": "patient_id",
    "dob": "birth_date",
    "date_of_birth": "birth_date",
    "gender": "sex",
    "date_of_death": "died_on",
    "dod": "died_on",
    "registration_date": "registered_on",
    "appointment_date": "start",
    "appointment_datetime": "start",
    "appointment_start": "start",
    "slot_start": "start",
    "booking_date": "booked_on",
    "date_booked": "booked_on",
    "diagnosis_date": "diagnosed_on",
    "date_diagnosed": "diagnosed_on",
    "admission_date": "start",
    "discharge_date": "end",
    "ods_code": "practice_code",
    "practice": "practice_code",
    "clinician_id": "staff_id",
    "appointment_status": "status",
}


# --------------------------------------------------------------------------------------------
# Parsing text: strict ISO dates, digits-only numbers. Blank cells are NaN before these run.
# --------------------------------------------------------------------------------------------
def _parse_date(s: pd.Series) -> pd.Series:
    ok = s.str.fullmatch(_DATE_RE).fillna(False).astype(bool)
    return pd.to_datetime(s.where(ok), format="%Y-%m-%d", errors="coerce")


def _parse_datetime(s: pd.Series) -> pd.Series:
    ok = s.str.fullmatch(_DATETIME_RE).fillna(False).astype(bool)
    return pd.to_datetime(s.where(ok), format="ISO8601", errors="coerce")


def _parse_number(s: pd.Series, pattern: str = _NUMBER_RE) -> pd.Series:
    ok = s.str.fullmatch(pattern).fillna(False).astype(bool)
    return pd.to_numeric(s.where(ok), errors="coerce")


def _parse(s: pd.Series, kind: str) -> pd.Series:
    if kind == "date":
        return _parse_date(s)
    if kind == "datetime":
        return _parse_datetime(s)
    if kind == "integer":
        return _parse_number(s, _INTEGER_RE)
    if kind == "number":
        return _parse_number(s)
    return s


# --------------------------------------------------------------------------------------------
# pandera schemas, built from the dictionary (never written by hand per table).
# --------------------------------------------------------------------------------------------
def _type_check(f: FieldSpec) -> pda.Check | None:
    kind = f.type
    if kind == "boolean":
        allowed = [*f.true_values, *f.false_values]
        return pda.Check(lambda s: s.isin(allowed), name="boolean_format")
    if kind in ("date", "datetime"):
        return pda.Check(lambda s: _parse(s, kind).notna(), name=f"{kind}_format")
    if kind == "integer":
        return pda.Check(
            lambda s: s.str.fullmatch(_INTEGER_RE).fillna(False).astype(bool),
            name="integer_format",
        )
    if kind == "number":
        return pda.Check(
            lambda s: s.str.fullmatch(_NUMBER_RE).fillna(False).astype(bool),
            name="number_format",
        )
    return None


def _field_checks(f: FieldSpec) -> list[pda.Check]:
    checks = []
    type_check = _type_check(f)
    if type_check is not None:
        checks.append(type_check)
    if f.enum is not None:
        allowed = list(f.enum)
        checks.append(pda.Check(lambda s: s.isin(allowed), name="allowed_values"))
    kind = f.type
    if f.minimum is not None:
        low = f.minimum
        checks.append(pda.Check(lambda s: ~(_parse(s, kind) < low), name="minimum"))
    if f.exclusive_minimum is not None:
        above = f.exclusive_minimum
        checks.append(pda.Check(lambda s: ~(_parse(s, kind) <= above), name="minimum"))
    if f.maximum is not None:
        high = f.maximum
        checks.append(pda.Check(lambda s: ~(_parse(s, kind) > high), name="maximum"))
    return checks


@cache
def _schema(table: TableSpec) -> pda.DataFrameSchema:
    columns = {
        f.name: pda.Column(
            None,
            checks=_field_checks(f),
            nullable=not f.required,
            required=False,
            name=f.name,
        )
        for f in table.fields
    }
    return pda.DataFrameSchema(columns, strict=False, name=table.name)


# --------------------------------------------------------------------------------------------
# Checks across columns: declared as data (table, name, blamed column, columns read, test).
# --------------------------------------------------------------------------------------------
Parsed = Mapping[str, pd.Series]


@dataclass(frozen=True)
class _Rule:
    table: str
    check: str
    column: str
    uses: tuple[str, ...]
    find: Callable[[Parsed], pd.Series]


def _age(birth: pd.Series, at: pd.Series) -> pd.Series:
    years = at.dt.year - birth.dt.year
    before_birthday = (at.dt.month * 100 + at.dt.day) < (birth.dt.month * 100 + birth.dt.day)
    return years - before_birthday.astype(int)


def _birth_in_future(p: Parsed) -> pd.Series:
    return p["birth_date"] > _EXTRACT


def _age_over_max(p: Parsed) -> pd.Series:
    at = p["died_on"].fillna(_EXTRACT) if "died_on" in p else _EXTRACT
    if not isinstance(at, pd.Series):
        at = pd.Series(at, index=p["birth_date"].index)
    return _age(p["birth_date"], at) > _MAX_AGE


def _birth_trusted(p: Parsed) -> pd.Series:
    # A birth date already reported as impossible is the likelier culprit: do not also blame
    # the dates compared with it.
    return ~(_birth_in_future(p) | _age_over_max(p))


RULES: tuple[_Rule, ...] = (
    _Rule("patients", "birth_in_future", "birth_date", ("birth_date",), _birth_in_future),
    _Rule("patients", "age_over_115", "birth_date", ("birth_date",), _age_over_max),
    _Rule(
        "patients",
        "registered_before_birth",
        "registered_on",
        ("registered_on", "birth_date"),
        lambda p: (p["registered_on"] < p["birth_date"]) & _birth_trusted(p),
    ),
    _Rule(
        "patients",
        "died_before_birth",
        "died_on",
        ("died_on", "birth_date"),
        lambda p: (p["died_on"] < p["birth_date"]) & _birth_trusted(p),
    ),
    _Rule(
        "patients",
        "died_after_extract",
        "died_on",
        ("died_on",),
        lambda p: p["died_on"] > _EXTRACT,
    ),
    _Rule(
        "patients",
        "registered_after_extract",
        "registered_on",
        ("registered_on",),
        lambda p: p["registered_on"] > _EXTRACT,
    ),
    _Rule(
        "patients",
        "deregistered_after_extract",
        "deregistered_on",
        ("deregistered_on",),
        lambda p: p["deregistered_on"] > _EXTRACT,
    ),
    _Rule(
        "patients",
        "deregistered_before_registered",
        "deregistered_on",
        ("deregistered_on", "registered_on"),
        lambda p: p["deregistered_on"] < p["registered_on"],
    ),
    _Rule(
        "appointments",
        "booked_after_start",
        "booked_on",
        ("booked_on", "start"),
        lambda p: p["booked_on"] > p["start"].dt.normalize(),
    ),
    _Rule(
        "hospital_events",
        "end_before_start",
        "end",
        ("end", "start"),
        lambda p: p["end"] < p["start"],
    ),
    _Rule(
        "medications",
        "stopped_before_started",
        "stopped_on",
        ("stopped_on", "started_on"),
        lambda p: p["stopped_on"] < p["started_on"],
    ),
)


# --------------------------------------------------------------------------------------------
# Reading files as text.
# --------------------------------------------------------------------------------------------
def _arrow_text(column: pa.ChunkedArray | pa.Array, kind: str | None) -> pa.ChunkedArray:
    """Write a typed Arrow column as the text a CSV export of it would hold."""
    arr = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = pc.cast(arr, t.value_type)
        t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pc.cast(arr, pa.string())
    if pa.types.is_timestamp(t):
        if kind == "date" and bool(pc.all(pc.equal(pc.floor_temporal(arr, unit="day"), arr))):
            return pc.strftime(arr, format="%Y-%m-%d")
        return pc.replace_substring_regex(pc.cast(arr, pa.string()), r"\.0+$", "")
    if pa.types.is_floating(t) and kind == "integer":
        values = arr.drop_null()
        if len(values) == 0 or bool(pc.all(pc.equal(pc.floor(values), values))):
            return pc.cast(pc.cast(arr, pa.int64()), pa.string())
    return pc.cast(arr, pa.string())


def table_as_text(df: pd.DataFrame, table: TableSpec) -> pd.DataFrame:
    """Write a typed table as the text a CSV export holds (dates YYYY-MM-DD, true/false).

    Parameters
    ----------
    df : pandas.DataFrame
        A table with any pandas dtypes (datetime64, bool, Int64, float, str...).
    table : TableSpec
        Its entry in the data dictionary (for which columns are dates and integers).

    Returns
    -------
    pandas.DataFrame
        The same columns as text (``str`` dtype); missing values are empty strings.

    Examples
    --------
    >>> from clearlib.data._dictionary import data_dictionary
    >>> df = pd.DataFrame({"event_id": ["SYN-H1"], "start": pd.to_datetime(["2025-01-02"]),
    ...                    "length_of_stay_days": [3.0]})
    >>> table_as_text(df, data_dictionary()["hospital_events"]).iloc[0].tolist()
    ['SYN-H1', '2025-01-02', '3']
    """
    kinds = {f.name: f.type for f in table.fields}
    out = {}
    for name in df.columns:
        arrow = pa.Array.from_pandas(df[name])
        text = _arrow_text(arrow, kinds.get(name)).to_pandas()
        out[name] = pd.Series(text, index=df.index, dtype="str").fillna("")
    return pd.DataFrame(out, index=df.index)


@dataclass
class _FileResult:
    frame: pd.DataFrame | None
    problems: list[dict[str, Any]] = field(default_factory=list)
    bad_text: list[tuple[str, np.ndarray]] | None = None  # column, rows with undecodable bytes


def _read_csv(path: Path, name: str, table: str) -> _FileResult:
    problems: list[dict[str, Any]] = []
    with path.open("rb") as fh:
        has_bom = fh.read(3) == _BOM
    options: dict[str, Any] = {
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skip_blank_lines": False,
        "encoding": "utf-8-sig" if has_bom else "utf-8",
    }
    if has_bom:
        problems.append(_file_problem("bom", name, table, found="bytes EF BB BF before the header"))
    try:
        try:
            frame = pd.read_csv(path, **options)
            bad_text = None
        except UnicodeDecodeError:
            frame = pd.read_csv(path, encoding_errors="replace", **options)
            bad_text = [
                (str(col), np.flatnonzero(frame[col].str.contains("\ufffd", regex=False)))
                for col in frame.columns
            ]
    except pd.errors.EmptyDataError:
        problems.append(
            _file_problem("unreadable_file", name, table, found="an empty file (no header row)")
        )
        return _FileResult(None, problems)
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        problems.append(_file_problem("unreadable_file", name, table, found=str(exc).strip()))
        return _FileResult(None, problems)
    return _FileResult(frame, problems, bad_text)


def _read_parquet(path: Path, name: str, spec: TableSpec) -> _FileResult:
    try:
        arrow = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        problem = _file_problem("unreadable_file", name, spec.name, found=str(exc).strip())
        return _FileResult(None, [problem])
    kinds = {f.name: f.type for f in spec.fields}
    columns = {
        col: _arrow_text(arrow.column(col), kinds.get(col))
        for col in arrow.column_names
        if not col.startswith("__index_level_")
    }
    frame = pa.table(columns).to_pandas() if columns else pd.DataFrame(index=range(arrow.num_rows))
    return _FileResult(frame)


# --------------------------------------------------------------------------------------------
# Matching a header against the dictionary.
# --------------------------------------------------------------------------------------------
def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def match_columns(
    found: list[str], expected: tuple[str, ...]
) -> tuple[dict[str, str | None], list[str]]:
    """Pair a file's header with the dictionary's columns.

    Returns ``(missing, unexpected)``: ``missing`` maps each absent dictionary column to the
    unexpected column that is probably it (or None); ``unexpected`` lists the unexpected
    columns that were not paired. Nothing is renamed: the pairs are suggestions.

    Examples
    --------
    >>> match_columns(["NHS_Number", "condition", "notes"], ("patient_id", "condition"))
    ({'patient_id': 'NHS_Number'}, ['notes'])
    >>> match_columns(["patient_idd"], ("patient_id",))
    ({'patient_id': 'patient_idd'}, [])
    """
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    pairs: dict[str, str | None] = dict.fromkeys(missing)
    unpaired = list(extra)

    def pair(col: str, target: str | None) -> None:
        if target is not None and target in pairs and pairs[target] is None:
            pairs[target] = col
            unpaired.remove(col)

    for col in extra:
        norm = _normalise(col)
        pair(col, norm if norm in pairs else ALIASES.get(norm))
    for col in list(unpaired):
        free = [m for m in missing if pairs[m] is None]
        close = difflib.get_close_matches(_normalise(col), free, n=1, cutoff=0.6)
        pair(col, close[0] if close else None)
    free = [m for m in missing if pairs[m] is None]
    if len(free) == 1 and len(unpaired) == 1:
        pair(unpaired[0], free[0])
    return pairs, unpaired


# --------------------------------------------------------------------------------------------
# Finding the files of an extract.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Source:
    path: Path
    name: str
    table: str


def _table_for(stem: str, tables: tuple[str, ...]) -> str | None:
    lowered = stem.lower()
    return lowered if lowered in tables else None


def _discover(root: Path, dd: DataDictionary) -> tuple[list[_Source], list[dict[str, Any]], bool]:
    """The table files under ``root``; problems with the layout; whether root is one file."""
    tables = tuple(dd)
    problems: list[dict[str, Any]] = []
    sources: list[_Source] = []
    listed = ", ".join(tables)
    other_folders: list[str] = []
    if root.is_file():
        table = _table_for(root.stem, tables) or _table_for(root.parent.name, tables)
        if table is None or root.suffix.lower() not in _TABLE_SUFFIXES:
            problems.append(
                _file_problem("no_tables", root.name, "", allowed=listed, found=root.name)
            )
        else:
            name = root.name if _table_for(root.stem, tables) else f"{root.parent.name}/{root.name}"
            sources.append(_Source(root, name, table))
        return sources, problems, True
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            table = _table_for(entry.name, tables)
            if table is None:
                other_folders.append(entry.name + "/")
                continue
            for part in sorted(entry.rglob("*")):
                if part.is_file() and part.suffix.lower() in _TABLE_SUFFIXES:
                    rel = part.relative_to(root).as_posix()
                    sources.append(_Source(part, rel, table))
            continue
        suffix = entry.suffix.lower()
        if suffix not in _TABLE_SUFFIXES + _SPREADSHEET_SUFFIXES:
            continue
        table = _table_for(entry.stem, tables)
        if table is not None and suffix in _TABLE_SUFFIXES:
            sources.append(_Source(entry, entry.name, table))
            continue
        close = difflib.get_close_matches(_normalise(entry.stem), tables, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}.csv?)" if close else ""
        if table is not None:
            hint = f" (save it as {table}.csv, UTF-8)"
        problems.append(
            _file_problem(
                "unrecognised_file", entry.name, "", allowed=listed, found=entry.name + hint
            )
        )
    if not sources:
        found = "no file or folder named for a table"
        if other_folders:
            found += f" (folders not searched: {', '.join(other_folders)})"
        problems.append(_file_problem("no_tables", root.name, "", allowed=listed, found=found))
    else:
        present = {s.table for s in sources}
        for table in tables:
            if table not in present:
                problems.append(_file_problem("missing_table", "", table, found="no file"))
    return sources, problems, False


# --------------------------------------------------------------------------------------------
# Problems and rejections.
# --------------------------------------------------------------------------------------------
def _file_problem(
    check: str,
    file: str,
    table: str,
    *,
    column: str = "",
    found: str = "",
    n_rows: int = 0,
    message: str | None = None,
    allowed: str = "",
) -> dict[str, Any]:
    text = CHECKS[check]
    ctx = {"column": column, "table": table, "allowed": allowed}
    return {
        "severity": text.severity,
        "file": file,
        "table": table,
        "column": column,
        "check": check,
        "message": message or text.what.format(**ctx),
        "expected": text.expected.format(**ctx),
        "found": found,
        "rows_sample": "",
        "n_rows": n_rows,
        "advice": text.advice.format(**ctx),
    }


def _context(spec: TableSpec, column: str, check: str) -> dict[str, str]:
    ctx = {"column": column, "table": spec.name, "allowed": "", "ref_table": "", "ref_column": ""}
    if column in spec.field_names:
        allowed = spec.field(column).allowed()
        if check == "allowed_values" and spec.field(column).enum and len(allowed) > 200:
            enum = spec.field(column).enum or ()
            allowed = ", ".join(enum[:8]) + f", ... ({len(enum)} codes; see the data dictionary)"
        ctx["allowed"] = allowed
    if check == "foreign_key":
        for fk in spec.foreign_keys:
            if ", ".join(fk.fields) == column:
                ctx["ref_table"] = fk.table
                ctx["ref_column"] = ", ".join(fk.reference_fields)
    return ctx


def _quote(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return "(blank)"
    return repr(str(value))


@dataclass
class _Table:
    """One table's text, all its files stacked, with where each row came from."""

    spec: TableSpec
    frame: pd.DataFrame
    files: list[str]
    file_code: np.ndarray
    row: np.ndarray
    csv_file: list[bool]
    columns: list[str]  # dictionary columns present in at least one file
    absent: dict[str, set[int]]  # dictionary column -> files without it


def _rejections(
    table: _Table, pos: np.ndarray, column: str, check: str, value: Any
) -> pd.DataFrame:
    values = value if isinstance(value, pd.Series | np.ndarray) else [value] * len(pos)
    return pd.DataFrame(
        {
            "table": table.spec.name,
            "pos": np.asarray(pos, dtype=np.int64),
            "column": column,
            "check": check,
            "value": pd.Series(np.asarray(values, dtype=object), dtype="str").fillna(""),
        }
    )


# --------------------------------------------------------------------------------------------
# The checks.
# --------------------------------------------------------------------------------------------
def _load_table(
    spec: TableSpec, sources: list[_Source], problems: list[dict[str, Any]], rej: list[pd.DataFrame]
) -> _Table | None:
    frames: list[pd.DataFrame] = []
    files: list[str] = []
    csv_file: list[bool] = []
    absent: dict[str, set[int]] = {}
    bad_text: list[tuple[int, str, np.ndarray]] = []
    expected = spec.field_names
    for src in sources:
        is_csv = src.path.suffix.lower() == ".csv"
        result = (
            _read_csv(src.path, src.name, spec.name)
            if is_csv
            else _read_parquet(src.path, src.name, spec)
        )
        problems.extend(result.problems)
        if result.frame is None:
            continue
        frame = result.frame
        code = len(files)
        files.append(src.name)
        csv_file.append(is_csv)
        header = [str(c) for c in frame.columns]
        pairs, unexpected = match_columns(header, expected)
        n = len(frame)
        for col, guess in pairs.items():
            absent.setdefault(col, set()).add(code)
            message = f"missing column {col}"
            found = "(no such column)"
            if guess is not None:
                message += f"; found unexpected column {guess} — did you mean {col}?"
                found = guess
            problems.append(
                _file_problem(
                    "missing_column",
                    src.name,
                    spec.name,
                    column=col,
                    found=found,
                    n_rows=n,
                    message=message,
                )
            )
        for col in unexpected:
            problems.append(
                _file_problem(
                    "unexpected_column",
                    src.name,
                    spec.name,
                    column=col,
                    found=col,
                    n_rows=n,
                    allowed=", ".join(expected),
                )
            )
        for column, rows in result.bad_text or []:
            if len(rows):
                bad_text.append((code, column, rows))
        frames.append(frame)
    if not frames:
        return None
    sizes = [len(f) for f in frames]
    stacked = (
        pd.concat(frames, ignore_index=True, sort=False)
        if len(frames) > 1
        else frames[0].reset_index(drop=True)
    )
    file_code = np.repeat(np.arange(len(frames)), sizes)
    row = np.concatenate([np.arange(1, n + 1) for n in sizes]) if sizes else np.array([], dtype=int)
    columns = [c for c in expected if c in stacked.columns]
    table = _Table(spec, stacked, files, file_code, row, csv_file, columns, absent)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for code, column, rows in bad_text:
        pos = rows + offsets[code]
        values = stacked[column].to_numpy(dtype=object)[pos]
        rej.append(_rejections(table, pos, column, "not_utf8", values))
    return table


def _blank_mask(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: frame[c].isna().to_numpy()
            | frame[c].str.strip().eq("").fillna(False).to_numpy(dtype=bool)
            for c in frame.columns
        },
        index=frame.index,
    )


def _check_table(table: _Table, rej: list[pd.DataFrame]) -> pd.DataFrame:
    """Per-column checks (pandera), blank rows, duplicates and cross-column rules.

    Returns the table's dictionary columns with blanks as NaN (used for links between tables).
    """
    spec = table.spec
    raw = table.frame
    blanks = _blank_mask(raw)
    empty_row = blanks.all(axis=1).to_numpy() if len(raw.columns) else np.zeros(len(raw), bool)
    if empty_row.any():
        rej.append(_rejections(table, np.flatnonzero(empty_row), "", "blank_row", ""))
    keep = ~empty_row
    cols = table.columns
    text = raw[cols].mask(blanks[cols])

    # 1. Each column against its entry in the dictionary (pandera, every failure at once).
    checked = text.loc[keep]
    if cols and len(checked):
        try:
            _schema(spec).validate(checked, lazy=True)
        except SchemaErrors as exc:
            fc = exc.failure_cases
            fc = fc[fc["column"].isin(cols)]
            crashed = fc[fc["index"].isna()]
            if len(crashed):
                first = crashed.iloc[0]
                raise DataError(
                    f"clearlib could not run the check {first['check']} on {spec.name}."
                    f"{first['column']} ({first['failure_case']}). This is a fault in clearlib, "
                    "not in your data: please report it with the file's header row."
                ) from exc
            for (column, check), group in fc.groupby(["column", "check"], sort=False):
                pos = group["index"].to_numpy(dtype=np.int64)
                name = "blank" if check == "not_nullable" else str(check)
                absent = table.absent.get(str(column), set())
                if absent:
                    pos = pos[~np.isin(table.file_code[pos], list(absent))]
                if len(pos):
                    values = raw[str(column)].to_numpy(dtype=object)[pos]
                    rej.append(_rejections(table, pos, str(column), name, values))

    # 2. Exact duplicate rows (every column as written), then duplicated keys.
    dup_row = np.zeros(len(raw), dtype=bool)
    kept = np.flatnonzero(keep)
    if len(raw.columns) and len(kept) > 1:
        hashes = pd.util.hash_pandas_object(raw.iloc[kept].fillna(""), index=False).to_numpy()
        later = pd.Series(hashes).duplicated(keep="first").to_numpy()
        if later.any():
            first = pd.Series(kept).groupby(hashes).transform("first").to_numpy()
            pos, first_pos = kept[later], first[later]
            # Equal hashes are checked cell by cell, so a hash collision cannot pass as a copy.
            same = (
                raw.iloc[pos].fillna("").to_numpy() == raw.iloc[first_pos].fillna("").to_numpy()
            ).all(axis=1)
            pos, first_pos = pos[same], first_pos[same]
            dup_row[pos] = True
            labels = [
                f"same as row {table.row[f]}"
                + (
                    ""
                    if table.file_code[f] == table.file_code[p]
                    else f" of {table.files[table.file_code[f]]}"
                )
                for p, f in zip(pos, first_pos, strict=True)
            ]
            if len(pos):
                rej.append(
                    _rejections(table, pos, "", "duplicate_row", np.array(labels, dtype=object))
                )
    keys = []
    if spec.primary_key:
        keys.append(spec.primary_key)
    keys += [(f.name,) for f in spec.fields if f.unique and (f.name,) not in keys]
    for key in keys:
        if not all(k in cols for k in key):
            continue
        usable = keep & ~dup_row & text[list(key)].notna().all(axis=1).to_numpy()
        sub = text.loc[usable, list(key)]
        clash = sub.duplicated(keep=False).to_numpy()
        if clash.any():
            pos = np.flatnonzero(usable)[clash]
            values = sub[clash].astype(str).agg(", ".join, axis=1).to_numpy(dtype=object)
            rej.append(_rejections(table, pos, ", ".join(key), "duplicate_key", values))

    # 3. Dates and values that contradict each other within a row.
    rules = [r for r in RULES if r.table == spec.name and all(c in cols for c in r.uses)]
    if rules:
        needed = {c for r in rules for c in r.uses}
        parsed = {c: _parse(text[c], spec.field(c).type) for c in needed}
        for rule in rules:
            bad = rule.find(parsed).fillna(False).to_numpy(dtype=bool) & keep
            if bad.any():
                pos = np.flatnonzero(bad)
                if len(rule.uses) == 1:
                    values = raw[rule.column].to_numpy(dtype=object)[pos]
                else:
                    shown = raw.iloc[pos][list(rule.uses)].fillna("").to_numpy(dtype=object)
                    values = np.array(
                        [
                            "; ".join(f"{c}={v}" for c, v in zip(rule.uses, row, strict=True))
                            for row in shown
                        ],
                        dtype=object,
                    )
                rej.append(_rejections(table, pos, rule.column, rule.check, values))
    text.loc[~keep, :] = np.nan
    return text


def _isin(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """``values.isin(allowed)`` for text, computed by Arrow (pandas' path is slow for many)."""
    as_text = pa.array(values.astype("str"), from_pandas=True)
    value_set = pa.array(allowed.dropna().astype("str").unique(), type=pa.string())
    found = pc.is_in(pc.cast(as_text, pa.string()), value_set=value_set)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _check_links(
    tables: dict[str, _Table], texts: dict[str, pd.DataFrame], rej: list[pd.DataFrame]
) -> list[str]:
    notes = []
    for name, table in tables.items():
        text = texts[name]
        for fk in table.spec.foreign_keys:
            cols = list(fk.fields)
            if not all(c in table.columns for c in cols):
                continue
            target = tables.get(fk.table)
            if target is None or not all(c in target.columns for c in fk.reference_fields):
                notes.append(
                    f"Links from {name}.{', '.join(cols)} to {fk.table} were not checked: "
                    f"{fk.table} (or its {', '.join(fk.reference_fields)} column) is not in the extract."
                )
                continue
            ref = texts[fk.table][list(fk.reference_fields)].dropna()
            child = text[cols]
            filled = child.notna().all(axis=1).to_numpy()
            if len(cols) == 1:
                found = _isin(child[cols[0]], ref.iloc[:, 0])
            else:
                found = pd.MultiIndex.from_frame(child).isin(pd.MultiIndex.from_frame(ref))
            orphan = filled & ~found
            if orphan.any():
                pos = np.flatnonzero(orphan)
                values = child.iloc[pos].astype(str).agg(", ".join, axis=1).to_numpy(dtype=object)
                rej.append(_rejections(table, pos, ", ".join(cols), "foreign_key", values))
    return notes


# --------------------------------------------------------------------------------------------
# Event dates against the patient's time on the list and the extract window, declared as data.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Window:
    """Rows of ``table`` whose ``column`` falls on the wrong side of ``bound``.

    ``bound`` is a patients column (``registered_on``, ``deregistered_on``, ``died_on``) or
    ``extract`` (the extract date) or ``window_start``. ``side`` is ``before`` or ``after``.
    A row counts when the gap in days is in ``[min_days, max_days]``; ``missed`` limits
    appointment rules to DNA and cancelled rows (True) or to the others (False).
    """

    table: str
    column: str
    check: str
    bound: str
    side: str
    min_days: int = 1
    max_days: int | None = None
    missed: bool | None = None


_GRACE = REGISTRATION_GRACE_DAYS
_MISSED_STATUSES = ("dna", "cancelled")

WINDOWS: tuple[_Window, ...] = (
    _Window("appointments", "start", "after_extract", "extract", "after"),
    _Window("appointments", "start", "before_window", "window_start", "before"),
    _Window("appointments", "start", "before_registration", "registered_on", "before", _GRACE + 1),
    _Window(
        "appointments", "start", "shortly_before_registration", "registered_on", "before", 1, _GRACE
    ),
    _Window(
        "appointments", "start", "after_deregistration", "deregistered_on", "after", missed=False
    ),
    _Window(
        "appointments",
        "start",
        "missed_after_deregistration",
        "deregistered_on",
        "after",
        missed=True,
    ),
    _Window("appointments", "start", "after_death", "died_on", "after", missed=False),
    _Window("appointments", "start", "missed_after_death", "died_on", "after", missed=True),
    _Window("hospital_events", "start", "after_extract", "extract", "after"),
    _Window("hospital_events", "start", "before_window", "window_start", "before"),
    _Window("hospital_events", "start", "hospital_before_registration", "registered_on", "before"),
    _Window(
        "hospital_events", "start", "hospital_after_deregistration", "deregistered_on", "after"
    ),
    _Window("hospital_events", "start", "after_death", "died_on", "after"),
    # Diagnoses, frailty deficits and repeat medicines may predate registration: the record
    # moves with the patient (GP2GP), so only the end of the patient's time is checked.
    _Window("conditions", "diagnosed_on", "after_extract", "extract", "after"),
    _Window("conditions", "diagnosed_on", "after_deregistration", "deregistered_on", "after"),
    _Window("conditions", "diagnosed_on", "after_death", "died_on", "after"),
    _Window("frailty_deficits", "first_recorded_on", "after_extract", "extract", "after"),
    _Window(
        "frailty_deficits", "first_recorded_on", "after_deregistration", "deregistered_on", "after"
    ),
    _Window("frailty_deficits", "first_recorded_on", "after_death", "died_on", "after"),
    _Window("medications", "started_on", "after_extract", "extract", "after"),
    _Window("medications", "stopped_on", "after_extract", "extract", "after"),
    _Window("medications", "started_on", "after_deregistration", "deregistered_on", "after"),
    _Window("medications", "started_on", "after_death", "died_on", "after"),
)

_FIXED_BOUNDS = {
    "extract": (_EXTRACT, _EXTRACT_TEXT),
    "window_start": (_WINDOW_START, _WINDOW_TEXT),
}


def _trusted_patients(
    tables: dict[str, _Table], texts: dict[str, pd.DataFrame], rej: list[pd.DataFrame]
) -> pd.DataFrame | None:
    """Each patient's registration, deregistration and death (parsed and as written).

    Patients whose own row was rejected (a bad date, a duplicated identifier, death before
    birth...) are left out: their row is blamed already, so their events are not blamed too.
    """
    if "patients" not in tables:
        return None
    text = texts["patients"]
    needed = ("patient_id", "registered_on", "deregistered_on", "died_on")
    if not all(c in tables["patients"].columns for c in needed):
        return None
    rejected = [r["pos"].to_numpy() for r in rej if len(r) and r["table"].iloc[0] == "patients"]
    ok = text["patient_id"].notna().to_numpy().copy()
    if rejected:
        ok[np.concatenate(rejected)] = False
    sub = text.loc[ok, list(needed)]
    sub = sub[~sub["patient_id"].duplicated(keep=False)]
    out = pd.DataFrame(index=pd.Index(sub["patient_id"].astype("str"), name="patient_id"))
    for col in needed[1:]:
        out[col] = _parse_date(sub[col]).to_numpy()
        out[col + "_text"] = sub[col].to_numpy(dtype=object)
    return out


def _check_windows(
    tables: dict[str, _Table], texts: dict[str, pd.DataFrame], rej: list[pd.DataFrame]
) -> list[str]:
    """Event dates outside the patient's time on the list or the extract window."""
    patients = _trusted_patients(tables, texts, rej)
    notes: list[str] = []
    for name in dict.fromkeys(w.table for w in WINDOWS):
        table = tables.get(name)
        if table is None:
            continue
        text = texts[name]
        rules = [w for w in WINDOWS if w.table == name and w.column in table.columns]
        if patients is None and any(w.bound not in _FIXED_BOUNDS for w in rules):
            notes.append(
                f"Dates in {name} were not checked against each patient's registration and "
                "death: patients (with registered_on, deregistered_on and died_on) is not in "
                "the extract."
            )
        where = None
        if patients is not None and "patient_id" in table.columns:
            where = patients.index.get_indexer(text["patient_id"].astype("str"))
        missed = None
        if "status" in table.columns:
            missed = text["status"].isin(_MISSED_STATUSES).to_numpy()
        for column in dict.fromkeys(w.column for w in rules):
            kind = table.spec.field(column).type
            event = _parse(text[column], kind).dt.normalize().to_numpy()
            raw = table.frame[column].to_numpy(dtype=object)
            for w in (r for r in rules if r.column == column):
                if w.bound in _FIXED_BOUNDS:
                    bound = np.full(len(event), _FIXED_BOUNDS[w.bound][0].to_datetime64())
                    shown = np.full(len(event), _FIXED_BOUNDS[w.bound][1], dtype=object)
                    label = "extract date" if w.bound == "extract" else "window starts"
                elif where is not None and patients is not None:
                    found = where >= 0
                    bound = np.full(len(event), np.datetime64("NaT"), dtype="datetime64[ns]")
                    bound[found] = patients[w.bound].to_numpy()[where[found]]
                    shown = np.full(len(event), "", dtype=object)
                    shown[found] = patients[w.bound + "_text"].to_numpy()[where[found]]
                    label = w.bound
                else:
                    continue
                gap = (event - bound) if w.side == "after" else (bound - event)
                days = gap.astype("timedelta64[D]").astype("float64")  # NaT -> nan
                bad = days >= w.min_days
                if w.max_days is not None:
                    bad &= days <= w.max_days
                if w.missed is not None:
                    is_missed = missed if missed is not None else np.zeros(len(event), bool)
                    bad &= is_missed if w.missed else ~is_missed
                if bad.any():
                    pos = np.flatnonzero(bad)
                    values = np.array(
                        [f"{column}={raw[i]}; {label}={shown[i]}" for i in pos], dtype=object
                    )
                    rej.append(_rejections(table, pos, column, w.check, values))
    return notes


def _reason(check: str, ctx: dict[str, str]) -> str:
    return CHECKS[check].what.format(**ctx)


def _collect(
    tables: dict[str, _Table], rej: list[pd.DataFrame], dd: DataDictionary
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Rejected rows (one line per row and reason) and the problems that summarise them."""
    if not rej:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECTED_COLUMNS}), []
    parts = []
    for name, group in pd.concat(rej, ignore_index=True).groupby("table", sort=False):
        table = tables[str(name)]
        pos = group["pos"].to_numpy()
        code = table.file_code[pos]
        rows = table.row[pos]
        is_csv = np.asarray(table.csv_file)[code]
        part = pd.DataFrame(
            {
                "file": np.asarray(table.files, dtype=object)[code],
                "table": str(name),
                "row": rows,
                "line": pd.array(np.where(is_csv, rows + 1, 0), dtype="Int64"),
                "column": group["column"].to_numpy(),
                "check": group["check"].to_numpy(),
                "value": group["value"].to_numpy(),
                "order": [list(dd).index(str(name))] * len(group),
            }
        )
        part.loc[~is_csv, "line"] = pd.NA
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    problems = []
    reasons = pd.Series("", index=out.index, dtype="str")
    for (file, tname, column, check), group in out.groupby(
        ["file", "table", "column", "check"], sort=False
    ):
        spec = tables[str(tname)].spec
        ctx = _context(spec, str(column), str(check))
        text = CHECKS[str(check)]
        reason = _reason(str(check), ctx)
        reasons.loc[group.index] = reason
        rows = np.unique(group["row"].to_numpy())
        examples = list(dict.fromkeys(group["value"].tolist()))[:_SAMPLE_VALUES]
        n = len(rows)
        problems.append(
            {
                "severity": text.severity,
                "file": file,
                "table": tname,
                "column": column,
                "check": check,
                "message": f"{n:,} {'row' if n == 1 else 'rows'}: {reason}",
                "expected": text.expected.format(**ctx),
                "found": ", ".join(_quote(v) for v in examples),
                "rows_sample": ", ".join(str(r) for r in rows[:_SAMPLE_ROWS]),
                "n_rows": n,
                "advice": text.advice.format(**ctx),
            }
        )
    out["reason"] = reasons
    out = out.sort_values(["order", "file", "row", "column", "check"], kind="stable")
    out = out.drop(columns="order").reset_index(drop=True)
    return out[list(REJECTED_COLUMNS)], problems


# --------------------------------------------------------------------------------------------
# The report.
# --------------------------------------------------------------------------------------------
def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _rows_text(sample: str, n_rows: int) -> str:
    if not sample:
        return f"all {n_rows:,} rows of the file" if n_rows else ""
    return sample + (f" and {n_rows - _SAMPLE_ROWS:,} more" if n_rows > _SAMPLE_ROWS else "")


@dataclass(frozen=True, repr=False)
class ValidationReport:
    """Every problem found in an extract, and every row rejected.

    Attributes
    ----------
    path : pathlib.Path
        The folder or file that was checked.
    problems : pandas.DataFrame
        One row per problem: ``severity`` (``error`` or ``warning``), ``file``, ``table``,
        ``column``, ``check``, ``message``, ``expected``, ``found`` (a few example values),
        ``rows_sample`` (the first few row numbers), ``n_rows`` and ``advice``.
    rejected_rows : pandas.DataFrame
        One line per rejected row and reason: ``file``, ``table``, ``row`` (data row; row 1
        is the first row under the header), ``line`` (line in a CSV file, which is also the
        row number Excel shows; blank for Parquet), ``column``, ``check``, ``value`` and
        ``reason``. Nothing is dropped silently: every row not loaded is here.
    files : pandas.DataFrame
        The files read: ``file``, ``table``, ``format``, ``rows``.
    notes : tuple of str
        Checks that could not be run, and why.
    """

    path: Path
    problems: pd.DataFrame
    rejected_rows: pd.DataFrame
    files: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True if there are no errors (warnings are allowed)."""
        return not bool(self.problems["severity"].eq("error").any())

    @property
    def n_errors(self) -> int:
        """The number of error-level problems."""
        return int(self.problems["severity"].eq("error").sum())

    @property
    def n_warnings(self) -> int:
        """The number of warnings."""
        return int(self.problems["severity"].eq("warning").sum())

    def headline(self) -> str:
        """One line: valid or not, how many errors, warnings and rejected rows."""
        n_rows = int(self.files["rows"].sum()) if len(self.files) else 0
        n_rejected = self.rejected_rows.drop_duplicates(["file", "row"]).shape[0]
        checked = (
            f"{len(self.files):,} {'file' if len(self.files) == 1 else 'files'}, "
            f"{self.files['table'].nunique() if len(self.files) else 0} tables, {n_rows:,} rows"
        )
        verdict = "VALID" if self.ok else "NOT VALID"
        return (
            f"{verdict}: {self.n_errors} {'error' if self.n_errors == 1 else 'errors'}, "
            f"{self.n_warnings} {'warning' if self.n_warnings == 1 else 'warnings'}, "
            f"{n_rejected:,} rows rejected ({checked} checked in {self.path})."
        )

    def summary(self, max_problems: int = 30) -> str:
        """The report in plain words: every problem with its rows, examples and what to do.

        Parameters
        ----------
        max_problems : int, default 30
            Show at most this many problems (the CSV files from :meth:`to_csv` hold them all).
        """
        lines = [self.headline()]
        if len(self.rejected_rows):
            lines.append(
                "Row numbers count data rows: row 1 is the first row under the header "
                "(in Excel it is row 2). Every rejected row is listed in rejected_rows."
            )
        for i, p in enumerate(self.problems.head(max_problems).itertuples(index=False), 1):
            where = ", ".join(
                part
                for part in (
                    p.file,
                    f"table {p.table}" if p.table else "",
                    f"column {p.column}" if p.column else "",
                )
                if part
            )
            lines.append("")
            lines.append(_sentence(f"{i}. {p.severity.upper()} in {where}: {p.message}"))
            rows = _rows_text(p.rows_sample, p.n_rows)
            if rows:
                lines.append(_sentence(f"   Rows: {rows}"))
            lines.append(_sentence(f"   Expected: {p.expected}"))
            if p.found:
                lines.append(_sentence(f"   Found: {p.found}"))
            lines.append(f"   What to do: {p.advice}")
        if len(self.problems) > max_problems:
            lines.append("")
            lines.append(
                f"... and {len(self.problems) - max_problems} more problems: write them all "
                "with report.to_csv(folder)."
            )
        for note in self.notes:
            lines.append("")
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def to_csv(self, folder: str | Path) -> Path:
        """Write ``problems.csv`` and ``rejected_rows.csv`` (UTF-8) into ``folder``.

        Returns the folder. It is created if needed.
        """
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        self.problems.to_csv(out / "problems.csv", index=False)
        self.rejected_rows.to_csv(out / "rejected_rows.csv", index=False)
        return out

    def raise_if_invalid(self) -> Self:
        """Raise :class:`clearlib.ValidationError` (carrying this report) if there are errors.

        Returns the report unchanged when it is valid, so calls can be chained.
        """
        if not self.ok:
            raise ValidationError(self.summary(), report=self)
        return self

    def render(self, console: Any = None) -> None:
        """Print the report as a table with rich (used by ``clearlib data validate``).

        Parameters
        ----------
        console : rich.console.Console, optional
            Where to print; a new console on standard output by default.
        """
        from rich.console import Console

        (console or Console()).print(self)

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        style = "bold green" if self.ok else "bold red"
        parts: list[Any] = [Text(self.headline(), style=style)]
        if len(self.problems):
            grid = Table(show_lines=False, header_style="bold")
            for col in ("", "file", "column", "problem", "rows", "found", "what to do"):
                grid.add_column(col, overflow="fold")
            for p in self.problems.itertuples(index=False):
                mark = Text("error", "red") if p.severity == "error" else Text("warning", "yellow")
                rows = _rows_text(p.rows_sample, p.n_rows)
                grid.add_row(mark, p.file, p.column, p.message, rows, p.found, p.advice)
            parts.append(grid)
        parts.extend(Text(f"Note: {n}", style="dim") for n in self.notes)
        return Group(*parts)

    def __repr__(self) -> str:
        return f"<ValidationReport {self.headline()}>"


def validate(
    path: str | Path,
    *,
    report_path: str | Path | None = None,
    dictionary: DataDictionary | None = None,
) -> ValidationReport:
    """Check an extract against the data dictionary.

    Every cell is read as text and checked, never converted silently: a date must be written
    YYYY-MM-DD (03/04/2025 is reported, not guessed), a true/false column must hold true or
    false, codes must be the dictionary's. Keys must be unique, links between tables must
    point at rows that exist, and dates must not contradict each other (death before birth,
    booking after the appointment, discharge before admission, age over 115). Every event
    (appointment, hospital event, diagnosis, frailty deficit, repeat medicine) must fall within
    the patient's time on the list and the extract window: an appointment on the day of
    registration is fine, one up to 30 days before is a warning, one further back an error; a
    missed appointment after death is a warning, an attended one an error. A table that is
    present but has no rows is an error.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder of files named for the tables (``patients.csv``, ``patients.parquet``, or
        a folder ``patients/`` of parts), or one such file.
    report_path : str or pathlib.Path, optional
        If given, write ``problems.csv`` and ``rejected_rows.csv`` into this folder.
    dictionary : DataDictionary, optional
        The dictionary to check against; clearlib's own by default.

    Returns
    -------
    ValidationReport
        ``report.ok``, ``report.summary()``, ``report.problems``, ``report.rejected_rows``.

    Raises
    ------
    clearlib.DataError
        If ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "practices.csv").write_text(
    ...     "practice_code,pcn_code,name,list_size,imd_decile,rurality,clinical_system,care_home_beds\\n"
    ...     "SYN-G001,SYN-PCN01,Riverside,3,11,urban,EMIS Web,0\\n")
    >>> report = validate(folder / "practices.csv")
    >>> report.ok
    False
    >>> report.problems[["column", "check", "rows_sample", "found"]].to_dict("records")
    [{'column': 'imd_decile', 'check': 'maximum', 'rows_sample': '1', 'found': "'11'"}]
    """
    root = Path(path)
    if not root.exists():
        raise DataError(
            f"Expected a folder of CSV or Parquet files (or one such file) at {root}, but "
            "nothing is there. Check the path; use an absolute path if unsure."
        )
    dd = dictionary if dictionary is not None else data_dictionary()
    sources, problems, single = _discover(root, dd)
    rej: list[pd.DataFrame] = []
    tables: dict[str, _Table] = {}
    for spec in dd.tables:
        mine = [s for s in sources if s.table == spec.name]
        if mine:
            loaded = _load_table(spec, mine, problems, rej)
            if loaded is not None:
                tables[spec.name] = loaded
    texts = {name: _check_table(t, rej) for name, t in tables.items()}
    for name, t in tables.items():
        if len(t.frame) == 0:
            problems.append(
                _file_problem(
                    "empty_table",
                    ", ".join(t.files[:3]) + (" ..." if len(t.files) > 3 else ""),
                    name,
                    found="a header row and no data rows",
                )
            )
    notes = _check_links(tables, texts, rej)
    notes += _check_windows(tables, texts, rej)
    if single:
        notes = (
            ["Only one file was checked, so links to other tables were not checked."]
            if notes
            else []
        )
    rejected, row_problems = _collect(tables, rej, dd)
    order = {name: i for i, name in enumerate(dd)}
    all_problems = pd.DataFrame(problems + row_problems, columns=list(PROBLEM_COLUMNS))
    if len(all_problems):
        all_problems = (
            all_problems.assign(
                _sev=all_problems["severity"].ne("error"),
                _tab=all_problems["table"].map(order).fillna(-1),
            )
            .sort_values(["_sev", "_tab", "file"], kind="stable")
            .drop(columns=["_sev", "_tab"])
            .reset_index(drop=True)
        )
    all_problems["n_rows"] = all_problems["n_rows"].astype("int64")
    files = pd.DataFrame(
        [
            {
                "file": f,
                "table": name,
                "format": "csv" if t.csv_file[i] else "parquet",
                "rows": int((t.file_code == i).sum()),
            }
            for name, t in tables.items()
            for i, f in enumerate(t.files)
        ],
        columns=["file", "table", "format", "rows"],
    )
    report = ValidationReport(
        path=root, problems=all_problems, rejected_rows=rejected, files=files, notes=tuple(notes)
    )
    if report_path is not None:
        report.to_csv(report_path)
    return report
