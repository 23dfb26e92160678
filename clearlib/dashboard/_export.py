"""The sponsor dashboard as one self-contained HTML file: no server, no network, no Python.

The page holds plotly.js once (inlined), the run's charts as plotly JSON, the headline cards,
and the scenario and assumption choices as plain HTML controls over a grid of figures
precomputed with :class:`clearlib.dashboard.SponsorModel` (JavaScript only looks them up).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from clearlib._exceptions import ConfigError
from clearlib.dashboard._format import HEADLINE_KEYS, cards, format_figure
from clearlib.dashboard._gate import check_run, load_summary
from clearlib.dashboard._page import (
    CSS,
    _role_name,
    cards_html,
    cost_bars,
    cost_figure,
    footer_html,
    header_html,
    load_figures,
    recommendations_html,
    team_figure,
)

__all__ = ["GRID_POINTS", "export_html", "precompute"]

#: Values offered per assumption on the static page.
GRID_POINTS = 5
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}


def _field(control: Any, name: str, default: Any = None) -> Any:
    if isinstance(control, Mapping):
        return control.get(name, default)
    return getattr(control, name, default)


def precompute(model: Any, points: int = GRID_POINTS) -> dict[str, Any]:
    """The choices the static page offers, with their figures, from ``model.grid``.

    One assumption moves at a time, the others at the run's values (as
    :meth:`SponsorModel.grid` computes them): the page puts the others back when one moves.

    Parameters
    ----------
    model : SponsorModel
        ``.scenario_names``, ``.controls``, ``.compute`` and ``.grid(scenario, points=...)``.
    points : int
        Values offered per assumption.

    Returns
    -------
    dict
        ``scenarios``; ``controls`` (name, label, unit, values, default); ``cards`` (key and
        label of each card); ``costs`` (the cost bars' labels); ``roles``; and ``points``:
        ``{"<scenario>|<i>|<j>...": {"v": card texts, "n": {card: note}, "c": costs,
        "ct": cost texts, "t": WTE today by role, "p": WTE proposed by role}}`` where
        ``i, j`` index each control's values.
    """
    scenarios = list(model.scenario_names)
    controls = list(model.controls)
    names = [str(_field(c, "name")) for c in controls]
    defaults = {n: float(_field(c, "value")) for n, c in zip(names, controls, strict=True)}
    rows = {s: list(model.grid(s, points=points)) for s in scenarios}
    offered: dict[str, set[float]] = {n: {defaults[n]} for n in names}
    for scenario_rows in rows.values():
        for row in scenario_rows:
            used = {n: float(v) for n, v in (row.get("controls") or {}).items() if n in defaults}
            moved = [n for n in names if not math.isclose(used.get(n, defaults[n]), defaults[n])]
            if len(moved) == 1:
                offered[moved[0]].add(used[moved[0]])
    values = [sorted(offered[n]) for n in names]
    results: dict[str, Any] = {}
    for scenario, scenario_rows in rows.items():
        for row in scenario_rows:
            used = {n: float(v) for n, v in (row.get("controls") or {}).items() if n in defaults}
            combo = [
                v.index(_closest(v, used.get(n, defaults[n])))
                for n, v in zip(names, values, strict=True)
            ]
            results["|".join([scenario, *map(str, combo)])] = row
    computed = list(results.values())
    card_keys = [k for k in HEADLINE_KEYS if any(c.key == k for r in computed for c in cards(r))]
    cost_labels = max((cost_bars(r)[0] for r in computed), key=len, default=[])
    roles = sorted({str(role) for r in computed for k in ("staffing_today", "staffing_proposed")
                    for role in (r.get(k) or {})})  # fmt: skip
    points: dict[str, Any] = {}
    for key, result in results.items():
        shown = {c.key: c for c in cards(result, card_keys)}
        labels, costs = cost_bars(result)
        by_label = dict(zip(labels, costs, strict=True))
        today = result.get("staffing_today") or {}
        proposed = result.get("staffing_proposed") or {}
        points[key] = {
            "v": [shown[k].text if k in shown else "" for k in card_keys],
            "n": {
                str(i): shown[k].note
                for i, k in enumerate(card_keys)
                if k in shown and shown[k].note
            },
            "c": [by_label.get(label) for label in cost_labels],
            "ct": [format_figure("cost", by_label.get(label)) for label in cost_labels],
            "t": [round(float(today.get(r, 0.0)), 2) for r in roles],
            "p": [round(float(proposed.get(r, 0.0)), 2) for r in roles],
        }
    return {
        "scenarios": scenarios,
        "controls": [
            {
                "name": n,
                "label": str(_field(c, "label", n)),
                "unit": str(_field(c, "unit", "") or ""),
                "values": [int(x) if float(x).is_integer() else x for x in v],
                "default": v.index(_closest(v, defaults[n])),
            }
            for n, c, v in zip(names, controls, values, strict=True)
        ],
        "cards": [[k, HEADLINE_KEYS[k][0]] for k in card_keys],
        "costs": cost_labels,
        "roles": [_role_name(r) for r in roles],
        "points": points,
    }


def _closest(values: Sequence[float], target: float) -> float:
    return min(values, key=lambda v: abs(float(v) - target))


def _json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


_SCRIPT = """
(function () {
  var grid = JSON.parse(document.getElementById("clear-grid").textContent);
  var figures = JSON.parse(document.getElementById("clear-figures").textContent);
  var config = %(config)s;
  var costLayout = %(cost_layout)s;
  var teamLayout = %(team_layout)s;
  figures.forEach(function (f) {
    Plotly.newPlot(document.getElementById(f.id), f.figure.data, f.figure.layout, config);
  });
  var scenario = document.getElementById("clear-scenario");
  var sliders = grid.controls.map(function (c) {
    return document.getElementById("clear-control-" + c.name);
  });
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function cardsOf(point) {
    var box = el("div", "clear-cards");
    box.id = "choices-cards";
    grid.cards.forEach(function (card, i) {
      if (!point.v[i]) { return; }
      var c = el("div", "clear-card");
      c.setAttribute("data-key", card[0]);
      c.appendChild(el("div", "clear-card-label", card[1]));
      c.appendChild(el("div", "clear-card-value", point.v[i]));
      if (point.n[String(i)]) { c.appendChild(el("div", "clear-card-note", point.n[String(i)])); }
      box.appendChild(c);
    });
    return box;
  }
  function team(point) {
    var idx = grid.roles.map(function (r, i) { return i; }).filter(function (i) {
      return point.t[i] > 0 || point.p[i] > 0;
    });
    idx.sort(function (a, b) {
      var d = Math.max(point.t[b], point.p[b]) - Math.max(point.t[a], point.p[a]);
      return d !== 0 ? d : a - b;
    });
    var roles = idx.map(function (i) { return grid.roles[i]; });
    var layout = JSON.parse(JSON.stringify(teamLayout));
    layout.height = Math.max(280, 60 + 48 * roles.length);
    return {layout: layout, data: [["Today", point.t, "#768692"], ["Proposed", point.p, "#005EB8"]]
      .map(function (b) {
        return {type: "bar", orientation: "h", name: b[0], y: roles,
          x: idx.map(function (i) { return b[1][i]; }), marker: {color: b[2]},
          hovertemplate: "%%{y}: %%{x:.1f} WTE<extra>" + b[0] + "</extra>"};
      })};
  }
  function update() {
    var key = [scenario.value].concat(sliders.map(function (s) { return s.value; })).join("|");
    grid.controls.forEach(function (c, k) {
      var v = c.values[sliders[k].value];
      document.getElementById("clear-readout-" + c.name).textContent =
        String(v) + (c.unit ? " " + c.unit : "");
    });
    var point = grid.points[key];
    var out = document.getElementById("clear-choices-result");
    out.textContent = "";
    if (!point) { out.textContent = "No figures were precomputed for these choices."; return; }
    out.appendChild(cardsOf(point));
    var t = team(point);
    Plotly.react(document.getElementById("clear-figure-choices-team"), t.data, t.layout, config);
    var shown = grid.costs.map(function (l, i) { return i; }).filter(function (i) {
      return point.c[i] !== null;
    });
    Plotly.react(document.getElementById("clear-figure-choices-cost"), [{type: "bar",
      orientation: "h", y: shown.map(function (i) { return grid.costs[i]; }),
      x: shown.map(function (i) { return point.c[i]; }),
      text: shown.map(function (i) { return point.ct[i]; }), textposition: "auto",
      hoverinfo: "skip", marker: {color: ["#768692", "#005EB8", "#41B6E6"].slice(0, shown.length)}
    }], costLayout, config);
  }
  scenario.addEventListener("change", update);
  sliders.forEach(function (s, k) {
    s.addEventListener("input", function () {
      grid.controls.forEach(function (c, j) { if (j !== k) { sliders[j].value = c.default; } });
      update();
    });
  });
  document.getElementById("clear-reset").addEventListener("click", function () {
    grid.controls.forEach(function (c, k) { sliders[k].value = c.default; });
    scenario.value = grid.scenarios[0];
    update();
  });
  update();
})();
"""


def _choices_html(grid: dict[str, Any], described: Mapping[str, str]) -> str:
    options = "".join(
        f'<option value="{html.escape(s)}" title="{html.escape(described.get(s, ""))}">'
        f"{html.escape(s.replace('_', ' ').capitalize())}</option>"
        for s in grid["scenarios"]
    )
    controls = []
    for c in grid["controls"]:
        unit = f" ({html.escape(c['unit'])})" if c["unit"] else ""
        controls.append(
            f'<div class="clear-control"><label for="clear-control-{html.escape(c["name"])}">'
            f"{html.escape(c['label'])}{unit}</label> "
            f'<input type="range" id="clear-control-{html.escape(c["name"])}" min="0" '
            f'max="{len(c["values"]) - 1}" step="1" value="{c["default"]}"> '
            f'<output id="clear-readout-{html.escape(c["name"])}"></output></div>'
        )
    return (
        '<section class="clear-section"><h2>Try your own assumptions</h2>'
        '<p class="clear-intro">Pick a scenario and move an assumption to see staffing, cost '
        "and the gap.</p>"
        '<p class="clear-precomputed">Figures precomputed for these choices, one assumption '
        "at a time: moving one puts the others back to the run's values.</p>"
        '<div class="clear-control"><label for="clear-scenario">Scenario</label> '
        f'<select id="clear-scenario">{options}</select></div>'
        f"{''.join(controls)}"
        '<button type="button" id="clear-reset">Back to the run\'s assumptions</button>'
        '<section class="clear-section clear-choices" id="choices">'
        '<h3>With your choices</h3><div id="clear-choices-result"></div></section>'
        '<div id="clear-figure-choices-team"></div>'
        '<div id="clear-figure-choices-cost"></div></section>'
    )


def export_html(
    run_folder: str | Path,
    out: str | Path = "sponsor.html",
    *,
    model: Any = None,
    points: int = GRID_POINTS,
) -> Path:
    """Write a run's sponsor dashboard as one self-contained HTML file that opens offline.

    The run is checked by the publish gate first; a run that fails is not exported.

    Parameters
    ----------
    run_folder : str or Path
        The run (``runs/<run-id>``).
    out : str or Path, default "sponsor.html"
        The file to write.
    model : SponsorModel, optional
        What computes the choices; default ``SponsorModel.from_run(run_folder)``.
    points : int
        Values offered per assumption (one assumption moves at a time).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    clearlib.DataError
        If the run fails the publish gate (the message names files and cells, never values).
    """
    run = Path(run_folder)
    summary = load_summary(run)
    report = check_run(run).raise_if_blocked()
    if model is None:
        from clearlib.dashboard import _model

        model = _model.SponsorModel.from_run(run)
    grid = precompute(model, points=points)
    described = {
        str(s.get("name")): str(s.get("description", ""))
        for s in summary.get("scenarios") or []
        if isinstance(s, Mapping)
    }
    sections = []
    figures = []
    for i, (name, heading, sentence, figure) in enumerate(load_figures(run, summary)):
        div = f"clear-figure-{i}"
        sections.append(
            f'<section class="clear-section"><h2>{html.escape(heading)}</h2>'
            f'<p class="clear-intro">{html.escape(sentence)}</p>'
            f'<div id="{div}" class="clear-figure" data-name="{html.escape(name)}" '
            'style="height:450px"></div></section>'
        )
        figures.append({"id": div, "figure": figure})
    script = _SCRIPT % {
        "config": _json(_PLOTLY_CONFIG),
        "cost_layout": _json(cost_figure([], [])["layout"]),
        "team_layout": _json(team_figure([], [], [])["layout"]),
    }
    pcn = summary.get("pcn") or {}
    title = f"Anticipatory care: {pcn.get('name') or pcn.get('code') or 'sponsor dashboard'}"
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{margin:0;background:#ffffff}}"
        f"{CSS}</style>"
        f'<script type="text/javascript">{_plotly_js()}</script></head>'
        '<body><main class="clear-page">'
        f"{header_html(summary)}"
        '<section class="clear-section" id="headline"><h2>What the run found</h2>'
        '<p class="clear-intro">For the whole cohort, under the scenario the project team '
        "proposes.</p>"
        f"{cards_html(cards(summary.get('headline') or {}), 'headline')}</section>"
        f"{_choices_html(grid, described)}"
        f"{recommendations_html(summary)}"
        f"{''.join(sections)}"
        f"{footer_html(summary, report)}"
        "</main>"
        f'<script type="application/json" id="clear-grid">{_json(grid)}</script>'
        f'<script type="application/json" id="clear-figures">{_json(figures)}</script>'
        f"<script>{script}</script></body></html>\n"
    )
    target = Path(out)
    if target.is_dir():
        raise ConfigError(f"{target} is a folder; give a file name such as sponsor.html.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
