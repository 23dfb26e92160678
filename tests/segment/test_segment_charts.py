"""Charts for segmentation, risk and cohorts: titled, labelled, themed, and fed the right tables."""

from __future__ import annotations

import pandas as pd
import pytest

from clearlib import DataError
from clearlib.segment import (
    Cohort,
    calibration_by_decile,
    capture_curve,
    compare_segmentations,
    size_needs,
)
from clearlib.viz._segment import (
    calibration_chart,
    capture_chart,
    crosstab_chart,
    needs_chart,
    segment_chart,
    silhouette_chart,
    waterfall_chart,
)

PROFILE = pd.DataFrame(
    {
        "segment": [1, 4, 8],
        "name": ["Healthy", "Chronic conditions", "Frailty and dementia"],
        "people": [600, 300, 100],
        "total_cost": [100_000.0, 250_000.0, 300_000.0],
    }
)


def _labelled(fig, x: str | None, y: str | None) -> None:
    assert fig.layout.title.text
    assert fig.layout.template.layout.colorway  # the CLEAR theme is applied
    if x is not None:
        assert fig.layout.xaxis.title.text == x
    if y is not None:
        assert fig.layout.yaxis.title.text == y


def test_segment_bar_and_treemap():
    """A bar per segment in segment order, or tiles; titled from the value shown."""
    bar = segment_chart(PROFILE, source="CLEAR synthetic PCN")
    _labelled(bar, "People", "Segment")
    assert list(bar.data[0].y) == ["1 Healthy", "4 Chronic conditions", "8 Frailty and dementia"]
    assert bar.layout.annotations[0].text == "Source: CLEAR synthetic PCN"
    tree = segment_chart(PROFILE, "total_cost", kind="treemap")
    assert tree.data[0].type == "treemap" and "£" in tree.data[0].texttemplate
    assert tree.layout.title.text.startswith("Cost proxy")
    with pytest.raises(DataError, match="'bar' or 'treemap'"):
        segment_chart(PROFILE, kind="pie")
    with pytest.raises(DataError, match="'cost_per_head'"):
        segment_chart(PROFILE, "cost_per_head")


def test_calibration_chart_has_the_diagonal_and_error_bars():
    """Perfect-calibration line from 0, deciles with 95% intervals, percentage axes."""
    table = calibration_by_decile(
        [0, 0, 1, 0, 1, 1, 0, 1, 1, 1], [i / 10 for i in range(10)], n_groups=5
    )
    fig = calibration_chart(table)
    _labelled(fig, "Mean predicted risk", "Observed rate (95% interval)")
    assert fig.data[0].x[0] == 0
    assert fig.data[1].error_y.array is not None
    assert fig.layout.xaxis.tickformat == ".0%"


def test_capture_chart_marks_the_top_two_and_five_percent():
    """The 2% and 5% points are marked and labelled with what they capture."""
    y = [1, 0, 0, 0] * 25
    curve = capture_curve(y, list(range(100, 0, -1)))
    fig = capture_chart(curve)
    _labelled(fig, "Share of the population flagged (highest risk first)", None)
    marks = fig.data[2]
    assert list(marks.x) == pytest.approx([0.02, 0.05])
    assert marks.text[0].startswith("top 2%")
    with pytest.raises(DataError, match="measure"):
        capture_chart(curve, measure="auc")


def test_waterfall_chart_from_a_cohort():
    """Start, one bar per removal (negative), and the cohort as the total."""
    people = pd.DataFrame(
        {
            "efi_deficits": [10, 12, 0],
            "ltc_count": [0, 0, 0],
            "risk_top5": [False] * 3,
            "care_home_resident": [False, True, False],
            "PC": [False] * 3,
        }
    )
    w = Cohort().evaluate(people).waterfall
    fig = waterfall_chart(w)
    _labelled(fig, "Step", "People")
    assert list(fig.data[0].measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert list(fig.data[0].y) == [3, -1, -1, 0, 1]
    with pytest.raises(DataError, match="'removed'"):
        waterfall_chart(w.drop(columns="removed"))


def test_crosstab_needs_and_silhouette_charts():
    """Heatmap with counts and the ARI in the title; needs without the total; the chosen k marked."""
    comparison = compare_segmentations([1, 1, 2, 2], ["a", "a", "b", "a"])
    fig = crosstab_chart(comparison)
    assert "adjusted Rand index" in fig.layout.title.text
    assert fig.data[0].text.tolist() == [[2, 0], [1, 1]]
    assert fig.layout.xaxis.title.text == "cluster"
    needs = needs_chart(size_needs(10))
    assert "Total" not in list(needs.data[0].y)
    assert "hours a year" in needs.layout.title.text
    sil = silhouette_chart(pd.Series({2: 0.3, 3: 0.6, 4: 0.5}))
    assert list(sil.data[1].x) == [3]
    with pytest.raises(DataError, match="silhouette_"):
        silhouette_chart(pd.Series(dtype=float))
