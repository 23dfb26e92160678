"""Fixtures of the browser tests: a real project run, served as a sponsor would see it.

Session fixtures, made once:

- ``sponsor_run``: the project workbook executed with Papermill over the default synthetic
  PCN (about a minute), or the run folder named by ``$CLEAR_E2E_RUN`` to iterate faster;
- ``served``: ``clearlib dashboard serve`` on a free port, as a user starts it;
- ``browser``: Debian's headless Chromium driven by Playwright (never ``playwright install``).

Screenshots go to ``tests/e2e/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _browser import (
    PAGE_TIMEOUT_MS,
    WORKBOOK,
    Served,
    clearlib_command,
    free_port,
    wait_for_http,
)


@pytest.fixture(scope="session")
def sponsor_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run of the project workbook (or ``$CLEAR_E2E_RUN``), checked by the gate."""
    from clearlib.dashboard import check_run

    given = os.environ.get("CLEAR_E2E_RUN", "").strip()
    if given:
        run = Path(given)
    else:
        import papermill

        run = tmp_path_factory.mktemp("runs") / "e2e-run"
        run.mkdir()
        papermill.execute_notebook(
            str(WORKBOOK),
            str(run / "notebook.ipynb"),
            parameters={"output_dir": str(run)},
            cwd=str(run),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
    report = check_run(run)
    assert report.ok, report.summary()
    return run


@pytest.fixture(scope="session")
def served(sponsor_run: Path) -> Iterator[Served]:
    """``clearlib dashboard serve RUN --port P --no-browser``; stopped with Ctrl-C (SIGINT)."""
    port = free_port()
    process = subprocess.Popen(
        clearlib_command(
            "dashboard", "serve", str(sponsor_run), "--port", str(port), "--no-browser"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url + "voila/static/", process)
        yield Served(url=url, run=sponsor_run, process=process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def browser(chromium: object) -> object:
    """Headless Chromium (the session's, from tests/conftest.py)."""
    return chromium


@pytest.fixture(scope="session")
def served_page(browser: object, served: Served) -> Iterator[object]:
    """The served dashboard, opened once for the session and drawn (charts and choices)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.goto(served.url, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("#choices-cards", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot').length >= 6", timeout=PAGE_TIMEOUT_MS
    )
    yield page
    context.close()


@pytest.fixture(scope="session")
def exported(sponsor_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``clearlib dashboard export RUN --out sponsor.html``, once for the session."""
    out = tmp_path_factory.mktemp("export") / "sponsor.html"
    result = subprocess.run(
        clearlib_command("dashboard", "export", str(sponsor_run), "--out", str(out)),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return out
