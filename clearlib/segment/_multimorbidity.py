"""Long-term condition (LTC) counts over the QOF registers, as at any date, vectorised.

The 20 registers of the synthetic data are listed in :func:`clearlib.reference.conditions`.
The count covers 19 of them: the palliative care register (PC) records a stage of care, not a
condition, so it is a flag here but not counted. With 19-20 registers the counts come out
lower than studies that use 36-40 conditions (FACTS.md §2): say so when comparing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearlib import reference
from clearlib._exceptions import DataError
from clearlib.segment import _data

__all__ = ["LTC_REGISTERS", "REGISTERS", "ltc_counts"]

#: Every QOF register code of the synthetic data, in reference order.
REGISTERS: tuple[str, ...] = tuple(reference.conditions()["code"])

#: The registers counted as long-term conditions: every register but palliative care (PC).
LTC_REGISTERS: tuple[str, ...] = tuple(c for c in REGISTERS if c != "PC")


def ltc_counts(
    data: Any, as_at: Any = None, *, registers: Any = None, patient_ids: Any = None
) -> pd.DataFrame:
    """One flag per QOF register and the number of long-term conditions, per patient.

    A patient is on a register as at a date if diagnosed on or before it.

    Parameters
    ----------
    data : PCNData or dict of DataFrame
        Needs the ``conditions`` table (``patient_id``, ``condition``, ``diagnosed_on``) and,
        unless ``patient_ids`` is given, ``patients``.
    as_at : date-like, optional
        The date of interest. Default: the dataset's extract date.
    registers : sequence of str, optional
        The registers to count. Default: :data:`LTC_REGISTERS` (all but palliative care).
    patient_ids : sequence of str, optional
        Whom to count. Default: everyone registered and alive at the end of ``as_at``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``patient_id``: one boolean column per register in :data:`REGISTERS`
        (codes outside that list are ignored) and ``ltc_count`` (int) over ``registers``.

    Examples
    --------
    >>> import pandas as pd
    >>> conditions = pd.DataFrame({
    ...     "patient_id": ["a", "a", "a", "b"], "condition": ["HYP", "DM", "PC", "AST"],
    ...     "diagnosed_on": pd.to_datetime(["2010-01-01", "2020-06-01", "2025-01-01", "2026-02-01"])})
    >>> out = ltc_counts({"conditions": conditions}, "2025-04-01", patient_ids=["a", "b"])
    >>> out[["HYP", "DM", "PC", "AST", "ltc_count"]]  # doctest: +NORMALIZE_WHITESPACE
                  HYP     DM     PC    AST  ltc_count
    patient_id
    a            True   True   True  False          2
    b           False  False  False  False          0
    """
    _, end = _data.as_at_end(data, as_at)
    if patient_ids is None:
        people = _data.population(data, end)[1]
    else:
        people = _data.People(
            list(patient_ids) if not isinstance(patient_ids, pd.Index) else patient_ids
        )
    return _ltc(data, people, end, _check_registers(registers))


def _check_registers(registers: Any) -> tuple[str, ...]:
    if registers is None:
        return LTC_REGISTERS
    if isinstance(registers, str):
        registers = [registers]
    regs = tuple(registers)
    unknown = [r for r in regs if r not in REGISTERS]
    if unknown:
        raise DataError(
            f"unknown register code(s) {', '.join(map(repr, unknown))}; the QOF registers are "
            f"{', '.join(REGISTERS)} (clearlib.reference.conditions())."
        )
    return regs


def _ltc(
    data: Any, people: _data.People, end: pd.Timestamp, registers: tuple[str, ...]
) -> pd.DataFrame:
    """Register flags from diagnoses strictly before ``end`` (no population logic)."""
    cond = _data.get(data, "conditions", ["patient_id", "condition"], ["diagnosed_on"])
    flags = _register_matrix(cond, people, end)
    out = pd.DataFrame(flags, index=people.ids, columns=list(REGISTERS))
    cols = [REGISTERS.index(r) for r in registers]
    out["ltc_count"] = flags[:, cols].sum(axis=1).astype("int64")
    return out


def _register_matrix(cond: pd.DataFrame, people: _data.People, end: pd.Timestamp) -> np.ndarray:
    """A (patients x registers) boolean matrix of diagnoses dated before ``end``."""
    keep = cond["diagnosed_on"].to_numpy() < np.datetime64(end)
    pos = people.positions(cond["patient_id"])
    condition = cond["condition"]
    if isinstance(condition.dtype, pd.CategoricalDtype):
        lookup = pd.Index(REGISTERS).get_indexer(condition.cat.categories.astype(str))
        codes = condition.cat.codes.to_numpy()
        code = np.where(codes >= 0, lookup[codes], -1)
    else:
        code = pd.Index(REGISTERS).get_indexer(pd.Index(condition.astype(str).to_numpy()))
    ok = keep & (pos >= 0) & (code >= 0)
    flags = np.zeros((len(people), len(REGISTERS)), dtype=bool)
    flags[pos[ok], code[ok]] = True
    return flags
