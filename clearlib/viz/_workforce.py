"""Workforce charts: demand against capacity, gaps, team before and after, tornado, waits.

Each takes the output of a :mod:`clearlib.workforce` function and passes through
:func:`clearlib.viz.finish`, so every chart has a title, axis labels and a source note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError
from clearlib.viz._theme import NHS_COLOURS, PALETTE, finish

__all__ = ["demand_capacity_chart", "gap_heatmap", "team_chart", "tornado_chart", "waits_chart"]

SOURCE = "CLEAR synthetic PCN data; clearlib.workforce (reference tables cite FACTS.md §5–6)"


def _names(kind: str) -> dict[str, str]:
    if kind == "role":
        from clearlib import reference

        r = reference.roles()
        return dict(zip(r["code"], r["name"], strict=True))
    if kind == "task":
        from clearlib.workforce._reference import tasks

        t = tasks()
        names = dict(zip(t["code"], t["name"], strict=True))
        names["unallocated"] = "Roles with no demand"
        return names
    return {}


def _label(names: Mapping[str, str], code: Any) -> str:
    """A role's or task's name; a code the reference tables do not know, made readable.

    >>> _label({"hca": "Healthcare support worker"}, "hca")
    'Healthcare support worker'
    >>> _label({}, "social_prescriber")
    'Social prescriber'
    """
    code = str(code)
    return names.get(code) or code.replace("_", " ").capitalize()


def _need(df: Any, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame) or any(c not in df.columns for c in columns):
        raise ConfigError(f"{what}: expected a DataFrame with columns {', '.join(columns)}.")


def demand_capacity_chart(
    gap_table: pd.DataFrame,
    *,
    select: str | Sequence[str] | None = None,
    title: str | None = None,
    source: str = SOURCE,
) -> Any:
    """Demand and capacity, hours a week over time (from :func:`clearlib.workforce.gap`).

    Parameters
    ----------
    gap_table : DataFrame
        ``week``, ``role`` or ``task``, ``demand_hours``, ``capacity_hours``.
    select : str or list, optional
        Only these roles (or tasks); default the whole team.

    Examples
    --------
    >>> g = pd.DataFrame({"week": pd.to_datetime(["2025-01-06", "2025-01-13"]), "role": "gp",
    ...                   "demand_hours": [30.0, 35.0], "capacity_hours": [32.0, 32.0]})
    >>> fig = demand_capacity_chart(g)
    >>> [t.name for t in fig.data]
    ['Demand', 'Capacity']
    """
    _need(gap_table, ["week", "demand_hours", "capacity_hours"], "demand_capacity_chart")
    key = "role" if "role" in gap_table.columns else "task"
    g = gap_table
    label = "the whole team"
    if select is not None:
        chosen = [select] if isinstance(select, str) else list(select)
        g = g[g[key].isin(chosen)]
        if g.empty:
            raise ConfigError(f"demand_capacity_chart: no rows for {key} {', '.join(chosen)}.")
        names = _names(key)
        label = ", ".join(_label(names, c) for c in chosen)
    weekly = g.groupby("week", sort=True)[["demand_hours", "capacity_hours"]].sum()
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=weekly.index,
            y=weekly["demand_hours"],
            name="Demand",
            mode="lines",
            line={"color": PALETTE[1], "width": 2},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=weekly.index,
            y=weekly["capacity_hours"],
            name="Capacity",
            mode="lines",
            line={"color": PALETTE[0], "width": 2, "dash": "dash"},
        )
    )
    short = int((weekly["demand_hours"] > weekly["capacity_hours"] + 1e-9).sum())
    default = f"Demand and capacity of {label}: {short} of {len(weekly)} weeks short"
    return finish(fig, title or default, "Week beginning", "Clinical hours a week", source)


def gap_heatmap(
    gap_table: pd.DataFrame,
    *,
    value: str = "gap_hours",
    title: str | None = None,
    source: str = SOURCE,
) -> Any:
    """Gap (demand − capacity) by role or task and week: orange short, blue spare.

    Examples
    --------
    >>> g = pd.DataFrame({"week": pd.to_datetime(["2025-01-06", "2025-01-13"] * 2),
    ...                   "task": ["triage", "triage", "procedure", "procedure"],
    ...                   "gap_hours": [1.0, -2.0, 0.5, 0.0]})
    >>> fig = gap_heatmap(g)
    >>> fig.data[0].type, list(fig.data[0].y)
    ('heatmap', ['Clinical triage', 'Clinical procedure'])
    """
    key = "role" if "role" in gap_table.columns else "task"
    _need(gap_table, ["week", key, value], "gap_heatmap")
    wide = gap_table.pivot_table(index=key, columns="week", values=value, aggfunc="sum")
    order = wide.abs().sum(axis=1).sort_values(ascending=False).index
    wide = wide.loc[order]
    names = _names(key)
    limit = float(np.nanmax(np.abs(wide.to_numpy()))) if wide.size else 1.0
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Heatmap(
            z=wide.to_numpy(),
            x=list(wide.columns),
            y=[_label(names, c) for c in wide.index],
            zmid=0,
            zmin=-limit,
            zmax=limit,
            colorscale=[
                [0, NHS_COLOURS["dark_blue"]],
                [0.5, "#FFFFFF"],
                [1, NHS_COLOURS["orange"]],
            ],
            colorbar={"title": {"text": "Hours short (+)<br>or spare (−)"}},
            hovertemplate="%{y}<br>week of %{x|%d %b %Y}<br>%{z:.1f} hours<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    word = "role" if key == "role" else "task"
    return finish(
        fig,
        title or f"Gap by {word} and week (demand − capacity)",
        "Week beginning",
        word.capitalize(),
        source,
    )


def _wte(team: Any, what: str) -> pd.Series:
    if isinstance(team, pd.Series):
        return team.astype(float)
    if isinstance(team, pd.DataFrame):
        if "role" in team.columns and "wte" in team.columns:
            return team.groupby(team["role"].astype(str))["wte"].sum()
        if "wte" in team.columns:
            return team["wte"].astype(float)
    staffing = getattr(team, "staffing", None)
    if isinstance(staffing, pd.DataFrame):
        return staffing["wte"].astype(float)
    raise ConfigError(
        f"team_chart: {what} must be a staff table (role, wte), a Series of WTE by role, or a "
        "skill-mix result."
    )


def team_chart(
    before: Any,
    after: Any,
    *,
    labels: tuple[str, str] = ("As-is", "To-be"),
    title: str | None = None,
    source: str = SOURCE,
) -> Any:
    """Team composition before and after: WTE by role, side by side.

    Parameters
    ----------
    before, after : staff table, Series of WTE by role, or SkillMixResult

    Examples
    --------
    >>> fig = team_chart(pd.Series({"gp": 10.0}), pd.Series({"gp": 8.0, "paramedic": 2.0}))
    >>> [t.name for t in fig.data], list(fig.data[1].x)
    (['As-is', 'To-be'], [8.0, 2.0])
    """
    b, a = _wte(before, "before"), _wte(after, "after")
    # by WTE, largest first; roles of equal WTE by code, so the same team draws the same chart
    roles = sorted(
        sorted(set(b.index) | set(a.index)), key=lambda r: -max(b.get(r, 0.0), a.get(r, 0.0))
    )
    names = _names("role")
    y = [_label(names, r) for r in roles]
    import plotly.graph_objects as go

    fig = go.Figure()
    for series, label, colour in ((b, labels[0], PALETTE[7]), (a, labels[1], PALETTE[0])):
        fig.add_trace(
            go.Bar(
                y=y,
                x=[float(series.get(r, 0.0)) for r in roles],
                name=label,
                orientation="h",
                marker_color=colour,
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed")
    default = f"Team before and after: {b.sum():.1f} → {a.sum():.1f} WTE"
    return finish(fig, title or default, "Whole-time equivalents", "Role", source)


def tornado_chart(
    sensitivity_table: pd.DataFrame,
    *,
    metric_label: str | None = None,
    title: str | None = None,
    source: str = SOURCE,
) -> Any:
    """One-way sensitivity as a tornado (from :func:`clearlib.workforce.sensitivity`).

    Each bar runs from the metric with the assumption at its low value to its high value;
    the line is the base case. The widest bars are the assumptions that matter most.

    Examples
    --------
    >>> s = pd.DataFrame({"label": ["Pay", "Leave"], "low_value": [0.8, 0.09],
    ...                   "high_value": [1.2, 0.13], "metric_base": [90.0, 90.0],
    ...                   "metric_low": [72.0, 89.0], "metric_high": [108.0, 91.0]})
    >>> fig = tornado_chart(s, metric_label="Cost per patient (£)")
    >>> list(fig.data[0].y)
    ['Pay', 'Leave']
    """
    _need(
        sensitivity_table,
        ["label", "low_value", "high_value", "metric_base", "metric_low", "metric_high"],
        "tornado_chart",
    )
    s = sensitivity_table
    base = float(s["metric_base"].iloc[0])
    metric = metric_label or str(s.attrs.get("metric", "metric")).replace("_", " ")
    import plotly.graph_objects as go

    def fmt(v: float) -> str:
        return f"{v:.3g}"

    fig = go.Figure()
    for i, end in enumerate(("low", "high")):
        fig.add_trace(
            go.Bar(
                y=s["label"],
                x=s[f"metric_{end}"] - base,
                base=base,
                orientation="h",
                name=f"Assumption {end}",
                marker_color=PALETTE[i],
                text=[fmt(v) for v in s[f"{end}_value"]],
                textposition="inside",
                hovertemplate=f"%{{y}}: {end} → %{{x:.2f}}<extra></extra>",
            )
        )
    fig.add_vline(x=base, line_color=NHS_COLOURS["dark_grey"], line_width=1)
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(autorange="reversed")
    return finish(
        fig,
        title or f"What {metric} depends on (one assumption at a time)",
        metric.capitalize(),
        "Assumption",
        source,
    )


def waits_chart(
    results: Any,
    *,
    kind: str = "routine",
    title: str | None = None,
    source: str = SOURCE,
) -> Any:
    """Share of requests seen within each number of working days, for one or more scenarios.

    Parameters
    ----------
    results : AccessResult or dict of name → AccessResult
    kind : {"routine", "same_day"}, default "routine"

    Examples
    --------
    >>> from clearlib.workforce import simulate_access
    >>> fig = waits_chart({"As-is": simulate_access(10, 20, 31, weeks=8, reps=10),
    ...                    "To-be": simulate_access(10, 20, 34, weeks=8, reps=10)})
    >>> [t.name for t in fig.data]
    ['As-is', 'To-be']
    """
    if kind not in ("routine", "same_day"):
        raise ConfigError(f"waits_chart: kind must be 'routine' or 'same_day'; found {kind!r}.")
    if not isinstance(results, Mapping):
        results = {"": results}
    import plotly.graph_objects as go

    fig = go.Figure()
    for k, (name, r) in enumerate(results.items()):
        waits = getattr(r, "waits", None)
        if not isinstance(waits, pd.DataFrame):
            raise ConfigError(
                "waits_chart: expected results of clearlib.workforce.simulate_access."
            )
        cdf = waits[kind].cumsum()
        fig.add_trace(
            go.Scatter(
                x=cdf.index,
                y=100 * cdf.to_numpy(),
                name=name or kind,
                mode="lines",
                line={"color": PALETTE[k % len(PALETTE)], "width": 2, "shape": "hv"},
            )
        )
    fig.add_hline(
        y=82,
        line_dash="dot",
        line_color=NHS_COLOURS["mid_grey"],
        annotation_text="82% within 2 weeks nationally (FACTS.md §5)",
        annotation_position="bottom right",
    )
    what = "routine" if kind == "routine" else "same-day"
    return finish(
        fig,
        title or f"How long {what} requests wait",
        "Working days waited",
        "% seen within that many days",
        source,
    )
