"""Workforce reference tables: tasks, who may do them, pay, working time and ARRS.

Each table is a CSV in ``clearlib/reference/`` with a ``source`` column that cites
``FACTS.md`` §6 or says ``assumption``. Edit the CSVs (or pass your own frames to the
functions that take them) to use a PCN's own figures.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
import pandas as pd

from clearlib._config import REFERENCE_DIR
from clearlib._exceptions import DataError
from clearlib.workforce._checks import check_columns, check_known, known_roles

__all__ = [
    "arrs_allocation",
    "arrs_reimbursement",
    "competency_matrix",
    "pay_bands",
    "role_costs",
    "task_competency",
    "task_map",
    "tasks",
    "working_time",
]

#: Financial year whose ARRS allocation is used when none is named.
DEFAULT_YEAR = "2025/26"


@cache
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(
        REFERENCE_DIR / f"{name}.csv",
        dtype={"band": "str", "year": "str"},
        keep_default_na=False,
        na_values=[""],
    )


def tasks() -> pd.DataFrame:
    """The task catalogue: what a PCN's clinicians do, with standard minutes per task.

    Returns
    -------
    pandas.DataFrame
        One row per task: ``code``, ``name``, ``national_category`` (the GP Appointments Data
        category it is usually recorded under; empty for MDT meetings and results),
        ``minutes`` (standard minutes per task when its ``reference_role`` does it),
        ``reference_role``, ``description``, ``source``.

    Examples
    --------
    >>> t = tasks().set_index("code")
    >>> int(t.loc["medication_review", "minutes"]), t.loc["medication_review", "reference_role"]
    (30, 'clinical_pharmacist')
    """
    return _read("tasks").copy()


@cache
def task_codes() -> tuple[str, ...]:
    """Task codes of the catalogue, in file order (read once; a tuple, so nobody can change it)."""
    return tuple(_read("tasks")["code"].tolist())


def task_map() -> pd.DataFrame:
    """How an appointment becomes a task: by national category, and by role where it matters.

    A row with an empty ``role`` is the category's default; a row naming a role overrides it
    (a first contact physiotherapist's routine appointment is an MSK assessment).

    Examples
    --------
    >>> m = task_map()
    >>> m[(m.national_category == "general_routine") & m.role.isna()].task.item()
    'routine_consultation'
    """
    return _read("task_map").copy()


def task_competency() -> pd.DataFrame:
    """The task–competency matrix, long: which roles may do each task, at what relative time.

    ``relative_time`` 1.0 is the task's standard minutes; 1.5 means the role takes half as
    long again (a nurse's minor-illness consultation of 15 minutes against a GP's 10).

    Examples
    --------
    >>> c = task_competency().set_index(["task", "role"]).relative_time
    >>> float(c["minor_acute", "practice_nurse"])
    1.5
    """
    return _read("task_competency").copy()


def competency_matrix(competency: pd.DataFrame | None = None) -> pd.DataFrame:
    """The task–competency matrix as a table: tasks down, roles across, relative time in cells.

    An empty cell (NaN) means the role is not competent for the task.

    Parameters
    ----------
    competency : DataFrame, optional
        A long matrix (``task``, ``role``, ``relative_time``); default :func:`task_competency`.

    Examples
    --------
    >>> m = competency_matrix()
    >>> float(m.loc["medication_review", "clinical_pharmacist"])
    1.0
    >>> bool(np.isnan(m.loc["medication_review", "hca"]))
    True
    """
    comp = validated_competency(competency)
    wide = comp.pivot(index="task", columns="role", values="relative_time")
    order_t = [t for t in task_codes() if t in wide.index]
    order_r = [r for r in known_roles() if r in wide.columns]
    out = wide.reindex(index=order_t, columns=order_r)
    out.index.name, out.columns.name = "task", "role"
    return out


def validated_competency(competency: pd.DataFrame | None = None) -> pd.DataFrame:
    """Check a long competency matrix (known tasks and roles, positive times, no duplicates)."""
    if competency is None:
        return task_competency()
    what = "competency matrix"
    check_columns(competency, ["task", "role", "relative_time"], what)
    check_known(competency["task"], task_codes(), what, "task")
    check_known(competency["role"], known_roles(), what, "role")
    rel = pd.to_numeric(competency["relative_time"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(rel) | (rel <= 0)
    if bad.any():
        rows = competency.loc[bad, ["task", "role"]].astype(str).agg(" by ".join, axis=1)
        raise DataError(
            f"{what}: relative_time must be a number above 0; found {rel[bad][:3].tolist()} "
            f"for {', '.join(rows.head(3))}. A role that cannot do a task has no row at all."
        )
    dup = competency.duplicated(["task", "role"])
    if dup.any():
        first = competency.loc[dup].iloc[0]
        raise DataError(
            f"{what}: task {first['task']!r} and role {first['role']!r} appear more than once; "
            "keep one row per task and role."
        )
    out = competency.loc[:, ["task", "role", "relative_time"]].copy()
    out["relative_time"] = rel
    return out.reset_index(drop=True)


def pay_bands() -> pd.DataFrame:
    """Agenda for Change bands (and salaried GPs): entry, top and midpoint pay, on-cost rate.

    Examples
    --------
    >>> p = pay_bands().set_index("band")
    >>> float(p.loc["7", "midpoint"]), float(p.loc["7", "on_cost_rate"])
    (49478.5, 0.25)
    """
    return _read("pay_bands").copy()


def working_time() -> pd.DataFrame:
    """Working time by role: hours per WTE and the shares lost to leave, training, non-clinical work.

    Clinical hours per WTE a week = ``hours_per_wte`` × (1 − ``leave_share`` −
    ``training_share``) × (1 − ``non_clinical_share``).

    Examples
    --------
    >>> w = working_time().set_index("role")
    >>> round(float(37.5 * (1 - 0.11 - 0.02) * (1 - w.loc["gp", "non_clinical_share"])), 3)
    19.575
    """
    return _read("working_time").copy()


def arrs_allocation() -> pd.DataFrame:
    """ARRS allocation per weighted patient and the share of pay reimbursed, by financial year.

    Examples
    --------
    >>> a = arrs_allocation().set_index("year")
    >>> float(a.loc["2025/26", "per_weighted_patient"])
    26.631
    """
    return _read("arrs_allocation").copy()


def arrs_reimbursement(*, on_cost_rate: float | None = None) -> pd.DataFrame:
    """Maximum ARRS reimbursement per WTE for every role, published or assumed.

    Roles with a published maximum (FACTS.md §6) keep it; the others take their usual band's
    midpoint plus on-costs (GPs: salaried GP entry pay plus on-costs), labelled ``assumption``
    in ``basis``.

    Parameters
    ----------
    on_cost_rate : float, optional
        Employer on-costs as a share of pay for the assumed maxima; default the pay table's 25%.

    Examples
    --------
    >>> r = arrs_reimbursement().set_index("role")
    >>> float(r.loc["clinical_pharmacist", "max_reimbursement_per_wte"])
    65838.0
    >>> float(r.loc["paramedic", "max_reimbursement_per_wte"])  # band 7 midpoint × 1.25
    61848.125
    """
    arrs = _read("arrs").copy()
    pay = pay_bands().set_index("band")
    rate = pay["on_cost_rate"].iloc[0] if on_cost_rate is None else float(on_cost_rate)
    bands = usual_bands()
    assumed = arrs["max_reimbursement_per_wte"].isna()
    basis = np.where(assumed, "assumption", "published")
    values = []
    for role, value in zip(arrs["role"], arrs["max_reimbursement_per_wte"], strict=True):
        if not np.isnan(value):
            values.append(float(value))
        elif role == "gp":
            values.append(float(pay.loc["gp_salaried", "entry"]) * (1 + rate))
        else:
            values.append(float(pay.loc[bands[role], "midpoint"]) * (1 + rate))
    arrs["max_reimbursement_per_wte"] = values
    arrs.insert(3, "basis", basis)
    return arrs


def usual_bands() -> dict[str, str]:
    """Role → its usual pay band code (Agenda for Change band, or ``gp_salaried``)."""
    from clearlib import reference

    roles = reference.roles()
    return {
        code: (str(band) if isinstance(band, str) and band else "gp_salaried")
        for code, band in zip(roles["code"], roles["afc_band"], strict=True)
    }


def role_costs(*, on_cost_rate: float | None = None, salary_scale: float = 1.0) -> pd.DataFrame:
    """The annual cost of 1.0 WTE of each role, and what ARRS reimburses for it.

    Cost per WTE = the usual band's midpoint pay × ``salary_scale`` × (1 + on-cost rate).
    ARRS reimburses, for an ARRS-eligible role, the smaller of that cost and the role's maximum.

    Parameters
    ----------
    on_cost_rate : float, optional
        Employer on-costs as a share of pay (pension and National Insurance); default 25%.
    salary_scale : float, default 1.0
        Multiplies every salary (e.g. 1.05 for a 5% pay award), for sensitivity analysis.

    Returns
    -------
    pandas.DataFrame
        Indexed by role code: ``name``, ``staff_group``, ``band``, ``salary``,
        ``on_cost_rate``, ``cost_per_wte``, ``arrs_eligible``, ``max_reimbursement_per_wte``,
        ``reimbursement_per_wte`` (0 when not eligible).

    Examples
    --------
    >>> c = role_costs()
    >>> float(c.loc["clinical_pharmacist", "cost_per_wte"])  # 49,478.50 × 1.25
    61848.125
    >>> float(c.loc["clinical_pharmacist", "reimbursement_per_wte"])  # under the £65,838 cap
    61848.125
    >>> float(c.loc["advanced_practitioner", "reimbursement_per_wte"])  # 57,129.50 × 1.25
    71411.875
    """
    rate = None if on_cost_rate is None else float(on_cost_rate)
    return _role_costs(rate, salary_scale).copy()


@lru_cache(maxsize=64)
def _role_costs(on_cost_rate: float | None, salary_scale: float) -> pd.DataFrame:
    # Built once per (on-cost rate, salary scale) from the packaged tables; role_costs returns
    # a copy, so callers may change what they get without touching this cache.
    from clearlib import reference

    pay = pay_bands().set_index("band")
    rate = float(pay["on_cost_rate"].iloc[0]) if on_cost_rate is None else float(on_cost_rate)
    roles = reference.roles().set_index("code")
    bands = usual_bands()
    arrs = arrs_reimbursement(on_cost_rate=rate).set_index("role")
    out = pd.DataFrame(index=pd.Index(roles.index, name="role"))
    out["name"] = roles["name"]
    out["staff_group"] = roles["staff_group"]
    out["band"] = [bands[r] for r in out.index]
    out["salary"] = [float(pay.loc[bands[r], "midpoint"]) * salary_scale for r in out.index]
    out["on_cost_rate"] = rate
    out["cost_per_wte"] = out["salary"] * (1 + rate)
    out["arrs_eligible"] = roles["arrs_eligible"].astype(bool)
    out["max_reimbursement_per_wte"] = arrs["max_reimbursement_per_wte"].reindex(out.index)
    out["reimbursement_per_wte"] = np.where(
        out["arrs_eligible"],
        np.minimum(out["cost_per_wte"], out["max_reimbursement_per_wte"]),
        0.0,
    )
    return out


def band_cost(band: str | None, role: str, *, on_cost_rate: float, salary_scale: float) -> float:
    """Annual cost of 1.0 WTE at a given band (the role's usual band when ``band`` is empty)."""
    pay = pay_bands().set_index("band")
    code = band if isinstance(band, str) and band in pay.index else usual_bands()[role]
    return float(pay.loc[code, "midpoint"]) * salary_scale * (1 + on_cost_rate)
