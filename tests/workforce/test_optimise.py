"""The skill-mix optimiser against small cases solved by hand.

Hand figures: clinical hours per WTE a week are 37.5 × 0.87 × (1 − non-clinical share):
GP 19.575 (40%), clinical pharmacist 17.94375 (45%), advanced practitioner 22.8375 (30%).
Cost per WTE is the band midpoint × 1.25: GP £114,375, pharmacist (band 7) £61,848.125.
A structured medication review takes 30 minutes (pharmacist or GP); a minor illness
consultation 10 minutes for a GP and 20 for a pharmacist (relative time 2.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearlib import ConfigError
from clearlib.workforce import (
    Capacity,
    Demand,
    InfeasibleError,
    optimise_skill_mix,
    task_competency,
)

GP, CP = 114_375.0, 61_848.125
H_GP, H_CP = 19.575, 17.94375
TWO = ["clinical_pharmacist", "gp"]


def test_cheapest_role_per_task_in_tenth_wte_steps():
    """10 reviews a week = 5 h; a pharmacist hour costs less than a GP's: 0.3 WTE pharmacist."""
    r = optimise_skill_mix({"medication_review": 10}, roles=TWO)
    assert r.staffing["wte"].to_dict() == {"clinical_pharmacist": pytest.approx(0.3)}
    assert r.costs["total_cost"] == pytest.approx(0.3 * CP)
    assert r.allocation["units_per_week"].sum() == pytest.approx(10)
    assert not r.binding["kind"].isin(["minimum WTE", "maximum WTE", "budget"]).any()
    assert "0.3 WTE clinical pharmacist" in r.explanation


def test_continuous_answer():
    """Without steps the pharmacist WTE is exactly 5 / 17.94375."""
    r = optimise_skill_mix({"medication_review": 10}, roles=TWO, step=None)
    assert r.staffing.loc["clinical_pharmacist", "wte"] == pytest.approx(5 / H_CP)


def test_maximum_recruitable_binds():
    """At most 0.2 WTE pharmacist: the rest (1.41 h) needs 0.1 WTE GP; the limit binds."""
    r = optimise_skill_mix(
        {"medication_review": 10}, roles=TWO, max_wte={"clinical_pharmacist": 0.2}
    )
    assert r.staffing["wte"].round(6).to_dict() == {"gp": 0.1, "clinical_pharmacist": 0.2}
    assert r.costs["total_cost"] == pytest.approx(0.2 * CP + 0.1 * GP)
    b = r.binding.set_index("name")
    assert "max_wte[clinical_pharmacist]" in b.index
    # each extra pharmacist WTE replaces 17.94375 / 19.575 WTE of GP
    saving = H_CP / H_GP * GP - CP
    assert b.loc["max_wte[clinical_pharmacist]", "shadow_price"] == pytest.approx(saving, rel=1e-6)
    assert "maximum recruitable clinical pharmacist WTE (0.2) binds" in r.explanation


def test_minimum_gp_cover_binds():
    """With 0.5 WTE GP required, the GP has time for all 5 hours; nobody else is needed."""
    r = optimise_skill_mix({"medication_review": 10}, roles=TWO, min_gp_wte=0.5)
    assert r.staffing["wte"].to_dict() == {"gp": pytest.approx(0.5)}
    assert r.costs["total_cost"] == pytest.approx(0.5 * GP)
    b = r.binding.set_index("name")
    assert b.loc["min_gp_wte", "shadow_price"] == pytest.approx(GP)
    assert "Minimum GP cover (0.5 WTE) binds" in r.explanation


def test_arrs_budget_and_the_cost_split():
    """100 minor illnesses a week: 0.9 WTE GP is cheapest; ARRS pays £50,000 of it."""
    r = optimise_skill_mix({"minor_acute": 100}, roles=TWO, arrs_budget=50_000)
    assert r.staffing["wte"].to_dict() == {"gp": pytest.approx(0.9)}
    assert r.costs["total_cost"] == pytest.approx(0.9 * GP)
    assert r.costs["arrs_reimbursement"] == pytest.approx(50_000)
    assert r.costs["pcn_cost"] == pytest.approx(0.9 * GP - 50_000)
    assert "arrs_budget" in set(r.binding["name"])
    roster = r.roster()
    assert roster.groupby("arrs_funded")["wte"].sum().sum() == pytest.approx(0.9)


def test_pcn_objective_prefers_reimbursed_roles():
    """Unlimited ARRS: a pharmacist is free to the PCN (1.9 WTE for 33.3 h); a GP is not."""
    r = optimise_skill_mix({"minor_acute": 100}, roles=TWO, objective="pcn")
    assert r.staffing["wte"].to_dict() == {"clinical_pharmacist": pytest.approx(1.9)}
    assert r.costs["pcn_cost"] == pytest.approx(0.0, abs=1e-6)
    capped = optimise_skill_mix(
        {"minor_acute": 100}, roles=TWO, objective="pcn", arrs_budget=50_000
    )
    assert capped.staffing["wte"].to_dict() == {"gp": pytest.approx(0.9)}
    assert capped.costs["pcn_cost"] == pytest.approx(0.9 * GP - 50_000)


def test_every_wte_is_a_multiple_of_the_step(default_pcn):
    """On the default PCN, WTE come in 0.1 steps and every task's demand is met."""
    d = Demand.from_appointments(default_pcn.appointments)
    r = optimise_skill_mix(d, min_gp_wte=15)
    tenths = r.staffing["wte"].to_numpy() * 10
    assert np.allclose(tenths, np.round(tenths))
    met = r.allocation.groupby("task")["units_per_week"].sum()
    need = d.per_week("task", value="units")
    assert (met.reindex(need.index) >= need * (1 - 1e-9)).all()
    cap = Capacity.from_staff(r.roster())
    used = r.allocation.groupby("role")["hours_per_week"].sum()
    assert (used <= cap.per_week().reindex(used.index) + 1e-6).all()


def test_infeasible_names_the_maximum_that_cannot_be_met():
    """40 reviews (20 h) with at most 0.5 WTE pharmacist and no one else: needs 1.2 WTE."""
    with pytest.raises(InfeasibleError) as err:
        optimise_skill_mix(
            {"medication_review": 40},
            roles=["clinical_pharmacist"],
            max_wte={"clinical_pharmacist": 0.5},
        )
    assert err.value.constraints == ["max_wte[clinical_pharmacist]"]
    msg = str(err.value)
    assert "maximum recruitable 0.5 WTE clinical_pharmacist" in msg
    assert "needs at least 1.2 WTE clinical_pharmacist" in msg


def test_infeasible_names_the_budget_that_cannot_be_met():
    """0.9 WTE GP costs £102,937.50; with £20,000 of ARRS the PCN must pay £82,937.50."""
    with pytest.raises(InfeasibleError) as err:
        optimise_skill_mix(
            {"minor_acute": 100}, roles=["gp"], arrs_budget=20_000, pcn_budget=10_000
        )
    assert err.value.constraints == ["pcn_budget"]
    assert "PCN budget of £10,000 a year (it needs at least £82,938 a year)" in str(err.value)


def test_minimum_above_maximum():
    """A minimum above the maximum is named at once."""
    with pytest.raises(InfeasibleError, match="minimum WTE for gp \\(2\\) is above the maximum"):
        optimise_skill_mix({"minor_acute": 10}, min_wte={"gp": 2}, max_wte={"gp": 1})


def test_task_nobody_is_competent_for():
    """A task no allowed role can do is named, with the roles that could."""
    with pytest.raises(InfeasibleError, match=r"'medication_review'.*clinical_pharmacist, gp"):
        optimise_skill_mix({"medication_review": 5}, roles=["hca"])
    comp = task_competency()
    comp = comp[comp.task != "reports_medicals"]
    with pytest.raises(InfeasibleError, match="competent for it in the matrix: none"):
        optimise_skill_mix({"reports_medicals": 5}, competency=comp)


def test_bad_inputs():
    """Unknown roles and tasks, and negative numbers, fail with clear messages."""
    with pytest.raises(ConfigError, match="'receptionist'"):
        optimise_skill_mix({"triage": 5}, roles=["receptionist"])
    with pytest.raises(ConfigError, match="'telepathy'"):
        optimise_skill_mix({"telepathy": 5})
    with pytest.raises(ConfigError, match="0 or more"):
        optimise_skill_mix({"triage": -5})
    with pytest.raises(ConfigError, match="WTE must be 0 or more"):
        optimise_skill_mix({"triage": 5}, max_wte={"gp": -1})
    with pytest.raises(ConfigError, match="objective"):
        optimise_skill_mix({"triage": 5}, objective="cheapest")
    with pytest.raises(ConfigError, match="Demand"):
        optimise_skill_mix(pd.DataFrame({"triage": [5]}))
