"""Tests of batches on Dask distributed: a LocalCluster of two worker processes.

(In a file of its own: Dask leaves threads behind in the test process, after which a local
pool must start its workers with ``spawn`` instead of ``fork``, which is slower.)
"""

from __future__ import annotations

from pathlib import Path

import clearlib.projects

NOTEBOOKS = Path(__file__).parent / "notebooks"
WRITES_SUMMARY = NOTEBOOKS / "writes_summary.ipynb"


def test_dask_local_cluster_batch_survives_a_hang(in_tmp: Path, kernel_mark) -> None:
    """jobs='dask': a LocalCluster of two worker processes runs the batch; the hanging run is
    killed with its kernel, the other succeeds, and no kernel stays."""
    result = clearlib.projects.batch(
        WRITES_SUMMARY,
        over={"behaviour": ["succeed", "hang"]},
        jobs="dask",
        timeout=60,
        kill_after=8,
        progress=False,
    )
    assert [r.status for r in result.runs] == ["succeeded", "timed_out"]
    assert result.runs[0].summary["headline"]["cohort_size"] == 10
    assert result.runs[0].manifest["execution"]["executor"] == "dask (a local cluster)"
    assert kernel_mark() == []
