"""Packaged reference tables, each with its source.

Each function returns a fresh :class:`pandas.DataFrame` read from a CSV beside this file.

Examples
--------
>>> from clearlib import reference
>>> len(reference.efi_deficits())
36
>>> "DM" in set(reference.conditions()["code"])
True
>>> bool(reference.roles().set_index("code").loc["clinical_pharmacist", "arrs_eligible"])
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

__all__ = [
    "appointment_categories",
    "arrs",
    "arrs_allocation",
    "conditions",
    "efi_deficits",
    "pay_bands",
    "roles",
    "task_competency",
    "task_map",
    "tasks",
    "working_time",
]

_HERE = Path(__file__).resolve().parent


@cache
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(
        _HERE / f"{name}.csv",
        dtype={"afc_band": "string"},
        keep_default_na=False,
        true_values=["true"],
        false_values=["false"],
    )


def conditions() -> pd.DataFrame:
    """QOF registers: code, name, minimum age, the eFI deficit each implies, source."""
    return _read("conditions").copy()


def efi_deficits() -> pd.DataFrame:
    """The 36 deficits of the electronic Frailty Index (Clegg et al., Age Ageing 2016)."""
    return _read("efi_deficits").copy()


def appointment_categories() -> pd.DataFrame:
    """The 16 national appointment categories of GP Appointments Data (NHS Digital)."""
    return _read("appointment_categories").copy()


def roles() -> pd.DataFrame:
    """Practice and PCN roles: staff group, usual Agenda for Change band, ARRS eligibility."""
    return _read("roles").copy()


# Workforce tables (FACTS.md §6). They are read and checked by clearlib.workforce; these names
# make them findable here with the rest, without importing the optimiser's dependencies.
def tasks() -> pd.DataFrame:
    """The task catalogue: national category, minutes per task, reference role, source."""
    from clearlib.workforce import _reference

    return _reference.tasks()


def task_map() -> pd.DataFrame:
    """Which task each national appointment category (and role, where it matters) counts as."""
    from clearlib.workforce import _reference

    return _reference.task_map()


def task_competency() -> pd.DataFrame:
    """Which roles may do each task, and at what time relative to the reference role."""
    from clearlib.workforce import _reference

    return _reference.task_competency()


def pay_bands() -> pd.DataFrame:
    """Agenda for Change 2024/25 bands (entry, top, midpoint) and salaried GP pay, with on-costs."""
    from clearlib.workforce import _reference

    return _reference.pay_bands()


def working_time() -> pd.DataFrame:
    """Hours per WTE, leave and non-clinical share by role (assumptions labelled)."""
    from clearlib.workforce import _reference

    return _reference.working_time()


def arrs_allocation() -> pd.DataFrame:
    """The PCN's ARRS allocation per weighted patient, by year."""
    from clearlib.workforce import _reference

    return _reference.arrs_allocation()


def arrs() -> pd.DataFrame:
    """Maximum ARRS reimbursement per WTE by role (published maxima; others labelled)."""
    from clearlib.workforce import _reference

    return _reference.arrs_reimbursement()
