"""Scenarios: files, changes, as-is against to-be and sensitivity, worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from clearlib import ConfigError
from clearlib.workforce import (
    CHANGE_TYPES,
    Assumptions,
    Baseline,
    Demand,
    Scenario,
    compare,
    evaluate,
    load_scenario,
    register_change,
    scenario_names,
    sensitivity,
)

GP, CP = 114_375.0, 61_848.125


@pytest.fixture
def baseline():
    """One week: GP 60 minor illnesses (10 h) and 120 triages (10 h); 1.0 GP, 1.0 pharmacist."""
    cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
    demand = Demand(
        pd.DataFrame(
            {
                "week": pd.to_datetime(["2025-01-06", "2025-01-06"]),
                "task": ["minor_acute", "triage"],
                "role": "gp",
                "units": [60.0, 120.0],
                "hours": [10.0, 10.0],
            }
        ),
        cal,
    )
    staff = pd.DataFrame(
        {"role": ["gp", "clinical_pharmacist"], "wte": [1.0, 1.0], "arrs_funded": [False, True]}
    )
    return Baseline(demand, staff, 10_000)


def test_as_is_metrics_by_hand(baseline):
    """Hours, shortfall, costs and cost per patient of the as-is."""
    m = evaluate(baseline)
    assert m["demand_hours_per_week"] == pytest.approx(20)
    assert m["capacity_hours_per_week"] == pytest.approx(19.575 + 17.94375)
    assert m["shortfall_hours_per_week"] == pytest.approx(20 - 19.575)  # GPs only
    assert m["total_cost"] == pytest.approx(GP + CP)
    assert m["arrs_reimbursement"] == pytest.approx(CP)
    assert m["arrs_budget"] == pytest.approx(26.631 * 10_000)
    assert m["cost_per_patient"] == pytest.approx((GP + CP) / 10_000)


def test_to_be_side_by_side(baseline):
    """Half the triage moves to a paramedic (1.5× time) who joins at 0.5 WTE: 5 GP hours freed."""
    s = Scenario.from_dict(
        {
            "name": "Paramedic triage",
            "changes": [
                {
                    "type": "move_tasks",
                    "task": "triage",
                    "from_role": "gp",
                    "to_role": "paramedic",
                    "share": 0.5,
                },
                {"type": "add_wte", "role": "paramedic", "wte": 0.5},
            ],
        }
    )
    t = compare(baseline, s)
    assert list(t.columns) == ["As-is", "Paramedic triage"]
    assert t.loc["gp_hours_released", "Paramedic triage"] == pytest.approx(5.0)
    assert t.loc["demand_hours_per_week", "Paramedic triage"] == pytest.approx(15 + 7.5)
    assert t.loc["wte", "Paramedic triage"] == pytest.approx(2.5)
    assert t.loc["total_cost", "Paramedic triage"] == pytest.approx(GP + CP + 0.5 * CP)
    assert t.loc["arrs_reimbursement", "Paramedic triage"] == pytest.approx(1.5 * CP)


def test_new_service_from_a_share_of_the_list(baseline):
    """1% of 10,000 people, one 60-minute assessment a year: 100 × 7 / 365.25 in the week."""
    s = Scenario.from_dict(
        {
            "name": "Proactive",
            "changes": [
                {
                    "type": "new_service",
                    "name": "Proactive",
                    "cohort_share": 0.01,
                    "needs": {"needs_assessment": 1.0},
                },
            ],
        }
    )
    state = s.apply(baseline)
    units = state.demand.per_week("source", value="units")
    assert units["Proactive"] == pytest.approx(100 * 7 / 365.25)
    service = Scenario.from_dict(
        {"name": "x", "changes": list(s.changes), "assumptions": {"service_scale": 2.0}}
    )
    assert service.apply(baseline).demand.per_week("source", value="units")["Proactive"] == (
        pytest.approx(2 * 100 * 7 / 365.25)
    )


def test_remove_wte_beyond_the_team(baseline):
    """Removing more WTE than the team has says how much there is."""
    s = Scenario.from_dict(
        {"name": "x", "changes": [{"type": "remove_wte", "role": "gp", "wte": 2}]}
    )
    with pytest.raises(ConfigError, match="cannot remove 2 WTE gp; the team has 1 WTE"):
        s.apply(baseline)


def test_remove_and_scale_demand(baseline):
    """Removing 50% of GP minor illness and growing triage 10% changes GP hours by hand."""
    s = Scenario.from_dict(
        {
            "name": "x",
            "changes": [
                {"type": "remove_demand", "task": "minor_acute", "share": 0.5, "role": "gp"},
                {"type": "scale_demand", "task": "triage", "factor": 1.1},
            ],
        }
    )
    assert evaluate(baseline, s)["gp_hours_per_week"] == pytest.approx(5 + 11)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "hire"}, "unknown change type 'hire'; expected one of add_wte"),
        ({"type": "add_wte", "role": "gp"}, r"missing key\(s\) wte"),
        ({"type": "add_wte", "role": "gp", "wte": 1, "grade": 3}, r"unknown key\(s\) grade"),
        ({"type": "add_wte", "role": "surgeon", "wte": 1}, "unknown role 'surgeon'"),
        ({"type": "remove_demand", "task": "surgery", "share": 0.1}, "unknown task 'surgery'"),
        ({"type": "new_service", "name": "s", "needs": {}}, "needs is empty"),
    ],
)
def test_bad_changes_say_which_change_and_what(change, message):
    """Each bad change names its place in the file and the problem."""
    with pytest.raises(ConfigError, match=message) as err:
        Scenario.from_dict(
            {"name": "Bad", "changes": [{"type": "add_wte", "role": "gp", "wte": 1}, change]}
        )
    assert "change 2" in str(err.value)


def test_bad_files(tmp_path):
    """Missing files, bad TOML, an old schema and unknown assumptions fail clearly."""
    with pytest.raises(ConfigError, match="example scenarios are cheapest_mix"):
        load_scenario("no_such_scenario")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(bad)
    old = tmp_path / "old.toml"
    old.write_text('schema_version = 0\nname = "Old"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="schema_version 0 is not supported"):
        load_scenario(old)
    odd = tmp_path / "odd.toml"
    odd.write_text('name = "Odd"\n[assumptions]\nsunshine = 2\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) sunshine"):
        load_scenario(odd)


def test_a_project_team_can_write_a_file(tmp_path, baseline):
    """A scenario file written by hand loads and applies."""
    path = tmp_path / "ours.toml"
    path.write_text(
        'schema_version = 1\nname = "Ours"\n\n[assumptions]\non_cost_rate = 0.3\n\n'
        '[[changes]]\ntype = "add_wte"\nrole = "hca"\nwte = 1.0\narrs_funded = false\n',
        encoding="utf-8",
    )
    s = load_scenario(path)
    assert s.assumptions.on_cost_rate == 0.3
    m = evaluate(baseline, s)
    assert m["total_cost"] == pytest.approx((91_500 + 49_478.5 + 24_872.5) * 1.3)


def test_sensitivity_by_hand(baseline):
    """Pay ±20% moves cost per patient ±20%; demand ±20% moves the GP shortfall, not cost."""
    t = sensitivity(baseline, metric="cost_per_patient").set_index("assumption")
    base = (GP + CP) / 10_000
    assert t.loc["salary_scale", "metric_low"] == pytest.approx(0.8 * base)
    assert t.loc["salary_scale", "metric_high"] == pytest.approx(1.2 * base)
    assert t.index[0] == "salary_scale"
    assert t.loc["demand_scale", "swing"] == pytest.approx(0.0)
    s = sensitivity(baseline, metric="shortfall_hours_per_week", assumptions=["demand_scale"])
    assert s.loc[0, "metric_low"] == pytest.approx(0.0)
    assert s.loc[0, "metric_high"] == pytest.approx(24 - 19.575)
    r = sensitivity(baseline, ranges={"on_cost_rate": (0.2, 0.3)}, assumptions=["on_cost_rate"])
    assert r.loc[0, "metric_high"] == pytest.approx((91_500 + 49_478.5) * 1.3 / 10_000)
    with pytest.raises(ConfigError, match="metric"):
        sensitivity(baseline, metric="happiness")


def test_register_a_new_change_type(baseline):
    """A project can add a change type through the registry."""

    @register_change("double_role", required=("role",))
    def double(state, change, a):
        staff = state.staff.copy()
        staff.loc[staff.role == change["role"], "wte"] *= 2
        return type(state)(state.demand, staff, state.list_size)

    try:
        s = Scenario.from_dict({"name": "x", "changes": [{"type": "double_role", "role": "gp"}]})
        assert evaluate(baseline, s)["gp_wte"] == 2.0
    finally:
        del CHANGE_TYPES["double_role"]


def test_example_scenarios_on_the_default_pcn(default_pcn):
    """Every example file loads and runs on the default PCN; the cheapest mix keeps 80% GP cover."""
    assert set(scenario_names()) >= {"cheapest_mix", "proactive_care", "same_day_hub"}
    base = Baseline.from_pcn(default_pcn)
    t = compare(base, [load_scenario(n) for n in scenario_names()], assumptions=Assumptions())
    assert t.loc["gp_wte", "Cheapest mix"] >= 0.8 * t.loc["gp_wte", "As-is"] - 1e-9
    assert t.loc["total_cost", "Cheapest mix"] < t.loc["total_cost", "As-is"]
    assert t.loc["gp_hours_released", "Same-day hub"] > 0
    assert (
        t.loc["demand_hours_per_week", "Proactive care"] > t.loc["demand_hours_per_week", "As-is"]
    )
