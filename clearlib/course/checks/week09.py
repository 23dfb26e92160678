"""Week 09's checks (demand and capacity): each usual mistake recomputed from the data, by name.

Each check takes the learner's answer, recomputes from ``clearlib.load_pcn()`` what the usual
mistakes of its question give (every status counted, 52 weeks, competency joined on task alone,
people instead of WTE, ...), alone **and in combination**, and fails with a message naming
them. Later questions also check that an answer agrees with the learner's own earlier answers
(the gap by task uses Question 3's ``demand_hours``), so a wrong earlier answer cannot pass
unseen. None of them computes the right answer: the hidden tests in the notebook do that.

Examples
--------
>>> from clearlib.course.checks import week09
>>> week09.weeks_in_year(365 / 7)
>>> week09.weeks_in_year(52)
Traceback (most recent call last):
AssertionError: 52 is a rounded year: 2025/26 has 365 days, which is 52 weeks and a day. Divide the days by 7.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clearlib.course.checks._core import (
    _require,
    has_index,
    is_number,
    is_table,
    no_missing,
    not_mistake,
    same,
)

__all__ = [
    "capacity_hours",
    "clearlib_gap",
    "demand_hours",
    "gap_by_role",
    "gap_by_task",
    "units_per_week",
    "weekly_gap",
    "weeks_in_year",
]

YEAR_START, NEXT_YEAR_START = pd.Timestamp("2025-04-01"), pd.Timestamp("2026-04-01")
_DAYS = (NEXT_YEAR_START - YEAR_START).days
_WEEKS = _DAYS / 7
ROLE = "practice_nurse"

# What each usual mistake does, in words: (what the learner did, how to put it right).
_STATUSES = {
    "attended": None,
    "booked": (
        "counted DNAs (did not attend) as demand",
        "demand is care delivered, so keep attended appointments only",
    ),
    "every": (
        "counted every status (DNAs and cancelled too)",
        "keep attended appointments only",
    ),
}
_PER_WEEK = {
    _WEEKS: None,
    52: ("divided by 52", f"the year has {_WEEKS:.2f} weeks (365 days / 7): use weeks_in_year"),
    53: ("divided by 53", f"the year has {_WEEKS:.2f} weeks (365 days / 7): use weeks_in_year"),
    1: ("gave the year's totals", "divide by weeks_in_year to get a week"),
}
_HOURS = {
    "relative": None,
    "standard": (
        "used the task's standard minutes for every role",
        "multiply by the relative time of the role that did it (join competency on task and role)",
    ),
    "task alone": (
        "joined competency on task alone, so each appointment was counted once for every role "
        "that can do its task",
        'join on both keys, on=["task", "role"], with validate="many_to_one"',
    ),
}
_UNITS = {
    "hours": None,
    "minutes": ("left the time in minutes", "divide the minutes by 60 to get hours"),
}


@dataclass(frozen=True)
class _Year:
    """The year's appointments and the roster, as the checks need them."""

    year: pd.DataFrame  # appointments of 2025/26: status, task, role, start, and hours variants
    both_years: pd.Series  # tasks of every attended appointment in the data, both years
    staff: pd.DataFrame  # the roster joined to the working-time table
    open_days: pd.Series  # open days (any appointment) by week (Monday)
    masks: dict[str, np.ndarray]  # the rows of each status choice ("attended", "booked", "every")
    names: dict[str, np.ndarray]  # task and role names, by their codes in task_code, role_code
    totals: dict[tuple[str, str, str], pd.Series]  # remembered sums, see _total


_CACHE: dict[str, _Year] = {}


def _data() -> _Year:
    """The dataset's year, read once per dataset (keyed on its manifest's files)."""
    import clearlib
    from clearlib import reference, workforce

    pcn = clearlib.load_pcn(tables=["appointments", "staff"])  # as the notebook reads it
    key = json.dumps(pcn.manifest.get("files", {}), sort_keys=True, default=str)
    if key in _CACHE:
        return _CACHE[key]
    a = pcn.appointments
    year = a[(a["start"] >= YEAR_START) & (a["start"] < NEXT_YEAR_START)].copy()
    year["task"] = workforce.assign_tasks(year).astype(str)
    year["role"] = year["role"].astype(str)
    year["status"] = year["status"].astype(str)
    competency = reference.task_competency()
    minutes = reference.tasks().set_index("code")["minutes"]
    relative = competency.set_index(["task", "role"])["relative_time"]
    every_role = competency.groupby("task")["relative_time"].sum()
    pairs = pd.MultiIndex.from_arrays([year["task"], year["role"]])
    task_minutes = minutes.reindex(year["task"]).to_numpy(dtype=float)
    year["h_relative"] = task_minutes * relative.reindex(pairs).to_numpy(dtype=float) / 60
    year["h_standard"] = task_minutes / 60
    year["h_task alone"] = task_minutes * every_role.reindex(year["task"]).to_numpy() / 60
    year["week"] = pd.DatetimeIndex(year["start"].dt.to_period("W").dt.start_time).as_unit("ns")
    attended = a[a["status"] == "attended"]
    both = workforce.assign_tasks(attended).astype(str)
    staff = pcn.staff.assign(role=pcn.staff["role"].astype(str)).join(
        reference.working_time().set_index("role"), on="role"
    )
    days = year["start"].dt.normalize().drop_duplicates()
    open_days = days.groupby(days.dt.to_period("W").dt.start_time).size().astype(float)
    open_days.index = pd.DatetimeIndex(open_days.index).as_unit("ns")
    status = year["status"].to_numpy()
    masks = {
        "attended": status == "attended",
        "booked": np.isin(status, ["attended", "dna"]),
        "every": np.ones(len(year), dtype=bool),
    }
    names = {}
    for by in ("task", "role"):
        codes, uniques = pd.factorize(year[by], sort=True)
        year[f"{by}_code"] = codes
        names[by] = np.asarray(uniques, dtype=object)
    _CACHE.clear()
    _CACHE[key] = _Year(year, both, staff, open_days, masks, names, {})
    return _CACHE[key]


def _total(d: _Year, status: str, value: str, by: str) -> pd.Series:
    """The year's count ("count") or sum of an hours column, by task or role, for the rows of a
    status choice; remembered, as the checks of several questions ask for the same sums."""
    key = (status, value, by)
    if key not in d.totals:
        mask = d.masks[status]
        codes = d.year[f"{by}_code"].to_numpy()[mask]
        size = len(d.names[by])
        weights = None
        if value != "count":
            weights = np.nan_to_num(d.year[value].to_numpy(dtype=float)[mask])
        sums = np.bincount(codes, weights=weights, minlength=size).astype(float)
        present = np.bincount(codes, minlength=size) > 0
        d.totals[key] = pd.Series(sums[present], index=d.names[by][present])
    return d.totals[key]


def _as_series(value: Any, name: str) -> pd.Series:
    """A learner's Series as floats indexed by plain text, without zero entries."""
    is_table(value, name, kind="Series")
    no_missing(value, name, "every entry needs a number")
    mine = pd.Series(value.to_numpy(dtype=float), index=[str(i) for i in value.index])
    return mine[mine != 0]


def _nonzero(s: pd.Series) -> pd.Series:
    s = s.astype(float)
    s.index = [str(i) for i in s.index]
    return s[s != 0]


def _combination_message(parts: list[tuple[str, str]]) -> str:
    did = " and ".join(p[0] for p in parts)
    fix = "; ".join(p[1] for p in parts)
    return f"You {did}: {fix}."


def _check_grid(
    mine: pd.Series, options: dict[str, dict[Any, Any]], value_of: Any, *, rel: float = 1e-6
) -> None:
    """Fail if ``mine`` equals any combination of usual mistakes (not the all-right one).

    ``options`` maps each dimension to its choices (``None`` describes the right choice, a
    (did, fix) pair a mistake); ``value_of`` computes the answer one combination gives.
    """
    names = list(options)
    for combo in itertools.product(*(options[n].items() for n in names)):
        parts = [described for _, described in combo if described is not None]
        if not parts:
            continue  # the right way: that is for the hidden tests
        mistaken = _nonzero(value_of(*(choice for choice, _ in combo)))
        not_mistake(mine, mistaken, _combination_message(parts), rel=rel)


def weeks_in_year(value: Any) -> None:
    """Check ``weeks_in_year`` (Question 1) is a number of weeks, not 52, 53 or the days.

    Examples
    --------
    >>> weeks_in_year(365)
    Traceback (most recent call last):
    AssertionError: That is the number of days: divide it by 7.
    """
    is_number(value, "weeks_in_year")
    w = float(value)
    not_mistake(
        w,
        52,
        "52 is a rounded year: 2025/26 has 365 days, which is 52 weeks and a day. Divide the days "
        "by 7.",
    )
    not_mistake(
        w,
        53,
        "53 counts the calendar weeks the year touches, with the part weeks at each end as whole "
        "weeks. Divide the days by 7 instead.",
    )
    not_mistake(w, _DAYS, "That is the number of days: divide it by 7.")
    _require(abs(w - 2 * _WEEKS) > 0.2, "That is two years of weeks: use 2025/26 only.")


def units_per_week(value: Any) -> None:
    """Check ``units_per_week`` (Question 2) against every status, 52 or 53 weeks, totals, both
    years, alone and together.

    Examples
    --------
    >>> import pandas as pd
    >>> units_per_week([1, 2])
    Traceback (most recent call last):
    AssertionError: units_per_week should be a pandas Series; it is a list.
    """
    mine = _as_series(value, "units_per_week")
    d = _data()
    tasks = sorted(_total(d, "attended", "count", "task").index)
    options = {"status": _STATUSES, "weeks": _PER_WEEK}
    _check_grid(mine, options, lambda s, w: _total(d, s, "count", "task") / w)
    not_mistake(
        mine,
        _nonzero(d.both_years.value_counts() / _WEEKS),
        "You counted both financial years: keep the appointments in `year` (2025/26).",
    )
    has_index(mine.sort_index(), "units_per_week (without zero entries)", tasks)


def _hours_by(d: _Year, status: str, method: str, unit: str, by: str) -> pd.Series:
    scale = 60.0 if unit == "minutes" else 1.0
    return _total(d, status, f"h_{method}", by) * scale


def demand_hours(value: Any) -> None:
    """Check ``demand_hours`` (Question 3): competency joined on task alone, standard minutes,
    minutes, DNAs or every status, 52 or 53 weeks, alone and together.

    Examples
    --------
    >>> import pandas as pd
    >>> demand_hours(pd.Series([1.0, None], index=["a", "b"]))
    Traceback (most recent call last):
    AssertionError: demand_hours has 1 missing value(s) (NaN), e.g. at ['b']: every entry needs a number.
    """
    mine = _as_series(value, "demand_hours")
    d = _data()
    options = {"status": _STATUSES, "method": _HOURS, "unit": _UNITS, "weeks": _PER_WEEK}

    def per_week(status: str, method: str, unit: str, weeks: float) -> pd.Series:
        return _hours_by(d, status, method, unit, "task") / weeks

    _check_grid(mine, options, per_week, rel=1e-5)
    tasks = sorted(_total(d, "attended", "count", "task").index)
    has_index(mine.sort_index(), "demand_hours (without zero entries)", tasks)


_SHARES = {
    "multiplied": None,
    "none": ("used paid hours", "take off leave, training and non-clinical time"),
    "no leave": (
        "forgot leave and training",
        "multiply by (1 - leave_share - training_share)",
    ),
    "no training": (
        "forgot training time",
        "take off leave_share + training_share together",
    ),
    "no non-clinical": (
        "forgot non-clinical time",
        "multiply by (1 - non_clinical_share)",
    ),
    "added": (
        "took every share off the paid hours at once",
        "non-clinical time is a share of the time at work: multiply (1 - leave - training) by "
        "(1 - non_clinical_share)",
    ),
}
_WTE = {
    "wte": None,
    "people": (
        "counted people, not WTE",
        "a 0.6 WTE nurse works 0.6 x 37.5 hours: multiply by wte",
    ),
}


def _capacity(d: _Year, shares: str, per: str) -> pd.Series:
    s = d.staff
    paid = s["hours_per_wte"] * (s["wte"] if per == "wte" else 1.0)
    away, nc = s["leave_share"] + s["training_share"], s["non_clinical_share"]
    hours = {
        "multiplied": paid * (1 - away) * (1 - nc),
        "none": paid,
        "no leave": paid * (1 - nc),
        "no training": paid * (1 - s["leave_share"]) * (1 - nc),
        "no non-clinical": paid * (1 - away),
        "added": paid * (1 - away - nc),
    }[shares]
    return hours.groupby(s["role"]).sum()


def capacity_hours(value: Any) -> None:
    """Check ``capacity_hours`` (Question 4): paid hours, shares forgotten or added, people
    instead of WTE, alone and together.

    Examples
    --------
    >>> capacity_hours(3.0)
    Traceback (most recent call last):
    AssertionError: capacity_hours should be a pandas Series; it is a float.
    """
    mine = _as_series(value, "capacity_hours")
    d = _data()
    _check_grid(mine, {"per": _WTE, "shares": _SHARES}, lambda p, s: _capacity(d, s, p))
    has_index(mine.sort_index(), "capacity_hours", sorted(d.staff["role"].unique()))


def _earlier(check: Any, value: Any, question: int, name: str) -> None:
    """Run an earlier question's check on the learner's own earlier answer, which this one uses."""
    try:
        check(value)
    except AssertionError as error:
        raise AssertionError(
            f"This answer uses your {name} from Question {question}, which is not right yet: "
            f"{error} Fix Question {question} first, then run this cell again."
        ) from None


def _table(value: Any, name: str, index_label: str) -> pd.DataFrame:
    cols = ["demand_hours", "capacity_hours", "gap_hours"]
    is_table(value, name)
    missing = [c for c in cols if c not in value.columns]
    _require(not missing, f"{name} needs the columns {cols}; missing {missing}.")
    table = value[cols]
    no_missing(table, name, f"every {index_label} needs a number: fill a missing one with 0")
    table = table.astype(float)
    table.index = [str(i) for i in table.index]
    _require(
        not np.allclose(table["gap_hours"], table["capacity_hours"] - table["demand_hours"]),
        "The gap has the wrong sign: gap = demand - capacity, so a shortfall is positive.",
    )
    _require(
        np.allclose(table["gap_hours"], table["demand_hours"] - table["capacity_hours"]),
        f"gap_hours should be demand_hours - capacity_hours on every {index_label}.",
    )
    return table


def _sorted_down(table: pd.DataFrame) -> None:
    _require(
        table["gap_hours"].is_monotonic_decreasing,
        'Sort from the biggest shortfall down: sort_values("gap_hours", ascending=False).',
    )


def gap_by_role(value: Any, q3_demand: Any, q4_capacity: Any) -> None:
    """Check ``gap_by_role`` (Question 5): columns, sign, order, demand in hours of attended
    care, and agreement with the learner's own Questions 3 and 4.

    Parameters
    ----------
    value : DataFrame
        The learner's ``gap_by_role``.
    q3_demand, q4_capacity : Series
        The learner's ``demand_hours`` (Question 3) and ``capacity_hours`` (Question 4): each is
        checked again, the demand should add up to the same hours a week as the first, and the
        capacity column should be the second.
    """
    _earlier(demand_hours, q3_demand, 3, "demand_hours")
    _earlier(capacity_hours, q4_capacity, 4, "capacity_hours")
    g = _table(value, "gap_by_role", "role")
    d = _data()
    roles = sorted(set(d.staff["role"]) | set(_total(d, "attended", "count", "role").index))
    has_index(g.sort_index(), "gap_by_role", roles)
    _sorted_down(g)
    mine = g["demand_hours"]

    def by_role(status: str, kind: str, unit: str) -> pd.Series:
        if kind == "appointments":
            found = _total(d, status, "count", "role")
        else:
            found = _hours_by(d, status, "relative", unit, "role")
        return (found / _WEEKS).reindex(roles, fill_value=0.0)

    kinds = {
        "hours": None,
        "appointments": ("gave appointments a week, not hours", "add up the hours column by role"),
    }
    options = {"status": _STATUSES, "kind": kinds, "unit": _UNITS}
    for combo in itertools.product(*(o.items() for o in options.values())):
        parts = [p for _, p in combo if p is not None]
        if parts and not (combo[1][0] == "appointments" and combo[2][0] == "minutes"):
            not_mistake(mine, by_role(*(c for c, _ in combo)), _combination_message(parts))
    if isinstance(q4_capacity, pd.Series):
        mine_cap = _nonzero(q4_capacity)
        _require(
            same(_nonzero(g["capacity_hours"]), mine_cap),
            "capacity_hours should be your capacity_hours from Question 4, role by role.",
        )
    if isinstance(q3_demand, pd.Series):
        by_task = float(pd.to_numeric(q3_demand, errors="coerce").sum())
        _require(
            abs(float(mine.sum()) - by_task) <= 1e-6 * max(1.0, abs(by_task)),
            f"Your demand_hours add up to {mine.sum():,.1f} hours a week by role but "
            f"{by_task:,.1f} by task (your demand_hours of Question 3). They are the same "
            "attended hours: add up the hours column of Question 3 by role.",
        )


def weekly_gap(value: Any, worst_week: Any) -> None:
    """Check ``weekly_gap`` and ``worst_week`` (Question 6): every week, capacity shared by open
    days, the nurses' attended hours, and the worst week read from the learner's own table."""
    d = _data()
    cols = ["demand_hours", "capacity_hours", "gap_hours"]
    is_table(value, "weekly_gap")
    missing = [c for c in cols if c not in value.columns]
    _require(not missing, f"weekly_gap needs the columns {cols}; missing {missing}.")
    index = value.index
    if isinstance(index, pd.PeriodIndex):
        index = index.start_time
    g = pd.DataFrame(value[cols].to_numpy(dtype=float), columns=cols)
    g.index = pd.DatetimeIndex(pd.to_datetime(index)).as_unit("ns")
    no_missing(g, "weekly_gap", "every week needs a number: fill a week with no demand with 0")
    weeks = d.open_days.index
    _require(
        len(g) != len(weeks) - 2,
        "You dropped the part weeks at each end. Keep them: sharing capacity by open days makes "
        "them fair.",
    )
    _require(
        len(g) == len(weeks),
        f"weekly_gap should have one row per week of the year ({len(weeks)}, from "
        f"{weeks[0]:%d %b %Y} to {weeks[-1]:%d %b %Y}); it has {len(g)}.",
    )
    _require(
        list(g.index) == list(weeks),
        "The index should be the Monday of each week, earliest first: "
        "dt.to_period('W').dt.start_time gives the Monday; sort_index() puts them in order.",
    )
    c = g["capacity_hours"]
    _require(
        c.std() > 1e-6,
        "Every week has the same capacity. Share the year's capacity by open days, so a bank-"
        "holiday week (and a part week) has less.",
    )
    calendar = pd.Series(pd.date_range(YEAR_START, NEXT_YEAR_START - pd.Timedelta(days=1)))
    per_week = calendar.groupby(calendar.dt.to_period("W").dt.start_time).size().to_numpy()
    _require(
        len(per_week) != len(c)
        or not np.allclose(c.to_numpy(), c.sum() * per_week / per_week.sum(), rtol=1e-6),
        "You shared the capacity by calendar days (7 a week). Share it by open days: days with "
        "at least one appointment, so a bank holiday has none.",
    )
    _require(
        np.allclose(g["gap_hours"], g["demand_hours"] - c),
        "gap_hours should be demand_hours - capacity_hours in every week.",
    )
    nurse = (d.year["role"] == ROLE).to_numpy()

    def weekly(rows: np.ndarray) -> np.ndarray:
        h = d.year.loc[rows, "h_relative"].groupby(d.year.loc[rows, "week"]).sum()
        return h.reindex(weeks, fill_value=0.0).to_numpy()

    dem = g["demand_hours"].to_numpy()
    _require(
        not np.allclose(dem, weekly(d.masks["attended"])),
        "demand_hours holds every role's hours: keep the practice nurses' appointments only.",
    )
    _require(
        not np.allclose(dem, weekly(nurse & d.masks["booked"])),
        "Your nurses' demand counts DNAs: keep attended appointments only.",
    )
    _require(
        not np.allclose(dem, weekly(nurse)),
        "Your nurses' demand counts every status: keep attended appointments only.",
    )
    worst = worst_week.start_time if isinstance(worst_week, pd.Period) else worst_week
    try:
        worst = pd.Timestamp(worst)
    except (TypeError, ValueError):
        raise AssertionError(
            f"worst_week should be a date (a week's Monday); it is a {type(worst_week).__name__}."
        ) from None
    _require(worst in set(g.index), "worst_week should be one of the weeks (a Monday).")
    _require(
        worst == g["gap_hours"].idxmax(),
        f"worst_week ({worst:%d %b %Y}) should be the week with the biggest gap_hours in your "
        f"weekly_gap: the biggest shortfall (gap_hours.idxmax()).",
    )


def gap_by_task(value: Any, q3_demand: Any, q4_capacity: Any) -> None:
    """Check ``gap_by_task`` (Question 7): each role's capacity shared by its own hours, demand
    from the learner's own Question 3, the capacity adding up, sign and order."""
    _earlier(demand_hours, q3_demand, 3, "demand_hours")
    _earlier(capacity_hours, q4_capacity, 4, "capacity_hours")
    g = _table(value, "gap_by_task", "task")
    g = g[(g["demand_hours"] != 0) | (g["capacity_hours"] != 0)]
    d = _data()
    att = d.year[d.year["status"] == "attended"]
    tasks = sorted(att["task"].unique())
    has_index(g.sort_index(), "gap_by_task (without empty rows)", tasks)
    if isinstance(q3_demand, pd.Series):
        _require(
            same(_nonzero(g["demand_hours"]), _nonzero(q3_demand)),
            "demand_hours should be your demand_hours from Question 3, task by task.",
        )
    hours = att.groupby(["role", "task"])["h_relative"].sum()
    count = att.groupby(["role", "task"]).size().astype(float)
    cap = _nonzero(q4_capacity) if isinstance(q4_capacity, pd.Series) else pd.Series()

    def shared(mix: pd.Series, level: str) -> pd.Series:
        share = mix / mix.groupby(level=level).transform("sum")
        role_cap = cap.reindex(mix.index.get_level_values("role")).fillna(0.0).to_numpy()
        return _nonzero((share * role_cap).groupby(level="task").sum())

    mine = _nonzero(g["capacity_hours"])
    not_mistake(
        mine,
        shared(hours, "task"),
        "You shared by each task's mix of roles. Share each role's capacity by the role's hours "
        "on each task (divide by the role's total hours).",
    )
    not_mistake(
        mine,
        shared(count, "role"),
        "You shared each role's capacity by its number of appointments on each task. Share it "
        "by the hours (a long appointment takes more of the role's time).",
    )
    busy = float(cap.reindex(hours.index.get_level_values("role").unique()).fillna(0.0).sum())
    _require(
        abs(float(g["capacity_hours"].sum()) - busy) <= 1e-6 * max(1.0, busy),
        f"The task capacities add up to {g['capacity_hours'].sum():,.1f} hours a week; they "
        f"should add up to the capacity of the roles that do the tasks ({busy:,.1f}, from your "
        "capacity_hours). Share each role's capacity by its own hours.",
    )
    _sorted_down(g)


def clearlib_gap(demand: Any, capacity: Any, gap: Any) -> None:
    """Check Question 8: clearlib's ``Demand`` of the year's attended appointments, the
    roster's ``Capacity`` and ``gap_summary``, one row per role."""
    from clearlib import workforce

    d = _data()
    _require(
        isinstance(demand, workforce.Demand),
        "demand should be a workforce.Demand (from Demand.from_appointments); it is a "
        f"{type(demand).__name__}.",
    )
    _require(
        isinstance(capacity, workforce.Capacity),
        "capacity should be a workforce.Capacity (from Capacity.from_staff); it is a "
        f"{type(capacity).__name__}.",
    )
    _require(
        abs(demand.weeks - _WEEKS) < 0.2,
        f"demand covers {demand.weeks:.1f} weeks: give it the appointments of 2025/26 (`year`).",
    )
    units = float(demand.per_week("task", value="units").sum())
    booked = float(d.masks["booked"].sum()) / _WEEKS
    _require(
        abs(units - booked) > 1e-6 * booked,
        "demand counts DNAs (clearlib's default): pass statuses=['attended'].",
    )
    every = len(d.year) / _WEEKS
    _require(
        abs(units - every) > 1e-6 * every, "demand counts every status: pass statuses=['attended']."
    )
    cap = capacity.per_week()
    cap.index = [str(i) for i in cap.index]
    _require(
        same(_nonzero(cap), _nonzero(_capacity(d, "multiplied", "wte"))),
        "capacity should be Capacity.from_staff(staff), with the default working-time assumptions.",
    )
    _require(
        isinstance(gap, pd.DataFrame) and "gap_hours" in gap.columns,
        "clearlib_gap should be the DataFrame workforce.gap_summary(demand, capacity) returns.",
    )
    _require(
        gap.index.is_unique
        and set(map(str, gap.index)) <= set(d.staff["role"]) | set(d.year["role"]),
        "clearlib_gap should have one row per role: workforce.gap_summary(demand, capacity), "
        "not workforce.gap (which has a row per role and week).",
    )
