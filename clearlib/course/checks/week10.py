"""Week 10's checks (skills and competencies, costing a team): the usual mistakes, by name.

Each check recomputes what a usual mistake gives (a count in the matrix instead of the relative
time, every role's appointments instead of the GPs', on-costs added as pounds, each person at
their role's usual band, the headroom the wrong way round) and fails with a message naming it.
None of them computes the right answer: the hidden tests in the notebook do that.

Examples
--------
>>> import pandas as pd
>>> from clearlib.course.checks import week10
>>> week10.headroom(-10.0, 100.0, pd.DataFrame({"cost": [300.0], "arrs_reimbursement": [110.0]}))
>>> week10.headroom(10.0, 100.0, pd.DataFrame({"cost": [300.0], "arrs_reimbursement": [110.0]}))
Traceback (most recent call last):
AssertionError: headroom has the wrong sign: arrs_budget - the proposed team's ARRS reimbursement (negative when the claims exceed the allocation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearlib.course.checks._core import _require, is_number, not_mistake

__all__ = [
    "cost_per_wte",
    "current_cost",
    "headroom",
    "matrix_values",
    "move_units",
]

YEAR_START, NEXT_YEAR_START = pd.Timestamp("2025-04-01"), pd.Timestamp("2026-04-01")
WEEKS_IN_YEAR = (NEXT_YEAR_START - YEAR_START).days / 7
ON_COST_RATE = 0.25


def matrix_values(matrix: Any) -> None:
    """Check the matrix (Question 1) holds relative times, not a count of competent roles.

    Examples
    --------
    >>> import pandas as pd
    >>> matrix_values(pd.DataFrame({"gp": [1.0, 1.0], "nurse": [1.0, None]}))
    Traceback (most recent call last):
    AssertionError: Every filled cell is 1: that counts competent pairs. Put each pair's relative time in its cell (values="relative_time").
    """
    values = pd.DataFrame(matrix).to_numpy(dtype=float)
    filled = values[~np.isnan(values)]
    _require(
        not (len(filled) > 1 and np.allclose(filled, 1.0)),
        "Every filled cell is 1: that counts competent pairs. Put each pair's relative time in "
        'its cell (values="relative_time").',
    )


def move_units(moves: Any, proposals: pd.DataFrame) -> None:
    """Check ``units_per_week`` of ``moves`` (Question 4) is the GPs' tasks a week x share: not
    every role's, and not a year's.

    Parameters
    ----------
    moves : DataFrame
        The learner's ``moves`` (columns task, to_role, units_per_week, ...).
    proposals : DataFrame
        The proposals (task, to_role, share).
    """
    import clearlib
    from clearlib import workforce

    a = clearlib.load_pcn().appointments
    year = a[(a["start"] >= YEAR_START) & (a["start"] < NEXT_YEAR_START)]
    attended = year[year["status"] == "attended"].copy()
    attended["task"] = workforce.assign_tasks(attended).astype(str)
    gp = attended[attended["role"].astype(str) == "gp"]
    share = proposals.set_index(["task", "to_role"])["share"]
    keys = pd.MultiIndex.from_arrays([moves["task"].astype(str), moves["to_role"].astype(str)])
    shares = share.reindex(keys).to_numpy(dtype=float)
    mine = moves["units_per_week"].to_numpy(dtype=float)
    tasks = moves["task"].astype(str)
    for counts, message in (
        (
            attended.groupby("task").size() / WEEKS_IN_YEAR,
            "units_per_week counts every role's appointments of the task: keep the GPs' "
            "appointments only (the work moves from GPs).",
        ),
        (
            gp.groupby("task").size().astype(float),
            "units_per_week holds a year's appointments: divide by WEEKS_IN_YEAR for a week.",
        ),
    ):
        wrong = tasks.map(counts).to_numpy(dtype=float) * shares
        _require(not np.allclose(mine, wrong, rtol=1e-6), message)


def cost_per_wte(value: Any) -> None:
    """Check ``cost_per_wte`` (Question 5) does not add the on-cost rate as pounds.

    Examples
    --------
    >>> import pandas as pd
    >>> from clearlib import reference
    >>> pay = reference.pay_bands().set_index("band")["midpoint"]["gp_salaried"]
    >>> cost_per_wte(pd.Series([pay * 1.25], index=["gp"]))
    >>> cost_per_wte(pd.Series([pay + 0.25], index=["gp"]))
    Traceback (most recent call last):
    AssertionError: You added ON_COST_RATE (0.25) as pounds: on-costs are a share of pay, so multiply by (1 + ON_COST_RATE).
    """
    from clearlib import reference

    roles = reference.roles().set_index("code")["afc_band"].astype(str).replace("", "gp_salaried")
    midpoint = reference.pay_bands().set_index("band")["midpoint"]
    mine = pd.Series(value.to_numpy(dtype=float), index=[str(i) for i in value.index])
    pay = mine.index.map(roles).map(midpoint).to_numpy(dtype=float)
    known = ~np.isnan(pay)
    _require(
        not (known.any() and np.allclose(mine.to_numpy()[known], pay[known] + ON_COST_RATE)),
        "You added ON_COST_RATE (0.25) as pounds: on-costs are a share of pay, so multiply by "
        "(1 + ON_COST_RATE).",
    )


def current_cost(value: Any, total_cost: Any) -> None:
    """Check ``current_cost`` (Question 6) costs each person at their own band, not at their
    role's usual band, and ``total_cost`` adds up its cost column (and nothing else)."""
    import clearlib
    from clearlib import reference

    staff = clearlib.load_pcn().staff
    usual = reference.roles().set_index("code")["afc_band"].astype(str).replace("", "gp_salaried")
    midpoint = reference.pay_bands().set_index("band")["midpoint"]
    at_usual = (
        (
            staff["role"].astype(str).map(usual).map(midpoint).astype(float)
            * (1 + ON_COST_RATE)
            * staff["wte"]
        )
        .groupby(staff["role"].astype(str))
        .sum()
    )
    mine = pd.Series(value["cost"].to_numpy(dtype=float), index=[str(i) for i in value.index])
    own = staff["afc_band"].fillna("gp_salaried").astype(str)
    if not (own == staff["role"].astype(str).map(usual)).all():
        not_mistake(
            mine,
            at_usual,
            "You costed each person at their role's usual band: use each person's own afc_band "
            "(some nurses are band 6, some band 7).",
        )
    is_number(total_cost, "total_cost")
    _require(
        abs(float(total_cost) - float(mine.sum())) <= 1e-6 * max(1.0, abs(float(mine.sum()))),
        f"total_cost is {float(total_cost):,.0f}, but the cost column of current_cost adds up to "
        f"{mine.sum():,.0f}: add up the cost column only (not the WTE too).",
    )


def headroom(value: Any, arrs_budget: Any, proposed_cost: Any) -> None:
    """Check ``headroom`` (Question 8) against the learner's own ``arrs_budget`` and
    ``proposed_cost``: the right way round, and from the reimbursement, not the whole cost."""
    is_number(value, "headroom")
    is_number(arrs_budget, "arrs_budget")
    claims = float(proposed_cost["arrs_reimbursement"].sum())
    not_mistake(
        float(value),
        claims - float(arrs_budget),
        "headroom has the wrong sign: arrs_budget - the proposed team's ARRS reimbursement "
        "(negative when the claims exceed the allocation).",
    )
    not_mistake(
        float(value),
        float(arrs_budget) - float(proposed_cost["cost"].sum()),
        "headroom takes the team's whole cost off the allocation: take the proposed team's ARRS "
        "reimbursement (the allocation caps what ARRS pays back, not what the team costs).",
    )
