"""Reference tables read once, and demand changes made in one step, give the same answers."""

from __future__ import annotations

import pandas as pd
import pytest

from clearlib._exceptions import ConfigError, DataError
from clearlib.workforce import Baseline, Demand, Scenario, pay_bands, role_costs
from clearlib.workforce._checks import known_roles
from clearlib.workforce._reference import task_codes, tasks

WEEKS = pd.date_range("2025-01-06", periods=4, freq="7D")


def _demand() -> Demand:
    cal = pd.DataFrame({"week": WEEKS, "days": 7, "open_days": 5})
    table = pd.DataFrame(
        {"week": WEEKS, "task": "minor_acute", "role": "gp", "units": 60.0, "hours": 10.0}
    )
    return Demand(table, cal)


def test_role_costs_callers_cannot_change_the_cached_table():
    """Changing what role_costs returns leaves the next call's table as it was."""
    first = role_costs()
    expected = first.copy()
    first.loc["gp", "cost_per_wte"] = 0.0
    first["salary"] = -1.0
    pd.testing.assert_frame_equal(role_costs(), expected, check_exact=True)


def test_role_costs_are_kept_apart_by_on_cost_rate_and_salary_scale():
    """Each (on-cost rate, salary scale) gets its own costs: midpoint × scale × (1 + rate)."""
    mid = float(pay_bands().set_index("band").loc["7", "midpoint"])
    base = role_costs()
    scaled = role_costs(salary_scale=1.1)
    on_costs = role_costs(on_cost_rate=0.3)
    assert float(base.loc["paramedic", "cost_per_wte"]) == mid * 1.0 * 1.25
    assert float(scaled.loc["paramedic", "cost_per_wte"]) == mid * 1.1 * 1.25
    assert float(on_costs.loc["paramedic", "cost_per_wte"]) == mid * 1.0 * 1.3
    assert float(role_costs().loc["paramedic", "cost_per_wte"]) == mid * 1.25


def test_role_and_task_codes_cannot_be_changed_by_callers():
    """known_roles gives a new list each call and task_codes a tuple of the catalogue's codes."""
    roles = known_roles()
    roles.clear()
    assert "gp" in known_roles()
    assert isinstance(task_codes(), tuple)
    assert list(task_codes()) == tasks()["code"].tolist()


def test_new_service_in_one_step_equals_one_add_service_per_need():
    """A new service's needs (a task twice, for two roles) add the rows one step per need would."""
    needs = [
        {"task": "needs_assessment", "per_person_per_year": 1.0, "role": "advanced_practitioner"},
        {"task": "mdt_meeting", "per_person_per_year": 1.0, "role": "gp"},
        {"task": "mdt_meeting", "per_person_per_year": 0.0, "role": "care_coordinator"},
        {"task": "medication_review", "per_person_per_year": 2.0},
    ]
    demand = _demand()
    stepwise = demand
    for n in needs:
        role = n.get("role")
        stepwise = stepwise.add_service(
            "Proactive care",
            300.0,
            {n["task"]: n["per_person_per_year"]},
            roles={n["task"]: role} if role else None,
        )
    s = Scenario.from_dict(
        {
            "name": "x",
            "changes": [
                {
                    "type": "new_service",
                    "name": "Proactive care",
                    "cohort_size": 300,
                    "needs": needs,
                }
            ],
        }
    )
    staff = pd.DataFrame({"role": ["gp"], "wte": [1.0]})
    applied = s.apply(Baseline(demand, staff, list_size=2000)).demand
    pd.testing.assert_frame_equal(applied.table, stepwise.table, check_exact=True)
    # the zero-rate need adds no rows; the others add one row a week each
    assert len(applied.table) == 4 + 3 * 4


def test_changes_still_refuse_what_they_cannot_do():
    """Changes made without re-checking the table still refuse a role that is not competent."""
    demand = _demand()
    with pytest.raises(ConfigError, match="not competent for task 'minor_acute'"):
        demand.move("minor_acute", "gp", "hca", 0.5)
    with pytest.raises(ConfigError, match="not competent"):
        demand.add_service("x", 10, {"medication_review": 1.0}, roles={"medication_review": "hca"})
    with pytest.raises(DataError, match="'hours' must hold numbers 0 or more"):
        demand.with_minutes(pd.Series({"minor_acute": -5.0}))
