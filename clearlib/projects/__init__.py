"""Project runs: the project workbook's inputs and outputs, Papermill runs and batches.

- :func:`open_extract`, :func:`select_pcn`, :func:`run_dates`: the checked extract, one PCN
  of it, and the run's period;
- :func:`risk_route_rules`, :func:`cohort_needs`, :func:`with_controls`,
  :func:`scenario_figures`, :func:`sponsor_controls`: the cohort and the scenarios under a
  sponsor's choices;
- :class:`RunOutputs`: aggregates, figures and ``summary.json`` through the disclosure policy;
- :func:`recommendations`: plain-language recommendations generated from the figures;
- :func:`run`, :func:`batch`: execute the workbook with Papermill into ``runs/<run-id>/``
  (atomically, with a manifest), once or per PCN/scenario in a process pool or on Dask.

The workbook's helpers (:mod:`clearlib.projects._outputs`) load on first use, so a worker
that only runs notebooks does not import scikit-learn.
"""

from __future__ import annotations

import importlib as _importlib
from typing import Any as _Any

from clearlib.projects._batch import BatchResult, batch, parse_over, pcn_codes
from clearlib.projects._params import (
    Parameter,
    check_parameters,
    parse_parameters,
    template_parameters,
)
from clearlib.projects._run import RunError, RunResult, run

__all__ = [
    "CONTROL_NAMES",
    "SCHEMA_VERSION",
    "BatchResult",
    "Parameter",
    "RunError",
    "RunOutputs",
    "RunResult",
    "batch",
    "check_parameters",
    "cohort_needs",
    "open_extract",
    "parse_over",
    "parse_parameters",
    "pcn_codes",
    "recommendations",
    "risk_route_rules",
    "run",
    "run_dates",
    "scenario_definition",
    "scenario_figures",
    "select_pcn",
    "sponsor_controls",
    "template_parameters",
    "with_controls",
]


_LAZY = {
    "CONTROL_NAMES": "_outputs",
    "SCHEMA_VERSION": "_outputs",
    "RunOutputs": "_outputs",
    "cohort_needs": "_outputs",
    "open_extract": "_outputs",
    "recommendations": "_outputs",
    "risk_route_rules": "_outputs",
    "run_dates": "_outputs",
    "scenario_definition": "_outputs",
    "scenario_figures": "_outputs",
    "select_pcn": "_outputs",
    "sponsor_controls": "_outputs",
    "with_controls": "_outputs",
}


def __getattr__(name: str) -> _Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'clearlib.projects' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"clearlib.projects.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
