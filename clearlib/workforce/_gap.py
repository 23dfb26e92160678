"""Gap analysis: demand against capacity, by role or task and by week; who does what now."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError
from clearlib.workforce._capacity import Capacity
from clearlib.workforce._demand import Demand

__all__ = ["allocation", "gap", "gap_summary"]

#: The "task" that holds capacity of roles with no demand at all in the window.
UNALLOCATED = "unallocated"


def allocation(demand: Demand, *, value: str = "hours", share: bool = False) -> pd.DataFrame:
    """The current allocation of tasks to roles: tasks down, roles across, per week.

    Parameters
    ----------
    demand : Demand
    value : {"hours", "units"}, default "hours"
    share : bool, default False
        Give each role's share of a task (rows sum to 1) instead of hours or units per week.

    Examples
    --------
    >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
    >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"] * 2), "task": "minor_acute",
    ...                   "role": ["gp", "practice_nurse"], "units": [30.0, 10.0],
    ...                   "hours": [5.0, 2.5]})
    >>> allocation(Demand(t, cal), value="units", share=True).loc["minor_acute"].to_dict()
    {'gp': 0.75, 'practice_nurse': 0.25}
    """
    per = demand.per_week(["task", "role"], value=value)
    wide = per.unstack("role", fill_value=0.0)
    if share:
        wide = wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    from clearlib.workforce._checks import known_roles
    from clearlib.workforce._reference import tasks

    rows = [t for t in tasks()["code"] if t in wide.index]
    cols = [r for r in known_roles() if r in wide.columns]
    out = wide.loc[rows, cols]
    out.columns.name = "role"
    return out


def _pair(demand: Demand, capacity: Capacity) -> list[tuple[str | None, Demand, Capacity]]:
    dg, cg = demand.groups, capacity.groups
    if not dg and not cg:
        return [(None, demand, capacity)]
    if bool(dg) != bool(cg):
        raise ConfigError(
            "gap: demand and capacity must both be kept by group (by='pcn_code') or neither; "
            f"demand groups: {len(dg)}, capacity groups: {len(cg)}."
        )
    missing = sorted(set(dg) - set(cg))
    if missing:
        raise ConfigError(f"gap: no capacity for group(s) {', '.join(missing[:5])}.")
    return [(g, demand.for_group(g), capacity.for_group(g)) for g in dg]


def _role_gap(demand: Demand, capacity: Capacity) -> pd.DataFrame:
    d = demand.weekly("role")
    c = capacity.weekly(demand.calendar)
    roles = sorted(set(d.columns) | set(c.columns))
    d = d.reindex(columns=roles, fill_value=0.0)
    c = c.reindex(index=d.index, columns=roles, fill_value=0.0)
    out = pd.DataFrame(
        {
            "week": np.repeat(d.index.to_numpy(), len(roles)),
            "role": np.tile(np.asarray(roles, dtype=object), len(d)),
            "demand_hours": d.to_numpy().ravel(),
            "capacity_hours": c.to_numpy().ravel(),
        }
    )
    return out


def _task_gap(demand: Demand, capacity: Capacity) -> pd.DataFrame:
    """Capacity attributed to tasks by each role's share of its hours over the window."""
    d = demand.weekly("task")
    c = capacity.weekly(demand.calendar)
    mix = demand.per_week(["role", "task"]).unstack("task", fill_value=0.0)
    mix = mix.div(mix.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    roles = [r for r in c.columns if r in mix.index]
    idle = [r for r in c.columns if r not in mix.index]
    attributed = c[roles].to_numpy() @ mix.loc[roles].to_numpy()
    cap = pd.DataFrame(attributed, index=c.index, columns=mix.columns)
    if idle:
        cap[UNALLOCATED] = c[idle].sum(axis=1)
    tasks = list(d.columns) + [t for t in cap.columns if t not in d.columns]
    d = d.reindex(columns=tasks, fill_value=0.0)
    cap = cap.reindex(index=d.index, columns=tasks, fill_value=0.0)
    return pd.DataFrame(
        {
            "week": np.repeat(d.index.to_numpy(), len(tasks)),
            "task": np.tile(np.asarray(tasks, dtype=object), len(d)),
            "demand_hours": d.to_numpy().ravel(),
            "capacity_hours": cap.to_numpy().ravel(),
        }
    )


def gap(demand: Demand, capacity: Capacity, *, by: str = "role") -> pd.DataFrame:
    """Demand against capacity in every week, by role or by task.

    ``gap_hours`` = demand − capacity: positive is a shortfall (more work than clinical time),
    negative is spare time. By task, each role's capacity is shared among the tasks it does in
    the proportions it did them over the whole window (the current allocation), so a task's
    capacity is the time its current team has for it; roles with no demand at all appear as the
    task ``"unallocated"``.

    Parameters
    ----------
    demand : Demand
    capacity : Capacity
        Both kept by the same groups (``by="pcn_code"``), or neither.
    by : {"role", "task"}, default "role"

    Returns
    -------
    DataFrame
        [group,] week, role or task, demand_hours, capacity_hours, gap_hours, utilisation
        (demand / capacity; NaN without capacity).

    Examples
    --------
    >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
    >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "minor_acute",
    ...                   "role": "gp", "units": [150.0], "hours": [25.0]})
    >>> cap = Capacity.from_staff(pd.DataFrame({"role": ["gp"], "wte": [1.0]}))
    >>> row = gap(Demand(t, cal), cap).iloc[0]
    >>> [round(float(row[c]), 3) for c in ("demand_hours", "capacity_hours", "gap_hours")]
    [25.0, 19.575, 5.425]
    """
    if by not in ("role", "task"):
        raise ConfigError(f"gap: by must be 'role' or 'task'; found {by!r}.")
    frames = []
    for group, d, c in _pair(demand, capacity):
        f = _role_gap(d, c) if by == "role" else _task_gap(d, c)
        if group is not None:
            f.insert(0, "group", group)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out["week"] = pd.to_datetime(out["week"]).astype("datetime64[s]")
    out["gap_hours"] = out["demand_hours"] - out["capacity_hours"]
    cap = out["capacity_hours"].to_numpy()
    out["utilisation"] = np.divide(
        out["demand_hours"].to_numpy(), cap, out=np.full(len(out), np.nan), where=cap > 0
    )
    return out


def gap_summary(demand: Demand, capacity: Capacity, *, by: str = "role") -> pd.DataFrame:
    """Average hours a week over the window, by role or task, with the worst weeks.

    Returns
    -------
    DataFrame
        Indexed by role or task: demand_hours, capacity_hours, gap_hours (per week, averaged),
        utilisation, weeks_short (weeks with a shortfall) and worst_gap_hours (largest
        shortfall in a week). Sorted by gap, biggest shortfall first.

    Examples
    --------
    >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06", "2025-01-13"]),
    ...                     "days": [7, 7], "open_days": [5, 5]})
    >>> t = pd.DataFrame({"week": pd.to_datetime(["2025-01-06", "2025-01-13"]),
    ...                   "task": "minor_acute", "role": "gp", "units": [120.0, 90.0],
    ...                   "hours": [20.0, 15.0]})
    >>> cap = Capacity.from_staff(pd.DataFrame({"role": ["gp"], "wte": [1.0]}))
    >>> s = gap_summary(Demand(t, cal), cap)
    >>> float(s.loc["gp", "demand_hours"]), int(s.loc["gp", "weeks_short"])
    (17.5, 1)
    """
    g = gap(demand, capacity, by=by)
    weeks = demand.weeks
    keys = [by] if "group" not in g else ["group", by]
    agg = g.groupby(keys, sort=False).agg(
        demand_hours=("demand_hours", "sum"),
        capacity_hours=("capacity_hours", "sum"),
        weeks_short=("gap_hours", lambda s: int((s > 1e-9).sum())),
        worst_gap_hours=("gap_hours", "max"),
    )
    agg[["demand_hours", "capacity_hours"]] /= weeks
    agg.insert(2, "gap_hours", agg["demand_hours"] - agg["capacity_hours"])
    cap = agg["capacity_hours"].to_numpy()
    agg.insert(
        3,
        "utilisation",
        np.divide(
            agg["demand_hours"].to_numpy(), cap, out=np.full(len(agg), np.nan), where=cap > 0
        ),
    )
    return agg.sort_values("gap_hours", ascending=False)
