"""Named disclosure policies: lookup, rounding, suppress() and the publish gate under each.

Rules (see ``clearlib/privacy/_policy.py`` for the sources):

- ``hide-1-4``: hide 1-4, no rounding (the behaviour before policies existed);
- ``nhs-hide-1-7-round-5``: hide 1-7, round the rest to the nearest 5, 0 shown (NHS Digital,
  HES and ECDS, 2018); totals computed from unrounded counts and rounded on their own;
- ``opensafely-redact-7-round-5``: redact <= 7 (zeros kept), then round to the nearest 5;
- ``opensafely-midpoint-6``: 0 stays 0, 1-6 -> 3, 7-12 -> 9, 13-18 -> 15 ...
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearlib import ConfigError, DataError
from clearlib.privacy import (
    POLICIES,
    Policy,
    check_number,
    check_publishable,
    policy,
    suppress,
)

HIDING = [name for name, p in POLICIES.items() if p.threshold > 0]
ROUNDING = [name for name, p in POLICIES.items() if p.rounding]


def _small(name: str) -> int:
    """A count each hiding policy must hide, chosen so its digit is not in the range's words."""
    return 3 if policy(name).threshold == 4 else 6


# --------------------------------------------------------------------------------------------
# Lookup and the Policy object.
# --------------------------------------------------------------------------------------------
def test_the_three_named_policies_and_their_rules():
    """POLICIES holds the documented rules: thresholds 4/7/7, rounding None/5/5, zeros shown."""
    assert {"hide-1-4", "nhs-hide-1-7-round-5", "opensafely-redact-7-round-5"} <= set(POLICIES)
    rules = {n: (p.threshold, p.rounding, p.zero_is_safe) for n, p in POLICIES.items()}
    assert rules["hide-1-4"] == (4, None, True)
    assert rules["nhs-hide-1-7-round-5"] == (7, 5, True)
    assert rules["opensafely-redact-7-round-5"] == (7, 5, True)
    for p in POLICIES.values():
        assert isinstance(p, Policy) and p.source and p.description
    assert "digital.nhs.uk" in POLICIES["nhs-hide-1-7-round-5"].source
    assert "docs.opensafely.org" in POLICIES["opensafely-redact-7-round-5"].source


def test_policy_lookup_returns_the_policy_and_refuses_unknown_names():
    """policy(name) returns the registered Policy; an unknown name names every known one."""
    assert policy("hide-1-4") is POLICIES["hide-1-4"]
    assert policy() is POLICIES["hide-1-4"]
    custom = Policy(name="mine", description="Counts of 1 to 9 are hidden.", threshold=9)
    assert policy(custom) is custom
    with pytest.raises(ConfigError) as err:
        policy("hide-1-5")
    for name in POLICIES:
        assert name in str(err.value)


def test_policy_fields_are_validated():
    """A negative threshold, a rounding base of 1 or an unknown method raise ConfigError."""
    with pytest.raises(ConfigError, match="threshold"):
        Policy(name="x", description="", threshold=-1)
    with pytest.raises(ConfigError, match="rounding"):
        Policy(name="x", description="", threshold=4, rounding=1)
    with pytest.raises(ConfigError, match="rounding_method"):
        Policy(name="x", description="", threshold=4, rounding=5, rounding_method="up")  # type: ignore[arg-type]


def test_describe_is_one_plain_sentence_for_a_footer():
    """describe() gives the footer sentence the dashboard prints."""
    assert policy("nhs-hide-1-7-round-5").describe() == (
        "Counts of 1 to 7 are hidden and the rest rounded to the nearest 5 "
        "(NHS England convention for HES and GP data)."
    )
    for p in POLICIES.values():
        text = p.describe()
        assert text.endswith(".") and text.count(". ") == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # count:            0  1     4     5  7     8   12  13  17  18  103
        ("hide-1-4", [0, None, None, 5, 7, 8, 12, 13, 17, 18, 103]),
        ("nhs-hide-1-7-round-5", [0, None, None, None, None, 10, 10, 15, 15, 20, 105]),
        ("opensafely-redact-7-round-5", [0, None, None, None, None, 10, 10, 15, 15, 20, 105]),
        ("opensafely-midpoint-6", [0, 3, 3, 3, 9, 9, 9, 15, 15, 15, 105]),
    ],
)
def test_protect_hides_at_the_boundary_and_rounds_the_rest(name, expected):
    """protect(): 7 hidden and 8 -> 10 under the NHS/OpenSAFELY rules; 4 hidden and 5 shown
    under hide-1-4; midpoint 6 maps 1-6 -> 3, 7-12 -> 9, 13-18 -> 15, 103 -> 105 (103 is in
    the bin 103-108, whose midpoint is 108 - 3 = 105)."""
    counts = [0, 1, 4, 5, 7, 8, 12, 13, 17, 18, 103]
    assert [policy(name).protect(n) for n in counts] == expected


# --------------------------------------------------------------------------------------------
# suppress() under each policy.
# --------------------------------------------------------------------------------------------
def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {"attended": [120, 95, 60], "dna": [6, 3, 9], "cancelled": [8, 7, 12]},
        index=pd.Index(["G001", "G002", "G003"], name="practice"),
    )


def test_default_policy_leaves_every_result_unchanged():
    """suppress(t) == suppress(t, policy="hide-1-4") == suppress(t, threshold=5), cell for cell."""
    t = _table()
    old = suppress(t, threshold=5)
    for result in (suppress(t), suppress(t, policy="hide-1-4")):
        pd.testing.assert_frame_equal(result.table, old.table)
        pd.testing.assert_frame_equal(result.cells, old.cells)
        assert result.threshold == 5 and result.policy.name == "hide-1-4"


def test_nhs_policy_suppresses_then_rounds_a_long_table_with_its_total():
    """Long table 6, 12, 13, 40 and a printed Total of 71, under nhs-hide-1-7-round-5.

    Primary: the 6. Its line (all four practices and the Total) then has one hidden cell, so
    the smallest other non-zero cell inside the table, the 12, is hidden too. The rest are
    rounded on their own from their true values: 13 -> 15, 40 -> 40, and the Total 71 -> 70
    (calculated from the unrounded counts, then rounded: it need not equal 15 + 40).
    """
    t = pd.DataFrame({"practice": ["A", "B", "C", "D", "Total"], "n": [6, 12, 13, 40, 71]})
    result = suppress(t, policy="nhs-hide-1-7-round-5")
    assert result.table["n"].tolist() == [pd.NA, pd.NA, 15, 40, 70]
    assert result.cells["reason"].tolist() == ["primary", "secondary", "", "", ""]
    assert result.cells["count"].tolist() == [6, 12, 13, 40, 71]
    assert result.cells["shown"].tolist() == [pd.NA, pd.NA, 15, 40, 70]
    assert result.policy is POLICIES["nhs-hide-1-7-round-5"]
    assert result.threshold == 8


def test_opensafely_policy_redacts_seven_and_keeps_zero():
    """Under opensafely-redact-7-round-5 a 7 is redacted, an 8 becomes 10 and a 0 stays 0."""
    t = pd.DataFrame({"g": list("abcd"), "n": [7, 8, 0, 31]})
    result = suppress(t, policy="opensafely-redact-7-round-5", marker="[REDACTED]")
    assert result.table["n"].tolist() == ["[REDACTED]", "[REDACTED]", "0", "30"]
    assert result.cells["reason"].tolist() == ["primary", "secondary", "", ""]
    assert check_publishable(result).ok


def test_explain_names_the_policy_without_values():
    """explain() says which policy was applied and that counts were rounded; no hidden value."""
    result = suppress(_table(), policy="nhs-hide-1-7-round-5")
    text = result.explain()
    assert "nhs-hide-1-7-round-5" in text
    assert "rounded to the nearest 5" in text
    assert "a count from 1 to 7" in text
    cell_lines = [ln.replace("1 to 7", "") for ln in text.splitlines() if ln.startswith("- ")]
    assert cell_lines and not any(ch.isdigit() for ln in cell_lines for ch in ln.split(":")[1])


def test_threshold_keyword_still_overrides_the_range():
    """threshold=8 under the default policy hides 1-7 without rounding, as before policies."""
    t = pd.DataFrame({"g": list("abcd"), "n": [6, 7, 8, 0]})
    result = suppress(t, threshold=8)
    assert result.cells["reason"].tolist() == ["primary", "primary", "", ""]
    assert result.table["n"].tolist()[2:] == [8, 0]
    assert result.policy.threshold == 7 and result.policy.rounding is None


def test_unknown_policy_in_suppress_raises_config_error():
    """suppress(policy="nope") names the known policies."""
    with pytest.raises(ConfigError, match="hide-1-4"):
        suppress(_table(), policy="nope")


# --------------------------------------------------------------------------------------------
# The gate: each violation under each policy, and never a value in a message.
# --------------------------------------------------------------------------------------------
def _checks(result) -> list[tuple[str, str]]:
    return list(zip(result.problems["check"], result.problems["column"], strict=True))


@pytest.mark.parametrize("name", HIDING)
def test_gate_refuses_a_small_count_shown_under_each_policy(name):
    """A count in the policy's hidden range is refused, naming table, column and row only."""
    value = _small(name)
    t = pd.DataFrame({"area": ["north", "south"], "n": [40, value]})
    result = check_publishable(t, name="DNAs by area", policy=name)
    assert ("small_count", "n") in _checks(result)
    text = result.summary()
    assert "DNAs by area" in text and "Rows: 2." in text
    assert str(value) not in text


@pytest.mark.parametrize("name", ROUNDING)
def test_gate_refuses_an_unrounded_count_under_each_rounding_policy(name):
    """4817 is no multiple of 5 and no midpoint-6 value: refused, and never printed."""
    t = pd.DataFrame({"area": ["north", "south"], "n": [4817, 0]})
    result = check_publishable(t, name="appointments by area", policy=name)
    assert _checks(result) == [("unrounded_count", "n")]
    assert result.problems.loc[0, "rows"] == "1"
    assert "4817" not in result.summary()
    assert check_publishable(t, policy="hide-1-4").ok  # no rounding asked for


@pytest.mark.parametrize("name", list(POLICIES))
def test_gate_refuses_a_printed_total_that_gives_back_a_hidden_cell(name):
    """Row r1 shows *, 40 and its Total: Total - 40 gives the hidden cell back; column a's
    printed Total, minus the one shown cell above it, does the same. Both are refused under
    every policy, naming the rows; no value is ever printed."""
    p = policy(name)
    shown = [p.round(40), p.round(60), p.round(85), p.round(100)]
    t = pd.DataFrame(
        {"a": ["*", str(shown[1]), str(shown[2])], "b": [str(shown[0])] * 3},
        index=pd.Index(["r1", "r2", "Total"], name="row"),
    )
    t["Total"] = [str(shown[3])] * 3
    result = check_publishable(t, name="crosstab", policy=name)
    assert sorted(_checks(result)) == [("revealed_by_total", "Total"), ("revealed_by_total", "a")]
    rows = dict(zip(result.problems["column"], result.problems["rows"], strict=True))
    assert rows == {"Total": "1 (r1)", "a": "3 (Total)"}
    for v in set(shown):
        assert str(v) not in result.summary()


def test_gate_checks_totals_as_suppress_protects_them():
    """A line of one cell and its printed total is a line too: hiding the cell alone leaves the
    total equal to it (refused); suppress() hides the total as well (passes). A long table's
    Total row is checked within each year, as suppress() protects it."""
    index = pd.Index(["G001"], name="practice")
    lone = pd.DataFrame({"dna": ["*"], "Total": ["12"]}, index=index)
    assert _checks(check_publishable(lone)) == [("revealed_by_total", "Total")]
    t = pd.DataFrame({"dna": [12], "Total": [12]}, index=index)
    assert check_publishable(suppress(t, threshold=13)).ok
    assert suppress(t, threshold=13).table.isna().all().all()
    long = pd.DataFrame(
        {
            "year": ["2024", "2024", "2024", "2025", "2025", "2025"],
            "practice": ["A", "B", "Total", "A", "B", "Total"],
            "n": [20, "*", 40, "*", "*", 30],
        }
    )
    result = check_publishable(long, count_cols=["n"])
    assert _checks(result) == [("revealed_by_total", "n")]
    assert result.problems.loc[0, "rows"] == "3"


@pytest.mark.parametrize("name", list(POLICIES))
def test_gate_refuses_identifiers_and_free_text_under_each_policy(name):
    """A patient_id column and a notes column are refused whatever the policy."""
    t = pd.DataFrame(
        {
            "patient_id": ["SYN-P000001", "SYN-P000002"],
            "consultation_notes": ["seen today", "review"],
        }
    )
    result = check_publishable(t, count_cols=[], policy=name)
    assert sorted(_checks(result)) == [
        ("free_text", "consultation_notes"),
        ("identifier", "patient_id"),
    ]
    assert "SYN-P000001" not in result.summary() and "seen today" not in result.summary()


def test_gate_uses_the_suppressed_tables_own_policy():
    """A table suppressed under the NHS rule passes as it is; one suppressed under hide-1-4
    shows a 6 and unrounded counts, so the NHS gate refuses it."""
    t = pd.DataFrame({"area": ["north", "south", "east"], "n": [40, 6, 33]})
    assert check_publishable(suppress(t, policy="nhs-hide-1-7-round-5")).ok
    loose = suppress(t)
    assert check_publishable(loose).ok
    strict = check_publishable(loose, policy="nhs-hide-1-7-round-5")
    assert {c for c, _ in _checks(strict)} == {"small_count", "unrounded_count"}
    assert strict.policy.name == "nhs-hide-1-7-round-5"


# --------------------------------------------------------------------------------------------
# check_number.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kind", "name", "ok"),
    [
        (3, "count", "hide-1-4", False),
        (5, "count", "hide-1-4", True),
        (0, "count", "hide-1-4", True),
        (None, "count", "hide-1-4", True),
        (float("nan"), "count", "nhs-hide-1-7-round-5", True),
        (7, "count", "nhs-hide-1-7-round-5", False),
        (12, "count", "nhs-hide-1-7-round-5", False),
        (10, "count", "nhs-hide-1-7-round-5", True),
        (10, "count", "opensafely-redact-7-round-5", True),
        (3, "count", "opensafely-midpoint-6", True),
        (4, "count", "opensafely-midpoint-6", False),
        (3.25, "other", "nhs-hide-1-7-round-5", True),
        (2, "other", "hide-1-4", True),
    ],
)
def test_check_number_gates_counts_and_passes_other_numbers(value, kind, name, ok):
    """Counts in the hidden range or unrounded are refused; hours, WTE, money and rates pass."""
    result = check_number(value, name="headline.cohort_size", kind=kind, policy=name)
    assert result.ok is ok, result.summary()
    if not ok:
        assert "headline.cohort_size" in result.summary()
        words = result.summary().replace(name, "").replace(result.policy.hidden_range, "")
        assert str(value) not in words
        with pytest.raises(DataError):
            result.raise_if_blocked()


def test_check_number_refuses_what_is_not_a_number():
    """Text, booleans and fractional or negative counts raise DataError; a bad kind ConfigError."""
    for bad in ("12", True):
        with pytest.raises(DataError, match="expected a number"):
            check_number(bad, name="x")
    for bad in (2.5, -10):
        with pytest.raises(DataError, match="whole number"):
            check_number(bad, name="x")
    with pytest.raises(ConfigError, match="kind"):
        check_number(10, name="x", kind="hours")


# --------------------------------------------------------------------------------------------
# Property: whatever the table, suppress(policy=p) passes check_publishable(policy=p).
# --------------------------------------------------------------------------------------------
@st.composite
def _grids(draw):
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 5))
    values = draw(
        st.lists(
            st.one_of(st.integers(0, 9), st.integers(0, 80)),
            min_size=rows * cols,
            max_size=rows * cols,
        )
    )
    return np.array(values).reshape(rows, cols)


@settings(max_examples=150, deadline=None)
@given(_grids(), st.booleans(), st.sampled_from(sorted(POLICIES)), st.sampled_from([None, "*"]))
def test_property_suppressed_tables_pass_the_gate_under_their_policy(grid, margins, name, marker):
    """For any table, with or without printed margins, under every policy: the suppressed table
    passes the gate under that policy, no count in the hidden range is shown, every shown count
    is rounded, and no row or column holds exactly one hidden cell."""
    t = pd.DataFrame(grid, columns=[f"c{j}" for j in range(grid.shape[1])])
    if margins:
        t["Total"] = t.sum(axis=1)
        t.loc[len(t)] = t.sum(axis=0)
        t.index = [*range(len(t) - 1), "Total"]
    p = policy(name)
    result = suppress(t, policy=name, marker=marker)
    check = check_publishable(result.table, policy=name)
    assert check.ok, check.summary()
    assert check_publishable(result).ok
    hidden = result.cells["suppressed"].to_numpy().reshape(t.shape)
    values = t.to_numpy()
    in_range = (values >= 1) & (values <= p.threshold)
    assert (in_range <= hidden).all()
    shown = result.cells.loc[~result.cells["suppressed"], "shown"]
    assert all(p.is_rounded(int(v)) for v in shown)
    if p.threshold:
        one = [i for i in range(hidden.shape[0]) if hidden.shape[1] > 1 and hidden[i].sum() == 1]
        one += [
            j for j in range(hidden.shape[1]) if hidden.shape[0] > 1 and hidden[:, j].sum() == 1
        ]
        assert one == []
