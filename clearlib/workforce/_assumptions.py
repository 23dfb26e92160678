"""The assumptions a workforce model rests on, in one place, so each can be varied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

import pandas as pd

from clearlib._exceptions import ConfigError
from clearlib.workforce._checks import known_roles

__all__ = ["Assumptions"]

#: Scalar assumptions a tornado varies, with what each means (for charts and explanations).
SCALARS = {
    "demand_scale": "observed demand (× 1.0 = as recorded; 1.03 = 3% growth)",
    "service_scale": "demand from new services (cohort size × needs)",
    "minutes_scale": "minutes per task (every task)",
    "leave_share": "share of paid time on leave",
    "training_share": "share of paid time in training",
    "non_clinical_scale": "non-clinical share of time (every role)",
    "on_cost_rate": "employer on-costs (share of pay)",
    "salary_scale": "pay (every band)",
    "arrs_per_patient": "ARRS allocation per patient (£)",
}

_LABELS = {
    "demand_scale": "Observed demand",
    "service_scale": "New-service demand",
    "minutes_scale": "Minutes per task",
    "leave_share": "Leave",
    "training_share": "Training time",
    "non_clinical_scale": "Non-clinical time",
    "on_cost_rate": "On-costs",
    "salary_scale": "Pay",
    "arrs_per_patient": "ARRS allocation per patient",
}


def _frozen(mapping: Mapping[str, float] | None) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Assumptions:
    """Every assumption of the workforce model, with its default from the reference tables.

    Parameters
    ----------
    demand_scale : float, default 1.0
        Multiplies observed demand (e.g. 1.03 for a year of 3% growth).
    service_scale : float, default 1.0
        Multiplies the demand a scenario's new services add (uncertain cohort size or needs).
    minutes_scale : float, default 1.0
        Multiplies the minutes of every task.
    minutes : mapping, optional
        Task → standard minutes, overriding the task catalogue for those tasks.
    leave_share, training_share : float, optional
        Shares of paid time on leave and in training for every role; default: the working-time
        table (11% and 2%).
    non_clinical_scale : float, default 1.0
        Multiplies every role's non-clinical share.
    non_clinical_share : mapping, optional
        Role → non-clinical share, overriding the working-time table for those roles.
    on_cost_rate : float, default 0.25
        Employer on-costs as a share of pay (FACTS.md §6).
    salary_scale : float, default 1.0
        Multiplies every salary.
    arrs_per_patient : float, default 26.631
        ARRS allocation per patient a year (2025/26, FACTS.md §6); the registered list stands in
        for the weighted list (assumption).

    Examples
    --------
    >>> a = Assumptions(minutes_scale=1.1)
    >>> a.minutes_scale, a.on_cost_rate
    (1.1, 0.25)
    >>> a.with_value("on_cost_rate", 0.3).on_cost_rate
    0.3
    >>> round(Assumptions().value("leave_share"), 2)
    0.11
    """

    demand_scale: float = 1.0
    service_scale: float = 1.0
    minutes_scale: float = 1.0
    minutes: Mapping[str, float] = field(default_factory=dict)
    leave_share: float | None = None
    training_share: float | None = None
    non_clinical_scale: float = 1.0
    non_clinical_share: Mapping[str, float] = field(default_factory=dict)
    on_cost_rate: float = 0.25
    salary_scale: float = 1.0
    arrs_per_patient: float = 26.631

    def __post_init__(self) -> None:
        object.__setattr__(self, "minutes", _frozen(self.minutes))
        object.__setattr__(self, "non_clinical_share", _frozen(self.non_clinical_share))
        for name in SCALARS:
            value = getattr(self, name)
            if value is None:
                continue
            try:
                x = float(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"assumption {name}: expected a number; found {value!r}."
                ) from None
            if not x >= 0 or x == float("inf"):
                raise ConfigError(f"assumption {name}: expected a number 0 or more; found {x}.")
            object.__setattr__(self, name, x)
        for name in ("leave_share", "training_share"):
            v = getattr(self, name)
            if v is not None and v >= 1:
                raise ConfigError(f"assumption {name}: expected a share below 1; found {v}.")
        from clearlib.workforce._reference import tasks

        codes = set(tasks()["code"])
        for task, m in self.minutes.items():
            if task not in codes:
                raise ConfigError(
                    f"assumption minutes: unknown task {task!r}; tasks are {', '.join(sorted(codes))}."
                )
            if not float(m) > 0:
                raise ConfigError(
                    f"assumption minutes.{task}: expected minutes above 0; found {m}."
                )
        roles = known_roles()
        for role, s in self.non_clinical_share.items():
            if role not in roles:
                raise ConfigError(
                    f"assumption non_clinical_share: unknown role {role!r}; roles are {', '.join(roles)}."
                )
            if not 0 <= float(s) < 1:
                raise ConfigError(
                    f"assumption non_clinical_share.{role}: expected a share from 0 to below 1; found {s}."
                )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Assumptions:
        """Build from a mapping (a scenario file's ``[assumptions]``), rejecting unknown keys."""
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(
                f"assumptions: unknown key(s) {', '.join(unknown)}; expected some of "
                f"{', '.join(sorted(names))}."
            )
        return cls(**data)

    def with_value(self, name: str, value: float) -> Assumptions:
        """A copy with one scalar assumption changed."""
        if name not in SCALARS:
            raise ConfigError(f"unknown assumption {name!r}; expected one of {', '.join(SCALARS)}.")
        return replace(self, **{name: value})

    def value(self, name: str) -> float:
        """The value in force for a scalar assumption (defaults resolved from the tables)."""
        if name not in SCALARS:
            raise ConfigError(f"unknown assumption {name!r}; expected one of {', '.join(SCALARS)}.")
        v = getattr(self, name)
        if v is None:
            from clearlib.workforce._reference import working_time

            v = float(working_time()[name].mean())
        return float(v)

    @staticmethod
    def label(name: str) -> str:
        """A plain-language label for a scalar assumption."""
        return _LABELS.get(name, name)

    def task_minutes(self) -> pd.Series:
        """Standard minutes per task under these assumptions."""
        from clearlib.workforce._reference import tasks

        m = tasks().set_index("code")["minutes"].astype(float)
        for task, value in self.minutes.items():
            m[task] = float(value)
        return m * self.minutes_scale

    def working_time(self) -> pd.DataFrame:
        """The working-time table under these assumptions (indexed by role)."""
        from clearlib.workforce._reference import working_time

        wt = working_time().set_index("role")
        if self.leave_share is not None:
            wt["leave_share"] = self.leave_share
        if self.training_share is not None:
            wt["training_share"] = self.training_share
        wt["non_clinical_share"] = (wt["non_clinical_share"] * self.non_clinical_scale).clip(
            upper=0.95
        )
        for role, s in self.non_clinical_share.items():
            wt.loc[role, "non_clinical_share"] = float(s)
        if ((wt["leave_share"] + wt["training_share"]) >= 1).any():
            raise ConfigError("assumptions: leave_share + training_share must be below 1.")
        return wt

    def clinical_hours_per_wte(self) -> pd.Series:
        """Clinical hours a week per 1.0 WTE, by role."""
        wt = self.working_time()
        return (
            wt["hours_per_wte"]
            * (1 - wt["leave_share"] - wt["training_share"])
            * (1 - wt["non_clinical_share"])
        )
