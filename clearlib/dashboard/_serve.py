"""Serve the sponsor dashboard of one run with Voilà, on this machine, behind the publish gate.

Voilà runs as a subprocess (``python -m voila``) over a *serving folder* that holds only the
dashboard notebook and a copy of the run's public outputs (``summary.json``, ``aggregates/``,
``figures/*.json``): never the executed project notebook, its manifest or anything
patient-level. Voilà is told to strip sources, hide tracebacks, time out cells, cull idle
kernels and serve no file at all through ``/voila/files`` (so every other path, the notebook
included, is refused with 403).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from clearlib._config import templates_dir
from clearlib._exceptions import ConfigError
from clearlib.dashboard._gate import RunCheck, check_run
from clearlib.dashboard._widgets import RUN_ENV

__all__ = [
    "DASHBOARD_NOTEBOOK",
    "DashboardServer",
    "prepare_serving_folder",
    "serve",
    "start_server",
    "voila_command",
]

#: The sponsor dashboard notebook shipped with the templates (a checkout's, or the wheel's copy).
DASHBOARD_NOTEBOOK = templates_dir() / "dashboard" / "sponsor.ipynb"

_PUBLIC = ("summary.json", "aggregates/*.csv", "figures/*.json")


def prepare_serving_folder(
    run_folder: str | Path,
    folder: str | Path | None = None,
    *,
    notebook: str | Path | None = None,
) -> Path:
    """Make the folder Voilà serves: the dashboard notebook and the run's public outputs only.

    Parameters
    ----------
    run_folder : str or Path
        The run (``runs/<run-id>``).
    folder : str or Path, optional
        Where to build it (emptied first if it exists); default a new temporary folder.
    notebook : str or Path, optional
        The dashboard notebook; default ``templates/dashboard/sponsor.ipynb``.

    Returns
    -------
    Path
        The serving folder: ``sponsor.ipynb`` and ``run/`` (summary.json, aggregates/*.csv,
        figures/*.json).
    """
    run = Path(run_folder)
    source = Path(notebook) if notebook is not None else DASHBOARD_NOTEBOOK
    if not source.is_file():
        raise ConfigError(
            f"The dashboard notebook {source} is missing. Reinstall clearlib from the course "
            "repository, or pass notebook=."
        )
    target = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="clear-dash-"))
    if target.exists():
        shutil.rmtree(target)
    (target / "run").mkdir(parents=True)
    shutil.copyfile(source, target / "sponsor.ipynb")
    for pattern in _PUBLIC:
        for path in sorted(run.glob(pattern)):
            dest = target / "run" / path.relative_to(run)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    return target


def voila_command(
    folder: str | Path,
    *,
    port: int = 8866,
    host: str = "127.0.0.1",
    token: str | None = None,
    open_browser: bool = False,
    preheat: bool = True,
    pool_size: int = 1,
    cell_timeout: int = 60,
    cull_idle_timeout: int = 600,
    cull_interval: int = 60,
) -> list[str]:
    """The Voilà command line for a serving folder (see :func:`prepare_serving_folder`).

    Examples
    --------
    >>> cmd = voila_command("/srv/dash", port=9000, token="secret")
    >>> "--strip_sources=True" in cmd and "--show_tracebacks=False" in cmd
    True
    >>> "--Voila.ip=127.0.0.1" in cmd and "--port=9000" in cmd and "--token=secret" in cmd
    True
    """
    folder = Path(folder)
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(folder / "sponsor.ipynb"),
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",
        "--strip_sources=True",
        "--show_tracebacks=False",
        f"--VoilaExecutor.timeout={cell_timeout}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
        # No file is served through /voila/files: not the notebook, not the run's outputs.
        "--VoilaConfiguration.file_allowlist=[]",
        "--VoilaConfiguration.file_denylist=['.*']",
        "--theme=light",
        # Only the front-end extensions the dashboard uses: widgets and plotly charts.
        "--VoilaConfiguration.extension_allowlist=['@jupyter-widgets/jupyterlab-manager', "
        "'@voila-dashboards/widgets-manager8', 'jupyterlab-plotly']",
    ]
    if preheat:
        cmd += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    cmd.append(f"--token={token}" if token else "--token=")
    cmd.append("--Voila.open_browser=True" if open_browser else "--no-browser")
    return cmd


@dataclass
class DashboardServer:
    """A running Voilà server; stop it with :meth:`stop` (or use it as a context manager)."""

    url: str
    process: subprocess.Popen[bytes]
    folder: Path
    report: RunCheck
    log: Path
    _owns_folder: bool = field(default=False, repr=False)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop Voilà and its kernels (SIGTERM; SIGKILL for anything still running after)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # Voilà shuts its kernels down, then exits
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        _signal_group(self.process, signal.SIGKILL)  # any kernel left behind
        if self._owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.log.unlink(missing_ok=True)

    def __enter__(self) -> DashboardServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            raise ConfigError(
                f"Voilà stopped before serving (exit status {process.returncode}). Its last "
                f"words: {' | '.join(tail) or 'none'}. Is the port free? Try another --port."
            )
        try:
            with urllib.request.urlopen(url.split("?")[0] + "voila/static/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # the server answers
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise ConfigError(f"Voilà did not answer at {url} within {timeout:.0f} s; see {log}.")


def start_server(
    run_folder: str | Path,
    *,
    port: int = 8866,
    host: str = "127.0.0.1",
    token: str | None = None,
    open_browser: bool = False,
    preheat: bool = True,
    pool_size: int = 1,
    cell_timeout: int = 60,
    cull_idle_timeout: int = 600,
    cull_interval: int = 60,
    folder: str | Path | None = None,
    notebook: str | Path | None = None,
    startup_timeout: float = 60.0,
) -> DashboardServer:
    """Check a run with the publish gate, then start Voilà on its dashboard and wait until up.

    Parameters are those of :func:`serve`; ``folder`` is the serving folder (default a new
    temporary folder, removed on stop) and ``notebook`` the dashboard notebook.

    Returns
    -------
    DashboardServer
        ``.url``, ``.stop()``; a context manager.

    Raises
    ------
    clearlib.DataError
        If the run fails the publish gate (the message names the files and cells, never the
        values). Nothing is served.
    """
    report = check_run(run_folder).raise_if_blocked()
    owns = folder is None
    target = prepare_serving_folder(run_folder, folder, notebook=notebook)
    cmd = voila_command(
        target,
        port=port,
        host=host,
        token=token,
        open_browser=open_browser,
        preheat=preheat,
        pool_size=pool_size,
        cell_timeout=cell_timeout,
        cull_idle_timeout=cull_idle_timeout,
        cull_interval=cull_interval,
    )
    env = {**os.environ, RUN_ENV: str((target / "run").resolve())}
    log = target.parent / f"{target.name}-voila.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # our own interpreter and arguments
            cmd,
            cwd=target,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: Voilà and its kernels stop together
        )
    url = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    server = DashboardServer(url, process, target, report, log, _owns_folder=owns)
    try:
        _wait_until_up(url, process, log, startup_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def serve(
    run_folder: str | Path,
    *,
    port: int = 8866,
    host: str = "127.0.0.1",
    token: str | None = None,
    open_browser: bool = True,
    preheat: bool = True,
    cell_timeout: int = 60,
    cull_idle_timeout: int = 600,
    cull_interval: int = 60,
) -> None:
    """Serve a run's sponsor dashboard with Voilà until interrupted (Ctrl-C).

    The run is checked by the publish gate first; a run that fails is not served.

    Parameters
    ----------
    run_folder : str or Path
        The run (``runs/<run-id>``).
    port : int, default 8866
    host : str, default "127.0.0.1"
        The address to listen on: this machine only, unless you choose otherwise.
    token : str, optional
        A token viewers must give (``?token=...``); default none (local use).
    open_browser : bool, default True
    preheat : bool, default True
        Keep a kernel ready with the dashboard already run, so it opens fast.
    cell_timeout : int, default 60
        Seconds a dashboard cell may run.
    cull_idle_timeout, cull_interval : int
        Shut down a viewer's kernel after this many idle seconds, checking this often.

    Raises
    ------
    clearlib.DataError
        If the run fails the publish gate.
    """
    server = start_server(
        run_folder,
        port=port,
        host=host,
        token=token,
        open_browser=open_browser,
        preheat=preheat,
        cell_timeout=cell_timeout,
        cull_idle_timeout=cull_idle_timeout,
        cull_interval=cull_interval,
    )
    print(f"Serving the sponsor dashboard at {server.url}  (Ctrl-C stops it)", flush=True)
    status = None
    try:
        status = server.process.wait()
    except KeyboardInterrupt:
        print("Stopping the dashboard and its kernels...", flush=True)
    finally:
        server.stop()
    if status not in (None, 0):
        raise ConfigError(f"Voilà stopped by itself with status {status}.")
