"""``load_pcn``: the one call a lesson makes to get its data.

The first call generates the dataset from its spec and caches it under ``data_dir()``; later
calls read the cache (Parquet, well under two seconds for the default PCN). A cache made from
an older spec or another clearlib version is regenerated, so a lesson never runs on stale data.

Within one process the tables read are also kept in memory (for datasets up to
``MEMORY_ROWS`` rows): an assignment's every test cell calls ``load_pcn()``, and grading a
notebook would otherwise read the same Parquet files ten times. Each call still returns its own
tables: pandas copies on write, so a cell that changes its copy changes no other.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from clearlib._config import TABLES
from clearlib.data._bundle import PCNData
from clearlib.data._store import MANIFEST, read_dataset, read_manifest

__all__ = ["load_pcn"]

#: Datasets of at most this many rows (all tables) stay in memory between calls.
MEMORY_ROWS = 3_000_000
_MEMORY: dict[tuple[str, tuple[str, ...], int, int, int], PCNData] = {}


def load_pcn(
    name: str | Path = "default",
    *,
    seed: int | None = None,
    tables: Iterable[str] | None = None,
    regenerate: bool = False,
) -> PCNData:
    """Load a synthetic PCN (or ICS) dataset, generating it the first time.

    Parameters
    ----------
    name : str or path, default "default"
        A spec name (``"default"``: one PCN of about 48,000 patients; ``"ics"``: 18 PCNs and
        about 1,026,000 patients) or a path to a ``.toml`` spec.
    seed : int, optional
        The random seed. Default: the spec's own seed. Another seed gives another, equally
        realistic population (cached separately as ``<name>-seed<N>``).
    tables : iterable of str, optional
        Read only these tables (the others are empty, with the right columns). Default: all.
    regenerate : bool, default False
        Generate again even if a current copy is cached.

    Returns
    -------
    PCNData
        Every table as a pandas DataFrame (``pcn.patients``, ``pcn.appointments``, ...), with
        ``pcn.manifest`` saying how it was made. Dates are ``datetime64[s]``; code columns are
        categoricals (see :mod:`clearlib.data._store`).

    Raises
    ------
    SpecError
        If there is no spec of that name (the message lists the specs there are).

    Examples
    --------
    >>> import clearlib
    >>> pcn = clearlib.load_pcn("default")  # doctest: +SKIP
    >>> pcn.practices.practice_code.tolist()  # doctest: +SKIP
    ['SYN-G001', 'SYN-G002', 'SYN-G003', 'SYN-G004', 'SYN-G005']
    """
    from clearlib.synth._run import dataset_path, generate
    from clearlib.synth._spec import load_spec

    spec = load_spec(name)
    seed = spec.seed if seed is None else seed
    path = dataset_path(spec, seed)
    if regenerate or not _is_current(path, spec.digest(), seed):
        _generate_with_progress(generate, spec, seed, path)
    return _read_remembered(path, tuple(TABLES if tables is None else tables))


def _read_remembered(path: Path, tables: tuple[str, ...]) -> PCNData:
    """Read a dataset, or return the copy this process read before if the files are unchanged.

    The key holds the manifest's inode, modification time and size, so a regenerated dataset is read
    again. The caller gets shallow copies of the tables (pandas copies on write) and its own
    manifest, so nothing it changes reaches the remembered copy.
    """
    stat = (path / MANIFEST).stat()
    key = (str(path.resolve()), tables, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    data = _MEMORY.get(key)
    if data is None:
        data = read_dataset(path, tables=tables)
        rows = sum(len(getattr(data, name)) for name in data.table_names())
        _MEMORY.clear()
        if rows > MEMORY_ROWS:
            return data
        _MEMORY[key] = data
    own = {name: getattr(data, name).copy(deep=False) for name in data.table_names()}
    return dataclasses.replace(data, **own, manifest=copy.deepcopy(data.manifest))


def _is_current(path: Path, digest: str, seed: int) -> bool:
    """True if a cached dataset is complete and was made from this spec, seed and version.

    Completeness is checked by the presence of every file in the manifest (cheap); checksums
    are left to :func:`clearlib.data.verify`.
    """
    import clearlib

    manifest = read_manifest(path)
    return (
        bool(manifest)
        and manifest.get("spec_digest") == digest
        and manifest.get("seed") == seed
        and manifest.get("generator", {}).get("version") == clearlib.__version__
        and all((path / rel).is_file() for rel in manifest.get("files", {}))
    )


def _generate_with_progress(generate: Any, spec: Any, seed: int, path: Path) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    stale = (path / MANIFEST).is_file()
    reason = (
        "the cached copy is from an older spec or clearlib version, or incomplete"
        if stale
        else "first use"
    )
    console.print(
        f"Generating the synthetic dataset [bold]{escape(spec.name)}[/] (seed {seed}; {reason}): "
        f"about {spec.total_list_size:,} patients, cached in {escape(str(path))} for next time.",
        highlight=False,
        soft_wrap=True,
    )
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} practices"),
        TimeElapsedColumn(),
    )
    live = console.is_terminal or (console.is_jupyter and find_spec("ipywidgets") is not None)
    if not live:  # a log or a pipe: the line above is enough
        generate(spec, seed=seed, out=path)
        return
    with Progress(*columns, console=console) as progress:
        generate(spec, seed=seed, out=path, progress=progress)
