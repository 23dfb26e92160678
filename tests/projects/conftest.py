"""Fixtures for the tests of project runs: the fixture notebooks, a runs folder, kernel tracing.

The notebooks in ``notebooks/`` are named for what they do:

- ``writes_summary.ipynb``: writes ``aggregates/counts.csv`` and ``summary.json`` (nothing
  timestamped); its ``behaviour`` parameter makes it fail (a ValueError), hang, or kill its
  kernel, and a data folder holding a file named ``broken`` makes it fail;
- ``fails_in_cell_3.ipynb``: raises ``ValueError`` in cell 3, under the heading "Build the
  cohort";
- ``hangs.ipynb``: sleeps for five minutes in cell 3;
- ``no_parameters.ipynb``: has no cell tagged ``parameters``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture
def notebooks() -> Path:
    """The folder of fixture notebooks."""
    return NOTEBOOKS


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in a temporary folder, so ``runs/`` is created there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def kernel_mark(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[psutil.Process]]:
    """Mark every process this test starts (by an environment variable every kernel inherits);
    the fixture's value lists the ipykernel processes still alive that carry the mark."""
    mark = uuid.uuid4().hex
    monkeypatch.setenv("CLEARLIB_TEST_RUN_MARK", mark)

    def kernels() -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter(["cmdline", "pid"]):
            try:
                cmdline = process.info["cmdline"] or []
                if process.pid == os.getpid() or not any(
                    "ipykernel_launcher" in part for part in cmdline
                ):
                    continue
                if process.environ().get("CLEARLIB_TEST_RUN_MARK") == mark:
                    found.append(process)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found

    return kernels


@pytest.fixture
def data_folder(tmp_path: Path) -> Path:
    """A small data folder of two files (the fixture notebook counts them)."""
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id\nSYN-1\nSYN-2\n", encoding="utf-8")
    (folder / "practices.csv").write_text("practice_code,pcn_code\nSYN-G001,SYN-PCN01\n")
    return folder
