"""What a learner's kernel can read while it is graded: Python, clearlib and its data, nothing else.

One sandboxed kernel (the grader's own :class:`SandboxedExecute`) runs a probe cell that tries
to read the course's model answers and hidden tests, the repository's history and tests, a
course's release, gradebook and another learner's work, and to write where it should not; the
cheaper checks of the rule itself (``SandboxPolicy.shows``) need no kernel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

import clearlib
from clearlib import _config
from clearlib.course import _sandbox
from clearlib.course._sandbox import SandboxedExecute, SandboxPolicy, project_root

PACKAGE = Path(clearlib.__file__).resolve().parent
ROOT = project_root()

#: Run in the kernel: for each path, "read" (it has content), "empty", or the error's name.
PROBE = """
import json, os
def look(path):
    try:
        if os.path.isdir(path):
            return "read" if os.listdir(path) else "empty"
        with open(path, "rb") as f:
            return "read" if f.read(1) else "empty"
    except OSError as exc:
        return type(exc).__name__
def write(path):
    try:
        with open(path, "ab") as f:
            f.write(b"x")
        return "written"
    except OSError as exc:
        return type(exc).__name__
paths = json.loads(PATHS)
report = {"read": {k: look(p) for k, p in paths["read"].items()},
          "write": {k: write(p) for k, p in paths["write"].items()}}
report["own_folder"] = open("mine.txt").read() if write("mine.txt") == "written" else "no"
import clearlib
report["patients"] = len(clearlib.load_pcn().patients)
report["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
import pwd
report["accounts"] = sorted(p.pw_name for p in pwd.getpwall())
print(json.dumps(report))
"""


def _first(pattern: str) -> str:
    found = sorted(Path(ROOT or "/").glob(pattern))
    assert found, f"the checkout has no {pattern}"
    return str(found[0])


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A course with a release, a gradebook and two learners, and a gradebook kept elsewhere."""
    base = tmp_path_factory.mktemp("exposure")
    files = {
        "source": base / "course" / "source" / "wk" / "wk.ipynb",
        "release": base / "course" / "release" / "wk" / "wk.ipynb",
        "gradebook": base / "course" / "gradebook.db",
        "classmate": base / "course" / "submitted" / "classmate" / "wk" / "wk.ipynb",
        "own_submission": base / "course" / "submitted" / "me" / "wk" / "wk.ipynb",
        "gradebook_elsewhere": base / "private" / "gradebook.db",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("model answers and grades", encoding="utf-8")
    (files["own_submission"].parent / "my_data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return {"root": base / "course", **files}


@pytest.fixture(scope="module")
def probed(course, tmp_path_factory, default_pcn) -> tuple[dict, dict, SandboxPolicy]:
    """One kernel in the sandbox runs PROBE; its report, the paths it tried and the policy."""
    policy = SandboxPolicy.for_course(
        course["root"], hidden=[str(course["gradebook_elsewhere"])], memory_mb=1024
    )
    read = {name: str(course[name]) for name in course if name != "root"}
    read |= {
        "course_source": _first("course/source/*/*.ipynb"),
        "course_mistakes": _first("course/mistakes/*"),
        "git": str(Path(ROOT) / ".git"),
        "tests": str(Path(ROOT) / "tests" / "conftest.py"),
        "readme": str(Path(ROOT) / "README.md"),
        "pyproject": str(Path(ROOT) / "pyproject.toml"),
        "benchmarks": str(Path(ROOT) / "benchmarks"),
        "own_data": "my_data.csv",
        "package": str(PACKAGE / "__init__.py"),
        "datapackage": str(_config.datapackage_path()),
        "patients": str(_config.data_dir() / "default" / "patients"),
    }
    write = {
        "package": str(PACKAGE / "__init__.py"),
        "dataset": str(_config.data_dir() / "default" / "practices.parquet"),
        "new_in_dataset": str(_config.data_dir() / "default" / "mine.parquet"),
        "repository": str(Path(ROOT) / "mine.txt"),
        "classmate": str(course["classmate"]),
    }
    paths = json.dumps({"read": read, "write": write})
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(f"PATHS = {paths!r}\n{PROBE}")]
    executor = SandboxedExecute(
        policy=policy,
        timeout=600,
        sandbox_root=str(tmp_path_factory.mktemp("kernels")),
    )
    resources = {"metadata": {"path": str(course["own_submission"].parent)}}
    nb, _ = executor.preprocess(nb, resources)
    outputs = nb.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    assert text, f"the probe failed in the sandbox: {outputs}"
    return json.loads(text.strip().splitlines()[-1]), read, policy


def test_checkout_is_found_beside_the_editable_install() -> None:
    """In this checkout clearlib is installed in editable mode: its repository is the root."""
    assert ROOT is not None
    assert (Path(ROOT) / "clearlib") == PACKAGE
    assert (Path(ROOT) / ".git").exists()


def test_course_and_grading_files_are_unreadable(probed) -> None:
    """Model answers, hidden tests, history, release, gradebooks, classmates: none is readable."""
    report, _, _ = probed
    secret = [
        "source",
        "release",
        "gradebook",
        "classmate",
        "own_submission",
        "gradebook_elsewhere",
        "course_source",
        "course_mistakes",
        "git",
        "tests",
        "readme",
        "pyproject",
        "benchmarks",
    ]
    seen = {name: report["read"][name] for name in secret}
    assert {k: v for k, v in seen.items() if v not in ("FileNotFoundError", "empty")} == {}


def test_python_clearlib_data_and_own_files_are_readable(probed) -> None:
    """clearlib, its data dictionary, the dataset and the learner's own files can be read."""
    report, _, _ = probed
    wanted = ["own_data", "package", "datapackage", "patients"]
    assert {name: report["read"][name] for name in wanted} == dict.fromkeys(wanted, "read")
    assert report["patients"] > 1000  # clearlib.load_pcn() worked inside


def test_only_the_own_folder_is_writable(probed) -> None:
    """The learner's folder takes a new file; clearlib, the dataset and the rest refuse writes."""
    report, _, _ = probed
    assert report["own_folder"] == "x"
    assert report["write"] == {
        "package": "OSError",
        "dataset": "OSError",
        "new_in_dataset": "OSError",
        "repository": "OSError",
        "classmate": "FileNotFoundError",
    }


def test_the_policy_says_what_the_kernel_saw(probed) -> None:
    """``SandboxPolicy.shows`` agrees with the kernel on every path it tried."""
    report, read, policy = probed
    absolute = {k: p for k, p in read.items() if os.path.isabs(p)}
    assert {k: policy.shows(p) for k, p in absolute.items()} == {
        k: report["read"][k] == "read" for k in absolute
    }


def test_grader_processes_and_accounts_are_out_of_sight(probed) -> None:
    """The kernel's /proc lists its own few processes only; it knows of root and nobody only."""
    report, _, _ = probed
    assert report["accounts"] == ["nobody", "root"]
    assert len(report["pids"]) < 10
    assert os.getpid() not in report["pids"] or os.getpid() < 10


def test_anything_under_the_checkout_but_the_package_and_data_is_hidden(course) -> None:
    """A course, a release or a gradebook anywhere in the checkout is hidden; data is shown."""
    policy = SandboxPolicy.for_course(course["root"])
    root = Path(ROOT)
    hidden = [
        root / "another-course" / "release" / "wk" / "wk.ipynb",
        root / "gradebook.db",
        root / "course" / "source",
        root / "datasets" / "FACTS.md",
        root / ".git" / "HEAD",
        root,
        root.parent,
        Path("/opt"),
        Path("/var/lib"),
        Path("/srv/nbgrader/exchange"),
        Path.home() / ".bashrc",
    ]
    shown = [
        PACKAGE / "_config.py",
        Path(_config.datapackage_path()),
        Path(_config.data_dir()),
        Path(sys.prefix) / "lib",
        Path(os.__file__),
        Path("/usr/lib"),
        Path("/etc/hostname"),
    ]
    assert {str(p): policy.shows(p) for p in hidden + shown} == {
        **{str(p): False for p in hidden},
        **{str(p): True for p in shown},
    }


def test_installed_clearlib_has_no_checkout_to_hide(monkeypatch) -> None:
    """With clearlib in Python's own site-packages there is no checkout: nothing extra hidden."""
    monkeypatch.setattr(_sandbox, "_prefixes", lambda: [str(PACKAGE.parent)])
    assert project_root() is None


def test_wheel_contents_are_read_from_pyproject(tmp_path: Path) -> None:
    """What the wheel ships beside the package comes from pyproject's force-include."""
    (tmp_path / "data" / "specs").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hatch.build.targets.wheel.force-include]\n"data/specs" = "pkg/specs"\n'
        '"../outside" = "pkg/outside"\n"missing" = "pkg/missing"\n',
        encoding="utf-8",
    )
    assert _sandbox._shipped_paths(str(tmp_path)) == [str(tmp_path / "data" / "specs")]


def test_a_kernel_on_another_python_gets_that_python(course, tmp_path: Path) -> None:
    """A kernelspec on another environment than the grader's: that environment is shown too."""
    other = tmp_path / "other-env"
    venv.create(other, with_pip=False, symlinks=True)
    (tmp_path / "box" / "work").mkdir(parents=True)
    policy = SandboxPolicy.for_course(course["root"])
    python = str(other / "bin" / "python")
    assert not policy.shows(other)
    command = policy.command(
        [python, "-c", "import sys; print(sys.prefix)"],
        sandbox_dir=str(tmp_path / "box"),
        work_dir=str(tmp_path / "box" / "work"),
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == str(other), done.stderr
