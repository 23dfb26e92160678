"""Workforce redesign: demand, capacity, skills and competencies, skill mix, scenarios, access.

From activity to a team designed by skill and competency, not role and rank:

1. :class:`Demand` turns appointments into hours per task per week (trends, seasonality, new
   services, demand removed or moved between roles);
2. :class:`Capacity` turns a staff roster into clinical hours per role per week;
3. :func:`gap` compares them by role or task and week; :func:`allocation` shows who does what;
4. :func:`optimise_skill_mix` finds the cheapest WTE by role that meets each task's demand
   (HiGHS), within the competency matrix, the ARRS budget, GP cover and recruitment limits;
5. :class:`Scenario` files (TOML) describe a to-be service; :func:`compare` sets it beside the
   as-is and :func:`sensitivity` tests each assumption (a tornado);
6. :func:`simulate_access` shows what a capacity profile does to waits.

Reference tables (with sources) are in ``clearlib/reference/``: :func:`tasks`,
:func:`task_map`, :func:`task_competency`, :func:`pay_bands`, :func:`working_time`,
:func:`arrs_reimbursement`, :func:`arrs_allocation`; :func:`role_costs` combines them.

Examples
--------
>>> import clearlib
>>> from clearlib import workforce
>>> pcn = clearlib.load_pcn("default")  # doctest: +SKIP
>>> demand = workforce.Demand.from_appointments(pcn.appointments)  # doctest: +SKIP
>>> capacity = workforce.Capacity.from_staff(pcn.staff)  # doctest: +SKIP
>>> workforce.gap_summary(demand, capacity).head()  # doctest: +SKIP
>>> print(workforce.optimise_skill_mix(demand, min_gp_wte=15))  # doctest: +SKIP
"""

from clearlib.workforce._access import (
    AccessResult,
    requests_per_day,
    simulate_access,
    slots_per_day,
)
from clearlib.workforce._assumptions import Assumptions
from clearlib.workforce._capacity import Capacity, team_cost
from clearlib.workforce._demand import Demand, assign_tasks
from clearlib.workforce._gap import allocation, gap, gap_summary
from clearlib.workforce._optimise import InfeasibleError, SkillMixResult, optimise_skill_mix
from clearlib.workforce._reference import (
    arrs_allocation,
    arrs_reimbursement,
    competency_matrix,
    pay_bands,
    role_costs,
    task_competency,
    task_map,
    tasks,
    working_time,
)
from clearlib.workforce._scenario import (
    CHANGE_TYPES,
    Baseline,
    Scenario,
    compare,
    evaluate,
    load_scenario,
    register_change,
    scenario_names,
    sensitivity,
)

__all__ = [
    "CHANGE_TYPES",
    "AccessResult",
    "Assumptions",
    "Baseline",
    "Capacity",
    "Demand",
    "InfeasibleError",
    "Scenario",
    "SkillMixResult",
    "allocation",
    "arrs_allocation",
    "arrs_reimbursement",
    "assign_tasks",
    "compare",
    "competency_matrix",
    "evaluate",
    "gap",
    "gap_summary",
    "load_scenario",
    "optimise_skill_mix",
    "pay_bands",
    "register_change",
    "requests_per_day",
    "role_costs",
    "scenario_names",
    "sensitivity",
    "simulate_access",
    "slots_per_day",
    "task_competency",
    "task_map",
    "tasks",
    "team_cost",
    "working_time",
]
