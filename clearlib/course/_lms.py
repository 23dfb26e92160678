"""Blackboard in and out: collect a Grade Centre download, package feedback per learner.

**In.** Faculty download an assignment's submissions from Blackboard Learn (Original Course
View: *Grade Centre → Full Grade Centre →* the assignment column's menu *→ Assignment File
Download*, select every learner, submit, then download the zip). In the zip Blackboard names
each file after the assignment, the learner's username and the attempt's date and time:

- ``<assignment>_<username>_attempt_<yyyy-mm-dd-hh-mm-ss>.txt``: the attempt's details
  (``Name: First Last (username)``, ``Assignment:``, ``Date Submitted:``, the learner's
  comments, and each file's original and stored name);
- ``<assignment>_<username>_attempt_<yyyy-mm-dd-hh-mm-ss>_<original file name>``: each
  file the learner attached to that attempt.

Sources for that naming: nbgrader's documentation of its ``FileNameCollectorPlugin`` uses
Blackboard's pattern as its example (``ps1_bitdiddle_attempt_2016-01-30-15-00-00_problem1.ipynb``,
https://nbgrader.readthedocs.io/en/stable/plugins/zipcollect-plugin.html), and the Blackboard
Gradebook Organiser (https://github.com/vangef/BBGradebookOrganiser, ``utils/organiser.py``;
its ``docs/instructions.md`` gives the download steps above) takes the username as the last
``_``-separated part before ``_attempt_``, the original file name as what follows the date,
and the learner's name and comments from the ``.txt`` file's ``Name:`` and ``Comments:``
lines.

:func:`collect_lms` runs nbgrader's ``zip_collect`` (``ZipCollectApp``: the zip is copied to
``downloaded/<assignment>/archive/``, unpacked to ``extracted/``, and each learner's files go
to ``submitted/<username>/<assignment>/``) with :class:`BlackboardCollector`, a
``FileNameCollectorPlugin`` that places exactly the files :func:`plan_collection` chose:

- the **latest attempt** with a notebook wins; its date and time (Blackboard's server time,
  ``timezone``) becomes the submission's ``timestamp.txt`` in UTC, so nbgrader's late
  penalty (``LateSubmissionPlugin`` in ``nbgrader_config.py``) applies against the
  assignment's due date in the gradebook;
- a **renamed notebook** (``01-getting-started (1).ipynb``) is placed under the assignment's
  notebook name and reported as renamed: the learner handed work in, and grading needs the
  released name;
- not placed, each listed with its reason: a username not in the gradebook's learners (when
  a cohort is imported with ``nbgrader db student import``), a file that is not a notebook
  (or an ``.ipynb`` that does not open), a second notebook in the chosen attempt, every file
  of an older attempt, and any file not named as Blackboard names them. The ``.txt`` details
  files are read (for the username) and listed as such.

**Out.** :func:`package_feedback` copies each learner's HTML feedback (from
``clearlib course feedback``) to one file per learner, ``<username>_<assignment>_feedback.html``,
and zips them all, so a tutor can attach each file to the learner's attempt in Blackboard
(*Grade Centre →* the attempt *→ Feedback to Learner → attach file*) and keep the zip. Grades
go back with ``clearlib course export`` (see :mod:`clearlib.course._export`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin

from clearlib._exceptions import ClearlibError, ConfigError
from clearlib.course._notebook import course_config
from clearlib.course._notebook import course_dir as _course_dir

__all__ = [
    "BlackboardCollector",
    "CollectError",
    "CollectReport",
    "FeedbackPackage",
    "Placed",
    "Unplaced",
    "attempt_file_name",
    "collect_lms",
    "feedback_file_name",
    "package_feedback",
    "parse_attempt_file",
    "plan_collection",
]

#: The time zone of the dates in Blackboard's file names (the server's local time).
DEFAULT_TIMEZONE = "Europe/London"

_STAMP = "%Y-%m-%d-%H-%M-%S"
_NAME = re.compile(
    r"^(?P<prefix>.+)_attempt_(?P<stamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)"
    r"(?:_(?P<original>.+)|(?P<details>\.txt))$",
    re.S,
)
_DETAILS_NAME = re.compile(r"^\s*Name:.*\((?P<username>[^()\s]+)\)\s*$", re.M)

#: Why a file was not placed (``Unplaced.kind``), in the order the report lists them.
REASONS = {
    "unknown-username": "unknown username: not a learner in the gradebook",
    "not-a-notebook": "not a notebook",
    "second-file": "second notebook in the attempt",
    "older-attempt": "older attempt",
    "unrecognised-name": "not named as Blackboard names a download's files",
    "attempt-details": "Blackboard's attempt details (read, not a submission)",
}


class CollectError(ClearlibError):
    """A Blackboard download cannot be collected (not a zip, or nbgrader's collect failed)."""


@dataclass(frozen=True)
class AttemptFile:
    """One file of Blackboard's download, as its name reads."""

    path: Path
    prefix: str
    attempt: dt.datetime
    original: str | None

    @property
    def is_details(self) -> bool:
        """The attempt's ``.txt`` details file (not a file the learner attached)."""
        return self.original is None


@dataclass(frozen=True)
class Placed:
    """A notebook placed in ``submitted/<learner>/<assignment>/<notebook>``."""

    learner: str
    notebook: str
    source: Path
    attempt: dt.datetime
    attempt_utc: dt.datetime
    late_by: dt.timedelta | None = None
    renamed_from: str | None = None
    unknown: bool = False

    @property
    def late(self) -> bool:
        """Handed in after the due date."""
        return self.late_by is not None and self.late_by > dt.timedelta(0)

    @property
    def lateness(self) -> str:
        """How late, in words ("" when on time).

        Examples
        --------
        >>> when = dt.datetime(2026, 1, 13, 10, 15)
        >>> Placed("ab12", "w.ipynb", Path("w"), when, when, dt.timedelta(hours=22)).lateness
        'late by 22 h 0 min'
        """
        return f"late by {_duration(self.late_by)}" if self.late and self.late_by else ""


@dataclass(frozen=True)
class Unplaced:
    """A file of the download that was not placed, and why."""

    file: str
    kind: str
    detail: str = ""
    learner: str | None = None

    @property
    def reason(self) -> str:
        """The reason in words."""
        text = REASONS[self.kind]
        return f"{text}: {self.detail}" if self.detail else text


@dataclass
class CollectReport:
    """What :func:`collect_lms` placed, and every file it did not place with the reason."""

    assignment: str
    placed: list[Placed] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    due: dt.datetime | None = None
    cohort_known: bool = False
    submitted: Path | None = None

    @property
    def problems(self) -> list[Unplaced]:
        """The files not placed, apart from Blackboard's attempt details."""
        return [u for u in self.unplaced if u.kind != "attempt-details"]

    @property
    def late(self) -> list[Placed]:
        """The submissions handed in after the due date."""
        return [p for p in self.placed if p.late]

    def summary(self) -> str:
        """The report in words: one line per placed notebook, then each file not placed.

        Examples
        --------
        >>> print(CollectReport("01-getting-started").summary())
        Collected 0 notebooks of 01-getting-started (no due date in the gradebook; no cohort imported, so usernames were not checked).
        """
        due = f"due {self.due:%Y-%m-%d %H:%M} UTC" if self.due else "no due date in the gradebook"
        cohort = "" if self.cohort_known else "; no cohort imported, so usernames were not checked"
        lines = [f"Collected {len(self.placed)} notebooks of {self.assignment} ({due}{cohort})."]
        for p in self.placed:
            late = f", {p.lateness}" if p.late else ""
            renamed = f", renamed from {p.renamed_from!r}" if p.renamed_from else ""
            unknown = ", not a learner in the gradebook" if p.unknown else ""
            lines.append(
                f"  {p.learner}: {p.notebook}, attempt {p.attempt:%Y-%m-%d %H:%M:%S}{late}"
                f"{renamed}{unknown}"
            )
        details = len(self.unplaced) - len(self.problems)
        if details:
            lines.append(f"Read {details} attempt-details files (Blackboard's receipts).")
        if self.problems:
            lines.append(f"Not placed ({len(self.problems)}):")
            lines += [f"  {u.file}: {u.reason}" for u in self.problems]
        return "\n".join(lines)


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours or days else []
    parts.append(f"{mins} min")
    return " ".join(parts)


def attempt_file_name(
    blackboard_assignment: str,
    username: str,
    attempt: dt.datetime,
    original: str | None = None,
) -> str:
    """The name Blackboard gives a file of an attempt in its Assignment File Download.

    Parameters
    ----------
    blackboard_assignment : str
        The assignment's name in Blackboard (its Grade Centre column).
    username : str
        The learner's Blackboard username.
    attempt : datetime
        When the attempt was submitted (Blackboard's server time).
    original : str, optional
        The learner's file name; without it, the name of the attempt's details (``.txt``).

    Examples
    --------
    >>> when = dt.datetime(2026, 1, 12, 9, 30)
    >>> attempt_file_name("Week 01", "ab12", when, "01-getting-started.ipynb")
    'Week 01_ab12_attempt_2026-01-12-09-30-00_01-getting-started.ipynb'
    >>> attempt_file_name("Week 01", "ab12", when)
    'Week 01_ab12_attempt_2026-01-12-09-30-00.txt'
    """
    head = f"{blackboard_assignment}_{username}_attempt_{attempt.strftime(_STAMP)}"
    return f"{head}_{original}" if original else f"{head}.txt"


def parse_attempt_file(path: str | Path) -> AttemptFile | None:
    """Read a Blackboard download's file name; None when it is not named as Blackboard names.

    ``prefix`` is ``<assignment>_<username>`` (both may hold ``_``; see
    :func:`plan_collection` for how the username is found).

    Examples
    --------
    >>> f = parse_attempt_file("Week 01_ab12_attempt_2026-01-12-09-30-00_my work.ipynb")
    >>> f.prefix, f.attempt.isoformat(), f.original
    ('Week 01_ab12', '2026-01-12T09:30:00', 'my work.ipynb')
    >>> parse_attempt_file("Week 01_ab12_attempt_2026-01-12-09-30-00.txt").is_details
    True
    >>> parse_attempt_file("notes.ipynb") is None
    True
    """
    path = Path(path)
    match = _NAME.match(path.name)
    if not match:
        return None
    try:
        attempt = dt.datetime.strptime(match["stamp"], _STAMP)
    except ValueError:
        return None
    return AttemptFile(path, match["prefix"], attempt, match["original"])


def _username(prefix: str, learners: Iterable[str] | None, details: str | None) -> str:
    """The username at the end of ``<assignment>_<username>``.

    The attempt's details file names the learner (``Name: First Last (username)``); else the
    longest ``_``-separated ending that is a known learner; else the last part.
    """
    if details:
        match = _DETAILS_NAME.search(details)
        if match and (prefix == match["username"] or prefix.endswith("_" + match["username"])):
            return match["username"]
    parts = prefix.split("_")
    endings = ["_".join(parts[i:]) for i in range(1, len(parts))]  # longest first
    known = set(learners or ())
    for ending in endings:
        if ending in known:
            return ending
    return parts[-1]


def _ipynb(f: AttemptFile) -> bool:
    return Path(f.original or "").suffix.lower() == ".ipynb"


def _is_notebook(path: Path) -> str | None:
    """None when ``path`` opens as a notebook, else why not."""
    import nbformat

    try:
        nbformat.read(path, as_version=4)
    except Exception as exc:  # any reason it will not open is a reason to report
        return f"the .ipynb file does not open as a notebook ({type(exc).__name__})"
    return None


def plan_collection(
    files: Iterable[str | Path],
    *,
    notebooks: list[str],
    learners: Iterable[str] | None = None,
    due: dt.datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    root: str | Path | None = None,
    accept_unknown: bool = False,
) -> tuple[list[Placed], list[Unplaced]]:
    """Decide, for the files of a Blackboard download, which to place where and why not.

    Parameters
    ----------
    files : iterable of path
        The unpacked files.
    notebooks : list of str
        The assignment's notebook names as released (``01-getting-started.ipynb``).
    learners : iterable of str, optional
        The gradebook's learners; a username not among them is not placed. None or empty:
        every username is accepted.
    due : datetime, optional
        The due date in UTC (naive, as nbgrader stores it): later attempts are late.
    timezone : str
        The time zone of the dates in the file names (Blackboard's server).
    root : path, optional
        Report files relative to this folder (default: their names).
    accept_unknown : bool
        Place the work of usernames not among ``learners`` too (marked ``unknown``).

    Returns
    -------
    (list of Placed, list of Unplaced)
        Placed notebooks by learner; every other file with its reason.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> tmp = Path(tempfile.mkdtemp())
    >>> when = dt.datetime(2026, 1, 12, 9, 30)
    >>> for name in [attempt_file_name("Week 01", "ab12", when, "week1 (1).ipynb"),
    ...              attempt_file_name("Week 01", "ab12", when, "notes.pdf")]:
    ...     nbformat.write(nbformat.v4.new_notebook(), tmp / name)
    >>> placed, unplaced = plan_collection(tmp.iterdir(), notebooks=["week1.ipynb"],
    ...                                    timezone="UTC")
    >>> [(p.learner, p.notebook, p.renamed_from) for p in placed]
    [('ab12', 'week1.ipynb', 'week1 (1).ipynb')]
    >>> [u.reason for u in unplaced]
    ['not a notebook: .pdf']
    """
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(timezone)
    except Exception as exc:
        raise ConfigError(
            f"Unknown time zone {timezone!r} for Blackboard's attempt times; give an IANA name "
            "such as Europe/London or UTC."
        ) from exc
    known = {str(x) for x in learners or ()}
    paths = sorted(Path(f) for f in files)

    def shown(path: Path) -> str:
        return str(path.relative_to(root)) if root is not None else path.name

    unplaced: list[Unplaced] = []
    parsed: list[AttemptFile] = []
    for path in paths:
        info = parse_attempt_file(path)
        if info is None:
            unplaced.append(
                Unplaced(
                    shown(path),
                    "unrecognised-name",
                    "expected <assignment>_<username>_attempt_<yyyy-mm-dd-hh-mm-ss>_<file>",
                )
            )
        else:
            parsed.append(info)
    details = {
        (f.prefix, f.attempt): f.path.read_text(encoding="utf-8", errors="replace")
        for f in parsed
        if f.is_details
    }
    # attempts: learner -> attempt time -> files
    attempts: dict[str, dict[dt.datetime, list[AttemptFile]]] = {}
    for f in parsed:
        learner = _username(f.prefix, known, details.get((f.prefix, f.attempt)))
        if f.is_details:
            unplaced.append(Unplaced(shown(f.path), "attempt-details", learner=learner))
            continue
        attempts.setdefault(learner, {}).setdefault(f.attempt, []).append(f)

    placed: list[Placed] = []
    for learner in sorted(attempts):
        by_time = attempts[learner]
        unknown = bool(known) and learner not in known
        if unknown and not accept_unknown:
            for when in sorted(by_time):
                unplaced += [
                    Unplaced(
                        shown(f.path),
                        "unknown-username",
                        f"{learner!r}; add them to the cohort (nbgrader db student import) "
                        "and collect again, or collect with --accept-unknown",
                        learner,
                    )
                    for f in by_time[when]
                ]
            continue
        with_notebooks = [w for w, fs in by_time.items() if any(_ipynb(f) for f in fs)]
        chosen_time = max(with_notebooks, default=None)
        chosen = [f for f in by_time.get(chosen_time, []) if _ipynb(f)]
        for when in sorted(by_time):
            for f in by_time[when]:
                suffix = Path(f.original or "").suffix
                if not _ipynb(f):
                    unplaced.append(
                        Unplaced(shown(f.path), "not-a-notebook", suffix or "no extension", learner)
                    )
                elif when != chosen_time:
                    unplaced.append(
                        Unplaced(
                            shown(f.path),
                            "older-attempt",
                            f"{when:%Y-%m-%d %H:%M:%S}, superseded by "
                            f"{chosen_time:%Y-%m-%d %H:%M:%S}",
                            learner,
                        )
                    )
        if chosen_time is None:
            continue
        attempt_utc = chosen_time.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
        late_by = attempt_utc - due if due is not None and attempt_utc > due else None
        taken: set[str] = set()
        readable = []
        for f in chosen:
            why = _is_notebook(f.path)
            if why:
                unplaced.append(Unplaced(shown(f.path), "not-a-notebook", why, learner))
            else:
                readable.append(f)
        exact = [f for f in readable if f.original in notebooks]
        renamed = [f for f in readable if f.original not in notebooks]
        for f in exact:
            taken.add(str(f.original))
            placed.append(
                Placed(
                    learner,
                    str(f.original),
                    f.path,
                    chosen_time,
                    attempt_utc,
                    late_by,
                    unknown=unknown,
                )
            )
        free = [n for n in notebooks if n not in taken]
        for f in renamed:
            if len(free) == 1 and len(notebooks) == 1:
                name = free.pop()
                placed.append(
                    Placed(
                        learner,
                        name,
                        f.path,
                        chosen_time,
                        attempt_utc,
                        late_by,
                        f.original,
                        unknown,
                    )
                )
            else:
                other = sorted(taken) or notebooks
                unplaced.append(
                    Unplaced(
                        shown(f.path),
                        "second-file",
                        f"{f.original!r} besides {', '.join(other)}",
                        learner,
                    )
                )
    return placed, unplaced


def _gradebook_facts(root: Path, assignment: str) -> tuple[set[str], dt.datetime | None]:
    """The gradebook's learners and the assignment's due date (UTC), if there is a gradebook."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    cfg = course_config(root)
    url = str(cfg.CourseDirectory.db_url or f"sqlite:///{root / 'gradebook.db'}")
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return set(), None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy session warnings
        with Gradebook(url, str(cfg.CourseDirectory.course_id or "clear")) as gb:
            learners = {s.id for s in gb.students}
            try:
                due = gb.find_assignment(assignment).duedate
            except MissingEntry:
                due = None
    return learners, due


def _released_notebooks(root: Path, assignment: str) -> list[str]:
    cfg = course_config(root)
    for folder in (cfg.CourseDirectory.release_directory or "release", "source"):
        found = sorted(p.name for p in (root / str(folder) / assignment).glob("*.ipynb"))
        if found:
            return found
    raise ConfigError(
        f"No notebooks for assignment {assignment!r} in {root / 'release' / assignment} or "
        f"{root / 'source' / assignment}. Check its name (the folder's name under source/), "
        f"and release it first: nbgrader generate_assignment {assignment}."
    )


class BlackboardCollector(FileNameCollectorPlugin):
    """nbgrader's file-name collector, placing exactly the files :func:`plan_collection` chose.

    ``plan`` maps each unpacked file's absolute path to ``(learner, notebook name, attempt
    time in UTC)``; nbgrader skips every other file (the :class:`CollectReport` says why).
    The time becomes the submission's ``timestamp.txt``, which nbgrader's late penalty reads.

    Examples
    --------
    >>> c = BlackboardCollector()
    >>> c.plan = {"/x/a.ipynb": ("ab12", "week1.ipynb", dt.datetime(2026, 1, 12, 9, 30))}
    >>> c.collect("/x/a.ipynb")
    {'student_id': 'ab12', 'file_id': 'week1.ipynb', 'timestamp': '2026-01-12 09:30:00'}
    >>> c.collect("/x/b.ipynb") is None
    True
    """

    plan: Mapping[str, tuple[str, str, dt.datetime]] = {}

    def collect(self, submitted_file: str) -> dict | None:
        chosen = self.plan.get(os.path.abspath(submitted_file))
        if chosen is None:
            return None
        learner, notebook, when = chosen
        return {
            "student_id": learner,
            "file_id": notebook,
            "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
        }


def collect_lms(
    zip_path: str | Path,
    assignment: str,
    *,
    course_dir: str | Path | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    accept_unknown: bool = False,
) -> CollectReport:
    """Collect an assignment from Blackboard's Assignment File Download (a zip).

    Parameters
    ----------
    zip_path : path
        The zip downloaded from the Grade Centre (*Assignment File Download*).
    assignment : str
        The nbgrader assignment (``01-getting-started``); its Blackboard name may differ.
    course_dir : path, optional
        The course root (default: ``course/`` of the checkout, or ``$CLEAR_COURSE_DIR``).
    timezone : str
        The time zone of the attempt times in Blackboard's file names (its server's).
    accept_unknown : bool
        Also place the work of usernames that are not learners in the gradebook (by default
        they are listed, not placed, once the gradebook has learners: imported with ``nbgrader
        db student import``, or added when their work was first graded).

    Returns
    -------
    CollectReport
        Each notebook placed (learner, name, attempt time, late or not, renamed from) and each
        file not placed with the reason.

    Raises
    ------
    CollectError
        If the file is not a zip, or nbgrader's collect fails.
    ConfigError
        If the assignment has no notebooks in ``release/`` or ``source/``.

    Examples
    --------
    >>> report = collect_lms("gradebook_CLEAR_Week01.zip", "01-getting-started")  # doctest: +SKIP
    >>> [p.learner for p in report.placed]  # doctest: +SKIP
    ['ab12', 'cd34']
    """
    import logging

    from nbgrader.apps import ZipCollectApp

    from clearlib.course._notebook import ensure_nbgrader_tools

    zip_path = Path(zip_path)
    if not zip_path.is_file():
        raise CollectError(
            f"No file at {zip_path}: give the zip downloaded from Blackboard's Grade Centre "
            "(the assignment column's menu → Assignment File Download)."
        )
    if not zipfile.is_zipfile(zip_path):
        raise CollectError(
            f"{zip_path} is not a zip file. Blackboard's Assignment File Download gives a .zip "
            "(gradebook_<course>_<assignment>_<date>.zip); download it again if it was cut short."
        )
    root = _course_dir(course_dir)
    notebooks = _released_notebooks(root, assignment)
    learners, due = _gradebook_facts(root, assignment)
    ensure_nbgrader_tools()

    app = ZipCollectApp()
    app.log.setLevel(logging.ERROR)
    try:
        app.initialize([assignment, "--force", f"--CourseDirectory.root={root}"])
        app.collector_plugin = BlackboardCollector
        archive = Path(app._format_collect_path(app.archive_directory))
        if archive.exists():
            shutil.rmtree(archive)  # a copy of the last download collected: replaced
        archive.mkdir(parents=True)
        shutil.copyfile(zip_path, archive / zip_path.name)
        app.init_plugins()
        app.extract_archive_files()
        extracted = Path(app._format_collect_path(app.extracted_directory))
        files = [Path(d) / f for d, _, names in os.walk(extracted) for f in names]
        placed, unplaced = plan_collection(
            files,
            notebooks=notebooks,
            learners=learners,
            due=due,
            timezone=timezone,
            root=extracted,
            accept_unknown=accept_unknown,
        )
        app.collector_plugin_inst.plan = {
            str(p.source.resolve()): (p.learner, p.notebook, p.attempt_utc) for p in placed
        }
        app.process_extracted_files()
    except SystemExit as exc:  # nbgrader's apps fail with sys.exit after logging
        raise CollectError(
            f"nbgrader's zip_collect stopped while collecting {assignment} from {zip_path}; "
            f"run `nbgrader zip_collect {assignment} --debug` in {root} to see why."
        ) from exc
    submitted = root / str(course_config(root).CourseDirectory.submitted_directory or "submitted")
    return CollectReport(
        assignment,
        placed=placed,
        unplaced=sorted(unplaced, key=lambda u: (list(REASONS).index(u.kind), u.file)),
        due=due,
        cohort_known=bool(learners),
        submitted=submitted,
    )


@dataclass
class FeedbackPackage:
    """What :func:`package_feedback` wrote: the files of each learner, and a zip of them all."""

    assignment: str
    folder: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    archive: Path | None = None

    def summary(self) -> str:
        """Where each learner's file is, and how to return it.

        Examples
        --------
        >>> FeedbackPackage("01-getting-started", Path("out")).summary()
        'No feedback for 01-getting-started yet: run clearlib course feedback 01-getting-started.'
        """
        if not self.files:
            return (
                f"No feedback for {self.assignment} yet: run clearlib course feedback "
                f"{self.assignment}."
            )
        lines = [
            f"Packaged feedback for {len(self.files)} learners of {self.assignment} in "
            f"{self.folder}:"
        ]
        lines += [
            f"  {learner}: {', '.join(p.name for p in paths)}"
            for learner, paths in sorted(self.files.items())
        ]
        if self.archive:
            lines.append(f"All of them: {self.archive.name}")
        lines.append(
            "Return each file through Blackboard: in the Grade Centre open the learner's "
            "attempt and attach the file named with their username as Feedback to Learner."
        )
        return "\n".join(lines)


def feedback_file_name(learner: str, assignment: str, notebook: str | None = None) -> str:
    """The name of a learner's feedback file: username first, so it is attached to the right
    learner.

    Examples
    --------
    >>> feedback_file_name("ab12", "01-getting-started")
    'ab12_01-getting-started_feedback.html'
    >>> feedback_file_name("ab12", "05-project", "part-2")
    'ab12_05-project_part-2_feedback.html'
    """
    middle = f"{assignment}_{notebook}" if notebook else assignment
    return f"{learner}_{middle}_feedback.html"


def package_feedback(
    assignment: str,
    out_dir: str | Path,
    *,
    course_dir: str | Path | None = None,
) -> FeedbackPackage:
    """Copy each learner's feedback to one file per learner, named to return through Blackboard.

    Reads ``feedback/<learner>/<assignment>/*.html`` (written by ``clearlib course feedback``)
    and writes ``<username>_<assignment>_feedback.html`` per learner (with the notebook's
    name too when an assignment has several notebooks) and ``<assignment>_feedback.zip`` of
    them all to ``out_dir``.

    Examples
    --------
    >>> package = package_feedback("01-getting-started", "returns")  # doctest: +SKIP
    >>> sorted(p.name for p in package.files.values())  # doctest: +SKIP
    ['ab12_01-getting-started_feedback.html', 'cd34_01-getting-started_feedback.html']
    """
    root = _course_dir(course_dir)
    feedback = root / str(course_config(root).CourseDirectory.feedback_directory or "feedback")
    out = Path(out_dir)
    package = FeedbackPackage(assignment, out)
    pages: dict[str, list[Path]] = {}
    for page in sorted(feedback.glob(f"*/{assignment}/*.html")):
        pages.setdefault(page.parts[-3], []).append(page)
    if not pages:
        return package
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for learner, files in sorted(pages.items()):
        for page in files:
            several = len(files) > 1
            name = feedback_file_name(learner, assignment, page.stem if several else None)
            target = out / name
            shutil.copyfile(page, target)
            written.append(target)
            package.files.setdefault(learner, []).append(target)
    package.archive = out / f"{assignment}_feedback.zip"
    with zipfile.ZipFile(package.archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in written:
            zf.write(path, path.name)
    return package
