"""A batch of runs: one per value (or combination of values) of some parameters.

``runs/<batch-id>/`` holds the batch's runs, each a complete run folder, and

- ``batch.json``: the template, the values run over, the parameters, the options, and each
  run's id, values and status (with the ids of earlier attempts after ``--retry-failed``);
- ``summary.csv``: one row per run (id, values, status, duration, the headline figures of its
  ``summary.json``), rewritten as each run ends.

Each run is :func:`clearlib.projects._run.supervise` (a fresh process with its own kernel, a
time limit per cell and an outer kill), submitted to a bounded
:class:`concurrent.futures.ProcessPoolExecutor`, or to a Dask distributed cluster. One run
failing, hanging or crashing never stops the others, and no kernel outlives its run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearlib._exceptions import ConfigError
from clearlib.projects._manifest import input_checksum, read_json, write_json
from clearlib.projects._params import check_parameters, parse_value, template_parameters
from clearlib.projects._run import (
    RunResult,
    _data_value,
    _now,
    _partial,
    _slug,
    make_run_id,
    plan_run,
    supervise,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BatchResult", "batch", "parse_over", "pcn_codes", "summary_table"]

BATCH = "batch.json"
SUMMARY = "summary.csv"


@dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch: its folder, each run, and the summary table.

    Attributes
    ----------
    batch_id : str
    folder : Path
        ``runs/<batch-id>/``, holding the runs, ``batch.json`` and ``summary.csv``.
    runs : list of RunResult
        In the order of the values run over.
    summary : pandas.DataFrame
        One row per run: ``run_id``, the values run over, ``status``, ``duration_s``, the
        headline figures of its ``summary.json``, and ``message`` (why it failed).
    """

    batch_id: str
    folder: Path
    runs: list[RunResult]
    summary: pd.DataFrame = field(repr=False)

    @property
    def ok(self) -> bool:
        """True if every run succeeded."""
        return all(r.ok for r in self.runs)

    @property
    def failed(self) -> list[RunResult]:
        """The runs that failed or timed out."""
        return [r for r in self.runs if not r.ok]

    @property
    def message(self) -> str:
        """One line per failed run ("" if none failed)."""
        if self.ok:
            return ""
        lines = [f"{len(self.failed)} of {len(self.runs)} runs of {self.batch_id} did not succeed:"]
        lines += [f"  - {r.message or f'{r.run_id}: {r.status}'}" for r in self.failed]
        lines.append(
            f"Rerun only these with --retry-failed {_shown(self.folder)} "
            "(clearlib.projects.batch(..., retry_failed=folder))."
        )
        return "\n".join(lines)


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------------
# What to run over
# ---------------------------------------------------------------------------------------------
def pcn_codes(data_source: str | Path) -> list[str]:
    """The PCN codes of a dataset, in the order of its practices table.

    Parameters
    ----------
    data_source : str or path
        A synthetic spec name (generated first if needed) or a dataset folder.

    Raises
    ------
    ConfigError
        If the dataset has no PCN.
    """
    import clearlib
    import clearlib.data

    path = Path(data_source)
    if path.is_dir():
        practices = clearlib.data.read_dataset(path, tables=["practices"]).practices
    else:
        practices = clearlib.load_pcn(str(data_source), tables=["practices"]).practices
    codes = [str(c) for c in practices["pcn_code"].dropna().unique()]
    if not codes:
        raise ConfigError(
            f"{data_source}: the practices table names no PCN, so pcn_code=all is empty."
        )
    return codes


def parse_over(template: str | Path, texts: Iterable[str]) -> dict[str, list[Any]]:
    """Read ``--over name=v1,v2`` texts into the values to run over.

    Each value is read for the parameter's type (:func:`parse_value`); for a list parameter
    each value is one list (``scenario_files=a,b`` runs ``["a"]`` then ``["b"]``; give lists
    as YAML: ``scenario_files=[[a, b], [c]]``). ``pcn_code=all`` is kept as ``["all"]`` and
    expanded by :func:`batch`.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
    ...     "language": "python", "display_name": "Python 3"}})
    >>> cell = nbformat.v4.new_code_cell('pcn_code = ""\\nscenario_files = ["a"]\\nshare = 0.05')
    >>> cell.metadata["tags"] = ["parameters"]
    >>> nb.cells = [cell]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "t.ipynb"
    ...     nbformat.write(nb, path)
    ...     parse_over(path, ["pcn_code=A,B", "scenario_files=a,[b, c]", "share=0.02,0.05"])
    {'pcn_code': ['A', 'B'], 'scenario_files': [['a'], ['b', 'c']], 'share': [0.02, 0.05]}
    """
    declared = template_parameters(template)
    over: dict[str, list[Any]] = {}
    for text in texts:
        name, sep, values = text.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise ConfigError(
                f"Expected --over name=value1,value2 (for example pcn_code=all or "
                f"pcn_code=SYN-PCN01,SYN-PCN02); got {text!r}."
            )
        check_parameters(template, {name: None}, declared=declared)
        type_name = declared[name].type_name
        if type_name in ("list", "tuple"):
            over[name] = [parse_value(v, type_name) for v in _split_top_level(values)]
        else:
            parsed = parse_value(values, "any") if values.lstrip().startswith("[") else None
            items = parsed if isinstance(parsed, list) else _split_top_level(values)
            over[name] = [
                parse_value(str(v), type_name) if isinstance(v, str) else v for v in items
            ]
    return over


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets: ``a,[b, c]`` is ``a`` and ``[b, c]``."""
    text = text.strip()
    if text.startswith("[[") and text.endswith("]]"):
        text = text[1:-1]
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p]


def _combinations(over: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    names = list(over)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*over.values())]


# ---------------------------------------------------------------------------------------------
# Running the plans: a local process pool or Dask
# ---------------------------------------------------------------------------------------------
def _pool_context() -> multiprocessing.context.BaseContext:
    """``fork`` when it is safe (Linux, no other thread yet): the pool's workers then start at
    once with clearlib imported and the caller's environment; else ``spawn`` (say, inside a
    Jupyter kernel). Each worker only supervises: every notebook runs in a fresh process."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _failed_supervision(plan: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    """A manifest for a run whose supervisor itself failed (a bug, a lost Dask worker)."""
    message = (
        f"Run {plan['run_id']} could not be carried out: {type(exc).__name__}: {exc}. "
        f"Whatever it wrote is in {_shown(Path(plan['partial']))}."
    )
    return {
        "run_id": plan["run_id"],
        "status": "failed",
        "message": message,
        "failure": {"reason": "crashed", "exception": type(exc).__name__, "message": str(exc)},
        "timing": {"duration_s": None},
    }


def _run_local(
    plans: list[dict[str, Any]],
    jobs: int,
    done: Callable[[dict, dict], None],
    display: AbstractContextManager[Any],
) -> None:
    workers = max(1, min(jobs, len(plans)))
    context = _pool_context()  # chosen before the progress display starts its thread
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(supervise, plan): plan for plan in plans}
        try:
            with display:
                for future in as_completed(futures):
                    plan = futures[future]
                    try:
                        manifest = future.result()
                    except Exception as exc:  # the supervisor broke: this run's problem only
                        manifest = _failed_supervision(plan, exc)
                    done(plan, manifest)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _run_dask(
    plans: list[dict[str, Any]],
    scheduler: str | None,
    done: Callable[[dict, dict], None],
    display: AbstractContextManager[Any],
) -> None:
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
    except OSError as exc:
        raise ConfigError(
            f"Could not reach the Dask scheduler at {scheduler!r} ({exc}). Start one "
            "(`dask scheduler`, then `dask worker ADDRESS` on each machine) or leave "
            "--scheduler out to use a local pool."
        ) from None
    try:
        futures = {
            client.submit(supervise, plan, key=f"clearlib-run-{plan['run_id']}", pure=False): plan
            for plan in plans
        }
        with display:
            for future in dask_completed(futures):
                plan = futures[future]
                try:
                    manifest = future.result()
                except Exception as exc:
                    manifest = _failed_supervision(plan, exc)
                done(plan, manifest)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _progress(enabled: bool, total: int) -> tuple[AbstractContextManager[Any], Callable]:
    """A rich progress bar on a terminal; one plain line per finished run elsewhere."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, highlight=False)
    if not enabled:
        return nullcontext(), lambda manifest: None
    if not console.is_terminal:

        def line(manifest: Mapping[str, Any]) -> None:
            seconds = (manifest.get("timing") or {}).get("duration_s")
            took = f" in {seconds:.0f} s" if seconds is not None else ""
            console.print(f"{manifest['status']}: {manifest['run_id']}{took}", soft_wrap=True)

        return nullcontext(), line
    bar = Progress(
        TextColumn("Runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=console,
    )
    task = bar.add_task("runs", total=total, failed=0)
    failed = 0

    def advance(manifest: Mapping[str, Any]) -> None:
        nonlocal failed
        failed += manifest["status"] != "succeeded"
        bar.update(task, advance=1, failed=failed)

    return bar, advance


# ---------------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return value


def summary_table(folder: Path, record: Mapping[str, Any]) -> pd.DataFrame:
    """One row per run of a batch, from each run's manifest and ``summary.json``."""
    import pandas as pd

    names = list(record["over"])
    rows = []
    for entry in record["runs"]:
        run_folder = folder / entry["run_id"]
        manifest = read_json(run_folder / "manifest.json") or entry.get("manifest", {})
        headline = read_json(run_folder / "summary.json").get("headline", {})
        row = {"run_id": entry["run_id"]}
        row.update({name: _cell(entry["over"].get(name)) for name in names})
        row["status"] = manifest.get("status", entry.get("status", "not run"))
        row["duration_s"] = (manifest.get("timing") or {}).get("duration_s")
        row.update(
            {k: v for k, v in headline.items() if not isinstance(v, dict | list) and k not in row}
        )
        row["message"] = manifest.get("message", "")
        rows.append(row)
    frame = pd.DataFrame(rows).convert_dtypes()  # whole numbers stay whole beside gaps
    if "message" in frame:
        frame = frame[[c for c in frame.columns if c != "message"] + ["message"]]
    return frame


def _write_summary(folder: Path, record: Mapping[str, Any]) -> pd.DataFrame:
    frame = summary_table(folder, record)
    tmp = folder / f".{SUMMARY}.tmp"
    frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    tmp.replace(folder / SUMMARY)
    return frame


# ---------------------------------------------------------------------------------------------
# The public call
# ---------------------------------------------------------------------------------------------
def batch(
    template: str | Path,
    over: Mapping[str, Sequence[Any] | str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    data: str | Path | None = None,
    jobs: int | str = 2,
    scheduler: str | None = None,
    timeout: float = 600,
    kill_after: float | None = None,
    retry_failed: str | Path | None = None,
    runs_dir: str | Path = "runs",
    progress: bool = True,
    kernel_name: str | None = None,
) -> BatchResult:
    """Run a project template once per value of some parameters, side by side.

    Each run is a complete run folder (see :func:`run`) in ``runs/<batch-id>/``, made in its
    own process with its own kernel, a time limit per cell (``timeout``) and an outer limit
    (``kill_after``) past which its process and kernel are killed: one run failing or hanging
    never stops the batch, and no kernel is left behind.

    Parameters
    ----------
    template : path
        The notebook.
    over : dict of str to list
        The values to run over, e.g. ``{"pcn_code": ["SYN-PCN01", "SYN-PCN02"]}``;
        ``{"pcn_code": "all"}`` runs every PCN of the data. Several names: every combination.
    parameters : dict, optional
        Parameters shared by every run.
    data : str or path, optional
        Sets ``data_source`` (a synthetic spec name or a dataset folder).
    jobs : int or "dask", default 2
        Runs side by side in a local process pool; ``"dask"`` starts a local Dask cluster of
        two single-threaded worker processes.
    scheduler : str, optional
        The address of a Dask scheduler (``tcp://host:8786``): runs go to its workers, which
        must see the same files (template, data, ``runs_dir``) at the same paths.
    timeout : float, default 600
        Seconds each cell may run.
    kill_after : float, optional
        Seconds a whole run may take; default every cell at its limit plus two minutes.
    retry_failed : path, optional
        The folder of an earlier batch: rerun only its failed and timed-out runs (with that
        batch's template, values and parameters) and update its ``batch.json`` and
        ``summary.csv``.
    runs_dir : path, default "runs"
        Where the batch folder goes.
    progress : bool, default True
        A progress bar on a terminal; one line per finished run otherwise.
    kernel_name : str, optional
        Default: the template's kernel.

    Returns
    -------
    BatchResult
        Check ``result.ok``; ``result.message`` names each failed run.

    Raises
    ------
    ConfigError
        If the template, a parameter, a value or an option cannot be used (before any run).

    Examples
    --------
    >>> import clearlib.projects
    >>> result = clearlib.projects.batch(  # doctest: +SKIP
    ...     "templates/project/anticipatory-care-workforce.ipynb",
    ...     over={"pcn_code": "all"}, data="ics", jobs=2)
    >>> result.summary[["pcn_code", "status", "gap_wte"]].head(2)  # doctest: +SKIP
    """
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise ConfigError(f"timeout must be a positive number of seconds; got {timeout!r}.")
    use_dask = jobs == "dask" or scheduler is not None
    if not use_dask and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(f"jobs must be a whole number of at least 1, or 'dask'; got {jobs!r}.")
    if retry_failed is not None:
        if over or parameters or data is not None:
            raise ConfigError(
                "--retry-failed reruns failed runs with their batch's own values, parameters "
                "and data (in its batch.json); leave out --over, -p and --data, or start a new "
                "batch."
            )
        folder, record, todo = _retry_record(template, retry_failed)
    else:
        folder, record, todo = _new_record(template, over, parameters, data=data, runs_dir=runs_dir)
    record.update(
        timeout=float(timeout),
        kill_after=kill_after,
        jobs=jobs,
        scheduler=scheduler,
        started=_now().isoformat(timespec="seconds"),
        finished=None,
    )
    write_json(folder / BATCH, record)
    plans = _plans(folder, record, todo, timeout, kill_after, kernel_name)
    entries = {entry["run_id"]: entry for entry in record["runs"]}
    display, advance = _progress(progress, len(plans))

    def done(plan: Mapping[str, Any], manifest: Mapping[str, Any]) -> None:
        entries[plan["run_id"]]["status"] = manifest["status"]
        if not (folder / plan["run_id"] / "manifest.json").is_file():
            entries[plan["run_id"]]["manifest"] = dict(manifest)
        write_json(folder / BATCH, record)
        _write_summary(folder, record)
        advance(manifest)

    for plan in plans:
        plan["executor"] = (
            f"dask ({scheduler or 'a local cluster'})" if use_dask else f"local pool of {jobs}"
        )
    if plans and use_dask:
        _run_dask(plans, scheduler, done, display)
    elif plans:
        _run_local(plans, int(jobs), done, display)
    record["finished"] = _now().isoformat(timespec="seconds")
    write_json(folder / BATCH, record)
    summary = _write_summary(folder, record)
    runs = [_result(folder, entry) for entry in record["runs"]]
    return BatchResult(record["batch_id"], folder, runs, summary)


def _result(folder: Path, entry: Mapping[str, Any]) -> RunResult:
    run_folder = folder / entry["run_id"]
    if (run_folder / "manifest.json").is_file():
        return RunResult.from_folder(run_folder)
    manifest = dict(entry.get("manifest") or {"run_id": entry["run_id"], "status": "failed"})
    return RunResult(entry["run_id"], run_folder, manifest.get("status", "failed"), manifest)


def _new_record(
    template: str | Path,
    over: Mapping[str, Sequence[Any] | str] | None,
    parameters: Mapping[str, Any] | None,
    *,
    data: str | Path | None,
    runs_dir: str | Path,
) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    template = Path(template).resolve()
    declared = template_parameters(template)
    if not over:
        raise ConfigError(
            "A batch needs values to run over, e.g. over={'pcn_code': 'all'} "
            "(--over pcn_code=all); for one run use clearlib.projects.run."
        )
    shared = check_parameters(template, parameters, declared=declared)
    values: dict[str, list[Any]] = {}
    for name, given in over.items():
        check_parameters(template, {name: None}, declared=declared)
        items = [given] if isinstance(given, str) else list(given)
        if name == "pcn_code" and items == ["all"]:
            default = declared["data_source"].default if "data_source" in declared else None
            source = data if data is not None else shared.get("data_source", default)
            if not source:
                raise ConfigError(
                    "pcn_code=all needs data to list the PCNs of: give --data (data=...)."
                )
            items = pcn_codes(source)
        if name == "data_source":
            if data is not None:
                raise ConfigError(
                    "Give the data either with --data or with --over data_source=..., not both."
                )
            items = [_data_value(v) if isinstance(v, str) else v for v in items]
        items = list({json.dumps(v, sort_keys=True): v for v in items}.values())
        if not items:
            raise ConfigError(f"--over {name} has no values; give at least one.")
        for item in items:
            check_parameters(template, {name: item}, declared=declared)
        values[name] = items
    when = _now()
    key = json.dumps({"over": values, "parameters": shared, "data": str(data)}, sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:6]
    batch_id = f"{_slug(template.stem)}-batch-{when.strftime('%Y%m%dT%H%M%S')}-{digest}"
    runs_dir = Path(runs_dir).resolve()
    runs_dir.mkdir(parents=True, exist_ok=True)
    folder, n = runs_dir / batch_id, 1
    while True:
        try:
            folder.mkdir()
            break
        except FileExistsError:
            n += 1
            folder = runs_dir / f"{batch_id}-{n}"
    record = {
        "schema_version": 1,
        "batch_id": folder.name,
        "template": str(template),
        "over": values,
        "parameters": shared,
        "data": None
        if data is None
        else str(Path(data).resolve() if Path(data).exists() else data),
        "runs": [],
    }
    todo = []
    for combination in _combinations(values):
        entry = {"run_id": "", "over": combination, "status": "pending", "previous": []}
        record["runs"].append(entry)
        todo.append(entry)
    return folder, record, todo


def _retry_record(
    template: str | Path | None, retry_failed: str | Path
) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    folder = Path(retry_failed).resolve()
    record = read_json(folder / BATCH)
    if not record:
        raise ConfigError(
            f"{retry_failed} has no readable {BATCH}: give the folder of an earlier batch "
            "(runs/<batch-id>/)."
        )
    if template is not None and Path(template).resolve() != Path(record["template"]):
        raise ConfigError(
            f"{retry_failed} is a batch of {record['template']}, not of {template}; give "
            "the same template to rerun its failed runs."
        )
    todo = [entry for entry in record["runs"] if entry.get("status") != "succeeded"]
    return folder, record, todo


def _plans(
    folder: Path,
    record: dict[str, Any],
    todo: list[dict[str, Any]],
    timeout: float,
    kill_after: float | None,
    kernel_name: str | None,
) -> list[dict[str, Any]]:
    """Plan each run still to do; give it a new id (an earlier attempt's folder is kept)."""
    if not todo:
        return []
    template = Path(record["template"])
    declared = template_parameters(template)
    data = record.get("data")
    default = declared["data_source"].default if "data_source" in declared else None
    inputs: dict[str, Any] = {}  # each data source is identified once
    when, taken, plans = _now(), {e["run_id"] for e in record["runs"] if e["run_id"]}, []
    for entry in todo:
        parameters = {**record["parameters"], **entry["over"]}
        source = data if data is not None else parameters.get("data_source", default)
        if str(source) not in inputs:
            inputs[str(source)] = input_checksum(source or None)
        plan = plan_run(
            template,
            parameters,
            data=data,
            runs_dir=folder,
            run_id="placeholder",
            timeout=timeout,
            kill_after=kill_after,
            kernel_name=kernel_name,
            batch={"batch_id": record["batch_id"], "over": entry["over"]},
            input_info=inputs[str(source)],
            when=when,
            reserve_id=False,
        )
        run_id = _unique_id(template, plan["parameters"]["effective"], when, taken)
        _rename_plan(plan, folder, run_id)
        if entry["run_id"]:
            entry.setdefault("previous", []).append(entry["run_id"])
        entry.update(run_id=run_id, status="pending")
        entry.pop("manifest", None)
        plans.append(plan)
    return plans


def _unique_id(template: Path, effective: Mapping[str, Any], when: Any, taken: set[str]) -> str:
    base = make_run_id(template, effective, when)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _rename_plan(plan: dict[str, Any], folder: Path, run_id: str) -> None:
    plan["run_id"] = run_id
    plan["folder"] = str(folder / run_id)
    plan["partial"] = str(_partial(folder, run_id))
    effective = plan["parameters"]["effective"]
    if "output_dir" in effective:
        effective["output_dir"] = plan["partial"]
