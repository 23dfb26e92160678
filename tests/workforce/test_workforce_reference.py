"""The workforce reference tables: sources, coverage, consistency, and costs worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearlib import reference
from clearlib.workforce import (
    arrs_allocation,
    arrs_reimbursement,
    assign_tasks,
    competency_matrix,
    pay_bands,
    role_costs,
    task_competency,
    task_map,
    tasks,
    working_time,
)

TABLES = {
    "tasks": tasks,
    "task_map": task_map,
    "task_competency": task_competency,
    "pay_bands": pay_bands,
    "working_time": working_time,
    "arrs": arrs_reimbursement,
    "arrs_allocation": arrs_allocation,
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_row_cites_facts_or_says_assumption(name):
    """Every row's source cites FACTS.md or is labelled an assumption."""
    df = TABLES[name]()
    assert "source" in df.columns
    ok = df["source"].str.contains("FACTS.md §") | df["source"].str.contains("assumption")
    assert ok.all(), df.loc[~ok, "source"].tolist()


def test_task_catalogue_maps_to_national_categories():
    """Each task's category is a national appointment category (or empty for non-appointment work)."""
    codes = set(reference.appointment_categories()["code"])
    t = tasks()
    assert len(t) == 20 and t["code"].is_unique
    named = t["national_category"].dropna()
    assert set(named) <= codes
    assert set(t.loc[t["national_category"].isna(), "code"]) == {"mdt_meeting", "admin_results"}
    assert (t["minutes"] > 0).all()


def test_every_category_has_a_default_task_and_every_mapped_task_exists():
    """All 16 national categories map to a task when the role has no override."""
    m = task_map()
    defaults = m[m["role"].isna()]
    assert set(defaults["national_category"]) == set(reference.appointment_categories()["code"])
    assert defaults["national_category"].is_unique
    assert set(m["task"]) <= set(tasks()["code"])
    assert set(m["role"].dropna()) <= set(reference.roles()["code"])


def test_competency_matrix_is_consistent():
    """Known tasks and roles; each task's reference role has relative time 1; every task has a role."""
    c = task_competency()
    assert not c.duplicated(["task", "role"]).any()
    assert set(c["role"]) <= set(reference.roles()["code"])
    assert set(c["task"]) == set(tasks()["code"])
    assert (c["relative_time"] > 0).all()
    rel = c.set_index(["task", "role"])["relative_time"]
    for task, role in tasks()[["code", "reference_role"]].itertuples(index=False):
        assert rel[(task, role)] == 1.0, task


def test_every_mapped_pair_is_in_the_competency_matrix():
    """Whatever task an appointment becomes, the role that did it is competent for it."""
    cats = reference.appointment_categories()["code"].tolist()
    roles = reference.roles()["code"].tolist()
    grid = pd.DataFrame(
        [(c, r) for c in cats for r in roles], columns=["national_category", "role"]
    )
    grid["task"] = assign_tasks(grid).astype(str)
    rel = set(task_competency()[["task", "role"]].itertuples(index=False, name=None))
    observed_roles = {  # the generator's role × category combinations (default spec)
        ("general_routine", "gp"),
        ("general_routine", "fcp"),
        ("general_routine", "hca"),
        ("planned_clinics", "nursing_associate"),
        ("planned_clinics", "pharmacy_technician"),
        ("medication_review", "pharmacy_technician"),
        ("care_home_round", "occupational_therapist"),
        ("care_home_assessment", "care_coordinator"),
    }
    for cat, role in observed_roles:
        task = grid.loc[(grid.national_category == cat) & (grid.role == role), "task"].item()
        assert (task, role) in rel, (cat, role, task)


def test_matrix_wide_form():
    """The wide matrix has tasks down, roles across, NaN where a role is not competent."""
    m = competency_matrix()
    assert m.loc["minor_acute", "practice_nurse"] == 1.5
    assert np.isnan(m.loc["reports_medicals", "practice_nurse"])
    assert m.loc["reports_medicals"].notna().sum() == 1


def test_working_time_covers_every_role():
    """One row per role: 37.5 hours a WTE, leave 11%, training 2%; GPs 40% non-clinical."""
    w = working_time().set_index("role")
    assert set(w.index) == set(reference.roles()["code"])
    assert (w["hours_per_wte"] == 37.5).all()
    assert w.loc["gp", "non_clinical_share"] == 0.40


def test_pay_band_midpoints_and_on_costs():
    """Midpoints are (entry + top) / 2 for every band; on-costs 25%."""
    p = pay_bands()
    assert np.allclose(p["midpoint"], (p["entry"] + p["top"]) / 2)
    assert (p["on_cost_rate"] == 0.25).all()
    bands = reference.roles()["afc_band"]
    assert set(bands[bands != ""]) <= set(p["band"])


def test_role_costs_worked_by_hand():
    """Cost per WTE = band midpoint × 1.25; reimbursement = min(cost, the role's ARRS maximum)."""
    c = role_costs()
    assert c.loc["gp", "cost_per_wte"] == pytest.approx(91_500 * 1.25)  # 114,375
    assert c.loc["clinical_pharmacist", "cost_per_wte"] == pytest.approx(49_478.5 * 1.25)
    # advanced practitioner band 8a: 57,129.50 × 1.25 = 71,411.875, under the £72,141 maximum
    assert c.loc["advanced_practitioner", "reimbursement_per_wte"] == pytest.approx(71_411.875)
    # GP: cost 114,375 above the assumed maximum of 73,000 × 1.25 = 91,250
    assert c.loc["gp", "reimbursement_per_wte"] == pytest.approx(91_250)
    higher = role_costs(on_cost_rate=0.3, salary_scale=1.1)
    assert higher.loc["hca", "cost_per_wte"] == pytest.approx(24_872.5 * 1.1 * 1.3)


def test_published_maxima_kept_and_assumed_ones_labelled():
    """Published ARRS maxima stay; the rest are band midpoint plus on-costs, marked assumption."""
    r = arrs_reimbursement().set_index("role")
    assert r.loc["pharmacy_technician", "max_reimbursement_per_wte"] == 42_437
    assert r.loc["pharmacy_technician", "basis"] == "published"
    assert r.loc["splw", "max_reimbursement_per_wte"] == pytest.approx(27_822 * 1.25)
    assert r.loc["splw", "basis"] == "assumption"
    assert set(r.index) == set(reference.roles()["code"])
