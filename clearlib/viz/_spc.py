"""Statistical process control, the NHS England "Making Data Count" way: XmR charts.

An XmR (individuals and moving range) chart tells the usual ups and downs of a measure
(*common cause* variation) from change worth acting on (*special cause* variation).

Calculation (Making Data Count, MDC; Wheeler's XmR chart)
    centre line = the mean of the values; moving range = ``|x[i] - x[i-1]|``; mR-bar = the
    mean of the moving ranges; process limits = mean ± 2.66 × mR-bar (2.66 = 3 / 1.128, so
    the limits sit about 3 sigma from the mean). ``baseline_points=N`` computes the mean and
    mR-bar from the first N points only and judges every point against those limits
    (NHSRplotthedots' ``fix_after_n_points``). Limits are computed from every moving range:
    the MDC Excel tools do not screen outlying moving ranges (NHSRplotthedots does by default;
    ``screen_outliers=True`` does the same here: moving ranges above 3.267 × mR-bar are left
    out and mR-bar is recomputed).

Special-cause rules (as the MDC tools and the NHS-R Community's NHSRplotthedots apply them)
    1. **Outside the limits**: a point above the upper or below the lower process limit.
    2. **Shift**: ``shift_length`` (MDC: 7) or more consecutive points all above or all below
       the mean; a point exactly on the mean breaks the run. Every point of the run is flagged.
    3. **Trend**: ``trend_length`` (MDC and NHSRplotthedots: 7) or more consecutive points each
       higher than the one before (or each lower); a repeated value breaks the trend, as in
       NHSRplotthedots' ``ptd_seven_point_trend`` (``sign(diff(y))`` must be all 1 or all -1).
       The MDC Excel tool lets a user choose 6 instead (NHSRplotthedots issue #202).
    4. **Two of three**: of three consecutive points, all on the same side of the mean, two or
       three lie beyond two thirds of the way from the mean to the process limit (the 2-sigma
       line), counting points beyond the limit too (the MDC team's 2023 change, NHSRplotthedots
       issue #194). Only the points beyond the 2-sigma line are flagged.

Each flagged point is a special cause of *improvement* or *concern* given the direction that
is better (``improvement="up"`` or ``"down"``), or of *neither* when no direction is better.
A point flagged both ways (say the last point of a rising trend that starts a falling one) is
shown as improvement, as the MDC single-chart tool does. The chart's overall variation (the MDC
variation icon) is that of the latest point.

Assurance against a target (the MDC assurance icons; NHSRplotthedots'
``ptd_calculate_assurance_type``): when higher is better, a target below the lower limit will
be **consistently passed**, a target above the upper limit **consistently failed**, and a target
between the limits will be **hit and miss**; the reverse when lower is better. No assurance is
given when neither direction is better.

Sources: NHS England, *Making Data Count* (https://www.england.nhs.uk/publication/making-data-count/);
NHS-R Community, NHSRplotthedots 0.2.2 (https://github.com/nhs-r-community/NHSRplotthedots),
``R/ptd_spc_standard.R``, ``R/ptd_calculate_point_type.R``, ``R/ptd_calculate_assurance_type.R``
and ``R/ptd_spc_colours.R``; issues #194 and #202 on that repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError
from clearlib.viz._theme import NHS_COLOURS, finish

__all__ = ["VARIATIONS", "XmRResult", "spc_chart", "xmr"]

#: The MDC variation labels, in the order the chart's legend shows them.
COMMON = "common cause"
IMPROVEMENT = "special cause – improvement"
CONCERN = "special cause – concern"
NEITHER = "special cause – neither"
VARIATIONS = (COMMON, IMPROVEMENT, CONCERN, NEITHER)

#: The MDC assurance labels.
PASS, FAIL, HIT_AND_MISS = "consistently pass", "consistently fail", "hit and miss"

#: Rule names, as written in ``XmRResult.table["rules"]``.
RULE_OUTSIDE, RULE_SHIFT, RULE_TREND, RULE_TWO_OF_THREE = (
    "outside limits",
    "shift",
    "trend",
    "two of three",
)

#: 3 / d2 with d2 = 1.128 for moving ranges of two points.
LIMIT_FACTOR = 2.66
#: Moving ranges above 3.267 × mR-bar (the upper limit of the moving-range chart) are screened.
MR_SCREEN_FACTOR = 3.267

#: Point colours: MDC's grey, blue, orange and purple, in the NHS identity palette.
VARIATION_COLOURS = {
    COMMON: NHS_COLOURS["mid_grey"],
    IMPROVEMENT: NHS_COLOURS["nhs_blue"],
    CONCERN: NHS_COLOURS["orange"],
    NEITHER: NHS_COLOURS["purple"],
}
_LEGEND = {
    COMMON: "Common cause (usual variation)",
    IMPROVEMENT: "Special cause: improvement",
    CONCERN: "Special cause: concern",
    NEITHER: "Special cause: neither better nor worse",
}

Improvement = Literal["up", "down"] | None


# --------------------------------------------------------------------------------------------
# The result.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class XmRResult:
    """An XmR chart's numbers: limits, and for each point its rules and variation.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per point, indexed by the point's label (a date or a name): ``value``,
        ``mean``, ``lpl`` and ``upl`` (lower and upper process limits), ``moving_range``
        (NaN for the first point), ``special_cause`` (bool), ``rules`` (the rules that
        flagged the point, comma-separated: ``outside limits``, ``shift``, ``trend``,
        ``two of three``; empty if none) and ``variation`` (one of :data:`VARIATIONS`).
    mean, lpl, upl, mr_bar : float
        The centre line, the process limits and the mean moving range.
    improvement : {"up", "down", None}
        Which direction is better.
    baseline_points : int
        How many points (from the first) the mean and limits were computed from.
    target : float or None
        The target, if one was given.
    assurance : str or None
        ``"consistently pass"``, ``"consistently fail"`` or ``"hit and miss"``; None without a
        target or a direction of improvement.
    name : str or None
        What the values measure (the Series' name), used by :meth:`describe`.
    """

    table: pd.DataFrame
    mean: float
    lpl: float
    upl: float
    mr_bar: float
    improvement: Improvement
    baseline_points: int
    target: float | None = None
    assurance: str | None = None
    name: str | None = None
    shift_length: int = 7
    trend_length: int = 7

    @property
    def variation(self) -> str:
        """The variation of the latest point: the MDC variation icon."""
        return str(self.table["variation"].iloc[-1])

    @property
    def special_causes(self) -> pd.DataFrame:
        """The flagged points only."""
        return self.table[self.table["special_cause"]]

    def describe(
        self, what: str | None = None, *, unit: str = "", period: str | None = None
    ) -> str:
        """The chart in plain words, for a sponsor.

        Parameters
        ----------
        what : str, optional
            What is measured, e.g. ``"Weekly demand"``; by default the Series' name.
        unit : str, optional
            The unit of the values, e.g. ``"hours"``.
        period : str, optional
            What one point is (``"week"``, ``"month"``); by default worked out from a date
            index, else ``"point"``.

        Examples
        --------
        >>> r = xmr([10, 12, 11, 13, 12, 11, 12, 10, 11, 12])
        >>> r.describe("Weekly demand", unit="hours", period="week").splitlines()[0]
        'Weekly demand has varied within its usual limits (common cause variation) over the 10 weeks shown: between 7.9 and 14.9 hours, around an average of 11.4 hours.'
        """
        return _describe(self, what, unit, period)

    def __repr__(self) -> str:
        n = len(self.table)
        k = int(self.table["special_cause"].sum())
        return (
            f"<XmRResult {n} points, mean {self.mean:.4g}, limits {self.lpl:.4g} to "
            f"{self.upl:.4g}, {k} special-cause points; latest: {self.variation}>"
        )


# --------------------------------------------------------------------------------------------
# Validation at the edge.
# --------------------------------------------------------------------------------------------
def _as_values(values: Any, index: Any) -> tuple[np.ndarray, pd.Index, str | None]:
    name = None
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise DataError(
                f"xmr() needs one column of values; found a DataFrame with {values.shape[1]} "
                "columns. What to do: pass one column, e.g. df['demand_hours'] (a Series "
                "indexed by date)."
            )
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        name = None if values.name is None else str(values.name)
        labels = values.index if index is None else pd.Index(index)
        series = values
    else:
        if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
            raise DataError(
                f"xmr() needs a sequence of numbers (a pandas Series, list or array); found "
                f"{type(values).__name__}."
            )
        series = pd.Series(list(values) if not isinstance(values, np.ndarray) else values)
        labels = pd.RangeIndex(1, len(series) + 1) if index is None else pd.Index(index)
    if len(labels) != len(series):
        raise DataError(
            f"xmr(): index has {len(labels)} labels for {len(series)} values; they must match."
        )
    if len(series) < 2:
        raise DataError(
            f"xmr() needs at least 2 values to compute a moving range; found {len(series)}. "
            "MDC advises 15 to 20 points for useful limits."
        )
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        bad = pd.to_numeric(series, errors="coerce").isna() & series.notna()
        where = ", ".join(str(labels[i]) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise DataError(
            "xmr() needs numbers; found "
            + (f"non-numeric values at {where}" if where else f"values of type {series.dtype}")
            + ". What to do: convert the measure to numbers first (pd.to_numeric)."
        )
    x = series.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.flatnonzero(~np.isfinite(x))
    if len(missing):
        where = ", ".join(str(labels[i]) for i in missing[:5])
        raise DataError(
            f"xmr(): {len(missing)} value(s) missing or infinite, at {where}. An XmR chart "
            "needs a value for every period. What to do: fill the gap if a count is truly 0, "
            "or drop the period and say so on the chart."
        )
    if isinstance(labels, pd.DatetimeIndex) and not labels.is_monotonic_increasing:
        raise DataError(
            "xmr(): the dates are not in order. What to do: sort the values by date first "
            "(series.sort_index())."
        )
    return x, labels, name


def _whole(value: Any, what: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ConfigError(
            f"xmr(): {what} must be a whole number of {low} or more; found {value!r}."
        )
    return int(value)


# --------------------------------------------------------------------------------------------
# The rules, on clean input. Each returns a direction per point: +1 up, -1 down, 0 not flagged.
# --------------------------------------------------------------------------------------------
def _runs(flags: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs of equal non-zero values: (start, stop exclusive, value)."""
    out = []
    start = 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            if flags[start] != 0:
                out.append((start, i, int(flags[start])))
            start = i
    return out


def _rule_shift(side: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros(len(side), dtype=int)
    for start, stop, value in _runs(side):
        if stop - start >= length:
            out[start:stop] = value
    return out


def _rule_trend(x: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in a rising trend (+1) and in a falling trend (-1), kept apart: a peak can be both."""
    steps = np.sign(np.diff(x)).astype(int)
    up = np.zeros(len(x), dtype=int)
    down = np.zeros(len(x), dtype=int)
    for start, stop, value in _runs(steps):
        if stop - start + 1 >= length:  # k steps join k + 1 points
            (up if value > 0 else down)[start : stop + 1] = value
    return up, down


def _rule_two_of_three(side: np.ndarray, beyond: np.ndarray) -> np.ndarray:
    out = np.zeros(len(side), dtype=int)
    for i in range(len(side) - 2):
        window = slice(i, i + 3)
        s = side[window]
        if s[0] != 0 and (s == s[0]).all() and beyond[window].sum() >= 2:
            hits = np.flatnonzero(beyond[window]) + i
            out[hits] = s[0]
    return out


# --------------------------------------------------------------------------------------------
# The public functions.
# --------------------------------------------------------------------------------------------
def xmr(
    values: Any,
    index: Sequence[Any] | pd.Index | None = None,
    *,
    improvement: Improvement = None,
    baseline_points: int | None = None,
    shift_length: int = 7,
    trend_length: int = 7,
    target: float | None = None,
    screen_outliers: bool = False,
) -> XmRResult:
    """XmR chart numbers and Making Data Count special-cause rules for a series of values.

    Parameters
    ----------
    values : pandas.Series or array-like of numbers
        One value per period, in time order (a Series indexed by date, or by label).
    index : sequence, optional
        Labels for the points; by default the Series' index, or 1, 2, 3 ...
    improvement : {"up", "down", None}, default None
        Which direction is better: ``"up"`` (more is better), ``"down"`` (less is better) or
        None (neither: special causes are labelled "neither").
    baseline_points : int, optional
        Compute the mean and limits from the first N points only (at least 2); by default
        from all of them.
    shift_length : int, default 7
        A run of this many points on one side of the mean is a shift (MDC: 7).
    trend_length : int, default 7
        This many points each rising (or each falling) is a trend (MDC and NHSRplotthedots:
        7; the MDC Excel tool also offers 6).
    target : float, optional
        A target: gives the MDC assurance (``result.assurance``) when ``improvement`` is set.
    screen_outliers : bool, default False
        Leave moving ranges above 3.267 × mR-bar out of mR-bar (NHSRplotthedots' default);
        the MDC Excel tools do not, hence False.

    Returns
    -------
    XmRResult
        ``.table`` (one row per point), ``.mean``, ``.lpl``, ``.upl``, ``.mr_bar``,
        ``.variation`` (the latest point's), ``.assurance`` and ``.describe()``.

    Raises
    ------
    clearlib.DataError
        Fewer than 2 values, a missing or non-numeric value, dates out of order.
    clearlib.ConfigError
        An unknown ``improvement``, or a rule length or ``baseline_points`` that is not a
        whole number in range.

    Examples
    --------
    Values 10, 12, 11, 14, 13: mean 12; moving ranges 2, 1, 3, 1, so mR-bar 1.75; limits
    12 ± 2.66 × 1.75 = 7.345 and 16.655:

    >>> r = xmr([10, 12, 11, 14, 13])
    >>> r.mean, r.mr_bar, round(r.lpl, 3), round(r.upl, 3)
    (12.0, 1.75, 7.345, 16.655)
    >>> r.variation
    'common cause'

    A jump to 30 is outside the upper limit; where higher is worse it is a concern:

    >>> r = xmr([10, 12, 11, 14, 13, 30], improvement="down", baseline_points=5)
    >>> r.table[["value", "rules", "variation"]].tail(1)
       value           rules                variation
    6   30.0  outside limits  special cause – concern
    """
    x, labels, name = _as_values(values, index)
    n = len(x)
    if improvement not in ("up", "down", None):
        raise ConfigError(
            f"xmr(): improvement must be 'up' (higher is better), 'down' (lower is better) or "
            f"None (neither); found {improvement!r}."
        )
    shift_length = _whole(shift_length, "shift_length", 2)
    trend_length = _whole(trend_length, "trend_length", 2)
    if baseline_points is None:
        base_n = n
    else:
        base_n = _whole(baseline_points, "baseline_points", 2)
        if base_n > n:
            raise ConfigError(
                f"xmr(): baseline_points={base_n} but there are only {n} values. What to do: "
                "pass a baseline no longer than the series, or leave it out to use them all."
            )
    if target is not None and (
        isinstance(target, bool)
        or not isinstance(target, int | float | np.integer | np.floating)
        or not np.isfinite(target)
    ):
        raise ConfigError(f"xmr(): target must be a number; found {target!r}.")
    return _xmr(
        x,
        labels,
        name=name,
        improvement=improvement,
        base_n=base_n,
        shift_length=shift_length,
        trend_length=trend_length,
        target=None if target is None else float(target),
        screen_outliers=bool(screen_outliers),
    )


def _xmr(
    x: np.ndarray,
    labels: pd.Index,
    *,
    name: str | None,
    improvement: Improvement,
    base_n: int,
    shift_length: int,
    trend_length: int,
    target: float | None,
    screen_outliers: bool,
) -> XmRResult:
    base = x[:base_n]
    mean = float(base.mean())
    base_mr = np.abs(np.diff(base))
    mr_bar = float(base_mr.mean())
    if screen_outliers:
        kept = base_mr[base_mr < MR_SCREEN_FACTOR * mr_bar]
        mr_bar = float(kept.mean()) if len(kept) else mr_bar
    upl, lpl = mean + LIMIT_FACTOR * mr_bar, mean - LIMIT_FACTOR * mr_bar
    near = 2 / 3 * LIMIT_FACTOR * mr_bar  # the 2-sigma line's distance from the mean

    # Differences within rounding error of the mean (0.1 + 0.2 - 0.3) count as on the line.
    tol = 1e-9 * max(1.0, float(np.abs(x).max()))
    gap = np.where(np.abs(x - mean) <= tol, 0.0, x - mean)
    side = np.sign(gap).astype(int)
    outside = np.where(x > upl + tol, 1, np.where(x < lpl - tol, -1, 0))
    shift = _rule_shift(side, shift_length)
    trend_up, trend_down = _rule_trend(x, trend_length)
    two = _rule_two_of_three(side, np.abs(gap) > near + tol)

    rules: list[str] = []
    variation: list[str] = []
    for i in range(len(x)):
        fired = [
            name
            for name, hit in (
                (RULE_OUTSIDE, outside[i]),
                (RULE_SHIFT, shift[i]),
                (RULE_TREND, trend_up[i] or trend_down[i]),
                (RULE_TWO_OF_THREE, two[i]),
            )
            if hit
        ]
        rules.append(", ".join(fired))
        directions = {int(d) for d in (outside[i], shift[i], trend_up[i], trend_down[i], two[i])}
        directions.discard(0)
        variation.append(_label(directions, improvement))

    moving_range = np.concatenate([[np.nan], np.abs(np.diff(x))])
    table = pd.DataFrame(
        {
            "value": x,
            "mean": mean,
            "lpl": lpl,
            "upl": upl,
            "moving_range": moving_range,
            "special_cause": [v != COMMON for v in variation],
            "rules": pd.Series(rules, dtype="str").to_numpy(),
            "variation": pd.Series(variation, dtype="str").to_numpy(),
        },
        index=labels,
    )
    return XmRResult(
        table=table,
        mean=mean,
        lpl=lpl,
        upl=upl,
        mr_bar=mr_bar,
        improvement=improvement,
        baseline_points=base_n,
        target=target,
        assurance=_assurance(target, improvement, lpl, upl),
        name=name,
        shift_length=shift_length,
        trend_length=trend_length,
    )


def _label(directions: set[int], improvement: Improvement) -> str:
    if not directions:
        return COMMON
    if improvement is None:
        return NEITHER
    better = 1 if improvement == "up" else -1
    # Flagged both ways: MDC's single-chart tool shows improvement.
    return IMPROVEMENT if better in directions else CONCERN


def _assurance(
    target: float | None, improvement: Improvement, lpl: float, upl: float
) -> str | None:
    if target is None or improvement is None:
        return None
    up = improvement == "up"
    if target > upl:
        return FAIL if up else PASS
    if target < lpl:
        return PASS if up else FAIL
    return HIT_AND_MISS


# --------------------------------------------------------------------------------------------
# Words.
# --------------------------------------------------------------------------------------------
def _decimals(r: XmRResult) -> int:
    """One precision for every number in the words: 0 from 100 up, 1 from 1 up, else 2."""
    size = max(abs(r.upl), abs(r.lpl), abs(r.mean))
    return 0 if size >= 100 else 1 if size >= 1 else 2


def _number(v: float, decimals: int) -> str:
    return f"{v:,.{decimals}f}"


def _period(labels: pd.Index) -> str:
    if isinstance(labels, pd.DatetimeIndex) and len(labels) > 1:
        days = float(pd.Series(labels).diff().dt.total_seconds().median() / 86_400)
        for low, high, word in (
            (0.9, 1.1, "day"),
            (6, 8, "week"),
            (27, 32, "month"),
            (88, 93, "quarter"),
            (360, 370, "year"),
        ):
            if low <= days <= high:
                return word
    return "point"


def _when(label: Any) -> str:
    if isinstance(label, pd.Timestamp):
        return f"{label.day} {label:%b %Y}"
    return str(label)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _describe(r: XmRResult, what: str | None, unit: str, period: str | None) -> str:
    t = r.table
    n = len(t)
    labels = t.index
    what = what or (r.name.replace("_", " ").capitalize() if r.name else "The measure")
    period = period or _period(labels)
    u = f" {unit}" if unit else ""
    d = _decimals(r)
    limits = (
        f"between {_number(r.lpl, d)} and {_number(r.upl, d)}{u}, around an average of "
        f"{_number(r.mean, d)}{u}"
    )
    base = (
        f" (limits from the first {_plural(r.baseline_points, period)})"
        if r.baseline_points < n
        else ""
    )
    lines: list[str] = []
    if not t["special_cause"].any():
        lines.append(
            f"{what} has varied within its usual limits (common cause variation) over the "
            f"{_plural(n, period)} shown: {limits}{base}."
        )
    else:
        lines.append(
            f"{what} shows special cause variation over the {_plural(n, period)} shown; its "
            f"usual limits are {limits}{base}."
        )
        lines.extend(_signals(r, period))
    latest = _when(labels[-1])
    meaning = {
        COMMON: "common cause variation: nothing unusual",
        IMPROVEMENT: "special cause variation in the better direction (improvement)",
        CONCERN: "special cause variation in the worse direction (concern)",
        NEITHER: "special cause variation (neither better nor worse: no direction was set)",
    }[r.variation]
    lines.append(f"The latest {period} ({latest}) shows {meaning}.")
    if r.target is not None:
        target = f"{_number(r.target, d)}{u}"
        if r.assurance is None:
            lines.append(
                f"The target of {target} cannot be assured without saying which direction is "
                "better."
            )
        else:
            lines.append(
                {
                    PASS: f"The target of {target} lies outside the limits on the good side: "
                    "it will be met consistently unless the process changes.",
                    FAIL: f"The target of {target} lies outside the limits on the wrong side: "
                    "it will be missed consistently unless the process changes.",
                    HIT_AND_MISS: f"The target of {target} lies within the limits: it will be "
                    f"met in some {period}s and missed in others (hit and miss).",
                }[r.assurance]
            )
    return "\n".join(lines)


def _signals(r: XmRResult, period: str) -> list[str]:
    t = r.table
    labels = t.index
    x = t["value"].to_numpy()
    out: list[str] = []
    above = np.flatnonzero(x > r.upl)
    below = np.flatnonzero(x < r.lpl)
    for idx, where in ((above, "above the upper limit"), (below, "below the lower limit")):
        if len(idx):
            when = ", ".join(_when(labels[i]) for i in idx[:5]) + (" ..." if len(idx) > 5 else "")
            out.append(
                f"- {_plural(len(idx), period)} {'was' if len(idx) == 1 else 'were'} {where} ({when})."
            )
    side = np.sign(np.where(t["rules"].str.contains(RULE_SHIFT, regex=False), x - r.mean, 0))
    for start, stop, value in _runs(_rule_shift(side.astype(int), r.shift_length)):
        k = stop - start
        where = "above" if value > 0 else "below"
        if stop == len(x):
            out.append(f"- The last {_plural(k, period)} sat {where} the average: a shift.")
        else:
            out.append(
                f"- {_plural(k, period)} in a row, {_when(labels[start])} to "
                f"{_when(labels[stop - 1])}, sat {where} the average: a shift."
            )
    up, down = _rule_trend(x, r.trend_length)
    for flags, word in ((up, "rose"), (down, "fell")):
        for start, stop, _ in _runs(flags):
            k = stop - start
            span = (
                f"the last {_plural(k, period)}"
                if stop == len(x)
                else f"{_plural(k, period)} from {_when(labels[start])} to {_when(labels[stop - 1])}"
            )
            out.append(f"- Over {span} each value {word} on the one before: a trend.")
    two = t["rules"].str.contains(RULE_TWO_OF_THREE, regex=False).to_numpy()
    near = two & (x <= r.upl) & (x >= r.lpl)  # those beyond a limit are reported above
    if near.any():
        when = ", ".join(_when(labels[i]) for i in np.flatnonzero(near)[:6])
        out.append(
            f"- Two of three {period}s in a row came close to a limit ({when}): an early "
            "warning of change."
        )
    return out


# --------------------------------------------------------------------------------------------
# The chart.
# --------------------------------------------------------------------------------------------
def spc_chart(
    data: XmRResult | pd.Series | Any,
    *,
    title: str,
    y_title: str,
    source: str,
    improvement: Improvement = None,
    target: float | None = None,
    baseline_points: int | None = None,
    x_title: str | None = None,
) -> Any:
    """A Making Data Count XmR chart: values, mean, process limits, points coloured by variation.

    A grey line joins the values; each point is coloured as MDC colours it: grey for common
    cause, blue for special cause improvement, orange for special cause concern, purple for
    special cause where neither direction is better. The mean is a solid line, the process
    limits dashed, a target (if any) dotted; the legend says what each colour means, and a
    note in the top right gives the latest point's variation and the target's assurance.

    Parameters
    ----------
    data : XmRResult or pandas.Series
        An :func:`xmr` result, or the values (then ``improvement``, ``target`` and
        ``baseline_points`` are passed to :func:`xmr`).
    title, y_title, source : str
        The chart's title, y-axis title and source note.
    improvement, target, baseline_points :
        As in :func:`xmr`; only with a Series (an XmRResult carries its own).
    x_title : str, optional
        The x-axis title (default: the index's name, if any).

    Returns
    -------
    plotly.graph_objects.Figure

    Raises
    ------
    clearlib.ConfigError
        If ``improvement``, ``target`` or ``baseline_points`` are given with an XmRResult.

    Examples
    --------
    >>> s = pd.Series([10, 12, 11, 14, 13, 30],
    ...               index=pd.date_range("2025-01-06", periods=6, freq="W-MON"))
    >>> fig = spc_chart(s, title="Demand", y_title="Hours", source="synthetic",
    ...                 improvement="down", baseline_points=5)
    >>> [t.name for t in fig.data]  # doctest: +NORMALIZE_WHITESPACE
    ['Values', 'Mean', 'Upper process limit', 'Lower process limit',
     'Common cause (usual variation)', 'Special cause: concern']
    """
    import plotly.graph_objects as go

    if isinstance(data, XmRResult):
        given = {
            k: v
            for k, v in (
                ("improvement", improvement),
                ("target", target),
                ("baseline_points", baseline_points),
            )
            if v is not None
        }
        if given:
            raise ConfigError(
                f"spc_chart(): {', '.join(given)} cannot be changed on an XmRResult: the limits "
                "and rules were worked out with its own. What to do: pass them to xmr(...), or "
                "pass the Series to spc_chart."
            )
        result = data
    else:
        result = xmr(data, improvement=improvement, target=target, baseline_points=baseline_points)

    t = result.table
    x = list(t.index)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=t["value"],
            name="Values",
            mode="lines",
            line={"color": NHS_COLOURS["mid_grey"], "width": 2},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    lines = (
        ("Mean", t["mean"], NHS_COLOURS["dark_grey"], "solid"),
        ("Upper process limit", t["upl"], NHS_COLOURS["mid_grey"], "dash"),
        ("Lower process limit", t["lpl"], NHS_COLOURS["mid_grey"], "dash"),
    )
    for name, y, colour, dash in lines:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=name,
                mode="lines",
                line={"color": colour, "width": 1.5, "dash": dash},
                hovertemplate=f"{name}: %{{y:,.1f}}<extra></extra>",
            )
        )
    if result.target is not None:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[result.target] * len(x),
                name="Target",
                mode="lines",
                line={"color": NHS_COLOURS["dark_red"], "width": 1.5, "dash": "dot"},
                hovertemplate="Target: %{y:,.1f}<extra></extra>",
            )
        )
    for variation in VARIATIONS:
        part = t[t["variation"] == variation]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=list(part.index),
                y=part["value"],
                name=_LEGEND[variation],
                mode="markers",
                marker={"color": VARIATION_COLOURS[variation], "size": 9},
                customdata=np.stack([part["rules"].replace("", "none")], axis=-1),
                hovertemplate="%{x}<br>%{y:,.1f}<br>"
                f"{variation}<br>rules: %{{customdata[0]}}<extra></extra>",
            )
        )
    if result.baseline_points < len(t):
        edge = x[result.baseline_points - 1]
        fig.add_shape(
            type="line",
            x0=edge,
            x1=edge,
            xref="x",
            y0=0,
            y1=1,
            yref="paper",
            line={"color": NHS_COLOURS["mid_grey"], "width": 1, "dash": "dot"},
        )
        fig.add_annotation(
            x=edge,
            y=1,
            xref="x",
            yref="paper",
            text=f"limits from the first {result.baseline_points} points",
            showarrow=False,
            xanchor="right",
            yanchor="top",
            font={"size": 11, "color": NHS_COLOURS["mid_grey"]},
        )
    note = f"Latest point: {result.variation}"
    if result.assurance is not None:
        note += f"<br>Target: {result.assurance}"
    fig.add_annotation(
        text=note,
        xref="paper",
        yref="paper",
        x=1,
        y=1.0,
        yshift=40,
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
        align="right",
        font={"size": 12, "color": VARIATION_COLOURS[result.variation]},
    )
    fig.update_layout(margin={"t": 110}, hovermode="closest")
    return finish(fig, title, x_title or t.index.name, y_title, source)
