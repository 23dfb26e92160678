"""``clearlib project ...``: run the project workbook once, or once per PCN or scenario.

Mounted by the main command as ``app.add_typer(project_app, name="project")``. Each command
calls one public function of :mod:`clearlib.projects` and prints its result; expected problems
(a bad parameter, a failed run) print ``ErrorName: message`` in red and exit with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from clearlib._console import expected_errors, stdout

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["project_app"]

project_app = typer.Typer(
    help="Run the project workbook over your PCN's data: once, or once per PCN or scenario.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

Template = Annotated[
    Path,
    typer.Argument(
        metavar="TEMPLATE",
        help="The workbook, e.g. templates/project/anticipatory-care-workforce.ipynb.",
    ),
]
Parameters = Annotated[
    list[str] | None,
    typer.Option(
        "--parameter",
        "-p",
        metavar="NAME=VALUE",
        help="A parameter of the workbook (repeat for more), e.g. -p pcn_code=SYN-PCN01 "
        "-p risk_top_share=0.02 -p scenario_files=proactive_care,cheapest_mix.",
    ),
]
Data = Annotated[
    str | None,
    typer.Option(
        "--data",
        metavar="NAME|PATH",
        help="Sets data_source: a synthetic spec (default, ics) or your extract's folder.",
    ),
]
RunsDir = Annotated[Path, typer.Option("--runs-dir", help="Where run folders go.")]
Timeout = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds each cell may run before it is stopped.")
]
KillAfter = Annotated[
    float | None,
    typer.Option(
        "--kill-after",
        min=1,
        help="Seconds a whole run may take before its process and kernel are killed "
        "(default: every cell at its limit, plus two minutes).",
    ),
]


@project_app.command("run")
def run_command(
    template: Template,
    parameter: Parameters = None,
    data: Data = None,
    runs_dir: RunsDir = Path("runs"),
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run-id",
            help="The run folder's name (default: <workbook>-<pcn>-<UTC time>-<hash>).",
        ),
    ] = None,
    timeout: Timeout = 600,
    kill_after: KillAfter = None,
    log_output: Annotated[
        bool, typer.Option("--log-output", help="Show the notebook's output as it runs.")
    ] = False,
) -> None:
    """Run the workbook once with these parameters, into runs/<run-id>/.

    The run folder holds the executed notebook, summary.json, aggregates/*.csv, figures/
    and manifest.json (parameters, the data's checksum, versions, timings, status). It is
    assembled in runs/.<run-id>.partial/ and renamed when the run ends, so a folder without
    the dot is always complete. If a cell fails, the message names it and the executed
    notebook is kept.

    Examples:

      clearlib project run templates/project/anticipatory-care-workforce.ipynb \\
          -p pcn_code=SYN-PCN01

      clearlib project run WORKBOOK --data path/to/extract -p risk_top_share=0.02
    """
    import clearlib.projects

    with expected_errors():
        parameters = clearlib.projects.parse_parameters(template, parameter or [])
        result = clearlib.projects.run(
            template,
            parameters,
            data=data,
            runs_dir=runs_dir,
            run_id=run_id,
            timeout=timeout,
            kill_after=kill_after,
            log_output=log_output,
        )
    console = stdout()
    headline = result.summary.get("headline", {})
    console.print(
        f"[green]Run {result.run_id} succeeded[/] in {result.duration:.0f} s.", soft_wrap=True
    )
    if headline:
        table = Table(title="Headline figures", title_justify="left")
        table.add_column("figure")
        table.add_column("value", justify="right")
        for name, value in headline.items():
            if not isinstance(value, dict | list):
                table.add_row(name, _fmt(value))
        console.print(table)
    console.print(f"Run folder: {_shown(result.folder)}", soft_wrap=True)
    console.print(
        f"Sponsor dashboard: clearlib dashboard serve {_shown(result.folder)}", soft_wrap=True
    )


@project_app.command("batch")
def batch_command(
    template: Template,
    over: Annotated[
        list[str] | None,
        typer.Option(
            "--over",
            metavar="NAME=V1,V2",
            help="Run once per value (repeat for every combination): pcn_code=all for every "
            "PCN in the data, pcn_code=A,B, or scenario_files=proactive_care,cheapest_mix.",
        ),
    ] = None,
    parameter: Parameters = None,
    data: Data = None,
    jobs: Annotated[
        str,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N|dask",
            help="Runs side by side on this machine, or 'dask' for a local Dask cluster.",
        ),
    ] = "2",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="A Dask scheduler (tcp://host:8786) whose workers see the same files.",
        ),
    ] = None,
    timeout: Timeout = 600,
    kill_after: KillAfter = None,
    retry_failed: Annotated[
        Path | None,
        typer.Option(
            "--retry-failed",
            metavar="BATCH_DIR",
            help="Rerun only the failed and timed-out runs of this earlier batch.",
        ),
    ] = None,
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """Run the workbook once per PCN or scenario, side by side, into runs/<batch-id>/.

    Each run gets its own process and kernel, a time limit per cell and an outer limit, so
    one run failing or hanging never stops the others. The batch folder holds every run
    folder, batch.json and summary.csv (one row per run with its headline figures). Exits
    with status 1 naming any run that failed; --retry-failed reruns just those.

    Examples:

      clearlib project batch WORKBOOK --over pcn_code=all --data ics --jobs 2

      clearlib project batch WORKBOOK --over scenario_files=proactive_care,cheapest_mix

      clearlib project batch WORKBOOK --retry-failed runs/<batch-id>
    """
    import clearlib.projects
    from clearlib._exceptions import ConfigError

    with expected_errors():
        if jobs != "dask" and not jobs.isdigit():
            raise ConfigError(f"--jobs takes a whole number or 'dask'; got {jobs!r}.")
        if retry_failed is None and not over:
            raise ConfigError(
                "Give --over NAME=V1,V2 (for example --over pcn_code=all), or --retry-failed "
                "BATCH_DIR; for one run use `clearlib project run`."
            )
        values = clearlib.projects.parse_over(template, over or []) if over else None
        parameters = clearlib.projects.parse_parameters(template, parameter or [])
        result = clearlib.projects.batch(
            template,
            values,
            parameters,
            data=data,
            jobs=jobs if jobs == "dask" else int(jobs),
            scheduler=scheduler,
            timeout=timeout,
            kill_after=kill_after,
            retry_failed=retry_failed,
            runs_dir=runs_dir,
        )
        _print_summary(result.summary, result.batch_id)
        stdout().print(f"Batch folder: {_shown(result.folder)}", soft_wrap=True)
        if not result.ok:
            raise clearlib.projects.RunError(result.message)


def _print_summary(summary: pd.DataFrame, title: str) -> None:
    table = Table(title=title, title_justify="left")
    columns = [c for c in summary.columns if c != "message"]
    for column in columns:
        numeric = column not in ("run_id", "status") and summary[column].dtype.kind in "if"
        table.add_column(
            column, justify="right" if numeric else "left", overflow="fold", min_width=6
        )
    colours = {"succeeded": "green", "failed": "red", "timed_out": "yellow"}
    for row in summary.itertuples(index=False):
        values = dict(zip(summary.columns, row, strict=True))
        cells = [_fmt(values[c]) for c in columns]
        status = values.get("status", "")
        cells[columns.index("status")] = f"[{colours.get(status, 'white')}]{status}[/]"
        table.add_row(*cells)
    stdout().print(table)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1e5 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
