"""How fast are frailty, condition counts, Bridges to Health and risk scoring on a whole ICS?

Loads a dataset (default: the ICS, 18 PCNs and about 1,026,000 registered patients; generated
by ``clearlib.load_pcn("ics")``, which reads the cache or regenerates it when missing or
made from an older spec) and times each step of ``clearlib.segment`` on it:

* eFI and long-term condition counts as at the extract date;
* the segmentation features and Bridges to Health (fit and assign);
* risk features at the index date and the outcome after it;
* fitting the risk model (a plain logistic regression) on every adult;
* risk scoring: features at the day after the extract, then predicted risk and top-5% flags.

The first step to read a table's patient ids pays for hashing them once (segment features,
here); later steps reuse the encoding (see ``clearlib.segment._data.positions``).

Targets (issue #4): every step but the fit within 20 s in total, the fit within 60 s, on 2
cores. For each step it prints wall time, CPU time (a fairer figure on a shared machine) and
peak memory: the process's peak resident set
size while the step ran (sampled every 5 ms from ``/proc/self/statm``) and how far that
peak rose above the resident size when the step started. Prints figures; asserts nothing::

    .venv/bin/python benchmarks/bench_segment.py            # the ICS
    .venv/bin/python benchmarks/bench_segment.py --spec default
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    """Resident set size of this process, in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


class _PeakRSS:
    """Sample the resident set size in a background thread while a block runs."""

    def __enter__(self) -> _PeakRSS:
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


ROWS: list[dict[str, Any]] = []


def step(name: str, fn: Callable[[], Any], *, target: str = "") -> Any:
    """Run ``fn``, print and record its wall time and memory, and return its result."""
    with _PeakRSS() as mem:
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    ROWS.append(
        {
            "step": name,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "peak_rss_mib": mem.peak / 2**20,
            "rise_mib": (mem.peak - mem.start) / 2**20,
            "group": target,
        }
    )
    print(
        f"{name:<50} {seconds:6.2f} s (CPU {cpu:6.2f} s)   peak RSS {mem.peak / 2**20:6.0f} MiB "
        f"(+{(mem.peak - mem.start) / 2**20:5.0f})",
        flush=True,
    )
    return result


def _load(spec: str) -> Any:
    import clearlib

    # read from the cache, or generated when missing or made from an older spec (~20 s for the ICS)
    return clearlib.load_pcn(spec)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    from clearlib import segment as sg
    from clearlib.segment._data import extract_date

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="ics", help="dataset name (default: ics)")
    parser.add_argument(
        "--index-date", default=sg.DEFAULT_INDEX_DATE, help="risk index date (default 2025-04-01)"
    )
    args = parser.parse_args(argv)

    print(f"clearlib.segment on {args.spec!r}; {os.cpu_count()} CPUs visible", flush=True)
    pcn = step("load the dataset (not counted)", lambda: _load(args.spec), target="load")
    print(f"  {pcn!r}", flush=True)
    extract = extract_date(pcn)

    frail = step("eFI as at the extract", lambda: sg.efi(pcn), target="20s")
    step("LTC counts as at the extract", lambda: sg.ltc_counts(pcn), target="20s")
    features = step(
        "segment features as at the extract", lambda: sg.segment_features(pcn), target="20s"
    )
    segments = step(
        "Bridges to Health (fit + assign)",
        lambda: sg.BridgesToHealth().fit(features).assign(features),
        target="20s",
    )
    X = step(
        f"risk features before {args.index_date}",
        lambda: sg.build_features(pcn, args.index_date),
        target="20s",
    )
    outcome = step(
        "outcome: emergency admission in the next year",
        lambda: sg.build_outcome(pcn, args.index_date),
        target="20s",
    )
    y = outcome["emergency_admission"]
    model = step(
        f"fit the risk model ({len(X):,} adults)", lambda: sg.RiskModel().fit(X, y), target="fit"
    )
    today = extract + pd.Timedelta(days=1)

    def score() -> pd.DataFrame:
        X_now = sg.build_features(pcn, today)
        return sg.flag_top(model.risk(X_now))

    flags = step("risk scoring of today's list (features + predict)", score, target="20s")

    frame = pd.DataFrame(ROWS)
    counted = frame.loc[frame["group"] == "20s", "seconds"].sum()
    fit = frame.loc[frame["group"] == "fit", "seconds"].sum()
    print()
    print(f"people: {len(frail):,} registered at the extract; {len(X):,} adults at the index date")
    print(f"segments: {segments['segment'].value_counts().sort_index().to_dict()}")
    print(f"outcome rate: {y.mean():.2%}; in-sample {sg.auc_ci(y, model.risk(X))}")
    print(f"top 5% today: {int(flags['risk_top5'].sum()):,} people")
    cpu_counted = frame.loc[frame["group"] == "20s", "cpu_seconds"].sum()
    print(
        f"everything but the fit: {counted:6.1f} s wall, {cpu_counted:6.1f} s CPU (target <= 20 s)"
    )
    print(f"the fit:                {fit:6.1f} s wall (target <= 60 s)")
    print(
        f"load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(f"peak RSS over the run:  {frame['peak_rss_mib'].max():6.0f} MiB")


if __name__ == "__main__":
    main()
