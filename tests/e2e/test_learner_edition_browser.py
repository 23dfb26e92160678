"""The learner edition in a real browser: JupyterLab as a learner opens it, then Validate.

The edition (through week 01) is built with ``publish_learner_edition`` in a temporary folder,
the week-01 assignment is copied into ``my-work/`` as HANDING-IN.md says, and JupyterLab is
started the way the edition's README says, ``make lab`` (with a port, a token and no browser).
The faculty environment stands in as the edition's ``.venv`` (a symlink; ``make setup`` would
take minutes and the network). One JupyterLab, one Chromium page:

1. the file browser shows the edition (``assignments``, ``modules``, ``my-work``) and no
   ``course`` or ``source`` folder; no faculty tool is anywhere (Formgrader, Course List,
   Create Assignment, Assignment List, the Nbgrader menu);
2. the learner opens their copy of week 01, types a wrong answer to question 1, saves, and
   presses **Validate** in the notebook's toolbar: the dialog names question 1 and shows its
   check's message in full. The screenshot is kept: tests/e2e/artifacts/learner-edition-validate.png;
3. Validate on a lesson says it has nothing to validate.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _browser import ARTIFACTS, PAGE_TIMEOUT_MS, free_port

from clearlib.course import publish_learner_edition

pytestmark = pytest.mark.slow  # an edition build, JupyterLab, a kernel and Chromium: minutes

WEEK = "01-getting-started"
SCREENSHOT = ARTIFACTS / "learner-edition-validate.png"
#: What week 01's question 1 check says when my_role is not one of the listed professions.
ROLE_MESSAGE = "my_role is 'doctor'; use one of"
FACULTY_WORDS = ("Formgrader", "Course List", "Create Assignment", "Assignment List", "Nbgrader")


@dataclass
class Lab:
    """JupyterLab serving a learner edition."""

    url: str
    token: str
    edition: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, default_pcn: object) -> Iterator[Lab]:
    """The edition through week 01, week 01 copied into my-work/ by ``make start``, and ``make lab`` serving it."""
    root = tmp_path_factory.mktemp("learner-lab")
    edition = root / "edition"
    publish_learner_edition(edition, through_week=1)
    (edition / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MAKEFLAGS")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # a learner's terminal: no environment active
    env["JUPYTER_CONFIG_DIR"] = str(root / "user-config")  # no settings of this machine's user
    subprocess.run(["make", "start", "WEEK=01"], cwd=edition, env=env, check=True, timeout=60)
    port, token = free_port(), secrets.token_hex(16)
    args = [
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        "--LabApp.extension_manager=readonly",  # no look-ups on PyPI
        f"--LabApp.user_settings_dir={root / 'settings'}",
        f"--LabApp.workspaces_dir={root / 'workspaces'}",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = (root / "lab.log").open("wb")
    process = subprocess.Popen(
        ["make", "lab", f"LAB_ARGS={' '.join(args)}"],
        cwd=edition,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_lab(f"{url}api/status?token={token}", process, root / "lab.log")
        yield Lab(url=url, token=token, edition=edition)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def _wait_for_lab(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make lab exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer at {url}:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def page(chromium: Any, lab: Lab) -> Iterator[Any]:
    """One Chromium page on the learner's JupyterLab."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{lab.url}lab/tree?token={lab.token}", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector(".jp-DirListing-item", timeout=PAGE_TIMEOUT_MS)
    yield page
    context.close()


def _validate(page: Any, has_text: str) -> Any:
    """Press Validate in the toolbar of the notebook showing ``has_text``; the results dialog."""
    panel = page.locator(".jp-NotebookPanel").filter(has_text=has_text)
    panel.locator(".jp-Cell").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    panel.locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog").filter(has_text="Validation Results")
    dialog.wait_for(timeout=PAGE_TIMEOUT_MS)
    return dialog


def test_the_learner_sees_the_edition_and_no_faculty_tools(page: Any) -> None:
    """The file browser shows the edition and no course/source folder; no faculty tool is in
    the menus, the launcher, the sidebars or the command palette's commands."""
    names = page.locator(".jp-DirListing-itemText").all_inner_texts()
    assert {"assignments", "modules", "my-work"} <= set(names), names
    assert "course" not in names and "source" not in names, names
    shown = page.locator("body").inner_text()
    titles = page.evaluate(
        "Array.from(document.querySelectorAll('[title]'), e => e.getAttribute('title')).join('|')"
    )
    for word in FACULTY_WORDS:
        assert word not in shown and word not in titles, word
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "Nbgrader" not in menus and "File" in menus, menus
    disabled = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).disabledExtensions"
    )
    assert "@jupyter/nbgrader:formgrader" in disabled
    assert "@jupyter/nbgrader:create-assignment" in disabled


def test_validate_shows_the_failing_questions_message(page: Any, lab: Lab) -> None:
    """Week 01 in my-work/, a wrong answer typed into question 1, saved, Validate pressed: the
    dialog names question 1 and shows its check's message (screenshot kept)."""
    notebook = lab.edition / "my-work" / WEEK / f"{WEEK}.ipynb"
    page.goto(f"{lab.url}lab/tree/my-work/{WEEK}/{WEEK}.ipynb?token={lab.token}")
    code = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-CodeCell")
    answer = code.filter(has_text="raise NotImplementedError").first  # question 1's answer
    answer.wait_for(timeout=PAGE_TIMEOUT_MS)
    editor = answer.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text('my_role = "doctor"\nextract_date = pd.Timestamp("2026-03-31")')
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 60
    while '\\"doctor\\"' not in notebook.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.5)
    dialog = _validate(page, has_text="Week 01 assignment")
    dialog.filter(has_text=ROLE_MESSAGE).wait_for(timeout=PAGE_TIMEOUT_MS)
    text = " ".join(dialog.inner_text().split())
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert "✗ Question 1: edit and run a cell [q1-first-cells-test]" in text, text
    assert re.search(r"my_role is 'doctor'; use one of \[.*'nurse'.*\], in lower case", text), text
    assert "Question 3: the tables — not answered yet" in text, text
    assert "Success" not in text
    dialog.get_by_role("button", name="Ok").click()


def test_validate_on_a_lesson_says_there_is_nothing_to_validate(page: Any, lab: Lab) -> None:
    """The Validate button on a lesson: no graded questions, nothing to validate; no
    "Success! Your notebook passes all the tests"."""
    lesson = next((lab.edition / "modules" / WEEK).glob("01.01-*.ipynb")).relative_to(lab.edition)
    page.goto(f"{lab.url}lab/tree/{lesson.as_posix()}?reset&token={lab.token}")
    dialog = _validate(page, has_text="01.01 Notebooks and PCN data")
    text = " ".join(dialog.inner_text().split())
    assert (
        "This notebook has no graded questions (it is a lesson); there is nothing to validate"
        in text
    )
    assert "Success" not in text
    dialog.get_by_role("button", name="Ok").click()
