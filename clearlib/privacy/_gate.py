"""The publish gate: may this table leave the project (a dashboard, a report, an email)?

Only aggregates leave a project run. ``check_publishable`` refuses a table that shows

- a **small count**: a count from 1 to 4 that is not suppressed (hidden cells are missing
  values or markers such as ``*``);
- a **patient-level identifier**: a column named like one (``patient_id``, ``nhs_number``,
  ``date_of_birth``, a name, a postcode, a record or staff id) or holding values that look
  like one (``SYN-P...`` patient ids, ``PSN-...`` pseudonyms, 10-digit NHS numbers);
- **free text from records**: a column named like notes or comments, or holding long
  sentences.

It checks what it can see. It cannot tell whether a suppressed table is also protected
against subtraction from totals: build tables with :func:`clearlib.privacy.suppress`, which
applies secondary suppression, and then check them here.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from clearlib._exceptions import DataError
from clearlib.privacy._suppress import (
    _LABEL_WORDS,
    SuppressedTable,
    _words,
    as_list,
    default_count_columns,
)

__all__ = ["SUPPRESSION_MARKERS", "PublishCheck", "check_publishable"]

#: Text that stands for a hidden count in a published table.
SUPPRESSION_MARKERS = frozenset({"*", "**", "<5", "c", "[c]", "x", "[x]", "-", "..", "suppressed"})

PROBLEM_COLUMNS = ("check", "column", "what", "rows", "n_rows", "advice")

_ID_NAMES = frozenset(
    {
        "patient_id",
        "patientid",
        "person_id",
        "personid",
        "patient",
        "nhs_number",
        "nhsnumber",
        "nhs_no",
        "nhsno",
        "nhs_num",
        "nhs",
        "chi_number",
        "mrn",
        "hospital_number",
        "pseudonym",
        "pseudo_id",
        "dob",
        "date_of_birth",
        "birth_date",
        "birthdate",
        "born_on",
        "forename",
        "forenames",
        "first_name",
        "firstname",
        "given_name",
        "surname",
        "last_name",
        "lastname",
        "family_name",
        "full_name",
        "patient_name",
        "postcode",
        "post_code",
        "address",
        "telephone",
        "phone",
        "mobile",
        "email",
    }
)
#: A column ending in ``_id`` is an identifier unless it names an organisation or area.
_ORGANISATION_WORDS = frozenset(
    {"practice", "pcn", "ccg", "icb", "ics", "region", "trust", "org", "organisation", "site"}
)
_FREE_TEXT_WORDS = frozenset(
    {
        "note",
        "notes",
        "comment",
        "comments",
        "freetext",
        "narrative",
        "letter",
        "letters",
        "remark",
        "remarks",
        "complaint",
        "history",
        "text",
    }
)
_ID_VALUE_PATTERNS = (
    (re.compile(r"^SYN-P\d{6,}$"), "synthetic patient ids (SYN-P...)"),
    (re.compile(r"^SYN-[AHS]\d{6,}$"), "record or staff ids (SYN-A..., SYN-H..., SYN-S...)"),
    (re.compile(r"^PSN-[0-9a-f]{8,}$"), "pseudonyms (PSN-...): still patient-level data"),
    (re.compile(r"^\d{3} ?\d{3} ?\d{4}$"), "10-digit numbers shaped like NHS numbers"),
)
_MAX_ROWS_SHOWN = 5


def _normal(name: Hashable) -> str:
    return "_".join(_words(name))


def _identifier_name(name: Hashable, extra: set[str]) -> str:
    """Why the column name marks an identifier, or ``""``."""
    norm = _normal(name)
    if str(name) in extra or norm in extra:
        return "named as an identifier in id_columns"
    if norm in _ID_NAMES:
        return f"the name {name!r} is that of a patient-level identifier"
    words = norm.split("_")
    if len(words) > 1 and words[-1] == "id" and not _ORGANISATION_WORDS.intersection(words):
        return f"the name {name!r} is that of a record- or person-level identifier"
    if "birth" in words or "dob" in words or "postcode" in words:
        return f"the name {name!r} suggests a date of birth or an address"
    return ""


def _is_text(s: pd.Series) -> bool:
    return (
        pd.api.types.is_string_dtype(s)
        or pd.api.types.is_object_dtype(s)
        or isinstance(s.dtype, pd.CategoricalDtype)
    )


@dataclass(frozen=True, repr=False)
class PublishCheck:
    """The verdict of the publish gate on one table.

    Attributes
    ----------
    name : str
        What the table is called in messages.
    problems : pandas.DataFrame
        One row per problem: ``check`` (``small_count``, ``identifier`` or ``free_text``),
        ``column``, ``what`` (what was found), ``rows`` (first few, row 1 = first row, with
        the index label when the index is not 0, 1, 2, ...), ``n_rows`` and ``advice``.
    count_cols : tuple
        The columns checked as counts.
    threshold : int
        Counts from 1 to ``threshold - 1`` must be hidden.
    """

    name: str
    problems: pd.DataFrame
    count_cols: tuple[Hashable, ...]
    threshold: int

    @property
    def ok(self) -> bool:
        """True if the table may be published."""
        return self.problems.empty

    def summary(self) -> str:
        """The verdict in plain words: every problem with its column, rows and what to do."""
        cols = ", ".join(map(str, self.count_cols)) or "none found"
        if self.ok:
            return (
                f"PUBLISHABLE: {self.name} shows no count from 1 to {self.threshold - 1}, no "
                f"patient-level identifier and no free text (count columns: {cols})."
            )
        n = len(self.problems)
        lines = [
            f"BLOCKED: {self.name} cannot be published: {n} problem{'s' if n != 1 else ''} "
            f"(count columns: {cols})."
        ]
        for i, p in enumerate(self.problems.itertuples(index=False), 1):
            lines.append(f"{i}. column {p.column}: {p.what}.")
            if p.rows:
                lines.append(f"   Rows: {p.rows}.")
            lines.append(f"   What to do: {p.advice}")
        return "\n".join(lines)

    def raise_if_blocked(self) -> Self:
        """Raise :class:`clearlib.DataError` with the summary if the table may not be published.

        Returns the check unchanged when the table may be published, so calls can be chained.
        """
        if not self.ok:
            raise DataError(self.summary())
        return self

    def __repr__(self) -> str:
        return f"<PublishCheck {self.summary().splitlines()[0]}>"


def _rows_text(frame: pd.DataFrame, positions: np.ndarray) -> str:
    labelled = not isinstance(frame.index, pd.RangeIndex)
    parts = [
        f"{p + 1} ({frame.index[p]})" if labelled else str(p + 1)
        for p in positions[:_MAX_ROWS_SHOWN]
    ]
    more = len(positions) - _MAX_ROWS_SHOWN
    return ", ".join(parts) + (f" and {more:,} more" if more > 0 else "")


def _count_values(s: pd.Series) -> np.ndarray | None:
    """The column as numbers (NaN = hidden), or None if it is not a count column."""
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype="float64", na_value=np.nan)
    if not _is_text(s):
        return None
    text = s.astype("str").str.strip()
    hidden = s.isna() | text.isin(SUPPRESSION_MARKERS) | text.eq("")
    numbers = pd.to_numeric(text.where(~hidden), errors="coerce")
    if numbers[~hidden].isna().any():
        return None
    return numbers.to_numpy(dtype="float64", na_value=np.nan)


def check_publishable(
    table: pd.DataFrame | pd.Series | SuppressedTable,
    *,
    count_cols: Sequence[Hashable] | Hashable | None = None,
    id_columns: Iterable[str] = (),
    threshold: int = 5,
    name: str = "the table",
) -> PublishCheck:
    """Check that a table may be published: no small counts, identifiers or free text.

    Parameters
    ----------
    table : pandas.DataFrame, pandas.Series or SuppressedTable
        The table as it would be published (for a :class:`SuppressedTable`, its ``.table``).
        The index is checked as well as the columns.
    count_cols : list of column names, optional
        The count columns. By default: those of a SuppressedTable; otherwise every numeric
        column of whole numbers whose name does not mark a label (``imd_decile``, ``year``,
        ``age_band`` ...), and every text column holding only whole numbers and suppression
        markers (``*``, ``<5``, ``c``, ``[c]``, ``x``). A label column such as a decile that
        is blocked wrongly is fixed by passing ``count_cols``.
    id_columns : list of str, optional
        More column names to refuse as identifiers (local names such as ``"EMIS number"``).
    threshold : int, default 5
        Counts from 1 to ``threshold - 1`` must be hidden.
    name : str, default "the table"
        What to call the table in the report, e.g. ``"appointments by practice"``.

    Returns
    -------
    PublishCheck
        ``.ok``, ``.problems``, ``.summary()`` and ``.raise_if_blocked()``.

    Examples
    --------
    >>> t = pd.DataFrame({"practice_code": ["SYN-G001", "SYN-G002"], "dna": [12, 3]})
    >>> check = check_publishable(t, name="DNAs by practice")
    >>> check.ok
    False
    >>> print(check.summary())  # doctest: +NORMALIZE_WHITESPACE
    BLOCKED: DNAs by practice cannot be published: 1 problem (count columns: dna).
    1. column dna: 1 count from 1 to 4 is shown.
       Rows: 2.
       What to do: Hide it with clearlib.privacy.suppress(table), which also hides the cells
       that would reveal it by subtraction, then check again.
    >>> from clearlib.privacy import suppress
    >>> check_publishable(suppress(t)).ok
    True
    """
    if isinstance(table, SuppressedTable):
        frame = table.table
        if count_cols is None:
            count_cols = list(table.count_cols)
    elif isinstance(table, pd.Series):
        frame = table.to_frame()
    elif isinstance(table, pd.DataFrame):
        frame = table
    else:
        raise DataError(
            f"check_publishable() needs a pandas DataFrame or a SuppressedTable; found "
            f"{type(table).__name__}."
        )
    extra = {str(c) for c in id_columns} | {_normal(c) for c in id_columns}
    problems: list[dict[str, Any]] = []

    # Columns to inspect for identifiers and free text: the index levels, then the columns.
    inspected: list[tuple[Hashable, pd.Series]] = []
    if not isinstance(frame.index, pd.RangeIndex):
        for i, level in enumerate(frame.index.names):
            values = pd.Series(frame.index.get_level_values(i), index=frame.index)
            inspected.append((level if level is not None else "(index)", values))
    inspected.extend((c, frame[c]) for c in frame.columns)

    # Counts.
    if count_cols is None:
        named_ids = [c for c in frame.columns if _identifier_name(c, extra)]
        numeric = default_count_columns(frame, exclude=named_ids)
        textual = [
            c
            for c in frame.columns
            if c not in numeric
            and c not in named_ids
            and _is_text(frame[c])
            and not _LABEL_WORDS.intersection(_words(c))
            and _count_values(frame[c]) is not None
            and frame[c].notna().any()
        ]
        cols = [c for c in frame.columns if c in numeric or c in textual]
    else:
        cols = as_list(count_cols)
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataError(
                f"count_cols names {missing}, not among the columns {list(frame.columns)}."
            )
    for col in cols:
        values = _count_values(frame[col])
        if values is None:
            raise DataError(
                f"Column {col!r} is not a count column: it holds text other than whole numbers "
                f"and suppression markers ({', '.join(sorted(SUPPRESSION_MARKERS))})."
            )
        small = np.flatnonzero((values >= 1) & (values < threshold))
        if len(small):
            n = len(small)
            problems.append(
                {
                    "check": "small_count",
                    "column": str(col),
                    "what": f"{n} count{'s' if n != 1 else ''} from 1 to {threshold - 1} "
                    f"{'are' if n != 1 else 'is'} shown",
                    "rows": _rows_text(frame, small),
                    "n_rows": n,
                    "advice": f"Hide {'them' if n != 1 else 'it'} with "
                    "clearlib.privacy.suppress(table), which also hides the cells that would "
                    f"reveal {'them' if n != 1 else 'it'} by subtraction, then check again.",
                }
            )

    # Identifiers and free text.
    for col, s in inspected:
        reason = _identifier_name(col, extra)
        rows = np.arange(len(s)) if reason else np.array([], dtype=int)
        if not reason and _is_text(s):
            text = s.astype("str").str.strip().where(s.notna(), "")
            for pattern, what in _ID_VALUE_PATTERNS:
                hits = np.flatnonzero(text.str.match(pattern).to_numpy(dtype=bool))
                if len(hits):
                    reason, rows = f"values look like {what}", hits
                    break
        if reason:
            problems.append(
                {
                    "check": "identifier",
                    "column": str(col),
                    "what": f"a patient-level identifier: {reason}",
                    "rows": _rows_text(frame, rows) if len(rows) < len(s) else "all",
                    "n_rows": len(rows),
                    "advice": "Remove the column: a published table holds aggregates only "
                    "(counts, rates) by practice, age band or other groups of at least 5 "
                    "people. Pseudonymised identifiers are still personal data: never publish "
                    "them either.",
                }
            )
            continue
        if not _is_text(s) or col in cols:
            continue
        text = s.dropna().astype("str")
        words = text.str.split().str.len()
        if _FREE_TEXT_WORDS.intersection(_words(col)):
            why = f"the name {col!r} suggests free text from records"
        elif len(text) and (words.median() >= 8 or text.str.len().max() >= 200):
            why = "values are long sentences, like free text from records"
        else:
            continue
        problems.append(
            {
                "check": "free_text",
                "column": str(col),
                "what": f"free text: {why}",
                "rows": "all",
                "n_rows": len(s),
                "advice": "Remove the column: free text can name people, places and events. "
                "Code it into categories and count those instead; put your own commentary in "
                "the report, not in the table.",
            }
        )

    return PublishCheck(
        name=name,
        problems=pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS)),
        count_cols=tuple(cols),
        threshold=threshold,
    )
