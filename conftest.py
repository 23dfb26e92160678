"""Rules for every test the repository collects (tests/ and the doctests in clearlib/)."""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """With CI=true a skipped test is a failure: a skip must never hide a missing dependency."""
    outcome = yield
    report = outcome.get_result()
    in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    illustrative = "all tests skipped by +SKIP option" in str(
        report.longrepr
    )  # a doctest shown, not run
    if in_ci and report.skipped and not hasattr(report, "wasxfail") and not illustrative:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (a skip is a failure in CI): {report.longrepr}"
