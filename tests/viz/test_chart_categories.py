"""Every category a chart is given appears in the chart: none silently dropped by the axis.

Lesson 07.02's bars by deprivation quintile ("1 most deprived", "2", "3", "4", "5 least
deprived") once lost both labelled ends: plotly.js saw mostly number-like text, made the axis
numeric and dropped the rest without a warning. Each chart helper that takes categories (and a
plain plotly express chart passed through ``finish``, as lessons draw) is fed such a mix here,
then drawn by plotly.js in headless Chromium, and every category must be on its axis.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.express as px
import pytest

from clearlib import reference
from clearlib.viz._segment import crosstab_chart, needs_chart, segment_chart, waterfall_chart
from clearlib.viz._theme import finish
from clearlib.viz._workforce import gap_heatmap, team_chart, tornado_chart

#: Mostly number-like text with words at the ends: the mix plotly.js reads as numbers.
QUINTILES = ["1 most deprived", "2", "3", "4", "5 least deprived"]
ROLE_NAMES = dict(zip(reference.roles()["code"], reference.roles()["name"], strict=True))


def _quintile_bars():
    frame = pd.DataFrame({"group": QUINTILES * 2, "share": [0.09, 0.1, 0.09, 0.08, 0.07] * 2})
    frame["measure"] = ["admitted"] * 5 + ["on the list"] * 5
    fig = px.bar(frame, x="group", y="share", color="measure", barmode="group")
    return finish(fig, "Need and list share by deprivation quintile", "IMD quintile", "Share"), (
        "x",
        QUINTILES,
    )


def _segment_bars():
    profile = pd.DataFrame(
        {"segment": [1, 2, 3], "name": ["Healthy", "2", "3"], "people": [5, 3, 1]}
    )
    return segment_chart(profile), ("y", ["1 Healthy", "2 2", "3 3"])


def _waterfall():
    w = pd.DataFrame(
        {
            "rule": ["population", "2", "3", "4", "cohort"],
            "action": ["start", "include", "exclude", "exclude", "result"],
            "removed": [0, 40, 10, 5, 0],
            "remaining": [100, 60, 50, 45, 45],
        }
    )
    return waterfall_chart(w), ("x", ["population", "2", "3", "4", "cohort"])


def _needs():
    needs = pd.DataFrame(
        {"activity": [*QUINTILES, "Total"], "hours_per_year": [10.0, 20.0, 30.0, 40.0, 50.0, 150.0]}
    )
    return needs_chart(needs), ("y", QUINTILES)


def _crosstab():
    table = pd.DataFrame([[5, 1, 0], [1, 4, 2], [0, 2, 6], [1, 1, 1], [3, 0, 1]], index=QUINTILES)
    table.columns = ["1", "2", "3"]
    return crosstab_chart(table), ("y", QUINTILES)


def _gap_heatmap():
    weeks = pd.to_datetime(["2025-04-07", "2025-04-14"])
    roles = ["gp", "hca", "care_coordinator", "2"]
    g = pd.DataFrame(
        {
            "week": list(weeks) * len(roles),
            "role": [r for r in roles for _ in weeks],
            "gap_hours": [1.0, -1.0, 2.0, 0.5, -3.0, 1.5, 0.2, 0.1],
        }
    )
    return gap_heatmap(g), ("y", [ROLE_NAMES.get(r, r) for r in roles])


def _team():
    before = pd.Series({"gp": 10.0, "hca": 3.0, "paramedic": 0.0})
    after = pd.Series({"gp": 8.0, "hca": 3.0, "paramedic": 2.0})
    return team_chart(before, after), ("y", [ROLE_NAMES[r] for r in before.index])


def _tornado():
    n = len(QUINTILES)
    s = pd.DataFrame(
        {
            "label": QUINTILES,
            "low_value": [0.8] * n,
            "high_value": [1.2] * n,
            "metric_base": [90.0] * n,
            "metric_low": [70.0, 80.0, 85.0, 88.0, 89.0],
            "metric_high": [110.0, 100.0, 95.0, 92.0, 91.0],
        }
    )
    return tornado_chart(s, metric_label="Hours"), ("y", QUINTILES)


CHARTS: dict[str, Callable] = {
    "px.bar via finish (lesson 07.02)": _quintile_bars,
    "segment_chart": _segment_bars,
    "waterfall_chart": _waterfall,
    "needs_chart": _needs,
    "crosstab_chart": _crosstab,
    "gap_heatmap": _gap_heatmap,
    "team_chart": _team,
    "tornado_chart": _tornado,
}


def _values_on(fig, axis: str) -> set[str]:
    values: set[str] = set()
    for trace in fig.data:
        data = getattr(trace, axis, None)
        if data is not None:
            values.update(str(v) for v in data)
    return values


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_category_is_in_the_traces(name):
    """Each category of the chart's input is in its traces, on the axis that shows it."""
    fig, (axis, categories) = CHARTS[name]()
    missing = [c for c in categories if c not in _values_on(fig, axis)]
    assert not missing, f"{name}: categories missing from the traces: {missing}"


def test_segment_treemap_has_every_segment():
    """The treemap form of segment_chart has a tile for every segment it is given."""
    profile = pd.DataFrame(
        {"segment": [1, 2, 3], "name": ["Healthy", "2", "3"], "people": [5, 3, 1]}
    )
    labels = list(segment_chart(profile, kind="treemap").data[0].labels)
    assert labels == ["1 Healthy", "2 2", "3 3"]


def test_plotly_draws_every_category(tmp_path: Path, chromium):
    """Drawn by plotly.js in Chromium, every chart shows every category as a tick label."""
    from plotly.offline import get_plotlyjs

    figures = {name: build() for name, build in CHARTS.items()}
    divs, calls = [], []
    for i, (fig, _) in enumerate(figures.values()):
        fig.update_layout(width=1100, height=700)
        divs.append(f'<div id="f{i}"></div>')
        calls.append(f"Plotly.newPlot('f{i}', {fig.to_json()});")
    page_path = tmp_path / "charts.html"
    page_path.write_text(
        "<html><body>"
        + "".join(divs)
        + f"<script>{get_plotlyjs()}</script><script>{''.join(calls)}</script></body></html>",
        encoding="utf-8",
    )
    page = chromium.new_page()
    try:
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
        )
        page.goto(page_path.as_uri(), wait_until="load", timeout=180_000)
        ticks = {}
        for i, name in enumerate(figures):
            ticks[name] = {
                axis: page.eval_on_selector_all(
                    f"#f{i} .{axis}tick text", "els => els.map(e => e.textContent)"
                )
                for axis in ("x", "y")
            }
    finally:
        page.close()
    problems = {}
    for name, (_, (axis, categories)) in figures.items():
        shown = {t.replace("\u2212", "-") for t in ticks[name][axis]}
        missing = [c for c in categories if c not in shown]
        if missing:
            problems[name] = {"missing": missing, "shown": sorted(shown)}
    assert not problems, "categories dropped when drawn:\n" + json.dumps(problems, indent=1)


def test_workforce_charts_show_names_not_codes():
    """Role charts label roles by name (roles reference table); unknown codes are made readable."""
    team = team_chart(pd.Series({"hca": 2.0, "care_coordinator": 1.0}), pd.Series({"hca": 3.0}))
    assert list(team.data[0].y) == ["Healthcare support worker", ROLE_NAMES["care_coordinator"]]
    weeks = pd.to_datetime(["2025-04-07", "2025-04-14"])
    g = pd.DataFrame(
        {"week": list(weeks) * 2, "role": ["hca"] * 2 + ["social_prescriber"] * 2, "gap_hours": 1.0}
    )
    labels = list(gap_heatmap(g).data[0].y)
    assert sorted(labels) == ["Healthcare support worker", "Social prescriber"]
    assert not any("_" in label for label in labels)
