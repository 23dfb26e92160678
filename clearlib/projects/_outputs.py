"""What a project run reads and publishes: the checked extract in, aggregates and figures out.

The project workbook (``templates/project/anticipatory-care-workforce.ipynb``) calls these so
that a run over a PCN's extract does the same thing every time, and the sponsor dashboard
(:class:`clearlib.dashboard.SponsorModel`) recomputes the same figures from the published
aggregates:

- :func:`open_extract` loads a synthetic spec or a dataset folder; a folder is validated
  first, and a failed validation writes its report into ``output_dir/validation/`` and stops
  the run with :class:`clearlib.ValidationError`;
- :func:`select_pcn` keeps one PCN's practices, patients, activity and staff;
- :func:`risk_route_rules` sets the top share of predicted risk a cohort's risk route uses;
- :func:`with_controls` and :func:`scenario_figures` give the figures a sponsor reads for a
  scenario (staffing, cost, ARRS, the gap) under the sponsor's choices; :func:`cohort_needs`
  sizes the cohort's care in hours and WTE;
- :class:`RunOutputs` writes ``aggregates/*.csv`` (UTF-8 with a BOM, so Excel opens them) and
  ``figures/*.json`` through the run's disclosure policy, and ``summary.json`` without
  timestamps, so the same input gives byte-identical outputs;
- :func:`recommendations` turns the figures into plain-language sentences.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError, ValidationError
from clearlib.data import PCNData, load_pcn, read_dataset, validate
from clearlib.segment import (
    PROACTIVE_CARE_RULES,
    CohortRule,
    needs_assumptions,
    read_rules,
    size_needs,
)
from clearlib.workforce import Assumptions, Baseline, Capacity, Scenario, evaluate

__all__ = [
    "CONTROL_NAMES",
    "SCHEMA_VERSION",
    "RunOutputs",
    "cohort_needs",
    "open_extract",
    "recommendations",
    "risk_route_rules",
    "run_dates",
    "scenario_definition",
    "scenario_figures",
    "select_pcn",
    "sponsor_controls",
    "with_controls",
]

#: The version of ``summary.json`` this module writes (templates/README.md documents it).
SCHEMA_VERSION = 1

#: The sponsor's controls, in the order a dashboard shows them.
CONTROL_NAMES = ("needs_assessment_minutes", "risk_top_share", "care_coordinator_wte")

#: Calendar weeks in a year (365.25 / 7).
WEEKS_PER_YEAR = 365.25 / 7

#: The activity of :func:`clearlib.segment.size_needs` and the workforce task it is.
NEEDS_ACTIVITY = "Proactive care needs assessment"
NEEDS_TASK = "needs_assessment"

#: The role whose clinical hours a year convert the cohort's hours into WTE.
COHORT_WTE_ROLE = "advanced_practitioner"

_TOP = re.compile(r"\brisk_top[0-9_]+\b")
_TOP_NAME = re.compile(r"\btop \d+(?:\.\d+)?%")


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------
def open_extract(
    data_source: str | Path,
    output_dir: str | Path = ".",
    *,
    tables: Iterable[str] | None = None,
) -> PCNData:
    """Load a project's data: a synthetic spec by name, or a dataset folder, checked first.

    A folder is validated against the data dictionary (:func:`clearlib.validate`) before
    anything is read. If it breaks the dictionary, the report is written into
    ``output_dir/validation/`` (``summary.txt``, ``problems.csv``, ``rejected_rows.csv``) and
    the run stops. A spec name (``"default"``, ``"ics"``) loads clearlib's synthetic data,
    which is generated to the dictionary.

    Parameters
    ----------
    data_source : str or Path
        A spec name, or the path of a dataset folder (Parquet, as ``clearlib data synth`` or
        an import writes it).
    output_dir : str or Path, default "."
        The run folder (the report goes into its ``validation/``).
    tables : iterable of str, optional
        Read only these tables (the others are empty).

    Returns
    -------
    PCNData

    Raises
    ------
    clearlib.ValidationError
        If the folder breaks the data dictionary; the message is the report's summary.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "practices.csv").write_text("practice_code,pcn_code\\nSYN-G001,SYN-PCN01\\n")
    >>> try:
    ...     open_extract(folder, folder / "run")
    ... except ValidationError as exc:
    ...     print(str(exc).split(":")[0])
    NOT VALID
    >>> sorted(p.name for p in (folder / "run" / "validation").iterdir())
    ['problems.csv', 'rejected_rows.csv', 'summary.txt']
    """
    source = Path(data_source)
    if not source.exists():
        return load_pcn(str(data_source), tables=tables)
    if source.is_dir() or source.suffix != ".toml":
        report = validate(source)
        if not report.ok:
            folder = Path(output_dir) / "validation"
            report.to_csv(folder)
            text = report.summary(max_problems=200)
            (folder / "summary.txt").write_text(text + "\n", encoding="utf-8")
            raise ValidationError(
                f"{text}\n\nThe full report is in {folder}. Fix the extract (or its mapping) "
                "and run the workbook again.",
                report=report,
            )
        return read_dataset(source, tables=tables)
    return load_pcn(source, tables=tables)


def select_pcn(pcn: PCNData, pcn_code: str = "") -> PCNData:
    """One PCN of a dataset: its practices, their patients and records, and its staff.

    Parameters
    ----------
    pcn : PCNData
    pcn_code : str, default ""
        The PCN; empty: the dataset's only PCN, or the first in code order.

    Raises
    ------
    clearlib.ConfigError
        If the dataset has no such PCN (the message lists them).

    Examples
    --------
    >>> practices = pd.DataFrame({"practice_code": ["A", "B"], "pcn_code": ["P1", "P2"]})
    >>> staff = pd.DataFrame({"staff_id": ["s1", "s2"], "pcn_code": ["P1", "P2"]})
    >>> patients = pd.DataFrame({"patient_id": ["p1", "p2"], "practice_code": ["A", "B"]})
    >>> empty = {name: pd.DataFrame() for name in PCNData.table_names()}
    >>> tables = {**empty, "practices": practices, "staff": staff, "patients": patients}
    >>> one = select_pcn(PCNData(**tables), "P2")
    >>> one.practices["practice_code"].tolist(), one.staff["staff_id"].tolist()
    (['B'], ['s2'])
    """
    codes = sorted(pcn.practices["pcn_code"].astype(str).unique())
    if not codes:
        raise DataError("the dataset has no practices, so no PCN to analyse.")
    code = pcn_code or codes[0]
    if code not in codes:
        raise ConfigError(
            f"pcn_code {code!r} is not in the dataset; its PCNs are {', '.join(codes)}. Set "
            "pcn_code to one of them (or leave it empty for the first)."
        )
    if len(codes) == 1:
        return pcn
    practices = pcn.practices[pcn.practices["pcn_code"].astype(str) == code]
    mine = set(practices["practice_code"].astype(str))
    tables: dict[str, pd.DataFrame] = {"practices": practices.reset_index(drop=True)}
    patients = pcn.patients
    keep = patients["practice_code"].astype(str).isin(mine)
    tables["patients"] = patients[keep].reset_index(drop=True)
    ids = tables["patients"]["patient_id"]
    for name, frame in pcn.items():
        if name in tables:
            continue
        if "pcn_code" in frame.columns:  # staff
            tables[name] = frame[frame["pcn_code"].astype(str) == code].reset_index(drop=True)
        elif "practice_code" in frame.columns:  # appointments
            kept = frame["practice_code"].astype(str).isin(mine)
            tables[name] = frame[kept].reset_index(drop=True)
        elif "patient_id" in frame.columns:
            tables[name] = frame[frame["patient_id"].isin(ids)].reset_index(drop=True)
        else:
            tables[name] = frame
    return PCNData(**tables, manifest=dict(pcn.manifest))


def run_dates(
    pcn: PCNData, period_start: str = "", period_end: str = "", index_date: str = ""
) -> dict[str, pd.Timestamp]:
    """The run's period and index date, with the extract's defaults filled in.

    Empty ``period_start``/``period_end``: the first/last day with an appointment. Empty
    ``index_date``: one year before the end of the period (the cohort is drawn then, and its
    care is costed over the year that follows).

    Returns
    -------
    dict
        ``start``, ``end``, ``index_date`` (Timestamps) and ``year_start`` (the day after the
        index date: the first day of the year demand and capacity are compared over).

    Raises
    ------
    clearlib.ConfigError
        If a date is unreadable or they are out of order.

    Examples
    --------
    >>> appts = pd.DataFrame({"start": pd.to_datetime(["2024-04-02 09:00", "2026-03-31 17:00"])})
    >>> empty = {name: pd.DataFrame() for name in PCNData.table_names()}
    >>> d = run_dates(PCNData(**{**empty, "appointments": appts}))
    >>> [str(d[k].date()) for k in ("start", "end", "index_date", "year_start")]
    ['2024-04-02', '2026-03-31', '2025-03-31', '2025-04-01']
    """
    start = pd.to_datetime(pcn.appointments["start"])
    if start.isna().all():
        raise DataError("the extract has no appointments with a start date, so no period.")

    def day(value: str, default: pd.Timestamp, name: str) -> pd.Timestamp:
        if not value:
            return default
        try:
            return pd.Timestamp(value).normalize()
        except (TypeError, ValueError):
            raise ConfigError(
                f"{name}: expected an ISO date (YYYY-MM-DD); found {value!r}."
            ) from None

    first, last = start.min().normalize(), start.max().normalize()
    begin = day(period_start, first, "period_start")
    end = day(period_end, last, "period_end")
    index = day(index_date, end - pd.DateOffset(years=1), "index_date")
    if not begin <= index < end:
        raise ConfigError(
            f"dates out of order: expected period_start <= index_date < period_end; found "
            f"{begin.date()}, {index.date()}, {end.date()} (the extract runs from {first.date()} "
            f"to {last.date()})."
        )
    return {
        "start": begin,
        "end": end,
        "index_date": index,
        "year_start": index + pd.Timedelta(days=1),
    }


# ---------------------------------------------------------------------------------------------
# Cohort and scenario
# ---------------------------------------------------------------------------------------------
def _flag(share: float) -> str:
    pct = f"{100 * share:.10g}".replace(".", "_")
    return f"risk_top{pct}"


def risk_route_rules(rules: Any = None, risk_top_share: float = 0.05) -> list[CohortRule]:
    """Cohort rules whose risk route uses the top ``risk_top_share`` of predicted risk.

    Every ``risk_topN`` flag in an include rule becomes the flag for ``risk_top_share`` (the
    column :func:`clearlib.segment.join_risk` adds with ``fractions=[risk_top_share]``), and a
    ``top N%`` in the rule's name follows. A share of 0 drops include rules that use risk.

    Parameters
    ----------
    rules : rules, optional
        Anything :class:`clearlib.segment.Cohort` accepts; default the proactive-care rules.
    risk_top_share : float, default 0.05
        From 0 to 1.

    Examples
    --------
    >>> [r.condition for r in risk_route_rules(None, 0.1)][:2]
    ['efi_deficits >= 9', 'risk_top10 and ltc_count >= 2']
    >>> [r.name for r in risk_route_rules(None, 0.0)]
    ['moderate or severe frailty', 'care home resident', 'end of life']
    """
    share = float(risk_top_share)
    if not 0 <= share <= 1:
        raise ConfigError(f"risk_top_share: expected a share from 0 to 1; found {share:g}.")
    out = []
    for r in read_rules(PROACTIVE_CARE_RULES if rules is None else rules, CohortRule):
        if r.action == "include" and _TOP.search(r.condition):
            if share == 0:
                continue
            name = _TOP_NAME.sub(f"top {100 * share:g}%", r.name)
            r = replace(r, name=name, condition=_TOP.sub(_flag(share), r.condition))
        out.append(r)
    return out


def cohort_needs(cohort_size: int, needs_assessment_minutes: float | None = None) -> dict:
    """Hours a year of the cohort's proactive care (:func:`clearlib.segment.size_needs`), in WTE.

    WTE are clinical hours of an advanced practitioner (the role that assesses in the
    proactive-care scenario): 37.5 paid hours a week less leave, training and non-clinical
    time (:meth:`clearlib.workforce.Assumptions.clinical_hours_per_wte`), over 52.18 weeks.

    Examples
    --------
    >>> needs = cohort_needs(100)
    >>> needs["hours_per_year"]  # 100 x (60 + 45 + 4 x 15 + 3 x 20) minutes / 60
    375.0
    >>> cohort_needs(100, 90)["hours_per_year"]
    425.0
    """
    minutes = (
        None if needs_assessment_minutes is None else {NEEDS_ACTIVITY: needs_assessment_minutes}
    )
    table = size_needs(int(cohort_size), minutes=minutes)
    hours = float(table["hours_per_year"].iloc[-1])
    per_wte = float(Assumptions().clinical_hours_per_wte()[COHORT_WTE_ROLE]) * WEEKS_PER_YEAR
    return {"hours_per_year": hours, "wte": hours / per_wte}


def with_controls(
    scenario: Scenario,
    *,
    cohort_size: float | None = None,
    needs_assessment_minutes: float | None = None,
    care_coordinator_wte: float | None = None,
) -> Scenario:
    """A scenario under a sponsor's choices.

    - ``cohort_size``: each new service that states a cohort (``cohort_share`` or
      ``cohort_size``) serves this many people instead;
    - ``needs_assessment_minutes``: minutes of a proactive-care needs assessment (the task
      ``needs_assessment``), an assumption of every scenario;
    - ``care_coordinator_wte``: the care coordinator WTE a scenario recruits (its ``add_wte``
      change for them, or a new one); ignored by a scenario that optimises its team.

    Examples
    --------
    >>> from clearlib.workforce import load_scenario
    >>> s = with_controls(load_scenario("proactive_care"), cohort_size=1200, care_coordinator_wte=2)
    >>> s.changes[0]["cohort_size"], [c["wte"] for c in s.changes if c["type"] == "add_wte"]
    (1200.0, [2.0, 1.0])
    """
    changes = [dict(c) for c in scenario.changes]
    if cohort_size is not None:
        for c in changes:
            if c["type"] == "new_service" and ("cohort_share" in c or "cohort_size" in c):
                c.pop("cohort_share", None)
                c["cohort_size"] = float(cohort_size)
    if care_coordinator_wte is not None and scenario.optimise is None:
        wte = float(care_coordinator_wte)
        hits = [c for c in changes if c["type"] == "add_wte" and c["role"] == "care_coordinator"]
        for c in hits[1:]:
            changes.remove(c)
        if hits and wte > 0:
            hits[0]["wte"] = wte
        elif hits:
            changes.remove(hits[0])
        elif wte > 0:
            changes.append({"type": "add_wte", "role": "care_coordinator", "wte": wte})
    a = scenario.assumptions
    if needs_assessment_minutes is not None:
        minutes = dict(a.minutes)
        minutes[NEEDS_TASK] = float(needs_assessment_minutes)
        a = replace(a, minutes=minutes)
    return replace(scenario, changes=tuple(changes), assumptions=a)


def sponsor_controls(
    scenario: Scenario, *, risk_top_share: float, shares: Sequence[float]
) -> list[dict[str, Any]]:
    """The sponsor's controls for ``summary.json`` (:data:`CONTROL_NAMES`), at the run's values.

    Parameters
    ----------
    scenario : Scenario
        The proposed scenario (its care coordinator recruits give that control's value).
    risk_top_share : float
        The run's top share of predicted risk.
    shares : sequence of float
        The shares the run computed a cohort size for (the only values offered).

    Examples
    --------
    >>> from clearlib.workforce import load_scenario
    >>> controls = sponsor_controls(load_scenario("proactive_care"), risk_top_share=0.05,
    ...                             shares=[0.0, 0.05, 0.1])
    >>> [(c["name"], c["value"]) for c in controls]
    [('needs_assessment_minutes', 60.0), ('risk_top_share', 0.05), ('care_coordinator_wte', 1.5)]
    """
    needs = needs_assumptions().set_index("activity")
    minutes = float(needs.loc[NEEDS_ACTIVITY, "minutes_each"])
    recruits = [
        float(c["wte"])
        for c in scenario.changes
        if c["type"] == "add_wte" and c["role"] == "care_coordinator"
    ]
    values = sorted({float(x) for x in shares} | {float(risk_top_share)})
    return [
        {
            "name": CONTROL_NAMES[0],
            "label": "Minutes per needs assessment",
            "value": minutes,
            "min": 30.0,
            "max": 90.0,
            "step": 15.0,
            "unit": "minutes",
        },
        {
            "name": CONTROL_NAMES[1],
            "label": "Top share of predicted risk in the cohort",
            "value": float(risk_top_share),
            "min": values[0],
            "max": values[-1],
            "step": 0.01,
            "unit": "share",
            "values": values,
        },
        {
            "name": CONTROL_NAMES[2],
            "label": "Care coordinators recruited (WTE)",
            "value": sum(recruits),
            "min": 0.0,
            "max": 4.0,
            "step": 0.5,
            "unit": "WTE",
        },
    ]


def _wte_by_role(staff: pd.DataFrame) -> dict[str, float]:
    wte = staff.groupby(staff["role"].astype(str))["wte"].sum()
    return {str(k): float(v) for k, v in wte.items() if v > 1e-9}


def scenario_figures(
    baseline: Baseline, scenario: Scenario | None = None, *, today: pd.Series | None = None
) -> dict:
    """The figures a sponsor reads for a scenario (the as-is when None), computed by clearlib.

    Parameters
    ----------
    baseline : Baseline
    scenario : Scenario, optional
        Evaluated under its own assumptions; default the as-is.
    today : Series, optional
        ``clearlib.workforce.evaluate(baseline)``, when already computed (a dashboard keeps it).

    Returns
    -------
    dict
        ``staffing_today`` and ``staffing_proposed`` (WTE by role), ``cost_today``,
        ``cost_proposed``, ``pcn_cost_today`` and ``pcn_cost_proposed`` (employment cost a
        year, and the PCN's share after ARRS reimbursement), ``arrs_allocation``,
        ``arrs_claimed`` and ``arrs_headroom`` (£ a year), ``demand_hours_per_week``,
        ``capacity_hours_per_week``, ``gap_hours_per_week`` (the sum of each role's
        shortfall), ``gap_wte`` (that shortfall in WTE of each role), ``gap_by_role`` (hours a
        week, shortfalls only), ``wte_today``, ``wte_proposed`` and ``gp_hours_released``.

    Examples
    --------
    >>> from clearlib.workforce import Demand
    >>> cal = pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "days": [7], "open_days": [5]})
    >>> demand = Demand(pd.DataFrame({"week": pd.to_datetime(["2025-01-06"]), "task": "triage",
    ...                               "role": "gp", "units": [240.0], "hours": [20.0]}), cal)
    >>> base = Baseline(demand, pd.DataFrame({"role": ["gp"], "wte": [1.0]}), list_size=2000)
    >>> f = scenario_figures(base)
    >>> round(f["gap_hours_per_week"], 3), round(f["gap_wte"], 4)  # 0.425 h of 19.575 h a WTE
    (0.425, 0.0217)
    """
    asis = evaluate(baseline) if today is None else today
    if scenario is None:
        a = Assumptions()
        demand, staff, m = baseline.demand, baseline.staff, asis
    else:
        a = scenario.assumptions
        state = scenario.apply(baseline, a)
        demand, staff = state.demand, state.staff
        # the state's demand already carries the scenario's minutes and demand scale
        done = replace(a, minutes={}, minutes_scale=1.0, demand_scale=1.0)
        m = evaluate(Baseline(demand, staff, state.list_size, scenario.name), assumptions=done)
    by_role = demand.per_week("role")
    capacity = Capacity.from_staff(staff, assumptions=a).per_week()
    roles = sorted(set(by_role.index) | set(capacity.index))
    gap = by_role.reindex(roles, fill_value=0.0) - capacity.reindex(roles, fill_value=0.0)
    short = gap[gap > 1e-9]
    per_wte = a.clinical_hours_per_wte()
    return {
        "staffing_today": _wte_by_role(baseline.staff),
        "staffing_proposed": _wte_by_role(staff),
        "cost_today": float(asis["total_cost"]),
        "cost_proposed": float(m["total_cost"]),
        "pcn_cost_today": float(asis["pcn_cost"]),
        "pcn_cost_proposed": float(m["pcn_cost"]),
        "arrs_allocation": float(m["arrs_budget"]),
        "arrs_claimed": float(m["arrs_reimbursement"]),
        "arrs_headroom": float(m["arrs_budget"] - m["arrs_reimbursement"]),
        "demand_hours_per_week": float(m["demand_hours_per_week"]),
        "capacity_hours_per_week": float(m["capacity_hours_per_week"]),
        "gap_hours_per_week": float(short.sum()),
        "gap_wte": float((short / per_wte.reindex(short.index)).sum()),
        "gap_by_role": {str(r): float(h) for r, h in short.sort_values(ascending=False).items()},
        "wte_today": float(asis["wte"]),
        "wte_proposed": float(m["wte"]),
        "gp_hours_released": float(asis["gp_hours_per_week"] - m["gp_hours_per_week"]),
    }


def scenario_definition(scenario: Scenario) -> dict:
    """A scenario as a plain dict (``Scenario.from_dict`` rebuilds it), without sources.

    Examples
    --------
    >>> from clearlib.workforce import load_scenario
    >>> d = scenario_definition(load_scenario("cheapest_mix"))
    >>> d["optimise"]["min_gp_share"], Scenario.from_dict(d).name
    (0.8, 'Cheapest mix')
    """
    defaults = Assumptions()
    assumptions = {}
    for f in fields(Assumptions):
        value = getattr(scenario.assumptions, f.name)
        if isinstance(value, Mapping):
            value = dict(value)
        if value != (
            dict(getattr(defaults, f.name))
            if isinstance(value, dict)
            else getattr(defaults, f.name)
        ):
            assumptions[f.name] = value
    out: dict[str, Any] = {
        "schema_version": 1,
        "name": scenario.name,
        "description": scenario.description,
        "changes": [{k: v for k, v in c.items() if k != "source"} for c in scenario.changes],
        "assumptions": assumptions,
    }
    if scenario.optimise is not None:
        out["optimise"] = dict(scenario.optimise)
    return out


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------
def _suppress(frame: pd.DataFrame, count_cols: Sequence[str], policy: str) -> pd.DataFrame:
    from clearlib.privacy import suppress

    return suppress(frame, count_cols=list(count_cols), policy=policy).table


def _check(frame: pd.DataFrame, policy: str, name: str) -> None:
    """Refuse a table the publish gate would refuse (identifiers, free text, small counts)."""
    from clearlib.privacy import check_publishable

    check = check_publishable(frame, policy=policy, name=name)
    if not check.ok:
        raise DataError(
            f"{check.summary()}\nOnly aggregates that pass the disclosure policy leave a run: "
            "group the rows, or name the count columns so they are suppressed."
        )


def _policy(name: str) -> Any:
    from clearlib.privacy import policy

    return policy(name)


def _clean(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, floats rounded to 2 decimals, NaN to None."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if not math.isfinite(x):
            return None
        x = round(x, 2)
        return 0.0 if x == 0 else x
    if value is pd.NA or value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


class RunOutputs:
    """A run's public outputs, written through its disclosure policy.

    Parameters
    ----------
    output_dir : str or Path
        The run folder; ``aggregates/`` and ``figures/`` are created in it.
    policy : str, default "hide-1-4"
        A named disclosure policy (:func:`clearlib.privacy.policy`).

    Examples
    --------
    >>> import tempfile
    >>> out = RunOutputs(tempfile.mkdtemp(), policy="hide-1-4")
    >>> table = out.table("by_practice", pd.DataFrame({"practice": ["A", "B", "C"],
    ...                                                "patients": [40, 3, 27]}), counts=["patients"])
    >>> table["patients"].tolist()
    [40, <NA>, <NA>]
    >>> out.tables
    {'by_practice': 'aggregates/by_practice.csv'}
    >>> out.count(3) is None, out.count(12)
    (True, 12)
    """

    def __init__(self, output_dir: str | Path, *, policy: str = "hide-1-4") -> None:
        self.root = Path(output_dir)
        self.policy = _policy(policy)
        self.tables: dict[str, str] = {}
        self.figures: dict[str, str] = {}
        self.png = importlib.util.find_spec("kaleido") is not None
        self.png_problem = ""
        self._pending_png: list[tuple[Any, Path]] = []
        (self.root / "aggregates").mkdir(parents=True, exist_ok=True)
        (self.root / "figures").mkdir(parents=True, exist_ok=True)

    def count(self, n: Any) -> int | None:
        """A single count as it may be published: None if hidden, else rounded by the policy."""
        if n is None or (isinstance(n, float) and math.isnan(n)):
            return None
        return self.policy.protect(int(n))

    def table(self, name: str, frame: pd.DataFrame, *, counts: Sequence[str] = ()) -> pd.DataFrame:
        """Write ``aggregates/<name>.csv``: counts suppressed under the policy, UTF-8 with BOM.

        Parameters
        ----------
        name : str
            File stem (letters, digits and underscores).
        frame : DataFrame
            An aggregate table (its index is written when named).
        counts : sequence of str
            The count columns (people, appointments): suppressed and rounded under the policy
            with secondary suppression. Other numbers (hours, WTE, £) are written as they are.

        Returns
        -------
        DataFrame
            The table as published.

        Raises
        ------
        clearlib.DataError
            If the table as published would not pass
            :func:`clearlib.privacy.check_publishable` (an identifier, free text, or a count
            not declared in ``counts``).
        """
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise ConfigError(f"table name {name!r}: use lower-case letters, digits and _.")
        out = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
        out = out.reset_index(drop=True)
        if counts:
            out = _suppress(out, counts, self.policy.name)
        _check(out, self.policy.name, f"table {name!r}")
        path = self.root / "aggregates" / f"{name}.csv"
        out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        self.tables[name] = f"aggregates/{name}.csv"
        return out

    def figure(self, name: str, fig: Any) -> Any:
        """Write ``figures/<name>.json`` (plotly JSON); its PNG follows with :meth:`summary`.

        PNGs are drawn by kaleido, all in one browser session when the summary is written
        (one start of the browser instead of one per figure).
        """
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise ConfigError(f"figure name {name!r}: use lower-case letters, digits and _.")
        path = self.root / "figures" / f"{name}.json"
        text = json.dumps(json.loads(fig.to_json()), sort_keys=True, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        if self.png:
            self._pending_png.append((fig, self.root / "figures" / f"{name}.png"))
        self.figures[name] = f"figures/{name}.json"
        return fig

    def _write_pngs(self) -> None:
        if not self._pending_png:
            return
        import plotly.io as pio

        figs, paths = zip(*self._pending_png, strict=True)
        self._pending_png = []
        try:
            pio.write_images(list(figs), list(paths), width=1000, height=560)
        except Exception as exc:  # kaleido needs a Chrome or Chromium; a PNG is optional
            self.png_problem = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]

    def waterfall(self, waterfall: pd.DataFrame) -> list[dict]:
        """The exclusion waterfall as it may be published (``step``, ``remaining``, ``removed``).

        ``removed`` counts are suppressed with the population minus the cohort as their known
        total; a ``remaining`` count is hidden wherever a hidden ``removed`` could be worked
        out from it, and every count shown is rounded by the policy.

        Examples
        --------
        >>> import tempfile
        >>> wf = pd.DataFrame({"rule": ["population", "meets no include rule", "care home",
        ...                             "end of life", "cohort"],
        ...                    "removed": [0, 900, 3, 40, 0], "remaining": [1000, 100, 97, 57, 57]})
        >>> rows = RunOutputs(tempfile.mkdtemp()).waterfall(wf)
        >>> [(r["removed"], r["remaining"]) for r in rows]
        [(0, 1000), (900, 100), (None, None), (None, 57), (0, 57)]
        """
        steps = waterfall.reset_index(drop=True)
        middle = steps.iloc[1:-1]
        table = pd.DataFrame(
            {"step": middle["rule"].astype(str).to_numpy(), "removed": middle["removed"].to_numpy()}
        )
        removed = _suppress(table, ["removed"], self.policy.name)["removed"]
        hidden = removed.isna().to_numpy()
        n_hidden = int(hidden.sum())
        rows = [
            {
                "step": str(steps.loc[0, "rule"]),
                "remaining": self.count(steps.loc[0, "remaining"]),
                "removed": 0,
            }
        ]
        seen = 0
        for k, (_, row) in enumerate(middle.iterrows()):
            seen += int(hidden[k])
            known = seen in (0, n_hidden)
            rows.append(
                {
                    "step": str(row["rule"]),
                    "remaining": self.count(row["remaining"]) if known else None,
                    "removed": None if hidden[k] else self.count(row["removed"]),
                }
            )
        last = steps.iloc[-1]
        rows.append(
            {"step": str(last["rule"]), "remaining": self.count(last["remaining"]), "removed": 0}
        )
        return rows

    def summary(self, content: Mapping[str, Any]) -> dict:
        """Write ``summary.json``: ``content`` with the schema version, policy, tables, figures.

        Floats are rounded to 2 decimals and keys keep their order, with no timestamps, so the
        same run gives the same bytes.
        """
        body = {
            "schema_version": SCHEMA_VERSION,
            **{k: v for k, v in content.items() if k not in ("tables", "figures", "policy")},
            "policy": {"name": self.policy.name, "description": self.policy.describe()},
            "tables": dict(sorted(self.tables.items())),
            "figures": dict(sorted(self.figures.items())),
        }
        self._write_pngs()
        notes = list(content.get("notes", []))
        if not self.png:
            notes.append(
                "PNG renderings of the figures need kaleido (pip install kaleido); the plotly "
                "JSON figures are complete."
            )
        elif self.png_problem:
            notes.append(
                f"PNG renderings stopped ({self.png_problem}); the plotly JSON figures are "
                "complete."
            )
        if notes:
            body["notes"] = notes
        body = _clean(body)
        text = json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False)
        (self.root / "summary.json").write_text(text + "\n", encoding="utf-8")
        return body


# ---------------------------------------------------------------------------------------------
# Recommendations
# ---------------------------------------------------------------------------------------------
def _money(x: float) -> str:
    return f"£{abs(x):,.0f}"


def _roles(names: Iterable[str]) -> str:
    words = [n.replace("_", " ") for n in names]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def recommendations(
    headline: Mapping[str, Any],
    scenarios: Sequence[Mapping[str, Any]] = (),
    *,
    sensitivity: pd.DataFrame | None = None,
) -> list[str]:
    """Plain-language recommendations generated from a run's figures.

    Parameters
    ----------
    headline : mapping
        ``summary.json``'s headline: ``scenario``, ``cohort_size``, ``cohort_hours_per_year``,
        ``cohort_wte``, ``gap_hours_per_week``, ``gap_wte``, ``gap_by_role``, ``cost_today``,
        ``cost_proposed``, ``pcn_cost_today``, ``pcn_cost_proposed``, ``arrs_allocation``,
        ``arrs_headroom``, ``list_size``.
    scenarios : sequence of mapping
        ``summary.json``'s scenarios (``name`` and ``metrics`` with ``total_cost``,
        ``gp_wte``, ``shortfall_hours_per_week``) to mention cheaper alternatives.
    sensitivity : DataFrame, optional
        From :func:`clearlib.workforce.sensitivity`: the largest swing is named.

    Examples
    --------
    >>> h = {"scenario": "Proactive care", "cohort_size": 1750, "cohort_hours_per_year": 6562.5,
    ...      "cohort_wte": 5.5, "gap_hours_per_week": 19.4, "gap_wte": 0.9,
    ...      "gap_by_role": {"care_coordinator": 12.0, "gp": 7.4}, "cost_today": 4.5e6,
    ...      "cost_proposed": 4.6e6, "pcn_cost_today": 3.2e6, "pcn_cost_proposed": 3.3e6,
    ...      "arrs_allocation": 1.27e6, "arrs_headroom": 0.0, "list_size": 47686}
    >>> for line in recommendations(h)[:2]:
    ...     print(line)
    Plan proactive care for about 1,750 people (37 per 1,000 registered patients): their assessments, plans, MDT reviews and follow-up need about 6,562 hours a year, 5.5 WTE of clinical time.
    Under Proactive care the team would still be 19 clinical hours a week short (0.9 WTE), mostly care coordinator and gp: recruit or move work to these roles before the service starts.
    """
    out: list[str] = []
    name = str(headline.get("scenario", "the proposed service"))
    n = headline.get("cohort_size")
    if n is None:
        out.append(
            "The cohort is too small to publish under the disclosure policy: size the service "
            "with the team's own count, inside the PCN."
        )
    else:
        per_1000 = 1000 * n / headline["list_size"] if headline.get("list_size") else float("nan")
        out.append(
            f"Plan proactive care for about {n:,.0f} people ({per_1000:.0f} per 1,000 "
            "registered patients): their assessments, plans, MDT reviews and follow-up need "
            f"about {headline['cohort_hours_per_year']:,.0f} hours a year, "
            f"{headline['cohort_wte']:.1f} WTE of clinical time."
        )
    gap = float(headline.get("gap_hours_per_week") or 0.0)
    roles = list((headline.get("gap_by_role") or {}).keys())[:3]
    if gap >= 1.0:
        out.append(
            f"Under {name} the team would still be {gap:,.0f} clinical hours a week short "
            f"({headline['gap_wte']:.1f} WTE), mostly {_roles(roles)}: recruit or move work to "
            "these roles before the service starts."
        )
    else:
        out.append(
            f"Under {name} every role has the clinical hours its work needs: the redesign can "
            "be staffed from the proposed team."
        )
    extra = float(headline["cost_proposed"]) - float(headline["cost_today"])
    pcn_extra = float(headline["pcn_cost_proposed"]) - float(headline["pcn_cost_today"])
    more = "more" if extra >= 0 else "less"
    text = (
        f"{name} costs {_money(extra)} a year {more} than today's team; after ARRS "
        f"reimbursement the PCN pays {_money(pcn_extra)} {'more' if pcn_extra >= 0 else 'less'}."
    )
    headroom = float(headline.get("arrs_headroom") or 0.0)
    if headroom > 0:
        text += f" {_money(headroom)} of the ARRS allocation is unclaimed: use it first."
    else:
        text += (
            f" The ARRS allocation ({_money(float(headline['arrs_allocation']))}) is fully "
            "claimed, so any further recruit is paid by the PCN."
        )
    out.append(text)
    others = [s for s in scenarios if s.get("name") != name and "metrics" in s]
    if others:
        cheapest = min(others, key=lambda s: float(s["metrics"]["total_cost"]))
        saving = float(headline["cost_today"]) - float(cheapest["metrics"]["total_cost"])
        if saving > 0:
            out.append(
                f"{cheapest['name']} would meet today's demand for {_money(saving)} a year less "
                f"than today's team, with {float(cheapest['metrics']['gp_wte']):.1f} GP WTE: "
                "test it with the practices before committing to recruitment."
            )
    if sensitivity is not None and len(sensitivity):
        top = sensitivity.iloc[0]
        out.append(
            f"The result depends most on {str(top['label']).lower()}: between "
            f"{top['low_value']:.3g} and {top['high_value']:.3g} it moves the shortfall from "
            f"{top['metric_low']:,.0f} to {top['metric_high']:,.0f} hours a week; check it "
            "against the team's own records first."
        )
    return out
