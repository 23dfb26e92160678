"""Week 01's checks (getting started): the usual mistakes of its questions, recognised by name.

Each check recomputes, from the synthetic PCN, what a usual mistake gives and fails with a
message naming it when the learner's answer equals that. None of them computes the right answer:
the hidden tests, in the assignment, do that.

The helpers at the top (the extract date, the listed patients, the year's appointments, and
:func:`first_mistake`) are shared by the later weeks' modules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clearlib.course.checks._core import is_table, same

__all__ = [
    "AGE_BAND_LABELS",
    "PCNFrames",
    "age_sex_mistakes",
    "first_mistake",
    "list_sizes_mistakes",
    "pcn_frames",
    "pyramid_mistakes",
    "ran_once",
    "share_65_mistakes",
    "unique_key",
]

AGE_BAND_LABELS = [f"{start}-{start + 4}" for start in range(0, 90, 5)] + ["90+"]
_AGE_BAND_EDGES = [*range(0, 95, 5), 200]
_YEAR_START, _NEXT_YEAR_START = pd.Timestamp("2025-04-01"), pd.Timestamp("2026-04-01")


@dataclass(frozen=True)
class PCNFrames:
    """The synthetic PCN and the frames every week starts from (as the assignments define them)."""

    pcn: Any
    extract_date: pd.Timestamp
    patients: pd.DataFrame
    listed: pd.DataFrame  # on the list at the extract date, with age and age_band
    year: pd.DataFrame  # appointments that start in 2025/26
    attended: pd.DataFrame  # ... and were attended


def _age(birth_date: pd.Series, on: pd.Timestamp) -> pd.Series:
    """Whole years on ``on`` (as the assignments' ``age_in_years``)."""
    born = birth_date.dt.year * 10000 + birth_date.dt.month * 100 + birth_date.dt.day
    return (on.year * 10000 + on.month * 100 + on.day - born) // 10000


def _band(age: pd.Series) -> pd.Series:
    return pd.cut(age, bins=_AGE_BAND_EDGES, right=False, labels=AGE_BAND_LABELS)


def _on_list(patients: pd.DataFrame, on: pd.Timestamp) -> pd.Series:
    return (
        (patients["registered_on"] <= on)
        & ~(patients["deregistered_on"] <= on)
        & ~(patients["died_on"] <= on)
    )


_FRAMES: dict[str, PCNFrames] = {}


def pcn_frames() -> PCNFrames:
    """The synthetic PCN with the frames the assignments define: listed patients (with age and
    age band), the year's appointments and the attended ones.

    The frames are computed once per dataset and process (keyed on the dataset's manifest, so a
    regenerated dataset is read again); checks must not change them.
    """
    import clearlib

    pcn = clearlib.load_pcn()
    key = json.dumps(
        [pcn.manifest.get("spec_digest"), pcn.manifest.get("seed"), pcn.manifest.get("files")],
        sort_keys=True,
        default=str,
    )
    if key not in _FRAMES:
        _FRAMES.clear()
        _FRAMES[key] = _derive(pcn)
    return _FRAMES[key]


def _derive(pcn: Any) -> PCNFrames:
    extract = pd.Timestamp(pcn.manifest["extract_window"]["extract_date"])
    patients = pcn.patients
    listed = patients[_on_list(patients, extract)]
    age = _age(listed["birth_date"], extract)
    listed = listed.assign(age=age, age_band=_band(age))
    appts = pcn.appointments
    year = appts[(appts["start"] >= _YEAR_START) & (appts["start"] < _NEXT_YEAR_START)]
    attended = year[year["status"] == "attended"]
    return PCNFrames(pcn, extract, patients, listed, year, attended)


def first_mistake(
    value: Any, variants: Iterable[tuple[str, Any]], *, rel: float = 1e-6, lead: str = ""
) -> None:
    """Fail with the message of the first known mistake whose result equals ``value``.

    Parameters
    ----------
    value : object
        The learner's answer.
    variants : iterable of (str, object)
        Each mistake's message and what that mistake (or combination of mistakes) gives.
    rel : float
        Relative tolerance for numbers (see :func:`clearlib.course.checks.same`).
    lead : str
        Words put before the message ("rate_by_practice: ").

    Examples
    --------
    >>> first_mistake(10, [("You counted both years.", 20), ("Multiply by 1,000.", 0.01)])
    >>> first_mistake(20, [("You counted both years.", 20)], lead="n: ")
    Traceback (most recent call last):
    AssertionError: n: You counted both years.
    """
    for message, mistaken in variants:
        if same(value, mistaken, rel=rel):
            raise AssertionError(lead + message)


def _combine(parts: Iterable[str]) -> str:
    """Join mistakes' sentences into one message: "You did A, and did B. Fix: ..."."""
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    return "Two mistakes together: " + " Also: ".join(parts)


# --- Question checks ---------------------------------------------------------------------


def ran_once(visits: Any) -> None:
    """Check the cell that adds a visit to ``visits`` ran once since the last restart (LO1.1).

    The cell appends to a list made in an earlier cell, so running it again (or running the
    earlier cell after it) changes the answer: the hidden state a restart clears.

    Examples
    --------
    >>> ran_once([12, 15, 9, 20])
    >>> ran_once([12, 15, 9, 20, 20])
    Traceback (most recent call last):
    AssertionError: visits has 5 entries, so the cell that adds the fourth visit ran more than once. Click Kernel → Restart Kernel and Run All Cells: every cell then runs once, from the top.
    """
    if not isinstance(visits, list):
        raise AssertionError(f"visits should be a list; it is a {type(visits).__name__}.")
    if len(visits) > 4:
        raise AssertionError(
            f"visits has {len(visits)} entries, so the cell that adds the fourth visit ran more "
            "than once. Click Kernel → Restart Kernel and Run All Cells: every cell then runs "
            "once, from the top."
        )
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in visits):
        raise AssertionError(
            'visits should hold numbers: append 20, not "20" (no quotes around a number).'
        )
    if len(visits) < 4:
        raise AssertionError(
            f"visits has {len(visits)} entries: add the fourth visit with visits.append(...)."
        )


def list_sizes_mistakes(value: Any, name: str = "list_sizes") -> None:
    """Fail if the list sizes per practice count everyone ever registered, keep the patients
    who died or left, or those who joined after the extract date."""
    is_table(value, name, kind="Series")
    d = pcn_frames()
    p, e = d.patients, d.extract_date
    codes = sorted(d.pcn.practices["practice_code"].astype(str))
    if sorted(str(i) for i in value.index) != codes:
        raise AssertionError(
            f"{name} should have one entry per practice code ({', '.join(codes)}); its index is "
            f"{[str(i) for i in value.index][:8]}."
        )

    def per_practice(keep: pd.Series) -> pd.Series:
        return p[keep].groupby("practice_code", observed=True).size()

    joined = p["registered_on"] <= e
    left = p["deregistered_on"] <= e
    died = p["died_on"] <= e
    first_mistake(
        value,
        [
            (
                f"{name} counts everyone ever registered. Keep only patients registered by 31 "
                "March 2026 who had not left and had not died by then.",
                per_practice(pd.Series(True, index=p.index)),
            ),
            (
                f"{name} still counts patients who died: leave out those with died_on on or "
                "before the extract date.",
                per_practice(joined & ~left),
            ),
            (
                f"{name} still counts patients who left: leave out those with deregistered_on on "
                "or before the extract date.",
                per_practice(joined & ~died),
            ),
        ],
    )


def age_sex_mistakes(value: Any, name: str = "age_sex") -> None:
    """Check the age-sex table's shape (19 bands in order, F and M) and fail on the usual
    mistakes: everyone ever registered, age by subtracting birth years, bands closed on the
    right (``right=True``)."""
    is_table(value, name)
    rows = [str(i).replace("\u2013", "-") for i in value.index]
    if rows != AGE_BAND_LABELS:
        raise AssertionError(
            f"The rows of {name} should be the 19 age bands in order, {AGE_BAND_LABELS[0]} to "
            f"{AGE_BAND_LABELS[-1]}; they are {rows[:4]}... ({len(rows)} rows). Use "
            "labels=AGE_BAND_LABELS and observed=False."
        )
    if sorted(map(str, value.columns)) != ["F", "M"]:
        raise AssertionError(
            f"The columns of {name} should be F and M; they are {list(value.columns)}."
        )
    d = pcn_frames()
    mine = pd.DataFrame(
        value.to_numpy(dtype=float), index=AGE_BAND_LABELS, columns=[str(c) for c in value.columns]
    )[["F", "M"]]

    def table(people: pd.DataFrame, age: pd.Series, right: bool = False) -> pd.DataFrame:
        bands = pd.cut(age, bins=_AGE_BAND_EDGES, right=right, labels=AGE_BAND_LABELS)
        out = people.groupby([bands, "sex"], observed=False).size().unstack("sex")
        return out.reindex(index=AGE_BAND_LABELS, columns=["F", "M"]).astype(float)

    listed, everyone, e = d.listed, d.patients, d.extract_date
    by_year = e.year - listed["birth_date"].dt.year
    variants = [
        (
            f"{name} counts everyone ever registered; count only patients on the list at 31 "
            "March 2026.",
            table(everyone, _age(everyone["birth_date"], e)),
        ),
        (
            f"{name} takes age as the extract year minus the birth year: patients whose birthday "
            "is after 31 March have not had it yet. Use age_in_years(birth_date, extract_date).",
            table(listed, by_year),
        ),
        (
            f"{name}'s bands include their upper edge (right=True): a patient aged exactly 5 "
            "belongs in 5-9. Use pd.cut(..., right=False).",
            table(listed, _age(listed["birth_date"], e), right=True),
        ),
    ]
    for message, wrong in variants:
        if np.allclose(mine.fillna(-1).to_numpy(), wrong.fillna(-1).to_numpy()):
            raise AssertionError(message)


def pyramid_mistakes(fig: Any, age_sex: pd.DataFrame, name: str = "pyramid") -> None:
    """Check a population pyramid: two horizontal bar traces, labelled, one sex pointing left,
    and drawing the counts of ``age_sex`` (not percentages)."""
    import plotly.graph_objects as go

    if not isinstance(fig, go.Figure):
        raise AssertionError(
            f"{name} should be a plotly figure (go.Figure()); it is a {type(fig).__name__}."
        )
    bars = [t for t in fig.data if t.type == "bar"]
    if len(bars) != 2:
        raise AssertionError(f"{name} should have two bar traces (men, women); it has {len(bars)}.")
    if not all(t.orientation == "h" for t in bars):
        raise AssertionError('Make the bars horizontal: orientation="h".')
    for what, text in [
        ("title", fig.layout.title.text),
        ("x-axis label (what the bar lengths count)", fig.layout.xaxis.title.text),
        ("y-axis label (the age bands)", fig.layout.yaxis.title.text),
    ]:
        if not (text or "").strip():
            raise AssertionError(
                f"Give {name} a {what}: pass it through finish(fig, title=..., x=..., y=...)."
            )
    sums = sorted(float(np.nansum(np.asarray(t.x, dtype=float))) for t in bars)
    if not sums[0] < 0 < sums[1]:
        raise AssertionError(
            "One sex's bars should be negative (pointing left) and the other's positive: use "
            'x=-age_sex["M"].'
        )
    drawn = sum(abs(v) for v in sums)
    total = float(np.nansum(age_sex.to_numpy(dtype=float)))
    if abs(drawn - total) > 0.5:
        raise AssertionError(
            f"The bars add up to {drawn:,.4g}, but age_sex counts {total:,.0f} patients: draw the "
            'counts of age_sex (x=age_sex["F"] and x=-age_sex["M"]), not percentages.'
        )


def share_65_mistakes(value: Any, name: str = "share_65_plus") -> None:
    """Fail on the usual mistakes of a percentage aged 65 or over: a 0-1 share, everyone ever
    registered, over 65 (not 65 or over), or the share of the PCN's over-65s."""
    is_table(value, name, kind="Series")
    d = pcn_frames()
    codes = sorted(d.pcn.practices["practice_code"].astype(str))
    if sorted(str(i) for i in value.index) != codes:
        raise AssertionError(
            f"{name} should have one entry per practice code; its index is {list(value.index)}."
        )
    if value.max() <= 1:
        raise AssertionError(
            f"The values of {name} look like fractions (0 to 1): multiply by 100 to make "
            "percentages."
        )
    listed, everyone, e = d.listed, d.patients, d.extract_date

    def share(people: pd.DataFrame, old: pd.Series) -> pd.Series:
        return old.groupby(people["practice_code"], observed=True).mean() * 100

    first_mistake(
        value,
        [
            (
                f"{name} is the share among everyone ever registered: use the patients on the "
                "list.",
                share(everyone, _age(everyone["birth_date"], e) >= 65),
            ),
            (
                f"{name} counts patients over 65 (age > 65): the question asks for 65 or over "
                "(>= 65).",
                share(listed, listed["age"] > 65),
            ),
            (
                f"{name} divides each practice's over-65s by the PCN's over-65s: divide by the "
                "practice's own list (groupby(...).mean() of a True/False column).",
                (listed["age"] >= 65).groupby(listed["practice_code"], observed=True).sum()
                / int((listed["age"] >= 65).sum())
                * 100,
            ),
        ],
    )


def unique_key(columns: Any, table: str, name: str) -> None:
    """Check ``columns`` (a list of names) pick out each row of a PCN table once.

    The check looks at the data, not the dictionary: two rows with the same values in these
    columns mean they are not the key.
    """
    if not isinstance(columns, list | tuple):
        raise AssertionError(f"{name} should be a list of column names.")
    data = getattr(pcn_frames().pcn, table)
    unknown = [c for c in columns if c not in data.columns]
    if unknown:
        raise AssertionError(f"{unknown} are not columns of {table}.")
    if not columns or data.duplicated(subset=list(columns)).any():
        raise AssertionError(
            f"{name} = {list(columns)} does not pick out one row of {table}: several rows share "
            "those values (one patient can be on several registers). Look at "
            f'data_dictionary()["{table}"].primary_key.'
        )
