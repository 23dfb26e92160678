"""Week 11's checks (modelling the redesign): the usual mistakes of each question, by name.

Each check takes the learner's answers and fails with a message naming the mistake it
recognises (costs read the wrong way round, a cohort chosen with hindsight, person-time that
never stops, ...). Where a question builds on an earlier answer, the check reads the learner's
own earlier answer, so a wrong one is named where it is used. None of them computes the right
answer: the hidden tests in the notebook do that.

Examples
--------
>>> import pandas as pd
>>> from clearlib.course.checks import week11
>>> table = pd.DataFrame({"As-is": [100.0, 60.0, 10.0, 4.0], "Hub": [130.0, 70.0, 12.0, 3.0]},
...                      index=["total_cost", "pcn_cost", "wte", "gp_wte"])
>>> week11.hub_comparison(table, 30.0, 2.0)
>>> week11.hub_comparison(table, -30.0, 2.0)
Traceback (most recent call last):
AssertionError: extra_cost has the wrong sign: take the to-be (the hub) minus the as-is, so a bigger or dearer team gives a positive number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearlib.course.checks._core import _require, is_number, is_table, not_mistake, same

__all__ = [
    "cheapest_team",
    "cohort_rates",
    "did_ratio",
    "gp_requests",
    "hub_comparison",
    "one_way",
]

SENSITIVITY = ["demand_scale", "leave_share", "non_clinical_scale"]
METRIC = "shortfall_hours_per_week"
YEAR_START, NEXT_YEAR_START = pd.Timestamp("2025-04-01"), pd.Timestamp("2026-04-01")


def _pcn(*tables: str) -> Any:
    import clearlib

    return clearlib.load_pcn(tables=list(tables))


def hub_comparison(comparison: Any, extra_cost: Any, extra_wte: Any) -> None:
    """Check Question 3: ``comparison`` has the as-is and one to-be column, and the two extras
    are differences of its rows (to-be minus as-is), each read from its own row.

    Parameters
    ----------
    comparison : DataFrame
        The learner's ``wf.compare(base, hub)``.
    extra_cost, extra_wte : float
        The learner's differences of the ``total_cost`` and ``wte`` rows.
    """
    is_table(comparison, "comparison")
    _require(
        "As-is" in comparison.columns and len(comparison.columns) == 2,
        "comparison should be wf.compare(base, hub): an As-is column and the hub's; it has "
        f"{list(comparison.columns)}.",
    )
    rows = ("total_cost", "pcn_cost", "wte", "gp_wte")
    for row in rows:
        _require(row in comparison.index, f"comparison should have a {row} row: wf.compare.")
    to_be = next(c for c in comparison.columns if c != "As-is")
    diff = {r: float(comparison.loc[r, to_be] - comparison.loc[r, "As-is"]) for r in rows}
    for value, name, row in (
        (extra_cost, "extra_cost", "total_cost"),
        (extra_wte, "extra_wte", "wte"),
    ):
        is_number(value, name)
        if not same(diff[row], 0.0):
            not_mistake(
                value,
                -diff[row],
                f"{name} has the wrong sign: take the to-be (the hub) minus the as-is, so a "
                "bigger or dearer team gives a positive number.",
            )
        not_mistake(
            value,
            float(comparison.loc[row, to_be]),
            f"{name} is the hub's whole {row}: take the difference, the hub minus the as-is.",
        )
    not_mistake(
        extra_cost,
        diff["total_cost"] / 52,
        "extra_cost looks like a week's cost: give the cost a year.",
    )
    if not same(diff["wte"], diff["gp_wte"]):
        not_mistake(
            extra_wte,
            diff["gp_wte"],
            "extra_wte is the change in GP WTE only (the gp_wte row): read the wte row, the "
            "whole team.",
        )


def cheapest_team(cheapest: Any, lowest_possible_cost: Any, pairs: Any, units: pd.Series) -> None:
    """Check Question 2 against the learner's own ``pairs`` (Question 1): one row per task with
    demand, the cheapest competent role's cost, and the team's cost weighted by ``units``.

    Parameters
    ----------
    cheapest : DataFrame
        The learner's cheapest role and cost per task.
    lowest_possible_cost : float
        The learner's cost a year of the cheapest team.
    pairs : DataFrame
        The learner's answer to Question 1.
    units : Series
        Tasks a week by task (the setup cell's ``units``).
    """
    is_table(cheapest, "cheapest")
    _require(
        {"role", "cost_per_weekly_task"} <= set(cheapest.columns),
        "cheapest needs the columns role and cost_per_weekly_task; it has "
        f"{list(cheapest.columns)}.",
    )
    index = [str(t) for t in cheapest.index]
    want = [str(t) for t in units.index]
    _require(
        sorted(index) == sorted(want),
        f"cheapest should have one row per task with demand ({len(want)} tasks: the index of "
        f"units), indexed by task; missing {sorted(set(want) - set(index))}, extra "
        f"{sorted(set(index) - set(want))[:5]}.",
    )
    is_number(lowest_possible_cost, "lowest_possible_cost")
    mine = cheapest.set_axis(index)
    cost = mine["cost_per_weekly_task"].astype(float)
    if isinstance(pairs, pd.DataFrame) and {"task", "cost_per_weekly_task"} <= set(pairs.columns):
        by_task = pairs.assign(task=pairs["task"].astype(str)).groupby("task")[
            "cost_per_weekly_task"
        ]
        for wrong, words in (("max", "dearest"), ("mean", "average")):
            found = by_task.agg(wrong).reindex(index)
            _require(
                not np.allclose(cost.to_numpy(), found.to_numpy(), rtol=1e-9),
                f"cost_per_weekly_task is each task's {words} competent role: take the cheapest "
                "(idxmin of cost_per_weekly_task within each task).",
            )
    u = units.set_axis([str(t) for t in units.index]).astype(float)
    not_mistake(
        float(lowest_possible_cost),
        float(cost.sum()),
        "lowest_possible_cost adds up each task's cheapest cost once: multiply each by its tasks "
        "a week (units) first.",
        rel=1e-9,
    )
    not_mistake(
        float(lowest_possible_cost),
        float((cost * u.reindex(index)).sum()) * 52,
        "lowest_possible_cost is 52 times too big: cost_per_weekly_task is already the cost a "
        "year of one task a week, so units x cost is a year's cost.",
        rel=1e-6,
    )
    _require(
        same(float(lowest_possible_cost), float((cost * u.reindex(index)).sum()), rel=1e-6),
        "lowest_possible_cost should be units x your cheapest cost_per_weekly_task, added up over "
        "the tasks (it does not match your own cheapest table).",
    )


def one_way(my_tornado: Any, ranges: dict[str, tuple[float, float]]) -> None:
    """Check Question 4's ``my_tornado``: shape, swing, order, and not the as-is service.

    Parameters
    ----------
    my_tornado : DataFrame
        The learner's one-way sensitivity table.
    ranges : dict
        The (low, high) value of each assumption (the setup cell's ``RANGES``).
    """
    from clearlib import workforce as wf

    is_table(my_tornado, "my_tornado")
    _require(
        {"metric_low", "metric_high", "swing"} <= set(my_tornado.columns),
        "my_tornado needs the columns metric_low, metric_high and swing; it has "
        f"{list(my_tornado.columns)}.",
    )
    _require(
        sorted(str(i) for i in my_tornado.index) == sorted(SENSITIVITY),
        f"my_tornado should be indexed by the three assumptions {SENSITIVITY}.",
    )
    t = my_tornado[["metric_low", "metric_high", "swing"]].astype(float)
    t.index = [str(i) for i in t.index]
    _require(
        np.allclose(t["swing"], (t["metric_high"] - t["metric_low"]).abs()),
        "swing should be abs(metric_high - metric_low).",
    )
    _require(t["swing"].is_monotonic_decreasing, "Sort my_tornado by swing, largest first.")
    base = wf.Baseline.from_pcn(_pcn("practices", "staff", "appointments"))
    subset = {name: ranges[name] for name in SENSITIVITY}
    asis = wf.sensitivity(base, None, metric=METRIC, ranges=subset, assumptions=SENSITIVITY)
    asis = asis.set_index("assumption").reindex(SENSITIVITY)[["metric_low", "metric_high"]]
    _require(
        not np.allclose(
            t.loc[SENSITIVITY, ["metric_low", "metric_high"]].to_numpy(),
            asis.to_numpy(dtype=float),
            atol=0.01,
        ),
        "These are the as-is service's shortfalls: evaluate the hub scenario, "
        "wf.evaluate(base, hub, assumptions=hub.assumptions.with_value(name, value)).",
    )


def gp_requests(value: Any) -> None:
    """Check Question 5's ``gp_requests`` is not the requests of both years or of every role.

    Parameters
    ----------
    value : DataFrame
        The learner's ``wf.requests_per_day(...)`` result.
    """
    from clearlib import workforce as wf

    is_table(value, "gp_requests")
    _require(
        {"same_day", "routine"} <= set(value.columns),
        "gp_requests should be what wf.requests_per_day returns (columns same_day and routine).",
    )
    appointments = _pcn("practices", "staff", "appointments").appointments
    year = appointments[
        (appointments["start"] >= YEAR_START) & (appointments["start"] < NEXT_YEAR_START)
    ]
    mine = value[["same_day", "routine"]].astype(float)
    for wrong, message in (
        (
            wf.requests_per_day(appointments, roles=["gp"]),
            "gp_requests covers both years: keep appointments starting in 2025/26 only.",
        ),
        (wf.requests_per_day(year), 'gp_requests counts every role: pass roles=["gp"].'),
    ):
        wrong = wrong[["same_day", "routine"]].astype(float)
        _require(
            not (len(wrong) == len(mine) and np.allclose(mine.to_numpy(), wrong.to_numpy())),
            message,
        )


def cohort_rates(table: Any, cohort: Any) -> None:
    """Check Question 7's ``cohort_rates``: columns, groups, rates = admissions / person-years,
    and person-time that stops at death or deregistration (learner's own ``cohort``).

    Parameters
    ----------
    table : DataFrame
        The learner's ``cohort_rates``.
    cohort : DataFrame
        The learner's cohort (Question 6).
    """
    cols = [
        "admissions_before",
        "person_years_before",
        "admissions_after",
        "person_years_after",
        "rate_before",
        "rate_after",
    ]
    is_table(table, "cohort_rates")
    missing = [c for c in cols if c not in table.columns]
    _require(not missing, f"cohort_rates is missing the column(s) {missing}.")
    _require(
        sorted(str(i) for i in table.index) == ["G003", "others"],
        'cohort_rates should have one row per group, indexed "G003" and "others".',
    )
    t = table.set_axis([str(i) for i in table.index])[cols].astype(float)
    for when in ("before", "after"):
        _require(
            np.allclose(t[f"rate_{when}"], t[f"admissions_{when}"] / t[f"person_years_{when}"]),
            f"rate_{when} should be admissions_{when} / person_years_{when}.",
        )
    ids = set(cohort["patient_id"].astype(str))
    patients = _pcn("patients", "frailty_deficits", "hospital_events").patients
    people = patients[patients["patient_id"].astype(str).isin(ids)]
    group = np.where(people["practice_code"].astype(str) == "SYN-G003", "G003", "others")
    start, end = pd.Timestamp("2025-04-01"), pd.Timestamp("2026-04-01")
    died, left = people["died_on"], people["deregistered_on"]
    stop = pd.concat([died, left], axis=1).min(axis=1)
    # Facts about the cohort (not the answer): who stopped being followed in the after year.
    leavers = ((stop >= start) & (stop < end)).groupby(group).sum().reindex(t.index, fill_value=0)
    moved = ((left >= start) & (left < end) & ~(died <= left)).groupby(group).sum()
    moved = moved.reindex(t.index, fill_value=0)
    whole_year = (end - start).days / 365.25
    n = pd.Series(1.0, index=people.index).groupby(group).sum().reindex(t.index, fill_value=0)
    some = leavers.to_numpy() > 0
    for full in (n, n * whole_year):
        _require(
            not (some.any() and np.allclose(t["person_years_after"][some], full[some], rtol=1e-6)),
            "person_years_after counts a whole year for everyone: people who die or leave in the "
            "after year stop contributing person-time on that date. Without this, the after rate "
            "looks lower everywhere.",
        )
    last = died.where(died < end, end).fillna(end)
    only_deaths = ((last - start).dt.days.clip(lower=0) / 365.25).groupby(group).sum()
    only_deaths = only_deaths.reindex(t.index)
    some = moved.to_numpy() > 0
    _require(
        not (
            some.any() and np.allclose(t["person_years_after"][some], only_deaths[some], rtol=1e-6)
        ),
        "person_years_after stops at death only: people who deregister (move away) stop being "
        "followed too. Stop at the earlier of died_on and deregistered_on.",
    )


def did_ratio(value: Any, rates: Any) -> None:
    """Check Question 8's ``did_ratio`` against the learner's own ``cohort_rates``: a ratio of
    the two groups' after/before ratios, not one group's, and not the wrong way up."""
    is_number(value, "did_ratio")
    _require(0 < value < 10, f"did_ratio is {value}: a ratio of rate ratios should be near 1.")
    t = rates.set_axis([str(i) for i in rates.index]).astype(float)
    g003 = t.loc["G003", "rate_after"] / t.loc["G003", "rate_before"]
    others = t.loc["others", "rate_after"] / t.loc["others", "rate_before"]
    if not same(others, 1.0):
        not_mistake(
            value,
            g003,
            "did_ratio is G003's after/before ratio alone: divide it by the same ratio in the "
            "other practices (the comparison group).",
        )
        not_mistake(
            value,
            others / g003,
            "did_ratio is upside down: G003's after/before ratio divided by the others', so a "
            "value below 1 means G003 did better.",
        )
    not_mistake(
        value,
        (t.loc["G003", "rate_after"] - t.loc["G003", "rate_before"])
        - (t.loc["others", "rate_after"] - t.loc["others", "rate_before"]),
        "did_ratio is a difference of differences of rates: the question asks for the ratio of "
        "the after/before ratios.",
    )
    not_mistake(
        value,
        t.loc["G003", "rate_after"] / t.loc["others", "rate_after"],
        "did_ratio compares the after year only: a difference-in-differences also divides by "
        "the groups' before-year ratio.",
    )
