"""Sponsor dashboards: the publish gate, Voilà serving and a static HTML export of one run.

A project run (``runs/<run-id>/``) holds only aggregates: ``summary.json``, ``aggregates/*.csv``
and ``figures/*.json``. This package shows them to a PCN's sponsors, after checking them again:

- :func:`check_run` is the gate at the publish edge: every table, every figure trace and every
  count in ``summary.json`` must pass :func:`clearlib.privacy.check_publishable` under the
  run's disclosure policy. A run that fails is neither served nor exported.
- :func:`serve` starts Voilà on the sponsor dashboard, from a folder holding only the
  dashboard and the run's public outputs, with sources stripped and tracebacks off.
- :func:`export_html` writes one self-contained HTML file that opens offline.
- :class:`SponsorModel` recomputes a run's staffing, cost, ARRS and gap for the sponsor's
  choices (the controls in ``summary.json``), from the run's aggregates alone.
"""

from clearlib.dashboard._export import export_html
from clearlib.dashboard._format import Card, cards, format_figure
from clearlib.dashboard._gate import RunCheck, check_run, load_summary
from clearlib.dashboard._model import SponsorModel
from clearlib.dashboard._serve import DashboardServer, prepare_serving_folder, serve, start_server
from clearlib.dashboard._widgets import RUN_ENV, find_run, show_dashboard, sponsor_dashboard

__all__ = [
    "RUN_ENV",
    "Card",
    "DashboardServer",
    "RunCheck",
    "SponsorModel",
    "cards",
    "check_run",
    "export_html",
    "find_run",
    "format_figure",
    "load_summary",
    "prepare_serving_folder",
    "serve",
    "show_dashboard",
    "sponsor_dashboard",
    "start_server",
]
