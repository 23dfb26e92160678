"""``clearlib course check``: prove an assignment before learners see it.

For each assignment, in a temporary copy of the course (the real gradebook is never touched):

1. static checks of the source notebook: grade ids unique, ``qN-short-name``, unchanged since
   the lock file ``grade_ids.txt``; every graded cell worth points and tagged with valid
   objectives; every test opening with a docstring; a written answer graded by hand; every
   objective of the week assessed;
2. nbgrader makes the learner version (``generate_assignment``);
3. the model solution (the source notebook, handed in by a pretend learner) is autograded
   by the course's grader, as learners' work will be (``clearlib course grade``: sandboxed,
   each cell within the time budget): it must earn every autograded point, within the time
   budget, and run within the sandbox's limits;
4. the blank learner version is autograded: it must earn none, and the grader must not crash;
5. a half-answered version (the model's answers to every other question, the rest left blank)
   is autograded: it must earn some points but not all;
6. feedback is generated for all three, as ``clearlib course feedback`` would return it: it
   must be written, and must not show a hidden test.

Every problem is reported at once. ``keep=`` leaves the graded course behind (to open in the
formgrader, or to carry on a tutor's week in it).
"""

from __future__ import annotations

import copy
import logging
import math
import shutil
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearlib._exceptions import ConfigError
from clearlib.course._notebook import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    GRADE_ID_PATTERN,
    LOCK_FILE,
    AssignmentInfo,
    _config_file,
    course_config,
    ensure_nbgrader_tools,
    list_assignments,
    objectives,
    read_assignment,
    week_of,
)
from clearlib.course._notebook import course_dir as _course_dir

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "CheckReport",
    "Problem",
    "check_assignment",
    "check_course",
    "generate_release",
    "read_lock",
]

MODEL = "model-solution"
BLANK = "blank-release"
HALF = "half-answered"

_LOG = logging.getLogger("clearlib.course.nbgrader")
_LOG.propagate = False
_LOG.setLevel(logging.INFO)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an assignment: where (a grade id or a step) and what to do."""

    assignment: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.assignment} [{self.where}]: {self.message}"


@dataclass
class CheckReport:
    """What :func:`check_assignment` found for one assignment.

    Attributes
    ----------
    problems : list of Problem
        Everything that must be fixed (empty when the assignment is ready).
    notes : list of str
        Information that needs no fix (a lock file written, no lock file yet).
    autograded_points, manual_points : float
        Points the tests can award, and points graded by hand.
    model_points, blank_points : float or None
        Autograded points earned by the model solution and by the blank learner version
        (None when that step could not run).
    model_seconds : float or None
        Time to autograde the model solution (kernel start included).
    half_points : float or None
        Autograded points of the half-answered version (the model's answers to every other
        question).
    feedback_files : int
        Feedback pages written (one per version that was graded) and found free of hidden tests.
    """

    assignment: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    autograded_points: float = 0.0
    manual_points: float = 0.0
    model_points: float | None = None
    blank_points: float | None = None
    model_seconds: float | None = None
    half_points: float | None = None
    feedback_files: int = 0
    time_budget_s: float = 60.0

    @property
    def ok(self) -> bool:
        """True when nothing needs fixing."""
        return not self.problems

    def add(self, where: str, message: str) -> None:
        """Record a problem."""
        self.problems.append(Problem(self.assignment, where, message))

    def summary(self) -> str:
        """A plain-text account: the scores, then every problem.

        Examples
        --------
        >>> r = CheckReport("01-getting-started", autograded_points=6, manual_points=2,
        ...                 model_points=6, blank_points=0, model_seconds=4.2)
        >>> print(r.summary())
        01-getting-started: ready. Model solution 6/6 autograded points, blank release 0/6, graded in 4.2 s (budget 60 s); 2 points graded by hand.
        """
        most = f"{self.autograded_points:g}"
        verdict = "ready" if self.ok else f"{len(self.problems)} problem(s)"
        if self.model_points is None and self.blank_points is None:
            graded = f"{most} autograded points (not graded)"
        else:
            model = "-" if self.model_points is None else f"{self.model_points:g}"
            blank = "-" if self.blank_points is None else f"{self.blank_points:g}"
            took = "" if self.model_seconds is None else f", graded in {self.model_seconds:.1f} s"
            half = (
                "" if self.half_points is None else f", half-answered {self.half_points:g}/{most}"
            )
            fed = f"; feedback for {self.feedback_files}" if self.feedback_files else ""
            graded = (
                f"Model solution {model}/{most} autograded points, blank release {blank}/{most}"
                f"{half}{took} (budget {self.time_budget_s:g} s){fed}"
            )
        lines = [
            f"{self.assignment}: {verdict}. {graded}; {self.manual_points:g} points graded by hand."
        ]
        lines += [f"  - [{p.where}] {p.message}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def render(self, console: Console) -> None:
        """Print the report with colour: a tick or a cross, then every problem."""
        from rich.markup import escape

        head, *rest = self.summary().split("\n")
        mark = "[green]✓[/green]" if self.ok else "[red]✗[/red]"
        console.print(f"{mark} {escape(head)}", soft_wrap=True)
        for line in rest:
            style = "red" if line.startswith("  - ") else "dim"
            console.print(f"[{style}]{escape(line)}[/{style}]", soft_wrap=True)


def read_lock(folder: str | Path) -> list[str] | None:
    """The grade ids recorded in ``<assignment>/grade_ids.txt`` (None when there is no lock).

    Examples
    --------
    >>> read_lock("/nonexistent") is None
    True
    """
    path = Path(folder) / LOCK_FILE
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _write_lock(info: AssignmentInfo) -> Path:
    path = info.folder / LOCK_FILE
    header = (
        f"# Grade ids of {info.name}, in notebook order. Written by\n"
        f"# `clearlib course check {info.name} --update-lock`; `clearlib course check` fails if\n"
        "# an id changes: learners' grades and comments are stored under these ids.\n"
    )
    path.write_text(header + "\n".join(info.grade_ids) + "\n", encoding="utf-8")
    return path


def _check_static(info: AssignmentInfo, report: CheckReport) -> None:
    known = objectives()
    if week_of(info.name) is None:
        report.add(
            "name",
            f"The assignment's folder should be named NN-slug (two-digit week, lower-case "
            f"words joined by hyphens, like 01-getting-started); it is {info.name!r}.",
        )
    if not any(p.stem == info.name for p in info.notebooks):
        names = ", ".join(p.name for p in info.notebooks)
        report.add(
            "notebook",
            f"Expected the notebook {info.name}.ipynb in {info.folder}; found {names}.",
        )
    counts = Counter(info.grade_ids)
    for gid, n in counts.items():
        if n > 1:
            report.add(gid, f"The grade id {gid!r} is used by {n} cells; each must be unique.")
        if not GRADE_ID_PATTERN.fullmatch(gid):
            report.add(
                gid or "grade id",
                f"The grade id {gid!r} should read qN-short-name (a question number, then "
                "lower-case words joined by hyphens, like q1-list-sizes or q1-list-sizes-test).",
            )
    for cell in info.cells:
        where = cell.grade_id or f"{cell.notebook} cell {cell.index + 1}"
        if cell.points is None or cell.points <= 0:
            report.add(
                where, f"This graded cell is worth {cell.points} points; give it more than 0."
            )
        if not cell.objectives:
            report.add(
                where,
                'This graded cell has no learning objective: add "clear": {"objectives": '
                '["LOw.n"]} to its metadata.',
            )
        for oid in cell.objectives:
            if oid not in known:
                report.add(
                    where,
                    f"Unknown learning objective {oid!r}: use an id from the syllabus "
                    "(clearlib/course/objectives.csv), like LO1.3.",
                )
        if cell.kind == "test":
            if cell.docstring is None:
                report.add(
                    where,
                    "This test should open with a docstring saying what it checks, "
                    'e.g. """Checks list_sizes has one row per practice.""".',
                )
            begins = cell.source.count(BEGIN_HIDDEN)
            ends = cell.source.count(END_HIDDEN)
            if begins != ends:
                report.add(
                    where,
                    f"This test has {begins} BEGIN HIDDEN TESTS and {ends} END HIDDEN TESTS "
                    "markers; every hidden region needs both.",
                )
    if not any(c.kind == "manual" for c in info.cells):
        report.add(
            "written answer",
            "The assignment needs at least one answer graded by hand (a markdown cell with "
            'nbgrader "solution": true, "grade": true), such as an interpretation for the '
            "learner's own PCN.",
        )
    week = week_of(info.name)
    if week is not None:
        wanted = [o for o in known.values() if o.week == week]
        if not wanted:
            report.add("objectives", f"The syllabus has no objectives for week {week}.")
        covered = {oid for c in info.cells for oid in c.objectives}
        for obj in wanted:
            if obj.id not in covered:
                report.add(
                    "objectives",
                    f"{obj.id} ({obj.text}) is not assessed by any graded cell: tag a test or "
                    "written answer with it, or add a question that assesses it.",
                )


def _check_declarations(info: AssignmentInfo, report: CheckReport) -> None:
    """Each graded test cell declares the answers it reads, and reads nothing else.

    The trusted grader runs a test on its declared answers (``# answers: name: kind``) and on
    the names the set-up cells (locked, neither graded nor answers) define; any other name a
    test reads would not exist there.
    """
    import nbformat

    from clearlib.course._answers import (
        AnswerDeclarationError,
        names_defined,
        parse_answers,
        undeclared_names,
    )

    for path in info.notebooks:
        nb = nbformat.read(path, as_version=4)
        setup: set[str] = set()
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("locked"):
                continue
            if not meta.get("grade") and not meta.get("solution"):
                try:
                    setup |= names_defined(cell.source)
                except SyntaxError:
                    continue
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            where = meta.get("grade_id") or f"{path.name} cell {index + 1}"
            try:
                parse_answers(cell.source)
            except AnswerDeclarationError as exc:
                report.add(where, str(exc))
                continue
            try:
                extra = undeclared_names(cell.source, setup)
            except SyntaxError as exc:
                report.add(where, f"This test cell does not parse: {exc}.")
                continue
            if extra:
                names = ", ".join(f"`{n}`" for n in extra)
                report.add(
                    where,
                    f"This test reads {names}, which it neither declares on its '# answers:' "
                    "line nor defines, and no locked set-up cell defines: declare each answer "
                    "it reads (name: kind), or define the name in the test or a locked set-up "
                    "cell (the trusted grader runs tests on declared answers only).",
                )


def _check_lock(info: AssignmentInfo, report: CheckReport, update: bool) -> None:
    ids = list(info.grade_ids)
    if update:
        if len(set(ids)) != len(ids) or not all(GRADE_ID_PATTERN.fullmatch(g) for g in ids):
            report.add(
                LOCK_FILE,
                "Not written: fix the grade ids above first (they must be unique and read "
                "qN-short-name).",
            )
            return
        path = _write_lock(info)
        report.notes.append(f"Wrote {path} ({len(ids)} grade ids).")
        return
    locked = read_lock(info.folder)
    if locked is None:
        report.notes.append(
            f"No {LOCK_FILE} yet: once the ids are final, run "
            f"`clearlib course check {info.name} --update-lock` and commit the file."
        )
        return
    for gid in [g for g in locked if g not in ids]:
        report.add(
            gid,
            f"The grade id {gid!r} is in {LOCK_FILE} but no longer in the notebook. Grades "
            "and comments are stored under grade ids: restore it, or, if no learner has the "
            f"assignment yet, run `clearlib course check {info.name} --update-lock`.",
        )
    for gid in [g for g in ids if g not in locked]:
        report.add(
            gid,
            f"The grade id {gid!r} is not in {LOCK_FILE}. If you added or renamed a "
            f"question on purpose, run `clearlib course check {info.name} --update-lock`.",
        )


def _run(converter: Any, cfg: Any, **course_attrs: str) -> dict[str, Any]:
    """Run an nbgrader converter with its log captured; returns nbgrader's result dict."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    cfg = copy.deepcopy(cfg)
    for key, value in course_attrs.items():
        cfg.CourseDirectory[key] = value
    coursedir = CourseDirectory(config=cfg, log=_LOG)
    app = converter(coursedir=coursedir, config=cfg, log=_LOG)
    app.force = True
    with warnings.catch_warnings():
        # nbgrader's own SQLAlchemy session warnings say nothing an author can act on
        warnings.filterwarnings("ignore", module="nbgrader.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        return capture_log(app)


def _error_tail(result: dict[str, Any], n: int = 3) -> str:
    text = str(result.get("error") or result.get("log") or "").strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return " | ".join(ln.strip() for ln in lines[-n:]) or "no message"


def _errors_by_grade_id(folder: Path) -> dict[str, str]:
    """``grade_id -> "Ename: value"`` for the first error output of each graded cell."""
    import nbformat

    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            for out in cell.get("outputs", []):
                if gid and out.get("output_type") == "error" and gid not in found:
                    found[gid] = f"{out.get('ename')}: {out.get('evalue', '')}".strip()
    return found


def _auto_scores(db_url: str, course_id: str, assignment: str, learner: str) -> dict[str, Any]:
    """``grade_id -> (auto_score, max_score)`` of one autograded submission."""
    from nbgrader.api import Gradebook, MissingEntry

    scores: dict[str, Any] = {}
    with Gradebook(db_url, course_id) as gb:
        try:
            submission = gb.find_submission(assignment, learner)
        except MissingEntry:
            return scores
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                scores[grade.name] = (grade.auto_score, grade.max_score)
    return scores


def _half_answered(model: Path, release: Path, out: Path) -> int:
    """Write the release with the model's answers to every other question; return how many.

    Answer cells are matched by grade id; the first, third, fifth... answer cells (in notebook
    order) take the model's source, the others stay as released.
    """
    import nbformat

    answers = {}
    for path in sorted(model.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            nbg = cell.get("metadata", {}).get("nbgrader", {})
            if nbg.get("solution") and cell.cell_type == "code":
                answers[nbg.get("grade_id")] = cell.source
    taken = 0
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(release.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        seen = 0
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in answers:
                if seen % 2 == 0:
                    cell.source = answers[gid]
                    taken += 1
                seen += 1
        nbformat.write(nb, out / path.name)
    for extra in release.iterdir():
        if extra.suffix != ".ipynb" and not (out / extra.name).exists():
            (shutil.copytree if extra.is_dir() else shutil.copy2)(extra, out / extra.name)
    return taken


def _check_feedback(
    info: AssignmentInfo, tmp: Path, learners: list[str], report: CheckReport
) -> None:
    """Generate feedback as tutors return it; a failure or a leak is a problem to fix."""
    from clearlib._exceptions import ClearlibError
    from clearlib.course._feedback import generate_feedback

    labels = {MODEL: "model solution", BLANK: "blank release", HALF: "half-answered version"}
    for learner in learners:
        try:
            written = generate_feedback(info.name, course_dir=tmp, learners=[learner])
        except ClearlibError as exc:
            report.add(
                "feedback",
                f"Feedback for the {labels[learner]} could not be returned: {exc}",
            )
            continue
        report.feedback_files += len(written.files)


def _grading_copy(root: Path, tmp: Path) -> None:
    """Give the temporary course the course's ``nbgrader_config.py``, re-rooted at ``tmp``.

    The grader reads the file from disk, so the lines that re-root it are appended to the copy:
    whatever the original says, the copy's folders and gradebook are in ``tmp``.
    """
    source = _config_file(root)
    text = source.read_text(encoding="utf-8") if source is not None else "c = get_config()\n"
    base = str(tmp.resolve())
    text += (
        "\n\n# --- added by `clearlib course check`: this temporary copy is the whole course ---\n"
        + ("c.CourseDirectory.course_id = 'clear'\n" if source is None else "")
        + f"c.CourseDirectory.root = {base!r}\n"
        + f"c.CourseDirectory.db_url = {'sqlite:///' + str(Path(base) / 'gradebook.db')!r}\n"
        + f"c.LeakFreeFeedback.source_directory = {str(Path(base) / 'source')!r}\n"
    )
    (tmp / "nbgrader_config.py").write_text(text, encoding="utf-8")


def _check_by_grading(
    info: AssignmentInfo, root: Path, report: CheckReport, tmp: Path, jobs: int
) -> None:
    from nbgrader.converters import GenerateAssignment

    from clearlib.course._grade import grade_assignment

    ensure_nbgrader_tools()
    tests = info.tests
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", LOCK_FILE)
    shutil.copytree(info.folder, tmp / "source" / info.name, ignore=ignore)
    _grading_copy(root, tmp)
    cfg = course_config(tmp, root=tmp)
    db_url = str(cfg.CourseDirectory.db_url)
    course_id = str(cfg.CourseDirectory.course_id or "clear")

    result = _run(GenerateAssignment, cfg, assignment_id=info.name)
    release = tmp / "release" / info.name
    if not result["success"] or not any(release.glob("*.ipynb")):
        report.add(
            "generate_assignment",
            f"nbgrader could not make the learner version: {_error_tail(result)}",
        )
        return
    shutil.copytree(tmp / "source" / info.name, tmp / "submitted" / MODEL / info.name)
    shutil.copytree(release, tmp / "submitted" / BLANK / info.name)
    answered = _half_answered(
        tmp / "source" / info.name, release, tmp / "submitted" / HALF / info.name
    )

    # graded as `clearlib course grade` grades: sandboxed, each cell within the time budget
    try:
        graded_report = grade_assignment(
            info.name,
            course_dir=tmp,
            jobs=jobs,
            learners=[MODEL, BLANK, HALF],
            cell_timeout=max(1, math.ceil(report.time_budget_s)),
            progress=False,
            force=True,
        )
    except ConfigError as exc:
        report.add("grading", f"The course's grader could not run: {exc}")
        return
    model, blank, half = (graded_report[learner] for learner in (MODEL, BLANK, HALF))
    report.model_seconds = model.wall_time

    graded = []
    for result_, learner, label in (
        (model, MODEL, "model solution"),
        (blank, BLANK, "blank release"),
        (half, HALF, "half-answered version"),
    ):
        if result_.status == "failed":
            report.add(label, f"The grader crashed on the {label}: {result_.reason}")
        else:
            graded.append(learner)
    if model.status not in ("graded", "failed"):
        report.add(
            "model solution",
            f"Graded as learners will be (sandboxed, each cell within {report.time_budget_s:g} "
            f"s), the model solution {model.status.replace('_', ' ')}: {model.reason}. Make it "
            "run within the grader's limits (no network, no files outside the assignment, "
            "enough memory and time).",
        )
    if half.status != "failed":
        scores = _auto_scores(db_url, course_id, info.name, HALF)
        report.half_points = float(sum((scores.get(t.grade_id) or (0, 0))[0] or 0 for t in tests))
        if answered > 1 and report.half_points >= info.autograded_points:
            report.add(
                "half-answered version",
                f"With only {answered} of the questions answered (the model's answers to "
                "every other question), the tests still award every point: a later test "
                "must not pass on an earlier answer alone.",
            )
    _check_feedback(info, tmp, graded, report)

    if model.status != "failed":
        scores = _auto_scores(db_url, course_id, info.name, MODEL)
        errors = _errors_by_grade_id(tmp / "autograded" / MODEL / info.name)
        report.model_points = float(sum((scores.get(t.grade_id) or (0, 0))[0] or 0 for t in tests))
        for t in tests:
            got, most = scores.get(t.grade_id) or (None, t.points)
            if got is None or most is None or got < most:
                why = errors.get(t.grade_id, "no error recorded")
                report.add(
                    t.grade_id,
                    f"The model solution fails this test ({got or 0:g} of {most or 0:g} "
                    f"points): {why}. Fix the model answer or the test.",
                )
        if report.model_seconds > report.time_budget_s:
            report.add(
                "time",
                f"Grading the model solution took {report.model_seconds:.0f} s; the budget "
                f"is {report.time_budget_s:g} s. Make the slow cells faster (load only the "
                "tables you need: clearlib.load_pcn(tables=[...])).",
            )
    if blank.status != "failed":
        scores = _auto_scores(db_url, course_id, info.name, BLANK)
        report.blank_points = float(sum((scores.get(t.grade_id) or (0, 0))[0] or 0 for t in tests))
        for t in tests:
            got = (scores.get(t.grade_id) or (None, None))[0]
            if got is None:
                report.add(
                    t.grade_id,
                    "The grader recorded no score for this test on the blank release.",
                )
            elif got > 0:
                report.add(
                    t.grade_id,
                    f"The blank release passes this test ({got:g} points without an "
                    "answer). A test must fail while the answer cell is blank: check the "
                    "answer's value, not only that a cell ran.",
                )


def generate_release(name: str, out: str | Path, *, course_dir: str | Path | None = None) -> Path:
    """Make the learner version of an assignment in ``out/<name>/``, away from the real course.

    nbgrader's ``generate_assignment`` runs in a temporary copy of the course, so neither
    ``course/release/`` nor the gradebook changes.

    Returns
    -------
    Path
        The folder holding the learner version (``out/<name>``).

    Raises
    ------
    ClearlibError
        If nbgrader cannot make it (the message gives nbgrader's last lines).

    Examples
    --------
    >>> folder = generate_release("01-getting-started", "/tmp/preview")  # doctest: +SKIP
    >>> sorted(p.name for p in folder.glob("*.ipynb"))  # doctest: +SKIP
    ['01-getting-started.ipynb']
    """
    from nbgrader.converters import GenerateAssignment

    from clearlib._exceptions import ClearlibError

    ensure_nbgrader_tools()
    root = _course_dir(course_dir)
    info = read_assignment(name, course=root)
    target = Path(out) / name
    with tempfile.TemporaryDirectory(prefix="clear-release-") as tmp_name:
        tmp = Path(tmp_name)
        ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", LOCK_FILE)
        shutil.copytree(info.folder, tmp / "source" / name, ignore=ignore)
        result = _run(GenerateAssignment, course_config(root, root=tmp), assignment_id=name)
        release = tmp / "release" / name
        if not result["success"] or not any(release.glob("*.ipynb")):
            raise ClearlibError(
                f"nbgrader could not make the learner version of {name}: {_error_tail(result)}. "
                f"Run `clearlib course check {name}` for every problem."
            )
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(release, target)
        for path in target.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def check_assignment(
    name: str,
    *,
    course_dir: str | Path | None = None,
    time_budget_s: float = 60,
    update_lock: bool = False,
    execute: bool = True,
    jobs: int = 2,
    keep: str | Path | None = None,
) -> CheckReport:
    """Prove one assignment: static checks, then grade the model solution and the blank release.

    Parameters
    ----------
    name : str
        The assignment: a folder of ``<course>/source/`` (``01-getting-started``).
    course_dir : path, optional
        The course root (default: ``course/`` of the checkout, or ``$CLEAR_COURSE_DIR``).
    time_budget_s : float, default 60
        The longest the model solution may take to autograde (kernel start included).
    update_lock : bool, default False
        Write the grade ids to ``<assignment>/grade_ids.txt`` instead of comparing with it.
    execute : bool, default True
        Also make the learner version and autograde the model and blank versions. False runs
        only the quick checks of the notebook itself (a few seconds, while authoring).
    jobs : int, default 2
        Grading workers, as ``clearlib course grade --jobs``: the three versions are graded
        by the course's grader (sandboxed, each cell within the time budget), as learners'
        work will be.
    keep : path, optional
        Leave the graded course in this folder (new, or empty) instead of a temporary one
        that is removed: its ``nbgrader_config.py``, ``source/``, the learner version in
        ``release/``, the three versions in ``submitted/`` and ``autograded/``, their
        feedback and ``gradebook.db``, to open in the formgrader or to grade more work in.

    Returns
    -------
    CheckReport
        Every problem found (``report.ok`` is True when there is none).

    Raises
    ------
    ConfigError
        If the course's ``nbgrader_config.py`` cannot be loaded (nbgrader would run without
        it, with nbgrader's own feedback that shows hidden tests), or ``keep`` is a folder
        that is not empty.

    Examples
    --------
    >>> report = check_assignment("01-getting-started")  # doctest: +SKIP
    >>> report.ok, report.model_points, report.blank_points  # doctest: +SKIP
    (True, 8.0, 0.0)
    """
    if time_budget_s <= 0:
        raise ConfigError(f"time_budget_s must be more than 0 seconds; it is {time_budget_s}.")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be a whole number of workers, at least 1; it is {jobs!r}.")
    kept = None if keep is None else Path(keep).expanduser().resolve()
    if kept is not None and kept.exists() and (not kept.is_dir() or any(kept.iterdir())):
        raise ConfigError(
            f"keep must be a new or empty folder for the graded course; {kept} is not empty. "
            "Choose another folder, or remove this one."
        )
    root = _course_dir(course_dir)
    course_config(root)  # a broken nbgrader_config.py stops everything: nbgrader would ignore it
    report = CheckReport(name, time_budget_s=float(time_budget_s))
    try:
        info = read_assignment(name, course=root)
    except ConfigError as exc:
        report.add("assignment", str(exc))
        return report
    report.autograded_points = info.autograded_points
    report.manual_points = info.max_points - info.autograded_points
    _check_static(info, report)
    _check_declarations(info, report)
    _check_lock(info, report, update_lock)
    if execute and kept is not None:
        kept.mkdir(parents=True, exist_ok=True)
        _check_by_grading(info, root, report, kept, jobs)
    elif execute:
        with tempfile.TemporaryDirectory(prefix="clear-check-") as tmp:
            _check_by_grading(info, root, report, Path(tmp), jobs)
    else:
        report.notes.append("Not graded (static checks only): run without --static before release.")
    return report


def check_course(
    names: list[str] | None = None,
    *,
    course_dir: str | Path | None = None,
    time_budget_s: float = 60,
    update_lock: bool = False,
    execute: bool = True,
    jobs: int = 2,
) -> list[CheckReport]:
    """Check several assignments (default: every one in ``<course>/source/``).

    Examples
    --------
    >>> reports = check_course()  # doctest: +SKIP
    >>> all(r.ok for r in reports)  # doctest: +SKIP
    True
    """
    root = _course_dir(course_dir)
    chosen = list(names) if names else list_assignments(root)
    return [
        check_assignment(
            n,
            course_dir=root,
            time_budget_s=time_budget_s,
            update_lock=update_lock,
            execute=execute,
            jobs=jobs,
        )
        for n in chosen
    ]
