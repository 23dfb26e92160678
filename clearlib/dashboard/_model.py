"""The sponsor model: a run's figures recomputed for the sponsor's choices, from aggregates only.

:class:`SponsorModel` reads a run folder's ``summary.json`` and ``aggregates/*.csv`` (never
patient-level data), rebuilds the as-is service as a :class:`clearlib.workforce.Baseline`
(hours of demand by week, task and role; the team by role, band, ARRS funding and WTE; the
registered list) and the run's scenarios, and recomputes staffing, cost, ARRS and the gap with
:mod:`clearlib.workforce` whenever a sponsor moves a control. The run's workbook computes its
headline with the same functions (:func:`clearlib.projects.scenario_figures`), so the model at
the controls' defaults gives back the run's headline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError
from clearlib.privacy import policy
from clearlib.projects import cohort_needs, scenario_figures, with_controls
from clearlib.workforce import (
    Assumptions,
    Baseline,
    Demand,
    Scenario,
    evaluate,
    task_competency,
)

__all__ = ["SponsorModel"]

#: The aggregate tables the model reads.
TABLES = ("demand_hours", "demand_calendar", "team", "cohort_by_risk_share")


def _read(run: Path, name: str) -> pd.DataFrame:
    path = run / "aggregates" / f"{name}.csv"
    if not path.is_file():
        raise DataError(
            f"{run}: no aggregates/{name}.csv; the sponsor model needs it. Run the project "
            "workbook again with this version of clearlib."
        )
    return pd.read_csv(path, encoding="utf-8-sig")


def _demand(hours: pd.DataFrame, calendar: pd.DataFrame) -> Demand:
    """Rebuild demand from hours: units are hours / (standard minutes x relative time / 60)."""
    cal = calendar.rename(columns={"days_per_week": "days", "open_days_per_week": "open_days"})
    cal["week"] = pd.to_datetime(cal["week"])
    table = hours.copy()
    table["week"] = pd.to_datetime(table["week"])
    minutes = Assumptions().task_minutes()
    rel = task_competency().set_index(["task", "role"])["relative_time"]
    pairs = pd.MultiIndex.from_frame(table[["task", "role"]])
    relative = rel.reindex(pairs).fillna(1.0).to_numpy()
    per_unit = minutes.reindex(table["task"]).to_numpy() * relative / 60.0
    table["units"] = table["hours"].to_numpy() / per_unit
    return Demand(table[["week", "task", "role", "source", "units", "hours"]], cal)


def _compact(demand: Demand) -> Demand:
    """The same demand as one period: every figure here is a weekly average, so equal.

    Hours (and units) a week are totals over the window divided by its weeks; a new service
    spreads its year over open days. Folding the weeks into one period (with all the window's
    days and open days) keeps every average and makes each recomputation fast.
    """
    cal = demand.calendar
    one = pd.DataFrame(
        {
            "week": [cal["week"].iloc[0]],
            "days": [int(cal["days"].sum())],
            "open_days": [int(cal["open_days"].sum())],
        }
    )
    table = demand.table.groupby(["task", "role", "source"], as_index=False)[
        ["units", "hours"]
    ].sum()
    table.insert(0, "week", one["week"].iloc[0])
    return Demand(table, one, minutes=demand.minutes, competency=demand.competency)


def _team(team: pd.DataFrame) -> pd.DataFrame:
    staff = team.copy()
    staff["afc_band"] = staff["afc_band"].astype(object).where(staff["afc_band"].notna(), None)
    staff["afc_band"] = [None if b is None else str(b) for b in staff["afc_band"]]
    staff["arrs_funded"] = staff["arrs_funded"].astype(str).str.lower().eq("true")
    return staff[["role", "afc_band", "arrs_funded", "wte"]]


def _interpolate(table: pd.DataFrame, share: float) -> float | None:
    known = table.dropna()
    if known.empty:
        return None
    x = known["risk_top_share"].to_numpy(dtype=float)
    y = known["cohort_size"].to_numpy(dtype=float)
    order = np.argsort(x)
    return float(np.interp(share, x[order], y[order]))


@dataclass
class SponsorModel:
    """A run's figures, recomputed from its aggregates for the sponsor's choices.

    Build one with :meth:`from_run`. :attr:`controls` lists the sponsor's knobs (as in
    ``summary.json``); :meth:`compute` gives the figures for a scenario under chosen values;
    :meth:`grid` precomputes them over a small grid (for a static export).

    Attributes
    ----------
    summary : dict
        The run's ``summary.json``.
    baseline : clearlib.workforce.Baseline
        The as-is service rebuilt from ``aggregates/demand_hours.csv``,
        ``aggregates/demand_calendar.csv``, ``aggregates/team.csv`` and the list size.
    scenarios : dict of str to clearlib.workforce.Scenario
        The run's scenarios, by name.
    cohort_by_share : DataFrame
        Cohort size by the top share of predicted risk (``aggregates/cohort_by_risk_share.csv``).

    Examples
    --------
    With a run folder made by ``clearlib project run``::

        model = SponsorModel.from_run("runs/<run-id>")
        model.scenario_names                   # ['Proactive care', 'Cheapest mix']
        model.compute("Proactive care", needs_assessment_minutes=75)["gap_wte"]
        model.grid("Proactive care")           # one control at a time, for a static page
    """

    summary: dict[str, Any]
    baseline: Baseline
    scenarios: dict[str, Scenario]
    cohort_by_share: pd.DataFrame
    _fast: Baseline = field(init=False, repr=False)
    _today: pd.Series = field(init=False, repr=False)
    _cache: dict[tuple, dict] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        dated = any("starts_on" in c for s in self.scenarios.values() for c in s.changes)
        b = self.baseline
        self._fast = b if dated else Baseline(_compact(b.demand), b.staff, b.list_size, b.name)
        self._today = evaluate(self._fast)

    @classmethod
    def from_run(cls, run_folder: str | Path) -> SponsorModel:
        """Read a run folder's ``summary.json`` and aggregates (nothing else).

        Raises
        ------
        clearlib.DataError
            If ``summary.json`` or an aggregate the model needs is missing or unreadable.
        """
        run = Path(run_folder)
        path = run / "summary.json"
        if not path.is_file():
            raise DataError(
                f"{run}: no summary.json. Give the folder of a completed project run "
                "(runs/<run-id>/)."
            )
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc}).") from None
        if summary.get("schema_version") != 1:
            raise DataError(
                f"{path}: schema_version {summary.get('schema_version')!r}; this clearlib reads "
                "version 1. Run the workbook again with this version of clearlib."
            )
        demand = _demand(_read(run, "demand_hours"), _read(run, "demand_calendar"))
        staff = _team(_read(run, "team"))
        list_size = float(summary["pcn"]["list_size"])
        baseline = Baseline(demand, staff, list_size)
        scenarios = {}
        for item in summary.get("scenarios", []):
            definition = item.get("definition")
            if definition is None:
                raise DataError(
                    f"{path}: scenario {item.get('name')!r} has no definition; run the workbook "
                    "again with this version of clearlib."
                )
            scenarios[item["name"]] = Scenario.from_dict(definition, path=item.get("file", ""))
        shares = _read(run, "cohort_by_risk_share")
        shares["cohort_size"] = pd.to_numeric(shares["cohort_size"], errors="coerce")
        return cls(summary, baseline, scenarios, shares)

    # -- reading -------------------------------------------------------------------------------
    @property
    def scenario_names(self) -> list[str]:
        """The run's scenarios, in the order the workbook ran them."""
        return list(self.scenarios)

    @property
    def controls(self) -> list[dict[str, Any]]:
        """The sponsor's controls: ``name``, ``label``, ``value``, ``min``, ``max``, ``step``,
        ``unit`` (and ``values`` where only some values were computed)."""
        return [dict(c) for c in self.summary.get("controls", [])]

    def defaults(self) -> dict[str, float]:
        """Each control's value in the run."""
        return {c["name"]: float(c["value"]) for c in self.controls}

    # -- computing -----------------------------------------------------------------------------
    def cohort_size(self, risk_top_share: float) -> int:
        """People in the cohort when the risk route takes this top share (as published).

        Between the shares the workbook computed, the size is interpolated, then hidden (0) or
        rounded as the run's disclosure policy says.
        """
        default = self.defaults().get("risk_top_share")
        if default is not None and math.isclose(risk_top_share, default):
            size = self.summary["headline"].get("cohort_size")
            if size is not None:
                return int(size)
        size = _interpolate(self.cohort_by_share, float(risk_top_share))
        if size is None:
            return 0
        return policy(self.summary["policy"]["name"]).protect(round(size)) or 0

    def _check(self, values: Mapping[str, Any]) -> dict[str, float]:
        known = {c["name"]: c for c in self.controls}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(
                f"unknown control(s) {', '.join(unknown)}; the controls are {', '.join(known)}."
            )
        out = self.defaults()
        for name, value in values.items():
            c = known[name]
            try:
                x = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"control {name}: expected a number; found {value!r}.") from None
            if not c["min"] - 1e-9 <= x <= c["max"] + 1e-9:
                raise ConfigError(
                    f"control {name}: expected a value from {c['min']:g} to {c['max']:g} "
                    f"{c.get('unit', '')}; found {x:g}."
                )
            out[name] = x
        return out

    def compute(self, scenario: str, **control_values: float) -> dict[str, Any]:
        """The figures the dashboard shows for a scenario under the sponsor's choices.

        Parameters
        ----------
        scenario : str
            One of :attr:`scenario_names`.
        **control_values
            Values for some of :attr:`controls` (the others keep their defaults):
            ``needs_assessment_minutes``, ``risk_top_share``, ``care_coordinator_wte``.

        Returns
        -------
        dict
            ``scenario``, ``controls`` (the values used), ``cohort_size``,
            ``cohort_hours_per_year``, ``cohort_wte``, and the figures of
            :func:`clearlib.projects.scenario_figures`: staffing today and proposed (WTE by
            role), ``cost_today``, ``cost_proposed``, ``pcn_cost_proposed``,
            ``arrs_allocation``, ``arrs_claimed``, ``arrs_headroom``, ``gap_hours_per_week``,
            ``gap_wte``, ``gap_by_role`` ...

        Raises
        ------
        clearlib.ConfigError
            For an unknown scenario or control, or a value outside the control's range.
        """
        if scenario not in self.scenarios:
            raise ConfigError(
                f"unknown scenario {scenario!r}; the run's scenarios are "
                f"{', '.join(self.scenario_names)}."
            )
        values = self._check(control_values)
        key = (scenario, *sorted(values.items()))
        if key not in self._cache:
            self._cache[key] = self._compute(scenario, values)
        return _copy(self._cache[key])

    def _compute(self, name: str, values: dict[str, float]) -> dict[str, Any]:
        size = self.cohort_size(values.get("risk_top_share", 0.0))
        minutes = values.get("needs_assessment_minutes")
        scenario = with_controls(
            self.scenarios[name],
            cohort_size=size,
            needs_assessment_minutes=minutes,
            care_coordinator_wte=values.get("care_coordinator_wte"),
        )
        needs = cohort_needs(size, minutes)
        figures = scenario_figures(self._fast, scenario, today=self._today)
        return {
            "scenario": name,
            "controls": dict(values),
            "cohort_size": size,
            "cohort_hours_per_year": needs["hours_per_year"],
            "cohort_wte": needs["wte"],
            **figures,
        }

    def grid(self, scenario: str, *, points: int = 5) -> list[dict[str, Any]]:
        """Figures over a small grid: each control in turn over ``points`` values, others at default.

        For a static export that cannot recompute: about ``1 + controls x points`` rows. A
        control that lists its ``values`` (the only ones the run computed) uses all of them.

        Returns
        -------
        list of dict
            The result of :meth:`compute` for each combination (the defaults first).
        """
        rows = [self.compute(scenario)]
        seen = {tuple(sorted(self.defaults().items()))}
        for c in self.controls:
            if c.get("values"):
                choices = [float(v) for v in c["values"]]
            else:
                choices = np.linspace(float(c["min"]), float(c["max"]), points).tolist()
            for v in choices:
                step = float(c.get("step") or 0)
                if step > 0:
                    v = float(c["min"]) + round((v - float(c["min"])) / step) * step
                v = round(v, 10)
                values = {**self.defaults(), c["name"]: v}
                key = tuple(sorted(values.items()))
                if key in seen:
                    continue
                seen.add(key)
                rows.append(self.compute(scenario, **{c["name"]: v}))
        return rows


def _copy(result: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in result.items()}
