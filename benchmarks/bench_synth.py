"""How fast is dataset generation, how much memory does it take, and how close is it to the I/O floor?

Generates a spec (default: the ICS, 18 PCNs and about 1,026,000 patients, with 2 worker
processes) into a temporary folder and prints:

* wall time, patients per second and total rows written;
* peak memory: the main process (``getrusage(RUSAGE_SELF)``) and the largest single worker
  (``getrusage(RUSAGE_CHILDREN)``: Linux reports the largest descendant that has ended and been
  waited for, not a sum, so the fork server is stopped first to collect its workers);
* the I/O floor: the same tables read back into memory PCN by PCN and written again with the
  same writer (``write_tables``: pandas to Arrow, split by practice, Parquet), timing only the
  writing; and the ratio between the two. Also the Parquet encoding alone (each practice's
  Arrow table written again with ``write_parquet``), a stricter floor;
* CPU seconds (user + system) of the generation, all processes together, against the floor's:
  on a shared machine wall times stretch with the load, CPU seconds much less. Where Linux
  groups processes by session for scheduling (``sched_autogroup_enabled``, printed), a busy
  machine gives the run's workers one session's share of the CPUs, not one CPU each, and
  the wall ratio then tends to the CPU ratio;
* the load average before and after (the machine may be shared: figures from a busy machine
  are slower, and the floor is measured on the same machine in the same run).

Calibration (solved once per population spec, then kept under ``<data_dir>/.calibration``) is
solved within the timed run unless ``--warm`` is given: the run uses a fresh data folder.

Prints figures; asserts nothing. Run with ``make bench`` or::

    .venv/bin/python benchmarks/bench_synth.py --spec default --jobs 1
"""

from __future__ import annotations

import argparse
import multiprocessing.forkserver
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from clearlib._config import LARGE_TABLES
from clearlib.data._store import read_manifest, read_table, write_parquet, write_tables
from clearlib.synth._run import generate


def _mib(kib: int) -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS)
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


def _stop_fork_server() -> None:
    """End the fork server so its workers' peak memory reaches RUSAGE_CHILDREN."""
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if stop is not None:
        stop()


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for descendants."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _io_floor(dataset: Path, scratch: Path) -> tuple[float, float]:
    """Wall and CPU seconds to write the dataset's tables again, PCN by PCN (writing only)."""
    manifest = read_manifest(dataset)
    practices = read_table([dataset / "practices.parquet"], "practices")
    staff = read_table([dataset / "staff.parquet"], "staff")
    wall = cpu = 0.0
    for pcn, codes in manifest["pcns"].items():
        frames = {
            table: read_table([dataset / table / f"{code}.parquet" for code in codes], table)
            for table in LARGE_TABLES
        }
        frames["practices"] = practices[practices.pcn_code == pcn]
        frames["staff"] = staff[staff.pcn_code == pcn]
        start, start_cpu = time.perf_counter(), time.process_time()
        write_tables(frames, scratch, practice_codes=codes)
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        del frames
    return wall, cpu


def _parquet_floor(dataset: Path, scratch: Path) -> tuple[float, float]:
    """Wall and CPU seconds to encode every file again from its Arrow table (writing only)."""
    wall = cpu = 0.0
    for path in sorted(dataset.rglob("*.parquet")):
        data = pq.read_table(path)
        start, start_cpu = time.perf_counter(), time.process_time()
        write_parquet(data, scratch / path.relative_to(dataset))
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    return wall, cpu


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="ics", help="spec name or path (default: ics)")
    parser.add_argument(
        "--jobs", type=int, default=2, help="worker processes (default: 2; at most one per PCN)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed (default: the spec's)")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="use the calibration kept from earlier runs (default: solve it in the timed run)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="clear-bench-") as tmp:
        if not args.warm:  # no calibration kept from earlier runs: it is solved in the run
            os.environ["CLEAR_DATA_DIR"] = str(Path(tmp) / "data")
        out = Path(tmp) / "dataset"
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        print(f"{load} (1, 5, 15 min; this machine has {os.cpu_count()} CPUs)")
        autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
        if autogroup.is_file():
            print(f"sched_autogroup_enabled {autogroup.read_text().strip()}")
        calibration = "kept from earlier runs" if args.warm else "solved in the run"
        print(
            f"Generating {args.spec} with jobs={args.jobs} into {out} (calibration {calibration})"
        )
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        generate(args.spec, seed=args.seed, out=out, jobs=args.jobs)
        wall = time.perf_counter() - start
        _stop_fork_server()
        cpu = _cpu_seconds() - start_cpu  # the workers' too, now the fork server has ended
        rss_self = _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        rss_children = _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)

        manifest = read_manifest(out)
        jobs = min(args.jobs, len(manifest["pcns"]))
        rows = {name: info["rows"] for name, info in manifest["tables"].items()}
        patients = rows["patients"]
        size = sum(entry["bytes"] for entry in manifest["files"].values())

        print(f"\nspec {manifest['name']} (seed {manifest['seed']}), jobs={jobs}")
        n_practices = sum(len(codes) for codes in manifest["pcns"].values())
        print(f"  PCNs, practices         {len(manifest['pcns'])}, {n_practices}")
        print(f"  patients                {patients:,}")
        for name, n in rows.items():
            print(f"    {name:<21} {n:>12,} rows")
        print(f"  total rows              {sum(rows.values()):,}")
        print(f"  Parquet on disk         {size / 2**20:,.1f} MiB")
        print(f"  wall time               {wall:,.1f} s")
        print(f"  CPU time, all processes {cpu:,.1f} s  (user + system)")
        print(f"  patients per second     {patients / wall:,.0f}")
        print(f"  rows per second         {sum(rows.values()) / wall:,.0f}")
        print(f"  peak RSS, main process  {rss_self:,.0f} MiB  (getrusage RUSAGE_SELF)")
        print(
            f"  peak RSS, largest child {rss_children:,.0f} MiB  (getrusage RUSAGE_CHILDREN: "
            "the largest single worker or the fork server, not a sum)"
        )
        if jobs > 1:
            bound = rss_self + jobs * rss_children
            print(f"  whole tree, upper bound {bound:,.0f} MiB  (main + jobs x largest child)")

        print("\nI/O floor: reading the tables back PCN by PCN, timing only the writing ...")
        scratch = Path(tmp) / "floor"
        floor, floor_cpu = _io_floor(out, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        parquet, parquet_cpu = _parquet_floor(out, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        print(f"  write time (one process) {floor:,.1f} s wall, {floor_cpu:,.1f} s CPU")
        print(
            f"  generation / write       {wall / floor:,.2f}x  (wall; generation on {jobs} cores)"
        )
        print(f"  generation / write, CPU  {cpu / floor_cpu:,.2f}x  (all processes' CPU seconds)")
        print(f"  Parquet encoding alone   {parquet:,.1f} s wall, {parquet_cpu:,.1f} s CPU")
        print(
            f"  generation / encoding    {wall / parquet:,.2f}x wall, {cpu / parquet_cpu:,.2f}x CPU"
        )
        print("  load average {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
