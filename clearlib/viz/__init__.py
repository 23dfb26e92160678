"""Charts: one plotly theme (NHS identity palette, colour-blind safe) and chart helpers.

Every chart is titled and labelled and carries its source, through :func:`finish`.
:func:`xmr` and :func:`spc_chart` draw NHS England "Making Data Count" XmR charts (statistical
process control): limits, special-cause rules, variation and assurance, and words for sponsors.
"""

from clearlib.viz._segment import (
    calibration_chart,
    capture_chart,
    crosstab_chart,
    needs_chart,
    segment_chart,
    silhouette_chart,
    waterfall_chart,
)
from clearlib.viz._spc import VARIATIONS, XmRResult, spc_chart, xmr
from clearlib.viz._theme import NHS_COLOURS, PALETTE, finish, use_theme
from clearlib.viz._workforce import (
    demand_capacity_chart,
    gap_heatmap,
    team_chart,
    tornado_chart,
    waits_chart,
)

__all__ = [
    "NHS_COLOURS",
    "PALETTE",
    "VARIATIONS",
    "XmRResult",
    "calibration_chart",
    "capture_chart",
    "crosstab_chart",
    "demand_capacity_chart",
    "finish",
    "gap_heatmap",
    "needs_chart",
    "segment_chart",
    "silhouette_chart",
    "spc_chart",
    "team_chart",
    "tornado_chart",
    "use_theme",
    "waits_chart",
    "waterfall_chart",
    "xmr",
]
