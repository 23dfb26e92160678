"""Helpers for the browser tests: ports, the clearlib command, waiting, screenshots.

The fixtures live in conftest.py.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKBOOK = REPO / "templates" / "project" / "anticipatory-care-workforce.ipynb"
ARTIFACTS = Path(__file__).parent / "artifacts"
#: Generous: the machine running the tests may be busy. Nothing here asserts on time.
PAGE_TIMEOUT_MS = 180_000


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clearlib_command(*args: str) -> list[str]:
    """The ``clearlib`` command as a user runs it, from this interpreter."""
    return [sys.executable, "-m", "clearlib._cli", *args]


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Wait until ``url`` answers, failing with the server's output if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"clearlib dashboard serve exited with {process.returncode}:\n{out}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    pytest.fail(f"the dashboard did not answer at {url} within {timeout:.0f} s")


@dataclass
class Served:
    """A dashboard served by ``clearlib dashboard serve`` for the whole session."""

    url: str
    run: Path
    process: subprocess.Popen[bytes]


def save_screenshot(page: object, name: str, *also: Path) -> Path:
    """A full-page screenshot in tests/e2e/artifacts/, copied to ``also`` paths."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    # Voilà scrolls inside its own panel, not the window: grow the window to the content.
    height = page.evaluate(  # type: ignore[attr-defined]
        "Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 40, 12000)})  # type: ignore[attr-defined]
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    for target in also:
        shutil.copyfile(path, target)
    return path
