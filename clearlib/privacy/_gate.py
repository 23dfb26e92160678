"""The publish gate: may this table leave the project (a dashboard, a report, an email)?

Only aggregates leave a project run. ``check_publishable`` refuses, under the project's
disclosure policy (``hide-1-4`` by default; see :func:`clearlib.privacy.policy`), a table that
shows

- a **small count**: a count in the policy's hidden range (1 to 4 by default; 1 to 7 under the
  NHS and OpenSAFELY policies) that is not suppressed (hidden cells are missing values or
  markers such as ``*``);
- an **unrounded count**, under a rounding policy: a count that is not a multiple of the
  policy's base (5), so it cannot have been rounded;
- a **total that reveals a hidden cell**: a printed ``Total``/``All`` row or column whose line
  holds exactly one hidden cell, which the total minus the other cells gives back;
- a **patient-level identifier**: a column named like one (``patient_id``, ``nhs_number``,
  ``date_of_birth``, a name, a postcode, a record or staff id) or holding values that look
  like one (``SYN-P...`` patient ids, ``PSN-...`` pseudonyms, 10-digit NHS numbers);
- **free text from records**: a column named like notes or comments, or holding long
  sentences.

It checks what it can see. It cannot tell whether a suppressed table is also protected
against subtraction from totals printed elsewhere: build tables with
:func:`clearlib.privacy.suppress`, which applies secondary suppression, and then check them
here. :func:`check_number` gates one number (a headline count in a summary) the same way.

No message ever prints a value from the table: only the table's name, columns and rows.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from clearlib._exceptions import DataError
from clearlib.privacy._policy import DEFAULT_POLICY, POLICIES, Policy, resolve
from clearlib.privacy._suppress import (
    _LABEL_WORDS,
    SuppressedTable,
    _is_total,
    _words,
    as_list,
    default_count_columns,
)

__all__ = ["SUPPRESSION_MARKERS", "PublishCheck", "check_number", "check_publishable"]

#: Text that stands for a hidden count in a published table.
SUPPRESSION_MARKERS = frozenset(
    {
        "*",
        "**",
        "<5",
        "<8",
        "c",
        "[c]",
        "x",
        "[x]",
        "-",
        "..",
        "suppressed",
        "redacted",
        "[redacted]",
        "REDACTED",
        "[REDACTED]",
    }
)

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
        One row per problem: ``check`` (``small_count``, ``unrounded_count``,
        ``revealed_by_total``, ``identifier`` or ``free_text``),
        ``column``, ``what`` (what was found), ``rows`` (first few, row 1 = first row, with
        the index label when the index is not 0, 1, 2, ...), ``n_rows`` and ``advice``.
    count_cols : tuple
        The columns checked as counts.
    threshold : int
        Counts from 1 to ``threshold - 1`` must be hidden (``policy.threshold + 1``).
    policy : Policy
        The disclosure policy checked against.
    """

    name: str
    problems: pd.DataFrame
    count_cols: tuple[Hashable, ...]
    threshold: int
    policy: Policy = POLICIES[DEFAULT_POLICY]

    @property
    def ok(self) -> bool:
        """True if the table may be published."""
        return self.problems.empty

    def summary(self) -> str:
        """The verdict in plain words: every problem with its column, rows and what to do."""
        cols = ", ".join(map(str, self.count_cols)) or "none found"
        if self.ok:
            small = (
                f"no count from {self.policy.hidden_range}, "
                if self.policy.hidden_range != "none"
                else ""
            )
            rounded = ""
            if self.policy.rounding:
                rounded = f"; every count is rounded as policy {self.policy.name} says"
            return (
                f"PUBLISHABLE: {self.name} shows {small}no patient-level identifier and no free "
                f"text{rounded} (count columns: {cols})."
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


def _count_values(s: pd.Series, markers: frozenset[str] = SUPPRESSION_MARKERS) -> np.ndarray | None:
    """The column as numbers (NaN = hidden), or None if it is not a count column."""
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype="float64", na_value=np.nan)
    if not _is_text(s):
        return None
    text = s.astype("str").str.strip()
    hidden = s.isna() | text.isin(markers) | text.eq("")
    numbers = pd.to_numeric(text.where(~hidden), errors="coerce")
    if numbers[~hidden].isna().any():
        return None
    return numbers.to_numpy(dtype="float64", na_value=np.nan)


def check_publishable(
    table: pd.DataFrame | pd.Series | SuppressedTable,
    *,
    count_cols: Sequence[Hashable] | Hashable | None = None,
    id_columns: Iterable[str] = (),
    threshold: int | None = None,
    name: str = "the table",
    policy: str | Policy | None = None,
) -> PublishCheck:
    """Check that a table may be published under a disclosure policy.

    Refuses small counts shown, unrounded counts under a rounding policy, a printed total that
    gives back a lone hidden cell, patient-level identifiers and free text.

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
    threshold : int, optional
        Counts from 1 to ``threshold - 1`` must be hidden; by default the policy decides
        (``hide-1-4``: 1 to 4). Prefer naming a ``policy``.
    name : str, default "the table"
        What to call the table in the report, e.g. ``"appointments by practice"``.
    policy : str or Policy, optional
        The disclosure policy (see :func:`clearlib.privacy.policy`). By default: the policy a
        :class:`SuppressedTable` was made under, otherwise ``"hide-1-4"``.

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

    Under a rounding policy a count that is not a multiple of 5 is refused, without its value:

    >>> t = pd.DataFrame({"practice_code": ["SYN-G001", "SYN-G002"], "dna": [12, 40]})
    >>> check = check_publishable(t, policy="nhs-hide-1-7-round-5")
    >>> print(check.problems.loc[0, "what"])
    1 count is not rounded to the nearest 5
    >>> check_publishable(suppress(t, policy="nhs-hide-1-7-round-5")).ok
    True
    """
    markers = SUPPRESSION_MARKERS
    if isinstance(table, SuppressedTable):
        frame = table.table
        if count_cols is None:
            count_cols = list(table.count_cols)
        if policy is None:
            policy = table.policy
        if table.marker is not None:
            markers = markers | {table.marker.strip()}
    elif isinstance(table, pd.Series):
        frame = table.to_frame()
    elif isinstance(table, pd.DataFrame):
        frame = table
    else:
        raise DataError(
            f"check_publishable() needs a pandas DataFrame or a SuppressedTable; found "
            f"{type(table).__name__}."
        )
    chosen = resolve(DEFAULT_POLICY if policy is None else policy, threshold)
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
            and _count_values(frame[c], markers) is not None
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
    grid: dict[Hashable, np.ndarray] = {}
    for col in cols:
        values = _count_values(frame[col], markers)
        if values is None:
            raise DataError(
                f"Column {col!r} is not a count column: it holds text other than whole numbers "
                f"and suppression markers ({', '.join(sorted(markers))})."
            )
        grid[col] = values
        problems.extend(_count_problems(frame, col, values, chosen))
    problems.extend(_total_problems(frame, cols, grid))

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
        threshold=chosen.threshold + 1,
        policy=chosen,
    )


# --------------------------------------------------------------------------------------------
# The count checks.
# --------------------------------------------------------------------------------------------
def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _count_problems(
    frame: pd.DataFrame, col: Hashable, values: np.ndarray, chosen: Policy
) -> list[dict[str, Any]]:
    """Small counts shown, and (under a rounding policy) counts that cannot have been rounded."""
    out: list[dict[str, Any]] = []
    shown = ~np.isnan(values)
    low = 1 if chosen.zero_is_safe else 0
    small = np.flatnonzero(shown & (values >= low) & (values <= chosen.threshold))
    if len(small):
        n = len(small)
        out.append(
            {
                "check": "small_count",
                "column": str(col),
                "what": f"{n} {_plural(n, 'count', 'counts')} from {chosen.hidden_range} "
                f"{_plural(n, 'is', 'are')} shown",
                "rows": _rows_text(frame, small),
                "n_rows": n,
                "advice": f"Hide {_plural(n, 'it', 'them')} with "
                "clearlib.privacy.suppress(table"
                + ("" if chosen.name == DEFAULT_POLICY else f", policy={chosen.name!r}")
                + "), which also hides the cells that would "
                f"reveal {_plural(n, 'it', 'them')} by subtraction, then check again.",
            }
        )
    if chosen.rounding:
        fractional = shown & (values != np.round(values))
        whole = np.where(shown & ~fractional, values, 0).astype("int64")
        unrounded = fractional | (shown & ~np.vectorize(chosen.is_rounded)(whole))
        unrounded[small] = False  # already reported as small
        rows = np.flatnonzero(unrounded)
        if len(rows):
            n = len(rows)
            how = (
                f"to the nearest {chosen.rounding}"
                if chosen.rounding_method == "nearest"
                else f"to midpoint {chosen.rounding}"
            )
            out.append(
                {
                    "check": "unrounded_count",
                    "column": str(col),
                    "what": f"{n} {_plural(n, 'count is', 'counts are')} not rounded {how}",
                    "rows": _rows_text(frame, rows),
                    "n_rows": n,
                    "advice": f"Policy {chosen.name} publishes counts rounded {how}: pass the "
                    f"raw counts through clearlib.privacy.suppress(table, policy={chosen.name!r})"
                    ", which suppresses and then rounds them, then check again.",
                }
            )
    return out


def _total_problems(
    frame: pd.DataFrame, cols: Sequence[Hashable], grid: dict[Hashable, np.ndarray]
) -> list[dict[str, Any]]:
    """Printed totals whose line holds exactly one hidden cell: subtraction gives it back."""
    if not cols:
        return []
    out: list[dict[str, Any]] = []
    hidden = np.column_stack([np.isnan(grid[c]) for c in cols])

    # Across a row: a count column called Total/All beside the other count columns.
    total_cols = [j for j, c in enumerate(cols) if _is_total(c)]
    if len(total_cols) == 1 and len(cols) >= 2:
        t = total_cols[0]
        parts = [j for j in range(len(cols)) if j != t]
        rows = np.flatnonzero(~hidden[:, t] & (hidden[:, parts].sum(axis=1) == 1))
        if len(rows):
            out.append(_reveal_problem(frame, cols[t], rows, "row"))

    # Down a column: rows labelled Total/All, in the index or a label column, against the rows
    # that share every other label.
    labels = frame.drop(columns=list(cols))
    if not isinstance(frame.index, pd.RangeIndex):
        index = frame.index.to_frame(index=False)
        index.columns = [f"__index_{i}" for i in range(index.shape[1])]
        labels = pd.concat([index, labels.reset_index(drop=True)], axis=1)
    else:
        labels = labels.reset_index(drop=True)
    for d in labels.columns:
        is_total = labels[d].map(_is_total).to_numpy(dtype=bool)
        if not is_total.any():
            continue
        others = [c for c in labels.columns if c != d]
        if others:
            groups = labels.groupby(others, sort=False, observed=True, dropna=False).indices
            members = [np.asarray(v) for v in groups.values()]
        else:
            members = [np.arange(len(labels))]
        for j, col in enumerate(cols):
            revealed: list[int] = []
            for rows in members:
                totals = rows[is_total[rows]]
                parts = rows[~is_total[rows]]
                if len(totals) != 1 or not len(parts) or hidden[totals[0], j]:
                    continue
                if hidden[parts, j].sum() == 1:
                    revealed.append(int(totals[0]))
            if revealed:
                out.append(_reveal_problem(frame, col, np.array(revealed), "column"))
    return out


def _reveal_problem(frame: pd.DataFrame, col: Hashable, rows: np.ndarray, line: str) -> dict:
    n = len(rows)
    where = "the other cells of its row" if line == "row" else "the other cells above it"
    return {
        "check": "revealed_by_total",
        "column": str(col),
        "what": f"{n} printed {_plural(n, 'total gives', 'totals give')} back a hidden cell: "
        f"each {line} total minus {where} leaves exactly one hidden count",
        "rows": _rows_text(frame, rows),
        "n_rows": n,
        "advice": "Hide a second cell in that line (clearlib.privacy.suppress(table) does this "
        "with secondary suppression, keeping the totals as part of the table), or drop the "
        "printed total, then check again.",
    }


# --------------------------------------------------------------------------------------------
# One number.
# --------------------------------------------------------------------------------------------
def check_number(
    value: Any,
    *,
    name: str,
    kind: str = "count",
    policy: str | Policy = DEFAULT_POLICY,
) -> PublishCheck:
    """Check one number before it is published on its own (a headline figure in a summary).

    A **count** of people or events must not fall in the policy's hidden range and, under a
    rounding policy, must be rounded; a missing value (None or NaN) is a hidden count and
    passes. Any **other** number (hours, WTE, pounds, a rate, a percentage) is not a count of
    people and passes, provided it is a number.

    Parameters
    ----------
    value : int, float or None
        The number as it would be published.
    name : str
        What the number is called in messages, e.g. ``"headline.cohort_size"``.
    kind : {"count", "other"}, default "count"
        ``"count"`` for a number of patients, appointments or other events.
    policy : str or Policy, default "hide-1-4"
        The project's disclosure policy (see :func:`clearlib.privacy.policy`).

    Returns
    -------
    PublishCheck
        ``.ok``, ``.problems`` (``check`` is ``small_count`` or ``unrounded_count``, ``column``
        is ``name``), ``.summary()`` and ``.raise_if_blocked()``. Never contains the value.

    Raises
    ------
    clearlib.DataError
        If ``value`` is not a number (or None), or a count is negative or fractional.
    clearlib.ConfigError
        If ``kind`` is neither ``"count"`` nor ``"other"``, or the policy is unknown.

    Examples
    --------
    >>> check_number(3, name="cohort_size").ok
    False
    >>> check_number(3.5, name="gap_wte", kind="other").ok
    True
    >>> check_number(23, name="cohort_size", policy="nhs-hide-1-7-round-5").ok
    False
    >>> check_number(25, name="cohort_size", policy="nhs-hide-1-7-round-5").ok
    True
    """
    from clearlib._exceptions import ConfigError
    from clearlib.privacy._policy import policy as get_policy

    chosen = get_policy(policy)
    if kind not in ("count", "other"):
        raise ConfigError(
            f"check_number(kind=...) must be 'count' or 'other'; found {kind!r}. Use 'count' "
            "for numbers of patients, appointments or events, 'other' for hours, WTE, money, "
            "rates and percentages."
        )
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating)
    ):
        raise DataError(
            f"{name}: expected a number (or None for a hidden count); found "
            f"{type(value).__name__}. What to do: publish numbers as numbers."
        )
    missing = value is None or bool(np.isnan(float(value)))
    frame = pd.DataFrame({name: [np.nan if missing else float(value)]})
    problems: list[dict[str, Any]] = []
    if kind == "count" and not missing:
        number = float(value)
        if number < 0 or number != round(number):
            raise DataError(
                f"{name}: a count must be a whole number of 0 or more; this one is not. What "
                "to do: pass kind='other' if it is not a count of people or events."
            )
        problems = _count_problems(frame, name, frame[name].to_numpy(), chosen)
        for p in problems:
            p["rows"] = ""
            if p["check"] == "small_count":
                p["what"] = f"a count from {chosen.hidden_range} is shown"
                p["advice"] = (
                    "Do not publish it: show it as hidden (None), merge it into a larger group, "
                    f"or publish policy.protect(count) from clearlib.privacy.policy({chosen.name!r})."
                )
            else:
                p["advice"] = (
                    f"Publish clearlib.privacy.policy({chosen.name!r}).protect(count), which "
                    "hides or rounds it as the policy says."
                )
    return PublishCheck(
        name=name,
        problems=pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS)),
        count_cols=(name,) if kind == "count" else (),
        threshold=chosen.threshold + 1,
        policy=chosen,
    )
