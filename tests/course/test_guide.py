"""The faculty guide (course/README.md) works as written: its commands run, in order.

Every ```bash block of the guide runs, in one shell session and in the guide's order, in a
fresh copy of the course under a pretend repository root (its ``.venv`` the project's), so a
wrong command, a missing option or a step in the wrong order fails here. A block right after
an HTML comment ``<!-- not run: why -->`` is left out (starting JupyterLab, the JupyterHub
exchange, checks that take many minutes).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "course" / "README.md"
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```bash[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
NOT_RUN = re.compile(r"<!--\s*not run:(?P<why>.*?)-->\s*$", re.S)


def guide_blocks(text: str) -> list[tuple[str, str | None]]:
    """Each ```bash block of a guide, dedented, with why it is not run (None: it is run).

    A block is not run when the last thing before its fence is ``<!-- not run: why -->``.
    """
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip()
        why = NOT_RUN.search(before[-300:])
        reason = why.group("why").strip() if why and before.endswith("-->") else None
        blocks.append((textwrap.dedent(match.group("body")), reason))
    return blocks


def test_guide_blocks_are_found_and_markers_honoured() -> None:
    """The parser finds indented blocks and skips exactly those after a not-run comment."""
    text = (
        "Intro\n\n<!-- not run: opens a browser -->\n```bash\njupyter lab\n```\n\n"
        "- item:\n\n  ```bash\n  echo one\n  ```\n\n```bash\necho two\n```\n"
    )
    assert guide_blocks(text) == [
        ("jupyter lab\n", "opens a browser"),
        ("echo one\n", None),
        ("echo two\n", None),
    ]


def test_the_guide_keeps_few_blocks_out() -> None:
    """Most of the guide runs: at most five blocks are marked not run, each saying why."""
    blocks = guide_blocks(GUIDE.read_text(encoding="utf-8"))
    skipped = [why for _, why in blocks if why is not None]
    assert len(blocks) - len(skipped) >= 8
    assert 1 <= len(skipped) <= 5
    assert all(why for why in skipped)


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    """The guide's runnable blocks, run in order from a pretend repository root."""
    root = tmp_path_factory.mktemp("guide") / "repo"
    course = root / "course"
    shutil.copytree(
        REPO / "course",
        course,
        ignore=shutil.ignore_patterns(
            "release",
            "submitted",
            "autograded",
            "feedback",
            "exports",
            "downloaded",
            "gradebook.db",
            "learners.csv",
            ".ipynb_checkpoints",
            "__pycache__",
        ),
    )
    (root / ".venv").symlink_to(Path(sys.executable).parents[1])
    script = ["set -euo pipefail", f"cd {root}"]
    for i, (body, why) in enumerate(guide_blocks(GUIDE.read_text(encoding="utf-8"))):
        if why is None:
            script += [f"echo '### block {i}'", body]
    env = {k: v for k, v in os.environ.items() if k not in {"CLEAR_COURSE_DIR", "VIRTUAL_ENV"}}
    run = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    return run, course


@pytest.mark.slow
def test_every_guide_command_runs_in_order(rehearsal) -> None:
    """Each runnable block succeeds, from setting up the shell to the Blackboard export."""
    run, _ = rehearsal
    assert run.returncode == 0, (run.stdout[-4000:], run.stderr[-4000:])


@pytest.mark.slow
def test_the_rehearsed_week_leaves_what_the_guide_promises(rehearsal) -> None:
    """zip_collect, grading, feedback and export leave their files, for the pretend learner."""
    run, course = rehearsal
    assert run.returncode == 0, run.stderr[-4000:]
    name = "01-getting-started"
    assert (course / "submitted" / "demo01" / name / f"{name}.ipynb").is_file()
    assert (course / "autograded" / "demo01" / name / f"{name}.ipynb").is_file()
    assert (course / "feedback" / "demo01" / name / f"{name}.html").is_file()
    board = (course / "exports" / "blackboard-grade-center.csv").read_text(encoding="utf-8")
    assert board.splitlines()[0].startswith('"Last Name","First Name","Username"')
    assert "points possible" in run.stdout
    assert "Points possible:" in run.stdout  # the grade summary
    assert "demo01" in run.stdout
