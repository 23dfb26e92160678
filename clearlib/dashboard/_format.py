"""How the dashboard words and formats its figures, in one place for the served and static pages.

A headline figure is a key of ``summary.json``'s ``headline`` (or of
:meth:`SponsorModel.compute`'s result): ``cohort_size``, ``cohort_wte``, ``gap_wte``,
``cost_proposed`` ... Each known key has a plain label and a unit; an unknown key gets a label
made from its name and a unit guessed from it (``*_wte``, ``cost_*``, ``*_hours*``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["HEADLINE_KEYS", "Card", "cards", "format_figure"]

#: key -> (label, unit). The order is the order of the cards.
HEADLINE_KEYS: dict[str, tuple[str, str]] = {
    "cohort_size": ("People in the cohort", "people"),
    "cohort_hours_per_year": ("Hours of care needed a year", "hours"),
    "cohort_wte": ("Staff needed (whole-time equivalents)", "wte"),
    "gap_hours_per_week": ("Gap: hours a week not covered", "hours"),
    "gap_wte": ("Gap (whole-time equivalents)", "wte"),
    "cost_today": ("Cost of today's team a year", "money"),
    "cost_proposed": ("Cost of the proposed team a year", "money"),
    "arrs_allocation": ("ARRS allocation a year", "money"),
}


@dataclass(frozen=True)
class Card:
    """One big-number card: a figure's key, its label, its formatted value and a note."""

    key: str
    label: str
    text: str
    note: str = ""


def _unit(key: str) -> str:
    if key in HEADLINE_KEYS:
        return HEADLINE_KEYS[key][1]
    k = key.lower()
    if "wte" in k:
        return "wte"
    if "cost" in k or "allocation" in k or "budget" in k or k.endswith("_gbp"):
        return "money"
    if "hours" in k:
        return "hours"
    if "share" in k or "rate" in k or "percent" in k:
        return "share"
    if k.endswith(("_size", "_count", "_n")) or k in ("patients", "people"):
        return "people"
    return "number"


def format_figure(key: str, value: Any) -> str:
    """Format one headline figure as the dashboard shows it.

    Parameters
    ----------
    key : str
        The figure's key (``cohort_size``, ``gap_wte``, ``cost_proposed`` ...).
    value : number or None
        The value; None or NaN (a hidden or missing figure) shows as ``"not shown"``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_figure("cohort_size", 1234)
    '1,234'
    >>> format_figure("gap_wte", 2.345)
    '2.3 WTE'
    >>> format_figure("cost_proposed", 345678.9)
    '£345,679'
    >>> format_figure("cost_proposed", -1500)
    '-£1,500'
    >>> format_figure("gap_hours_per_week", 12.34)
    '12.3 hours'
    >>> format_figure("cohort_size", None)
    'not shown'
    """
    if value is None or isinstance(value, bool):
        return "not shown"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "not shown"
    unit = _unit(key)
    if unit == "money":
        sign = "-" if round(number) < 0 else ""
        return f"{sign}£{abs(number):,.0f}"
    if unit == "wte":
        return f"{number:,.1f} WTE"
    if unit == "hours":
        return f"{number:,.0f} hours" if abs(number) >= 100 else f"{number:,.1f} hours"
    if unit == "people":
        return f"{number:,.0f}"
    if unit == "share":
        return f"{number:.0%}" if abs(number) <= 1 else f"{number:,.1f}%"
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


def _label(key: str) -> str:
    if key in HEADLINE_KEYS:
        return HEADLINE_KEYS[key][0]
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:].replace("wte", "WTE").replace("arrs", "ARRS")


def _cost_notes(values: Mapping[str, Any]) -> dict[str, str]:
    """Plain comparisons under the cost cards: against today's team and the ARRS allocation."""
    notes: dict[str, str] = {}

    def number(key: str) -> float | None:
        v = values.get(key)
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return None if math.isnan(f) else f

    proposed, today, arrs = number("cost_proposed"), number("cost_today"), number("arrs_allocation")
    parts = []
    if proposed is not None and today is not None:
        diff = proposed - today
        if round(diff) == 0:
            parts.append("the same as today")
        else:
            more = "more" if diff > 0 else "less"
            parts.append(f"{format_figure('cost_proposed', abs(diff))} {more} than today")
    if proposed is not None and arrs is not None and today is not None:
        extra = proposed - today
        if extra > arrs:
            parts.append(f"{format_figure('cost_proposed', extra - arrs)} over the ARRS allocation")
        else:
            parts.append("within the ARRS allocation")
    if parts:
        notes["cost_proposed"] = "; ".join(parts)
    gap = number("gap_wte")
    if gap is not None:
        notes["gap_wte"] = "more staff time needed" if gap > 0.05 else "demand is covered"
    return notes


def cards(values: Mapping[str, Any], keys: list[str] | None = None) -> list[Card]:
    """The big-number cards for a set of headline figures, in the dashboard's order.

    Parameters
    ----------
    values : mapping
        Headline figures by key (``summary.json``'s ``headline``, or a SponsorModel result).
        Values that are not numbers (tables, lists) are left out.
    keys : list of str, optional
        Only these keys, in this order. Default: those of :data:`HEADLINE_KEYS` present, in
        its order (a sponsor sees the eight figures that matter, not every working figure).

    Returns
    -------
    list of Card

    Examples
    --------
    >>> [(c.label, c.text) for c in cards({"cohort_size": 280, "gap_wte": 0.17})]
    [('People in the cohort', '280'), ('Gap (whole-time equivalents)', '0.2 WTE')]
    >>> cards({"cost_today": 100000, "cost_proposed": 130000, "arrs_allocation": 20000})[1].note
    '£30,000 more than today; £10,000 over the ARRS allocation'
    """
    numeric = {
        k: v
        for k, v in values.items()
        if v is None or (isinstance(v, int | float) and not isinstance(v, bool))
    }
    if keys is None:
        keys = [k for k in HEADLINE_KEYS if k in numeric]
    notes = _cost_notes(values)
    return [
        Card(key=k, label=_label(k), text=format_figure(k, numeric.get(k)), note=notes.get(k, ""))
        for k in keys
        if k in numeric
    ]
