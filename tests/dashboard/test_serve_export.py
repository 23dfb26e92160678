"""Serving folder, Voilà command line, static export and the CLI's refusals (no browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

from typer.testing import CliRunner

from clearlib._cli import app
from clearlib.dashboard import cards, export_html, format_figure, prepare_serving_folder
from clearlib.dashboard._export import precompute
from clearlib.dashboard._serve import voila_command

runner = CliRunner()


class _CohortModel:
    """A two-scenario model with the SponsorModel interface: hours scale with the choices."""

    scenario_names: ClassVar[list[str]] = ["proactive_care", "cheapest_mix"]
    controls: ClassVar[list[dict[str, Any]]] = [
        {"name": "minutes", "label": "Minutes per assessment", "value": 60, "min": 30,
         "max": 90, "step": 15, "unit": "minutes"},
        {"name": "reviews", "label": "Reviews a year", "value": 2, "min": 1, "max": 4,
         "step": 1, "unit": "reviews"},
    ]  # fmt: skip

    def grid(self, scenario: str, *, points: int = 5) -> list[dict[str, Any]]:
        """The run's values, then each control over its steps with the others at default."""
        defaults = {c["name"]: c["value"] for c in self.controls}
        rows = [self.compute(scenario, **defaults)]
        for c in self.controls:
            for v in range(c["min"], c["max"] + 1, c["step"]):
                if v != c["value"]:
                    rows.append(self.compute(scenario, **{**defaults, c["name"]: v}))
        return rows

    def compute(self, scenario: str, **values: Any) -> dict[str, Any]:
        hours = 280 * values["minutes"] / 60 * values["reviews"]
        base = 330_000.0 if scenario == "cheapest_mix" else 345_000.0
        return {
            "controls": dict(values),
            "cohort_hours_per_year": hours,
            "cohort_wte": hours / 1_500,
            "cost_today": 315_000.0,
            "cost_proposed": base + 10 * hours,
            "arrs_allocation": 60_000.0,
        }


def _break(run: Path) -> None:
    (run / "aggregates" / "by_practice.csv").write_text(
        "practice_code,patients\nSYN-G001,40\nSYN-G002,3\n", encoding="utf-8"
    )


def test_serving_folder_holds_only_public_outputs(fixture_run: Path, tmp_path: Path) -> None:
    """The executed notebook, manifest, PNGs and anything else in the run are not copied."""
    (fixture_run / "notebook.ipynb").write_text("{}", encoding="utf-8")
    (fixture_run / "manifest.json").write_text("{}", encoding="utf-8")
    (fixture_run / "figures" / "team.png").write_bytes(b"\x89PNG")
    (fixture_run / "validation").mkdir()
    (fixture_run / "validation" / "problems.csv").write_text("patient_id\nSYN-P000001\n")
    (fixture_run / "cohort.parquet").write_bytes(b"PAR1")
    folder = prepare_serving_folder(fixture_run, tmp_path / "serve")
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [
        "run/aggregates/team.csv",
        "run/aggregates/waterfall.csv",
        "run/aggregates/weekly_demand.csv",
        "run/figures/demand_capacity.json",
        "run/figures/team.json",
        "run/figures/waterfall.json",
        "run/figures/weekly_demand_spc.json",
        "run/summary.json",
        "sponsor.ipynb",
    ]


def test_voila_command_locks_the_server_down(tmp_path: Path) -> None:
    """Voilà is told: localhost, no sources, no tracebacks, timeouts, culling, no files."""
    cmd = voila_command(tmp_path, port=9123, preheat=True, cull_idle_timeout=30)
    assert cmd[1:3] == ["-m", "voila"]
    for flag in (
        "--port=9123",
        "--Voila.ip=127.0.0.1",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--VoilaExecutor.timeout=60",
        "--MappingKernelManager.cull_idle_timeout=30",
        "--VoilaConfiguration.file_allowlist=[]",
        "--VoilaConfiguration.file_denylist=['.*']",
        "--preheat_kernel=True",
        "--token=",
        "--no-browser",
    ):
        assert flag in cmd, flag
    assert "--preheat_kernel=True" not in voila_command(tmp_path, preheat=False)


def test_format_figure_units() -> None:
    """Counts, WTE, hours and money are formatted as the cards show them."""
    assert format_figure("cohort_size", 12345) == "12,345"
    assert format_figure("gap_wte", 1.26) == "1.3 WTE"
    assert format_figure("cohort_hours_per_year", 1119.6) == "1,120 hours"
    assert format_figure("arrs_allocation", 59999.5) == "£60,000"
    assert format_figure("cost_proposed", float("nan")) == "not shown"
    notes = {c.key: c.note for c in cards({"cost_today": 10.0, "cost_proposed": 10.0})}
    assert notes["cost_proposed"] == "the same as today"


def test_precomputed_grid_matches_the_model() -> None:
    """Every precomputed choice holds the cards the model gives for it."""
    model = _CohortModel()
    grid = precompute(model)
    assert grid["scenarios"] == ["proactive_care", "cheapest_mix"]
    assert [c["values"] for c in grid["controls"]] == [[30, 45, 60, 75, 90], [1, 2, 3, 4]]
    assert [c["default"] for c in grid["controls"]] == [2, 1]
    assert len(grid["points"]) == 2 * (1 + 4 + 3)  # one control moves at a time
    assert "cheapest_mix|4|3" not in grid["points"]
    point = grid["points"]["cheapest_mix|4|1"]  # 90 minutes, 2 reviews
    expected = model.compute("cheapest_mix", minutes=90, reviews=2)
    keys = [k for k, _ in grid["cards"]]
    assert keys == ["cohort_hours_per_year", "cohort_wte", "cost_today", "cost_proposed",
                    "arrs_allocation"]  # fmt: skip
    assert point["v"] == [format_figure(k, expected[k]) for k in keys]
    assert point["c"][1] == expected["cost_proposed"]
    assert point["n"] == {"3": cards(expected)[3].note}


def test_export_is_one_offline_file(fixture_run: Path, tmp_path: Path) -> None:
    """The export inlines plotly.js once, loads nothing from the network, and is under 5 MB."""
    out = export_html(fixture_run, tmp_path / "sponsor.html", model=_CohortModel())
    page = out.read_text(encoding="utf-8")
    assert out.stat().st_size < 5_000_000
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1  # plotly.js inlined once
    assert len(re.findall(r"<script[^>]*\bsrc=", page)) == 0
    assert not re.search(r"<link[^>]+href=\"https?:", page)
    assert "Figures precomputed for these choices" in page
    assert page.count('class="clear-figure"') == 4
    grid = json.loads(re.search(r'id="clear-grid">(.*?)</script>', page, re.S).group(1))
    assert len(grid["points"]) == 16
    headline = json.loads((fixture_run / "summary.json").read_text())["headline"]
    assert format_figure("cost_proposed", headline["cost_proposed"]) in page


def test_cli_check_names_cells_not_values(fixture_run: Path) -> None:
    """clearlib dashboard check on a failing run exits 1 naming file, column and rows."""
    result = runner.invoke(app, ["dashboard", "check", str(fixture_run)])
    assert result.exit_code == 0, result.output
    assert "PUBLISHABLE" in result.output
    _break(fixture_run)
    result = runner.invoke(app, ["dashboard", "check", str(fixture_run)])
    assert result.exit_code == 1
    assert "aggregates/by_practice.csv, column patients (rows 2)" in result.output
    assert ",3" not in result.output and "SYN-G002" not in result.output


def test_cli_export_and_serve_refuse_a_failing_run(fixture_run: Path, tmp_path: Path) -> None:
    """A run that fails the gate is not exported (no file) and not served (exit 1 at once)."""
    _break(fixture_run)
    out = tmp_path / "sponsor.html"
    result = runner.invoke(app, ["dashboard", "export", str(fixture_run), "--out", str(out)])
    assert result.exit_code == 1
    assert "DataError" in result.output and "by_practice.csv" in result.output
    assert not out.exists()
    result = runner.invoke(
        app, ["dashboard", "serve", str(fixture_run), "--no-browser", "--port", "1"]
    )
    assert result.exit_code == 1
    assert "DataError" in result.output and "column patients (rows 2)" in result.output


def test_cli_reports_a_missing_run(tmp_path: Path) -> None:
    """A path that is not a run gives one line, DataError, and exit status 1."""
    result = runner.invoke(app, ["dashboard", "export", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "DataError: No run folder" in result.output


def test_cards_show_the_headline_keys_in_order() -> None:
    """Cards follow the dashboard's order and leave out working figures and non-numbers."""
    values = {"arrs_claimed": 1.0, "gap_wte": 2.0, "scenario": "x", "cohort_size": 300}
    assert [c.key for c in cards(values)] == ["cohort_size", "gap_wte"]
    assert [c.key for c in cards(values, keys=["arrs_claimed"])] == ["arrs_claimed"]
