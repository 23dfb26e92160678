"""The served sponsor dashboard: one ipywidgets page over one run, for Voilà.

The page shows the run's headline as big-number cards, lets the sponsor pick a scenario and
move the key assumptions (recomputed by :class:`clearlib.dashboard.SponsorModel`), and shows
the run's charts. It reads only the run's public outputs, and checks them with the publish
gate first: a run that fails is not shown, and the page says where the problems are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clearlib._exceptions import ClearlibError, ConfigError
from clearlib.dashboard._format import cards
from clearlib.dashboard._gate import RunCheck, check_run, load_summary
from clearlib.dashboard._page import (
    CSS,
    cards_html,
    cost_bars,
    cost_figure,
    footer_html,
    header_html,
    load_figures,
    recommendations_html,
    team_bars,
    team_figure,
)

__all__ = ["RUN_ENV", "find_run", "show_dashboard", "sponsor_dashboard"]

#: The environment variable that tells the dashboard notebook which run to show.
RUN_ENV = "CLEAR_RUN"

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
_UNEXPECTED = (
    "The dashboard could not be drawn for this run. Ask the project team to check the run "
    "with clearlib dashboard serve, which names the problem."
)


def find_run(default: str | Path = "run") -> Path:
    """The run folder the dashboard shows: ``$CLEAR_RUN``, else ``default`` beside the notebook.

    ``clearlib dashboard serve`` copies the run's public outputs into a serving folder and
    sets ``CLEAR_RUN`` for the dashboard's kernel.

    Raises
    ------
    clearlib.ConfigError
        If neither names a run folder with a summary.json.
    """
    value = os.environ.get(RUN_ENV, "").strip()
    path = Path(value) if value else Path(default)
    if not (path / "summary.json").is_file():
        raise ConfigError(
            f"No run to show: {'$' + RUN_ENV + ' is ' + repr(value) if value else 'no run'} "
            f"and {path} holds no summary.json. Open this dashboard with "
            "clearlib dashboard serve runs/<run-id>."
        )
    return path


def _message(text: str) -> Any:
    import ipywidgets as w

    return w.HTML(f'<div class="clear-message" role="alert">{_escape(text)}</div>')


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def _blocked_html(report: RunCheck) -> str:
    rows = "".join(
        f"<li>{_escape(p.where)}{' (' + _escape(p.cells) + ')' if p.cells else ''}: "
        f"{_escape(p.what)}.</li>"
        for p in report.problems.itertuples(index=False)
    )
    return (
        '<div class="clear-message" role="alert"><p>This run cannot be shown: it did not pass '
        f"the disclosure check under the {_escape(report.policy.name)} policy. The project team "
        "must fix these and run the workbook again:</p>"
        f"<ul>{rows}</ul></div>"
    )


def _show_figure(out: Any, figure: Mapping[str, Any]) -> None:
    import plotly.graph_objects as go
    import plotly.io as pio

    with out:
        out.clear_output(wait=True)
        pio.show(go.Figure(figure), renderer="plotly_mimetype", config=_PLOTLY_CONFIG)


def _field(control: Any, name: str, default: Any = None) -> Any:
    if isinstance(control, Mapping):
        return control.get(name, default)
    return getattr(control, name, default)


def _slider(control: Any) -> Any:
    import ipywidgets as w

    listed = _field(control, "values")
    if listed:  # only these values were computed by the run: offer exactly those
        unit = _field(control, "unit", "") or ""
        label = str(_field(control, "label", _field(control, "name")))
        options = [float(v) for v in listed]
        value = min(options, key=lambda v: abs(v - float(_field(control, "value"))))
        slider = w.SelectionSlider(
            options=[(f"{v:g}", v) for v in options],
            value=value,
            description=f"{label}{' (' + unit + ')' if unit else ''}",
            continuous_update=False,
            style={"description_width": "320px"},
            layout=w.Layout(width="680px"),
        )
        slider.add_class(f"clear-control-{_field(control, 'name')}")
        return slider

    step = float(_field(control, "step", 1) or 1)
    whole = all(float(_field(control, k, 0) or 0).is_integer() for k in ("value", "min", "max"))
    whole = whole and step.is_integer()
    cls = w.IntSlider if whole else w.FloatSlider
    unit = _field(control, "unit", "") or ""
    label = str(_field(control, "label", _field(control, "name")))
    kwargs: dict[str, Any] = {
        "value": _field(control, "value"),
        "min": _field(control, "min"),
        "max": _field(control, "max"),
        "step": int(step) if whole else step,
        "description": f"{label}{' (' + unit + ')' if unit else ''}",
        "continuous_update": False,
        "style": {"description_width": "320px"},
        "layout": w.Layout(width="680px"),
    }
    if not whole:
        decimals = max(0, len(f"{step:.6f}".rstrip("0").split(".")[1]))
        kwargs["readout_format"] = f".{decimals}f"
    slider = cls(**kwargs)
    slider.add_class(f"clear-control-{_field(control, 'name')}")
    return slider


class _Dashboard:
    """The widgets of one dashboard and the callback that recomputes the choices."""

    def __init__(self, run: Path, summary: dict[str, Any], report: RunCheck, model: Any) -> None:
        import ipywidgets as w

        self.run, self.summary, self.model = run, summary, model
        self.pending: list[tuple[Any, dict[str, Any]]] = []
        parts: list[Any] = [
            w.HTML(f"<style>{CSS}</style>"),
            w.HTML(header_html(summary)),
            w.HTML(
                '<section class="clear-section" id="headline"><h2>What the run found</h2>'
                '<p class="clear-intro">For the whole cohort, under the scenario the project '
                "team proposes.</p>"
                f"{cards_html(cards(summary.get('headline') or {}), 'headline')}</section>"
            ),
        ]
        if model is not None:
            parts.append(self._choices())
        else:
            parts.append(
                _message(
                    "The assumptions cannot be changed on this page: this run does not hold "
                    "the figures needed to work them out again. The project team can run the "
                    "workbook again with this version of clearlib."
                )
            )
        parts.append(w.HTML(recommendations_html(summary)))
        for name, heading, sentence, figure in load_figures(run, summary):
            out = w.Output(layout=w.Layout(min_height="420px"))
            out.add_class(f"clear-figure-{name}")
            out.add_class("clear-figure-run")
            self.pending.append((out, figure))
            parts.append(
                w.HTML(
                    f'<section class="clear-section"><h2>{_escape(heading)}</h2>'
                    f'<p class="clear-intro">{_escape(sentence)}</p></section>'
                )
            )
            parts.append(out)
        parts.append(w.HTML(footer_html(summary, report)))
        self.widget = w.VBox(parts, layout=w.Layout(max_width="1100px", margin="0 auto"))
        self.widget.add_class("clear-page")

    def _choices(self) -> Any:
        import ipywidgets as w

        names = list(self.model.scenario_names)
        described = {
            s.get("name"): s.get("description", "")
            for s in self.summary.get("scenarios") or []
            if isinstance(s, Mapping)
        }
        self.scenario = w.Dropdown(
            options=[(n.replace("_", " ").capitalize(), n) for n in names],
            value=names[0] if names else None,
            description="Scenario",
            style={"description_width": "320px"},
            layout=w.Layout(width="680px"),
        )
        self.scenario.add_class("clear-control-scenario")
        self.described = described
        self.sliders = {str(_field(c, "name")): _slider(c) for c in self.model.controls}
        self.reset = w.Button(description="Back to the run's assumptions")
        self.reset.add_class("clear-reset")
        self.note = w.HTML()
        self.result = w.HTML()
        self.cost_chart = w.Output(layout=w.Layout(min_height="280px"))
        self.cost_chart.add_class("clear-figure-choices-cost")
        self.team_chart = w.Output(layout=w.Layout(min_height="280px"))
        self.team_chart.add_class("clear-figure-choices-team")
        self.scenario.observe(self._update, "value")
        for s in self.sliders.values():
            s.observe(self._update, "value")
        self.reset.on_click(self._reset)
        return w.VBox(
            [
                w.HTML(
                    '<section class="clear-section"><h2>Try your own assumptions</h2>'
                    '<p class="clear-intro">Pick a scenario and move an assumption: staffing, '
                    "cost and the gap are worked out again from the run's figures.</p>"
                    "</section>"
                ),
                self.scenario,
                self.note,
                *self.sliders.values(),
                self.reset,
                self.result,
                self.team_chart,
                self.cost_chart,
            ],
            layout=w.Layout(padding="16px"),
        )

    def draw(self) -> None:
        """Draw the charts and the choices' figures (once the page is on screen)."""
        for out, figure in self.pending:
            _show_figure(out, figure)
        self.pending = []
        if self.model is not None:
            self._update()

    def _reset(self, *_: Any) -> None:
        for c in self.model.controls:
            self.sliders[str(_field(c, "name"))].value = _field(c, "value")

    def _update(self, *_: Any) -> None:
        scenario = self.scenario.value
        self.note.value = (
            f"<p>{_escape(self.described.get(scenario, ''))}</p>"
            if self.described.get(scenario)
            else ""
        )
        values = {name: s.value for name, s in self.sliders.items()}
        try:
            result = self.model.compute(scenario, **values)
        except ClearlibError as exc:
            self.result.value = f'<div class="clear-message" role="alert">{_escape(str(exc))}</div>'
            return
        except Exception:  # a sponsor sees a sentence, never a traceback
            self.result.value = (
                '<div class="clear-message" role="alert">These choices could not be worked '
                "out. Try other values, or ask the project team.</div>"
            )
            return
        self.result.value = (
            '<section class="clear-section clear-choices" id="choices">'
            "<h3>With your choices</h3>"
            f"{cards_html(cards(result), 'choices')}</section>"
        )
        roles, today, proposed = team_bars(result)
        if roles:
            _show_figure(self.team_chart, team_figure(roles, today, proposed))
        labels, costs = cost_bars(result)
        if labels:
            _show_figure(self.cost_chart, cost_figure(labels, costs))


def _default_model(run: Path) -> Any:
    from clearlib.dashboard import _model

    return _model.SponsorModel.from_run(run)


def show_dashboard(run_folder: str | Path | None = None, *, model: Any = None) -> None:
    """Display the sponsor dashboard, then draw its charts (what the Voilà notebook calls).

    Charts drawn into a page that is already on screen get their full height in Voilà; see
    :func:`sponsor_dashboard` for the parameters.
    """
    from IPython.display import display

    board = _build(run_folder, model)
    display(board.widget if isinstance(board, _Dashboard) else board)
    if isinstance(board, _Dashboard):
        board.draw()


def sponsor_dashboard(run_folder: str | Path | None = None, *, model: Any = None) -> Any:
    """The sponsor dashboard for one run, as an ipywidgets widget (what Voilà shows).

    Parameters
    ----------
    run_folder : str or Path, optional
        The run (or its public copy in a serving folder). Default: :func:`find_run`.
    model : object, optional
        What recomputes the choices; default ``SponsorModel.from_run(run_folder)``.

    Returns
    -------
    ipywidgets.Widget
        The page. Problems (no run, a run that fails the publish gate, a broken file) are
        shown on it as plain sentences, never as tracebacks.
    """
    board = _build(run_folder, model)
    if isinstance(board, _Dashboard):
        board.draw()
        return board.widget
    return board


def _build(run_folder: str | Path | None, model: Any) -> Any:
    """The dashboard (charts not drawn yet), or a page with a plain sentence."""
    import ipywidgets as w

    style = w.HTML(f"<style>{CSS}</style>")
    try:
        run = find_run() if run_folder is None else Path(run_folder)
        summary = load_summary(run)
        report = check_run(run)
        if not report.ok:
            box = w.VBox([style, w.HTML(header_html(summary)), w.HTML(_blocked_html(report))])
            box.add_class("clear-page")
            return box
        if model is None:
            try:
                model = _default_model(run)
            except ClearlibError:  # the page still shows the run; it says why it cannot recompute
                model = None
        return _Dashboard(run, summary, report, model)
    except ClearlibError as exc:
        box = w.VBox([style, _message(str(exc))])
    except Exception:  # a sponsor sees a sentence, never a traceback
        box = w.VBox([style, _message(_UNEXPECTED)])
    box.add_class("clear-page")
    return box
