"""Charts for segmentation, risk stratification and anticipatory-care cohorts.

Each function takes the table a :mod:`clearlib.segment` function returns and gives a plotly
figure that has been through :func:`clearlib.viz.finish` (title, axis labels, source note,
CLEAR theme). Pass ``title`` and ``source`` to say what the chart shows and where the data came
from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import DataError
from clearlib.viz._theme import NHS_COLOURS, PALETTE, finish

__all__ = [
    "calibration_chart",
    "capture_chart",
    "crosstab_chart",
    "needs_chart",
    "segment_chart",
    "silhouette_chart",
    "waterfall_chart",
]

_VALUE_LABELS = {
    "people": "People",
    "share": "Share of the population",
    "total_cost": "Cost proxy, £ a year (assumed unit costs)",
    "cost_per_head": "Cost proxy per head, £ a year (assumed unit costs)",
    "appointments_per_head": "GP-practice appointments per head a year",
    "emergency_admissions_per_head": "Emergency admissions per head a year",
    "ae_per_head": "A&E attendances per head a year",
}


def _need(table: Any, columns: list[str], what: str, made_by: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise DataError(
            f"{what} should be a DataFrame from {made_by}; found {type(table).__name__}."
        )
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(
            f"{what} has no column {', '.join(map(repr, missing))}; pass the table {made_by} returns."
        )
    if table.empty:
        raise DataError(f"{what} is empty: there is nothing to draw.")
    return table


def segment_chart(
    profile: pd.DataFrame,
    value: str = "people",
    *,
    kind: str = "bar",
    title: str | None = None,
    source: str | None = None,
) -> Any:
    """Bridges to Health segments (or clusters) as a bar chart or a treemap.

    Parameters
    ----------
    profile : pandas.DataFrame
        From :func:`clearlib.segment.segment_profile` (``segment``, ``name`` and ``value``).
    value : str, default "people"
        The column to show, e.g. ``"people"``, ``"total_cost"``, ``"cost_per_head"``.
    kind : {"bar", "treemap"}, default "bar"
        A horizontal bar per segment (in segment order), or tiles sized by ``value``.
    title, source : str, optional
        Chart title (a default is made from ``value``) and source note.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"segment": [1, 8], "name": ["Healthy", "Frailty and dementia"],
    ...     "people": [900, 100]})
    >>> fig = segment_chart(p)
    >>> fig.layout.title.text
    'People in each segment'
    """
    import plotly.graph_objects as go

    _need(profile, ["segment", "name", value], "profile", "clearlib.segment.segment_profile")
    label = _VALUE_LABELS.get(value, value.replace("_", " ").capitalize())
    title = title or f"{label} in each segment"
    names = [f"{s} {n}" for s, n in zip(profile["segment"], profile["name"], strict=True)]
    values = profile[value].to_numpy(dtype=float)
    if kind == "bar":
        fig = go.Figure(
            go.Bar(
                x=values,
                y=names,
                orientation="h",
                marker_color=NHS_COLOURS["nhs_blue"],
                hovertemplate="%{y}: %{x:,.0f}<extra></extra>",
            )
        )
        fig.update_yaxes(autorange="reversed")
        return finish(fig, title, label, "Segment", source)
    if kind == "treemap":
        money = "£" if "cost" in value else ""
        if (values < 0).any():
            raise DataError(f"a treemap needs values of 0 or more; {value!r} has negatives.")
        fig = go.Figure(
            go.Treemap(
                labels=names,
                parents=[""] * len(names),
                values=values,
                marker_colors=[PALETTE[i % len(PALETTE)] for i in range(len(names))],
                texttemplate=f"%{{label}}<br>{money}%{{value:,.0f}}<br>%{{percentRoot:.1%}}",
                hovertemplate=f"%{{label}}: {money}%{{value:,.0f}} (%{{percentRoot:.1%}})<extra></extra>",
            )
        )
        return finish(fig, title, None, None, source)
    raise DataError(f"kind should be 'bar' or 'treemap'; found {kind!r}.")


def calibration_chart(
    calibration: pd.DataFrame, *, title: str | None = None, source: str | None = None
) -> Any:
    """Observed rate against mean predicted risk by decile, with the line of perfect calibration.

    Parameters
    ----------
    calibration : pandas.DataFrame
        From :func:`clearlib.segment.calibration_by_decile`.
    title, source : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> from clearlib.segment import calibration_by_decile
    >>> table = calibration_by_decile([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9], n_groups=2)
    >>> [trace.name for trace in calibration_chart(table).data]
    ['Perfect calibration', 'Deciles of predicted risk']
    """
    import plotly.graph_objects as go

    t = _need(
        calibration,
        ["decile", "mean_predicted", "observed_rate", "observed_lower", "observed_upper"],
        "calibration",
        "clearlib.segment.calibration_by_decile",
    )
    top = float(max(t["mean_predicted"].max(), t["observed_upper"].max())) * 1.05
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, top],
            y=[0, top],
            mode="lines",
            name="Perfect calibration",
            line={"color": NHS_COLOURS["mid_grey"], "dash": "dash"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t["mean_predicted"],
            y=t["observed_rate"],
            mode="markers+lines",
            name="Deciles of predicted risk",
            marker={"color": NHS_COLOURS["nhs_blue"], "size": 9},
            error_y={
                "type": "data",
                "array": t["observed_upper"] - t["observed_rate"],
                "arrayminus": t["observed_rate"] - t["observed_lower"],
                "color": NHS_COLOURS["nhs_blue"],
            },
            text=[f"decile {d}" for d in t["decile"]],
            hovertemplate="%{text}: predicted %{x:.1%}, observed %{y:.1%}<extra></extra>",
        )
    )
    fig.update_xaxes(tickformat=".0%", range=[0, top])
    fig.update_yaxes(tickformat=".0%", range=[0, top])
    return finish(
        fig,
        title or "Calibration: observed against predicted risk, by decile",
        "Mean predicted risk",
        "Observed rate (95% interval)",
        source,
    )


def capture_chart(
    curve: pd.DataFrame,
    *,
    marks: Any = (0.02, 0.05),
    measure: str = "share_of_events",
    title: str | None = None,
    source: str | None = None,
) -> Any:
    """Share of admissions (or people with one) captured against share of the population flagged.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`clearlib.segment.capture_curve`.
    marks : sequence of float, default (0.02, 0.05)
        Shares flagged to mark (the top 2% and 5%).
    measure : {"share_of_events", "sensitivity"}, default "share_of_events"
        What the y axis shows: share of all admissions, or share of people with one.
    title, source : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> from clearlib.segment import capture_curve
    >>> curve = capture_curve([1, 0, 1, 0] * 25, list(range(100)), points=20)
    >>> len(capture_chart(curve).data)
    3
    """
    import plotly.graph_objects as go

    if measure not in ("share_of_events", "sensitivity"):
        raise DataError(f"measure should be 'share_of_events' or 'sensitivity'; found {measure!r}.")
    t = _need(curve, ["share_flagged", measure], "curve", "clearlib.segment.capture_curve")
    label = (
        "Share of emergency admissions captured"
        if measure == "share_of_events"
        else ("Share of people with an emergency admission captured")
    )
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="No better than chance",
            line={"color": NHS_COLOURS["mid_grey"], "dash": "dash"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t["share_flagged"],
            y=t[measure],
            mode="lines",
            name="Risk model",
            line={"color": NHS_COLOURS["nhs_blue"], "width": 3},
            hovertemplate="top %{x:.1%} flagged: %{y:.1%} captured<extra></extra>",
        )
    )
    xs, ys, texts = [], [], []
    for m in marks:
        row = t.iloc[int(np.argmin(np.abs(t["share_flagged"].to_numpy() - m)))]
        xs.append(row["share_flagged"])
        ys.append(row[measure])
        texts.append(f"top {m:.0%}: {row[measure]:.0%}")
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            name="Case-finding lists",
            text=texts,
            textposition="middle right",
            marker={"color": NHS_COLOURS["orange"], "size": 11},
        )
    )
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return finish(
        fig,
        title or "What a list of the highest-risk people captures",
        "Share of the population flagged (highest risk first)",
        label,
        source,
    )


def waterfall_chart(
    waterfall: pd.DataFrame, *, title: str | None = None, source: str | None = None
) -> Any:
    """The exclusion waterfall: the population, what each rule removes, the cohort left.

    Parameters
    ----------
    waterfall : pandas.DataFrame
        ``CohortResult.waterfall`` from :meth:`clearlib.segment.Cohort.evaluate`.
    title, source : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.DataFrame({"rule": ["population", "meets no include rule", "cohort"],
    ...     "action": ["start", "include", "result"], "removed": [0, 70, 0],
    ...     "remaining": [100, 30, 30]})
    >>> list(waterfall_chart(w).data[0].measure)
    ['absolute', 'relative', 'total']
    """
    import plotly.graph_objects as go

    t = _need(waterfall, ["rule", "action", "removed", "remaining"], "waterfall", "Cohort.evaluate")
    measure, values = [], []
    for row in t.itertuples():
        if row.action == "start":
            measure.append("absolute")
            values.append(row.remaining)
        elif row.action == "result":
            measure.append("total")
            values.append(row.remaining)
        else:
            measure.append("relative")
            values.append(-row.removed)
    fig = go.Figure(
        go.Waterfall(
            x=t["rule"].tolist(),
            y=values,
            measure=measure,
            text=[f"{v:,}" for v in values],
            textposition="outside",
            decreasing={"marker": {"color": NHS_COLOURS["orange"]}},
            increasing={"marker": {"color": NHS_COLOURS["aqua_green"]}},
            totals={"marker": {"color": NHS_COLOURS["nhs_blue"]}},
            connector={"line": {"color": NHS_COLOURS["mid_grey"]}},
        )
    )
    return finish(
        fig,
        title or "From the registered list to the cohort: who each rule removes",
        "Step",
        "People",
        source,
    )


def crosstab_chart(
    comparison: Any, *, shares: bool = True, title: str | None = None, source: str | None = None
) -> Any:
    """Heatmap of two segmentations side by side (e.g. Bridges to Health against clusters).

    Parameters
    ----------
    comparison : SegmentComparison or pandas.DataFrame
        From :func:`clearlib.segment.compare_segmentations`, or its ``crosstab``.
    shares : bool, default True
        Colour by each row's shares (where each first-segmentation group went) rather than
        counts; the cells show counts either way.
    title, source : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> from clearlib.segment import compare_segmentations
    >>> fig = crosstab_chart(compare_segmentations([1, 1, 2], ["a", "b", "b"]))
    >>> fig.data[0].type
    'heatmap'
    """
    import plotly.graph_objects as go

    table = getattr(comparison, "crosstab", comparison)
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise DataError(
            "comparison should be a SegmentComparison or its crosstab (a non-empty DataFrame)."
        )
    z = table.div(table.sum(axis=1), axis=0) if shares else table
    ari = getattr(comparison, "adjusted_rand_index", None)
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(dtype=float),
            x=[str(c) for c in table.columns],
            y=[str(i) for i in table.index],
            text=table.to_numpy(),
            texttemplate="%{text:,}",
            colorscale="Blues",
            colorbar={
                "title": "Row share" if shares else "People",
                "tickformat": ".0%" if shares else ",",
            },
        )
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    default = "Two segmentations side by side"
    if ari is not None:
        default += f" (adjusted Rand index {ari:.2f})"
    return finish(
        fig,
        title or default,
        str(table.columns.name or "second"),
        str(table.index.name or "first"),
        source,
    )


def needs_chart(needs: pd.DataFrame, *, title: str | None = None, source: str | None = None) -> Any:
    """Hours a year of each proactive-care activity (from :func:`clearlib.segment.size_needs`).

    Examples
    --------
    >>> from clearlib.segment import size_needs
    >>> list(needs_chart(size_needs(10)).data[0].y)[:1]
    ['Proactive care needs assessment']
    """
    import plotly.graph_objects as go

    t = _need(needs, ["activity", "hours_per_year"], "needs", "clearlib.segment.size_needs")
    t = t[t["activity"] != "Total"]
    total = float(t["hours_per_year"].sum())
    fig = go.Figure(
        go.Bar(
            x=t["hours_per_year"],
            y=t["activity"],
            orientation="h",
            marker_color=NHS_COLOURS["aqua_green"],
            text=[f"{h:,.0f} h" for h in t["hours_per_year"]],
            textposition="auto",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return finish(
        fig,
        title
        or f"Proactive care workload: {total:,.0f} hours a year (assumed minutes per activity)",
        "Hours a year",
        "Activity",
        source,
    )


def silhouette_chart(
    silhouette: pd.Series, *, title: str | None = None, source: str | None = None
) -> Any:
    """Mean silhouette width for each k tried (``PopulationClusters.silhouette_``); best marked.

    Examples
    --------
    >>> import pandas as pd
    >>> fig = silhouette_chart(pd.Series({2: 0.4, 3: 0.5, 4: 0.3}))
    >>> fig.data[1].x[0]
    3
    """
    import plotly.graph_objects as go

    if not isinstance(silhouette, pd.Series) or silhouette.dropna().empty:
        raise DataError(
            "silhouette should be PopulationClusters.silhouette_ (fit with n_clusters=None)."
        )
    best = silhouette.idxmax()
    fig = go.Figure(
        [
            go.Scatter(
                x=list(silhouette.index),
                y=silhouette.to_numpy(),
                mode="lines+markers",
                name="Mean silhouette",
                line={"color": NHS_COLOURS["nhs_blue"]},
            ),
            go.Scatter(
                x=[best],
                y=[silhouette[best]],
                mode="markers",
                name=f"Chosen: k = {best}",
                marker={"color": NHS_COLOURS["orange"], "size": 14},
            ),
        ]
    )
    return finish(
        fig,
        title or "Choosing the number of clusters: mean silhouette width",
        "Number of clusters (k)",
        "Mean silhouette width (higher is better separated)",
        source,
    )
