"""XmR charts (Making Data Count): limits, the four special-cause rules at their boundaries,
variation labels, assurance, words and the chart.

Most series below start with the same hand-worked baseline of 8 points, 12, 8, 12, 8, 12, 8,
12, 8, and pass ``baseline_points=8`` so that the limits stay fixed whatever follows:

- mean = (4 × 12 + 4 × 8) / 8 = 10;
- moving ranges are all |12 - 8| = 4, so mR-bar = 4;
- process limits = 10 ± 2.66 × 4 = 10 ± 10.64, i.e. -0.64 and 20.64;
- the 2-sigma lines sit two thirds of the way out: 10 ± 7.0933..., i.e. 2.907 and 17.093.

The baseline alternates around the mean and ends below it, so on its own it triggers nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearlib import ConfigError, DataError
from clearlib.viz import VARIATIONS, XmRResult, spc_chart, xmr
from clearlib.viz._spc import VARIATION_COLOURS

BASELINE = [12, 8, 12, 8, 12, 8, 12, 8]


def _run(after, **kwargs) -> XmRResult:
    return xmr(BASELINE + list(after), baseline_points=8, **kwargs)


def _flagged(result: XmRResult, rule: str) -> list:
    """The point labels (1, 2, ...) a rule flagged."""
    t = result.table
    return [i for i, rules in zip(t.index, t["rules"], strict=True) if rule in rules.split(", ")]


# --------------------------------------------------------------------------------------------
# The numbers.
# --------------------------------------------------------------------------------------------
def test_mean_moving_range_and_limits_worked_by_hand():
    """10, 12, 11, 14, 13: mean 60 / 5 = 12; moving ranges 2, 1, 3, 1, so mR-bar 7 / 4 = 1.75;
    limits 12 ± 2.66 × 1.75 = 12 ± 4.655, i.e. 7.345 and 16.655. Nothing is flagged."""
    r = xmr([10, 12, 11, 14, 13])
    assert r.mean == pytest.approx(12.0)
    assert r.mr_bar == pytest.approx(1.75)
    assert r.lpl == pytest.approx(7.345)
    assert r.upl == pytest.approx(16.655)
    t = r.table
    assert list(t.columns) == [
        "value",
        "mean",
        "lpl",
        "upl",
        "moving_range",
        "special_cause",
        "rules",
        "variation",
    ]
    assert list(t.index) == [1, 2, 3, 4, 5]
    assert np.isnan(t["moving_range"].iloc[0])
    assert t["moving_range"].iloc[1:].tolist() == [2, 1, 3, 1]
    assert not t["special_cause"].any()
    assert set(t["rules"]) == {""}
    assert r.variation == "common cause"
    assert r.baseline_points == 5


def test_baseline_points_fix_the_limits_from_the_first_points():
    """10, 12, 11, 14, 13, 50, 60 with baseline_points=5 keeps the limits above (7.345 to
    16.655), so 50 and 60 fall outside; without it the mean is 170 / 7 = 24.2857 and mR-bar is
    (2 + 1 + 3 + 1 + 37 + 10) / 6 = 9."""
    values = [10, 12, 11, 14, 13, 50, 60]
    fixed = xmr(values, baseline_points=5)
    assert fixed.mean == pytest.approx(12.0) and fixed.mr_bar == pytest.approx(1.75)
    assert _flagged(fixed, "outside limits") == [6, 7]
    assert fixed.table["upl"].tolist() == pytest.approx([16.655] * 7)
    whole = xmr(values)
    assert whole.mean == pytest.approx(170 / 7)
    assert whole.mr_bar == pytest.approx(9.0)
    assert whole.upl == pytest.approx(170 / 7 + 2.66 * 9)


def test_the_baseline_series_itself_triggers_nothing():
    """The 8-point baseline: mean 10, mR-bar 4, limits -0.64 and 20.64, no special cause."""
    r = xmr(BASELINE)
    assert (r.mean, r.mr_bar) == (10.0, 4.0)
    assert r.lpl == pytest.approx(-0.64) and r.upl == pytest.approx(20.64)
    assert not r.table["special_cause"].any()


def test_screen_outliers_leaves_big_moving_ranges_out_of_mr_bar():
    """Moving ranges 4 × 7 and one of 40: mR-bar 68 / 8 = 8.5; 40 > 3.267 × 8.5 = 27.8, so
    screening leaves it out and mR-bar becomes 28 / 7 = 4 (NHSRplotthedots' default)."""
    values = [*BASELINE, 48]
    assert xmr(values).mr_bar == pytest.approx(8.5)
    assert xmr(values, screen_outliers=True).mr_bar == pytest.approx(4.0)


# --------------------------------------------------------------------------------------------
# Rule 1: outside the limits.
# --------------------------------------------------------------------------------------------
def test_outside_limits_is_strictly_beyond_the_limit():
    """20.6 is inside the upper limit of 20.64; 20.7 and -1 are outside."""
    assert _flagged(_run([20.6]), "outside limits") == []
    assert _flagged(_run([20.7]), "outside limits") == [9]
    assert _flagged(_run([-1]), "outside limits") == [9]


# --------------------------------------------------------------------------------------------
# Rule 2: shift.
# --------------------------------------------------------------------------------------------
def test_shift_needs_seven_points_on_one_side():
    """After the baseline (ending below the mean), 6 points above the mean (11, 12, 11, 12,
    11, 12) are not a shift; a 7th (11) makes all 7 a shift. None is a trend or near a limit."""
    six = _run([11, 12, 11, 12, 11, 12])
    assert _flagged(six, "shift") == []
    assert not six.table["special_cause"].any()
    seven = _run([11, 12, 11, 12, 11, 12, 11])
    assert _flagged(seven, "shift") == list(range(9, 16))
    assert set(seven.table.loc[9:, "rules"]) == {"shift"}


def test_shift_length_is_a_parameter_and_the_mean_breaks_a_run():
    """shift_length=6 flags the 6 points; a point exactly on the mean (10) breaks a run."""
    assert _flagged(_run([11, 12, 11, 12, 11, 12], shift_length=6), "shift") == list(range(9, 15))
    broken = _run([11, 12, 11, 10, 12, 11, 12, 11])
    assert _flagged(broken, "shift") == []


def test_shift_below_the_mean_is_flagged_too():
    """Seven points below the mean after a point above it: 9, 8, 9, 8, 9, 8, 9."""
    r = xmr([*BASELINE[:-1], 12, 9, 8, 9, 8, 9, 8, 9], baseline_points=8)
    r_base = xmr([*BASELINE[:-1], 12], baseline_points=8)
    assert r_base.mean == 10.5  # a different baseline: 5 × 12 + 3 × 8 over 8
    assert _flagged(r, "shift") == list(range(9, 16))


# --------------------------------------------------------------------------------------------
# Rule 3: trend.
# --------------------------------------------------------------------------------------------
RISING_6 = [9, 9.5, 10.5, 11, 11.5]  # with the baseline's last 8: six points rising
RISING_7 = [9, 9.5, 10.5, 11, 11.5, 12]  # seven points rising


def test_trend_needs_seven_points_each_higher_than_the_last():
    """8 (the baseline's last), 9, 9.5, 10.5, 11, 11.5: 6 rising points are not a trend with
    the default trend_length of 7; with 12 added the 7 points (8 to 14) are a trend. Only 4 of
    them sit above the mean and none is near a limit, so no other rule fires."""
    assert _flagged(_run(RISING_6), "trend") == []
    seven = _run(RISING_7)
    assert _flagged(seven, "trend") == list(range(8, 15))
    assert _flagged(seven, "shift") == [] and _flagged(seven, "two of three") == []


def test_trend_length_six_is_available():
    """trend_length=6 (the MDC Excel tool's other option) makes the 6 rising points a trend."""
    assert _flagged(_run(RISING_6, trend_length=6), "trend") == list(range(8, 14))


def test_a_repeated_value_breaks_a_trend():
    """8, 9, 9.5, 9.5, 10.5, 11, 11.5, 12: the tie splits it into runs of 3 and 5: no trend."""
    assert _flagged(_run([9, 9.5, 9.5, 10.5, 11, 11.5, 12]), "trend") == []


def test_falling_trend_is_flagged():
    """12 (a baseline point), then 11.5, 11, 10.5, 9.5, 9, 8.5: 7 falling points."""
    r = xmr([*BASELINE[:-1], 12, 11.5, 11, 10.5, 9.5, 9, 8.5], baseline_points=8)
    assert _flagged(r, "trend") == list(range(8, 15))


# --------------------------------------------------------------------------------------------
# Rule 4: two of three beyond the 2-sigma line.
# --------------------------------------------------------------------------------------------
def test_two_of_three_beyond_two_sigma_on_the_same_side():
    """18, 11, 18: all above the mean, two beyond the 2-sigma line (17.09): the two 18s are
    flagged, not the 11."""
    r = _run([18, 11, 18])
    assert _flagged(r, "two of three") == [9, 11]
    assert r.table.loc[10, "special_cause"] is np.False_


def test_two_of_three_not_triggered_at_its_boundary():
    """18, 11, 11 has one point beyond 2 sigma; 18, 9, 18 mixes sides of the mean; 17, 11, 17
    stays inside the 2-sigma line. None is flagged."""
    for after in ([18, 11, 11], [18, 9, 18], [17, 11, 17]):
        assert _flagged(_run(after), "two of three") == [], after


def test_two_of_three_counts_points_beyond_the_limit():
    """21 (outside the limit) and 18: two of three beyond 2 sigma (MDC's 2023 rule)."""
    r = _run([21, 18, 11])
    assert _flagged(r, "two of three") == [9, 10]
    assert _flagged(r, "outside limits") == [9]
    assert r.table.loc[9, "rules"] == "outside limits, two of three"


# --------------------------------------------------------------------------------------------
# Variation labels and assurance.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("improvement", "high", "low"),
    [
        ("up", "special cause – improvement", "special cause – concern"),
        ("down", "special cause – concern", "special cause – improvement"),
        (None, "special cause – neither", "special cause – neither"),
    ],
)
def test_improvement_direction_sets_the_label(improvement, high, low):
    """A point above the upper limit is an improvement when up is better, a concern when down
    is better, neither without a direction; a point below the lower limit the reverse."""
    assert _run([25], improvement=improvement).variation == high
    assert _run([-5], improvement=improvement).variation == low
    assert _run([11], improvement=improvement).variation == "common cause"
    assert set(VARIATIONS) >= {high, low}


def test_a_point_flagged_both_ways_is_shown_as_improvement():
    """1, 2, 3, 2, 1 with trend_length=3: 1, 2, 3 rise and 3, 2, 1 fall; the peak is in both.
    With lower better, the rising points are a concern, the falling ones an improvement, and
    the peak improvement (as the MDC single-chart tool shows it)."""
    r = xmr([1, 2, 3, 2, 1], trend_length=3, improvement="down")
    assert r.table["variation"].tolist() == [
        "special cause – concern",
        "special cause – concern",
        "special cause – improvement",
        "special cause – improvement",
        "special cause – improvement",
    ]


@pytest.mark.parametrize(
    ("target", "improvement", "assurance"),
    [
        (25, "up", "consistently fail"),
        (-5, "up", "consistently pass"),
        (15, "up", "hit and miss"),
        (25, "down", "consistently pass"),
        (-5, "down", "consistently fail"),
        (15, "down", "hit and miss"),
        (15, None, None),
    ],
)
def test_assurance_against_a_target(target, improvement, assurance):
    """Limits -0.64 to 20.64: a target above them is always failed when up is better (always
    met when down is better), one below them the reverse, one between them hit and miss."""
    r = xmr(BASELINE, target=target, improvement=improvement)
    assert r.assurance == assurance
    assert r.target == target


# --------------------------------------------------------------------------------------------
# Words.
# --------------------------------------------------------------------------------------------
def _weekly(values, name="demand_hours") -> pd.Series:
    return pd.Series(
        values, index=pd.date_range("2025-01-06", periods=len(values), freq="W-MON"), name=name
    )


def test_describe_common_cause_in_plain_words():
    """A stable weekly series: 'has varied within its usual limits (common cause ...)', with
    weeks as the period, and the latest week's verdict."""
    text = xmr(_weekly(BASELINE)).describe("Weekly demand", unit="hours")
    lines = text.splitlines()
    assert lines[0] == (
        "Weekly demand has varied within its usual limits (common cause variation) over the "
        "8 weeks shown: between -0.6 and 20.6 hours, around an average of 10.0 hours."
    )
    assert (
        lines[-1] == "The latest week (24 Feb 2025) shows common cause variation: nothing unusual."
    )


def test_describe_names_a_shift_at_the_end_and_the_target():
    """Eight weeks above the mean at the end: 'The last 8 weeks sat above the average: a
    shift.'; a target inside the limits is hit and miss; the name comes from the Series."""
    s = _weekly([*BASELINE, 11, 12, 11, 12, 11, 12, 11, 12])
    text = xmr(s, baseline_points=8, improvement="down", target=15).describe(unit="hours")
    assert text.startswith("Demand hours shows special cause variation over the 16 weeks")
    assert "(limits from the first 8 weeks)" in text
    assert "- The last 8 weeks sat above the average: a shift." in text
    assert "worse direction (concern)" in text
    assert "met in some weeks and missed in others (hit and miss)" in text


def test_describe_names_outside_points_trends_and_two_of_three():
    """Each rule that fired gets its own line in words."""
    outside = _run([25]).describe("Visits", period="month")
    assert "- 1 month was above the upper limit (9)." in outside
    trend = _run(RISING_7).describe("Visits", period="month")
    assert "- Over the last 7 months each value rose on the one before: a trend." in trend
    near = _run([18, 11, 18, 11]).describe("Visits", period="month")
    assert "Two of three months in a row came close to a limit (9, 11)" in near


# --------------------------------------------------------------------------------------------
# Bad input.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "kwargs", "error", "message"),
    [
        ([5], {}, DataError, "at least 2 values"),
        ([], {}, DataError, "at least 2 values"),
        ([1.0, np.nan, 3.0], {}, DataError, "missing or infinite, at 2"),
        (["a", "b", "c"], {}, DataError, "needs numbers"),
        ([True, False], {}, DataError, "needs numbers"),
        ("123", {}, DataError, "sequence of numbers"),
        ([1, 2, 3], {"index": ["a", "b"]}, DataError, "must match"),
        ([1, 2, 3], {"improvement": "higher"}, ConfigError, "improvement"),
        ([1, 2, 3], {"baseline_points": 1}, ConfigError, "baseline_points"),
        ([1, 2, 3], {"baseline_points": 4}, ConfigError, "only 3 values"),
        ([1, 2, 3], {"shift_length": 1}, ConfigError, "shift_length"),
        ([1, 2, 3], {"trend_length": 2.5}, ConfigError, "trend_length"),
        ([1, 2, 3], {"target": "ten"}, ConfigError, "target"),
    ],
)
def test_bad_input_raises_a_clear_clearlib_error(values, kwargs, error, message):
    """Too few points, missing or non-numeric values and bad options name the problem."""
    with pytest.raises(error, match=message):
        xmr(values, **kwargs)


def test_dates_out_of_order_are_refused():
    """A date index that goes backwards is refused: sort first."""
    s = pd.Series([1.0, 2.0, 3.0], index=pd.to_datetime(["2025-01-13", "2025-01-06", "2025-01-20"]))
    with pytest.raises(DataError, match="not in order"):
        xmr(s)


# --------------------------------------------------------------------------------------------
# The chart.
# --------------------------------------------------------------------------------------------
def test_chart_draws_values_mean_limits_target_and_coloured_points():
    """Traces for values, mean, both limits and the target; each point sits in the trace of its
    variation, coloured as MDC colours it (blue improvement, orange concern, grey common)."""
    s = _weekly([*BASELINE, 11, 12, 11, 12, 11, 12, 11, 25])
    r = xmr(s, baseline_points=8, improvement="up", target=15)
    fig = spc_chart(r, title="Weekly demand", y_title="Hours", source="synthetic PCN")
    traces = {t.name: t for t in fig.data}
    assert list(traces["Values"].y) == s.tolist()
    assert set(traces["Mean"].y) == {10.0}
    assert list(traces["Upper process limit"].y) == pytest.approx([20.64] * 16)
    assert traces["Upper process limit"].line.dash == "dash"
    assert list(traces["Lower process limit"].y) == pytest.approx([-0.64] * 16)
    assert set(traces["Target"].y) == {15}
    special = r.table[r.table["special_cause"]]
    assert len(special) == 8  # the shift of 8 weeks, the last also outside the limit
    by_variation = {
        "special cause – improvement": "Special cause: improvement",
        "common cause": "Common cause (usual variation)",
    }
    for variation, name in by_variation.items():
        trace = traces[name]
        expected = r.table[r.table["variation"] == variation]
        assert list(trace.x) == list(expected.index)
        assert trace.marker.color == VARIATION_COLOURS[variation]
    assert VARIATION_COLOURS["special cause – improvement"] == "#005EB8"
    assert VARIATION_COLOURS["special cause – concern"] == "#ED8B00"
    assert fig.layout.title.text == "Weekly demand"
    assert fig.layout.yaxis.title.text == "Hours"
    notes = [a.text for a in fig.layout.annotations]
    assert "Source: synthetic PCN" in notes
    assert any("Latest point: special cause – improvement" in n for n in notes)
    assert any("Target: hit and miss" in n for n in notes)


def test_chart_from_a_series_runs_xmr_and_refuses_options_on_a_result():
    """A Series is charted with the options given; an XmRResult refuses new options."""
    s = _weekly([*BASELINE, -5])
    fig = spc_chart(s, title="t", y_title="y", source="s", improvement="down", baseline_points=8)
    names = [t.name for t in fig.data]
    assert "Special cause: improvement" in names and "Target" not in names
    with pytest.raises(ConfigError, match="xmr"):
        spc_chart(xmr(s), title="t", y_title="y", source="s", improvement="up")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=2, max_size=40),
    st.sampled_from(["up", "down", None]),
)
def test_property_limits_and_flags_are_consistent(values, improvement):
    """For any series: limits are mean ± 2.66 × mR-bar, a point is special cause exactly when a
    rule fired, common cause otherwise, and 'neither' appears only without a direction."""
    r = xmr(values, improvement=improvement)
    x = np.array(values)
    assert r.mean == pytest.approx(x.mean(), abs=1e-6)
    assert r.mr_bar == pytest.approx(np.abs(np.diff(x)).mean(), abs=1e-6)
    assert r.upl == pytest.approx(r.mean + 2.66 * r.mr_bar, abs=1e-6)
    t = r.table
    assert (t["special_cause"] == t["rules"].ne("")).all()
    assert (t["special_cause"] == t["variation"].ne("common cause")).all()
    assert ("special cause – neither" in set(t["variation"])) <= (improvement is None)
    assert set(t["variation"]) <= set(VARIATIONS)
    assert r.variation == t["variation"].iloc[-1]


def test_one_column_frame_and_labels_are_accepted():
    """A one-column DataFrame is its column; index= labels the points."""
    frame = pd.DataFrame({"hours": [10, 12, 11, 14, 13]})
    r = xmr(frame, index=list("abcde"))
    assert list(r.table.index) == list("abcde") and r.name == "hours"
    with pytest.raises(DataError, match="one column"):
        xmr(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))


def test_values_equal_to_the_mean_within_rounding_are_on_the_line():
    """Eight values of 0.1 have a floating-point mean a hair off 0.1: no shift, no signal."""
    r = xmr([0.1] * 8)
    assert r.mr_bar == 0 and not r.table["special_cause"].any()
