"""The served page's widgets, without a browser: cards, choices, problems in plain words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as w
import pytest

from clearlib.dashboard import RUN_ENV, cards, find_run, sponsor_dashboard
from clearlib.dashboard._widgets import _Dashboard


class _Model:
    """The SponsorModel interface over two invented scenarios; refuses more than 80 minutes."""

    scenario_names: ClassVar[list[str]] = ["proactive_care", "cheapest_mix"]
    controls: ClassVar[list[dict[str, Any]]] = [
        {"name": "minutes", "label": "Minutes", "value": 60, "min": 30, "max": 90, "step": 15,
         "unit": "minutes"},
        {"name": "share", "label": "Top share", "value": 0.05, "min": 0.0, "max": 0.2,
         "step": 0.05, "unit": "", "values": [0.0, 0.02, 0.05, 0.1]},
    ]  # fmt: skip

    def compute(self, scenario: str, **values: Any) -> dict[str, Any]:
        from clearlib import ConfigError

        if values["minutes"] > 80:
            raise ConfigError("Minutes above 80 are not modelled for this run.")
        extra = 15_000.0 if scenario == "proactive_care" else 0.0
        return {
            "cohort_size": 280,
            "cohort_wte": values["minutes"] / 100,
            "cost_today": 300_000.0,
            "cost_proposed": 300_000.0 + extra + 1000 * values["minutes"] * (1 + values["share"]),
            "staffing_today": {"gp": 2.0},
            "staffing_proposed": {"gp": 2.0, "paramedic": 1.0},
        }


def _html(widget: Any) -> str:
    """Every HTML widget's value in the page, in order."""
    out = []
    stack = [widget]
    while stack:
        current = stack.pop(0)
        if isinstance(current, w.HTML):
            out.append(current.value)
        stack[:0] = list(getattr(current, "children", ()))
    return "\n".join(out)


def _page(run: Path) -> _Dashboard:
    page = sponsor_dashboard(run, model=_Model())
    assert isinstance(page, w.VBox)
    return page


def test_page_shows_the_headline_and_the_choices(fixture_run: Path) -> None:
    """The run's headline cards and the model's cards for the run's values are on the page."""
    html = _html(_page(fixture_run))
    headline = json.loads((fixture_run / "summary.json").read_text())["headline"]
    for card in cards(headline):
        assert f'data-key="{card.key}"' in html and card.text in html
    expected = cards(_Model().compute("proactive_care", minutes=60, share=0.05))
    assert all(c.text in html for c in expected)
    assert "hide-1-4" in html  # the policy in the footer


def test_moving_a_control_recomputes_and_a_refusal_is_a_sentence(fixture_run: Path) -> None:
    """A new value recomputes the choices; a value the model refuses shows its sentence."""
    board = _Dashboard(fixture_run, json.loads((fixture_run / "summary.json").read_text()),
                       __import__("clearlib").dashboard.check_run(fixture_run), _Model())  # fmt: skip
    board.sliders["share"].value = 0.1
    board.scenario.value = "cheapest_mix"
    expected = cards(_Model().compute("cheapest_mix", minutes=60, share=0.1))
    assert all(c.text in board.result.value for c in expected)
    assert list(board.sliders["share"].options) == [
        ("0", 0.0), ("0.02", 0.02), ("0.05", 0.05), ("0.1", 0.1)
    ]  # fmt: skip
    board.sliders["minutes"].value = 90
    assert board.result.value.count("Minutes above 80 are not modelled") == 1
    assert "Traceback" not in board.result.value
    board.reset.click()
    assert board.sliders["minutes"].value == 60 and board.sliders["share"].value == 0.05


def test_a_run_that_fails_the_gate_is_not_shown(fixture_run: Path) -> None:
    """A failing run's page lists where the problems are, and shows no figure or value."""
    (fixture_run / "aggregates" / "by_practice.csv").write_text(
        "practice_code,patients\nSYN-G001,40\nSYN-G002,3\n", encoding="utf-8"
    )
    html = _html(_page(fixture_run))
    assert "This run cannot be shown" in html
    assert "aggregates/by_practice.csv, column patients (rows 2)" in html
    assert 'class="clear-card"' not in html and "SYN-G002" not in html


def test_no_run_is_a_plain_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a run the page says how to open one; find_run reads $CLEAR_RUN."""
    monkeypatch.setenv(RUN_ENV, str(tmp_path / "missing"))
    html = _html(sponsor_dashboard())
    assert "No run to show" in html and "clearlib dashboard serve" in html
    monkeypatch.setenv(RUN_ENV, str(tmp_path))
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    assert find_run() == tmp_path
