"""Workforce charts: each is titled, labelled and sourced through viz.finish."""

from __future__ import annotations

import pandas as pd
import pytest

from clearlib import ConfigError
from clearlib.viz._workforce import (
    demand_capacity_chart,
    gap_heatmap,
    team_chart,
    tornado_chart,
    waits_chart,
)
from clearlib.workforce import (
    Baseline,
    Capacity,
    Demand,
    gap,
    optimise_skill_mix,
    sensitivity,
    simulate_access,
)


@pytest.fixture(scope="module")
def parts():
    cal = pd.DataFrame(
        {"week": pd.to_datetime(["2025-01-06", "2025-01-13"]), "days": [7, 7], "open_days": [5, 5]}
    )
    demand = Demand(
        pd.DataFrame(
            {
                "week": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-06"]),
                "task": ["minor_acute", "minor_acute", "procedure"],
                "role": ["gp", "gp", "hca"],
                "units": [120.0, 150.0, 60.0],
                "hours": [20.0, 25.0, 10.0],
            }
        ),
        cal,
    )
    staff = pd.DataFrame({"role": ["gp", "hca"], "wte": [1.0, 0.5], "arrs_funded": [False, False]})
    return demand, staff, Capacity.from_staff(staff)


def _labelled(fig, title_part):
    assert title_part in fig.layout.title.text
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert any("Source:" in a.text for a in fig.layout.annotations)


def test_demand_capacity_chart(parts):
    """Two lines; the title counts the weeks short (the team has 31 h; GPs alone 19.575 h)."""
    demand, _, cap = parts
    fig = demand_capacity_chart(gap(demand, cap))
    _labelled(fig, "whole team: 0 of 2 weeks short")
    gp_only = demand_capacity_chart(gap(demand, cap), select="gp")
    _labelled(gp_only, "General practitioner: 2 of 2 weeks short")
    assert list(gp_only.data[0].y) == [20.0, 25.0]
    with pytest.raises(ConfigError, match="no rows"):
        demand_capacity_chart(gap(demand, cap), select="paramedic")


def test_gap_heatmap(parts):
    """Rows are task names, biggest gaps first; zero is white."""
    demand, _, cap = parts
    fig = gap_heatmap(gap(demand, cap, by="task"))
    _labelled(fig, "Gap by task")
    assert fig.data[0].zmid == 0
    assert "Minor acute illness" in list(fig.data[0].y)


def test_team_chart(parts):
    """Before and after as grouped bars, from a roster and an optimiser result."""
    demand, staff, _ = parts
    result = optimise_skill_mix(demand, roles=["gp", "hca", "advanced_practitioner"])
    fig = team_chart(staff, result)
    _labelled(fig, "Team before and after")
    assert [t.name for t in fig.data] == ["As-is", "To-be"]
    with pytest.raises(ConfigError, match="staff table"):
        team_chart(staff, 3)


def test_tornado_chart(parts):
    """One bar per assumption, low and high, around the base."""
    demand, staff, _ = parts
    s = sensitivity(Baseline(demand, staff, 5000), assumptions=["salary_scale", "on_cost_rate"])
    fig = tornado_chart(s)
    _labelled(fig, "cost per patient")
    assert list(fig.data[0].y) == ["Pay", "On-costs"]


def test_waits_chart():
    """One line per scenario with the national two-week line."""
    fig = waits_chart(
        {
            "As-is": simulate_access(10, 20, 31, weeks=6, reps=5),
            "To-be": simulate_access(10, 20, 35, weeks=6, reps=5),
        },
        kind="routine",
    )
    _labelled(fig, "routine requests wait")
    assert [t.name for t in fig.data] == ["As-is", "To-be"]
    with pytest.raises(ConfigError, match="kind"):
        waits_chart(simulate_access(1, 1, 5, weeks=2, reps=2), kind="urgent")
