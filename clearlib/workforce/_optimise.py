"""Skill-mix optimisation: the cheapest WTE by role that meets each task's demand.

A mixed-integer linear programme solved by HiGHS (``scipy.optimize.milp``):

* variables: WTE of each role (in steps of 0.1 WTE by default), the ARRS-funded part of it,
  and the tasks a week each competent role does;
* each task's demand is met: Σ_roles tasks(t, r) ≥ demand(t);
* each role's tasks fit its clinical hours: Σ_tasks tasks(t, r) × minutes(t) × relative
  time(t, r) / 60 ≤ clinical hours per WTE(r) × WTE(r) (only competent pairs exist);
* the ARRS reimbursement claimed ≤ Σ WTE × each role's reimbursement per WTE, and ≤ the ARRS
  budget (claims are spread pro rata over the eligible posts in the answer);
* optionally the PCN's own spend ≤ a budget; WTE between a minimum (e.g. GP cover) and the
  maximum that can be recruited.

The objective is the total employment cost (``"total"``, the NHS's view) or what the PCN pays
after ARRS reimbursement (``"pcn"``). Shadow prices come from the linear relaxation
(``scipy.optimize.linprog``, HiGHS). When no team fits, each limit is relaxed in turn to find
the one that cannot be met, and the error says by how much.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from clearlib._exceptions import ClearlibError, ConfigError, InfeasibleError
from clearlib.workforce._assumptions import Assumptions
from clearlib.workforce._checks import check_known, known_roles
from clearlib.workforce._demand import Demand
from clearlib.workforce._reference import role_costs, tasks, validated_competency

__all__ = ["InfeasibleError", "SkillMixResult", "optimise_skill_mix"]

_SCALE = 1000.0  # costs enter the solver in £ thousands
#: Relative optimality gap of the integer programme: 0.05% is about £2,000 on a £4m team,
#: less than the cost of 0.1 WTE of any role; proving the last £100 can take ten times longer.
MIP_GAP = 5e-4
_TIE = 1e-4  # weight of total cost in the "pcn" objective, to break ties between free teams
_TOL = 1e-7


@dataclass(frozen=True)
class SkillMixResult:
    """The cheapest skill mix: staffing, who does what, costs, binding limits, and why.

    Attributes
    ----------
    staffing : DataFrame
        By role (WTE above 0): ``wte``, ``arrs_wte``, ``clinical_hours``, ``used_hours``
        (a week), ``cost``, ``arrs_reimbursement``, ``pcn_cost`` (a year).
    allocation : DataFrame
        ``task``, ``role``, ``units_per_week``, ``hours_per_week``.
    costs : Series
        ``total_cost``, ``arrs_reimbursement``, ``pcn_cost``, ``arrs_budget`` (a year; budget
        NaN when unlimited).
    constraints : DataFrame
        Every constraint: ``name``, ``kind``, ``limit``, ``value`` (in the integer solution),
        ``slack``, ``shadow_price`` (£ a year per unit of the limit, from the linear
        relaxation) and ``binding``.
    explanation : str
        The answer and what limits it, in plain language.
    """

    staffing: pd.DataFrame
    allocation: pd.DataFrame
    costs: pd.Series
    constraints: pd.DataFrame
    explanation: str
    objective: str = "total"
    step: float | None = 0.1

    @property
    def binding(self) -> pd.DataFrame:
        """The constraints that bind (limit the answer)."""
        return self.constraints[self.constraints["binding"]].reset_index(drop=True)

    def roster(self) -> pd.DataFrame:
        """The team as a staff table (``role``, ``wte``, ``arrs_funded``) for Capacity or costs.

        A role with both ARRS-funded and PCN-funded WTE gets two rows.
        """
        rows = []
        for role, r in self.staffing.iterrows():
            if r["arrs_wte"] > _TOL:
                rows.append({"role": role, "wte": float(r["arrs_wte"]), "arrs_funded": True})
            rest = float(r["wte"] - r["arrs_wte"])
            if rest > _TOL:
                rows.append({"role": role, "wte": rest, "arrs_funded": False})
        return pd.DataFrame(rows, columns=["role", "wte", "arrs_funded"])

    def __str__(self) -> str:
        return self.explanation

    def _repr_markdown_(self) -> str:
        return self.explanation.replace("\n- ", "\n\n- ")


# ---------------------------------------------------------------------------------------------
# The problem
# ---------------------------------------------------------------------------------------------
@dataclass
class _Problem:
    tasks: list[str]
    demand: np.ndarray  # units a week
    roles: list[str]
    pairs: list[tuple[int, int]]  # (task index, role index)
    hours_per_unit: np.ndarray  # per pair
    clinical_hours: np.ndarray  # per role, per WTE
    cost: np.ndarray  # per role, per WTE a year
    reimb: np.ndarray  # per role, per WTE a year (0 if not eligible)
    lo: np.ndarray  # WTE lower bound per role
    hi: np.ndarray  # WTE upper bound per role (inf)
    min_names: list[str | None]
    max_names: list[str | None]
    arrs_budget: float | None
    pcn_budget: float | None
    objective: str
    step: float | None


def _units(demand: Demand | pd.Series | Mapping[str, float]) -> pd.Series:
    if isinstance(demand, Demand):
        return demand.per_week("task", value="units")
    if isinstance(demand, Mapping):
        demand = pd.Series(dict(demand), dtype=float)
    if not isinstance(demand, pd.Series):
        raise ConfigError(
            "demand: expected a Demand, or a Series / dict of tasks a week by task code; "
            f"found {type(demand).__name__}."
        )
    check_known(
        pd.Series(demand.index, dtype=object), tasks()["code"], "demand", "task", error=ConfigError
    )
    x = pd.to_numeric(demand, errors="coerce").astype(float)
    bad = x[~np.isfinite(x) | (x < 0)]
    if len(bad):
        raise ConfigError(f"demand: tasks a week must be numbers 0 or more; found {bad.to_dict()}.")
    return x.groupby(level=0).sum()


def _bound_map(values: Mapping[str, float] | None, name: str, roles: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for role, v in dict(values or {}).items():
        if role not in known_roles():
            raise ConfigError(
                f"{name}: unknown role {role!r}; roles are {', '.join(known_roles())}."
            )
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}[{role!r}]: expected a number of WTE; found {v!r}.") from None
        if not x >= 0:
            raise ConfigError(f"{name}[{role!r}]: WTE must be 0 or more; found {x}.")
        out[role] = x
    return out


def _problem(
    units: pd.Series,
    *,
    roles: Sequence[str] | None,
    min_wte: Mapping[str, float] | None,
    max_wte: Mapping[str, float] | None,
    min_gp_wte: float | None,
    arrs_budget: float | None,
    pcn_budget: float | None,
    objective: str,
    step: float | None,
    competency: pd.DataFrame,
    minutes: pd.Series,
    assumptions: Assumptions,
) -> _Problem:
    if objective not in ("total", "pcn"):
        raise ConfigError(f"objective: expected 'total' or 'pcn'; found {objective!r}.")
    if step is not None and not (isinstance(step, int | float) and step > 0):
        raise ConfigError(
            f"step: expected a number of WTE above 0 (e.g. 0.1) or None; found {step!r}."
        )
    for name, v in (
        ("arrs_budget", arrs_budget),
        ("pcn_budget", pcn_budget),
        ("min_gp_wte", min_gp_wte),
    ):
        if v is not None and not (isinstance(v, int | float) and v >= 0 and math.isfinite(v)):
            raise ConfigError(f"{name}: expected a number 0 or more (or None); found {v!r}.")
    all_roles = known_roles()
    if roles is None:
        allowed = [r for r in all_roles if r in set(competency["role"])]
    else:
        roles = list(roles)
        check_known(pd.Series(roles, dtype=object), all_roles, "roles", "role", error=ConfigError)
        allowed = [r for r in all_roles if r in roles]
    lo_map = _bound_map(min_wte, "min_wte", allowed)
    hi_map = _bound_map(max_wte, "max_wte", allowed)
    for role in list(lo_map) + list(hi_map):
        if role not in allowed:
            raise ConfigError(
                f"min_wte/max_wte name role {role!r}, which is not among the roles allowed "
                f"({', '.join(allowed)})."
            )
    if min_gp_wte is not None and "gp" not in allowed:
        raise ConfigError("min_gp_wte is set but GPs are not among the roles allowed.")

    demand = units[units > 0]
    task_list = [t for t in tasks()["code"] if t in demand.index]
    comp = competency[competency["role"].isin(allowed)]
    rel = comp.set_index(["task", "role"])["relative_time"]
    hours_pw = assumptions.clinical_hours_per_wte().reindex(allowed).to_numpy()
    costs = role_costs(on_cost_rate=assumptions.on_cost_rate, salary_scale=assumptions.salary_scale)
    pairs, hpu = [], []
    for i, t in enumerate(task_list):
        able = [j for j, r in enumerate(allowed) if (t, r) in rel.index]
        if not able:
            everyone = competency.loc[competency["task"] == t, "role"].tolist()
            raise InfeasibleError(
                f"Demand for task {t!r} ({demand[t]:,.1f} a week) cannot be met: no role allowed "
                f"is competent for it. Roles competent for it in the matrix: "
                f"{', '.join(everyone) or 'none'}; roles allowed: {', '.join(allowed)}. Allow one "
                "of them, add a row to the competency matrix, or remove the demand.",
                [f"demand[{t}]"],
            )
        for j in able:
            pairs.append((i, j))
            hpu.append(float(minutes[t]) * float(rel[(t, allowed[j])]) / 60.0)
    lo = np.array([lo_map.get(r, 0.0) for r in allowed])
    hi = np.array([hi_map.get(r, np.inf) for r in allowed])
    min_names: list[str | None] = [f"min_wte[{r}]" if r in lo_map else None for r in allowed]
    max_names: list[str | None] = [f"max_wte[{r}]" if r in hi_map else None for r in allowed]
    if min_gp_wte is not None:
        g = allowed.index("gp")
        if min_gp_wte >= lo[g]:
            lo[g] = float(min_gp_wte)
            min_names[g] = "min_gp_wte"
    clash = [allowed[j] for j in range(len(allowed)) if lo[j] > hi[j] + _TOL]
    if clash:
        r = clash[0]
        raise InfeasibleError(
            f"The minimum WTE for {r} ({lo[allowed.index(r)]:g}) is above the maximum that can be "
            f"recruited ({hi[allowed.index(r)]:g}); lower the minimum or raise the maximum.",
            [min_names[allowed.index(r)] or "", max_names[allowed.index(r)] or ""],
        )
    return _Problem(
        tasks=task_list,
        demand=demand.reindex(task_list).to_numpy(dtype=float),
        roles=allowed,
        pairs=pairs,
        hours_per_unit=np.array(hpu),
        clinical_hours=hours_pw,
        cost=costs["cost_per_wte"].reindex(allowed).to_numpy(),
        reimb=costs["reimbursement_per_wte"].reindex(allowed).to_numpy(),
        lo=lo,
        hi=hi,
        min_names=min_names,
        max_names=max_names,
        arrs_budget=None if arrs_budget is None else float(arrs_budget),
        pcn_budget=None if pcn_budget is None else float(pcn_budget),
        objective=objective,
        step=None if step is None else float(step),
    )


@dataclass
class _Model:
    c: np.ndarray
    A: np.ndarray
    b: np.ndarray
    names: list[str]
    kinds: list[str]
    lo: np.ndarray
    hi: np.ndarray
    integrality: np.ndarray
    n_pairs: int
    n_roles: int
    s: float


def _model(p: _Problem, drop: frozenset[str] = frozenset(), integer: bool = True) -> _Model:
    """Matrices of the programme; constraints named in ``drop`` are left out (relaxed).

    Variables: tasks a week for each competent (task, role) pair; each role's WTE (in steps
    when integer); and R, the ARRS reimbursement claimed (£ thousands a year).
    """
    n_x, n_r = len(p.pairs), len(p.roles)
    n = n_x + n_r + 1
    s = p.step if (p.step is not None) else 1.0
    ix_w = n_x + np.arange(n_r)
    ix_r = n_x + n_r
    rows, b, names, kinds = [], [], [], []

    def add(row: np.ndarray, rhs: float, name: str, kind: str) -> None:
        if name in drop:
            return
        rows.append(row)
        b.append(rhs)
        names.append(name)
        kinds.append(kind)

    task_of = np.array([i for i, _ in p.pairs], dtype=np.int64)
    role_of = np.array([j for _, j in p.pairs], dtype=np.int64)
    for i, t in enumerate(p.tasks):
        row = np.zeros(n)
        row[:n_x][task_of == i] = -1.0
        add(row, -p.demand[i], f"demand[{t}]", "demand")
    for j, r in enumerate(p.roles):
        row = np.zeros(n)
        mine = role_of == j
        row[:n_x][mine] = p.hours_per_unit[mine]
        row[ix_w[j]] = -p.clinical_hours[j] * s
        add(row, 0.0, f"hours[{r}]", "hours")
    row = np.zeros(n)
    row[ix_r] = 1.0
    row[ix_w] = -p.reimb * s / _SCALE
    add(row, 0.0, "arrs_claims", "arrs_claims")
    if p.arrs_budget is not None:
        row = np.zeros(n)
        row[ix_r] = 1.0
        add(row, p.arrs_budget / _SCALE, "arrs_budget", "budget")
    if p.pcn_budget is not None:
        row = np.zeros(n)
        row[ix_w] = p.cost * s / _SCALE
        row[ix_r] = -1.0
        add(row, p.pcn_budget / _SCALE, "pcn_budget", "budget")

    c = np.zeros(n)
    c[ix_w] = p.cost * s / _SCALE
    if p.objective == "pcn":
        # ties (e.g. several fully reimbursed teams) go to the lower total cost
        c[ix_w] *= 1 + _TIE
        c[ix_r] = -1.0

    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    for j in range(n_r):
        low = 0.0 if p.min_names[j] in drop else p.lo[j]
        high = np.inf if p.max_names[j] in drop else p.hi[j]
        if integer and p.step is not None:
            lo[ix_w[j]] = math.ceil(low / s - 1e-9)
            hi[ix_w[j]] = math.floor(high / s + 1e-9) if np.isfinite(high) else np.inf
        else:
            lo[ix_w[j]] = low / s
            hi[ix_w[j]] = high / s
    integrality = np.zeros(n)
    if integer and p.step is not None:
        integrality[ix_w] = 1
    A = np.vstack(rows) if rows else np.zeros((0, n))
    return _Model(c, A, np.array(b), names, kinds, lo, hi, integrality, n_x, n_r, s)


@contextmanager
def _quiet_c_stdout() -> Iterator[None]:
    """Silence C-level stdout while HiGHS runs.

    HiGHS 1.12 sometimes prints a stray debug line ("HighsMipSolverData::
    transformNewIntegerFeasibleSolution tmpSolver.run();", ERGO-Code/HiGHS#2783) even with
    output off; in a notebook it would appear under the learner's cell.
    """
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
        sys.stdout.flush()
        saved = os.dup(fd)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _solve(
    m: _Model, c: np.ndarray | None = None, time_limit: float = 10.0, gap: float = MIP_GAP
) -> Any:
    cons = [LinearConstraint(m.A, -np.inf, m.b)] if len(m.b) else []
    with _quiet_c_stdout():
        return milp(
            m.c if c is None else c,
            constraints=cons,
            bounds=Bounds(m.lo, m.hi),
            integrality=m.integrality,
            options={"time_limit": time_limit, "mip_rel_gap": gap, "presolve": True},
        )


def _relaxation(m: _Model) -> Any:
    return linprog(
        m.c,
        A_ub=m.A if len(m.b) else None,
        b_ub=m.b if len(m.b) else None,
        bounds=list(zip(m.lo, np.where(np.isfinite(m.hi), m.hi, None), strict=True)),
        method="highs",
    )


# ---------------------------------------------------------------------------------------------
# Infeasibility: relax one limit at a time
# ---------------------------------------------------------------------------------------------
def _feasible(m: _Model) -> bool:
    return bool(_solve(m, c=np.zeros_like(m.c)).status == 0)


def _limits(p: _Problem) -> list[str]:
    names = [n for n in p.min_names if n] + [n for n in p.max_names if n]
    if p.arrs_budget is not None:
        names.append("arrs_budget")
    if p.pcn_budget is not None:
        names.append("pcn_budget")
    return names


def _describe_limit(p: _Problem, name: str) -> str:
    if name == "arrs_budget":
        return f"the ARRS budget of £{p.arrs_budget:,.0f} a year"
    if name == "pcn_budget":
        return f"the PCN budget of £{p.pcn_budget:,.0f} a year"
    if name == "min_gp_wte":
        return f"minimum GP cover of {p.lo[p.roles.index('gp')]:g} WTE"
    role = name[name.index("[") + 1 : -1]
    j = p.roles.index(role)
    if name.startswith("min_wte"):
        return f"the minimum of {p.lo[j]:g} WTE {role}"
    return f"the maximum recruitable {p.hi[j]:g} WTE {role}"


def _needed(p: _Problem, name: str) -> str:
    """With ``name`` relaxed, how far it would have to move to make room for demand."""
    m = _model(p, frozenset({name}))
    c = np.zeros_like(m.c)
    n_x = m.n_pairs
    if name in ("arrs_budget", "pcn_budget"):
        full = _model(p)
        row = full.A[full.names.index(name)]
        res = _solve(m, c=row, gap=1e-9)
        if res.status == 0:
            return f"it needs at least £{res.fun * _SCALE:,.0f} a year"
        return ""
    role = name[name.index("[") + 1 : -1] if "[" in name else "gp"
    j = p.roles.index(role)
    sign = 1.0 if name.startswith("max_wte") else -1.0
    c[n_x + j] = sign
    res = _solve(m, c=c, gap=1e-9)
    if res.status != 0:
        return ""
    wte = float(res.x[n_x + j]) * m.s
    if name.startswith("max_wte"):
        return f"meeting demand within the other limits needs at least {wte:.1f} WTE {role}"
    return f"at most {wte:.1f} WTE {role} fit within the other limits"


def _diagnose(p: _Problem) -> InfeasibleError:
    limits = _limits(p)
    alone = [name for name in limits if _feasible(_model(p, frozenset({name})))]
    if alone:
        parts = []
        for name in alone:
            need = _needed(p, name)
            parts.append(f"{_describe_limit(p, name)}" + (f" ({need})" if need else ""))
        if len(alone) == 1:
            head = "No team meets demand within your limits. The limit that cannot be met is "
            tail = ". Relax it, or reduce demand."
        else:
            head = (
                "No team meets demand within your limits. Relaxing any one of these would make "
                "room: "
            )
            tail = ". Relax one of them, or reduce demand."
        return InfeasibleError(head + "; ".join(parts) + tail, alone)
    groups = {
        "budgets": [n for n in limits if n.endswith("budget")],
        "maximum recruitable WTE": [n for n in limits if n.startswith("max_wte")],
        "minimum WTE": [n for n in limits if n.startswith("min_")],
    }
    for label, names in groups.items():
        if names and _feasible(_model(p, frozenset(names))):
            return InfeasibleError(
                f"No team meets demand within your limits, and no single limit explains it: the "
                f"{label} together ({', '.join(_describe_limit(p, n) for n in names)}) cannot be "
                "met. Relax some of them, or reduce demand.",
                names,
            )
    return InfeasibleError(
        "No team meets demand within your limits: the limits together "
        f"({', '.join(_describe_limit(p, n) for n in limits) or 'none'}) cannot be met, even "
        "relaxed group by group. Check the demand and the competency matrix.",
        limits,
    )


# ---------------------------------------------------------------------------------------------
# Public
# ---------------------------------------------------------------------------------------------
def optimise_skill_mix(
    demand: Demand | pd.Series | Mapping[str, float],
    *,
    roles: Sequence[str] | None = None,
    min_wte: Mapping[str, float] | None = None,
    max_wte: Mapping[str, float] | None = None,
    min_gp_wte: float | None = None,
    arrs_budget: float | None = None,
    pcn_budget: float | None = None,
    objective: str = "total",
    step: float | None = 0.1,
    competency: pd.DataFrame | None = None,
    assumptions: Assumptions | None = None,
    time_limit: float = 10.0,
    mip_gap: float = MIP_GAP,
) -> SkillMixResult:
    """The cheapest mix of WTE by role that meets each task's demand.

    Parameters
    ----------
    demand : Demand, Series or dict
        Tasks a week by task code (a :class:`Demand` gives its mean units a week).
    roles : sequence of str, optional
        Roles that may be employed; default every role in the competency matrix.
    min_wte, max_wte : dict, optional
        Role → minimum WTE to keep, and the maximum WTE that can be recruited.
    min_gp_wte : float, optional
        Minimum GP cover in WTE.
    arrs_budget : float, optional
        ARRS reimbursement available a year (£); default no limit. For a PCN:
        ``Assumptions().arrs_per_patient × list size``.
    pcn_budget : float, optional
        What the PCN itself can pay a year after reimbursement (£); default no limit.
    objective : {"total", "pcn"}, default "total"
        Minimise the total employment cost, or the PCN's cost after ARRS reimbursement.
    step : float or None, default 0.1
        WTE come in these steps (an integer programme); None for a continuous answer.
    competency : DataFrame, optional
        Long task–competency matrix; default the Demand's, else the reference matrix.
    assumptions : Assumptions, optional
        Clinical hours per WTE, minutes per task (for a Series of demand), on-costs and pay.
    time_limit : float, default 10
        Seconds the solver may take.
    mip_gap : float, default 0.0005
        Stop when the answer is proven within this share of the cheapest possible (0.05%:
        less than the cost of 0.1 WTE of any role on a PCN's team). 0 proves the optimum.

    Returns
    -------
    SkillMixResult

    Raises
    ------
    InfeasibleError
        When no team meets demand within the limits; the message names the limit that cannot
        be met (found by relaxing each limit in turn) and how far it would have to move.
    ConfigError
        On an unknown task or role, or a negative number.

    Examples
    --------
    Ten structured medication reviews a week (30 minutes each for a pharmacist): 5 hours.
    A clinical pharmacist gives 37.5 × 0.87 × 0.55 = 17.94 clinical hours per WTE, so 0.3 WTE
    (in 0.1 steps) is the cheapest way to do them.

    >>> r = optimise_skill_mix({"medication_review": 10}, roles=["clinical_pharmacist", "gp"])
    >>> r.staffing["wte"].round(1).to_dict()
    {'clinical_pharmacist': 0.3}
    """
    a = assumptions or Assumptions()
    units = _units(demand)
    if isinstance(demand, Demand):
        minutes = demand.minutes
        comp = validated_competency(competency) if competency is not None else demand.competency
    else:
        minutes = a.task_minutes()
        comp = validated_competency(competency)
    p = _problem(
        units,
        roles=roles,
        min_wte=min_wte,
        max_wte=max_wte,
        min_gp_wte=min_gp_wte,
        arrs_budget=arrs_budget,
        pcn_budget=pcn_budget,
        objective=objective,
        step=step,
        competency=comp,
        minutes=minutes,
        assumptions=a,
    )
    m = _model(p)
    res = _solve(m, time_limit=time_limit, gap=float(mip_gap))
    if res.status == 2:
        raise _diagnose(p)
    if res.status != 0 or res.x is None:
        raise ClearlibError(
            f"The skill-mix solver stopped without an answer ({res.message}). Try a larger "
            "time_limit, or step=None for a continuous answer."
        )
    relaxed = _relaxation(_model(p, integer=False))
    return _result(p, m, res.x, relaxed)


def _result(p: _Problem, m: _Model, x: np.ndarray, relaxed: Any) -> SkillMixResult:
    n_x, n_r = m.n_pairs, m.n_roles
    s = m.s
    wte = np.round(x[n_x : n_x + n_r] * s, 9)
    # Every £ of reimbursement is worth the same, so claim as much as the budget allows and
    # spread it pro rata over the ARRS-eligible posts.
    claims = float(wte @ p.reimb)
    claimed = min(claims, np.inf if p.arrs_budget is None else p.arrs_budget)
    funded = claimed / claims if claims > 0 else 0.0
    arrs_wte = np.where(p.reimb > 0, wte * funded, 0.0)
    x = x.copy()
    x[n_x + n_r] = claimed / _SCALE
    units = np.maximum(x[:n_x], 0.0)
    used = np.zeros(n_r)
    alloc_rows = []
    for k, (i, j) in enumerate(p.pairs):
        if units[k] > 1e-9:
            h = units[k] * p.hours_per_unit[k]
            used[j] += h
            alloc_rows.append((p.tasks[i], p.roles[j], units[k], h))
    staffing = pd.DataFrame(
        {
            "wte": wte,
            "arrs_wte": arrs_wte,
            "clinical_hours": wte * p.clinical_hours,
            "used_hours": used,
            "cost": wte * p.cost,
            "arrs_reimbursement": arrs_wte * p.reimb,
        },
        index=pd.Index(p.roles, name="role"),
    )
    staffing["pcn_cost"] = staffing["cost"] - staffing["arrs_reimbursement"]
    staffing = staffing[staffing["wte"] > _TOL]
    allocation = pd.DataFrame(
        alloc_rows, columns=["task", "role", "units_per_week", "hours_per_week"]
    )
    costs = pd.Series(
        {
            "total_cost": float(staffing["cost"].sum()),
            "arrs_reimbursement": float(staffing["arrs_reimbursement"].sum()),
            "pcn_cost": float(staffing["pcn_cost"].sum()),
            "arrs_budget": np.nan if p.arrs_budget is None else p.arrs_budget,
        }
    )
    constraints = _constraints(p, m, x, relaxed)
    explanation = _explain(p, staffing, costs, constraints)
    return SkillMixResult(
        staffing=staffing,
        allocation=allocation,
        costs=costs,
        constraints=constraints,
        explanation=explanation,
        objective=p.objective,
        step=p.step,
    )


def _constraints(p: _Problem, m: _Model, x: np.ndarray, relaxed: Any) -> pd.DataFrame:
    lhs = m.A @ x if len(m.b) else np.zeros(0)
    duals = (
        np.asarray(relaxed.ineqlin.marginals)
        if relaxed.status == 0 and len(m.b)
        else np.zeros(len(m.b))
    )
    rows = []
    for k, (name, kind) in enumerate(zip(m.names, m.kinds, strict=True)):
        if kind in ("hours", "arrs_claims"):
            continue
        scale = _SCALE if kind == "budget" else 1.0
        if kind == "demand":
            limit, value = -m.b[k], -lhs[k]
            shadow = -duals[k] * _SCALE  # £ a year per extra task a week
            binding = value - limit <= 1e-6 * max(1.0, limit) and shadow > 1e-6
        else:
            limit, value = m.b[k] * scale, lhs[k] * scale
            shadow = -duals[k]  # £ of objective saved per extra £ of budget
            binding = limit - value <= max(1e-6 * limit, 1.0) or abs(shadow) > 1e-6
        rows.append((name, kind, limit, value, abs(limit - value), shadow, bool(binding)))
    lower = np.asarray(relaxed.lower.marginals) if relaxed.status == 0 else np.zeros(len(m.c))
    upper = np.asarray(relaxed.upper.marginals) if relaxed.status == 0 else np.zeros(len(m.c))
    n_x = m.n_pairs
    for j in range(len(p.roles)):
        w = float(x[n_x + j]) * m.s
        if p.min_names[j]:
            shadow = lower[n_x + j] * _SCALE / m.s  # £ a year per extra WTE required
            binding = w - p.lo[j] <= m.s / 2 and shadow > 1e-6
            rows.append((p.min_names[j], "minimum WTE", p.lo[j], w, w - p.lo[j], shadow, binding))
        if p.max_names[j]:
            shadow = -upper[n_x + j] * _SCALE / m.s  # £ a year saved per extra WTE allowed
            binding = p.hi[j] - w < m.s and shadow > 1e-6
            rows.append((p.max_names[j], "maximum WTE", p.hi[j], w, p.hi[j] - w, shadow, binding))
    return pd.DataFrame(
        rows, columns=["name", "kind", "limit", "value", "slack", "shadow_price", "binding"]
    )


def _role_name(code: str) -> str:
    return _role_names().get(code, str(code))


def _task_name(code: str) -> str:
    return _task_names().get(code, str(code)).lower()


@cache
def _role_names() -> MappingProxyType[str, str]:
    # Code → name of the packaged roles table, read once (read-only, so nobody can change it).
    from clearlib import reference

    roles = reference.roles()
    return MappingProxyType(dict(zip(roles["code"], roles["name"].astype(str), strict=True)))


@cache
def _task_names() -> MappingProxyType[str, str]:
    t = tasks()
    return MappingProxyType(dict(zip(t["code"], t["name"].astype(str), strict=True)))


def _explain(p: _Problem, staffing: pd.DataFrame, costs: pd.Series, cons: pd.DataFrame) -> str:
    total_hours = float(staffing["used_hours"].sum())
    team = ", ".join(
        f"{w:.1f} WTE {_role_name(r).lower()}"
        for r, w in staffing["wte"].sort_values(ascending=False).items()
    )
    goal = "total cost" if p.objective == "total" else "cost to the PCN after ARRS reimbursement"
    lines = [
        f"The team with the lowest {goal} that meets every task's demand "
        f"({p.demand.sum():,.0f} tasks and {total_hours:,.0f} clinical hours a week) is "
        f"{staffing['wte'].sum():.1f} WTE: {team}.",
        f"It costs £{costs['total_cost']:,.0f} a year: £{costs['arrs_reimbursement']:,.0f} "
        f"reimbursed by ARRS and £{costs['pcn_cost']:,.0f} paid by the PCN.",
    ]
    limits = cons[(cons["kind"] != "demand") & cons["binding"]]
    if len(limits):
        lines.append("What limits the answer:")
        for _, c in limits.iterrows():
            lines.append("- " + _limit_sentence(p, c))
    else:
        lines.append(
            "No minimum, maximum or budget limits the answer: each task goes to the role that "
            "does it at the lowest cost per task."
        )
    dem = cons[cons["kind"] == "demand"].sort_values("shadow_price", ascending=False)
    if len(dem):
        top = dem.iloc[0]
        task = top["name"][len("demand[") : -1]
        lines.append(
            f"At the margin, one more {_task_name(task)} a week would add about "
            f"£{top['shadow_price']:,.0f} a year, the most of any task."
        )
    return "\n".join(lines)


def _limit_sentence(p: _Problem, c: pd.Series) -> str:
    name, shadow = str(c["name"]), float(c["shadow_price"])
    if name == "arrs_budget":
        text = f"The ARRS budget (£{c['limit']:,.0f} a year) is fully used"
        if shadow > 1e-6 and p.objective == "pcn":
            text += f": each extra £1,000 would save the PCN about £{shadow * 1000:,.0f}"
        return text + "."
    if name == "pcn_budget":
        text = f"The PCN budget (£{c['limit']:,.0f} a year) is fully used"
        return (
            text
            + (
                f": each extra £1,000 would save about £{shadow * 1000:,.0f}"
                if shadow > 1e-6
                else ""
            )
            + "."
        )
    role = name[name.index("[") + 1 : -1] if "[" in name else "gp"
    label = _role_name(role).lower()
    if c["kind"] == "minimum WTE":
        what = "Minimum GP cover" if name == "min_gp_wte" else f"The minimum {label} WTE"
        return (
            f"{what} ({c['limit']:g} WTE) binds: demand alone would need fewer; each extra "
            f"1.0 WTE required adds about £{shadow:,.0f} a year."
        )
    return (
        f"The maximum recruitable {label} WTE ({c['limit']:g}) binds: each extra 1.0 WTE that "
        f"could be recruited would save about £{shadow:,.0f} a year."
    )
