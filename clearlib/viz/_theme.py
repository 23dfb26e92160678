"""One plotly look for every chart: the NHS identity palette, ordered to stay colour-blind safe."""

from __future__ import annotations

from typing import Any

__all__ = ["NHS_COLOURS", "PALETTE", "finish", "use_theme"]

#: NHS identity colours (NHS England identity guidelines).
NHS_COLOURS = {
    "nhs_blue": "#005EB8",
    "dark_blue": "#003087",
    "bright_blue": "#0072CE",
    "light_blue": "#41B6E6",
    "aqua_green": "#00A499",
    "green": "#009639",
    "warm_yellow": "#FFB81C",
    "orange": "#ED8B00",
    "dark_red": "#8A1538",
    "purple": "#330072",
    "dark_grey": "#425563",
    "mid_grey": "#768692",
    "pale_grey": "#E8EDEE",
}

#: Categorical order: neighbours differ in hue and lightness, so the first five stay distinct
#: under the common colour-vision deficiencies.
PALETTE = [
    NHS_COLOURS[c]
    for c in (
        "nhs_blue",
        "orange",
        "aqua_green",
        "dark_red",
        "light_blue",
        "warm_yellow",
        "purple",
        "mid_grey",
    )
]

TEMPLATE_NAME = "clear"


def _template() -> Any:
    import plotly.graph_objects as go

    return go.layout.Template(
        layout={
            "colorway": PALETTE,
            "font": {
                "family": "Arial, Helvetica, sans-serif",
                "size": 14,
                "color": NHS_COLOURS["dark_grey"],
            },
            "title": {
                "x": 0.0,
                "xanchor": "left",
                "font": {"size": 18, "color": NHS_COLOURS["dark_blue"]},
            },
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "xaxis": {
                "showgrid": False,
                "linecolor": NHS_COLOURS["mid_grey"],
                "ticks": "outside",
                "automargin": True,
            },
            "yaxis": {
                "gridcolor": NHS_COLOURS["pale_grey"],
                "linecolor": NHS_COLOURS["mid_grey"],
                "zeroline": False,
                "automargin": True,
            },
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0},
            "colorscale": {
                "sequential": [
                    [0, "#E8F1FA"],
                    [0.5, NHS_COLOURS["bright_blue"]],
                    [1, NHS_COLOURS["dark_blue"]],
                ]
            },
            "margin": {"t": 80, "l": 60, "r": 30, "b": 60},
        }
    )


def use_theme() -> str:
    """Register the CLEAR plotly template and make it the default; returns its name.

    Examples
    --------
    >>> import plotly.io as pio
    >>> use_theme()
    'clear'
    >>> pio.templates.default
    'clear'
    """
    import plotly.io as pio

    pio.templates[TEMPLATE_NAME] = _template()
    pio.templates.default = TEMPLATE_NAME
    return TEMPLATE_NAME


def finish(
    fig: Any, title: str, x: str | None = None, y: str | None = None, source: str | None = None
) -> Any:
    """Give a figure its title, axis labels and a source note, in the CLEAR theme.

    Every chart the library makes passes through here, so none leaves untitled or unlabelled.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> fig = finish(go.Figure(go.Bar(x=["A"], y=[1])), "Appointments", "Practice", "Count")
    >>> fig.layout.title.text, fig.layout.xaxis.title.text
    ('Appointments', 'Practice')
    >>> import plotly.express as px
    >>> fig = finish(px.bar(x=["A", "B"], y=[1, 2], color=["A", "B"]), "Two bars", source="synthetic")
    >>> [t.marker.color for t in fig.data] == PALETTE[:2]
    True
    """
    use_theme()
    fig.update_layout(template=TEMPLATE_NAME, title={"text": title})
    _recolour(fig)
    if x is not None:
        fig.update_xaxes(title_text=x)
    if y is not None:
        fig.update_yaxes(title_text=y)
    if source:
        bottom = (fig.layout.margin.b or 60) + 50
        fig.update_layout(margin={"b": bottom})
        fig.add_annotation(
            text=f"Source: {source}",
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            yshift=-bottom + 12,
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font={"size": 11, "color": NHS_COLOURS["mid_grey"]},
        )
    return fig


def _recolour(fig: Any) -> None:
    """Swap plotly's default colours (as plotly express sets them on traces) for the palette."""
    import plotly.express as px

    swap = {
        c.lower(): PALETTE[i % len(PALETTE)] for i, c in enumerate(px.colors.qualitative.Plotly)
    }
    for trace in fig.data:
        for part in ("marker", "line"):
            obj = getattr(trace, part, None)
            colour = getattr(obj, "color", None) if obj is not None else None
            if isinstance(colour, str) and colour.lower() in swap:
                obj.color = swap[colour.lower()]
