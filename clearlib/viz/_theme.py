"""One plotly look for every chart: the NHS identity palette, ordered to stay colour-blind safe."""

from __future__ import annotations

from typing import Any

__all__ = ["NHS_COLOURS", "PALETTE", "finish", "use_renderer", "use_theme"]

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
            # "strict": text that looks like a number ("2") stays a category, so an axis of
            # "1 most deprived", "2", ..., "5 least deprived" keeps all five (plotly's default
            # would call it numeric and silently drop the two labelled ends).
            "xaxis": {
                "autotypenumbers": "strict",
                "showgrid": False,
                "linecolor": NHS_COLOURS["mid_grey"],
                "ticks": "outside",
                "automargin": True,
            },
            "yaxis": {
                "autotypenumbers": "strict",
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


#: The renderer :func:`use_theme` makes the default inside a notebook kernel.
RENDERER_NAME = "clear"


def _renderer() -> Any:
    """plotly's offline ``notebook`` renderer, without the MathJax it fetches from a CDN.

    Each figure's output then carries ``text/html`` (a ``<div>`` and a ``Plotly.newPlot``
    script) beside plotly's JSON mime type; the first figure of a kernel session also outputs
    plotly.js itself, once, so the HTML works with no network (nbconvert, nbviewer, nbgrader
    feedback, Voilà). Charts here use no LaTeX, so MathJax is not needed.
    """
    from plotly.io import to_html
    from plotly.io._base_renderers import NotebookRenderer

    class OfflineNotebookRenderer(NotebookRenderer):
        def to_mimebundle(self, fig_dict: Any) -> dict[str, str]:
            html = to_html(
                fig_dict,
                config=self.config,
                include_plotlyjs=False,
                include_mathjax=False,
                full_html=False,
                default_width="100%",
                default_height=525,
                validate=False,
            )
            return {"text/html": html}

    return OfflineNotebookRenderer(connected=False)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with every notebook install
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def use_renderer() -> str:
    """Make every figure render in JupyterLab, exported HTML, nbgrader feedback and Voilà.

    plotly's default in a Jupyter kernel writes only its JSON mime type, which JupyterLab
    draws but nbconvert's HTML export (and so nbviewer, Binder previews and nbgrader feedback
    pages) silently drops. The ``clear`` renderer writes both: the JSON for JupyterLab and an
    offline ``text/html`` copy for everything else. plotly.js (about 4.7 MB) is embedded once
    per kernel session, with the first figure shown. Setting the default again does not embed
    it again.

    Returns the renderer string now the default (``"plotly_mimetype+clear"``).

    Examples
    --------
    >>> import plotly.io as pio
    >>> use_renderer()
    'plotly_mimetype+clear'
    >>> sorted(pio.renderers[RENDERER_NAME].to_mimebundle({"data": [], "layout": {}}))
    ['text/html']
    """
    import plotly.io as pio

    if RENDERER_NAME not in pio.renderers:
        pio.renderers[RENDERER_NAME] = _renderer()
    wanted = f"plotly_mimetype+{RENDERER_NAME}"
    if pio.renderers.default != wanted:  # re-setting would embed plotly.js a second time
        pio.renderers.default = wanted
    return wanted


def use_theme() -> str:
    """Register the CLEAR plotly template and make it the default; returns its name.

    Inside a notebook kernel it also makes figures render in exported HTML as well as in
    JupyterLab (see :func:`use_renderer`), unless the ``PLOTLY_RENDERER`` environment variable
    chooses a renderer. Outside a kernel (scripts, tests) plotly's renderer is left alone.

    Examples
    --------
    >>> import plotly.io as pio
    >>> use_theme()
    'clear'
    >>> pio.templates.default
    'clear'
    """
    import os

    import plotly.io as pio

    pio.templates[TEMPLATE_NAME] = _template()
    pio.templates.default = TEMPLATE_NAME
    if _in_kernel() and not os.environ.get("PLOTLY_RENDERER"):
        use_renderer()
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
