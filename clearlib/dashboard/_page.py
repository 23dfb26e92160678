"""The pieces of the sponsor page that the served dashboard and the static export share.

NHS identity: NHS Blue (#005EB8) header, dark blue headings, Arial (the NHS's fallback for
Frutiger), body text of at least 16px, and text colours that pass WCAG AA on white.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from clearlib.dashboard._format import Card, format_figure
from clearlib.dashboard._gate import RunCheck

__all__ = [
    "CSS",
    "FIGURE_SECTIONS",
    "cards_html",
    "cost_bars",
    "cost_figure",
    "footer_html",
    "header_html",
    "load_figures",
    "recommendations_html",
    "team_bars",
    "team_figure",
]

CSS = """
.clear-page { font-family: Arial, "Helvetica Neue", Helvetica, sans-serif; font-size: 16px;
  line-height: 1.5; color: #212b32; max-width: 1100px; margin: 0 auto; }
.clear-page h1, .clear-page h2, .clear-page h3 { color: #003087; font-weight: 700; }
.clear-header { background: #005EB8; color: #ffffff; padding: 20px 24px; margin-bottom: 16px; }
.clear-header h1 { color: #ffffff; font-size: 28px; margin: 0 0 4px 0; }
.clear-header p { margin: 0; font-size: 18px; }
.clear-section { margin: 24px 0; }
.clear-section h2 { font-size: 24px; margin: 0 0 8px 0; }
.clear-section p.clear-intro { margin: 0 0 12px 0; }
.clear-cards { display: flex; flex-wrap: wrap; gap: 12px; }
.clear-card { background: #ffffff; border: 1px solid #d8dde0; border-top: 4px solid #005EB8;
  padding: 12px 16px; min-width: 200px; flex: 1 1 200px; }
.clear-card-label { font-size: 16px; color: #425563; }
.clear-card-value { font-size: 32px; font-weight: 700; color: #003087; }
.clear-card-note { font-size: 16px; color: #212b32; }
.clear-choices { background: #f0f4f5; padding: 16px; border-left: 6px solid #005EB8; }
.clear-precomputed { font-size: 16px; color: #425563; font-style: italic; }
.clear-message { font-size: 18px; background: #fff9c4; border-left: 6px solid #ffb81c;
  padding: 12px 16px; color: #212b32; }
.clear-footer { border-top: 4px solid #005EB8; margin-top: 32px; padding-top: 12px;
  font-size: 16px; color: #425563; }
.clear-page label, .clear-page select, .clear-page input { font-size: 16px; }
.clear-control { margin: 8px 0; }
.clear-control label { display: inline-block; min-width: 280px; }
.clear-page p, .clear-page li, .clear-page .widget-html-content { font-size: 16px;
  line-height: 1.5; }
.widget-label, .widget-readout, .widget-dropdown select, .widget-button {
  font-size: 16px !important; }
.clear-page .widget-label { color: #212b32; }
.clear-figure-run .jp-RenderedPlotly { height: 460px; }
"""

#: The figures the page shows, in order: (name fragments to look for, heading, sentence).
FIGURE_SECTIONS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("waterfall",),
        "Who is in the cohort",
        "From everyone registered to the people the proactive care team will see.",
    ),
    (
        ("spc", "weekly_demand", "xmr"),
        "Demand over time",
        "Weekly demand as a statistical process control chart (Making Data Count): the "
        "dashed lines are the process limits; points outside them are signals, not noise.",
    ),
    (
        ("demand_capacity", "capacity", "gap_heatmap"),
        "Demand against capacity",
        "Clinical hours of demand each week against the hours the team has, by role.",
    ),
    (
        ("team",),
        "The team today and proposed",
        "Whole-time equivalents by role, before and after the change.",
    ),
)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def header_html(summary: Mapping[str, Any]) -> str:
    """The NHS Blue header: the PCN, the period and what the page is for."""
    pcn = summary.get("pcn") or {}
    period = summary.get("period") or {}
    name = pcn.get("name") or pcn.get("code") or "Your PCN"
    when = ""
    if period.get("start") and period.get("end"):
        when = f"Activity from {period['start']} to {period['end']}"
    list_size = pcn.get("list_size")
    if isinstance(list_size, int | float):
        when += ("; " if when else "") + f"{format_figure('list_size', list_size)} registered"
    return (
        '<header class="clear-header">'
        f"<h1>Anticipatory care: the team {_e(name)} needs</h1>"
        f"<p>{_e(when)}</p></header>"
    )


def cards_html(cards: Sequence[Card], section: str) -> str:
    """Cards as HTML; each card carries ``data-key`` so pages and tests can find it."""
    items = []
    for c in cards:
        note = f'<div class="clear-card-note">{_e(c.note)}</div>' if c.note else ""
        items.append(
            f'<div class="clear-card" data-key="{_e(c.key)}">'
            f'<div class="clear-card-label">{_e(c.label)}</div>'
            f'<div class="clear-card-value">{_e(c.text)}</div>{note}</div>'
        )
    return f'<div class="clear-cards" id="{_e(section)}-cards">{"".join(items)}</div>'


def recommendations_html(summary: Mapping[str, Any]) -> str:
    """The run's recommendations as a plain list (empty if it has none)."""
    items = [r for r in summary.get("recommendations") or [] if isinstance(r, str)]
    if not items:
        return ""
    lis = "".join(f"<li>{_e(r)}</li>" for r in items)
    return f'<section class="clear-section"><h2>What the figures say</h2><ul>{lis}</ul></section>'


def footer_html(summary: Mapping[str, Any], report: RunCheck) -> str:
    """The footer: the disclosure policy applied and what the publish gate checked."""
    pcn = summary.get("pcn") or {}
    return (
        '<footer class="clear-footer">'
        f"<p><strong>Disclosure control:</strong> {_e(report.policy.describe())} (policy "
        f"{_e(report.policy.name)}). Every table, chart and number on this page "
        f"({len(report.checked)} files) was checked again before it was published: no small "
        "numbers, no patient identifiers, no free text.</p>"
        f"<p>Only aggregate figures for {_e(pcn.get('name') or pcn.get('code') or 'the PCN')} "
        "are shown; no patient-level data is used by this page.</p></footer>"
    )


def load_figures(run: Path, summary: Mapping[str, Any]) -> list[tuple[str, str, str, dict]]:
    """The run's figures to show, in page order: (name, heading, sentence, plotly JSON).

    Figures are found by name (``summary["figures"]``, else every ``figures/*.json``): the
    first whose name contains one of a section's fragments fills that section.
    """
    named = summary.get("figures") or {}
    paths = {str(k): run / str(v) for k, v in named.items()} if isinstance(named, dict) else {}
    for p in sorted((run / "figures").glob("*.json")):
        paths.setdefault(p.stem, p)
    shown: list[tuple[str, str, str, dict]] = []
    used: set[str] = set()
    for fragments, heading, sentence in FIGURE_SECTIONS:
        for name, path in paths.items():
            if name in used or not any(f in name.lower() for f in fragments):
                continue
            if not path.is_file():
                continue
            figure = json.loads(path.read_text(encoding="utf-8"))
            layout = figure.setdefault("layout", {})
            layout.setdefault("height", 450)  # a widget's output area gives no height of its own
            shown.append((name, heading, sentence, figure))
            used.add(name)
            break
    return shown


_LAYOUT = {
    "font": {"family": "Arial, Helvetica, sans-serif", "size": 16, "color": "#425563"},
    "margin": {"l": 10, "r": 20, "t": 50, "b": 50},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if value != value else float(value)  # NaN


def cost_bars(values: Mapping[str, Any]) -> tuple[list[str], list[float]]:
    """The cost bars' labels and values: today's team, the proposed team, today plus ARRS.

    Examples
    --------
    >>> cost_bars({"cost_today": 100.0, "cost_proposed": 130.0, "arrs_allocation": 20.0})
    (["Today's team", 'Proposed team', "Today's cost plus the ARRS allocation"], [100.0, 130.0, 120.0])
    """
    today, proposed = _number(values.get("cost_today")), _number(values.get("cost_proposed"))
    arrs = _number(values.get("arrs_allocation"))
    bars = [("Today's team", today), ("Proposed team", proposed)]
    if today is not None and arrs is not None:
        bars.append(("Today's cost plus the ARRS allocation", today + arrs))
    kept = [(label, v) for label, v in bars if v is not None]
    return [b[0] for b in kept], [b[1] for b in kept]


def team_bars(values: Mapping[str, Any]) -> tuple[list[str], list[float], list[float]]:
    """Roles, WTE today and WTE proposed, from ``staffing_today`` and ``staffing_proposed``.

    Roles are named as the course names them and ordered by their larger WTE.

    Examples
    --------
    >>> team_bars({"staffing_today": {"gp": 5.0}, "staffing_proposed": {"gp": 4.0,
    ...            "paramedic": 1.0}})
    (['General practitioner', 'Paramedic'], [5.0, 0.0], [4.0, 1.0])
    """
    today = values.get("staffing_today") or {}
    proposed = values.get("staffing_proposed") or {}
    if not isinstance(today, Mapping) or not isinstance(proposed, Mapping):
        return [], [], []
    roles = sorted(
        set(today) | set(proposed),
        key=lambda r: (-max(float(today.get(r, 0.0)), float(proposed.get(r, 0.0))), str(r)),
    )
    return (
        [_role_name(r) for r in roles],
        [round(float(today.get(r, 0.0)), 2) for r in roles],
        [round(float(proposed.get(r, 0.0)), 2) for r in roles],
    )


def _role_name(role: str) -> str:
    from clearlib import reference

    r = reference.roles()
    names = dict(zip(r["code"].astype(str), r["name"].astype(str), strict=True))
    name = names.get(str(role), str(role).replace("_", " "))
    return name[:1].upper() + name[1:]


def cost_figure(labels: Sequence[str], costs: Sequence[float]) -> dict[str, Any]:
    """Plotly JSON of the cost bars (the served and the static page draw the same chart)."""
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": list(labels),
                "x": list(costs),
                "text": [format_figure("cost", c) for c in costs],
                "textposition": "auto",
                "marker": {"color": ["#768692", "#005EB8", "#41B6E6"][: len(costs)]},
                "hoverinfo": "skip",
            }
        ],
        "layout": {
            **_LAYOUT,
            "title": {"text": "Cost a year with your choices", "x": 0, "font": {"size": 18}},
            "xaxis": {
                "title": {"text": "Cost a year (£)"},
                "tickprefix": "£",
                "rangemode": "tozero",
            },
            "yaxis": {"autorange": "reversed", "automargin": True},
            "height": 280,
            "showlegend": False,
        },
    }


def team_figure(
    roles: Sequence[str], today: Sequence[float], proposed: Sequence[float]
) -> dict[str, Any]:
    """Plotly JSON of the team before and after, WTE by role."""
    bars = [("Today", today, "#768692"), ("Proposed", proposed, "#005EB8")]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": list(roles),
                "x": list(wte),
                "marker": {"color": colour},
                "hovertemplate": "%{y}: %{x:.1f} WTE<extra>" + name + "</extra>",
            }
            for name, wte, colour in bars
        ],
        "layout": {
            **_LAYOUT,
            "title": {"text": "The team with your choices (WTE)", "x": 0, "font": {"size": 18}},
            "barmode": "group",
            "xaxis": {"title": {"text": "Whole-time equivalents"}, "rangemode": "tozero"},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "legend": {"orientation": "h", "y": -0.2},
            "height": max(280, 60 + 48 * len(roles)),
        },
    }
