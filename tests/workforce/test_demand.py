"""Demand: appointments to hours per task per week, worked by hand; changes; bad inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clearlib import ConfigError, DataError
from clearlib.workforce import Assumptions, Demand, assign_tasks

WEEK = ("2025-01-06", "2025-01-19")  # two whole weeks, Monday to Sunday


def appointments(rows):
    df = pd.DataFrame(
        rows, columns=["role", "national_category", "start", "status", "duration_min"]
    )
    df["start"] = pd.to_datetime(df["start"])
    return df


@pytest.fixture
def small():
    """Two weeks: 3 GP acute, 1 nurse acute, 1 GP DNA, 1 cancelled, 1 pharmacist SMR."""
    return appointments(
        [
            ("gp", "general_acute", "2025-01-06 09:00", "attended", 8.0),
            ("gp", "general_acute", "2025-01-06 09:10", "attended", 12.0),
            ("gp", "general_acute", "2025-01-13 09:00", "attended", 10.0),
            ("practice_nurse", "general_acute", "2025-01-07 10:00", "attended", 14.0),
            ("gp", "general_acute", "2025-01-08 11:00", "dna", 0.0),
            ("gp", "general_acute", "2025-01-09 11:00", "cancelled", 0.0),
            ("clinical_pharmacist", "medication_review", "2025-01-14 14:00", "attended", 25.0),
        ]
    )


def test_units_and_catalogue_hours_by_hand(small):
    """Catalogue hours: GP minor illness 10 min, nurse 15 min (1.5×), SMR 30 min; DNA counts."""
    d = Demand.from_appointments(small, window=WEEK)
    units = d.per_week("task", value="units")
    # 4 GP acute (3 attended + 1 DNA) + 1 nurse = 5 minor acute over 2 weeks; 1 SMR
    assert units["minor_acute"] == pytest.approx(5 / 2)
    assert units["medication_review"] == pytest.approx(1 / 2)
    hours = d.per_week("role")
    assert hours["gp"] == pytest.approx(4 * 10 / 60 / 2)
    assert hours["practice_nurse"] == pytest.approx(15 / 60 / 2)
    assert hours["clinical_pharmacist"] == pytest.approx(30 / 60 / 2)


def test_observed_minutes_by_hand(small):
    """Observed hours: recorded minutes of attended appointments; a DNA at catalogue time."""
    d = Demand.from_appointments(small, window=WEEK, minutes="observed")
    hours = d.per_week("role")
    assert hours["gp"] == pytest.approx((8 + 12 + 10 + 10) / 60 / 2)
    assert hours["practice_nurse"] == pytest.approx(14 / 60 / 2)


def test_weekly_table_and_calendar(small):
    """Weeks start on Monday; each week's hours are its own appointments."""
    d = Demand.from_appointments(small, window=WEEK)
    w = d.weekly("task")
    assert list(w.index) == list(pd.to_datetime(["2025-01-06", "2025-01-13"]))
    # week 1: GP 2 attended + 1 DNA (30 min) and the nurse (15 min) = 45 min
    assert w.loc["2025-01-06", "minor_acute"] == pytest.approx(0.75)
    assert w.loc["2025-01-13", "medication_review"] == pytest.approx(0.5)
    assert d.calendar["open_days"].tolist() == [4, 2]
    assert d.weeks == 2.0


def test_assumed_minutes_and_demand_scale(small):
    """Minutes per task and observed demand follow the assumptions."""
    a = Assumptions(minutes={"minor_acute": 12}, demand_scale=1.1)
    d = Demand.from_appointments(small, window=WEEK, assumptions=a)
    assert d.per_week("role")["gp"] == pytest.approx(4 * 12 / 60 / 2 * 1.1)
    assert d.with_minutes(pd.Series({"minor_acute": 6.0})).per_week("role")["gp"] == pytest.approx(
        4 * 6 / 60 / 2 * 1.1
    )


def test_group_by_pcn_through_practices():
    """Demand kept by PCN, each practice mapped to its PCN through the practices table."""
    df = appointments(
        [
            ("gp", "general_routine", "2025-01-06 09:00", "attended", 9.0),
            ("gp", "general_routine", "2025-01-06 09:00", "attended", 9.0),
            ("gp", "general_routine", "2025-01-07 09:00", "attended", 9.0),
        ]
    )
    df["practice_code"] = pd.Categorical(["SYN-G001", "SYN-G002", "SYN-G003"])
    practices = pd.DataFrame(
        {"practice_code": ["SYN-G001", "SYN-G002", "SYN-G003"], "pcn_code": ["A", "A", "B"]}
    )
    d = Demand.from_appointments(df, by="pcn_code", practices=practices, window=WEEK)
    assert d.groups == ["A", "B"]
    assert d.for_group("A").per_week(value="units")["routine_consultation"] == pytest.approx(1.0)
    assert d.per_week("group", value="units").to_dict() == {"A": 1.0, "B": 0.5}


def test_new_service_adds_cohort_times_needs():
    """A cohort of 730.5 people with 2 assessments a year adds 4 a day for 2 years' window."""
    cal = pd.DataFrame(
        {"week": pd.date_range("2025-01-06", periods=2, freq="7D"), "days": 7, "open_days": 5}
    )
    empty = pd.DataFrame(columns=["week", "task", "role", "units", "hours"])
    d = Demand(empty, cal).add_service("Proactive care", 730.5, {"needs_assessment": 2})
    # 730.5 × 2 a year × 14 days / 365.25 = 56 assessments over the window, 28 a week
    assert d.per_week(value="units")["needs_assessment"] == pytest.approx(28.0)
    # 60 minutes each by an advanced practitioner (the reference role)
    assert d.per_week("role")["advanced_practitioner"] == pytest.approx(28.0)
    assert d.per_week("source", value="units")["Proactive care"] == pytest.approx(28.0)
    later = Demand(empty, cal).add_service(
        "Proactive care",
        730.5,
        {"care_planning": 1},
        roles={"care_planning": "practice_nurse"},
        starts_on="2025-01-13",
    )
    w = later.weekly("task", value="units")["care_planning"]
    assert w.tolist() == pytest.approx([0.0, 730.5 * 7 / 365.25])


def test_remove_and_move_by_hand(small):
    """Removing 25% of minor illness; moving half of the GP's to a paramedic at 1.5× time."""
    d = Demand.from_appointments(small, window=WEEK)
    assert d.remove("minor_acute", 0.25).per_week(value="units")["minor_acute"] == pytest.approx(
        2.5 * 0.75
    )
    only_gp = d.remove("minor_acute", 1.0, role="gp").per_week("role")
    assert only_gp.get("gp", 0.0) == 0.0 and only_gp["practice_nurse"] > 0
    moved = d.move("minor_acute", "gp", "paramedic", 0.5).per_week("role")
    assert moved["gp"] == pytest.approx(2 * 10 / 60 / 2)
    assert moved["paramedic"] == pytest.approx(2 * 15 / 60 / 2)


def test_move_to_a_role_not_competent_names_the_competent_roles(small):
    """Moving a task to a role outside the competency matrix fails with the roles that can."""
    d = Demand.from_appointments(small, window=WEEK)
    with pytest.raises(ConfigError, match=r"'hca' is not competent for task 'minor_acute'.*gp"):
        d.move("minor_acute", "gp", "hca")


def test_reallocate_by_shares(small):
    """Reallocating minor illness 50:50 between GP and AP recomputes the AP's time at 1.5×."""
    d = Demand.from_appointments(small, window=WEEK)
    shares = pd.DataFrame({"gp": [0.5], "advanced_practitioner": [0.5]}, index=["minor_acute"])
    r = d.reallocate(shares).per_week("role")
    assert r["gp"] == pytest.approx(2.5 * 0.5 * 10 / 60)
    assert r["advanced_practitioner"] == pytest.approx(2.5 * 0.5 * 15 / 60)
    assert "practice_nurse" not in r.index
    with pytest.raises(ConfigError, match="sum to 1"):
        d.reallocate(pd.DataFrame({"gp": [0.5]}, index=["minor_acute"]))


def test_trend_and_seasonality_on_a_known_series():
    """A line rising 52 hours a week per year is found; a flat series has seasonal index 1."""
    weeks = pd.date_range("2024-04-01", periods=104, freq="7D")
    cal = pd.DataFrame({"week": weeks, "days": 7, "open_days": 5})
    t_years = (weeks - weeks[0]).days / 365.25
    table = pd.DataFrame(
        {"week": weeks, "task": "triage", "role": "gp", "units": 1.0, "hours": 100 + 52 * t_years}
    )
    trend = Demand(table, cal).trend()
    assert trend.loc["triage", "change_per_year"] == pytest.approx(52.0)
    flat = table.assign(hours=100.0)
    season = Demand(flat, cal).seasonality()
    assert np.allclose(season["total"], 1.0)


def test_unknown_role_is_named_with_its_count(small):
    """An unknown role fails with the value, how many rows have it and the roles expected."""
    bad = pd.concat([small, small.iloc[[0]].assign(role="receptionist")], ignore_index=True)
    with pytest.raises(DataError, match=r"'role'.*'receptionist' \(1 rows\).*expected one of gp"):
        Demand.from_appointments(bad)


def test_missing_columns_and_dates(small):
    """Missing columns and missing dates say what is wrong and what to do."""
    with pytest.raises(DataError, match=r"missing column.*status"):
        Demand.from_appointments(small.drop(columns="status"))
    bad = small.copy()
    bad.loc[0, "start"] = pd.NaT
    with pytest.raises(DataError, match="1 missing or unreadable date"):
        Demand.from_appointments(bad)
    with pytest.raises(DataError, match="must contain every appointment"):
        Demand.from_appointments(small, window=("2025-01-07", "2025-01-19"))


def test_pairs_outside_the_matrix_warn_and_use_standard_minutes(small):
    """A role doing a task the matrix does not list is warned about, at standard minutes."""
    import clearlib.workforce as wf

    comp = wf.task_competency()
    comp = comp[~((comp.task == "minor_acute") & (comp.role == "practice_nurse"))]
    with pytest.warns(UserWarning, match="minor_acute by practice_nurse"):
        d = Demand.from_appointments(small, window=WEEK, competency=comp)
    assert d.per_week("role")["practice_nurse"] == pytest.approx(10 / 60 / 2)


def test_assign_tasks_role_overrides():
    """Role overrides win over a category's default task."""
    df = pd.DataFrame(
        {
            "national_category": ["general_acute", "general_acute", "medication_review"],
            "role": ["gp", "mental_health_practitioner", "pharmacy_technician"],
        }
    )
    assert assign_tasks(df).tolist() == [
        "minor_acute",
        "mental_health_review",
        "medicines_optimisation",
    ]


def test_default_pcn_every_observed_pair_is_in_the_matrix(default_pcn):
    """The default PCN's appointments make demand without any role outside the matrix."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = Demand.from_appointments(default_pcn.appointments)
    booked = default_pcn.appointments["status"].isin(["attended", "dna"]).sum()
    assert d.table["units"].sum() == booked
    assert len(d.calendar) == 105  # 1 Apr 2024 (Monday) to 31 Mar 2026
