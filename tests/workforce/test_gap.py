"""Gap analysis and the current allocation, worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from clearlib import ConfigError
from clearlib.workforce import Capacity, Demand, allocation, gap, gap_summary

CAL = pd.DataFrame(
    {"week": pd.to_datetime(["2025-01-06", "2025-01-13"]), "days": [7, 7], "open_days": [5, 5]}
)


@pytest.fixture
def demand():
    """GP: 15 h minor illness and 10 h triage a week; week 2 has 5 h more minor illness."""
    return Demand(
        pd.DataFrame(
            {
                "week": pd.to_datetime(["2025-01-06", "2025-01-06", "2025-01-13", "2025-01-13"]),
                "task": ["minor_acute", "triage", "minor_acute", "triage"],
                "role": "gp",
                "units": [90.0, 120.0, 120.0, 120.0],
                "hours": [15.0, 10.0, 20.0, 10.0],
            }
        ),
        CAL,
    )


@pytest.fixture
def capacity():
    """1.0 WTE GP (19.575 h) and 1.0 WTE HCA (nothing to do)."""
    return Capacity.from_staff(pd.DataFrame({"role": ["gp", "hca"], "wte": [1.0, 1.0]}))


def test_gap_by_role(demand, capacity):
    """Week 1 GP: 25 − 19.575 = 5.425 h short; the HCA has 22.8375 h spare."""
    g = gap(demand, capacity).set_index(["week", "role"])
    assert g.loc[("2025-01-06", "gp"), "gap_hours"] == pytest.approx(5.425)
    assert g.loc[("2025-01-13", "gp"), "gap_hours"] == pytest.approx(30 - 19.575)
    assert g.loc[("2025-01-06", "hca"), "gap_hours"] == pytest.approx(-22.8375)
    assert g.loc[("2025-01-06", "gp"), "utilisation"] == pytest.approx(25 / 19.575)


def test_gap_by_task_shares_capacity_by_current_allocation(demand, capacity):
    """GP time splits 35:20 between minor illness and triage over the window."""
    g = gap(demand, capacity, by="task").set_index(["week", "task"])
    assert g.loc[("2025-01-06", "minor_acute"), "capacity_hours"] == pytest.approx(19.575 * 35 / 55)
    assert g.loc[("2025-01-06", "triage"), "capacity_hours"] == pytest.approx(19.575 * 20 / 55)
    assert g.loc[("2025-01-06", "unallocated"), "capacity_hours"] == pytest.approx(22.8375)


def test_gap_summary(demand, capacity):
    """Averages per week, with the number of weeks short and the worst week."""
    s = gap_summary(demand, capacity)
    assert s.loc["gp", "demand_hours"] == pytest.approx(27.5)
    assert s.loc["gp", "weeks_short"] == 2
    assert s.loc["gp", "worst_gap_hours"] == pytest.approx(30 - 19.575)
    assert s.index[0] == "gp"  # biggest shortfall first


def test_allocation_shares(demand):
    """Who does what: all of both tasks by GPs."""
    a = allocation(demand, share=True)
    assert a.loc["minor_acute", "gp"] == 1.0
    assert allocation(demand, value="units").loc["triage", "gp"] == pytest.approx(120.0)


def test_groups_must_match(demand):
    """Demand without groups cannot be compared with capacity by PCN."""
    cap = Capacity.from_staff(
        pd.DataFrame({"role": ["gp"], "wte": [1.0], "pcn_code": ["A"]}), by="pcn_code"
    )
    with pytest.raises(ConfigError, match="both be kept by group"):
        gap(demand, cap)
