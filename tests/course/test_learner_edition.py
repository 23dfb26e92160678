"""The learner edition: what learners need, and no model answer or hidden test anywhere in it."""

from __future__ import annotations

import json
import shutil
import subprocess
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
