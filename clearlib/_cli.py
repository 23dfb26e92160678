"""The ``clearlib`` command: make, describe and check the datasets of the course.

Thin by design: each command calls a public clearlib function and prints its result. Expected
problems (a :class:`clearlib.ClearlibError`) print ``ErrorName: message`` in red on stderr and
exit with status 1, without a traceback.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from clearlib._console import expected_errors, stderr, stdout
from clearlib.course._cli import course_app
from clearlib.dashboard._cli import dashboard_app
from clearlib.projects._cli import project_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="clearlib",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
data_app = typer.Typer(
    help="Make a synthetic dataset, see how realistic it is, or check an extract.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(data_app, name="data")
app.add_typer(course_app, name="course")
app.add_typer(dashboard_app, name="dashboard")
app.add_typer(project_app, name="project")


def _progress(console: Console) -> AbstractContextManager[Progress | None]:
    """A progress bar on a terminal; nothing in logs and pipes (rich would add blank lines)."""
    if not console.is_terminal:
        return nullcontext()
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} practices"),
        TimeElapsedColumn(),
        console=console,
    )


def _version(value: bool) -> None:
    if value:
        import clearlib

        stdout().print(f"clearlib {clearlib.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and stop."
        ),
    ] = False,
) -> None:
    """CLEAR Workbooks: synthetic PCN data for learning, and checks for your own PCN's data.

    Start with [bold]clearlib data synth default[/bold], then open the course in JupyterLab.
    """


class Format(StrEnum):
    """The file formats ``data synth`` can write (Parquet is always written)."""

    parquet = "parquet"
    csv = "csv"
    xlsx = "xlsx"


class ExportSystem(StrEnum):
    """The clinical-system exports ``data synth --as`` can imitate."""

    emis = "emis"
    systmone = "systmone"


@data_app.command("synth")
def synth(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The population spec: [bold]default[/bold] (one PCN, about 48,000 patients), "
            "[bold]ics[/bold] (18 PCNs, about 1 million), or a path to a .toml spec.",
        ),
    ] = "default",
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Random seed. Same spec and seed give identical files."),
    ] = None,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="Also write csv/ or xlsx/ copies for spreadsheet users (Parquet is always "
            "written). Excel sheets stop at 1,048,576 rows: use csv for the ICS.",
        ),
    ] = Format.parquet,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder to write. Default: datasets/synthetic/NAME in the course."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, help="PCNs generated side by side (default: up to 2)."),
    ] = None,
    messy: Annotated[
        bool,
        typer.Option(
            "--messy",
            help="Write the dataset as a clinical system's export would arrive (odd dates, "
            "duplicates, renamed columns...) with an answer key, for the data-quality lesson.",
        ),
    ] = False,
    as_system: Annotated[
        ExportSystem | None,
        typer.Option(
            "--as",
            case_sensitive=False,
            help="Write the dataset as an EMIS Web or SystmOne export would arrive (the "
            "system's column names and labels, day-first dates, codes from the example code "
            "lists), to try [bold]clearlib data import[/bold] on.",
        ),
    ] = None,
) -> None:
    """Generate a synthetic PCN dataset from a population spec.

    Every patient is invented: no real person is in it. The dataset is written as Parquet,
    one file per practice, with a manifest of row counts and checksums; the course loads it
    with [bold]clearlib.load_pcn()[/bold].

    Examples:

      clearlib data synth default

      clearlib data synth default --format csv     [dim]# also CSV files for Excel[/dim]

      clearlib data synth ics --jobs 2             [dim]# an ICS of about 1 million patients[/dim]

      clearlib data synth default --messy          [dim]# a messy export and its answer key[/dim]

      clearlib data synth default --as emis        [dim]# as an EMIS Web export would arrive[/dim]
    """
    import clearlib
    import clearlib.synth

    err = stderr()
    with expected_errors():
        if messy and as_system is not None:
            raise typer.BadParameter("choose --messy or --as, not both.")
        if as_system is not None:
            _write_export(name, seed, out, as_system.value)
            return
        if messy:
            _write_messy(name, seed, out)
            return
        with _progress(err) as progress:
            path = clearlib.synth.generate(
                name, seed=seed, out=out, fmt=fmt.value, jobs=jobs, progress=progress
            )
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    if out is not None:
        hint = f'clearlib.data.read_dataset(r"{path}")'
    else:
        hint = f'clearlib.load_pcn("{name}"{"" if seed is None else f", seed={seed}"})'
    _print_summary(manifest, path, hint)


def _print_summary(manifest: dict[str, Any], path: Path, hint: str) -> None:
    console = stdout()
    table = Table(title=f"{manifest['name']} (seed {manifest['seed']})", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, info in manifest["tables"].items():
        table.add_row(name, f"{info['rows']:,}")
    console.print(table)
    console.print(f"Written to {path}", soft_wrap=True)
    extra = [f for f in manifest.get("formats", []) if f != "parquet"]
    for fmt in extra:
        console.print(f"{fmt.upper()} copies in {path / fmt}", soft_wrap=True)
    console.print(f"Load it in Python: {hint}", soft_wrap=True)


def _write_messy(name: str, seed: int | None, out: Path | None) -> None:
    import clearlib
    import clearlib.synth
    from clearlib._config import data_dir

    bundle = clearlib.load_pcn(name, seed=seed)
    target = out if out is not None else data_dir() / f"{bundle.manifest.get('name', name)}-messy"
    written = Path(clearlib.synth.write_messy(bundle, target, seed=seed or 0))
    key = written if written.is_file() else next(iter(sorted(written.glob("*answer*"))), None)
    console = stdout()
    console.print(f"Messy export of {name} written to {target}", soft_wrap=True)
    if key is not None:
        console.print(
            f"Answer key (every injected defect): {key}\n"
            "Keep it from learners until they have looked for the problems themselves.",
            soft_wrap=True,
        )


def _write_export(name: str, seed: int | None, out: Path | None, system: str) -> None:
    import clearlib
    import clearlib.synth
    from clearlib._config import data_dir

    bundle = clearlib.load_pcn(name, seed=seed)
    target = (
        out if out is not None else data_dir() / f"{bundle.manifest.get('name', name)}-{system}"
    )
    folder = clearlib.synth.write_export(bundle, target, system=system)
    template = clearlib.synth.EXPORT_SYSTEMS[system]
    console = stdout()
    n_files = sum(1 for p in folder.iterdir() if p.suffix == ".csv")
    console.print(
        f"{system} export of {name} ({n_files} CSV files) written to {folder}", soft_wrap=True
    )
    console.print(
        f"Import it: clearlib data import {template} {folder} --out {folder}-imported",
        soft_wrap=True,
    )


@data_app.command("import")
def import_(
    mapping: Annotated[
        str,
        typer.Argument(
            metavar="MAPPING",
            help="A mapping file (.toml), or a shipped template: [bold]emis-web[/bold], "
            "[bold]systmone[/bold] (datasets/mappings/).",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The dataset folder to write (Parquet and manifest)."),
    ],
    export: Annotated[
        Path | None,
        typer.Argument(
            metavar="EXPORT",
            help="The folder of export files. Default: the folder that holds the mapping file.",
        ),
    ] = None,
) -> None:
    """Import a clinical system's export through a mapping file, then validate it.

    The mapping file says which export file feeds which table, how each column maps, how
    dates are written and which code lists translate the codes. The dataset is written in
    the course's layout (clearlib.data.read_dataset reads it), with a mapping report in
    OUT/import_report/: rows in and out per table, every unmapped code and label, every
    rejected row and why. Exits with status 1 unless everything mapped and validates.

    Examples:

      clearlib data import my-export/emis-web.toml --out my-pcn

      clearlib data import systmone exports/ --out my-pcn
    """
    import clearlib.data

    console = stdout()
    with expected_errors():
        result = clearlib.data.import_extract(mapping, export, out)
    console.print(result)
    console.print(f"Mapping report written to {out / 'import_report'}", soft_wrap=True)
    console.print(f'Load it in Python: clearlib.data.read_dataset(r"{out}")', soft_wrap=True)
    raise typer.Exit(0 if result.ok else 1)


@data_app.command("profile")
def profile(
    dataset: Annotated[
        str,
        typer.Argument(
            metavar="NAME|PATH",
            help="A spec name (default, ics) or the folder of a generated dataset.",
        ),
    ] = "default",
    strict: Annotated[
        bool,
        typer.Option(help="Exit with status 1 if any target is outside its tolerance."),
    ] = False,
) -> None:
    """Show how realistic a synthetic dataset is.

    For every figure the generator was calibrated to (age mix, disease registers, frailty,
    appointments, admissions...) it prints the published value, the value in the data, and
    whether it is within tolerance, with the source of the published figure.

    Examples:

      clearlib data profile default

      clearlib data profile datasets/synthetic/default-seed7
    """
    import clearlib
    import clearlib.data

    with expected_errors():
        path = Path(dataset)
        is_folder = path.is_dir() and (path / "manifest.json").is_file()
        bundle = clearlib.data.read_dataset(path) if is_folder else clearlib.load_pcn(dataset)
        report = clearlib.data.profile(bundle)
    report.render(stdout())
    if strict and not report.all_within_tolerance:
        raise typer.Exit(1)


@data_app.command("validate")
def validate(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH",
            help="A folder of CSV or Parquet files named for the tables (patients.csv, "
            "appointments.csv, ...), or one such file.",
        ),
    ],
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write every problem and every rejected row as CSV files in this folder.",
        ),
    ] = None,
) -> None:
    """Check your PCN's extract against the data dictionary.

    Every cell is checked: dates written YYYY-MM-DD, codes from the dictionary, keys unique,
    links between tables that point at real rows, dates that make sense (no death before
    birth). Exits with status 0 when the extract is clean and 1 when it has problems.

    Examples:

      clearlib data validate extract/

      clearlib data validate extract/ --report extract-problems/
    """
    import clearlib.data

    console = stdout()
    with expected_errors():
        result = clearlib.data.validate(path)
        result.render(console)
        if report is not None:
            written = result.to_csv(report)
            console.print(f"Report written to {written}", soft_wrap=True)
    raise typer.Exit(0 if result.ok else 1)


@app.command("demo")
def demo(
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="Serve the dashboard at the end (Ctrl-C stops)."),
    ] = True,
    port: Annotated[int, typer.Option(help="The dashboard's port on this machine.")] = 8866,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Where the run folder goes.")] = Path(
        "runs"
    ),
) -> None:
    """The main job end to end, on the synthetic PCN: data, project run, gate, dashboard.

    Makes the default synthetic PCN if it is not there, runs the project workbook over it
    with Papermill into [bold]runs/<run-id>/[/bold], checks every published figure with the
    disclosure gate, writes the offline sponsor page and the dashboard's folder
    ([bold]runs/sponsor-dashboard/[/bold], which Binder's Voilà opens), then serves the sponsor
    dashboard on localhost and prints its address.
    """
    import clearlib
    import clearlib.dashboard
    import clearlib.projects
    from clearlib._config import templates_dir

    console = stdout()
    template = templates_dir() / "project" / "anticipatory-care-workforce.ipynb"
    with expected_errors():
        console.print("[bold]1/4[/bold] The synthetic PCN (made once, then read from the cache)")
        clearlib.load_pcn("default", tables=["practices"])
        console.print(f"[bold]2/4[/bold] Running the project workbook {template.name}")
        result = clearlib.projects.run(template, {"data_source": "default"}, runs_dir=runs_dir)
        summary = clearlib.dashboard.load_summary(result.folder)
        took = result.manifest.get("timing", {}).get("duration_s")
        console.print(
            f"      {result.folder} ({took:.0f} s)" if took else f"      {result.folder}",
            soft_wrap=True,
        )
        for card in clearlib.dashboard.cards(summary.get("headline", {})):
            console.print(f"      {card.label}: {card.text}", soft_wrap=True)
        console.print("[bold]3/4[/bold] The disclosure gate")
        check = clearlib.dashboard.check_run(result.folder).raise_if_blocked()
        console.print(f"      {check.summary()}", soft_wrap=True)
        page = clearlib.dashboard.export_html(result.folder, result.folder / "sponsor.html")
        console.print(f"      Offline sponsor page: {page}", soft_wrap=True)
        folder = clearlib.dashboard.prepare_serving_folder(
            result.folder, runs_dir / "sponsor-dashboard"
        )
        console.print(f"      Dashboard folder for Voilà: {folder}", soft_wrap=True)
        if not serve:
            console.print("[bold]4/4[/bold] Not serving (--no-serve). To serve it:")
            console.print(f"      clearlib dashboard serve {result.folder}", soft_wrap=True)
            return
        console.print("[bold]4/4[/bold] Serving the sponsor dashboard (Ctrl-C stops)")
        clearlib.dashboard.serve(result.folder, port=port, open_browser=False)


def main() -> None:
    """Run the ``clearlib`` command (the console entry point)."""
    app(prog_name="clearlib")


if __name__ == "__main__":  # pragma: no cover
    main()
