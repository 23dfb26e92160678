"""Small-number suppression: hide small counts, and the cells that would give them away.

Two steps, as NHS England, NHS Digital and the ONS describe statistical disclosure control
for published tables of counts, then a third under a rounding policy:

**Primary suppression.** A count in the policy's hidden range (1 to 4 under the default
``hide-1-4``; 1 to 7 under ``nhs-hide-1-7-round-5`` and ``opensafely-redact-7-round-5``; see
:mod:`clearlib.privacy._policy`) is hidden: a count that small can point at a person. A 0 is
kept as a true zero by default (it says nobody, and hiding it would hide real information);
pass ``suppress_zeros=True`` to hide zeros as well.

**Secondary (complementary) suppression.** A reader who knows a row's total (printed in the
table, printed elsewhere, or added up from other published tables) can work out one hidden
cell by subtraction. So the cells that add up to a known total form a *line*: each row and
each column of a crosstab and, in long format, the cells that differ in just one of the
``by`` columns. A total printed in the table (a row or column labelled ``Total`` or ``All``,
as ``pandas.crosstab(margins=True)`` writes) sits in its line like any other cell, and is
itself hidden if it is 1 to 4. While any line has exactly one hidden cell, one more cell of
that line is hidden, chosen so as to lose as little as possible:

1. a non-zero cell before a zero (a hidden zero beside a hidden 3 hides nothing from a
   reader who knows the rule: the two must add up to 3, and a 0 can only be the zero);
2. a cell that would not leave another line with no non-zero cell to hide beside it;
3. a cell inside the table before a printed total (totals stay visible where they can);
4. a cell whose other line also has one hidden cell (it closes two lines at once), before
   one whose other line already has two (neutral), before one whose other line has none
   (which would then need a partner of its own);
5. the smallest count (the "next-smallest cell" rule); then the first in table order.

This repeats until no line has exactly one hidden cell. It is the usual rule of thumb for
tables of counts; it does not search for the fewest possible suppressions, and it does not
prove that no hidden cell can be narrowed to a small range by combining many lines (the
"interval" audit that specialist tools such as tau-ARGUS run). Where a line's own total is
itself below the threshold, no choice of cells inside the table can protect it: the result's
``notes`` say so, and that total must not be published anywhere.

**Rounding** (policies with a rounding base). Every count left shown is rounded on its own,
from its true value, to the policy's base (nearest 5). A printed total is a cell like any
other: it was computed from the unrounded counts and is rounded independently, so the rounded
cells of a line need not add up to its rounded total (NHS Digital's convention for HES; see
:mod:`clearlib.privacy._policy` for OpenSAFELY's). Suppression is decided on the unrounded
counts first, so the secondary cells are the same whatever the rounding.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import DataError
from clearlib.privacy._policy import DEFAULT_POLICY, POLICIES, Policy, resolve

__all__ = ["TOTAL_LABELS", "SuppressedTable", "default_count_columns", "suppress"]

#: Row, column or category labels taken to mean "the total of this line".
TOTAL_LABELS = frozenset({"Total", "All", "total", "all", "TOTAL", "ALL", "Grand total"})

#: Words that mark a numeric column as a label (a category), not a count: ``imd_decile``,
#: ``year``, ``hour``, ``age_band``.
_LABEL_WORDS = frozenset(
    {
        "decile",
        "quintile",
        "year",
        "fy",
        "quarter",
        "month",
        "week",
        "weekday",
        "day",
        "hour",
        "date",
        "period",
        "age",
        "band",
        "rank",
        "code",
        "id",
    }
)


#: The columns ``SuppressedTable.cells`` adds beside the labels.
_CELL_COLUMNS = frozenset({"column", "count", "shown", "suppressed", "reason", "why", "label"})


def _words(name: Hashable) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", str(name).lower()) if w]


def _integer_valued(s: pd.Series) -> bool:
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    values = values[~np.isnan(values)]
    return bool(np.all(values == np.round(values)))


def default_count_columns(frame: pd.DataFrame, exclude: Iterable[Hashable] = ()) -> list[Hashable]:
    """The columns of ``frame`` that look like counts: numeric, whole numbers, not labels.

    A numeric column is taken as a count unless it holds fractions (a rate, a mean), is
    true/false, or its name says it is a label (a word such as ``decile``, ``year``,
    ``hour``, ``age``, ``band`` or ``code``: ``imd_decile`` is a category, ``n_patients`` a
    count). Pass ``count_cols`` to :func:`suppress` or :func:`check_publishable` to say
    exactly.

    Examples
    --------
    >>> df = pd.DataFrame({"imd_decile": [1, 2], "patients": [12, 40], "rate": [1.5, 2.0]})
    >>> default_count_columns(df)
    ['patients']
    """
    skip = set(exclude)
    out = []
    for col in frame.columns:
        s = frame[col]
        if col in skip or pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        if _LABEL_WORDS.intersection(_words(col)) or not _integer_valued(s):
            continue
        out.append(col)
    return out


# --------------------------------------------------------------------------------------------
# The result.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class SuppressedTable:
    """A table with its small counts hidden, and the reason for every hidden cell.

    Attributes
    ----------
    table : pandas.DataFrame
        The table to share: the same shape, rows and columns as the input, with every hidden
        count replaced by ``marker`` (or left missing, ``<NA>``, when the marker is None).
    cells : pandas.DataFrame
        One row per count cell: its labels (the table's label columns or index), ``column``
        (the count column), ``count`` (the original value), ``shown`` (the value published:
        rounded under a rounding policy, ``<NA>`` when hidden), ``suppressed`` (True if hidden),
        ``reason`` (``"primary"``, ``"secondary"`` or ``""``), ``why`` (in words) and ``label``
        (the cell's labels as text). A label column whose name clashes with these gets
        ``_label`` added. It holds the original counts: keep it to explain the table; never
        publish it.
    threshold : int
        Counts from 1 to ``threshold - 1`` were hidden (``policy.threshold + 1``).
    marker : str or None
        What stands in for a hidden count in ``table``.
    count_cols : tuple
        The columns treated as counts.
    notes : tuple of str
        Anything a person should review: lines whose own total is below the threshold, printed
        totals that do not add up.
    policy : Policy
        The disclosure policy applied (see :func:`clearlib.privacy.policy`).
    """

    table: pd.DataFrame
    cells: pd.DataFrame
    threshold: int
    marker: str | None
    count_cols: tuple[Hashable, ...]
    notes: tuple[str, ...] = ()
    policy: Policy = POLICIES[DEFAULT_POLICY]

    @property
    def suppressed(self) -> pd.DataFrame:
        """The hidden cells only, with their reasons."""
        return self.cells[self.cells["suppressed"]].reset_index(drop=True)

    @property
    def n_primary(self) -> int:
        """How many cells were hidden because they are small."""
        return int(self.cells["reason"].eq("primary").sum())

    @property
    def n_secondary(self) -> int:
        """How many more cells were hidden so that totals cannot reveal the small ones."""
        return int(self.cells["reason"].eq("secondary").sum())

    def explain(self) -> str:
        """Say, in plain words, which policy was applied, which cells were hidden and why.

        Never shows a hidden cell's value.
        """
        low = self.policy.hidden_range
        lines = [
            f"{self.n_primary + self.n_secondary} of {len(self.cells)} cells hidden: "
            f"{self.n_primary} primary ("
            + (f"a count from {low}" if low != "none" else "the policy hides no count")
            + "), "
            f"{self.n_secondary} secondary (so that totals cannot reveal a hidden count "
            "by subtraction).",
            f"Disclosure policy {self.policy.name}: {self.policy.describe()}",
        ]
        if self.policy.rounding:
            how = (
                f"to the nearest {self.policy.rounding}"
                if self.policy.rounding_method == "nearest"
                else f"to midpoint {self.policy.rounding}"
            )
            lines.append(
                f"Every count shown, totals included, was rounded {how} from its true value."
            )
        for cell in self.suppressed.itertuples(index=False):
            lines.append(f"- {cell.label}: {cell.why}")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<SuppressedTable {self.table.shape[0]} rows x {self.table.shape[1]} columns: "
            f"{self.n_primary} primary and {self.n_secondary} secondary cells hidden>"
        )

    def _repr_html_(self) -> str:
        html = self.table._repr_html_()  # type: ignore[operator]
        return f"<p>{self.n_primary} primary, {self.n_secondary} secondary hidden</p>{html}"


# --------------------------------------------------------------------------------------------
# Validation at the edge.
# --------------------------------------------------------------------------------------------
def _as_frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.Series):
        return table.to_frame(name=table.name if table.name is not None else "count")
    if not isinstance(table, pd.DataFrame):
        raise DataError(
            f"suppress() needs a pandas DataFrame (or Series) of counts; found "
            f"{type(table).__name__}. What to do: build the table with pandas first, e.g. "
            "df.groupby(...).size().reset_index(name='n') or pd.crosstab(...)."
        )
    if isinstance(table.columns, pd.MultiIndex):
        raise DataError(
            "suppress() needs one level of column names; this table has "
            f"{table.columns.nlevels}. What to do: flatten the columns, or call "
            "df.stack() to make a long table and pass by=[...]."
        )
    return table


def _check_counts(frame: pd.DataFrame, count_cols: Sequence[Hashable]) -> np.ndarray:
    out = np.zeros((len(frame), len(count_cols)), dtype="int64")
    for j, col in enumerate(count_cols):
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise DataError(
                f"Column {col!r} is not numeric (found {s.dtype}); a count column must hold "
                "whole numbers. What to do: pass count_cols=[...] naming only count columns."
            )
        values = s.to_numpy(dtype="float64", na_value=np.nan)
        rows = np.flatnonzero(np.isnan(values))
        problem = "is missing (already suppressed?)"
        if not len(rows):
            rows = np.flatnonzero((values < 0) | (values != np.round(values)))
            problem = "is not a whole number of 0 or more"
        if len(rows):
            shown = ", ".join(str(r + 1) for r in rows[:5])
            raise DataError(
                f"Column {col!r}: {len(rows)} value(s) {problem}; rows {shown} (row 1 = first "
                "row). Expected: counts, whole numbers of 0 or more, none missing. What to do: "
                "suppress the raw counts, before rounding, dividing or hiding anything."
            )
        out[:, j] = values.astype("int64")
    return out


# --------------------------------------------------------------------------------------------
# Lines: the sets of cells that add up to a known total.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Line:
    cells: np.ndarray  # flat cell numbers (row * n_columns + column)
    name: str
    total: int  # the flat cell number of a printed total in the line, or -1


def _is_total(value: Any) -> bool:
    return str(value) in TOTAL_LABELS


def _pairs(labels: pd.DataFrame, cols: Sequence[Hashable], row: int) -> str:
    return ", ".join(f"{c}={labels.iat[row, labels.columns.get_loc(c)]}" for c in cols)


def _lines(
    labels: pd.DataFrame, count_cols: Sequence[Hashable], by: Sequence[Hashable]
) -> list[_Line]:
    n, m = len(labels), len(count_cols)
    wide = m > 1
    lines: list[_Line] = []
    if wide:
        total_cols = [j for j, c in enumerate(count_cols) if _is_total(c)]
        for i in range(n):
            cells = i * m + np.arange(m)
            total = i * m + total_cols[0] if len(total_cols) == 1 else -1
            name = f"row {_pairs(labels, list(labels.columns), i)}" if labels.shape[1] else "row"
            lines.append(_Line(cells, name, total))
    all_labels = list(labels.columns)
    for d in by:
        others = [c for c in all_labels if c != d]
        if others:
            groups = labels.groupby(others, sort=False, observed=True, dropna=False).indices
            members = [np.asarray(v) for v in groups.values()]
        else:
            members = [np.arange(n)]
        d_values = labels[d].to_numpy()
        for rows in members:
            if len(rows) < 2:
                continue
            rows = np.sort(rows)
            where = _pairs(labels, others, int(rows[0]))
            is_total = np.array([_is_total(v) for v in d_values[rows]])
            for j, col in enumerate(count_cols):
                if wide:
                    name = f"column {col}" + (f" for {where}" if where else "")
                    if len(by) > 1:
                        name += f" (across {d})"
                else:
                    name = f"the {d} cells" + (f" for {where}" if where else "")
                total = int(rows[is_total][0]) * m + j if is_total.sum() == 1 else -1
                lines.append(_Line(rows * m + j, name, total))
    return [line for line in lines if len(line.cells) >= 2]


# --------------------------------------------------------------------------------------------
# The algorithm, on clean input.
# --------------------------------------------------------------------------------------------
def _suppress_cells(
    flat: np.ndarray,
    lines: list[_Line],
    labels: list[str],
    *,
    threshold: int,
    suppress_zeros: bool,
    secondary: bool,
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Primary then secondary suppression of the flat counts; returns hidden, reason, why, notes.

    Counts from ``low`` (0 if ``suppress_zeros`` else 1) to ``threshold - 1`` are primary.
    """
    n_cells = len(flat)
    low = 0 if suppress_zeros else 1
    hidden = (flat >= low) & (flat < threshold)
    reason = np.where(hidden, "primary", "").astype(object)
    top = f"{low} to {threshold - 1}" if threshold - 1 > low else f"{low}"
    why = [f"primary: a count from {top}" if h else "" for h in hidden]
    notes: list[str] = []

    printed_totals = {line.total for line in lines if line.total >= 0}
    cell_lines: list[list[int]] = [[] for _ in range(n_cells)]
    for k, line in enumerate(lines):
        for c in line.cells:
            cell_lines[int(c)].append(k)
        if line.total >= 0:
            parts = line.cells[line.cells != line.total]
            if flat[line.total] != flat[parts].sum():
                notes.append(
                    f"In {line.name}, the printed total ({labels[line.total]}) is not the sum "
                    "of the other cells: check the table; totals that do not add up can still "
                    "give cells away."
                )
    if not secondary:
        notes.append(
            "Secondary suppression was switched off (totals=False): a reader who knows a "
            "row or column total can work out a lone hidden cell by subtraction."
        )
        return hidden, reason, why, notes

    n_hidden = np.array([int(hidden[line.cells].sum()) for line in lines], dtype="int64")

    def only_zeros_left(k: int, without: int) -> bool:
        cells = lines[k].cells
        rest = cells[(cells != without) & ~hidden[cells]]
        return not bool((flat[rest] > 0).any())

    while True:
        singles = np.flatnonzero(n_hidden == 1)
        if not len(singles):
            break
        k = int(singles[0])
        line = lines[k]
        candidates = line.cells[~hidden[line.cells]]
        lone = int(line.cells[hidden[line.cells]][0])

        def rank(c: int, k: int = k) -> tuple[bool, bool, bool, int, int, int]:
            others = [o for o in cell_lines[c] if o != k]
            strands = any(n_hidden[o] == 0 and only_zeros_left(o, c) for o in others)
            # +1 for each line this choice leaves with one hidden cell, -1 for each it closes.
            effect = sum(1 if n_hidden[o] == 0 else -1 if n_hidden[o] == 1 else 0 for o in others)
            return (flat[c] == 0, strands, c in printed_totals, effect, int(flat[c]), c)

        best = int(min((int(c) for c in candidates), key=rank))
        hidden[best] = True
        reason[best] = "secondary"
        why[best] = (
            f"secondary: hidden beside {labels[lone]}, so that the total of {line.name} "
            "cannot reveal it by subtraction"
        )
        if flat[best] == 0:
            notes.append(
                f"In {line.name} no non-zero cell was left to hide beside {labels[lone]}, so a "
                f"zero was hidden: the total of that line is itself below {threshold} or would "
                "reveal a hidden cell. Do not publish that total anywhere; merge categories "
                "instead."
            )
        for o in cell_lines[best]:
            n_hidden[o] += 1
    return hidden, reason, why, notes


# --------------------------------------------------------------------------------------------
# The public function.
# --------------------------------------------------------------------------------------------
def suppress(
    table: pd.DataFrame | pd.Series,
    *,
    count_cols: Sequence[Hashable] | Hashable | None = None,
    threshold: int | None = None,
    by: Sequence[Hashable] | Hashable | None = None,
    marker: str | None = None,
    totals: bool = True,
    suppress_zeros: bool = False,
    policy: str | Policy = DEFAULT_POLICY,
) -> SuppressedTable:
    """Hide small counts (1 to 4 by default), and the further cells that would let totals reveal them.

    Works on a **wide** crosstab (one row per category of one variable, one count column per
    category of another, e.g. ``pd.crosstab(...)``) and on a **long** table (label columns and
    one count column, e.g. ``df.groupby([...]).size().reset_index(name="n")``). Every row and
    column of a crosstab, and every set of cells in a long table that differ in one ``by``
    column only, is taken to add up to a total the reader knows; a printed ``Total``/``All``
    row or column is part of its line and is checked too. See the module notes for the rules.

    Parameters
    ----------
    table : pandas.DataFrame or pandas.Series
        Counts (whole numbers, 0 or more, none missing). Labels come from the non-count
        columns, or from the index when there are none or the index is not 0, 1, 2, ...
    count_cols : list of column names, optional
        The count columns. By default, every numeric column of whole numbers whose name does
        not mark a label (see :func:`default_count_columns`). One count column = long format;
        several = a wide crosstab whose row sums are totals too.
    threshold : int, optional
        Counts from 1 to ``threshold - 1`` are hidden (primary suppression). By default the
        policy decides (``hide-1-4``: 1 to 4, as ``threshold=5``); a value here overrides the
        policy's range and keeps its rounding. Prefer naming a ``policy``.
    by : list of column names, optional
        The label columns whose categories add up to a total. By default all of them, so a
        long table of practice × age band counts is protected along practices and along age
        bands. Label columns not in ``by`` split the table into separate tables (e.g. one per
        financial year).
    marker : str, optional
        What to write in a hidden cell, e.g. ``"*"`` or ``"<5"`` (the count columns become
        text). By default hidden cells are left missing (``<NA>``) and counts stay numbers.
    totals : bool, default True
        True: assume the reader knows every row, column and grand total, printed or not, and
        apply secondary suppression. False: primary suppression only; unsafe whenever any
        total of the table is published (it is here for teaching).
    suppress_zeros : bool, default False
        Also hide zeros (primary). By default a 0 is shown: it is a true zero.
    policy : str or Policy, default "hide-1-4"
        The disclosure policy (see :func:`clearlib.privacy.policy`): ``hide-1-4``,
        ``nhs-hide-1-7-round-5``, ``opensafely-redact-7-round-5`` or ``opensafely-midpoint-6``.
        Under a rounding policy the counts are suppressed first (on their true values), then
        every count still shown, printed totals included, is rounded on its own.

    Returns
    -------
    SuppressedTable
        ``.table`` to share; ``.cells`` and ``.explain()`` say which cells were hidden and why
        (``primary`` or ``secondary``); ``.notes`` lists anything to review; ``.policy`` is the
        policy applied.

    Raises
    ------
    clearlib.DataError
        If the table is not a DataFrame, a count column is missing, not numeric, negative,
        fractional or already has missing values, or labels repeat.
    clearlib.ConfigError
        If ``policy`` names no known policy.

    Examples
    --------
    One practice's DNA count is 3. Hiding it alone is not enough: the DNA total (and the
    practice's total) would give it away, so the smallest other DNA cell and the smallest
    other cell in that practice's row are hidden too, and then one more so that every row
    and column holds two hidden cells or none:

    >>> t = pd.DataFrame(
    ...     {"attended": [120, 95, 60], "dna": [6, 3, 9], "cancelled": [8, 7, 12]},
    ...     index=pd.Index(["G001", "G002", "G003"], name="practice"),
    ... )
    >>> result = suppress(t, marker="*")
    >>> result.table  # doctest: +NORMALIZE_WHITESPACE
             attended dna cancelled
    practice
    G001          120   *         *
    G002           95   *         *
    G003           60   9        12
    >>> result.suppressed[["practice", "column", "reason"]]
      practice     column     reason
    0     G001        dna  secondary
    1     G001  cancelled  secondary
    2     G002        dna    primary
    3     G002  cancelled  secondary

    Under NHS England's HES convention the 6 is hidden too (1 to 7), the same further cells
    protect it, and every count shown is rounded to the nearest 5:

    >>> nhs = suppress(t, marker="*", policy="nhs-hide-1-7-round-5")
    >>> nhs.table  # doctest: +NORMALIZE_WHITESPACE
             attended dna cancelled
    practice
    G001          120   *         *
    G002           95   *         *
    G003           60  10        10
    """
    frame = _as_frame(table)
    if isinstance(threshold, np.integer):
        threshold = int(threshold)
    chosen = resolve(policy, threshold)
    if marker is not None and not isinstance(marker, str):
        raise DataError(f"marker must be text such as '*' or None; found {marker!r}.")

    by_list = None if by is None else as_list(by)
    if count_cols is None:
        cols = default_count_columns(frame, exclude=by_list or ())
        if not cols:
            raise DataError(
                "No count column found: expected at least one numeric column of whole numbers "
                f"among {list(frame.columns)}. What to do: pass count_cols=[...]."
            )
    else:
        cols = as_list(count_cols)
        missing = [c for c in cols if c not in frame.columns]
        if missing or not cols:
            raise DataError(
                f"count_cols names {missing or 'no column'}, not among the table's columns "
                f"{list(frame.columns)}. What to do: name the columns that hold counts."
            )
    counts = _check_counts(frame, cols)

    labels = frame.drop(columns=cols)
    if labels.shape[1] == 0 or not isinstance(frame.index, pd.RangeIndex):
        index = frame.index.to_frame(index=False)
        index.columns = [
            name if name is not None else ("index" if index.shape[1] == 1 else f"level_{i}")
            for i, name in enumerate(frame.index.names)
        ]
        labels = pd.concat([index, labels.reset_index(drop=True)], axis=1)
    else:
        labels = labels.reset_index(drop=True)
    if by_list is None:
        by_list = list(labels.columns)
    unknown = [c for c in by_list if c not in labels.columns]
    if unknown:
        raise DataError(
            f"by names {unknown}, which are not label columns of the table; the label columns "
            f"are {list(labels.columns)} (count columns: {cols})."
        )
    repeated = labels.duplicated(keep=False).to_numpy()
    if repeated.any() and labels.shape[1]:
        shown = ", ".join(str(r + 1) for r in np.flatnonzero(repeated)[:5])
        raise DataError(
            f"Rows {shown} have the same labels ({list(labels.columns)}): each cell of a table "
            "must appear once. What to do: aggregate first, e.g. df.groupby(...).sum()."
        )

    m = len(cols)
    cell_labels = [
        _pairs(labels, list(labels.columns), i) + (f", column {c}" if m > 1 else "")
        for i in range(len(labels))
        for c in cols
    ]
    hidden, reason, why, notes = _suppress_cells(
        counts.reshape(-1),
        _lines(labels, cols, by_list),
        cell_labels,
        threshold=chosen.threshold + 1,
        suppress_zeros=suppress_zeros or not chosen.zero_is_safe,
        secondary=totals,
    )

    out = frame.copy()
    grid = hidden.reshape(counts.shape)
    shown = np.vectorize(chosen.round, otypes=["int64"])(counts) if counts.size else counts
    for j, col in enumerate(cols):
        if marker is None:
            values = pd.array(shown[:, j], dtype="Int64")
            values[grid[:, j]] = pd.NA
        else:
            values = pd.array(
                [marker if h else str(v) for v, h in zip(shown[:, j], grid[:, j], strict=True)],
                dtype="str",
            )
        out[col] = pd.Series(values, index=frame.index)

    cells = labels.loc[labels.index.repeat(m)].reset_index(drop=True)
    cells.columns = [f"{c}_label" if c in _CELL_COLUMNS else c for c in cells.columns]
    cells["column"] = pd.Series(list(cols) * len(labels), dtype="object")
    cells["count"] = counts.reshape(-1)
    published = pd.array(shown.reshape(-1), dtype="Int64")
    published[hidden] = pd.NA
    cells["shown"] = published
    cells["suppressed"] = hidden
    cells["reason"] = pd.Series(reason, dtype="str")
    cells["why"] = pd.Series(why, dtype="str")
    cells["label"] = pd.Series(cell_labels, dtype="str")
    return SuppressedTable(
        table=out,
        cells=cells,
        threshold=chosen.threshold + 1,
        marker=marker,
        count_cols=tuple(cols),
        notes=tuple(dict.fromkeys(notes)),
        policy=chosen,
    )


def as_list(value: Any) -> list[Any]:
    """A column name, or a list (tuple, Index, set) of them, as a list."""
    if isinstance(value, list | tuple | pd.Index | np.ndarray | set):
        return list(value)
    return [value]
