"""The publish gate over a whole run: tables, figure traces and summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from clearlib import DataError
from clearlib.dashboard import check_run


def _problems(run: Path) -> list[tuple[str, str, str]]:
    report = check_run(run)
    return [(p.where, p.check, p.cells) for p in report.problems.itertuples()]


def _write_figure(run: Path, name: str, fig: go.Figure) -> None:
    (run / "figures" / f"{name}.json").write_text(fig.to_json(), encoding="utf-8")


def test_fixture_run_passes(fixture_run: Path) -> None:
    """The hand-made fixture run passes: WTE, hours and money columns are not counts."""
    report = check_run(fixture_run)
    assert report.ok, report.summary()
    assert report.policy.name == "hide-1-4"
    assert "summary.json" in report.checked
    assert "aggregates/team.csv" in report.checked
    assert "figures/waterfall.json" in report.checked
    assert report.summary().startswith("PUBLISHABLE")


def test_small_count_in_a_table_is_named_with_its_cells(fixture_run: Path) -> None:
    """A count of 3 in an aggregate table is reported by file, column and row, not value."""
    pd.DataFrame({"practice_code": ["SYN-G001", "SYN-G002"], "patients": [40, 3]}).to_csv(
        fixture_run / "aggregates" / "by_practice.csv", index=False
    )
    assert _problems(fixture_run) == [
        ("aggregates/by_practice.csv, column patients", "small_count", "rows 2")
    ]
    with pytest.raises(DataError, match=r"by_practice\.csv, column patients \(rows 2\)"):
        check_run(fixture_run).raise_if_blocked()


def test_small_count_in_a_figure_trace(fixture_run: Path) -> None:
    """A bar of 2 people in a figure is found, even in plotly's base64 arrays."""
    fig = go.Figure(go.Bar(x=["A", "B", "C"], y=np.array([12, 2, 30]), name="Admissions"))
    fig.update_layout(yaxis_title="People")
    _write_figure(fixture_run, "admissions", fig)
    assert '"bdata"' in (fixture_run / "figures" / "admissions.json").read_text()
    assert _problems(fixture_run) == [
        ("figures/admissions.json, trace 1 (Admissions), y values", "small_count", "points 2")
    ]


def test_small_negative_step_in_a_waterfall_and_its_label(fixture_run: Path) -> None:
    """A waterfall step removing 3 people is a small count, in its value and in its label."""
    fig = go.Figure(
        go.Waterfall(
            x=["list", "rule", "cohort"],
            y=[100, -3, 97],
            measure=["absolute", "relative", "total"],
            text=["100", "-3", "97"],
        )
    )
    fig.update_layout(yaxis_title="People")
    _write_figure(fixture_run, "waterfall", fig)
    problems = _problems(fixture_run)
    assert ("figures/waterfall.json, trace 1, y values", "small_count", "points 2") in problems
    assert ("figures/waterfall.json, trace 1, labels", "small_count", "points 2") in problems


def test_figure_numbers_that_are_not_counts_pass(fixture_run: Path) -> None:
    """Hours, WTE and week numbers in a figure are not counts, whatever their size."""
    fig = go.Figure(go.Bar(x=[1, 2, 3, 4], y=[2.0, 3.0, 1.0, 4.0], name="Hours"))
    fig.update_layout(xaxis_title="Week", yaxis_title="Clinical hours a week")
    _write_figure(fixture_run, "hours", fig)
    team = go.Figure(go.Bar(y=["GP", "Nurse"], x=[2.0, 1.0], orientation="h"))
    team.update_layout(xaxis_title="Whole-time equivalents")
    _write_figure(fixture_run, "team2", team)
    assert check_run(fixture_run).ok


def test_patient_identifiers_in_a_figure_are_refused(fixture_run: Path) -> None:
    """Patient ids in a trace's hover labels are refused; the report does not repeat them."""
    fig = go.Figure(
        go.Scatter(x=[1, 2], y=[50.0, 60.0], hovertext=["SYN-P0012345", "SYN-P0067890"])
    )
    fig.update_layout(yaxis_title="Risk score")
    _write_figure(fixture_run, "risk", fig)
    report = check_run(fixture_run)
    assert [(p.where, p.check) for p in report.problems.itertuples()] == [
        ("figures/risk.json, trace 1, hover labels", "identifier")
    ]
    assert "SYN-P0012345" not in report.summary()


def test_patient_identifier_column_is_refused(fixture_run: Path) -> None:
    """A table with a patient_id column is refused as holding identifiers (every row)."""
    pd.DataFrame({"patient_id": ["SYN-P000001", "SYN-P000002"], "visits": [10, 12]}).to_csv(
        fixture_run / "aggregates" / "leak.csv", index=False
    )
    assert _problems(fixture_run) == [
        ("aggregates/leak.csv, column patient_id", "identifier", "every row")
    ]


def test_free_text_is_refused(fixture_run: Path) -> None:
    """A column of notes copied from records is refused as free text."""
    notes = "Patient seen at home today with worsening breathlessness and swollen ankles"
    pd.DataFrame({"practice_code": ["SYN-G001"], "notes": [notes], "n": [25]}).to_csv(
        fixture_run / "aggregates" / "notes.csv", index=False
    )
    assert _problems(fixture_run) == [
        ("aggregates/notes.csv, column notes", "free_text", "every row")
    ]


def test_small_counts_in_summary_json(edit_summary) -> None:
    """Counts named by their keys in summary.json (cohort_size, removed) are checked."""

    def change(summary: dict) -> None:
        summary["headline"]["cohort_size"] = 4
        summary["waterfall"][2]["removed"] = 2
        summary["headline"]["gap_wte"] = 2.0  # WTE: not a count

    run = edit_summary(change)
    assert _problems(run) == [
        ("summary.json, headline.cohort_size", "small_count", ""),
        ("summary.json, waterfall[2].removed", "small_count", ""),
    ]


def test_identifiers_and_small_numbers_in_summary_sentences(edit_summary) -> None:
    """A recommendation naming a patient, or saying '3 patients', is refused."""

    def change(summary: dict) -> None:
        summary["recommendations"] = [
            "Review SYN-P0001234 first.",
            "Only 3 frail patients live alone.",
            "Proactive care reaches 280 people.",
        ]

    run = edit_summary(change)
    assert _problems(run) == [
        ("summary.json, recommendations[0]", "identifier", ""),
        ("summary.json, recommendations[1]", "small_count", ""),
    ]


def test_policy_threshold_comes_from_the_run(edit_summary) -> None:
    """Under nhs-hide-1-7-round-5 a cohort of 6 is hidden; under hide-1-4 it is shown."""
    run = edit_summary(lambda s: s["headline"].update(cohort_size=6))
    assert check_run(run).ok
    run = edit_summary(lambda s: s["policy"].update(name="nhs-hide-1-7-round-5"))
    report = check_run(run)
    assert report.policy.threshold == 7
    assert ("summary.json, headline.cohort_size", "small_count", "") in _problems(run)


def test_unknown_policy_and_missing_run_raise(tmp_path: Path, edit_summary) -> None:
    """A folder that is not a finished run, or names an unknown policy, raises DataError."""
    with pytest.raises(DataError, match="No run folder"):
        check_run(tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "manifest.json").write_text(json.dumps({"status": "failed"}))
    with pytest.raises(DataError, match="The run failed"):
        check_run(tmp_path / "half")
    run = edit_summary(lambda s: s["policy"].update(name="hide-everything"))
    with pytest.raises(DataError, match="disclosure policy 'hide-everything'"):
        check_run(run)


def test_a_figure_named_in_summary_but_missing_is_a_problem(edit_summary) -> None:
    """summary.json naming a figure file that does not exist blocks the run."""
    run = edit_summary(lambda s: s["figures"].update(extra="figures/extra.json"))
    assert _problems(run) == [("summary.json, figures.extra", "unreadable", "")]
