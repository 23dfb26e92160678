"""A run's ``manifest.json``: what was run, on what, with what, how long, and how it ended.

Schema (``schema_version`` 1)::

    {
      "schema_version": 1,
      "run_id": "anticipatory-care-workforce-SYN-PCN01-20261206T231500-3f9a1c",
      "status": "succeeded" | "failed" | "timed_out"   ("running" while in .<id>.partial/),
      "message": "",                                   the failure in plain words, else ""
      "template": {"path", "name", "sha256"},
      "parameters": {
        "passed":   {...},   as given by the caller (-p, --data, --over)
        "defaults": {...},   the template's own defaults (its cell tagged "parameters")
        "effective": {...}   what the notebook ran with (defaults, then passed, then output_dir)
      },
      "input": null | {"data_source", "kind", "path", "sha256", "files", "checksums_from"},
      "batch": null | {"batch_id", "over": {...}},
      "environment": {"clearlib", "python", "pandas", "numpy", "plotly", "papermill",
                      "nbclient", "scikit-learn", "ipykernel", "jupyter_client", "platform"},
      "execution": {"kernel_name", "timeout_per_cell_s", "kill_after_s", "cwd",
                    "executor": "this process" | "local pool of N" | "dask (ADDRESS)"},
      "timing": {"started", "finished", "duration_s", "kernel_start_s"},
      "failure": null | {"reason": "exception" | "cell_timeout" | "killed" | "crashed"
                                   | "interrupted",
                         "cell", "cell_index", "heading", "first_line",
                         "exception", "message"}
    }

``input.sha256`` is the SHA-256 of the lines ``<relative path>\\t<file SHA-256>\\n`` of every
data file, sorted by path: two runs with the same value read the same bytes. For a generated
dataset the file checksums come from its own ``manifest.json`` (``checksums_from:
"dataset manifest"``; ``clearlib data`` verifies them); otherwise each file is hashed.
``failure.cell`` is the cell's execution count, the ``In [N]`` the executed notebook shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "MANIFEST",
    "SCHEMA_VERSION",
    "VERSIONED_PACKAGES",
    "describe_cell",
    "input_checksum",
    "kernel_start_seconds",
    "package_versions",
    "read_json",
    "sha256_file",
    "write_json",
]

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
#: Packages whose versions every manifest records, besides clearlib and Python.
VERSIONED_PACKAGES = (
    "pandas",
    "numpy",
    "plotly",
    "papermill",
    "nbclient",
    "scikit-learn",
    "ipykernel",
    "jupyter_client",
)


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _combine(checksums: Mapping[str, str]) -> str:
    lines = "".join(f"{rel}\t{checksums[rel]}\n" for rel in sorted(checksums))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def input_checksum(data_source: str | Path | None) -> dict[str, Any] | None:
    """Identify the data a run reads: its kind, its path and one SHA-256 over every file.

    Parameters
    ----------
    data_source : str or path or None
        A dataset folder (a generated one has a ``manifest.json`` listing every file's
        checksum), another folder or file (every file is hashed), or a synthetic spec name or
        ``.toml`` spec (resolved through :func:`clearlib.load_pcn`, which generates the
        dataset if it is not cached yet).

    Returns
    -------
    dict or None
        ``{"data_source", "kind", "path", "sha256", "files", "checksums_from"}``; None when
        ``data_source`` is None.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "patients.csv").write_text("patient_id\\n1\\n")
    ...     info = input_checksum(tmp)
    >>> info["kind"], info["files"], info["checksums_from"], len(info["sha256"])
    ('folder', 1, 'file contents', 64)
    """
    if data_source is None:
        return None
    path = Path(data_source)
    if path.is_dir():
        listed = _read_manifest_files(path)
        if listed:
            kind, source, checksums = "dataset folder", "dataset manifest", listed
        else:
            kind, source = "folder", "file contents"
            checksums = {
                f.relative_to(path).as_posix(): sha256_file(f)
                for f in sorted(path.rglob("*"))
                if f.is_file() and not f.name.startswith(".")
            }
        resolved = path.resolve()
    elif path.is_file() and path.suffix != ".toml":
        kind, source = "file", "file contents"
        checksums = {path.name: sha256_file(path)}
        resolved = path.resolve()
    else:
        import clearlib

        bundle = clearlib.load_pcn(str(data_source), tables=["practices"])
        checksums = {rel: entry["sha256"] for rel, entry in bundle.manifest["files"].items()}
        kind, source, resolved = "synthetic spec", "dataset manifest", None
    return {
        "data_source": str(data_source),
        "kind": kind,
        "path": None if resolved is None else str(resolved),
        "sha256": _combine(checksums),
        "files": len(checksums),
        "checksums_from": source,
    }


def _read_manifest_files(folder: Path) -> dict[str, str]:
    from clearlib.data._store import read_manifest

    listed = read_manifest(folder).get("files", {})
    return {rel: entry["sha256"] for rel, entry in listed.items() if "sha256" in entry}


def package_versions() -> dict[str, str | None]:
    """The versions of clearlib, Python and the packages a run's results depend on.

    Examples
    --------
    >>> versions = package_versions()
    >>> sorted(versions)[:4]
    ['clearlib', 'ipykernel', 'jupyter_client', 'nbclient']
    """
    import clearlib

    versions: dict[str, str | None] = {
        "clearlib": clearlib.__version__,
        "python": platform.python_version(),
    }
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["platform"] = platform.platform()
    return versions


def read_json(path: str | Path) -> dict[str, Any]:
    """A JSON file as a dict (an empty dict if it is missing or unreadable)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def write_json(path: str | Path, content: Mapping[str, Any]) -> Path:
    """Write JSON atomically (a temporary file renamed into place): never half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(
        json.dumps(content, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------------------------
# Reading an executed notebook
# ---------------------------------------------------------------------------------------------
def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _is_error_marker(cell: Mapping[str, Any]) -> bool:
    return "papermill-error-cell-tag" in cell.get("metadata", {}).get("tags", [])


def _pm(cell: Mapping[str, Any]) -> Mapping[str, Any]:
    return cell.get("metadata", {}).get("papermill", {}) or {}


def kernel_start_seconds(notebook: Mapping[str, Any]) -> float | None:
    """Seconds from Papermill's start to the first cell's start: the kernel's start-up.

    Papermill stamps the notebook's start before it starts the kernel, and each cell's start
    as it runs; the difference is the kernel start (plus milliseconds of bookkeeping).
    """
    from datetime import datetime

    started = notebook.get("metadata", {}).get("papermill", {}).get("start_time")
    first = next(
        (_pm(c)["start_time"] for c in notebook.get("cells", []) if _pm(c).get("start_time")),
        None,
    )
    if not started or not first:
        return None
    delta = datetime.fromisoformat(first) - datetime.fromisoformat(started)
    return round(delta.total_seconds(), 3)


def describe_cell(notebook: Mapping[str, Any], reason: str) -> dict[str, Any] | None:
    """Find the cell where a run stopped, and say which it is as a reader would.

    Parameters
    ----------
    notebook : mapping
        The executed notebook (JSON), as Papermill saved it.
    reason : str
        ``"exception"``: the cell Papermill marked as failed; otherwise (a time limit, a
        kill) the last code cell that started.

    Returns
    -------
    dict or None
        ``{"cell": execution count (In [N]), "cell_index": position in the executed notebook
        (0-based), "heading": the nearest markdown heading above it, "first_line": its first
        non-blank line}``; None if no code cell started.

    Examples
    --------
    >>> nb = {"cells": [
    ...     {"cell_type": "markdown", "source": "## Cohort\\nWho is in it.", "metadata": {}},
    ...     {"cell_type": "code", "source": "\\ncohort = build()", "execution_count": 3,
    ...      "metadata": {"papermill": {"exception": True, "start_time": "t"}}}]}
    >>> describe_cell(nb, "exception")
    {'cell': 3, 'cell_index': 1, 'heading': 'Cohort', 'first_line': 'cohort = build()'}
    """
    cells = list(notebook.get("cells", []))
    index = None
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        if (reason == "exception" and _pm(cell).get("exception")) or (
            reason != "exception" and _pm(cell).get("start_time")
        ):
            index = i
    if index is None:
        return None
    cell = cells[index]
    lines = [line.strip() for line in _source(cell).splitlines() if line.strip()]
    number = cell.get("execution_count")
    if number is None:  # stopped while running: it is the Nth code cell to start
        number = sum(
            1
            for c in cells[: index + 1]
            if c.get("cell_type") == "code" and _pm(c).get("start_time")
        )
    return {
        "cell": number,
        "cell_index": index,
        "heading": _heading_above(cells, index),
        "first_line": lines[0] if lines else "",
    }


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def _heading_above(cells: list[Mapping[str, Any]], index: int) -> str | None:
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") != "markdown" or _is_error_marker(cell):
            continue
        headings = [
            m.group(1) for line in _source(cell).splitlines() if (m := _HEADING.match(line))
        ]
        if headings:
            return re.sub(r"[*_`]", "", headings[-1]).strip()
    return None
