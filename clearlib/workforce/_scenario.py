"""Scenarios: as-is against to-be, from small declarative TOML files, and their sensitivity.

A scenario file (``datasets/synthetic/scenarios/*.toml``) names a change to the service::

    schema_version = 1
    name = "Same-day hub"
    description = "Advanced practitioners and paramedics take a share of same-day work."

    [assumptions]              # optional: override any assumption (see Assumptions)
    demand_scale = 1.02

    [[changes]]
    type = "move_tasks"        # one of: add_wte, remove_wte, move_tasks, new_service,
    task = "minor_acute"       #         remove_demand, scale_demand
    from_role = "gp"
    to_role = "advanced_practitioner"
    share = 0.3
    source = "why: the evidence or the assumption behind this change"

    [optimise]                 # optional: replace the team by the cheapest that meets demand
    min_gp_share = 0.8

Each change type is a function in a registry (:data:`CHANGE_TYPES`); add one with
:func:`register_change`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError
from clearlib.workforce._assumptions import SCALARS, Assumptions
from clearlib.workforce._capacity import Capacity, team_cost, validate_staff
from clearlib.workforce._checks import known_roles
from clearlib.workforce._demand import OBSERVED, REFERENCE_ROLE, Demand
from clearlib.workforce._reference import role_costs, task_codes

__all__ = [
    "CHANGE_TYPES",
    "Baseline",
    "Scenario",
    "compare",
    "evaluate",
    "load_scenario",
    "register_change",
    "scenario_names",
    "sensitivity",
]

SCHEMA_VERSION = 1

#: Metrics of :func:`evaluate`, in order, with their meaning.
METRICS = {
    "list_size": "registered patients",
    "demand_hours_per_week": "clinical hours of demand a week",
    "capacity_hours_per_week": "clinical hours of capacity a week",
    "gap_hours_per_week": "demand − capacity, hours a week (positive: a shortfall)",
    "shortfall_hours_per_week": "sum of each role's shortfall, hours a week",
    "gp_hours_per_week": "GP clinical hours of demand a week",
    "gp_hours_released": "GP hours a week freed compared with as-is",
    "wte": "whole-time equivalents",
    "gp_wte": "GP whole-time equivalents",
    "total_cost": "employment cost a year (£)",
    "arrs_reimbursement": "ARRS reimbursement a year (£)",
    "pcn_cost": "cost to the PCN after reimbursement a year (£)",
    "arrs_budget": "ARRS allocation a year (£)",
    "cost_per_patient": "employment cost per registered patient a year (£)",
}


# ---------------------------------------------------------------------------------------------
# Baseline
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Baseline:
    """The as-is service: observed demand, the staff roster and the registered list.

    Parameters
    ----------
    demand : Demand
        Observed demand of one PCN (no groups).
    staff : DataFrame
        The roster: ``role``, ``wte`` (and ``afc_band``, ``arrs_funded``).
    list_size : float
        Registered patients (for cost per patient and the ARRS allocation).
    name : str, default "As-is"
        The column name in :func:`compare`.

    Examples
    --------
    >>> import clearlib
    >>> base = Baseline.from_pcn(clearlib.load_pcn("default"))  # doctest: +SKIP
    >>> base.list_size  # doctest: +SKIP
    48034
    """

    demand: Demand
    staff: pd.DataFrame
    list_size: float
    name: str = "As-is"

    def __post_init__(self) -> None:
        if not isinstance(self.demand, Demand):
            raise ConfigError(
                f"Baseline: demand must be a Demand; found {type(self.demand).__name__}."
            )
        if self.demand.groups:
            raise ConfigError("Baseline: demand must be for one PCN (use demand.for_group(code)).")
        validate_staff(self.staff)
        if not (isinstance(self.list_size, int | float) and self.list_size > 0):
            raise ConfigError(
                f"Baseline: list_size must be a number above 0; found {self.list_size!r}."
            )

    @classmethod
    def from_pcn(cls, pcn: Any, pcn_code: str | None = None, **demand_options: Any) -> Baseline:
        """The baseline of one PCN of a dataset (the only one if ``pcn_code`` is None).

        Parameters
        ----------
        pcn : PCNData
            From :func:`clearlib.load_pcn`.
        pcn_code : str, optional
            Which PCN, when the dataset holds several (the ICS).
        **demand_options
            Passed to :meth:`Demand.from_appointments` (e.g. ``minutes="observed"``).
        """
        practices = pcn.practices
        codes = sorted(practices["pcn_code"].astype(str).unique())
        if pcn_code is None:
            if len(codes) != 1:
                raise ConfigError(
                    f"Baseline.from_pcn: the dataset has {len(codes)} PCNs; name one with "
                    f"pcn_code= ({', '.join(codes[:5])}{' ...' if len(codes) > 5 else ''})."
                )
            pcn_code = codes[0]
        if pcn_code not in codes:
            raise ConfigError(
                f"Baseline.from_pcn: no PCN {pcn_code!r}; PCNs are {', '.join(codes)}."
            )
        mine = practices[practices["pcn_code"].astype(str) == pcn_code]
        appts = pcn.appointments
        if len(codes) > 1:
            appts = appts[appts["practice_code"].isin(mine["practice_code"])]
        staff = pcn.staff[pcn.staff["pcn_code"].astype(str) == pcn_code].reset_index(drop=True)
        demand = Demand.from_appointments(appts, **demand_options)
        return cls(demand, staff, float(mine["list_size"].sum()), "As-is")


# ---------------------------------------------------------------------------------------------
# Change types: a registry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChangeType:
    """A kind of change a scenario can make: its keys and the function that applies it."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    apply: Callable[[State, Mapping[str, Any], Assumptions], State]
    doc: str = ""


@dataclass(frozen=True)
class State:
    """What a change acts on: demand, the roster and the registered list."""

    demand: Demand
    staff: pd.DataFrame
    list_size: float


#: Change types by name (``type = "..."`` in a scenario file).
CHANGE_TYPES: dict[str, ChangeType] = {}


def register_change(
    name: str, *, required: Sequence[str] = (), optional: Sequence[str] = ()
) -> Callable[[Callable[..., State]], Callable[..., State]]:
    """Register a change type for scenario files (a decorator).

    The function takes ``(state, change, assumptions)`` and returns a new :class:`State`.
    Every change also accepts ``source`` (the evidence or assumption behind it).
    """

    def wrap(fn: Callable[..., State]) -> Callable[..., State]:
        CHANGE_TYPES[name] = ChangeType(
            name, tuple(required), (*optional, "source", "type"), fn, (fn.__doc__ or "").strip()
        )
        return fn

    return wrap


def _role(value: Any, where: str) -> str:
    if value not in known_roles():
        raise ConfigError(f"{where}: unknown role {value!r}; roles are {', '.join(known_roles())}.")
    return str(value)


def _task(value: Any, where: str) -> str:
    codes = task_codes()
    if value not in codes:
        raise ConfigError(f"{where}: unknown task {value!r}; tasks are {', '.join(codes)}.")
    return str(value)


def _number(value: Any, where: str, *, high: float = float("inf"), positive: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected a number; found {value!r}.") from None
    if not np.isfinite(x) or x < 0 or x > high or (positive and x == 0):
        bound = (
            f"from 0 to {high:g}"
            if high != float("inf")
            else ("above 0" if positive else "0 or more")
        )
        raise ConfigError(f"{where}: expected a number {bound}; found {x:g}.")
    return x


@register_change("add_wte", required=("role", "wte"), optional=("arrs_funded", "afc_band"))
def _add_wte(state: State, change: Mapping[str, Any], a: Assumptions) -> State:
    """Recruit WTE of a role (ARRS-funded by default when the role is eligible)."""
    role = _role(change["role"], "add_wte")
    wte = _number(change["wte"], "add_wte: wte", positive=True)
    eligible = bool(role_costs().loc[role, "arrs_eligible"])
    funded = bool(change.get("arrs_funded", eligible))
    row = {
        "staff_id": f"NEW-{role}-{len(state.staff) + 1}",
        "role": role,
        "wte": wte,
        "arrs_funded": funded,
    }
    if "afc_band" in change:
        row["afc_band"] = str(change["afc_band"])
    staff = pd.concat([state.staff, pd.DataFrame([row])], ignore_index=True)
    return State(state.demand, staff, state.list_size)


@register_change("remove_wte", required=("role", "wte"))
def _remove_wte(state: State, change: Mapping[str, Any], a: Assumptions) -> State:
    """Reduce a role's WTE (each post shrinks in proportion), e.g. a retirement not replaced."""
    role = _role(change["role"], "remove_wte")
    wte = _number(change["wte"], "remove_wte: wte", positive=True)
    staff = state.staff.copy()
    mine = (staff["role"].astype(str) == role).to_numpy()
    have = float(staff.loc[mine, "wte"].sum())
    if wte > have + 1e-9:
        raise ConfigError(
            f"remove_wte: cannot remove {wte:g} WTE {role}; the team has {have:g} WTE of that role."
        )
    staff.loc[mine, "wte"] = staff.loc[mine, "wte"] * (1 - wte / have)
    staff = staff[~mine | (staff["wte"] > 1e-9)].reset_index(drop=True)
    return State(state.demand, staff, state.list_size)


@register_change("move_tasks", required=("task", "from_role", "to_role"), optional=("share",))
def _move_tasks(state: State, change: Mapping[str, Any], a: Assumptions) -> State:
    """Move a share of one role's units of a task to another competent role."""
    task = _task(change["task"], "move_tasks")
    frm = _role(change["from_role"], "move_tasks: from_role")
    to = _role(change["to_role"], "move_tasks: to_role")
    share = _number(change.get("share", 1.0), "move_tasks: share", high=1.0)
    return State(state.demand.move(task, frm, to, share), state.staff, state.list_size)


def _needs(change: Mapping[str, Any], where: str) -> list[tuple[str, float, str | None]]:
    needs = change["needs"]
    roles = dict(change.get("roles", {}) or {})
    out: list[tuple[str, float, str | None]] = []
    if isinstance(needs, Mapping):
        for task, rate in needs.items():
            out.append(
                (_task(task, where), _number(rate, f"{where}: needs.{task}"), roles.get(task))
            )
    elif isinstance(needs, list):
        for k, item in enumerate(needs, 1):
            if (
                not isinstance(item, Mapping)
                or "task" not in item
                or "per_person_per_year" not in item
            ):
                raise ConfigError(
                    f"{where}: needs entry {k} must have task and per_person_per_year "
                    "(and optionally role)."
                )
            out.append(
                (
                    _task(item["task"], where),
                    _number(item["per_person_per_year"], f"{where}: needs entry {k}"),
                    item.get("role"),
                )
            )
    else:
        raise ConfigError(f"{where}: needs must be a table of task = tasks per person per year.")
    for _, _, role in out:
        if role is not None:
            _role(role, where)
    if not out:
        raise ConfigError(f"{where}: needs is empty.")
    return out


@register_change(
    "new_service",
    required=("name", "needs"),
    optional=("cohort_size", "cohort_share", "roles", "starts_on"),
)
def _new_service(state: State, change: Mapping[str, Any], a: Assumptions) -> State:
    """Demand added by a new service: a cohort (a number, or a share of the list) × needs."""
    where = f"new_service {change['name']!r}"
    if ("cohort_size" in change) == ("cohort_share" in change):
        raise ConfigError(f"{where}: give exactly one of cohort_size or cohort_share.")
    if "cohort_size" in change:
        size = _number(change["cohort_size"], f"{where}: cohort_size")
    else:
        size = _number(change["cohort_share"], f"{where}: cohort_share", high=1.0) * state.list_size
    size *= a.service_scale
    name = str(change["name"])
    needs = [(task, rate, role or REFERENCE_ROLE) for task, rate, role in _needs(change, where)]
    # All needs in one step: the same rows, in the same order, as one add_service per need.
    demand = state.demand._add_service(
        name, state.demand._cohort(name, size), needs, starts_on=change.get("starts_on")
    )
    return State(demand, state.staff, state.list_size)


@register_change("remove_demand", required=("task", "share"), optional=("role",))
def _remove_demand(state: State, change: Mapping[str, Any], a: Assumptions) -> State:
    """Demand removed by a change: a share of a task's units (optionally one role's) goes."""
    task = _task(change["task"], "remove_demand")
    share = _number(change["share"], "remove_demand: share", high=1.0)
    role = _role(change["role"], "remove_demand: role") if "role" in change else None
    return State(state.demand.remove(task, share, role=role), state.staff, state.list_size)


@register_change("scale_demand", required=("factor",), optional=("task",))
def _scale_demand(state: State, change: Mapping[str, Any], a: Assumptions) -> State:
    """Multiply observed demand (all tasks, or one) by a factor, e.g. list growth."""
    factor = _number(change["factor"], "scale_demand: factor")
    if "task" not in change:
        return State(state.demand.scale(factor), state.staff, state.list_size)
    task = _task(change["task"], "scale_demand")
    return State(_scale_task(state.demand, task, factor), state.staff, state.list_size)


def _scale_task(demand: Demand, task: str, factor: float) -> Demand:
    t = demand.table
    mask = (t["task"] == task) & (t["source"] == OBSERVED)
    t.loc[mask, ["units", "hours"]] *= factor
    return Demand(t, demand.calendar, minutes=demand.minutes, competency=demand.competency)


# ---------------------------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------------------------
_OPTIMISE_KEYS = {
    "objective",
    "roles",
    "min_wte",
    "max_wte",
    "min_gp_wte",
    "min_gp_share",
    "max_extra_wte",
    "arrs_budget",
    "pcn_budget",
    "step",
    "keep_current",
}


@dataclass(frozen=True)
class Scenario:
    """A to-be service: changes to the as-is, assumptions, and optionally an optimised team.

    Build one from a TOML file with :func:`load_scenario`, or from a dict.

    Examples
    --------
    >>> s = Scenario.from_dict({"name": "More pharmacists", "changes": [
    ...     {"type": "add_wte", "role": "clinical_pharmacist", "wte": 1.0}]})
    >>> s.name, len(s.changes)
    ('More pharmacists', 1)
    """

    name: str
    description: str = ""
    changes: tuple[Mapping[str, Any], ...] = ()
    assumptions: Assumptions = field(default_factory=Assumptions)
    optimise: Mapping[str, Any] | None = None
    path: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Scenario:
        """Check a scenario's contents and build it; every problem names where it is."""
        where = f"scenario {path or data.get('name', '')!r}".strip()
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a table of keys.")
        allowed = {
            "schema_version",
            "name",
            "description",
            "changes",
            "assumptions",
            "optimise",
            "source",
        }
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(allowed))}."
            )
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ConfigError(
                f"{where}: schema_version {version!r} is not supported; use {SCHEMA_VERSION}."
            )
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f'{where}: a scenario needs a name (name = "...").')
        changes = data.get("changes", [])
        if not isinstance(changes, list):
            raise ConfigError(f"{where}: changes must be a list ([[changes]] tables).")
        for k, change in enumerate(changes, 1):
            _check_change(change, f"{where}, change {k}")
        try:
            assumptions = Assumptions.from_dict(data.get("assumptions"))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        optimise = data.get("optimise")
        if optimise is not None:
            if not isinstance(optimise, Mapping):
                raise ConfigError(f"{where}: [optimise] must be a table.")
            bad = sorted(set(optimise) - _OPTIMISE_KEYS)
            if bad:
                raise ConfigError(
                    f"{where}: [optimise] has unknown key(s) {', '.join(bad)}; expected some of "
                    f"{', '.join(sorted(_OPTIMISE_KEYS))}."
                )
        return cls(
            name=name.strip(),
            description=str(data.get("description", "")),
            changes=tuple(dict(c) for c in changes),
            assumptions=assumptions,
            optimise=None if optimise is None else dict(optimise),
            path=path,
        )

    def apply(self, baseline: Baseline, assumptions: Assumptions | None = None) -> State:
        """The to-be demand and roster (after every change, and the optimiser if asked).

        Examples
        --------
        >>> import pandas as pd
        >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
        >>> d = Demand(pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
        ...                          "role": "gp", "units": [240.0], "hours": [20.0]}), cal)
        >>> base = Baseline(d, pd.DataFrame({"role": ["gp"], "wte": [1.0]}), list_size=2000)
        >>> s = Scenario.from_dict({"name": "x", "changes": [
        ...     {"type": "add_wte", "role": "hca", "wte": 0.6}]})
        >>> s.apply(base).staff["wte"].tolist()
        [1.0, 0.6]
        """
        a = self.assumptions if assumptions is None else assumptions
        state = _baseline_state(baseline, a)
        for k, change in enumerate(self.changes, 1):
            kind = CHANGE_TYPES[change["type"]]
            try:
                state = kind.apply(state, change, a)
            except ConfigError as exc:
                raise ConfigError(
                    f"scenario {self.name!r}, change {k} ({kind.name}): {exc}"
                ) from None
        if self.optimise is not None:
            state = _optimised(state, dict(self.optimise), a, self.name)
        return state


def _check_change(change: Any, where: str) -> None:
    if not isinstance(change, Mapping) or "type" not in change:
        raise ConfigError(
            f"{where}: each change needs a type (one of {', '.join(sorted(CHANGE_TYPES))})."
        )
    kind = CHANGE_TYPES.get(change["type"])
    if kind is None:
        raise ConfigError(
            f"{where}: unknown change type {change['type']!r}; expected one of "
            f"{', '.join(sorted(CHANGE_TYPES))}."
        )
    missing = [k for k in kind.required if k not in change]
    if missing:
        raise ConfigError(f"{where} ({kind.name}): missing key(s) {', '.join(missing)}.")
    unknown = sorted(set(change) - set(kind.required) - set(kind.optional))
    if unknown:
        raise ConfigError(
            f"{where} ({kind.name}): unknown key(s) {', '.join(unknown)}; expected "
            f"{', '.join(kind.required + tuple(k for k in kind.optional if k != 'type'))}."
        )
    for key in ("role", "from_role", "to_role"):
        if key in change:
            _role(change[key], f"{where} ({kind.name}): {key}")
    if "task" in change:
        _task(change["task"], f"{where} ({kind.name})")
    if "needs" in change:
        _needs(change, f"{where} ({kind.name})")


def scenarios_dir() -> Path:
    """The folder of example scenario files."""
    from clearlib._config import synthetic_dir

    return synthetic_dir() / "scenarios"


def scenario_names() -> list[str]:
    """Names of the example scenarios shipped with clearlib.

    Examples
    --------
    >>> "same_day_hub" in scenario_names()
    True
    """
    return sorted(p.stem for p in scenarios_dir().glob("*.toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read a scenario from a TOML file (a path, or the name of an example scenario).

    Raises
    ------
    ConfigError
        If the file is missing or unreadable, or a change names an unknown type, role or task
        (the message says which change and which key).

    Examples
    --------
    >>> s = load_scenario("same_day_hub")
    >>> s.changes[0]["type"]
    'move_tasks'
    """
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        path = scenarios_dir() / f"{name_or_path}.toml"
    if not path.is_file():
        raise ConfigError(
            f"scenario {str(name_or_path)!r}: no such file ({path}); example scenarios are "
            f"{', '.join(scenario_names()) or 'none'}."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"scenario {path.name}: not valid TOML ({exc}).") from None
    return Scenario.from_dict(data, path=path.name)


# ---------------------------------------------------------------------------------------------
# Evaluating
# ---------------------------------------------------------------------------------------------
def _baseline_state(baseline: Baseline, a: Assumptions) -> State:
    demand = baseline.demand
    if a.minutes or a.minutes_scale != 1.0:
        demand = demand.with_minutes(a.task_minutes())
    if a.demand_scale != 1.0:
        demand = demand.scale(a.demand_scale)
    return State(demand, baseline.staff, baseline.list_size)


def _optimised(state: State, opt: dict[str, Any], a: Assumptions, name: str) -> State:
    from clearlib.workforce._optimise import optimise_skill_mix

    where = f"scenario {name!r} [optimise]"
    current = state.staff.groupby(state.staff["role"].astype(str))["wte"].sum()
    min_wte = dict(opt.get("min_wte", {}))
    max_wte = dict(opt.get("max_wte", {}))
    if opt.get("keep_current"):
        for role, w in current.items():
            min_wte[role] = max(min_wte.get(role, 0.0), float(w))
    if "max_extra_wte" in opt:
        extra = _number(opt["max_extra_wte"], f"{where}: max_extra_wte")
        for role in known_roles():
            max_wte.setdefault(role, float(current.get(role, 0.0)) + extra)
    min_gp = opt.get("min_gp_wte")
    if "min_gp_share" in opt:
        share = _number(opt["min_gp_share"], f"{where}: min_gp_share", high=10.0)
        min_gp = max(float(min_gp or 0.0), share * float(current.get("gp", 0.0)))
    budget = opt.get("arrs_budget", "allocation")
    if budget == "allocation":
        budget = a.arrs_per_patient * state.list_size
    elif budget is False:
        budget = None
    result = optimise_skill_mix(
        state.demand,
        roles=opt.get("roles"),
        min_wte=min_wte or None,
        max_wte=max_wte or None,
        min_gp_wte=min_gp,
        arrs_budget=budget,
        pcn_budget=opt.get("pcn_budget"),
        objective=opt.get("objective", "total"),
        step=opt.get("step", 0.1),
        assumptions=a,
    )
    alloc = result.allocation.pivot_table(
        index="task", columns="role", values="units_per_week", aggfunc="sum", fill_value=0.0
    )
    shares = alloc.div(alloc.sum(axis=1), axis=0)
    return State(state.demand.reallocate(shares), result.roster(), state.list_size)


def _metrics(state: State, a: Assumptions) -> pd.Series:
    cap = Capacity.from_staff(state.staff, assumptions=a)
    d_role = state.demand.per_week("role")
    c_role = cap.per_week()
    roles = sorted(set(d_role.index) | set(c_role.index))
    d_role = d_role.reindex(roles, fill_value=0.0)
    c_role = c_role.reindex(roles, fill_value=0.0)
    budget = a.arrs_per_patient * state.list_size
    cost = team_cost(state.staff, assumptions=a, arrs_budget=budget)
    wte = state.staff.groupby(state.staff["role"].astype(str))["wte"].sum()
    total = float(cost["cost"].sum())
    return pd.Series(
        {
            "list_size": state.list_size,
            "demand_hours_per_week": float(d_role.sum()),
            "capacity_hours_per_week": float(c_role.sum()),
            "gap_hours_per_week": float(d_role.sum() - c_role.sum()),
            "shortfall_hours_per_week": float((d_role - c_role).clip(lower=0).sum()),
            "gp_hours_per_week": float(d_role.get("gp", 0.0)),
            "gp_hours_released": 0.0,
            "wte": float(wte.sum()),
            "gp_wte": float(wte.get("gp", 0.0)),
            "total_cost": total,
            "arrs_reimbursement": float(cost["arrs_reimbursement"].sum()),
            "pcn_cost": float(cost["pcn_cost"].sum()),
            "arrs_budget": budget,
            "cost_per_patient": total / state.list_size,
        }
    )


def evaluate(
    baseline: Baseline, scenario: Scenario | None = None, *, assumptions: Assumptions | None = None
) -> pd.Series:
    """Hours, WTE and costs of the as-is service (``scenario=None``) or of a scenario.

    Returns
    -------
    Series
        The metrics of :data:`METRICS` (hours a week; costs a year).

    Examples
    --------
    >>> import pandas as pd
    >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
    >>> demand = Demand(pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
    ...                               "role": "gp", "units": [240.0], "hours": [20.0]}), cal)
    >>> staff = pd.DataFrame({"role": ["gp"], "wte": [1.0], "arrs_funded": [False]})
    >>> base = Baseline(demand, staff, list_size=2000)
    >>> m = evaluate(base)
    >>> round(float(m["shortfall_hours_per_week"]), 3)  # 20 − 19.575 GP hours
    0.425
    >>> float(m["cost_per_patient"])  # £114,375 / 2,000 patients
    57.1875
    """
    if scenario is None:
        a = assumptions or Assumptions()
        return _metrics(_baseline_state(baseline, a), a)
    a = scenario.assumptions if assumptions is None else assumptions
    return _metrics(scenario.apply(baseline, a), a)


def compare(
    baseline: Baseline,
    scenarios: Scenario | Sequence[Scenario],
    *,
    assumptions: Assumptions | None = None,
) -> pd.DataFrame:
    """As-is and each to-be side by side: hours, WTE, cost, GP hours released, cost per patient.

    Each scenario is evaluated under its own assumptions unless ``assumptions`` is given; the
    as-is column uses ``assumptions`` (default: the reference values), so the as-is column is
    the same for every scenario.

    Returns
    -------
    DataFrame
        Metrics down (see :data:`METRICS`), one column for the as-is and one per scenario.

    Examples
    --------
    >>> import pandas as pd
    >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
    >>> demand = Demand(pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
    ...                               "role": "gp", "units": [240.0], "hours": [20.0]}), cal)
    >>> staff = pd.DataFrame({"role": ["gp"], "wte": [1.0], "arrs_funded": [False]})
    >>> base = Baseline(demand, staff, list_size=2000)
    >>> hub = Scenario.from_dict({"name": "Paramedic triage", "changes": [
    ...     {"type": "move_tasks", "task": "triage", "from_role": "gp", "to_role": "paramedic",
    ...      "share": 0.5},
    ...     {"type": "add_wte", "role": "paramedic", "wte": 0.5}]})
    >>> t = compare(base, hub)
    >>> float(t.loc["gp_hours_released", "Paramedic triage"])
    10.0
    """
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    base_a = assumptions or Assumptions()
    cols = {baseline.name: _metrics(_baseline_state(baseline, base_a), base_a)}
    for s in scenarios:
        if s.name in cols:
            raise ConfigError(
                f"compare: two columns would be called {s.name!r}; rename a scenario."
            )
        m = evaluate(baseline, s, assumptions=assumptions)
        m["gp_hours_released"] = cols[baseline.name]["gp_hours_per_week"] - m["gp_hours_per_week"]
        cols[s.name] = m
    out = pd.DataFrame(cols)
    out.index.name = "metric"
    return out


def sensitivity(
    baseline: Baseline,
    scenario: Scenario | None = None,
    *,
    metric: str = "cost_per_patient",
    spread: float = 0.2,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    assumptions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One-way sensitivity (a tornado): vary each assumption alone and watch one metric.

    Parameters
    ----------
    baseline : Baseline
    scenario : Scenario, optional
        The to-be to test; default the as-is.
    metric : str, default "cost_per_patient"
        One of :data:`METRICS` (``gp_hours_released`` compares with the as-is under the same
        varied assumption).
    spread : float, default 0.2
        Each assumption goes from (1 − spread) × to (1 + spread) × its base value.
    ranges : dict, optional
        Assumption → (low, high), overriding ``spread`` for those.
    assumptions : sequence of str, optional
        Which scalar assumptions to vary; default all (see ``Assumptions``).

    Returns
    -------
    DataFrame
        One row per assumption, largest swing first: ``assumption``, ``label``, ``base_value``,
        ``low_value``, ``high_value``, ``metric_base``, ``metric_low``, ``metric_high``, ``swing``.

    Examples
    --------
    >>> import pandas as pd
    >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
    >>> demand = Demand(pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
    ...                               "role": "gp", "units": [240.0], "hours": [20.0]}), cal)
    >>> staff = pd.DataFrame({"role": ["gp"], "wte": [1.0], "arrs_funded": [False]})
    >>> base = Baseline(demand, staff, list_size=2000)
    >>> t = sensitivity(base, metric="shortfall_hours_per_week", assumptions=["demand_scale"])
    >>> round(float(t.loc[0, "metric_high"]), 3)  # 24 hours of demand against 19.575
    4.425
    """
    if metric not in METRICS:
        raise ConfigError(f"metric: expected one of {', '.join(METRICS)}; found {metric!r}.")
    spread = _number(spread, "spread", high=0.99)
    names = list(SCALARS) if assumptions is None else list(assumptions)
    for n in names:
        if n not in SCALARS:
            raise ConfigError(f"assumptions: unknown {n!r}; expected some of {', '.join(SCALARS)}.")
    ranges = dict(ranges or {})
    for n, pair in ranges.items():
        if n not in SCALARS or len(pair) != 2:
            raise ConfigError(f"ranges: {n!r} must be a scalar assumption with (low, high).")
    base_a = scenario.assumptions if scenario is not None else Assumptions()

    def value(a: Assumptions) -> float:
        if scenario is None:
            return float(_metrics(_baseline_state(baseline, a), a)[metric])
        m = _metrics(scenario.apply(baseline, a), a)
        if metric == "gp_hours_released":
            asis = _metrics(_baseline_state(baseline, a), a)
            return float(asis["gp_hours_per_week"] - m["gp_hours_per_week"])
        return float(m[metric])

    base = value(base_a)
    rows = []
    for n in names:
        b = base_a.value(n)
        low, high = ranges.get(n, (b * (1 - spread), b * (1 + spread)))
        m_low = value(base_a.with_value(n, low))
        m_high = value(base_a.with_value(n, high))
        rows.append(
            (n, Assumptions.label(n), b, low, high, base, m_low, m_high, abs(m_high - m_low))
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "assumption",
            "label",
            "base_value",
            "low_value",
            "high_value",
            "metric_base",
            "metric_low",
            "metric_high",
            "swing",
        ],
    )
    out = out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs["metric"] = metric
    return out
