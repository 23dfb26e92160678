"""Broken and hostile submissions: each fails only itself, and the cohort is graded right.

One run grades all fifteen fixture submissions (``tests/course/fixtures/<behaviour>.ipynb``)
together with ``jobs=2`` and a 5 s cell limit; each test then checks one behaviour.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import _grading_course as gc
from _make_fixtures import EXPECTED, Q2_TEST

from clearlib.course._grade import GradingReport, grade_assignment
from clearlib.course._sandbox import SandboxPolicy, check_sandbox

pytestmark = pytest.mark.xdist_group("grading")

TIMEOUT = 5
#: The memory limit of the run. Low, so that the memory bomb (64 MiB a step) passes it in a few
#: steps, long before the 5 s cell limit can fire even on a busy machine: which limit stops it
#: must not depend on how fast the machine is. Pandas and a kernel need about 150 MiB.
MEMORY_MB = 400
PROBE = Path(os.__file__).parent / "clear-sandbox-probe.txt"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GradingReport, dict]:
    """Every fixture submission graded in one run; the course and hashes taken before it."""
    course = gc.make_course(tmp_path_factory.mktemp("robust") / "course", timeout=TIMEOUT)
    gc.submit(course, {name: gc.fixture_submission(name) for name in EXPECTED})
    # a notebook that is not JSON at all (a failed upload): nbgrader cannot read it
    corrupt = course / "submitted" / "corrupt_file" / gc.ASSIGNMENT
    corrupt.mkdir(parents=True)
    (corrupt / f"{gc.ASSIGNMENT}.ipynb").write_text('{"cells": [', encoding="utf-8")
    before = {
        "submitted": {p: _sha(p) for p in (course / "submitted").rglob("*") if p.is_file()},
        "source": _sha(course / "source" / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb"),
    }
    report = grade_assignment(
        gc.ASSIGNMENT,
        course_dir=course,
        jobs=2,
        cell_timeout=TIMEOUT,
        memory_mb=MEMORY_MB,
        progress=False,
    )
    return course, report, before


def _autograded(course: Path, learner: str) -> nbformat.NotebookNode:
    path = course / "autograded" / learner / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb"
    return nbformat.read(path, as_version=4)


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") + str(o.get("evalue", "")) for o in cell.get("outputs", []))


def _question(report: GradingReport, learner: str, grade_id: str):
    return next(q for q in report[learner].questions if q.grade_id == grade_id)


@pytest.mark.parametrize("learner", sorted(EXPECTED))
def test_every_submission_earns_its_hand_worked_points(graded, learner: str) -> None:
    """Broken or hostile, each submission gets exactly the autograded points its answers earn."""
    course, report, _ = graded
    assert report[learner].code_score == EXPECTED[learner]
    assert gc.learner_scores(course)[learner] == EXPECTED[learner]


def test_statuses_name_what_happened(graded) -> None:
    """Timed out, out of memory, kernel died and blocked are told apart; the rest are graded."""
    _, report, _ = graded
    special = {
        "infinite_loop": "timed_out",
        "memory_bomb": "out_of_memory",
        "os_exit": "kernel_died",
        "reads_other_learners": "blocked",
        "reads_gradebook": "blocked",
        "writes_outside_folder": "blocked",
    }
    statuses = {r.learner: r.status for r in report if r.learner != "corrupt_file"}
    assert statuses == {name: special.get(name, "graded") for name in EXPECTED}
    assert report.counts()["failed"] == 1  # corrupt_file


def test_unreadable_notebook_fails_alone_with_a_reason(graded) -> None:
    """A submission that is not JSON is reported failed, with nbgrader's reason; no one else is."""
    course, report, _ = graded
    result = report["corrupt_file"]
    assert result.status == "failed"
    assert "JSON" in result.reason or "Notebook does not appear to be" in result.reason
    assert [f for f in report.failures if f[2] == "failed" and f[1] == ""] == [
        ("corrupt_file", "", "failed", result.reason)
    ]
    assert not (course / "autograded" / "corrupt_file" / gc.ASSIGNMENT).exists()


def test_deleted_test_cell_is_put_back_from_the_source(graded) -> None:
    """The deleted q2 test is restored with its hidden tests, run, and passes."""
    course, report, _ = graded
    cell = _cell(_autograded(course, "deleted_test_cell"), "q2-per-practice-test")
    assert "BEGIN HIDDEN TESTS" in cell.source
    assert _question(report, "deleted_test_cell", "q2-per-practice-test").score == 2


def test_edited_test_cell_is_restored_and_fails_a_wrong_answer(graded) -> None:
    """`pass` written over the q2 test is replaced by the source test, which fails."""
    course, report, _ = graded
    cell = _cell(_autograded(course, "edited_test_cell"), "q2-per-practice-test")
    assert cell.source.startswith(Q2_TEST.split("\n")[0])
    assert "pass  # the tests were too strict" not in cell.source
    assert _question(report, "edited_test_cell", "q2-per-practice-test").outcome == "failed"


def test_test_cell_turned_into_markdown_runs_as_code(graded) -> None:
    """The q1 test cell the learner made markdown is code again, executed, and passes."""
    course, report, _ = graded
    cell = _cell(_autograded(course, "changed_cell_type"), "q1-total-patients-test")
    assert cell.cell_type == "code"
    assert cell.execution_count is not None
    assert _question(report, "changed_cell_type", "q1-total-patients-test").outcome == "passed"


def test_extra_cells_run_but_do_not_count(graded) -> None:
    """The learner's own cells (one raising ZeroDivisionError) stay; only graded cells score."""
    course, report, _ = graded
    nb = _autograded(course, "extra_cells")
    errors = [o.ename for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == ["ZeroDivisionError"]
    assert [q.grade_id for q in report["extra_cells"].questions] == [
        "q1-total-patients-test",
        "q2-per-practice-test",
        "q3-busiest-test",
        "q4-explain",
    ]


def test_infinite_loop_times_out_that_question_only(graded) -> None:
    """q2 never ends: it is interrupted after the cell limit; q1 and q3 are still graded."""
    _, report, _ = graded
    result = report["infinite_loop"]
    q2 = _question(report, "infinite_loop", "q2-per-practice-test")
    assert q2.outcome == "timed_out"
    assert q2.message.startswith(f"the cell ran for more than {TIMEOUT} s")
    assert [q.outcome for q in result.failures] == ["timed_out"]
    assert result.wall_time < 10 * TIMEOUT


def test_sys_exit_is_a_failed_question(graded) -> None:
    """sys.exit() in q2 fails q2 with its SystemExit message; the kernel goes on."""
    _, report, _ = graded
    q2 = _question(report, "sys_exit", "q2-per-practice-test")
    assert q2.outcome == "failed"
    assert q2.message.startswith("SystemExit: I give up on this one")
    assert _question(report, "sys_exit", "q3-busiest-test").outcome == "passed"


def test_os_exit_kills_only_its_question(graded) -> None:
    """os._exit() kills the kernel in q2: a new kernel replays q1 and q3 is graded."""
    course, report, _ = graded
    result = report["os_exit"]
    assert [i.kind for i in result.incidents] == ["kernel_died"]
    assert _question(report, "os_exit", "q2-per-practice-test").outcome == "kernel_died"
    assert _question(report, "os_exit", "q3-busiest-test").outcome == "passed"
    answer = _cell(_autograded(course, "os_exit"), "q2-per-practice")
    assert answer.outputs[-1].ename == "KernelDied"


def test_memory_bomb_is_stopped_at_the_limit(graded) -> None:
    """Filling memory without end: the kernel is stopped past the memory limit, in q2 only."""
    course, report, _ = graded
    q2 = _question(report, "memory_bomb", "q2-per-practice-test")
    assert q2.outcome == "out_of_memory"
    assert f"more than the memory limit of {MEMORY_MB} MiB" in q2.message
    answer = _cell(_autograded(course, "memory_bomb"), "q2-per-practice")
    assert answer.outputs[-1].ename == "MemoryLimitExceeded"
    used = int(answer.outputs[-1].evalue.split("used ")[1].split(" MiB")[0])
    assert MEMORY_MB < used < 2 * MEMORY_MB + 1024  # the watchdog stopped it, before the cap
    assert _question(report, "memory_bomb", "q3-busiest-test").outcome == "passed"


def test_huge_output_is_cut_before_the_gradebook_and_feedback(graded) -> None:
    """20 MB printed in q1 is cut to 512 KiB in the autograded notebook; q1 still passes."""
    course, report, _ = graded
    path = course / "autograded" / "huge_output" / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb"
    assert path.stat().st_size < 700 * 1024
    answer = _cell(_autograded(course, "huge_output"), "q1-total-patients")
    assert "output cut at 512 KiB by the grader" in _text(answer)
    assert [i.kind for i in report["huge_output"].incidents] == ["output_truncated"]
    assert _question(report, "huge_output", "q1-total-patients-test").outcome == "passed"


def test_other_learners_work_is_invisible(graded) -> None:
    """A notebook hunting classmates' submissions sees none, fails q1, copies nothing."""
    course, report, _ = graded
    answer = _cell(_autograded(course, "reads_other_learners"), "q1-total-patients")
    assert "I can see 0 classmates' notebooks" in _text(answer)
    assert answer.outputs[-1].ename == "FileNotFoundError"
    q1 = _question(report, "reads_other_learners", "q1-total-patients-test")
    assert q1.outcome == "blocked"
    assert q1.score == 0


def test_gradebook_is_invisible_and_untouched(graded) -> None:
    """The gradebook cannot be opened from a submission; no one's grades were rewritten."""
    course, report, _ = graded
    nb = _autograded(course, "reads_gradebook")
    hostile = next(c for c in nb.cells if "give myself full marks" in c.source)
    assert hostile.outputs[-1].ename == "FileNotFoundError"
    grades = gc.gradebook_grades(course)
    assert all(row[1] is None for row in grades.values() if len(row) == 4)  # no manual scores
    assert report["reads_gradebook"].status == "blocked"


def test_writes_outside_the_folder_are_blocked(graded) -> None:
    """Its own folder is writable; classmates' work, the source and Python's library are not."""
    course, _, before = graded
    nb = _autograded(course, "writes_outside_folder")
    own = next(c for c in nb.cells if "my_notes.txt" in c.source)
    assert "notes saved" in _text(own)
    assert own.outputs[-1].ename == "FileNotFoundError"  # the classmate's folder is not there
    library = next(c for c in nb.cells if "clear-sandbox-probe" in c.source)
    assert "Read-only file system" in _text(library)
    assert not PROBE.exists()
    after = {p: _sha(p) for p in (course / "submitted").rglob("*") if p.is_file()}
    assert after == before["submitted"]
    assert _sha(course / "source" / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb") == before["source"]
    assert not list(course.rglob("my_notes.txt"))  # the sandbox folder went with the kernel


def test_the_rest_of_the_cohort_is_graded_right(graded) -> None:
    """In the same run, every benign submission is graded and scored as worked out by hand."""
    _, report, _ = graded
    benign = ["correct", "partly_correct", "syntax_error", "extra_cells", "changed_cell_type"]
    assert {name: report[name].code_score for name in benign} == {n: EXPECTED[n] for n in benign}
    assert all(report[name].status == "graded" for name in benign)


# --- the sandbox on its own -------------------------------------------------------------------
def _run_in_sandbox(tmp_path: Path, code: str, **policy) -> subprocess.CompletedProcess:
    course = tmp_path / "course"
    (course / "submitted" / "someone").mkdir(parents=True, exist_ok=True)
    (course / "gradebook.db").write_text("grades", encoding="utf-8")
    box = tmp_path / "box"
    (box / "work").mkdir(parents=True, exist_ok=True)
    command = SandboxPolicy.for_course(course, **policy).command(
        [sys.executable, "-c", code], sandbox_dir=str(box), work_dir=str(box / "work")
    )
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_sandbox_hides_the_course_and_the_network(tmp_path: Path) -> None:
    """Inside: uid nobody, no capabilities, the course empty, no network, own folder writable."""
    course = tmp_path / "course"
    code = (
        "import os, socket\n"
        f"print(os.getuid(), sorted(os.listdir({str(course)!r})))\n"
        "print([l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1])\n"
        "open('mine.txt', 'w').write('ok'); print(open('mine.txt').read())\n"
        "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
        "except OSError as e:\n    print('network', type(e).__name__)\n"
        "print(os.environ.get('HOME', '').endswith('/home'), 'SECRET' in os.environ)\n"
    )
    os.environ["SECRET"] = "x"
    try:
        done = _run_in_sandbox(tmp_path, code)
    finally:
        del os.environ["SECRET"]
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "65534 []",
        "0000000000000000",
        "ok",
        "network OSError",
        "True False",
    ]


def test_sandbox_cannot_unmount_what_hides_the_course(tmp_path: Path) -> None:
    """umount of the empty folder over the course fails: no capability to do it."""
    course = tmp_path / "course"
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"print(libc.umount2({str(course).encode()!r}, 2), ctypes.get_errno() in (1, 13))\n"
        f"print(os.listdir({str(course)!r}))\n"
    )
    done = _run_in_sandbox(tmp_path, code)
    assert done.stdout.splitlines() == ["-1 True", "[]"], done.stderr


def test_sandbox_address_space_cap_raises_memory_error(tmp_path: Path) -> None:
    """With memory_mb=300 the cap is 2*300+1024 = 1624 MiB: asking for 2 GiB fails at once."""
    assert SandboxPolicy.for_course(tmp_path, memory_mb=300).address_space_mb == 1624
    code = "try:\n    b = bytearray(2048 * 1024 * 1024)\nexcept MemoryError:\n    print('limited')"
    done = _run_in_sandbox(tmp_path, code, memory_mb=300)
    assert done.stdout.strip() == "limited", done.stderr


def test_sandbox_hides_the_git_history_of_the_course(tmp_path: Path) -> None:
    """The repository's .git (its history has model answers) is hidden, worktree or not."""
    from clearlib.course._grade import _git_dirs

    repo = tmp_path / "repo"
    (repo / ".git" / "objects").mkdir(parents=True)
    (repo / ".git" / "objects" / "answers").write_text("model answers", encoding="utf-8")
    worktree = tmp_path / "worktree"
    (repo / ".git" / "worktrees" / "wt").mkdir(parents=True)
    (repo / ".git" / "worktrees" / "wt" / "commondir").write_text("../..", encoding="utf-8")
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {repo}/.git/worktrees/wt", encoding="utf-8")
    assert _git_dirs(worktree / ".git") == [
        str(worktree / ".git"),
        str(repo / ".git" / "worktrees" / "wt"),
        str(repo / ".git"),
    ]
    code = f"import os; print(os.listdir({str(repo / '.git')!r}))"
    done = _run_in_sandbox(tmp_path, code, hidden=_git_dirs(worktree / ".git"))
    assert done.stdout.strip() == "[]", done.stderr


def test_check_sandbox_passes_here(tmp_path: Path) -> None:
    """bwrap works on this machine (the Makefile installs it); check_sandbox says nothing."""
    check_sandbox(SandboxPolicy.for_course(tmp_path))
