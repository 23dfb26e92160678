"""``clearlib dashboard``: check, serve and export a run's sponsor dashboard.

Thin by design: each command calls a public function of :mod:`clearlib.dashboard`. A run that
fails the publish gate prints ``DataError:`` with the files and cells at fault (never their
values) and exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearlib._console import expected_errors, stdout

__all__ = ["dashboard_app"]

dashboard_app = typer.Typer(
    help="Show a project run to its sponsors: check it, serve it with Voilà, or export it.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

_RUN = typer.Argument(
    metavar="RUN",
    help="A run folder written by clearlib project run (runs/<run-id>).",
    exists=False,
)


@dashboard_app.command("check")
def check(run: Annotated[Path, _RUN]) -> None:
    """Check a run with the publish gate, as serve and export do first.

    Every table, every chart's data and every count in summary.json is checked under the run's
    disclosure policy. Exits with status 0 when the run may be shown, 1 when it may not.

    Example:

      clearlib dashboard check runs/SYN-PCN01-2025-06-01
    """
    import clearlib.dashboard

    with expected_errors():
        report = clearlib.dashboard.check_run(run)
    stdout().print(report.summary(), soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)


@dashboard_app.command("serve")
def serve(
    run: Annotated[Path, _RUN],
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8866,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on. The default serves this machine only."),
    ] = "127.0.0.1",
    token: Annotated[
        str | None,
        typer.Option(help="A token viewers must give in the address (?token=...)."),
    ] = None,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the dashboard in a browser.")
    ] = True,
    preheat: Annotated[
        bool,
        typer.Option(
            "--preheat/--no-preheat",
            help="Keep a kernel ready with the dashboard already run, so it opens fast.",
        ),
    ] = True,
    cell_timeout: Annotated[
        int, typer.Option(min=1, help="Seconds a dashboard cell may run.")
    ] = 60,
    cull_idle: Annotated[
        int,
        typer.Option(min=0, help="Shut a viewer's kernel down after this many idle seconds."),
    ] = 600,
) -> None:
    """Serve a run's sponsor dashboard with Voilà (Ctrl-C stops it).

    The run is checked by the publish gate first and is not served if it fails. Voilà shows
    no code and no tracebacks, and serves only the dashboard: not the run's notebook, not its
    files.

    Examples:

      clearlib dashboard serve runs/SYN-PCN01-2025-06-01

      clearlib dashboard serve runs/SYN-PCN01-2025-06-01 --port 9000 --no-browser
    """
    import clearlib.dashboard

    with expected_errors():
        clearlib.dashboard.serve(
            run,
            port=port,
            host=host,
            token=token,
            open_browser=browser,
            preheat=preheat,
            cell_timeout=cell_timeout,
            cull_idle_timeout=cull_idle,
        )


@dashboard_app.command("export")
def export(
    run: Annotated[Path, _RUN],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path(
        "sponsor.html"
    ),
) -> None:
    """Export a run's sponsor dashboard as one HTML file that opens offline.

    The run is checked by the publish gate first and is not exported if it fails. The file
    holds the charts, the headline figures and the scenario and assumption choices, with the
    figures for each choice precomputed: it needs no server, no internet and no Python.

    Example:

      clearlib dashboard export runs/SYN-PCN01-2025-06-01 --out sponsor.html
    """
    import clearlib.dashboard

    with expected_errors():
        path = clearlib.dashboard.export_html(run, out)
    size = path.stat().st_size / 1_000_000
    stdout().print(f"Written {path} ({size:.1f} MB): open it in any browser.", soft_wrap=True)
