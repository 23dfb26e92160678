"""Generate a whole dataset from a spec: PCN by PCN, in parallel, written atomically.

Each PCN is generated (``clearlib.synth._generate.generate_pcn``) in a worker process, which
writes its large tables itself, one Parquet file per practice as each practice's tables are
built (as Arrow tables in their storage schema), so memory holds one PCN's simulation and one
practice's tables at a time whatever the size of the ICS. The small tables (practices, staff) are gathered and written at
the end in spec order, then the optional CSV or Excel copies, then ``manifest.json``.

Everything is written into a hidden sibling folder that is renamed into place at the very end:
an interrupted run leaves no half dataset, and two processes making the same dataset at once
(pytest-xdist workers, two notebooks) both end with a complete one.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

import pyarrow as pa
from rich.progress import Progress, TaskID

from clearlib._config import (
    EXTRACT_DATE,
    REPO_DIR,
    SMALL_TABLES,
    TABLES,
    WINDOW_START,
    data_dir,
    specs_dir,
)
from clearlib._exceptions import ConfigError, SpecError
from clearlib.data._store import (
    MANIFEST,
    check_excel_rows,
    export_csv,
    export_xlsx,
    file_sha256,
    write_manifest,
    write_parquet,
)
from clearlib.synth._spec import Spec, load_spec

__all__ = ["FORMATS", "ProgressCallback", "dataset_path", "generate"]

#: The output formats: Parquet always, plus a CSV or Excel copy on request.
FORMATS = ("parquet", "csv", "xlsx")

#: ``progress(practices_done, practices_total, patients_done)``, called as each PCN is written.
ProgressCallback = Callable[[int, int, int], None]


def dataset_path(spec: Spec, seed: int | None = None) -> Path:
    """Where a spec's dataset is cached: ``<data_dir>/<name>``, or ``<name>-seed<N>``.

    Parameters
    ----------
    spec : Spec
        The loaded spec.
    seed : int, optional
        The seed; the spec's own seed (or None) gives the plain name.

    Examples
    --------
    >>> spec = Spec(name="default", seed=7, params={})
    >>> dataset_path(spec).name, dataset_path(spec, 7).name, dataset_path(spec, 8).name
    ('default', 'default', 'default-seed8')
    """
    name = spec.name if seed is None or seed == spec.seed else f"{spec.name}-seed{seed}"
    return data_dir() / name


def generate(
    spec: str | Path | Spec = "default",
    *,
    seed: int | None = None,
    out: str | Path | None = None,
    fmt: str = "parquet",
    jobs: int | None = None,
    progress: Progress | ProgressCallback | None = None,
) -> Path:
    """Generate a synthetic dataset from a population spec and write it to a folder.

    The same spec and seed always give byte-identical files, however many ``jobs`` run.

    Parameters
    ----------
    spec : str, path or Spec, default "default"
        A spec name (``"default"``, ``"ics"``), a path to a ``.toml`` spec, or a loaded Spec.
    seed : int, optional
        The random seed. Default: the spec's own seed.
    out : path, optional
        The folder to write. Default: ``<data_dir>/<name>`` (``<name>-seed<N>`` for a seed
        other than the spec's). An existing dataset there is replaced; any other non-empty
        folder is refused.
    fmt : {"parquet", "csv", "xlsx"}, default "parquet"
        Parquet is always written. ``"csv"`` adds ``csv/<table>.csv``; ``"xlsx"`` adds
        ``xlsx/<table>.xlsx``, refused for tables longer than an Excel worksheet.
    jobs : int, optional
        Worker processes generating PCNs side by side. Default: ``min(2, CPUs, PCNs)``.
    progress : rich.progress.Progress or callable, optional
        A rich Progress to add a bar to (practices written, patients per second), or a
        function called as ``progress(practices_done, practices_total, patients_done)``.

    Returns
    -------
    pathlib.Path
        The dataset folder (it holds ``manifest.json``).

    Raises
    ------
    SpecError
        If the spec is unknown or malformed.
    ConfigError
        If an option cannot be used (unknown format, a table too long for Excel, ``out`` is a
        folder that is not a generated dataset).

    Examples
    --------
    >>> import tempfile
    >>> from clearlib.synth import generate
    >>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +SKIP
    ...     path = generate("default", out=f"{tmp}/default")
    ...     sorted(p.name for p in path.iterdir())[:3]
    ['appointments', 'conditions', 'frailty_deficits']
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    seed = spec.seed if seed is None else _check_int("seed", seed, minimum=0)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}.")
    pcns = spec.pcn_codes
    if not pcns:
        raise SpecError(f"spec {spec.name!r} has no PCNs or practices: nothing to generate.")
    cpus = os.cpu_count() or 1
    jobs = min(2, cpus, len(pcns)) if jobs is None else _check_int("jobs", jobs, minimum=1)
    jobs = min(jobs, len(pcns))
    out = dataset_path(spec, seed) if out is None else Path(out).expanduser().resolve()
    _check_destination(out)
    if fmt == "xlsx":  # refuse before any work when even the target list cannot fit
        check_excel_rows("patients", spec.total_list_size)
    return _generate(spec, seed, out, fmt, jobs, _Reporter(progress, spec))


def _check_int(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ConfigError(f"{name} must be a whole number ≥ {minimum}, found {value!r}.")
    return int(value)


def _check_destination(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file; give a folder for the dataset.")
    if out.is_dir() and not (out / MANIFEST).is_file() and any(out.iterdir()):
        raise ConfigError(
            f"{out} already holds files that are not a generated dataset (no {MANIFEST}). "
            "Give a new or empty folder: generating would replace everything in it."
        )


# ---------------------------------------------------------------------------------------------
# The work: one PCN per task
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _FileInfo:
    """A written file's rows (None for a CSV or Excel copy), SHA-256 checksum and size."""

    rows: int | None
    sha256: str
    bytes: int


@dataclass(frozen=True)
class _PCNResult:
    pcn_code: str
    small: dict[str, pa.Table]
    files: dict[str, _FileInfo]

    @property
    def patients(self) -> int:
        return sum(f.rows or 0 for rel, f in self.files.items() if rel.startswith("patients/"))


def _generate_pcn_files(
    spec: Spec, pcn_code: str, seed: int, folder: str, calibration: Any = None
) -> _PCNResult:
    """Generate one PCN, write its large tables practice by practice, return its small tables.

    ``calibration`` is the parent's (solved once per population), so workers do not solve it.
    """
    from clearlib.synth import _generate  # looked up at call time: tests may replace it

    if calibration is not None:
        _generate.use_calibration(spec, calibration)
    tables = _generate.generate_pcn(spec, pcn_code, seed)
    rows = tables.write(folder)  # each practice's tables, written as soon as they are built
    small = {t: tables.arrow(t) for t in SMALL_TABLES}
    # checksums here, in parallel, while the files are fresh in the page cache
    files = {
        rel: _FileInfo(n, file_sha256(Path(folder, rel)), Path(folder, rel).stat().st_size)
        for rel, n in rows.items()
    }
    return _PCNResult(pcn_code, small, files)


def _pool_context() -> multiprocessing.context.BaseContext:
    # Not fork: pyarrow and pandas start threads, and forking a threaded process can deadlock.
    # A fork server imports the generator once; each worker then starts in milliseconds.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["clearlib.synth._run", "clearlib.synth._generate", "scipy.special"]
    )
    return context


def _run_pcns(spec: Spec, seed: int, folder: Path, jobs: int) -> Iterator[_PCNResult]:
    """Yield each PCN's result as it is finished (in spec order when ``jobs == 1``)."""
    if jobs == 1:
        for code in spec.pcn_codes:
            yield _generate_pcn_files(spec, code, seed, str(folder))
        return
    from clearlib.synth._generate import calibrate

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context())
    try:
        calibration = calibrate(spec)  # once, here (or read from disk); the workers start meanwhile
        # largest PCNs first, so the last to finish is a small one and no worker waits long idle
        # at the end (the output does not depend on the order)
        size = {code: sum(p.list_size for p in spec.practices_of(code)) for code in spec.pcn_codes}
        pending: set[Future[_PCNResult]] = {
            pool.submit(_generate_pcn_files, spec, code, seed, str(folder), calibration)
            for code in sorted(spec.pcn_codes, key=lambda code: -size[code])
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Reporter:
    """Progress as a rich bar, a callback, or nothing."""

    def __init__(self, progress: Progress | ProgressCallback | None, spec: Spec) -> None:
        self.progress = progress
        self.name = spec.name
        self.total = len(spec.practices)
        self.done = 0
        self.patients = 0
        self.started = time.perf_counter()
        self.task: TaskID | None = None
        if isinstance(progress, Progress):
            self.task = progress.add_task(self._text(), total=self.total)

    def _text(self, phase: str = "") -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = f", {self.patients / elapsed:,.0f} patients/s" if self.patients else ""
        text = f"{self.name}: {self.patients:,} patients{rate}"
        return f"{text} ({phase})" if phase else text

    def pcn_done(self, practices: int, patients: int) -> None:
        self.done += practices
        self.patients += patients
        if isinstance(self.progress, Progress) and self.task is not None:
            self.progress.update(self.task, completed=self.done, description=self._text())
        elif self.progress is not None:
            self.progress(self.done, self.total, self.patients)

    def phase(self, text: str) -> None:
        if isinstance(self.progress, Progress) and self.task is not None:
            self.progress.update(self.task, description=self._text(text))


# ---------------------------------------------------------------------------------------------
# Assembling the dataset
# ---------------------------------------------------------------------------------------------
def _generate(spec: Spec, seed: int, out: Path, fmt: str, jobs: int, report: _Reporter) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(out)
    existing = _inode(out)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        small: dict[str, dict[str, pa.Table]] = {t: {} for t in SMALL_TABLES}
        rows: dict[str, int] = {}
        files: dict[str, _FileInfo] = {}
        with closing(_run_pcns(spec, seed, tmp, jobs)) as results:
            for result in results:
                for table, data in result.small.items():
                    small[table][result.pcn_code] = data
                files.update(result.files)
                for rel, info in result.files.items():
                    table = rel.split("/", 1)[0]
                    rows[table] = rows.get(table, 0) + (info.rows or 0)
                    if fmt == "xlsx":  # stop as soon as a table outgrows a worksheet
                        check_excel_rows(table, rows[table])
                report.pcn_done(len(spec.practices_of(result.pcn_code)), result.patients)
        for table in SMALL_TABLES:
            data = pa.concat_tables([small[table][code] for code in spec.pcn_codes])
            write_parquet(data, tmp / f"{table}.parquet")
            rel = f"{table}.parquet"
            files[rel] = _FileInfo(
                data.num_rows, file_sha256(tmp / rel), (tmp / rel).stat().st_size
            )
        if fmt == "csv":
            report.phase("writing CSV")
            export_csv(tmp)
        elif fmt == "xlsx":
            report.phase("writing Excel files")
            export_xlsx(tmp)
        report.phase("checksums")
        write_manifest(tmp, _manifest(spec, seed, fmt, tmp, files))
        final = _commit(tmp, out, existing)
        report.phase("done")
        return final
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _manifest(
    spec: Spec, seed: int, fmt: str, folder: Path, known: dict[str, _FileInfo]
) -> dict[str, Any]:
    """The manifest; ``known`` gives the Parquet files' rows, checksums and sizes (the CSV or
    Excel copies, if any, are checksummed here)."""
    import clearlib

    files = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )
    info = {
        rel: known.get(rel)
        or _FileInfo(None, file_sha256(folder / rel), (folder / rel).stat().st_size)
        for rel in files
    }
    tables: dict[str, dict[str, Any]] = {}
    for table in TABLES:
        if table in SMALL_TABLES:
            tables[table] = {"rows": known[f"{table}.parquet"].rows}
            continue
        by_practice = {p.code: known[f"{table}/{p.code}.parquet"].rows for p in spec.practices}
        tables[table] = {"rows": sum(by_practice.values()), "by_practice": by_practice}
    spec_path = None
    if spec.path is not None:
        path = Path(spec.path).resolve()
        spec_path = (
            path.relative_to(REPO_DIR).as_posix() if path.is_relative_to(REPO_DIR) else str(path)
        )
    named = spec.path is None or Path(spec.path).resolve().parent == specs_dir().resolve()
    command = f"clearlib data synth {spec.name if named else spec_path} --seed {seed}"
    if fmt != "parquet":
        command += f" --format {fmt}"
    return {
        "name": spec.name,
        "description": spec.params.get("description", ""),
        "spec": {"name": spec.name, "path": spec_path, "params": spec.params},
        "spec_digest": spec.digest(),
        "seed": seed,
        "generator": {"package": "clearlib", "version": clearlib.__version__},
        "created_from": {
            "function": f"clearlib.synth.generate({spec.name!r}, seed={seed}, fmt={fmt!r})",
            "command": command,
        },
        "format": fmt,
        "formats": ["parquet"] if fmt == "parquet" else ["parquet", fmt],
        "extract_window": {
            "start": WINDOW_START.isoformat(),
            "end": EXTRACT_DATE.isoformat(),
            "extract_date": EXTRACT_DATE.isoformat(),
        },
        "pcns": {code: [p.code for p in spec.practices_of(code)] for code in spec.pcn_codes},
        "tables": tables,
        "files": {rel: {"sha256": info[rel].sha256, "bytes": info[rel].bytes} for rel in files},
    }


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _commit(tmp: Path, out: Path, existing: tuple[int, int] | None) -> Path:
    """Move the finished dataset into place atomically.

    If ``out`` is the dataset that was there when we started, it is replaced. If another
    process put a dataset there meanwhile, theirs is kept (it is equally complete) and ours is
    discarded.
    """
    try:
        os.rename(tmp, out)  # atomic; also replaces an empty folder
        return out
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
    if _inode(out) != existing:
        shutil.rmtree(tmp, ignore_errors=True)  # someone else finished first: keep theirs
        return out
    old = out.parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # another process slipped in: keep theirs
    shutil.rmtree(old, ignore_errors=True)
    return out


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:partial|old)-(?P<pid>\d+)-[0-9a-f]{8}$")


def _remove_abandoned(out: Path) -> None:
    """Delete work folders left by runs of this dataset whose process no longer exists."""
    for path in out.parent.glob(f".{out.name}.*-*-*"):
        match = _LEFTOVER.match(path.name)
        if not match or match["name"] != out.name or not path.is_dir():
            continue
        try:
            os.kill(int(match["pid"]), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (PermissionError, OverflowError):  # alive but not ours, or not a pid: leave it
            continue
