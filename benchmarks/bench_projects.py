"""Project runs: one run of the workbook, and batches over every PCN of the ICS.

``python benchmarks/bench_projects.py [--sections a,b] [--pcns N] [--timeout S]``

(a) One run of ``templates/project/anticipatory-care-workforce.ipynb`` on the default PCN
    (``clearlib.projects.run``): wall time, and how much of it is starting a kernel, measured
    on its own (start and stop a kernel with jupyter_client) and read from the run (Papermill's
    start to the first cell's start, ``manifest.json`` ``timing.kernel_start_s``).
(b) A batch over every PCN of the ICS dataset (``data_source="ics"``, 18 PCNs, about a
    million patients; generated first if needed): ``jobs=1`` and ``jobs=2`` in the same
    process, one after the other, and the same batch on a Dask ``LocalCluster`` of two
    single-threaded worker processes. Prints each wall time, the speed-up of two jobs over one
    (target 1.7x or more) and Dask against the pool (target within 10%). ``--pcns N`` runs
    the first N PCNs only, when the full ICS does not fit the time there is.

Prints the machine's load average first: other work on the machine slows everything. Asserts
nothing. Each section is a function ``section_<letter>(args)``; add one to ``SECTIONS`` (and
its flags to ``_parser``) to extend the benchmark.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "templates" / "project" / "anticipatory-care-workforce.ipynb"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def kernel_start_seconds(repeats: int = 3) -> list[float]:
    """Start a python3 kernel, wait until it answers, stop it: seconds, ``repeats`` times."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        manager, client = start_new_kernel(
            kernel_name="python3", startup_timeout=120, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - started)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return times


def section_a(args: argparse.Namespace) -> None:
    """(a) One run of the workbook on the default PCN, and the kernel's share of it."""
    import clearlib
    import clearlib.projects

    print("\n(a) One run of the project workbook on the default PCN")
    clearlib.load_pcn("default", tables=["practices"])  # generated beforehand, not timed
    starts = kernel_start_seconds()
    print(
        f"  kernel start and stop alone (jupyter_client, {len(starts)}x): "
        f"median {statistics.median(starts):.2f} s (min {min(starts):.2f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = clearlib.projects.run(TEMPLATE, runs_dir=tmp, timeout=args.timeout)
        wall = time.perf_counter() - started
        timing = result.manifest["timing"]
        kernel = timing.get("kernel_start_s") or 0.0
        print(
            f"  run {result.status}: wall {wall:.1f} s (manifest duration {timing['duration_s']:.1f} s)"
        )
        print(
            f"  kernel start within the run: {kernel:.2f} s = {kernel / wall:.0%} of the wall time; "
            f"the standalone kernel is {statistics.median(starts) / wall:.0%} of it"
        )
        headline = result.summary.get("headline", {})
        shown = {k: headline[k] for k in ("cohort_size", "cohort_wte", "gap_wte") if k in headline}
        print(f"  headline: {shown}")


def _batch(over: dict, jobs: int | str, timeout: float) -> tuple[float, object]:
    import clearlib.projects

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = clearlib.projects.batch(
            TEMPLATE,
            over,
            data="ics",
            jobs=jobs,
            timeout=timeout,
            runs_dir=tmp,
            progress=False,
        )
        wall = time.perf_counter() - started
        statuses = [r.status for r in result.runs]
        durations = [r.duration or 0.0 for r in result.runs]
        summary = result.summary.copy()
        shutil.rmtree(result.folder, ignore_errors=True)
    failed = len(statuses) - statuses.count("succeeded")
    print(
        f"  jobs={jobs}: wall {wall:.1f} s for {len(statuses)} runs ({failed} not succeeded); "
        f"each run median {statistics.median(durations):.1f} s, sum {sum(durations):.0f} s"
    )
    return wall, summary


def section_b(args: argparse.Namespace) -> None:
    """(b) Every PCN of the ICS: jobs=1 against jobs=2, and Dask against the pool."""
    import clearlib.projects

    print("\n(b) A batch over the PCNs of the ICS (data_source='ics')")
    started = time.perf_counter()
    codes = clearlib.projects.pcn_codes("ics")  # generates the ICS the first time
    print(f"  ICS ready ({len(codes)} PCNs) in {time.perf_counter() - started:.0f} s")
    if args.pcns:
        codes = codes[: args.pcns]
        print(f"  (a subset: the first {len(codes)} PCNs)")
    over = {"pcn_code": codes}
    one, _ = _batch(over, 1, args.timeout)
    two, summary = _batch(over, 2, args.timeout)
    dask, _ = _batch(over, "dask", args.timeout)
    print(f"  speed-up of jobs=2 over jobs=1: {one / two:.2f}x (target >= 1.7x)")
    print(f"  Dask LocalCluster(2) against the pool of 2: {dask / two:.2f}x (target <= 1.10x)")
    columns = [c for c in ("pcn_code", "status", "cohort_size", "gap_wte") if c in summary]
    print(summary[columns].head(20).to_string(index=False))


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "a": section_a,
    "b": section_b,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS), help="e.g. a or a,b")
    parser.add_argument("--pcns", type=int, default=0, help="(b) only the first N PCNs")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per cell")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run the chosen sections and print their figures."""
    args = _parser().parse_args(argv)
    print(f"bench_projects: {_load()}, Python {sys.version.split()[0]}")
    for name in args.sections.split(","):
        SECTIONS[name.strip()](args)
    print(f"\ndone; {_load()}")


if __name__ == "__main__":
    main()
