"""The tutor's week for 40 learners: ``--jobs 2`` against ``--jobs 1`` in the same run.

``python benchmarks/bench_grading.py [--learners 40] [--assignment 02-working-with-tables]
[--jobs 2] [--against-nbgrader] [--week]``

For ``--learners`` learners of one assignment (``course/source/02-working-with-tables`` by
default), a mix of ``model`` (the model answers: half of them), ``wrong`` (the model with one
answer made wrong: a quarter) and ``blank`` (the learner version untouched: a quarter), the
tutor's whole week runs twice, each time on a new course, first with ``--jobs`` workers, then
with one: release (``nbgrader generate_assignment``), collect (a Blackboard download through
``nbgrader zip_collect``), grade (``clearlib.course.grade_assignment``), grade every written
answer by hand (nbgrader's Gradebook API, as the formgrader writes), feedback, export. It
prints the wall time of each step and of the week, the load average beside each, and the
speed-up of ``--jobs`` over one job (week and grading step).

Then the grading step alone for the same learners, by the legacy grader (tests in the learner's
kernel, ``trusted=False``) and by the trusted grader (tests in a separate process on answers as
data, the default), alternately and twice each, with the ratio trusted / legacy (the target is
1.3 at most). ``--grader-only`` runs only this comparison.

With ``--against-nbgrader``, also: ``--n`` generated submissions (correct, partly answered,
blank, a runtime error, a syntax error) graded by plain serial ``nbgrader autograde``, by
``grade_assignment(jobs=...)`` and by ``grade_assignment(jobs=1)``, with the floor (starting
and stopping one plain kernel per notebook) and whether the grades agree. With ``--week``,
also the week of three learners (model, blank, wrong) for every assignment in
``course/source/``, one line each. ``--cheats`` runs only the cheat corpus
(``tests/course/cheats/``): every cheat, the model and the blank on every week (or
``--assignment``), graded by the legacy and the trusted grader, as a table of autograded scores
(legacy > trusted). The machine may be busy: read the load averages with the times. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "course" / "fixtures"))

import _grading_course as gc  # noqa: E402
import _tutor_week as week  # noqa: E402

REAL = "01-getting-started"
WEEK = "02-working-with-tables"
MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n?", re.MULTILINE)


def _release_course(root: Path, assignment: str | None) -> tuple[Path, str]:
    """A copy of the course (or of the fixture course) with ``assignment`` released."""
    source = REPO / "course" / "source" / (assignment or REAL)
    if (REPO / "course" / "nbgrader_config.py").exists() and source.is_dir():
        name = source.name
        root.mkdir(parents=True)
        shutil.copy(REPO / "course" / "nbgrader_config.py", root / "nbgrader_config.py")
        shutil.copytree(source, root / "source" / name)
        subprocess.run(
            [str(gc.NBGRADER), "generate_assignment", name, "--force"],
            cwd=root,
            env=gc.nbgrader_env(),
            check=True,
            capture_output=True,
        )
        return root, name
    return gc.make_course(root, timeout=60), gc.ASSIGNMENT


def _answers(source: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> the model answer of each solution cell, markers removed."""
    out = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = MARKERS.sub("", cell.source).strip()
    return out


def _submission(release, answers: dict[str, str], kind: str, rng: random.Random):
    nb = nbformat.from_dict(release)
    code_ids = [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    broken = rng.choice(code_ids)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid not in answers or kind == "blank":
            continue
        if kind == "partly" and cell.cell_type == "code" and rng.random() < 0.4:
            continue  # left as the learner got it: raise NotImplementedError
        cell.source = answers[gid] if cell.cell_type == "code" else "My answer: " + answers[gid]
        if gid == broken and kind == "runtime_error":
            cell.source = "answer = undefined_name + 1\n" + cell.source
        if gid == broken and kind == "syntax_error":
            cell.source = cell.source + "\nprint('unclosed'"
    return nb


def _make_submissions(course: Path, assignment: str, n: int) -> dict[str, int]:
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    source_nb = next((course / "source" / assignment).glob("*.ipynb"))
    answers = _answers(nbformat.read(source_nb, 4))
    rng = random.Random(20260331)
    mix = {"correct": 0.45, "partly": 0.30, "blank": 0.10, "runtime_error": 0.10}
    kinds = []
    for kind, share in mix.items():
        kinds += [kind] * round(share * n)
    kinds += ["syntax_error"] * (n - len(kinds))
    kinds = kinds[:n]
    rng.shuffle(kinds)
    tmp = course / "_generated"
    tmp.mkdir()
    files = {}
    for i, kind in enumerate(kinds):
        path = tmp / f"learner{i:03d}.ipynb"
        nbformat.write(_submission(release, answers, kind, rng), path)
        files[f"learner{i:03d}"] = path
    gc.submit(course, files, assignment=assignment)
    shutil.rmtree(tmp)
    return {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)}


def _floor(n: int) -> float:
    """Seconds to start, ask for kernel_info, and stop ``n`` plain kernels one after another."""
    from jupyter_client.manager import KernelManager

    start = time.perf_counter()
    for _ in range(n):
        km = KernelManager(kernel_name="python3")
        km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR"])  # no TCP warning
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return time.perf_counter() - start


def _whole_week(root: Path, assignment: str, notebooks: dict, jobs: int, timeout: int) -> dict:
    """The tutor's week for ``notebooks`` (learner -> notebook), each step timed."""
    from clearlib.course import export_grades, generate_feedback, grade_assignment

    clock: dict[str, float] = {}
    course = week.timed(clock, "release", week.release, root, assignment)
    week.timed(clock, "collect", week.collect, course, assignment, notebooks)
    report = week.timed(
        clock,
        "grade",
        grade_assignment,
        assignment,
        course_dir=course,
        jobs=jobs,
        cell_timeout=timeout,
        progress=False,
    )
    graded = [r.learner for r in report if r.status != "failed"]
    week.timed(clock, "by hand", week.hand_grade, course, assignment, dict.fromkeys(graded, 1.0))
    week.timed(clock, "feedback", generate_feedback, assignment, course_dir=course)
    week.timed(
        clock, "export", export_grades, [assignment], course_dir=course, pending="complete_only"
    )
    return clock


def _generated(template: Path, assignment: str) -> dict:
    """The generated submissions of the template course, as notebooks by learner."""
    folder = template / "submitted"
    return {
        p.name: nbformat.read(p / assignment / f"{assignment}.ipynb", 4)
        for p in sorted(folder.iterdir())
        if (p / assignment / f"{assignment}.ipynb").exists()
    }


def _every_week(tmp: Path, jobs: int) -> None:
    """The three-learner week of tests/course/test_tutor_week.py for every assignment."""
    from clearlib.course import list_assignments

    print("\nThe tutor's week (model, blank, wrong) for every assignment:")
    for assignment in list_assignments(REPO / "course"):
        root = tmp / f"week-{assignment}"
        try:
            source = REPO / "course" / "source" / assignment / f"{assignment}.ipynb"
            notebooks = {
                "model": nbformat.read(source, 4),
                "wrong": week.wrong_notebook(source)[0],
            }
            start = time.perf_counter()
            course = week.release(root, assignment)
            notebooks["blank"] = nbformat.read(
                course / "release" / assignment / f"{assignment}.ipynb", 4
            )
            shutil.rmtree(course)
            clock = _whole_week(root, assignment, notebooks, jobs, 60)
            total = time.perf_counter() - start
            steps = ", ".join(f"{k} {v:.0f} s" for k, v in clock.items())
            print(f"  {assignment:<28} {total:6.1f} s  ({steps})")
        except Exception as exc:  # report and go on: a benchmark, not a test
            print(f"  {assignment:<28} FAILED: {type(exc).__name__}: {str(exc)[:300]}")


def _cheats(tmp: Path, jobs: int, timeout: int, only: str | None) -> None:
    """Every cheat of tests/course/cheats/ on every week (or ``only``): autograded scores by the
    legacy grader (before) and the trusted grader (after), with the model and the blank."""
    sys.path.insert(0, str(REPO / "tests" / "course" / "cheats"))
    import _corpus as corpus

    from clearlib.course import grade_assignment, list_assignments

    weeks = [only] if only else list_assignments(REPO / "course")
    cheats = corpus.cheat_files()
    rows = ["model", "blank", *(corpus.learner_id(p) for p in cheats)]
    table: dict[str, dict[str, str]] = {row: {} for row in rows}
    print(f"\nThe cheat corpus ({len(cheats)} cheats) on {len(weeks)} week(s), jobs {jobs}:")
    for assignment in weeks:
        guarded = corpus.guarded_files()
        before = corpus.fingerprint(guarded)
        start = time.perf_counter()
        try:
            course = week.release(tmp / f"cheats-{assignment}", assignment)
            release = course / "release" / assignment / f"{assignment}.ipynb"
            notebooks = {
                "model": nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", 4),
                "blank": nbformat.read(release, 4),
            }
            for path in cheats:
                notebooks[corpus.learner_id(path)] = corpus.cheat_notebook(release, path)
            week.collect(course, assignment, notebooks)
            scores = {}
            for trusted in (False, True):
                report = grade_assignment(
                    assignment,
                    course_dir=course,
                    jobs=jobs,
                    cell_timeout=timeout,
                    progress=False,
                    force=True,
                    trusted=trusted,
                )
                scores[trusted] = {r.learner: (r.code_score, r.max_code_score) for r in report}
            for row in rows:
                (old, top), (new, _) = scores[False][row], scores[True][row]
                table[row][assignment] = f"{old:g}/{top:g} > {new:g}"
            changed = [p for p, h in corpus.fingerprint(guarded).items() if before.get(p) != h]
            left = corpus.leftovers()
            print(
                f"  {assignment:<28} {time.perf_counter() - start:6.0f} s  files changed: "
                f"{len(changed)}, written where no learner may: {len(left)}  {_load()}",
                flush=True,
            )
        except Exception as exc:  # report and go on: a benchmark, not a test
            print(f"  {assignment:<28} FAILED: {type(exc).__name__}: {str(exc)[:300]}")
    print("\nAutograded score, legacy grader > trusted grader (model: all; every cheat: 0):")
    print(f"  {'learner':<40}" + "".join(f"{w[:2]:>14}" for w in weeks))
    for row in rows:
        print(f"  {row:<40}" + "".join(f"{table[row].get(w, '-'):>14}" for w in weeks))


def _load() -> str:
    """The load averages (1, 5, 15 minutes) as text."""
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _learners(tmp: Path, assignment: str, n: int) -> tuple[dict, dict[str, int]]:
    """``n`` learners' notebooks: half ``model``, a quarter ``wrong``, a quarter ``blank``."""
    source = REPO / "course" / "source" / assignment / f"{assignment}.ipynb"
    course = week.release(tmp / "learner-versions", assignment)
    versions = {
        "model": nbformat.read(source, 4),
        "wrong": week.wrong_notebook(source)[0],
        "blank": nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4),
    }
    kinds = ["model", "wrong", "model", "blank"]
    chosen = {f"learner{i:03d}": kinds[i % len(kinds)] for i in range(n)}
    counts = {k: list(chosen.values()).count(k) for k in versions}
    return {learner: versions[kind] for learner, kind in chosen.items()}, counts


def _compare_jobs(tmp: Path, assignment: str, n: int, jobs: int, timeout: int) -> None:
    """The whole week of ``n`` learners with ``jobs`` workers, then with one; the speed-up."""
    notebooks, counts = _learners(tmp, assignment, n)
    print(f"The tutor's week: {assignment}, {n} learners {counts}, {os.cpu_count()} cores")
    steps = ["release", "collect", "grade", "by hand", "feedback", "export"]
    print(f"  {'jobs':>4}  " + "".join(f"{s:>10}" for s in steps) + f"{'week':>10}   load")
    totals: dict[int, tuple[float, dict]] = {}
    for j in dict.fromkeys([jobs, 1]):
        before = _load()
        start = time.perf_counter()
        clock = _whole_week(tmp / f"week-jobs{j}", assignment, notebooks, j, timeout)
        total = time.perf_counter() - start
        totals[j] = (total, clock)
        row = "".join(f"{clock.get(s, 0.0):9.1f}s" for s in steps)
        print(f"  {j:>4}  {row}{total:9.1f}s   before: {before}; after: {_load()}", flush=True)
    if jobs != 1:
        (t_n, c_n), (t_1, c_1) = totals[jobs], totals[1]
        print(
            f"  speed-up of --jobs {jobs} over --jobs 1: week {t_1 / t_n:.2f}x "
            f"({t_1:.0f} s / {t_n:.0f} s), grading step {c_1['grade'] / c_n['grade']:.2f}x"
        )


def _compare_graders(tmp: Path, assignment: str, n: int, jobs: int, timeout: int) -> None:
    """The grading step for ``n`` learners, legacy against trusted grader, in one run."""
    from clearlib.course import grade_assignment

    notebooks, counts = _learners(tmp, assignment, n)
    course = week.release(tmp / "graders", assignment)
    week.collect(course, assignment, notebooks)
    print(f"Legacy against trusted grader: {assignment}, {n} learners {counts}, jobs {jobs}")
    times: dict[bool, list[float]] = {False: [], True: []}
    scores: dict[bool, dict[str, float]] = {}
    for trusted in (False, True, False, True):
        before = _load()
        start = time.perf_counter()
        report = grade_assignment(
            assignment,
            course_dir=course,
            jobs=jobs,
            cell_timeout=timeout,
            progress=False,
            force=True,
            trusted=trusted,
        )
        took = time.perf_counter() - start
        times[trusted].append(took)
        scores[trusted] = {r.learner: r.code_score for r in report}
        name = "trusted" if trusted else "legacy "
        print(f"  {name} {took:7.1f} s   before: {before}; after: {_load()}", flush=True)
    legacy, trusted = min(times[False]), min(times[True])
    same = scores[False] == scores[True]
    print(
        f"  best of two: legacy {legacy:.1f} s, trusted {trusted:.1f} s; ratio trusted / legacy "
        f"{trusted / legacy:.2f} (target <= 1.30); per learner +{(trusted - legacy) * jobs / n:.2f} "
        f"s of a worker; same autograded scores: {'yes' if same else 'NO'}"
    )
    if not same:
        for learner in sorted(scores[False]):
            if scores[False][learner] != scores[True].get(learner):
                print(
                    f"    {learner}: legacy {scores[False][learner]}, trusted {scores[True][learner]}"
                )


def _against_nbgrader(tmp: Path, args: argparse.Namespace) -> None:
    """Serial nbgrader autograde against grade_assignment(jobs=...) and (jobs=1)."""
    from clearlib.course._grade import grade_assignment

    template, assignment = _release_course(tmp / "template", args.assignment)
    config = template / "nbgrader_config.py"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"\nc.Execute.timeout = {args.cell_timeout}\n"
        + "c.OverwriteCells.add_missing_cells = True\n",
        encoding="utf-8",
    )
    mix = _make_submissions(template, assignment, args.n)
    serial = gc.copy_course(template, tmp / "serial")
    parallel = gc.copy_course(template, tmp / "parallel")
    where = "course/source/" if assignment == REAL or args.assignment else "test fixture "
    print(f"Assignment: {assignment} ({where}{assignment}); {args.n} submissions: {mix}")

    start = time.perf_counter()
    done = gc.serial_autograde(serial, assignment)
    t_serial = time.perf_counter() - start
    print(f"serial nbgrader autograde:      {t_serial:7.1f} s  (exit {done.returncode})")

    start = time.perf_counter()
    report = grade_assignment(
        assignment,
        course_dir=parallel,
        jobs=args.jobs,
        cell_timeout=args.cell_timeout,
        progress=False,
    )
    t_parallel = time.perf_counter() - start
    print(f"grade_assignment(jobs={args.jobs}):        {t_parallel:7.1f} s")

    t_floor = _floor(args.n)
    per = [r.wall_time for r in report]
    same = gc.gradebook_grades(serial, assignment) == gc.gradebook_grades(parallel, assignment)
    print(
        f"floor, {args.n} kernels started and stopped: {t_floor:7.1f} s serially, "
        f"{t_floor / args.jobs:.1f} s over {args.jobs} jobs"
    )
    print(f"speed-up over serial nbgrader:  {t_serial / t_parallel:7.2f}x")
    print(f"parallel time above the floor:  {t_parallel - t_floor / args.jobs:7.1f} s")
    print(
        f"per submission in a worker:     median {statistics.median(per):.2f} s, "
        f"max {max(per):.2f} s; sum {sum(per):.1f} s = {sum(per) / t_parallel:.2f} "
        "workers busy on average"
    )
    print(f"statuses: { ({k: v for k, v in report.counts().items() if v}) }")
    print(f"same grades as serial nbgrader: {'yes' if same else 'NO'}")

    one = gc.copy_course(template, tmp / "one-job")
    start = time.perf_counter()
    grade_assignment(
        assignment, course_dir=one, jobs=1, cell_timeout=args.cell_timeout, progress=False
    )
    t_one = time.perf_counter() - start
    print(f"grade_assignment(jobs=1):        {t_one:7.1f} s")
    print(f"speed-up of jobs={args.jobs} over jobs=1: {t_one / t_parallel:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=40, help="learners (default 40)")
    parser.add_argument("--jobs", type=int, default=2, help="grade_assignment jobs (default 2)")
    parser.add_argument("--assignment", default=None, help=f"course assignment (default {WEEK})")
    parser.add_argument("--cell-timeout", type=int, default=60, help="per-cell limit, all runs")
    parser.add_argument(
        "--against-nbgrader",
        action="store_true",
        help="also serial nbgrader autograde against grade_assignment, --n submissions",
    )
    parser.add_argument("--n", type=int, default=40, help="--against-nbgrader submissions")
    parser.add_argument(
        "--week", action="store_true", help="also the 3-learner week of every assignment"
    )
    parser.add_argument(
        "--cheats",
        action="store_true",
        help="only the cheat corpus on every week (or --assignment): legacy > trusted scores",
    )
    parser.add_argument(
        "--grader-only",
        action="store_true",
        help="only the legacy-against-trusted grading comparison",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        tmp = Path(name)
        assignment = args.assignment or WEEK
        if args.cheats:
            _cheats(tmp, args.jobs, args.cell_timeout, args.assignment)
            return
        if args.grader_only:
            _compare_graders(tmp, assignment, args.learners, args.jobs, args.cell_timeout)
            return
        _compare_jobs(tmp, assignment, args.learners, args.jobs, args.cell_timeout)
        _compare_graders(tmp / "graders", assignment, args.learners, args.jobs, args.cell_timeout)
        if args.against_nbgrader:
            _against_nbgrader(tmp / "against-nbgrader", args)
        if args.week:
            _every_week(tmp / "every-week", args.jobs)


if __name__ == "__main__":
    main()
