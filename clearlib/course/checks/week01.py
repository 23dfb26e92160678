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

import pandas as pd

from clearlib.course.checks._core import is_table, same

__all__ = [
    "AGE_BAND_LABELS",
    "PCNFrames",
    "first_mistake",
    "not_age_on_wrong_date",
    "not_everyone_ever_registered",
    "not_practice_mistakes",
    "pcn_frames",
    "pyramid_mistakes",
    "run_all_in_order",
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


def run_all_in_order(answers: dict[str, Any]) -> None:
    """Check the answers were made by running the notebook's cells in order (LO1.1).

    ``answers`` holds the question names and the values the learner's cells made; each must be
    present (not ``None``), which is what "Restart Kernel and Run All Cells" gives.

    Examples
    --------
    >>> run_all_in_order({"my_role": "nurse", "n_patients": 3})
    >>> run_all_in_order({"my_role": "nurse", "n_patients": None})
    Traceback (most recent call last):
    AssertionError: n_patients has no value yet: run every cell above, in order (Kernel → Restart Kernel and Run All Cells).
    """
    for name, value in answers.items():
        if value is None:
            raise AssertionError(
                f"{name} has no value yet: run every cell above, in order "
                "(Kernel → Restart Kernel and Run All Cells)."
            )


def not_everyone_ever_registered(value: Any, name: str) -> None:
    """Fail if a count of listed patients counts every row of ``patients`` (or the extract date
    wrongly: the day after, or the patients who left on it kept)."""
    d = pcn_frames()
    p = d.patients
    after = d.extract_date + pd.Timedelta(days=1)
    first_mistake(
        value,
        [
            (
                f"{name} counts every row of patients, everyone ever registered: keep only those "
                "registered on 31 March 2026 who had not left or died by then.",
                len(p),
            ),
            (
                f"{name} keeps patients who left or died on 31 March 2026 itself: they are not on "
                "the list that day (use deregistered_on <= the extract date).",
                int(
                    (
                        (p["registered_on"] <= d.extract_date)
                        & ~(p["deregistered_on"] < d.extract_date)
                        & ~(p["died_on"] < d.extract_date)
                    ).sum()
                ),
            ),
            (
                f"{name} forgets the patients who died: a death ends registration too "
                "(check died_on as well as deregistered_on).",
                int(
                    (
                        (p["registered_on"] <= d.extract_date)
                        & ~(p["deregistered_on"] <= d.extract_date)
                    ).sum()
                ),
            ),
            (
                f"{name} forgets the patients who left: check deregistered_on as well as died_on.",
                int(
                    (
                        (p["registered_on"] <= d.extract_date) & ~(p["died_on"] <= d.extract_date)
                    ).sum()
                ),
            ),
            (
                f"{name} counts patients who registered after 31 March 2026 too "
                "(check registered_on <= the extract date).",
                int(
                    (
                        ~(p["deregistered_on"] <= d.extract_date)
                        & ~(p["died_on"] <= d.extract_date)
                    ).sum()
                ),
            ),
            (
                f"{name} uses the day after the extract date.",
                int(_on_list(p, after).sum()),
            ),
        ],
    )


def not_practice_mistakes(value: pd.Series, name: str) -> None:
    """Fail if list sizes per practice count every row of patients, or left out the leavers'
    or the deaths' rule (the same mistakes as :func:`not_everyone_ever_registered`, by practice)."""
    d = pcn_frames()
    p = d.patients
    e = d.extract_date
    by = "practice_code"
    first_mistake(
        value,
        [
            (
                f"{name} counts every row of patients per practice (everyone ever registered): "
                "count the listed patients only.",
                p.groupby(by, observed=True).size(),
            ),
            (
                f"{name} forgets the patients who died: a death ends registration too.",
                p[(p["registered_on"] <= e) & ~(p["deregistered_on"] <= e)]
                .groupby(by, observed=True)
                .size(),
            ),
            (
                f"{name} forgets the patients who left: check deregistered_on as well as died_on.",
                p[(p["registered_on"] <= e) & ~(p["died_on"] <= e)]
                .groupby(by, observed=True)
                .size(),
            ),
        ],
    )


def not_age_on_wrong_date(value: pd.Series, name: str) -> None:
    """Fail if ages were computed today, or by subtracting years (birthdays not yet reached)."""
    d = pcn_frames()
    birth = d.listed["birth_date"]
    today = pd.Timestamp.today().normalize()
    by_year = d.extract_date.year - birth.dt.year
    by_days = ((d.extract_date - birth).dt.days / 365).astype(int)
    mine = pd.Series(list(value), dtype="float64") if len(value) == len(birth) else None
    if mine is None:
        return
    for message, wrong in [
        (
            f"{name} subtracts birth years: a patient whose birthday falls after 31 March has "
            "not had it yet. Use age_in_years(birth_date, the extract date).",
            by_year,
        ),
        (
            f"{name} divides days by 365, which drifts by a day every four years: use "
            "age_in_years(birth_date, the extract date).",
            by_days,
        ),
        (
            f"{name} is each patient's age today; use the extract date, 31 March 2026.",
            _age(birth, today),
        ),
    ]:
        if mine.equals(pd.Series(list(wrong), dtype="float64")) and not by_year.equals(
            _age(birth, d.extract_date)
        ):
            raise AssertionError(message)


def pyramid_mistakes(value: pd.DataFrame, name: str) -> None:
    """Fail on the usual age-sex table mistakes: everyone ever registered, or bands by count."""
    is_table(value, name)
    d = pcn_frames()
    everyone = d.patients.assign(age_band=_band(_age(d.patients["birth_date"], d.extract_date)))
    wrong = everyone.groupby(["age_band", "sex"], observed=False).size().unstack("sex")
    if value.shape == wrong.shape and same(
        pd.Series(value.to_numpy(dtype=float).ravel()),
        pd.Series(wrong.to_numpy(dtype=float).ravel()),
    ):
        raise AssertionError(
            f"{name} counts everyone ever registered in each band: use the listed patients."
        )
