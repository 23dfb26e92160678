"""Capacity and team costs: clinical hours and money worked by hand; bad rosters."""

from __future__ import annotations

import pandas as pd
import pytest

from clearlib import DataError
from clearlib.workforce import Assumptions, Capacity, team_cost


def test_clinical_hours_by_hand():
    """1.0 WTE GP: 37.5 × (1 − 0.11 − 0.02) × (1 − 0.40) = 19.575 clinical hours a week."""
    staff = pd.DataFrame({"role": ["gp", "gp", "clinical_pharmacist"], "wte": [1.0, 0.5, 1.0]})
    cap = Capacity.from_staff(staff)
    t = cap.table.set_index("role")
    assert t.loc["gp", "people"] == 2 and t.loc["gp", "wte"] == 1.5
    assert t.loc["gp", "paid_hours"] == pytest.approx(56.25)
    assert t.loc["gp", "leave_hours"] == pytest.approx(56.25 * 0.11)
    assert t.loc["gp", "training_hours"] == pytest.approx(56.25 * 0.02)
    assert t.loc["gp", "non_clinical_hours"] == pytest.approx(56.25 * 0.87 * 0.40)
    assert cap.per_week()["gp"] == pytest.approx(1.5 * 19.575)
    # pharmacist: 45% non-clinical
    assert cap.per_week()["clinical_pharmacist"] == pytest.approx(37.5 * 0.87 * 0.55)


def test_assumptions_change_hours():
    """Leave 20% and a GP non-clinical share of 50%: 37.5 × 0.78 × 0.5 = 14.625 hours."""
    a = Assumptions(leave_share=0.20, non_clinical_share={"gp": 0.5})
    cap = Capacity.from_staff(pd.DataFrame({"role": ["gp"], "wte": [1.0]}), assumptions=a)
    assert cap.per_week()["gp"] == pytest.approx(14.625)


def test_weekly_spreads_hours_by_open_days():
    """A 4-day bank-holiday week gets 4/5 of a full week's hours; the total is kept."""
    cap = Capacity.from_staff(pd.DataFrame({"role": ["gp"], "wte": [1.0]}))
    cal = pd.DataFrame(
        {"week": pd.to_datetime(["2025-04-14", "2025-04-21"]), "days": [7, 7], "open_days": [5, 4]}
    )
    w = cap.weekly(cal)["gp"]
    assert w.sum() == pytest.approx(2 * 19.575)
    assert w.iloc[1] / w.iloc[0] == pytest.approx(4 / 5)


def test_by_pcn_groups():
    """Capacity kept by PCN."""
    staff = pd.DataFrame({"role": ["gp", "gp"], "wte": [1.0, 0.5], "pcn_code": ["A", "B"]})
    cap = Capacity.from_staff(staff, by="pcn_code")
    assert cap.groups == ["A", "B"]
    assert cap.for_group("B").per_week()["gp"] == pytest.approx(0.5 * 19.575)


def test_negative_wte_names_the_staff_member():
    """A negative WTE fails naming the staff id and the value."""
    staff = pd.DataFrame({"staff_id": ["S1", "S2"], "role": ["gp", "hca"], "wte": [1.0, -0.4]})
    with pytest.raises(DataError, match=r"'wte' must be a number 0 or more; found -0.4.*S2"):
        Capacity.from_staff(staff)


def test_unknown_role_and_band():
    """Unknown roles and pay bands fail with the value and what is allowed."""
    with pytest.raises(DataError, match=r"'role'.*'locum' \(1 rows\)"):
        Capacity.from_staff(pd.DataFrame({"role": ["locum"], "wte": [1.0]}))
    with pytest.raises(DataError, match=r"'afc_band'.*'9'"):
        team_cost(pd.DataFrame({"role": ["hca"], "wte": [1.0], "afc_band": ["9"]}))


def test_team_cost_by_hand():
    """Pay midpoint × 1.25 × WTE; ARRS pays up to the role maximum; the PCN pays the rest."""
    staff = pd.DataFrame(
        {
            "role": ["gp", "clinical_pharmacist", "practice_nurse", "advanced_practitioner"],
            "wte": [1.0, 0.5, 1.0, 1.0],
            "afc_band": [None, "7", "7", "8a"],
            "arrs_funded": [False, True, True, True],
        }
    )
    c = team_cost(staff)
    assert c.loc["gp", "cost"] == pytest.approx(114_375)
    assert c.loc["gp", "arrs_reimbursement"] == 0
    assert c.loc["clinical_pharmacist", "arrs_reimbursement"] == pytest.approx(0.5 * 61_848.125)
    # a band 7 practice nurse costs 61,848.125, above the £53,319 ARRS maximum
    assert c.loc["practice_nurse", "cost"] == pytest.approx(61_848.125)
    assert c.loc["practice_nurse", "arrs_reimbursement"] == pytest.approx(53_319)
    assert c.loc["practice_nurse", "pcn_cost"] == pytest.approx(61_848.125 - 53_319)


def test_team_cost_within_an_arrs_budget():
    """Claims above the budget are paid pro rata; the PCN pays the excess."""
    staff = pd.DataFrame({"role": ["clinical_pharmacist"], "wte": [2.0], "arrs_funded": [True]})
    c = team_cost(staff, arrs_budget=61_848.125)
    assert c["arrs_reimbursement"].sum() == pytest.approx(61_848.125)
    assert c["pcn_cost"].sum() == pytest.approx(61_848.125)
    assert "exceed the budget" in c.attrs["note"]
