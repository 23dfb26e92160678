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

__all__ = ["appointment_categories", "conditions", "efi_deficits", "roles"]

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
