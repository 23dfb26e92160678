"""Fixtures for the dashboard tests: a copy of the hand-made fixture run to break on purpose."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURE_RUN = Path(__file__).parent / "fixtures" / "run-fixture"


@pytest.fixture
def fixture_run(tmp_path: Path) -> Path:
    """A fresh copy of the fixture run (passes the gate), named ``run-x``, to change at will."""
    run = tmp_path / "run-x"
    shutil.copytree(FIXTURE_RUN, run)
    return run


@pytest.fixture
def edit_summary(fixture_run: Path) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """Change the fixture run's summary.json with a function of the parsed summary."""

    def edit(change: Callable[[dict[str, Any]], None]) -> Path:
        path = fixture_run / "summary.json"
        summary = json.loads(path.read_text(encoding="utf-8"))
        change(summary)
        path.write_text(json.dumps(summary), encoding="utf-8")
        return fixture_run

    return edit
