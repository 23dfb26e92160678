"""``clearlib course setup-check``: tell a learner, in plain words, whether their setup works.

Each check says what it found and, when something is wrong, what to do. Nothing here changes
the learner's machine: the checks only look (the folder check writes and deletes one small file).
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Check", "check_setup", "render_checks"]

MIN_PYTHON = (3, 11)

#: What the lessons import, by import name, with the name to install it by.
PACKAGES = {
    "clearlib": "clearlib",
    "pandas": "pandas",
    "numpy": "numpy",
    "pyarrow": "pyarrow",
    "plotly": "plotly",
    "sklearn": "scikit-learn",
    "scipy": "scipy",
    "ipywidgets": "ipywidgets",
    "nbformat": "nbformat",
}

_REINSTALL = (
    "In a terminal in the course folder, run: python -m pip install -e . "
    "(or ask your course team to check your environment)."
)


@dataclass(frozen=True)
class Check:
    """The result of one setup check.

    Attributes
    ----------
    name : str
        What was checked, in plain words ("Python version").
    ok : bool
        True when this part of the setup works.
    detail : str
        What was found.
    fix : str
        What to do when it does not work (empty when ``ok``).
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        mark = "OK  " if self.ok else "FIX "
        tail = f" -> {self.fix}" if self.fix else ""
        return f"{mark}{self.name}: {self.detail}{tail}"


def _python() -> Check:
    found = ".".join(str(x) for x in sys.version_info[:3])
    need = ".".join(str(x) for x in MIN_PYTHON)
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("Python version", True, f"Python {found}")
    return Check(
        "Python version",
        False,
        f"Python {found}; the course needs {need} or newer",
        f"Install Python {need} or newer (python.org, or ask IT), then set up the course again.",
    )


def _package(module: str, dist: str) -> Check:
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # an import can fail in many ways; every one means "fix me"
        return Check(
            f"Package {dist}",
            False,
            f"cannot be imported ({type(exc).__name__}: {exc})",
            _REINSTALL,
        )
    version = getattr(mod, "__version__", "")
    return Check(f"Package {dist}", True, f"version {version}" if version else "importable")


def _dataset(name: str) -> Check:
    label = f"Dataset {name!r}"
    try:
        from clearlib.data._load import _is_current
        from clearlib.synth._run import dataset_path
        from clearlib.synth._spec import load_spec

        spec = load_spec(name)
        path = dataset_path(spec, spec.seed)
        if not _is_current(path, spec.digest(), spec.seed):
            return Check(
                label,
                False,
                f"not made yet (looked in {path})",
                f"In a terminal, run: clearlib data synth {name} (about a minute), then run "
                "this check again.",
            )
        import clearlib

        pcn = clearlib.load_pcn(name, tables=["practices"])
        rows = pcn.manifest.get("tables", {}).get("patients", {}).get("rows", 0)
        return Check(
            label,
            True,
            f"loads: {len(pcn.practices)} practices, {rows:,} patients (in {path})",
        )
    except Exception as exc:
        return Check(
            label,
            False,
            f"does not load ({type(exc).__name__}: {exc})",
            f"In a terminal, run: clearlib data synth {name} to make it again.",
        )


def _writable(folder: Path) -> Check:
    label = "Your folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".clear-setup-", delete=True) as f:
            f.write(b"ok")
        return Check(label, True, f"can save work in {folder}")
    except OSError as exc:
        return Check(
            label,
            False,
            f"cannot save work in {folder} ({exc.strerror or exc})",
            "Open the course from a folder you own (your home folder or Documents), or ask IT "
            "for write access to this one.",
        )


def _executable(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else None


def _jupyterlab() -> Check:
    label = "JupyterLab"
    try:
        import jupyterlab
    except Exception:
        return Check(label, False, "not installed", _REINSTALL)
    exe = _executable("jupyter-lab")
    if exe is None:
        return Check(
            label,
            False,
            f"installed (version {jupyterlab.__version__}) but the jupyter-lab command is "
            "not on your PATH",
            "Activate the course's environment first (source .venv/bin/activate), then run "
            "jupyter lab.",
        )
    return Check(label, True, f"version {jupyterlab.__version__} ({exe})")


def _kernel() -> Check:
    label = "Python kernel"
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
    except Exception as exc:
        return Check(label, False, f"cannot list kernels ({exc})", _REINSTALL)
    if "python3" in specs:
        return Check(label, True, "a Python 3 kernel is available to notebooks")
    return Check(
        label,
        False,
        "no Python 3 kernel for notebooks",
        "Run: python -m ipykernel install --user --name python3",
    )


def _validate() -> Check:
    label = "nbgrader validate"
    try:
        from nbgrader.validator import Validator  # noqa: F401

        from clearlib.course._validate import validate_notebook  # noqa: F401
    except Exception as exc:
        return Check(label, False, f"nbgrader cannot be imported ({exc})", _REINSTALL)
    in_a_cell = (
        "in a notebook cell, from clearlib.course import validate_notebook, then "
        'validate_notebook("NOTEBOOK.ipynb")'
    )
    exe = _executable("clearlib")
    if exe is None:
        return Check(
            label,
            False,
            "works, but the clearlib command is not on your PATH",
            "Activate the course's environment (source .venv/bin/activate) to run "
            f"clearlib course validate NOTEBOOK in a terminal; or, {in_a_cell}.",
        )
    return Check(
        label,
        True,
        f"available: check an assignment with `clearlib course validate NOTEBOOK` ({exe}); or, "
        f"{in_a_cell}",
    )


def check_setup(*, folder: str | Path | None = None, dataset: str = "default") -> list[Check]:
    """Check that a learner's environment can run the course, and say how to fix what cannot.

    Parameters
    ----------
    folder : path, optional
        Where the learner saves work (default: the current folder).
    dataset : str, default "default"
        The synthetic dataset the lessons load.

    Returns
    -------
    list of Check
        Python version, each package, the dataset, the folder, JupyterLab, the notebook kernel
        and ``nbgrader validate``; ``all(c.ok for c in checks)`` when everything works.

    Examples
    --------
    >>> checks = check_setup()
    >>> checks[0].name
    'Python version'
    >>> sorted({type(c.ok) for c in checks}, key=str)
    [<class 'bool'>]
    """
    where = Path(folder) if folder is not None else Path(os.getcwd())
    return [
        _python(),
        *(_package(m, d) for m, d in PACKAGES.items()),
        _dataset(dataset),
        _writable(where),
        _jupyterlab(),
        _kernel(),
        _validate(),
    ]


def render_checks(checks: list[Check], console: Console) -> None:
    """Print the checks as a learner reads them: a tick or a cross, then what to do."""
    from rich.markup import escape

    for c in checks:
        mark = "[green]✓[/green]" if c.ok else "[red]✗[/red]"
        console.print(f"{mark} [bold]{escape(c.name)}[/bold]: {escape(c.detail)}", soft_wrap=True)
        if c.fix:
            console.print(f"    [yellow]What to do:[/yellow] {escape(c.fix)}", soft_wrap=True)
    bad = [c for c in checks if not c.ok]
    if bad:
        console.print(
            f"\n[red]{len(bad)} thing(s) to fix[/red] before the course will work. Fix the "
            "first one, then run this check again.",
            soft_wrap=True,
        )
    else:
        console.print("\n[green]Everything works.[/green] Open JupyterLab and start lesson 1.")
