"""The learner edition: what learners need, and no model answer or hidden test anywhere in it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from clearlib._config import REPO_DIR
from clearlib._exceptions import ClearlibError, ConfigError
from clearlib.course import list_assignments
from clearlib.course._learner import publish_learner_edition, scan_edition

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole edition (every lesson and assignment), built once."""
    out = tmp_path_factory.mktemp("learners") / "edition"
    publish_learner_edition(out)
    return out


def test_the_edition_holds_what_a_learner_needs(edition: Path) -> None:
    """Lessons, every released assignment, clearlib, the specs, the learner config and files."""
    lessons = sorted(p.relative_to(edition) for p in (edition / "modules").rglob("*.ipynb"))
    repo_lessons = sorted(p.relative_to(REPO_DIR) for p in (REPO_DIR / "modules").rglob("*.ipynb"))
    assert lessons == repo_lessons
    for name in list_assignments():
        released = edition / "assignments" / name / f"{name}.ipynb"
        nb = nbformat.read(released, as_version=4)
        assert any("NotImplementedError" in c.source for c in nb.cells), name
    for rel in (
        "clearlib/__init__.py",
        "pyproject.toml",
        "datasets/synthetic/specs/default.toml",
        "datasets/FACTS.md",
        "jupyter/labconfig/page_config.json",
        "jupyter/jupyter_server_config.json",
        "README.md",
        "Makefile",
        "binder/postBuild",
        "binder/requirements.txt",
        "my-work",
    ):
        assert (edition / rel).exists(), rel
    made = json.loads((edition / "EDITION.json").read_text(encoding="utf-8"))
    assert made["assignments"] == list_assignments()
    assert "my-work/" in (edition / ".gitignore").read_text(encoding="utf-8")


def test_no_faculty_material_is_in_the_edition(edition: Path) -> None:
    """No course source, mistakes corpus, faculty guide, tests, gradebook or git history."""
    names = {p.name for p in edition.rglob("*")}
    assert not (edition / "course").exists()
    assert not (edition / "tests").exists() and not (edition / ".git").exists()
    assert "gradebook.db" not in names and "grade_ids.txt" not in names
    assert not any(p.suffix == ".toml" and "mistakes" in p.parts for p in edition.rglob("*"))


def test_no_model_answer_or_hidden_test_is_in_the_edition(edition: Path) -> None:
    """Every model-answer statement, hidden-test statement and model written sentence of the
    course source is searched for in every file of the edition: none is found."""
    searched, found = scan_edition(edition)
    assert searched > 500
    assert found == []


def test_a_planted_leak_is_found(edition: Path, tmp_path: Path) -> None:
    """A faculty notebook copied into the lessons is found, statement by statement."""
    copy = tmp_path / "edition"
    shutil.copytree(edition, copy)
    shutil.copy(
        REPO_DIR / "course" / "source" / "02-working-with-tables" / "02-working-with-tables.ipynb",
        copy / "modules" / "notes.ipynb",
    )
    _, found = scan_edition(copy)
    assert found and {path for path, _ in found} == {"modules/notes.ipynb"}
    assert any(text == "### BEGIN HIDDEN TESTS" for _, text in found)


def test_a_hidden_assert_copied_into_clearlib_is_found(edition: Path, tmp_path: Path) -> None:
    """In clearlib, a hidden test's assert is a leak; a plain helper step it shares is not."""
    from clearlib.course._learner import _secrets
    from clearlib.course._notebook import course_dir

    secrets = _secrets(course_dir())
    hidden_assert = next(s for s, telling in sorted(secrets.items()) if s.startswith("assert "))
    helper = next(s for s, telling in sorted(secrets.items()) if not telling)
    copy = tmp_path / "edition"
    shutil.copytree(edition, copy)
    module = copy / "clearlib" / "course" / "checks" / "_core.py"
    module.write_text(
        module.read_text(encoding="utf-8") + f"\n# {hidden_assert}\n# {helper}\n",
        encoding="utf-8",
    )
    _, found = scan_edition(copy)
    assert found == [("clearlib/course/checks/_core.py", hidden_assert)]


def test_rebuilding_keeps_the_learners_work_and_git(tmp_path: Path) -> None:
    """A rebuild in a clone keeps .git and my-work/, replaces the rest, and can commit."""
    out = tmp_path / "edition"
    subprocess.run(["git", "init", "-q", str(out)], check=True)
    subprocess.run(["git", "-C", str(out), "config", "user.email", "f@example.org"], check=True)
    subprocess.run(["git", "-C", str(out), "config", "user.name", "Faculty"], check=True)
    (out / "my-work").mkdir()
    (out / "my-work" / "mine.ipynb").write_text("{}", encoding="utf-8")
    (out / "stale.txt").write_text("old", encoding="utf-8")
    edition = publish_learner_edition(out, through_week=1, commit=True)
    assert edition.assignments == ["01-getting-started"]
    assert (out / "my-work" / "mine.ipynb").read_text(encoding="utf-8") == "{}"
    assert not (out / "stale.txt").exists()
    log = subprocess.run(
        ["git", "-C", str(out), "log", "--oneline"], capture_output=True, text=True, check=True
    )
    assert "Learner edition: lessons and assignments 01-getting-started" in log.stdout
    tracked = subprocess.run(
        ["git", "-C", str(out), "ls-files"], capture_output=True, text=True, check=True
    ).stdout
    assert "my-work/mine.ipynb" not in tracked


def test_the_edition_is_refused_inside_the_faculty_repository() -> None:
    """Building into the repository would mix answers and edition: a clear error."""
    with pytest.raises(ConfigError, match="inside the faculty repository"):
        publish_learner_edition(REPO_DIR / "learners")


def test_commit_needs_a_git_repository(tmp_path: Path) -> None:
    """--commit on a plain folder says to clone the learners' repository first."""
    with pytest.raises(ConfigError, match="not a git repository"):
        publish_learner_edition(tmp_path / "plain", commit=True)


def test_a_leak_stops_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the scan finds something, the build fails and nothing is committed."""
    from clearlib.course import _learner

    monkeypatch.setattr(_learner, "scan_edition", lambda *a, **k: (1, [("modules/x", "y = 1")]))
    with pytest.raises(ClearlibError, match="1 piece"):
        publish_learner_edition(tmp_path / "edition", through_week=1)


#: The learners' page: where the assignment is and how to hand it in.
PAGE = "HANDING-IN.md"
#: README commands not run here: `make setup` installs a new environment (minutes, and the
#: network); `make lab` starts JupyterLab, which tests/e2e/test_learner_edition_browser.py does.
NOT_RUN_HERE = {"make setup", "make lab"}


def _shell_commands(markdown: str) -> list[str]:
    """The commands of a page's ```bash blocks, one a line, in order."""
    blocks = re.findall(r"^ *```bash\n(.*?)^ *```", markdown, flags=re.MULTILINE | re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_page_gives_the_route_in_five_steps_and_is_linked(edition: Path) -> None:
    """HANDING-IN.md opens with five numbered steps; the README and the first two lessons link
    to it with a link that resolves in the edition (and so in JupyterLab)."""
    page = (edition / PAGE).read_text(encoding="utf-8")
    steps = re.findall(r"^(\d)\. \*\*(.+?)\*\*", page.split("\n## ")[0], flags=re.MULTILINE)
    assert [n for n, _ in steps] == ["1", "2", "3", "4", "5"], steps
    assert "Blackboard" in page and "## On Binder" in page and "## On a hub" in page
    assert f"]({PAGE})" in (edition / "README.md").read_text(encoding="utf-8")
    week = edition / "modules" / "01-getting-started"
    for lesson in sorted(week.glob("01.0[12]*.ipynb")):
        text = "".join(c.source for c in nbformat.read(lesson, as_version=4).cells)
        links = re.findall(r"\]\(([^)]*HANDING-IN\.md)\)", text)
        assert links, lesson.name
        assert all((lesson.parent / link).resolve() == (edition / PAGE).resolve() for link in links)


def test_every_command_on_the_page_runs_as_written(edition: Path, tmp_path: Path) -> None:
    """Each command of HANDING-IN.md's shell blocks, typed as written in the edition's folder
    after its set-up, runs and does what the page says (the README's own commands are among
    them, but for `make setup` and `make lab`).

    Set-up here is the faculty environment standing in as the edition's ``.venv`` (a symlink:
    `make setup` would take minutes and the network). Once the page's ``make start`` has copied
    week 01 into my-work/, the copy is swapped for a two-question assignment of the same name, so
    validating takes seconds (week 01 itself: tests/course/test_learner_validate.py)."""
    sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
    from _tiny_assignment import WRONG_MESSAGE, tiny_assignment

    folder = tmp_path / "edition"
    shutil.copytree(edition, folder, symlinks=True)
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    commands = _shell_commands((folder / PAGE).read_text(encoding="utf-8"))
    readme = _shell_commands((folder / "README.md").read_text(encoding="utf-8"))
    assert set(readme) - NOT_RUN_HERE <= set(commands), readme
    assert commands[0].startswith("make start") and commands[-1] == "make check", commands
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MAKEFLAGS")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # a learner's terminal: no environment active
    env["COLUMNS"] = "200"
    notebook = folder / "my-work" / "01-getting-started" / "01-getting-started.ipynb"
    for command in commands:
        run = subprocess.run(
            command, shell=True, cwd=folder, env=env, capture_output=True, text=True, timeout=900
        )
        said = " ".join((run.stdout + run.stderr).split())
        assert "command not found" not in said and "No rule to make target" not in said, said
        if command.startswith("make start"):
            assert run.returncode == 0 and notebook.exists(), said
            tiny_assignment(notebook)
        elif command.startswith("make validate"):
            assert run.returncode != 0, said  # something to fix: validation says so
            assert WRONG_MESSAGE in said and "not answered yet" in said, said
        elif command.startswith("make submit"):
            assert run.returncode == 0, said
            assert "2 answer(s) still blank" in said, said
            assert "Upload this file to Blackboard: to-hand-in/01-getting-started.ipynb" in said
            assert (folder / "to-hand-in" / "01-getting-started.ipynb").exists()
        elif command == "make check":
            assert "Python" in said and "JupyterLab" in said, said
        else:
            pytest.fail(f"{PAGE} has a command this test does not know: {command}")
