"""The electronic Frailty Index (eFI) as at any date, for a whole population at once.

Clegg et al., Age Ageing 2016 (FACTS.md §3): the score is the number of the 36 deficits ever
recorded up to the date, divided by 36; categories fit (0-4 deficits), mild (5-8), moderate
(9-13) and severe (14+). The counting itself lives in :mod:`clearlib.data._profile` (the
realism profile uses the same function), so the lessons, the profile and this module agree.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clearlib._exceptions import DataError
from clearlib.data._profile import efi_category, efi_counts
from clearlib.segment import _data

__all__ = ["EFI_CATEGORIES", "N_DEFICITS", "efi"]

#: The number of deficits in the eFI (Clegg 2016).
N_DEFICITS = 36

#: Category, lowest and highest deficit count, score range (Clegg 2016; FACTS.md §3).
EFI_CATEGORIES = pd.DataFrame(
    {
        "category": ["fit", "mild", "moderate", "severe"],
        "min_deficits": [0, 5, 9, 14],
        "max_deficits": [4, 8, 13, 36],
        "score_range": ["<= 0.12", "0.12-0.24", "0.24-0.36", "> 0.36"],
    }
)


def efi(data: Any, as_at: Any = None, *, patient_ids: Any = None) -> pd.DataFrame:
    """eFI deficit count, score and category for every patient, as at a date.

    A deficit counts if it was first recorded on or before ``as_at`` ("ever recorded", as in
    Clegg 2016).

    Parameters
    ----------
    data : PCNData or dict of DataFrame
        Needs the ``frailty_deficits`` table (``patient_id``, ``deficit``,
        ``first_recorded_on``) and, unless ``patient_ids`` is given, ``patients``.
    as_at : date-like, optional
        The date of interest. Default: the dataset's extract date.
    patient_ids : sequence of str, optional
        Whom to score. Default: everyone registered and alive at the end of ``as_at``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``patient_id``: ``efi_deficits`` (int), ``efi_score`` (deficits / 36) and
        ``efi_category`` (ordered categorical: fit < mild < moderate < severe).

    Examples
    --------
    >>> import pandas as pd
    >>> deficits = pd.DataFrame({
    ...     "patient_id": ["a"] * 9 + ["b"],
    ...     "deficit": [f"d{i}" for i in range(9)] + ["falls"],
    ...     "first_recorded_on": pd.to_datetime(["2020-01-01"] * 8 + ["2026-01-01", "2019-05-05"])})
    >>> efi({"frailty_deficits": deficits}, "2025-04-01", patient_ids=["a", "b", "c"])  # doctest: +NORMALIZE_WHITESPACE
                efi_deficits  efi_score efi_category
    patient_id
    a                      8   0.222222         mild
    b                      1   0.027778          fit
    c                      0   0.000000          fit
    """
    _, end = _data.as_at_end(data, as_at)
    if patient_ids is None:
        people = _data.population(data, end)[1]
    else:
        people = _data.People(
            list(patient_ids) if not isinstance(patient_ids, pd.Index) else patient_ids
        )
    return _efi(data, people, end)


def _efi(data: Any, people: _data.People, end: pd.Timestamp) -> pd.DataFrame:
    """eFI from deficits recorded strictly before ``end``, for ``ids`` (no population logic)."""
    deficits = _data.get(data, "frailty_deficits", ["patient_id", "deficit"], ["first_recorded_on"])
    # count on integer positions rather than string ids: the same efi_counts, far faster
    ids = people.ids
    pos = people.positions(deficits["patient_id"])
    keep = pos >= 0
    slim = pd.DataFrame(
        {
            "patient_id": pos[keep],
            "first_recorded_on": deficits["first_recorded_on"].to_numpy()[keep],
        }
    )
    n = efi_counts(slim, pd.RangeIndex(len(ids)), end - _data._TICK).astype("int64")
    n.index = ids
    if (n > N_DEFICITS).any():
        worst = n.idxmax()
        raise DataError(
            f"patient {worst!r} has {int(n.max())} rows in the frailty_deficits table, more than "
            f"the {N_DEFICITS} eFI deficits; expected one row per patient and deficit (first "
            "record only). Drop duplicate (patient_id, deficit) rows."
        )
    out = pd.DataFrame(
        {
            "efi_deficits": n.to_numpy(),
            "efi_score": n.to_numpy() / N_DEFICITS,
            "efi_category": pd.Categorical(
                efi_category(n), categories=EFI_CATEGORIES["category"], ordered=True
            ),
        },
        index=pd.Index(ids, name="patient_id"),
    )
    return out
