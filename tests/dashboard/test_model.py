"""The sponsor model: a run's figures recomputed from its aggregates for the sponsor's choices.

Uses a real run of the project workbook on the default PCN, executed once per session (shared
with tests/projects/test_workbook.py when both run in one session).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import papermill
import pytest

from clearlib import ConfigError, DataError
from clearlib._config import REPO_DIR
from clearlib.dashboard import SponsorModel
from clearlib.projects import cohort_needs
from clearlib.workforce import (
    Assumptions,
    Baseline,
    Demand,
    compare,
    evaluate,
    load_scenario,
    task_competency,
)

pytestmark = pytest.mark.slow  # one execution of the workbook on the default PCN

TEMPLATE = REPO_DIR / "templates" / "project" / "anticipatory-care-workforce.ipynb"
HEADLINE = (
    "cohort_size",
    "cohort_hours_per_year",
    "cohort_wte",
    "gap_hours_per_week",
    "gap_wte",
    "cost_today",
    "cost_proposed",
    "pcn_cost_proposed",
    "arrs_allocation",
    "arrs_claimed",
    "arrs_headroom",
)


@pytest.fixture(scope="session")
def default_run(default_pcn, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbook run once on the default PCN (the same folder the workbook tests use)."""
    folder = tmp_path_factory.getbasetemp() / "workbook-default-run"
    if not (folder / "summary.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        papermill.execute_notebook(
            str(TEMPLATE),
            str(folder / "notebook.ipynb"),
            parameters={"output_dir": str(folder)},
            cwd=str(folder),
            kernel_name="python3",
            progress_bar=False,
        )
    return folder


@pytest.fixture(scope="session")
def model(default_run: Path) -> SponsorModel:
    """The sponsor model of the default run."""
    return SponsorModel.from_run(default_run)


@pytest.fixture(scope="session")
def summary(default_run: Path) -> dict:
    """The default run's summary.json."""
    return json.loads((default_run / "summary.json").read_text(encoding="utf-8"))


def test_model_reads_scenarios_and_controls(model: SponsorModel, summary: dict) -> None:
    """Scenario names and controls come from summary.json, with defaults from their values."""
    assert model.scenario_names == [s["name"] for s in summary["scenarios"]]
    assert model.controls == summary["controls"]
    assert model.defaults() == {c["name"]: c["value"] for c in summary["controls"]}
    assert model.baseline.list_size == summary["pcn"]["list_size"]


def test_compute_at_defaults_gives_back_the_headline(model: SponsorModel, summary: dict) -> None:
    """The first scenario at the controls' defaults reproduces summary.json's headline."""
    headline = summary["headline"]
    result = model.compute(headline["scenario"])
    for key in HEADLINE:
        assert result[key] == pytest.approx(headline[key], abs=0.011), key
    assert result["staffing_proposed"] == pytest.approx(headline["staffing_proposed"], abs=0.011)
    assert result["staffing_today"] == pytest.approx(headline["staffing_today"], abs=0.011)


def test_every_scenario_matches_its_published_metrics(model: SponsorModel, summary: dict) -> None:
    """Each scenario's cost and WTE at defaults equal workforce.compare's in the run."""
    for item in summary["scenarios"]:
        result = model.compute(item["name"])
        assert result["cost_proposed"] == pytest.approx(item["metrics"]["total_cost"], abs=0.011)
        assert result["wte_proposed"] == pytest.approx(item["metrics"]["wte"], abs=0.011)
        assert result["pcn_cost_proposed"] == pytest.approx(item["metrics"]["pcn_cost"], abs=0.011)


def test_more_minutes_per_assessment_means_more_hours(model: SponsorModel) -> None:
    """Longer needs assessments: more cohort hours and WTE, more demand, no smaller gap."""
    name = model.scenario_names[0]
    short, long = (
        model.compute(name, needs_assessment_minutes=45),
        model.compute(name, needs_assessment_minutes=90),
    )
    assert long["cohort_hours_per_year"] > short["cohort_hours_per_year"]
    assert long["cohort_wte"] > short["cohort_wte"]
    assert long["demand_hours_per_week"] > short["demand_hours_per_week"]
    assert long["gap_hours_per_week"] >= short["gap_hours_per_week"]
    assert long["cost_proposed"] == short["cost_proposed"]  # the same team


def test_a_larger_risk_share_means_a_larger_cohort(model: SponsorModel) -> None:
    """Taking a larger top share of risk grows the cohort, its hours and the gap."""
    name = model.scenario_names[0]
    none, wide = model.compute(name, risk_top_share=0.0), model.compute(name, risk_top_share=0.2)
    assert 0 < none["cohort_size"] < wide["cohort_size"]
    assert none["cohort_hours_per_year"] < wide["cohort_hours_per_year"]
    assert none["gap_hours_per_week"] < wide["gap_hours_per_week"]


def test_more_care_coordinators_cost_more_and_close_the_gap(model: SponsorModel) -> None:
    """Recruiting care coordinators raises cost and WTE and lowers the shortfall."""
    name = model.scenario_names[0]
    few, many = (
        model.compute(name, care_coordinator_wte=0.0),
        model.compute(name, care_coordinator_wte=4.0),
    )
    assert many["cost_proposed"] > few["cost_proposed"]
    assert many["staffing_proposed"]["care_coordinator"] == pytest.approx(
        few["staffing_proposed"].get("care_coordinator", 0.0) + 4.0
    )
    assert many["gap_hours_per_week"] < few["gap_hours_per_week"]


def test_values_match_an_independent_computation(
    model: SponsorModel, summary: dict, default_pcn
) -> None:
    """75-minute assessments: the model agrees with workforce.evaluate on the raw appointments."""
    period = summary["period"]
    appts = default_pcn.appointments
    year = appts[appts["start"] >= pd.Timestamp(period["year_start"])]
    demand = Demand.from_appointments(year, window=(period["year_start"], period["end"]))
    base = Baseline(demand, default_pcn.staff, float(default_pcn.practices["list_size"].sum()))
    size = summary["headline"]["cohort_size"]
    scenario = load_scenario("proactive_care")
    changes = [dict(c) for c in scenario.changes]
    changes[0].pop("cohort_share")
    changes[0]["cohort_size"] = size
    from dataclasses import replace

    scenario = replace(
        scenario, changes=tuple(changes), assumptions=Assumptions(minutes={"needs_assessment": 75})
    )
    expected = evaluate(base, scenario)
    got = model.compute("Proactive care", needs_assessment_minutes=75)
    assert got["cost_proposed"] == pytest.approx(expected["total_cost"], rel=1e-9)
    assert got["demand_hours_per_week"] == pytest.approx(
        expected["demand_hours_per_week"], rel=1e-9
    )
    assert got["capacity_hours_per_week"] == pytest.approx(
        expected["capacity_hours_per_week"], rel=1e-9
    )
    assert got["gap_hours_per_week"] == pytest.approx(
        expected["shortfall_hours_per_week"], rel=1e-9
    )
    assert got["cohort_hours_per_year"] == cohort_needs(size, 75)["hours_per_year"]
    # 60 + 45 + 4 x 15 + 3 x 20 minutes a person at 60; 15 more with 75-minute assessments
    assert got["cohort_hours_per_year"] == pytest.approx(size * (225 + 15) / 60)
    asis = compare(base, [])["As-is"]
    assert got["cost_today"] == pytest.approx(asis["total_cost"], rel=1e-9)


def test_grid_varies_one_control_at_a_time(model: SponsorModel) -> None:
    """Defaults first, then each control alone over a few values: fewer than 60 rows."""
    rows = model.grid(model.scenario_names[0])
    assert 1 < len(rows) < 60
    defaults = model.defaults()
    assert rows[0]["controls"] == defaults
    for row in rows[1:]:
        moved = [k for k, v in row["controls"].items() if v != defaults[k]]
        assert len(moved) == 1
    shares = {row["controls"]["risk_top_share"] for row in rows}
    listed = next(c["values"] for c in model.controls if c["name"] == "risk_top_share")
    assert shares == set(listed)


def test_compute_is_deterministic_and_returns_copies(
    model: SponsorModel, default_run: Path
) -> None:
    """The same call gives the same figures, from this model or a new one; results are copies."""
    name = model.scenario_names[-1]
    first = model.compute(name, needs_assessment_minutes=75)
    first["staffing_proposed"]["gp"] = -1.0
    second = model.compute(name, needs_assessment_minutes=75)
    assert second["staffing_proposed"]["gp"] > 0
    again = SponsorModel.from_run(default_run).compute(name, needs_assessment_minutes=75)
    assert again["cost_proposed"] == second["cost_proposed"]
    assert again["gap_hours_per_week"] == second["gap_hours_per_week"]


def test_bad_choices_are_refused(model: SponsorModel) -> None:
    """Unknown scenarios or controls, and values outside a control's range, say what is allowed."""
    with pytest.raises(ConfigError, match="scenarios are"):
        model.compute("No such plan")
    with pytest.raises(ConfigError, match="controls are"):
        model.compute(model.scenario_names[0], minutes=60)
    with pytest.raises(ConfigError, match="from 30 to 90"):
        model.compute(model.scenario_names[0], needs_assessment_minutes=500)


def test_model_reads_only_the_run_s_public_files(default_run: Path, tmp_path: Path) -> None:
    """A copy holding only summary.json and aggregates/ is enough; no patient-level columns."""
    import shutil

    copy = tmp_path / "public"
    copy.mkdir()
    shutil.copy(default_run / "summary.json", copy / "summary.json")
    shutil.copytree(default_run / "aggregates", copy / "aggregates")
    model = SponsorModel.from_run(copy)
    assert model.compute(model.scenario_names[0])["cohort_size"] > 0
    for path in (copy / "aggregates").glob("*.csv"):
        columns = set(pd.read_csv(path, encoding="utf-8-sig", nrows=0).columns)
        assert not columns & {"patient_id", "staff_id", "appointment_id", "event_id"}, path.name
    # the demand table is hours by week, task and role: units are rebuilt from the reference
    hours = pd.read_csv(copy / "aggregates" / "demand_hours.csv", encoding="utf-8-sig")
    assert list(hours.columns) == ["week", "task", "role", "source", "hours"]
    assert set(hours["task"]) <= set(task_competency()["task"])


def test_a_folder_without_a_run_is_refused(tmp_path: Path) -> None:
    """No summary.json: a DataError that says which folder to give."""
    with pytest.raises(DataError, match=r"summary\.json"):
        SponsorModel.from_run(tmp_path)
