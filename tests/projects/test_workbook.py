"""The project workbook: its parameters are the documented API, a run publishes only aggregates
under the disclosure policy, and a broken extract stops the run with its validation report.

The workbook is executed once on the default synthetic PCN (about a minute on a busy machine)
and the run folder is shared by these tests and tests/dashboard/test_model.py (same session).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
from plotly import graph_objects as go

from clearlib import ValidationError
from clearlib._config import REPO_DIR
from clearlib.dashboard import check_run
from clearlib.projects import (
    RunOutputs,
    recommendations,
    risk_route_rules,
    scenario_figures,
    with_controls,
)
from clearlib.workforce import load_scenario

_spec = importlib.util.spec_from_file_location("tiny_dataset", REPO_DIR / "tests/data/_tiny.py")
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)
tiny_tables, write_tables = _tiny.tiny_tables, _tiny.write_tables

TEMPLATE = REPO_DIR / "templates" / "project" / "anticipatory-care-workforce.ipynb"
README = REPO_DIR / "templates" / "README.md"


def execute(folder: Path, **parameters: object) -> Path:
    """Run the workbook into ``folder`` (its notebook.ipynb and outputs) with papermill."""
    folder.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(TEMPLATE),
        str(folder / "notebook.ipynb"),
        parameters={"output_dir": str(folder), **parameters},
        cwd=str(folder),
        kernel_name="python3",
        progress_bar=False,
    )
    return folder


@pytest.fixture(scope="session")
def default_run(default_pcn, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbook run once on the default PCN (shared with the dashboard tests)."""
    folder = tmp_path_factory.getbasetemp() / "workbook-default-run"
    if not (folder / "summary.json").is_file():
        execute(folder)
    return folder


@pytest.fixture(scope="session")
def summary(default_run: Path) -> dict:
    """The default run's summary.json."""
    return json.loads((default_run / "summary.json").read_text(encoding="utf-8"))


def documented_parameters() -> list[tuple[str, str, object]]:
    """(name, type, default) of each row of the parameters table in templates/README.md."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Parameters") :]
    section = section[: section.index("\n## ")]
    rows = []
    for line in section.splitlines():
        m = re.match(r"^\| `(\w+)` \| (\w+) \| `(.*?)` \|", line)
        if m:
            rows.append((m.group(1), m.group(2), ast.literal_eval(m.group(3))))
    return rows


# ---------------------------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------------------------
def test_parameters_are_the_documented_ones() -> None:
    """inspect_notebook finds exactly the README's parameters, in order, types and defaults."""
    documented = documented_parameters()
    assert len(documented) == 10, "the README's parameters table could not be read"
    found = papermill.inspect_notebook(str(TEMPLATE))
    assert [n for n, _, _ in documented] == list(found)
    for name, kind, default in documented:
        assert found[name]["inferred_type_name"] == kind, name
        assert ast.literal_eval(found[name]["default"]) == default, name


def test_each_parameter_has_a_comment_line_saying_what_it_is() -> None:
    """In the parameters cell, every assignment follows a comment line."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell must be tagged parameters"
    lines = cells[0].source.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\w+\s*(:\s*\w+\s*)?=", line):
            assert i > 0 and lines[i - 1].startswith("# ") and len(lines[i - 1]) > 20, line


def test_workbook_reads_as_narrative_with_short_code_cells() -> None:
    """Nine numbered sections, prose before code, and no code cell longer than 40 lines."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    headings = [
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    assert [h.split(".")[0] for h in headings] == [f"## {k}" for k in range(1, 10)]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert max(len(c.source.splitlines()) for c in code) <= 40
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code)


# ---------------------------------------------------------------------------------------------
# A run on the default PCN
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_writes_the_documented_outputs(default_run: Path, summary: dict) -> None:
    """summary.json has the contract's keys; every table and figure it names exists."""
    assert summary["schema_version"] == 1
    assert {"code", "name", "list_size", "practices"} <= set(summary["pcn"])
    assert summary["pcn"]["code"] == "SYN-PCN01"
    assert {"start", "end", "index_date"} <= set(summary["period"])
    assert summary["policy"]["name"] == "hide-1-4" and summary["policy"]["description"]
    headline = {
        "cohort_size",
        "cohort_hours_per_year",
        "cohort_wte",
        "gap_hours_per_week",
        "gap_wte",
        "cost_today",
        "cost_proposed",
        "pcn_cost_proposed",
        "arrs_allocation",
        "arrs_headroom",
    }
    assert headline <= set(summary["headline"])
    assert all(set(step) == {"step", "remaining", "removed"} for step in summary["waterfall"])
    assert [s["name"] for s in summary["scenarios"]] == ["Proactive care", "Cheapest mix"]
    for s in summary["scenarios"]:
        assert {"name", "description", "file", "metrics", "definition"} <= set(s)
        assert "total_cost" in s["metrics"]
    names = {c["name"] for c in summary["controls"]}
    assert names == {"needs_assessment_minutes", "risk_top_share", "care_coordinator_wte"}
    for c in summary["controls"]:
        assert {"name", "label", "value", "min", "max", "step", "unit"} <= set(c)
        assert c["min"] <= c["value"] <= c["max"]
    assert summary["recommendations"] and all(
        isinstance(r, str) and r.endswith(".") for r in summary["recommendations"]
    )
    for rel in [*summary["tables"].values(), *summary["figures"].values()]:
        assert (default_run / rel).is_file(), rel
    assert (
        (default_run / "aggregates" / "demand_hours.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    )


@pytest.mark.slow
def test_headline_agrees_with_the_tables_it_summarises(summary: dict) -> None:
    """The cohort is the waterfall's last step; costs are the first scenario's metrics."""
    headline = summary["headline"]
    assert headline["cohort_size"] == summary["waterfall"][-1]["remaining"] > 0
    first = summary["scenarios"][0]["metrics"]
    assert headline["cost_proposed"] == pytest.approx(first["total_cost"], abs=0.01)
    assert headline["pcn_cost_proposed"] == pytest.approx(first["pcn_cost"], abs=0.01)
    assert headline["arrs_allocation"] == pytest.approx(first["arrs_budget"], abs=0.01)
    assert f"{headline['cohort_size']:,}" in summary["recommendations"][0]


@pytest.mark.slow
def test_run_publishes_only_aggregates(default_run: Path, summary: dict) -> None:
    """No identifier column or value, no timestamp; the dashboard's publish gate passes."""
    for path in (default_run / "aggregates").glob("*.csv"):
        table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
        assert not {"patient_id", "staff_id", "appointment_id"} & set(table.columns), path.name
        assert not table.apply(lambda s: s.str.match(r"SYN-[PSA]\d", na=False)).any().any()
    text = (default_run / "summary.json").read_text(encoding="utf-8")
    assert not re.search(r"\d{2}:\d{2}", text), "summary.json must hold no times"
    assert not re.search(r"SYN-[PSA]\d", text)
    check = check_run(default_run)
    assert check.ok, check.summary()


@pytest.mark.slow
def test_executed_notebook_prints_its_numbers_from_the_data(
    default_run: Path, summary: dict
) -> None:
    """The executed notebook states the cohort size the summary publishes, and has no error."""
    nb = nbformat.read(default_run / "notebook.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert f"{summary['headline']['cohort_size']:,} people in the cohort" in text


# ---------------------------------------------------------------------------------------------
# A broken extract
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_broken_extract_stops_the_run_with_its_validation_report(tmp_path: Path) -> None:
    """A patients table without its sex column: ValidationError, and the report in validation/."""
    tables = tiny_tables()
    tables["patients"] = tables["patients"].drop(columns="sex")
    extract = write_tables(tables, tmp_path / "extract")
    run = tmp_path / "run"
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        execute(run, data_source=str(extract))
    assert caught.value.ename == "ValidationError"
    assert "NOT VALID" in caught.value.evalue
    report = (run / "validation" / "summary.txt").read_text(encoding="utf-8")
    assert "sex" in report
    problems = pd.read_csv(run / "validation" / "problems.csv")
    assert (problems["severity"] == "error").any()
    assert not (run / "summary.json").exists()


# ---------------------------------------------------------------------------------------------
# The output writers
# ---------------------------------------------------------------------------------------------
def test_tables_pass_the_policy_and_open_in_excel(tmp_path: Path) -> None:
    """Under the NHS policy counts of 1-7 are hidden and the rest rounded to 5; UTF-8 with BOM."""
    out = RunOutputs(tmp_path, policy="nhs-hide-1-7-round-5")
    frame = pd.DataFrame({"practice": ["A", "B", "C", "D"], "people": [123, 6, 41, 58]})
    published = out.table("people", frame, counts=["people"])
    assert published["people"].isna().tolist() == [False, True, True, False]
    assert published["people"].dropna().tolist() == [125, 60]
    raw = (tmp_path / "aggregates" / "people.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    assert out.count(7) is None and out.count(1832) == 1830


def test_a_table_that_would_fail_the_gate_is_refused(tmp_path: Path) -> None:
    """Patient identifiers, or small counts not declared as counts, never reach aggregates/."""
    out = RunOutputs(tmp_path)
    with pytest.raises(Exception, match="patient_id"):
        out.table("people", pd.DataFrame({"patient_id": ["SYN-P001000001"], "age": [80]}))
    with pytest.raises(Exception, match="BLOCKED"):
        out.table("small", pd.DataFrame({"practice": ["A", "B"], "people": [3, 40]}))
    assert not list((tmp_path / "aggregates").iterdir())


def test_waterfall_hides_what_subtraction_would_reveal(tmp_path: Path) -> None:
    """A hidden exclusion hides a second one and the remaining counts between them."""
    waterfall = pd.DataFrame(
        {
            "rule": ["population", "meets no include rule", "care home", "end of life", "cohort"],
            "removed": [0, 900, 3, 40, 0],
            "remaining": [1000, 100, 97, 57, 57],
        }
    )
    rows = RunOutputs(tmp_path).waterfall(waterfall)
    assert [(r["removed"], r["remaining"]) for r in rows] == [
        (0, 1000),
        (900, 100),
        (None, None),
        (None, 57),
        (0, 57),
    ]


def test_same_outputs_give_the_same_bytes(tmp_path: Path) -> None:
    """Writing the same tables, figure and summary twice gives byte-identical files."""

    def write(folder: Path) -> dict[str, bytes]:
        out = RunOutputs(folder)
        out.table("t", pd.DataFrame({"role": ["gp", "hca"], "hours_per_week": [1 / 3, 2.5]}))
        out.figure("f", go.Figure(go.Bar(x=["gp", "hca"], y=[1.5, 2.25])))
        out.summary({"pcn": {"code": "X"}, "headline": {"cost_today": 1234.5678}})
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.*")}

    first, second = write(tmp_path / "a"), write(tmp_path / "b")
    assert first == second
    summary = json.loads(first["summary.json"])
    assert summary["headline"]["cost_today"] == 1234.57
    assert list(summary)[:2] == ["schema_version", "pcn"]


def test_risk_route_follows_the_share() -> None:
    """The risk rule's flag and name follow risk_top_share; 0 drops the risk route."""
    rules = risk_route_rules(None, 0.1)
    assert rules[1].condition == "risk_top10 and ltc_count >= 2"
    assert rules[1].name.startswith("top 10% risk")
    assert [r.action for r in risk_route_rules(None, 0)] == ["include", "exclude", "exclude"]


@pytest.mark.slow
def test_controls_change_the_scenario_as_documented(default_pcn) -> None:
    """Cohort size, minutes and care coordinators reach the scenario; more minutes, more gap."""
    from clearlib.workforce import Baseline

    base = Baseline.from_pcn(default_pcn)
    plain = with_controls(load_scenario("proactive_care"), cohort_size=1000)
    longer = with_controls(plain, needs_assessment_minutes=90, care_coordinator_wte=0)
    assert plain.changes[0]["cohort_size"] == 1000.0 and "cohort_share" not in plain.changes[0]
    assert dict(longer.assumptions.minutes) == {"needs_assessment": 90.0}
    assert not [c for c in longer.changes if c.get("role") == "care_coordinator"]
    a, b = scenario_figures(base, plain), scenario_figures(base, longer)
    assert b["demand_hours_per_week"] > a["demand_hours_per_week"]
    assert b["gap_hours_per_week"] > a["gap_hours_per_week"]
    assert b["cost_proposed"] < a["cost_proposed"]  # 1.5 WTE fewer care coordinators
    assert a["cost_today"] == b["cost_today"]


def test_recommendations_follow_the_figures() -> None:
    """No shortfall and unclaimed ARRS give different advice from a shortfall and none left."""
    headline = {
        "scenario": "Plan B",
        "cohort_size": 500,
        "list_size": 10000,
        "cohort_hours_per_year": 1875.0,
        "cohort_wte": 1.6,
        "gap_hours_per_week": 0.0,
        "gap_wte": 0.0,
        "gap_by_role": {},
        "cost_today": 1e6,
        "cost_proposed": 1.1e6,
        "pcn_cost_today": 8e5,
        "pcn_cost_proposed": 8.2e5,
        "arrs_allocation": 2.6e5,
        "arrs_headroom": 4e4,
    }
    text = " ".join(recommendations(headline))
    assert "about 500 people (50 per 1,000" in text
    assert "every role has the clinical hours" in text
    assert "£100,000 a year more" in text and "£40,000 of the ARRS allocation is unclaimed" in text
    with_gap = {**headline, "gap_hours_per_week": 12.4, "gap_wte": 0.6, "gap_by_role": {"gp": 12.4}}
    assert "12 clinical hours a week short (0.6 WTE), mostly gp" in " ".join(
        recommendations(with_gap)
    )
    hidden = recommendations({**headline, "cohort_size": None})
    assert "too small to publish" in hidden[0]


def test_validation_error_is_raised_before_loading(tmp_path: Path) -> None:
    """open_extract on a folder that breaks the dictionary raises ValidationError in-process."""
    from clearlib.projects import open_extract

    tables = tiny_tables()
    tables["practices"] = tables["practices"].assign(imd_decile="11")
    extract = write_tables(tables, tmp_path / "extract")
    with pytest.raises(ValidationError, match="imd_decile"):
        open_extract(extract, tmp_path / "run")
    assert (tmp_path / "run" / "validation" / "problems.csv").is_file()


@pytest.mark.slow
def test_select_pcn_keeps_one_pcn_of_a_dataset(tiny_spec_path: Path) -> None:
    """Of two PCNs, only the chosen one's practices, patients, records and staff are kept."""
    from clearlib import ConfigError, load_pcn
    from clearlib.projects import run_dates, select_pcn

    data = load_pcn(tiny_spec_path)
    one = select_pcn(data, "SYN-PCN02")
    assert one.practices["practice_code"].astype(str).tolist() == ["SYN-G003"]
    assert set(one.patients["practice_code"].astype(str)) == {"SYN-G003"}
    assert set(one.appointments["practice_code"].astype(str)) == {"SYN-G003"}
    assert set(one.staff["pcn_code"].astype(str)) == {"SYN-PCN02"}
    assert set(one.conditions["patient_id"]) <= set(one.patients["patient_id"])
    assert select_pcn(data, "").practices["pcn_code"].astype(str).unique().tolist() == ["SYN-PCN01"]
    with pytest.raises(ConfigError, match="SYN-PCN01, SYN-PCN02"):
        select_pcn(data, "SYN-PCN99")
    with pytest.raises(ConfigError, match="out of order"):
        run_dates(one, period_start="2030-01-01")
