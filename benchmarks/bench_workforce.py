"""How fast are demand, capacity, gap analysis and skill-mix optimisation at ICS scale?

Loads a dataset (default: the ICS, 18 PCNs and about 1,026,000 patients; generated on first
use) and prints:

* the time to read the practices, staff and appointments tables (not part of the target);
* demand for every PCN (appointments → hours per task, role and week, kept by PCN), capacity
  for every PCN (roster → clinical hours per role) and the weekly gap by role: target ≤ 15 s;
* the cheapest skill mix for each PCN (0.1 WTE steps, at least 80% of today's GP cover, at most
  3 WTE more of any role, within the PCN's ARRS allocation): target ≤ 1 s per PCN;
* for the first PCN, the CPU time of evaluating each example scenario (what a sponsor
  dashboard does when a control moves: target ≤ 150 ms) and of its one-way sensitivity (the
  tornado: every assumption low and high). CPU time, as the machine may be busy.

Prints figures; asserts nothing. Run with ``make bench`` or::

    .venv/bin/python benchmarks/bench_workforce.py --spec default
"""

from __future__ import annotations

import argparse
import statistics
import time

import clearlib
from clearlib import workforce
from clearlib.workforce import (
    Assumptions,
    Capacity,
    Demand,
    InfeasibleError,
    gap,
    optimise_skill_mix,
)


def _seconds(start: float) -> float:
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="ics", help="dataset spec (default: ics)")
    args = parser.parse_args(argv)

    t = time.perf_counter()
    pcn = clearlib.load_pcn(args.spec, tables=["practices", "staff", "appointments"])
    load = _seconds(t)
    n_appts = len(pcn.appointments)
    print(
        f"dataset {args.spec}: {pcn.practices.pcn_code.nunique()} PCNs, "
        f"{int(pcn.practices.list_size.sum()):,} patients, {n_appts:,} appointments"
    )
    print(f"  read tables                      {load:7.2f} s (not in the target)")

    t = time.perf_counter()
    demand = Demand.from_appointments(pcn.appointments, by="pcn_code", practices=pcn.practices)
    t_demand = _seconds(t)
    t = time.perf_counter()
    capacity = Capacity.from_staff(pcn.staff, by="pcn_code")
    t_capacity = _seconds(t)
    t = time.perf_counter()
    weekly = gap(demand, capacity)
    t_gap = _seconds(t)
    total = t_demand + t_capacity + t_gap
    print(
        f"  demand (all PCNs)                {t_demand:7.2f} s "
        f"({n_appts / t_demand / 1e6:.1f} M appointments/s; {len(demand.table):,} rows)"
    )
    print(f"  capacity (all PCNs)              {t_capacity:7.2f} s ({len(pcn.staff):,} staff)")
    print(f"  weekly gap by role (all PCNs)    {t_gap:7.2f} s ({len(weekly):,} rows)")
    print(f"  demand + capacity + gap          {total:7.2f} s  (target ≤ 15 s)")

    a = Assumptions()
    lists = pcn.practices.groupby("pcn_code")["list_size"].sum()
    times, rows = [], []
    for code in demand.groups:
        staff = pcn.staff[pcn.staff.pcn_code == code]
        current = staff.groupby(staff.role.astype(str))["wte"].sum()
        max_wte = {r: float(current.get(r, 0.0)) + 3.0 for r in clearlib.reference.roles().code}
        t = time.perf_counter()
        try:
            r = optimise_skill_mix(
                demand.for_group(code),
                min_gp_wte=0.8 * float(current.get("gp", 0.0)),
                max_wte=max_wte,
                arrs_budget=a.arrs_per_patient * float(lists[code]),
            )
            outcome = f"£{r.costs['total_cost'] / 1e6:5.2f}m vs £{_cost(staff) / 1e6:5.2f}m now"
        except InfeasibleError as exc:
            outcome = f"infeasible: {exc}"
        times.append(_seconds(t))
        rows.append(f"    {code}  {times[-1]:6.3f} s  {outcome}")
    print("  skill-mix optimisation, one PCN at a time:")
    print("\n".join(rows))
    print(
        f"  optimisation per PCN: mean {statistics.mean(times):.3f} s, median "
        f"{statistics.median(times):.3f} s, max {max(times):.3f} s, all {sum(times):.2f} s "
        "(target ≤ 1 s per PCN)"
    )
    _scenarios(pcn, demand.groups[0])


def _scenarios(pcn, code: str) -> None:
    base = workforce.Baseline.from_pcn(
        pcn, pcn_code=code if pcn.practices.pcn_code.nunique() > 1 else None
    )
    print(f"  scenarios on {code} (CPU time):")
    for name in workforce.scenario_names():
        scenario = workforce.load_scenario(name)
        workforce.evaluate(base, scenario)  # first call reads the reference tables
        ts = []
        for _ in range(5):
            t = time.process_time()
            workforce.evaluate(base, scenario)
            ts.append(time.process_time() - t)
        t = time.process_time()
        workforce.sensitivity(base, scenario)
        t_sens = time.process_time() - t
        print(
            f"    {name:<16} evaluate median {statistics.median(ts) * 1000:5.0f} ms "
            f"(target ≤ 150 ms); sensitivity {t_sens:5.2f} s"
        )


def _cost(staff) -> float:
    from clearlib.workforce import team_cost

    return float(team_cost(staff)["cost"].sum())


if __name__ == "__main__":
    main()
