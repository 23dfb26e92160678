"""One run of a project template: ``runs/<run-id>/``, built atomically, with its manifest.

How a run happens
-----------------
1. :func:`plan_run` checks the parameters against the template's ``parameters`` cell, fixes
   ``output_dir`` (the run folder, absolute) and ``data_source``, identifies the input data
   (:func:`~clearlib.projects._manifest.input_checksum`) and reserves the run's id by
   creating ``runs/.<run-id>.partial/``.
2. :func:`supervise` starts a fresh Python process (``clearlib/projects/_worker.py``) in a
   session of its own; it executes the notebook with Papermill (a time limit per cell) and
   its own kernel, into the ``.partial`` folder. The supervisor waits with an outer limit
   (``kill_after``): past it, the process and every process under it (the kernel) are killed.
3. The supervisor writes ``manifest.json`` (status, failure, timings, versions) and renames
   ``.<run-id>.partial`` to ``<run-id>``: a run folder without a leading dot is always
   complete, whether it succeeded or failed. A run whose supervisor is itself killed stays a
   ``.partial`` folder.

The same :func:`supervise` runs in a local process pool or a Dask worker for a batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearlib._exceptions import ClearlibError, ConfigError
from clearlib.projects._manifest import (
    MANIFEST,
    SCHEMA_VERSION,
    describe_cell,
    input_checksum,
    kernel_start_seconds,
    package_versions,
    read_json,
    sha256_file,
    write_json,
)
from clearlib.projects._params import check_parameters, template_parameters

__all__ = [
    "STATUSES",
    "RunError",
    "RunResult",
    "default_kill_after",
    "make_run_id",
    "plan_run",
    "run",
    "run_message",
    "supervise",
]

#: How a run ends.
STATUSES = ("succeeded", "failed", "timed_out")
#: Seconds added to the outer limit for starting Python and the kernel and shutting down.
KILL_MARGIN = 120
NOTEBOOK = "notebook.ipynb"
#: The script a run's process executes (see its docstring for why a script).
WORKER = Path(__file__).with_name("_worker.py")


class RunError(ClearlibError):
    """A project run failed or timed out; ``result`` is its :class:`RunResult`.

    The message names the cell (``In [N]`` of the executed notebook and the heading above it),
    the exception in plain words, and where the executed notebook is.
    """

    def __init__(self, message: str, result: RunResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run: its folder and manifest.

    Attributes
    ----------
    run_id : str
    folder : Path
        ``runs/<run-id>/``.
    status : str
        ``"succeeded"``, ``"failed"`` or ``"timed_out"``.
    manifest : dict
        The run's ``manifest.json``.
    """

    run_id: str
    folder: Path
    status: str
    manifest: dict[str, Any] = field(repr=False)

    @classmethod
    def from_folder(cls, folder: str | Path) -> RunResult:
        """Read a finished run folder.

        Raises
        ------
        ConfigError
            If the folder has no ``manifest.json``.
        """
        folder = Path(folder)
        manifest = read_json(folder / MANIFEST)
        if not manifest:
            raise ConfigError(
                f"{folder} has no readable {MANIFEST}, so it is not a finished run folder "
                "(a run still under way is in runs/.<run-id>.partial/)."
            )
        return cls(manifest["run_id"], folder, manifest["status"], manifest)

    @property
    def ok(self) -> bool:
        """True if the run succeeded."""
        return self.status == "succeeded"

    @property
    def message(self) -> str:
        """Why the run failed, in plain words ("" if it succeeded)."""
        return str(self.manifest.get("message", ""))

    @property
    def duration(self) -> float | None:
        """Seconds from start to end."""
        return self.manifest.get("timing", {}).get("duration_s")

    @property
    def notebook(self) -> Path:
        """The executed notebook."""
        return self.folder / NOTEBOOK

    @property
    def summary(self) -> dict[str, Any]:
        """The run's ``summary.json`` ({} if the notebook wrote none)."""
        return read_json(self.folder / "summary.json")


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "x"


def _params_hash(parameters: Mapping[str, Any]) -> str:
    text = json.dumps(
        {k: v for k, v in parameters.items() if k != "output_dir"}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]


def make_run_id(template: Path, parameters: Mapping[str, Any], when: datetime) -> str:
    """``<template-stem>-<pcn_code or 'all'>-<UTC yyyymmddTHHMMSS>-<parameters hash>``.

    Examples
    --------
    >>> when = datetime(2026, 12, 6, 23, 15, tzinfo=UTC)
    >>> make_run_id(Path("t/acw.ipynb"), {"pcn_code": "SYN-PCN01"}, when)
    'acw-SYN-PCN01-20261206T231500-5ac86f'
    """
    pcn = str(parameters.get("pcn_code") or "") or "all"
    stamp = when.strftime("%Y%m%dT%H%M%S")
    return f"{_slug(template.stem)}-{_slug(pcn)}-{stamp}-{_params_hash(parameters)}"


def _partial(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / f".{run_id}.partial"


def reserve(runs_dir: Path, run_id: str, *, exact: bool) -> str:
    """Create ``.<run-id>.partial`` (atomically); add ``-2``, ``-3``... if the id is taken."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    candidate, n = run_id, 1
    while True:
        if not (runs_dir / candidate).exists():
            try:
                _partial(runs_dir, candidate).mkdir()
                return candidate
            except FileExistsError:
                pass
        if exact:
            raise ConfigError(
                f"A run {candidate!r} already exists in {runs_dir}; choose another run id, or "
                "leave it out to get a new one."
            )
        n += 1
        candidate = f"{run_id}-{n}"


def _code_cells(template: Path) -> int:
    cells = json.loads(template.read_text(encoding="utf-8")).get("cells", [])
    return sum(1 for c in cells if c.get("cell_type") == "code")


def default_kill_after(template: str | Path, timeout: float) -> float:
    """The outer limit for a whole run: every code cell at its limit, plus a margin.

    ``timeout × (code cells + 1) + 120`` seconds (the +1 is Papermill's injected parameters
    cell; the margin covers starting Python and the kernel and shutting them down). A run that
    keeps within its per-cell limit is never killed; the outer limit catches what the per-cell
    limit cannot (a kernel that will not start or stop, a wedged process).
    """
    return float(timeout) * (_code_cells(Path(template)) + 1) + KILL_MARGIN


def plan_run(
    template: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    data: str | Path | None = None,
    runs_dir: str | Path = "runs",
    run_id: str | None = None,
    timeout: float = 600,
    kill_after: float | None = None,
    kernel_name: str | None = None,
    log_output: bool = False,
    batch: Mapping[str, Any] | None = None,
    input_info: Mapping[str, Any] | bool | None = False,
    versions: Mapping[str, Any] | None = None,
    when: datetime | None = None,
    reserve_id: bool = True,
) -> dict[str, Any]:
    """Check a run and describe it as a plan (JSON-able) that :func:`supervise` carries out.

    ``input_info`` may pass an input checksum already computed (a batch computes it once);
    ``False`` computes it here.
    """
    template = Path(template).resolve()
    declared = template_parameters(template)
    passed = check_parameters(template, parameters, declared=declared)
    if data is not None:
        if "data_source" not in declared:
            raise ConfigError(
                f"{template.name} has no data_source parameter, so --data cannot be used with "
                f"it; its parameters are: {', '.join(declared)}."
            )
        passed["data_source"] = _data_value(data)
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise ConfigError(f"timeout must be a positive number of seconds; got {timeout!r}.")
    defaults = {name: p.default for name, p in declared.items()}
    effective = {**defaults, **passed}
    runs_dir = Path(runs_dir).resolve()
    when = _now() if when is None else when
    wanted = run_id if run_id is not None else make_run_id(template, effective, when)
    if run_id is not None and _slug(run_id) != run_id:
        raise ConfigError(
            f"A run id may hold letters, digits, '-', '_' and '.'; got {run_id!r} "
            f"(try {_slug(run_id)!r})."
        )
    if input_info is False:
        input_info = input_checksum(effective.get("data_source") or None)
    final_id = reserve(runs_dir, wanted, exact=run_id is not None) if reserve_id else wanted
    folder = runs_dir / final_id
    if "output_dir" in declared:  # the folder the run is assembled in, renamed when it ends
        effective["output_dir"] = str(_partial(runs_dir, final_id))
    return {
        "run_id": final_id,
        "runs_dir": str(runs_dir),
        "folder": str(folder),
        "partial": str(_partial(runs_dir, final_id)),
        "template": str(template),
        "template_sha256": sha256_file(template),
        "parameters": {"passed": passed, "defaults": defaults, "effective": effective},
        "input": input_info,
        "batch": dict(batch) if batch else None,
        "versions": dict(versions) if versions else None,
        "timeout": float(timeout),
        "kill_after": float(kill_after) if kill_after else default_kill_after(template, timeout),
        "kernel_name": kernel_name,
        "log_output": bool(log_output),
        "cwd": os.getcwd(),
    }


def _data_value(data: str | Path) -> str:
    """A path that exists is made absolute (the run's folder and workers may be elsewhere)."""
    path = Path(data)
    return str(path.resolve()) if path.exists() else str(data)


# ---------------------------------------------------------------------------------------------
# Supervising the run's process
# ---------------------------------------------------------------------------------------------
def _kill_tree(process: subprocess.Popen[bytes]) -> None:
    """Kill the run's process and every process under it (its kernel), then reap them."""
    import psutil

    try:
        root = psutil.Process(process.pid)
        victims = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        victims = []
    for victim in victims:
        with contextlib.suppress(psutil.Error):
            victim.kill()
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(process.pid, 9)
    psutil.wait_procs(victims, timeout=10)
    process.wait()


def supervise(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Carry out a plan: execute the notebook in a fresh process, finish the run folder.

    Never raises for a failure of the notebook: the manifest says how the run ended. Runs in
    the calling process, a pool worker or a Dask worker alike.

    Returns
    -------
    dict
        The run's manifest.
    """
    partial, folder = Path(plan["partial"]), Path(plan["folder"])
    partial.mkdir(parents=True, exist_ok=True)
    started = _now()
    manifest = _manifest(plan, started)
    write_json(partial / MANIFEST, manifest)
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    env.pop("JPY_PARENT_PID", None)
    log = None if plan["log_output"] else open(partial / "run.log", "wb")  # noqa: SIM115
    clock = time.monotonic()
    killed = interrupted = False
    process: subprocess.Popen[bytes] | None = None
    try:
        process = subprocess.Popen(
            [sys.executable, "-P", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
            env=env,
            start_new_session=True,
        )
        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps(plan, default=str).encode("utf-8"))
            process.stdin.close()
            process.wait(timeout=plan["kill_after"])
        except subprocess.TimeoutExpired:
            killed = True
            _kill_tree(process)
        except BaseException:  # interrupted (Ctrl-C, a cancelled task): leave nothing behind
            interrupted = True
            _kill_tree(process)
            raise
    finally:
        if log is not None:
            log.close()
        duration = time.monotonic() - clock
        outcome = read_json(partial / ".outcome.json")
        (partial / ".outcome.json").unlink(missing_ok=True)
        if interrupted:
            outcome = {"status": "failed", "reason": "interrupted"}
        elif killed:
            outcome = {"status": "timed_out", "reason": "killed"}
        elif not outcome:
            outcome = {
                "status": "failed",
                "reason": "crashed",
                "message": "the run's process could not start"
                if process is None
                else f"the run's process ended with exit code {process.returncode}",
            }
        _finish(manifest, plan, outcome, started, duration)
        write_json(partial / MANIFEST, manifest)
        os.rename(partial, folder)
    return manifest


def _manifest(plan: Mapping[str, Any], started: datetime) -> dict[str, Any]:
    template = Path(plan["template"])
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": plan["run_id"],
        "status": "running",
        "message": "",
        "template": {
            "path": str(template),
            "name": template.name,
            "sha256": plan["template_sha256"],
        },
        "parameters": plan["parameters"],
        "input": plan["input"],
        "batch": plan["batch"],
        "environment": plan.get("versions") or package_versions(),
        "execution": {
            "kernel_name": plan["kernel_name"],
            "timeout_per_cell_s": plan["timeout"],
            "kill_after_s": plan["kill_after"],
            "cwd": plan["cwd"],
            "executor": plan.get("executor", "this process"),
        },
        "timing": {
            "started": started.isoformat(timespec="seconds"),
            "finished": None,
            "duration_s": None,
            "kernel_start_s": None,
        },
        "failure": None,
    }


def _finish(
    manifest: dict[str, Any],
    plan: Mapping[str, Any],
    outcome: Mapping[str, Any],
    started: datetime,
    duration: float,
) -> None:
    partial = Path(plan["partial"])
    notebook = read_json(partial / NOTEBOOK)
    if notebook.get("metadata", {}).get("kernelspec", {}).get("name"):
        manifest["execution"]["kernel_name"] = notebook["metadata"]["kernelspec"]["name"]
    manifest["status"] = outcome["status"]
    manifest["timing"].update(
        finished=_now().isoformat(timespec="seconds"),
        duration_s=round(duration, 3),
        kernel_start_s=kernel_start_seconds(notebook),
    )
    if outcome["status"] == "succeeded":
        return
    reason = outcome.get("reason", "crashed")
    cell = describe_cell(notebook, reason) if reason != "crashed" else None
    manifest["failure"] = {
        "reason": reason,
        **(cell or {"cell": None, "cell_index": None, "heading": None, "first_line": None}),
        "exception": outcome.get("exception"),
        "message": outcome.get("message"),
    }
    has_notebook = bool(notebook.get("cells"))
    manifest["message"] = run_message(manifest, Path(plan["folder"]), has_notebook=has_notebook)


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def run_message(manifest: Mapping[str, Any], folder: Path, *, has_notebook: bool = True) -> str:
    """Say how a run failed, in plain words, naming the cell and the executed notebook.

    Examples
    --------
    >>> manifest = {"run_id": "acw-1", "status": "failed", "failure": {"reason": "exception",
    ...     "cell": 7, "heading": "Build the cohort", "first_line": "cohort = rules(pcn)",
    ...     "exception": "ValueError", "message": "no patients at the index date"},
    ...     "execution": {"timeout_per_cell_s": 600.0, "kill_after_s": 5000.0}}
    >>> print(run_message(manifest, Path("/elsewhere/runs/acw-1")))
    Run acw-1 failed in cell 7 ("Build the cohort"): ValueError: no patients at the index date. The executed notebook is at /elsewhere/runs/acw-1/notebook.ipynb.
    """
    failure = manifest.get("failure") or {}
    run_id, reason = manifest["run_id"], failure.get("reason")
    where = ""
    if failure.get("cell") is not None or failure.get("heading") or failure.get("first_line"):
        label = failure.get("heading") or failure.get("first_line") or ""
        number = failure.get("cell")
        where = f" in cell {number if number is not None else '?'}" + (
            f' ("{label}")' if label else ""
        )
    limits = manifest.get("execution", {})
    if reason == "exception":
        detail = f"{failure.get('exception')}: {str(failure.get('message') or '').rstrip('.')}"
        text = f"Run {run_id} failed{where}: {detail}."
    elif reason == "cell_timeout":
        text = (
            f"Run {run_id} timed out{where}: the cell ran longer than the limit of "
            f"{limits.get('timeout_per_cell_s', 0):g} s per cell (raise --timeout if it needs "
            "longer)."
        )
    elif reason == "killed":
        text = (
            f"Run {run_id} was stopped after {limits.get('kill_after_s', 0):g} s (the limit for a "
            f"whole run){' while' + where.replace(' in cell', ' running cell') if where else ''}; "
            "its process and kernel were killed."
        )
    elif reason == "interrupted":
        text = f"Run {run_id} was interrupted{where}; its process and kernel were stopped."
    else:
        exception = failure.get("exception")
        detail = f"{exception}: " if exception else ""
        text = (
            f"Run {run_id} failed before its notebook finished: {detail}"
            f"{str(failure.get('message') or 'no reason given').rstrip('.')}."
        )
    if has_notebook:
        tail = f" The executed notebook is at {_shown(folder / NOTEBOOK)}."
    else:
        tail = f" Papermill's log is at {_shown(folder / 'run.log')}."
    return text + tail


# ---------------------------------------------------------------------------------------------
# The public call
# ---------------------------------------------------------------------------------------------
def run(
    template: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    data: str | Path | None = None,
    runs_dir: str | Path = "runs",
    run_id: str | None = None,
    timeout: float = 600,
    kill_after: float | None = None,
    kernel_name: str | None = None,
    log_output: bool = False,
) -> RunResult:
    """Run a project template once with Papermill, into ``runs/<run-id>/``.

    The run is assembled in ``runs/.<run-id>.partial/`` and renamed when it ends, so a folder
    without the leading dot is always complete (a failed run is renamed too, with status
    ``failed``). The notebook runs in a fresh process with its own kernel, in the current
    working directory, with ``output_dir`` set to the run folder.

    Parameters
    ----------
    template : path
        The notebook, e.g. ``templates/project/anticipatory-care-workforce.ipynb``.
    parameters : dict, optional
        Values for parameters the template declares (its cell tagged ``parameters``).
    data : str or path, optional
        Sets ``data_source``: a synthetic spec name (``default``, ``ics``) or a dataset folder.
    runs_dir : path, default "runs"
        Where run folders go.
    run_id : str, optional
        Default ``<template-stem>-<pcn_code or 'all'>-<UTC yyyymmddTHHMMSS>-<hash of the
        parameters>`` (made unique with ``-2``... if needed).
    timeout : float, default 600
        Seconds each cell may run (Papermill's ``execution_timeout``).
    kill_after : float, optional
        Seconds the whole run may take before its process and kernel are killed. Default
        :func:`default_kill_after`: every cell at its limit plus two minutes.
    kernel_name : str, optional
        Default: the template's kernel.
    log_output : bool, default False
        Show the notebook's output and Papermill's log as it runs (else in ``run.log``).

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        If the template, a parameter or an option cannot be used (before anything runs).
    RunError
        If the notebook failed or timed out; the run folder is kept with ``status`` saying
        so, and the message names the cell: ``Run <id> failed in cell 7 ("Build the
        cohort"): ValueError: ... The executed notebook is at runs/<id>/notebook.ipynb.``

    Examples
    --------
    >>> import clearlib.projects
    >>> result = clearlib.projects.run(  # doctest: +SKIP
    ...     "templates/project/anticipatory-care-workforce.ipynb", {"pcn_code": "SYN-PCN01"})
    >>> result.summary["headline"]["cohort_wte"]  # doctest: +SKIP
    4.2
    """
    plan = plan_run(
        template,
        parameters,
        data=data,
        runs_dir=runs_dir,
        run_id=run_id,
        timeout=timeout,
        kill_after=kill_after,
        kernel_name=kernel_name,
        log_output=log_output,
    )
    manifest = supervise(plan)
    result = RunResult(plan["run_id"], Path(plan["folder"]), manifest["status"], manifest)
    if not result.ok:
        raise RunError(result.message, result)
    return result
