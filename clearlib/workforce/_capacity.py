"""Capacity: from a staff roster to clinical hours per role per week, and what the team costs.

Clinical hours per week of one person = WTE × hours per WTE × (1 − leave − training)
× (1 − non-clinical share): annual averages, so leave is spread over the year.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError
from clearlib.workforce._assumptions import Assumptions
from clearlib.workforce._checks import check_columns, check_known, check_non_negative, known_roles
from clearlib.workforce._reference import pay_bands, role_costs

__all__ = ["Capacity", "team_cost"]

HOUR_COLUMNS = (
    "paid_hours",
    "leave_hours",
    "training_hours",
    "non_clinical_hours",
    "clinical_hours",
)


def validate_staff(staff: pd.DataFrame, what: str = "staff") -> None:
    """Check a roster: known roles, WTE a number 0 or more, known bands where given."""
    check_columns(staff, ["role", "wte"], what)
    check_known(staff["role"], known_roles(), what, "role")
    check_non_negative(staff, "wte", what, "staff_id")
    if "afc_band" in staff.columns:
        bands = staff["afc_band"].dropna().astype(str)
        bands = bands[bands != ""]
        check_known(bands, pay_bands()["band"], what, "afc_band")


class Capacity:
    """Clinical hours a week by role (and by practice or PCN), from a staff roster.

    Parameters
    ----------
    table : DataFrame
        One row per role (and ``group``): ``role``, ``people``, ``wte``, ``paid_hours``,
        ``leave_hours``, ``training_hours``, ``non_clinical_hours``, ``clinical_hours``
        (hours a week, annual averages). Usually made by :meth:`from_staff`.

    Examples
    --------
    >>> staff = pd.DataFrame({"role": ["gp", "gp", "practice_nurse"], "wte": [1.0, 0.6, 0.8]})
    >>> cap = Capacity.from_staff(staff)
    >>> cap.per_week().round(3).to_dict()  # 1.6 × 37.5 × 0.87 × 0.6; 0.8 × 37.5 × 0.87 × 0.7
    {'gp': 31.32, 'practice_nurse': 18.27}
    """

    def __init__(self, table: pd.DataFrame) -> None:
        check_columns(table, ["role", "wte", *HOUR_COLUMNS], "capacity table")
        check_known(table["role"], known_roles(), "capacity table", "role")
        check_non_negative(table, "wte", "capacity table", None)
        self._table = table.reset_index(drop=True).copy()

    @classmethod
    def from_staff(
        cls,
        staff: pd.DataFrame,
        *,
        by: str | None = None,
        assumptions: Assumptions | None = None,
    ) -> Capacity:
        """Sum a roster into hours a week by role.

        Parameters
        ----------
        staff : DataFrame
            One row per person: ``role``, ``wte`` (and ``pcn_code`` or ``practice_code`` to
            keep groups apart). PCN-employed staff have no practice: group by ``pcn_code``.
        by : {None, "pcn_code", "practice_code"}, optional
            Keep capacity separate for each PCN or practice (a ``group`` column).
        assumptions : Assumptions, optional
            Leave, training and non-clinical shares; default the working-time table.

        Raises
        ------
        DataError
            On an unknown role, a missing or negative WTE or an unknown pay band.
        """
        validate_staff(staff)
        a = assumptions or Assumptions()
        wt = a.working_time()
        keys = ["role"]
        df = pd.DataFrame({"role": staff["role"].astype(str).to_numpy()})
        if by is not None:
            if by not in ("pcn_code", "practice_code"):
                raise ConfigError(
                    f"by: expected None, 'pcn_code' or 'practice_code'; found {by!r}."
                )
            check_columns(staff, [by], "staff")
            if staff[by].isna().any():
                raise DataError(
                    f"staff: {int(staff[by].isna().sum())} row(s) have no {by} (PCN-employed staff "
                    "have no practice); group by 'pcn_code' instead."
                )
            df.insert(0, "group", staff[by].astype(str).to_numpy())
            keys = ["group", "role"]
        df["people"] = 1
        df["wte"] = pd.to_numeric(staff["wte"]).to_numpy(dtype=float)
        out = df.groupby(keys, as_index=False, sort=True)[["people", "wte"]].sum()
        w = wt.reindex(out["role"])
        paid = out["wte"].to_numpy() * w["hours_per_wte"].to_numpy()
        leave = paid * w["leave_share"].to_numpy()
        training = paid * w["training_share"].to_numpy()
        non_clinical = (paid - leave - training) * w["non_clinical_share"].to_numpy()
        out["paid_hours"] = paid
        out["leave_hours"] = leave
        out["training_hours"] = training
        out["non_clinical_hours"] = non_clinical
        out["clinical_hours"] = paid - leave - training - non_clinical
        return cls(out)

    @property
    def table(self) -> pd.DataFrame:
        """The table (a copy): [group,] role, people, wte and hours a week."""
        return self._table.copy()

    @property
    def groups(self) -> list[str]:
        """PCN or practice codes, if capacity is kept by group (else an empty list)."""
        return sorted(self._table["group"].unique()) if "group" in self._table else []

    def for_group(self, group: str) -> Capacity:
        """The capacity of one PCN or practice."""
        if group not in self.groups:
            raise ConfigError(
                f"no group {group!r} in this capacity; groups are {', '.join(self.groups) or 'none'}."
            )
        return Capacity(self._table[self._table["group"] == group].drop(columns="group"))

    def per_week(self, by: str | Sequence[str] = "role", *, value: str = "clinical_hours") -> Any:
        """Hours a week (clinical by default; or ``wte``, ``paid_hours``...) by role.

        Examples
        --------
        >>> cap = Capacity.from_staff(pd.DataFrame({"role": ["hca", "hca"], "wte": [1.0, 0.5]}))
        >>> cap.per_week(value="wte").to_dict()
        {'hca': 1.5}
        """
        if value not in ("wte", "people", *HOUR_COLUMNS):
            raise ConfigError(
                f"value: expected one of wte, people, {', '.join(HOUR_COLUMNS)}; found {value!r}."
            )
        keys = [by] if isinstance(by, str) else list(by)
        return self._table.groupby(keys, sort=True)[value].sum()

    def weekly(self, calendar: pd.DataFrame) -> pd.DataFrame:
        """Clinical hours in each week of a calendar: weeks down, roles across.

        The year's hours are spread over weeks in proportion to open days, so a bank-holiday
        week has less capacity and the total over the window is unchanged.

        Parameters
        ----------
        calendar : DataFrame
            ``week``, ``days``, ``open_days`` (e.g. ``Demand.calendar``).

        Examples
        --------
        >>> cap = Capacity.from_staff(pd.DataFrame({"role": ["gp"], "wte": [1.0]}))
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-05-05", "2025-05-12"]),
        ...                     "days": [7, 7], "open_days": [4, 5]})  # a bank holiday Monday
        >>> cap.weekly(cal)["gp"].round(3).tolist()  # 2 × 19.575 shared 4:5
        [17.4, 21.75]
        """
        check_columns(calendar, ["week", "days", "open_days"], "calendar")
        per = self.per_week()
        open_days = calendar["open_days"].to_numpy(dtype=float)
        total_weeks = float(calendar["days"].sum()) / 7.0
        if open_days.sum() <= 0:
            raise DataError("calendar: no open days.")
        share = open_days / open_days.sum() * total_weeks
        out = pd.DataFrame(
            np.outer(share, per.to_numpy()),
            index=pd.Index(pd.to_datetime(calendar["week"]), name="week"),
            columns=pd.Index(per.index, name="role"),
        )
        return out

    def __repr__(self) -> str:
        return (
            f"Capacity({self._table['wte'].sum():,.1f} WTE in {self._table['role'].nunique()} "
            f"roles, {self._table['clinical_hours'].sum():,.1f} clinical hours a week)"
        )


def team_cost(
    staff: pd.DataFrame,
    *,
    assumptions: Assumptions | None = None,
    arrs_budget: float | None = None,
) -> pd.DataFrame:
    """What a team costs a year, by role: pay with on-costs, ARRS reimbursement, PCN share.

    Each person costs their band's midpoint pay (the role's usual band when ``afc_band`` is
    empty; salaried GP pay for GPs) plus on-costs, × WTE. An ARRS-funded post is reimbursed up
    to the role's maximum. The PCN (or practice) pays the rest.

    Parameters
    ----------
    staff : DataFrame
        ``role``, ``wte``; optional ``afc_band`` and ``arrs_funded`` (default False).
    assumptions : Assumptions, optional
        On-cost rate and pay scale.
    arrs_budget : float, optional
        If given, reimbursement beyond it is not paid: ARRS-funded roles are scaled down
        pro rata and the excess falls to the PCN (a ``note`` attribute says so).

    Returns
    -------
    DataFrame
        Indexed by role: ``wte``, ``arrs_wte``, ``cost``, ``arrs_reimbursement``, ``pcn_cost``.

    Examples
    --------
    >>> staff = pd.DataFrame({"role": ["clinical_pharmacist", "gp"], "wte": [1.0, 0.5],
    ...                       "arrs_funded": [True, False]})
    >>> team_cost(staff).round(2).loc["clinical_pharmacist"].to_dict()
    {'wte': 1.0, 'arrs_wte': 1.0, 'cost': 61848.12, 'arrs_reimbursement': 61848.12, 'pcn_cost': 0.0}
    >>> float(team_cost(staff).loc["gp", "cost"])  # 0.5 × 91,500 × 1.25
    57187.5
    """
    validate_staff(staff)
    a = assumptions or Assumptions()
    costs = role_costs(on_cost_rate=a.on_cost_rate, salary_scale=a.salary_scale)
    pay = pay_bands().set_index("band")["midpoint"]
    role = staff["role"].astype(str).to_numpy()
    wte = pd.to_numeric(staff["wte"]).to_numpy(dtype=float)
    if "afc_band" in staff.columns:
        band = staff["afc_band"].astype(object).where(staff["afc_band"].notna(), None).to_numpy()
    else:
        band = np.full(len(staff), None, dtype=object)
    usual = costs["band"].reindex(role).to_numpy()
    band = np.where(pd.isna(band) | (band == ""), usual, band).astype(str)
    cost_per_wte = pay.reindex(band).to_numpy() * a.salary_scale * (1 + a.on_cost_rate)
    funded = (
        staff["arrs_funded"].fillna(False).astype(bool).to_numpy()
        if "arrs_funded" in staff.columns
        else np.zeros(len(staff), bool)
    )
    eligible = costs["arrs_eligible"].reindex(role).to_numpy()
    if (funded & ~eligible).any():
        bad = sorted(set(role[funded & ~eligible]))
        raise DataError(
            f"staff: arrs_funded is true for role(s) {', '.join(bad)}, which are not ARRS-eligible "
            "(clearlib/reference/roles.csv); set arrs_funded to false for them."
        )
    cap = costs["max_reimbursement_per_wte"].reindex(role).to_numpy()
    cost = cost_per_wte * wte
    reimb = np.where(funded, np.minimum(cost_per_wte, cap) * wte, 0.0)
    df = pd.DataFrame(
        {"role": role, "wte": wte, "arrs_wte": np.where(funded, wte, 0.0), "cost": cost}
    )
    df["arrs_reimbursement"] = reimb
    out = df.groupby("role", sort=False).sum()
    order = [r for r in known_roles() if r in out.index]
    out = out.loc[order]
    note = ""
    total_reimb = float(out["arrs_reimbursement"].sum())
    if arrs_budget is not None and total_reimb > arrs_budget:
        factor = arrs_budget / total_reimb
        note = (
            f"ARRS claims of £{total_reimb:,.0f} exceed the budget of £{arrs_budget:,.0f}: "
            f"only {factor:.0%} is reimbursed; the PCN pays the rest."
        )
        out["arrs_reimbursement"] *= factor
    out["pcn_cost"] = out["cost"] - out["arrs_reimbursement"]
    out.index.name = "role"
    out.attrs["note"] = note
    return out
