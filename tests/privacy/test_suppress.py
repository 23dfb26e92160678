"""suppress(): primary and secondary suppression on hand-worked tables, and its invariants.

Every expected table below was worked out by hand with the rules in the module notes of
``clearlib/privacy/_suppress.py``: hide 1-4; while a row or column (a "line") has exactly one
hidden cell, hide one more of its cells, preferring non-zero cells, cells inside the table
over printed totals, a cell that closes another line, then the smallest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearlib import DataError
from clearlib.privacy import SuppressedTable, check_publishable, default_count_columns, suppress


def _hidden(result: SuppressedTable) -> set[tuple[str, str]]:
    """The hidden cells as {(row label, column)} of a wide table with a one-level index."""
    cells = result.suppressed
    return set(zip(cells.iloc[:, 0].astype(str), cells["column"].astype(str), strict=True))


def _lines_with_one_hidden(grid: np.ndarray) -> list[str]:
    """Rows and columns (of 2+ cells) holding exactly one hidden cell."""
    out = [f"row {i}" for i in range(grid.shape[0]) if grid.shape[1] > 1 and grid[i].sum() == 1]
    out += [f"col {j}" for j in range(grid.shape[1]) if grid.shape[0] > 1 and grid[:, j].sum() == 1]
    return out


def test_single_small_cell_is_revealed_by_subtraction_without_secondary_suppression():
    """With primary suppression only, row total minus the shown cells gives the hidden 3 back.

    Table (rows r1, r2; columns a, b): r1 = 3, 10 (total 13); r2 = 8, 12 (total 20).
    Hiding only the 3 leaves r1 = *, 10: anyone who knows r1's total of 13 gets 13 - 10 = 3.
    Secondary suppression must then hide all four cells: r1's partner 10 leaves column b with
    one hidden cell, whose partner 12 leaves row r2 with one, whose partner 8 closes column a.
    """
    t = pd.DataFrame({"a": [3, 8], "b": [10, 12]}, index=pd.Index(["r1", "r2"], name="row"))
    primary_only = suppress(t, totals=False)
    shown = primary_only.table
    assert shown["a"].isna().tolist() == [True, False]
    row_total = 13
    assert row_total - shown.loc["r1", "b"] == 3  # the attack works
    assert any("switched off" in n for n in primary_only.notes)

    safe = suppress(t)
    assert safe.table.isna().all().all()
    assert _hidden(safe) == {("r1", "a"), ("r1", "b"), ("r2", "a"), ("r2", "b")}
    assert safe.n_primary == 1 and safe.n_secondary == 3
    reasons = dict(zip(safe.cells["label"], safe.cells["reason"], strict=True))
    assert reasons["row=r1, column a"] == "primary"
    assert reasons["row=r1, column b"] == "secondary"


def test_three_by_three_closes_rows_and_columns_with_four_cells():
    """A 2 in r1/c is hidden with 15 (r1/b), 9 (r3/b) and 40 (r3/c): 4 of 9 cells, not 7.

    Rows r1 = 20, 15, 2; r2 = 30, 25, 18; r3 = 12, 9, 40. Primary: r1/c = 2.
    Row r1 needs a partner: 15 < 20, both open a new column -> 15 (r1/b). Column b needs one:
    9 < 25, both open a new row -> 9 (r3/b). Row r3 needs one: 40 closes column c (which has
    the 2) while 12 would open column a -> 40. Every row and column now has 0 or 2 hidden.
    """
    t = pd.DataFrame(
        {"a": [20, 30, 12], "b": [15, 25, 9], "c": [2, 18, 40]},
        index=pd.Index(["r1", "r2", "r3"], name="row"),
    )
    result = suppress(t, marker="*")
    assert _hidden(result) == {("r1", "b"), ("r1", "c"), ("r3", "b"), ("r3", "c")}
    assert result.table.to_dict("list") == {
        "a": ["20", "30", "12"],
        "b": ["*", "25", "*"],
        "c": ["*", "18", "*"],
    }
    why = result.suppressed.set_index("label")["why"]
    assert why["row=r1, column c"].startswith("primary: a count from 1 to 4")
    assert "column b" in why["row=r3, column b"]


def test_zero_is_kept_as_a_true_zero_and_never_chosen_before_a_non_zero_partner():
    """Row 0, 2, 30, 7 (1-D): the 2 is hidden with the 7, not with the smaller 0.

    A hidden 0 beside a hidden 2 would add nothing: the two must add up to 2, so a reader who
    knows the rule gets both. With suppress_zeros=True the 0 is hidden too (primary), and
    then the 0 and the 2 already make two hidden cells.
    """
    t = pd.DataFrame({"group": ["w", "x", "y", "z"], "n": [0, 2, 30, 7]})
    result = suppress(t)
    assert result.table["n"].tolist() == [0, pd.NA, 30, pd.NA]
    assert result.cells["reason"].tolist() == ["", "primary", "", "secondary"]

    zeros = suppress(t, suppress_zeros=True)
    assert zeros.cells["reason"].tolist() == ["primary", "primary", "", ""]


def test_line_whose_total_is_small_gets_a_zero_partner_and_a_note():
    """Rows g1 = 3, 0 and g2 = 10, 12 (columns a, b): row g1's own total is 3.

    Row g1 has no other non-zero cell, so its 0 is hidden (secondary) and a note says that
    the row total is itself below 5. Column a then needs a partner for the 3: 10; row g2 then
    needs 12; column b then holds the hidden 0 and 12.
    """
    t = pd.DataFrame({"a": [3, 10], "b": [0, 12]}, index=pd.Index(["g1", "g2"], name="g"))
    result = suppress(t)
    assert _hidden(result) == {("g1", "a"), ("g1", "b"), ("g2", "a"), ("g2", "b")}
    assert any("no non-zero cell" in n and "row g=g1" in n for n in result.notes)


def test_printed_margins_are_checked_and_kept_visible_where_possible():
    """A crosstab with Total row and column: totals stay shown; a small total is hidden.

    x/y by A/B with margins: A = 3, 8 | 11; B = 10, 12 | 22; Total = 13, 20 | 33.
    The 3 is hidden; its partners are the interior cells 8, 10 and 12 (never a total), so
    every line, margins included, has two hidden cells and all the totals are still shown.
    """
    t = pd.DataFrame(
        {"x": [3, 10, 13], "y": [8, 12, 20], "Total": [11, 22, 33]},
        index=pd.Index(["A", "B", "Total"], name="grp"),
    )
    result = suppress(t)
    assert _hidden(result) == {("A", "x"), ("A", "y"), ("B", "x"), ("B", "y")}
    assert result.table.loc["Total"].tolist() == [13, 20, 33]
    assert result.table["Total"].tolist() == [11, 22, 33]
    assert result.notes == ()

    small_total = pd.DataFrame(
        {"x": [3, 10, 13], "y": [1, 12, 13], "Total": [4, 22, 26]},
        index=pd.Index(["A", "B", "Total"], name="grp"),
    )
    result = suppress(small_total)
    assert ("A", "Total") in _hidden(result)
    reasons = result.suppressed.set_index("label")["reason"]
    assert reasons["grp=A, column Total"] == "primary"
    grid = result.table.isna().to_numpy()
    assert _lines_with_one_hidden(grid) == []


def test_margins_that_do_not_add_up_are_noted():
    """A Total column of 50 beside cells 20 + 25 = 45 gives a note to check the table."""
    t = pd.DataFrame({"a": [20, 6], "b": [25, 30], "Total": [50, 36]})
    result = suppress(t, count_cols=["a", "b", "Total"])
    assert any("not the sum" in n for n in result.notes)


def test_long_table_protects_both_dimensions():
    """Long practice x sex counts: the 3 (G2, F) is hidden with 10, 12 and 15; G3 stays shown.

    G1 = F 10, M 12; G2 = F 3, M 15; G3 = F 20, M 22. Lines: the practices of each sex and
    the sexes of each practice. The F practices need a partner: 10 < 20 -> G1/F. G1's sexes
    then need one: 12 (G1/M). The M practices then need one: 15 closes G2 -> G2/M.
    """
    long = pd.DataFrame(
        {
            "practice": ["G1", "G1", "G2", "G2", "G3", "G3"],
            "sex": ["F", "M"] * 3,
            "n": [10, 12, 3, 15, 20, 22],
        }
    )
    result = suppress(long)
    assert result.table["n"].isna().tolist() == [True, True, True, True, False, False]
    assert result.cells.loc[2, "reason"] == "primary"
    assert list(result.table.columns) == ["practice", "sex", "n"]


def test_by_limits_the_totals_to_one_dimension():
    """by=["sex"]: only each practice's F + M total is protected, practices are separate tables.

    G2 = F 3, M 15 -> 3 and 15 hidden; G1 and G3 untouched (no practice-wide totals assumed).
    """
    long = pd.DataFrame(
        {
            "practice": ["G1", "G1", "G2", "G2", "G3", "G3"],
            "sex": ["F", "M"] * 3,
            "n": [10, 12, 3, 15, 20, 22],
        }
    )
    result = suppress(long, by=["sex"])
    assert result.table["n"].isna().tolist() == [False, False, True, True, False, False]


def test_marker_text_and_original_index_and_columns_are_kept():
    """marker="*" writes text counts "12" and "*", keeps the index, columns and input unchanged."""
    t = pd.DataFrame(
        {"attended": [120, 95, 60], "dna": [6, 3, 9], "cancelled": [8, 7, 12]},
        index=pd.Index(["G001", "G002", "G003"], name="practice"),
    )
    before = t.copy()
    result = suppress(t, marker="*")
    pd.testing.assert_frame_equal(t, before)
    assert list(result.table.index) == ["G001", "G002", "G003"]
    assert result.table.loc["G002"].tolist() == ["95", "*", "*"]
    assert result.table.loc["G003"].tolist() == ["60", "9", "12"]
    assert check_publishable(result).ok


def test_explain_names_every_hidden_cell_and_its_reason_without_values():
    """explain() lists the 2 hidden cells (primary, secondary) and never prints a count."""
    t = pd.DataFrame({"group": ["north", "south", "east"], "n": [40, 3, 27]})
    result = suppress(t)
    text = result.explain()
    assert text.splitlines()[0].startswith("2 of 3 cells hidden: 1 primary")
    assert "- group=south: primary" in text
    assert "- group=east: secondary" in text
    cell_lines = [line.replace("1 to 4", "") for line in text.splitlines() if line.startswith("- ")]
    assert len(cell_lines) == 2
    assert not any(ch.isdigit() for line in cell_lines for ch in line)
    assert repr(result) == (
        "<SuppressedTable 3 rows x 2 columns: 1 primary and 1 secondary cells hidden>"
    )


def test_label_columns_named_like_cell_columns_are_kept_apart():
    """A label column called "count" becomes "count_label" in .cells; the table is unchanged."""
    t = pd.DataFrame({"count": ["a", "b"], "n": [3, 9]})
    result = suppress(t, count_cols="n")
    assert result.cells["count_label"].tolist() == ["a", "b"]
    assert result.cells["count"].tolist() == [3, 9]
    assert list(result.table.columns) == ["count", "n"]


def test_threshold_changes_what_counts_as_small():
    """threshold=8 (suppress 1-7) hides the 6 and 7 of a 1-D table; 0 and 8 stay shown."""
    t = pd.DataFrame({"g": list("abcd"), "n": [6, 7, 8, 0]})
    result = suppress(t, threshold=8)
    assert result.cells["reason"].tolist() == ["primary", "primary", "", ""]


def test_numeric_label_columns_are_not_taken_as_counts():
    """imd_decile and hour are labels; n_patients is the count."""
    t = pd.DataFrame({"imd_decile": [1, 2, 3], "hour": [8, 9, 10], "n_patients": [5, 6, 7]})
    assert default_count_columns(t) == ["n_patients"]


@pytest.mark.parametrize(
    ("table", "kwargs", "message"),
    [
        (pd.DataFrame({"g": ["a", "b"], "n": [1.5, 3]}), {"count_cols": "n"}, "whole number"),
        (pd.DataFrame({"g": ["a", "b"], "n": [-1, 3]}), {}, "whole number"),
        (pd.DataFrame({"g": ["a", "b"], "n": [np.nan, 3]}), {}, "missing"),
        (pd.DataFrame({"g": ["a", "a"], "n": [1, 3]}), {}, "same labels"),
        (pd.DataFrame({"g": ["a", "b"], "n": [1, 3]}), {"count_cols": ["m"]}, "not among"),
        (pd.DataFrame({"g": ["a", "b"], "n": [1, 3]}), {"by": ["x"]}, "not label columns"),
        (pd.DataFrame({"g": ["a", "b"]}), {}, "No count column"),
        (pd.DataFrame({"g": ["a", "b"], "n": [1, 3]}), {"threshold": 0}, "threshold"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(table, kwargs, message):
    """Fractions, negatives, blanks, repeated labels and unknown columns raise DataError."""
    with pytest.raises(DataError, match=message):
        suppress(table, **kwargs)


@st.composite
def _grids(draw):
    rows = draw(st.integers(1, 6))
    cols = draw(st.integers(1, 6))
    values = draw(
        st.lists(
            st.one_of(st.integers(0, 6), st.integers(0, 60)),
            min_size=rows * cols,
            max_size=rows * cols,
        )
    )
    return np.array(values).reshape(rows, cols)


@settings(max_examples=300, deadline=None)
@given(_grids(), st.booleans())
def test_property_no_line_has_one_hidden_cell_and_no_small_count_shows(grid, margins):
    """For any table (with or without printed margins): no row or column has exactly one hidden
    cell, no shown count is 1-4, and every count 1-4 is hidden."""
    t = pd.DataFrame(grid, columns=[f"c{j}" for j in range(grid.shape[1])])
    if margins:
        t["Total"] = t.sum(axis=1)
        t.loc[len(t)] = t.sum(axis=0)
        t.index = [*range(len(t) - 1), "Total"]
    result = suppress(t)
    hidden = result.table.isna().to_numpy()
    values = t.to_numpy()
    assert _lines_with_one_hidden(hidden) == []
    assert not ((values >= 1) & (values <= 4) & ~hidden).any()
    assert ((values >= 1) & (values <= 4) <= hidden).all()
    assert check_publishable(result).ok
