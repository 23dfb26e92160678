"""Charts: one plotly theme (NHS identity palette, colour-blind safe) and chart helpers."""

from clearlib.viz._theme import NHS_COLOURS, PALETTE, finish, use_theme

__all__ = ["NHS_COLOURS", "PALETTE", "finish", "use_theme"]
