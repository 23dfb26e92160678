"""Week 03's checks (seeing activity): the usual mistakes of its questions, by name.

Each check recomputes from the synthetic PCN what the usual mistakes give (which rows, which
date, which weeks, which denominator) and fails with a message naming the mistake when the
learner's answer equals one; or checks an answer against the learner's own earlier answer (a
chart against the Series it draws). None of them computes the right answer: the assignment's
hidden tests do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearlib.course.checks._core import is_table, same
from clearlib.course.checks.week01 import _combine, pcn_frames

__all__ = [
    "DAYS",
    "heat_mistakes",
    "heatmap_matches",
    "labelled_chart",
    "per_working_day_mistakes",
    "share_mistakes",
    "shows_series",
    "shows_table",
    "weekly_mistakes",
]

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
_YEAR_START, _NEXT_YEAR_START = pd.Timestamp("2025-04-01"), pd.Timestamp("2026-04-01")

_CANCELLED = 'You counted cancelled appointments too: leave out status "cancelled".'
_ATTENDED_ONLY = (
    "You counted attended appointments only: demand here is every appointment not cancelled "
    "(attended and DNA)."
)
_ALL_STATUSES = "You counted DNAs and cancellations too: count attended appointments only."
_BOTH_YEARS = (
    "You counted both years: keep appointments that start from 1 April 2025 and before "
    "1 April 2026."
)


def _as_days(index: pd.Index) -> list[str]:
    """Dates (or periods) of an index as "YYYY-MM-DD" text, to compare two answers' labels."""
    if isinstance(index, pd.PeriodIndex):
        index = index.start_time
    try:
        return [f"{d:%Y-%m-%d}" for d in pd.to_datetime(pd.Index(index))]
    except (TypeError, ValueError):
        return [str(i) for i in index]


def _by_day(series: pd.Series) -> pd.Series:
    return pd.Series(np.asarray(series, dtype=float), index=_as_days(series.index))


def _weekly(rows: pd.DataFrame, date: str = "start", complete: bool = True) -> pd.Series:
    week = rows[date].dt.to_period("W").dt.start_time
    counts = rows.groupby(week).size()
    if complete:
        extract = pcn_frames().extract_date
        counts = counts[counts.index + pd.Timedelta(days=6) <= extract]
    return counts


def weekly_mistakes(weekly: pd.Series, name: str = "weekly") -> None:
    """Check weekly counts: Mondays in order, complete weeks only, and none of the usual
    mistakes (cancelled rows counted, DNAs left out, counted by ``booked_on``, one year only)."""
    is_table(weekly, name, kind="Series")
    try:
        weeks = pd.to_datetime(pd.Index(weekly.index))
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"The index of {name} should be dates (each week's Monday)."
        ) from error
    if not (weeks.day_of_week == 0).all():
        sunday = (weeks.day_of_week == 6).all()
        raise AssertionError(
            f"Each index value of {name} should be a Monday, the start of its week"
            + (
                ": resample('W') labels each week by its Sunday; use "
                'dt.to_period("W").dt.start_time.'
                if sunday
                else "."
            )
        )
    if not weeks.is_monotonic_increasing:
        raise AssertionError(f"Put the weeks of {name} in date order (sort_index()).")
    d = pcn_frames()
    if not (weeks + pd.Timedelta(days=6) <= d.extract_date).all():
        raise AssertionError(
            f"Leave out the last, partial week of {name}: its Sunday is after 31 March 2026."
        )
    a = d.pcn.appointments
    kept = a[a["status"] != "cancelled"]
    mine = _by_day(weekly)
    one_year = _weekly(kept[(kept["start"] >= _YEAR_START) & (kept["start"] < _NEXT_YEAR_START)])
    variants = [
        (_CANCELLED, _weekly(a)),
        (_ATTENDED_ONLY, _weekly(a[a["status"] == "attended"])),
        (
            "You counted by booked_on, the day it was booked: count by start, the day of the "
            "appointment.",
            _weekly(kept, "booked_on"),
        ),
        (
            f"{name} covers 2025/26 only: the question asks for every complete week in the data "
            "(April 2024 to March 2026).",
            one_year,
        ),
    ]
    for message, mistaken in variants:
        if same(mine, _by_day(mistaken)):
            raise AssertionError(message)


def labelled_chart(
    fig: Any,
    name: str,
    *,
    kind: str,
    title_has: str,
    x_has: str,
    y_has: str,
) -> None:
    """Check a plotly figure is one trace of ``kind`` with a title, axis labels holding these
    words (case ignored) and a source note (as ``clearlib.viz.finish`` adds).

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> fig = go.Figure(go.Scatter(y=[1, 2]), layout={"title": {"text": "Visits per week"}})
    >>> labelled_chart(fig, "fig", kind="scatter", title_has="week", x_has="week", y_has="visits")
    Traceback (most recent call last):
    AssertionError: The x-axis label of fig should mention the week; it is ''.
    """
    import plotly.graph_objects as go

    if not isinstance(fig, go.Figure):
        raise AssertionError(f"{name} should be a plotly figure; it is a {type(fig).__name__}.")
    if len(fig.data) != 1:
        raise AssertionError(f"Draw one {kind} only in {name}; it has {len(fig.data)} traces.")
    if fig.data[0].type != kind:
        raise AssertionError(f"{name} should be a {kind} chart; it is a {fig.data[0].type}.")
    title = fig.layout.title.text or ""
    x = fig.layout.xaxis.title.text or ""
    y = fig.layout.yaxis.title.text or ""
    for what, text, word in [("title", title, title_has), ("x-axis label", x, x_has)]:
        if word.lower() not in text.lower():
            raise AssertionError(f"The {what} of {name} should mention the {word}; it is {text!r}.")
    if y_has.lower() not in y.lower():
        raise AssertionError(f"The y-axis label of {name} should mention {y_has}; it is {y!r}.")
    notes = [n.text or "" for n in fig.layout.annotations]
    if not any(n.startswith("Source") for n in notes):
        raise AssertionError(f"Add a source note to {name}: finish(..., source=...).")


def shows_series(fig: Any, series: pd.Series, name: str, series_name: str) -> None:
    """Check a line chart draws ``series``: its index along x, its values up y, in order."""
    trace = fig.data[0]
    if trace.type == "scatter" and trace.mode and "lines" not in trace.mode:
        raise AssertionError(f"Draw {name} as a line chart (px.line), not points only.")
    ys = np.asarray(trace.y, dtype=float)
    if len(ys) != len(series):
        raise AssertionError(
            f"{name} should have one point per entry of {series_name} ({len(series)}); it has "
            f"{len(ys)}: draw {series_name} itself."
        )
    if not np.allclose(ys, np.asarray(series, dtype=float)):
        raise AssertionError(
            f"The line in {name} does not show the values of {series_name}: plot "
            f"{series_name}.reset_index(...) with y= its counts."
        )


def _per_month(rows: pd.DataFrame, days: pd.Series | None = None) -> pd.Series:
    month = rows["start"].dt.to_period("M")
    counts = rows.groupby(month).size()
    if days is None:
        days = rows.groupby(month)["start"].agg(lambda s: s.dt.normalize().nunique())
    return counts / days


def per_working_day_mistakes(
    per_working_day: pd.Series, quietest_month: Any, name: str = "per_working_day"
) -> None:
    """Check 12 months of 2025/26 in order, ``quietest_month`` agreeing with them, and none of
    the usual mistakes: calendar days or Monday-to-Friday days for working days, cancelled rows
    counted, or the whole month's total."""
    is_table(per_working_day, name, kind="Series")
    months = [str(p) for p in pd.period_range("2025-04", "2026-03", freq="M")]
    try:
        have = [str(p) for p in pd.PeriodIndex(pd.Index(per_working_day.index), freq="M")]
    except (TypeError, ValueError):
        have = [str(i) for i in per_working_day.index]
    if have != months:
        raise AssertionError(
            f"The index of {name} should be the 12 months April 2025 to March 2026, in order; "
            f"it is {have[:3]}... ({len(have)} entries): keep 2025/26 and use "
            'dt.to_period("M").'
        )
    if not isinstance(quietest_month, str) or len(quietest_month) != 7:
        raise AssertionError('quietest_month should be text like "2025-06": use str(...).')
    mine = pd.Series(np.asarray(per_working_day, dtype=float), index=months)
    if quietest_month != str(mine.idxmin()):
        raise AssertionError(
            f"quietest_month is {quietest_month}, but the lowest value of {name} is in "
            f"{mine.idxmin()}: use {name}.idxmin() (fewest per working day, not idxmax)."
        )
    a = pcn_frames().pcn.appointments
    year = a[(a["start"] >= _YEAR_START) & (a["start"] < _NEXT_YEAR_START)]
    kept = year[year["status"] != "cancelled"]
    index = pd.period_range("2025-04", "2026-03", freq="M")
    calendar = pd.Series(index.days_in_month, index=index)
    weekdays = pd.Series(
        [
            np.busday_count(p.start_time.date(), (p.end_time + pd.Timedelta(days=1)).date())
            for p in index
        ],
        index=index,
    )
    variants = [
        (
            "You divided by the days in the month: working days are the days with at least one "
            "appointment (weekends and bank holidays had none).",
            _per_month(kept, calendar),
        ),
        (
            "You divided by Mondays to Fridays: bank holidays and Christmas closures are not "
            "working days. Count the days with at least one appointment.",
            _per_month(kept, weekdays),
        ),
        (_CANCELLED, _per_month(year)),
        (_ATTENDED_ONLY, _per_month(year[year["status"] == "attended"])),
        (
            f"{name} holds each month's total: divide it by the month's working days.",
            _per_month(kept, pd.Series(1, index=index)),
        ),
    ]
    for message, mistaken in variants:
        mistaken = pd.Series(np.asarray(mistaken.reindex(index), dtype=float), index=months)
        if same(mine, mistaken):
            raise AssertionError(message)


def _share_variants(column: str, *, percent_of: str = "row") -> list[tuple[str, pd.DataFrame]]:
    """What the usual mistakes give for a practice-by-``column`` table of percentages."""
    d = pcn_frames()
    a = d.pcn.appointments
    year_all = d.year
    attended_both = a[a["status"] == "attended"]

    def table(rows: pd.DataFrame, normalize: Any, scale: float) -> pd.DataFrame:
        out = pd.crosstab(rows["practice_code"], rows[column], normalize=normalize) * scale
        return out.astype(float)

    of = "each practice's"
    variants = [
        (
            f"These are counts: divide by {of} total to get percentages "
            '(pd.crosstab(..., normalize="index") * 100).',
            table(d.attended, False, 1),
        ),
        (
            "These are shares between 0 and 1: multiply by 100 to get percentages.",
            table(d.attended, "index", 1),
        ),
        (
            "You divided by the whole PCN's appointments: each practice's percentages should add "
            'up to 100 (normalize="index").',
            table(d.attended, "all", 100),
        ),
        (
            'You divided each column by its total (normalize="columns"): divide each practice\'s '
            'counts by that practice\'s total (normalize="index").',
            table(d.attended, "columns", 100),
        ),
        (_ALL_STATUSES, table(year_all, "index", 100)),
        (_BOTH_YEARS, table(attended_both, "index", 100)),
        (_combine([_ALL_STATUSES, _BOTH_YEARS]), table(a, "index", 100)),
    ]
    return variants


def _frame_text(table: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(np.asarray(table, dtype=float), index=[str(i) for i in table.index])
    out.columns = [str(c) for c in table.columns]
    return out.sort_index().sort_index(axis=1)


def share_mistakes(table: pd.DataFrame, name: str, column: str) -> None:
    """Check a practice-by-``column`` table of percentages: one row per practice, one column per
    value seen, rows adding up to 100, and none of the usual mistakes (counts, 0-1 shares, the
    wrong total, every status, both years)."""
    is_table(table, name)
    d = pcn_frames()
    codes = sorted(d.pcn.practices["practice_code"].astype(str))
    if sorted(map(str, table.index)) != codes:
        raise AssertionError(
            f"{name} should have one row per practice, indexed by practice_code ({', '.join(codes)})."
        )
    values = sorted(set(d.attended[column].astype(str)))
    if sorted(map(str, table.columns)) != values:
        raise AssertionError(
            f"The columns of {name} should be the {column}s of the year's attended appointments, "
            f"{values}; found {sorted(map(str, table.columns))}."
        )
    mine = _frame_text(table)
    for message, mistaken in _share_variants(column):
        wrong = _frame_text(mistaken)
        if wrong.shape == mine.shape and np.allclose(wrong.to_numpy(), mine.to_numpy()):
            raise AssertionError(f"{name}: {message}")
    sums = mine.sum(axis=1)
    if not ((sums - 100).abs() < 1e-6).all():
        raise AssertionError(
            f"Each row of {name} should add up to 100 (percentages of that practice's "
            f"appointments); row totals are {sums.round(2).tolist()}."
        )


def shows_table(column: pd.Series, table: pd.DataFrame, name: str, column_name: str) -> None:
    """Check a Series is one column of an earlier table (same practices, same values)."""
    is_table(column, name, kind="Series")
    if column_name not in map(str, table.columns):
        return
    want = table[next(c for c in table.columns if str(c) == column_name)]
    if not same(
        pd.Series(np.asarray(column, dtype=float), index=[str(i) for i in column.index]),
        pd.Series(np.asarray(want, dtype=float), index=[str(i) for i in want.index]),
    ):
        raise AssertionError(
            f"{name} should be the {column_name!r} column of your table: "
            f'{name} = table["{column_name}"].'
        )


def heat_mistakes(heat: pd.DataFrame, name: str = "heat") -> None:
    """Check weekdays Mon-Fri in order by starting hours, per working day, and none of the
    usual mistakes: counts, divided by 52, divided by every weekday of the year (bank holidays
    too), every status, rows in alphabetical order."""
    is_table(heat, name)
    index = [str(i) for i in heat.index]
    if index != DAYS:
        hint = (
            ": div() lined the rows up in alphabetical order; reindex(DAYS) puts the week back"
            if sorted(index) == sorted(DAYS)
            else ""
        )
        raise AssertionError(
            f"The rows of {name} should be {DAYS}, in that order; found {index}{hint}."
        )
    try:
        hours = [float(h) for h in heat.columns]
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"The columns of {name} should be starting hours (dt.hour)."
        ) from error
    if not all(h.is_integer() and 0 <= h <= 23 for h in hours):
        raise AssertionError(
            f"The columns of {name} should be starting hours, whole numbers 0 to 23."
        )
    d = pcn_frames()
    mine = pd.DataFrame(np.asarray(heat, dtype=float), index=DAYS, columns=[int(h) for h in hours])

    def counts(rows: pd.DataFrame) -> pd.DataFrame:
        day = rows["start"].dt.day_of_week.map(dict(enumerate(DAYS)))
        return pd.crosstab(day, rows["start"].dt.hour).reindex(DAYS).astype(float)

    def open_days(rows: pd.DataFrame) -> pd.Series:
        day = rows["start"].dt.day_of_week.map(dict(enumerate(DAYS)))
        return rows.groupby(day)["start"].agg(lambda s: s.dt.normalize().nunique()).reindex(DAYS)

    days = pd.date_range(_YEAR_START, _NEXT_YEAR_START - pd.Timedelta(days=1), freq="D")
    every = pd.Series(days.day_of_week).map(dict(enumerate(DAYS))).value_counts().reindex(DAYS)
    att = counts(d.attended)
    variants = [
        (f"{name} holds counts: divide each weekday's row by its number of working days.", att),
        (
            "You divided by 52: a year does not have 52 working days of each weekday (most bank "
            "holidays are Mondays). Divide by the days of that weekday with at least one "
            "attended appointment.",
            att / 52,
        ),
        (
            "You divided by every Monday, Tuesday... of the year: bank holidays had no "
            "appointments. Count the days of that weekday with at least one attended appointment.",
            att.div(every, axis=0),
        ),
        (_ALL_STATUSES, counts(d.year).div(open_days(d.year), axis=0)),
    ]
    for message, mistaken in variants:
        if mistaken.shape == mine.shape and np.allclose(
            mistaken.reindex(columns=mine.columns).to_numpy(dtype=float),
            mine.to_numpy(),
            equal_nan=True,
        ):
            raise AssertionError(message)


def heatmap_matches(fig: Any, heat: pd.DataFrame, name: str = "fig_heat") -> None:
    """Check a heatmap shows ``heat``: same shape (weekdays down, hours across), same values
    (rounded at most to whole numbers)."""
    z = pd.DataFrame(list(fig.data[0].z))
    if z.shape == heat.shape[::-1] and z.shape != heat.shape:
        raise AssertionError(
            f"{name} has the hours down and the weekdays across: draw heat itself, weekdays as "
            "rows (px.imshow(heat))."
        )
    if z.shape != heat.shape:
        raise AssertionError(
            f"{name} should be {heat.shape[0]} rows by {heat.shape[1]} columns, like heat; it is "
            f"{z.shape[0]} by {z.shape[1]}."
        )
    if not (abs(z.to_numpy(dtype=float) - heat.to_numpy(dtype=float)) <= 0.5).all():
        raise AssertionError(
            f"{name} should show the values of heat (rounded at most to whole numbers)."
        )
