"""``clearlib course export``: grades for the LMS, and which objectives the cohort mastered.

Everything is read from nbgrader's gradebook (``course/gradebook.db``) through
:class:`nbgrader.api.Gradebook`; objectives come from the source notebooks' ``clear.objectives``.

Files written (default folder ``course/exports/``, git-ignored):

- ``<assignment>-grades.csv``: learner, assignment, submitted, status (``complete``,
  ``pending`` while an answer waits for a hand grade, ``not submitted``), score so far, max,
  percent, the points and answers still to grade by hand, then one column per graded cell (its
  grade id; ``pending`` for an answer not graded yet, never 0);
- ``blackboard-grade-center.csv`` (or, with ``delimiter="\\t"``, the tab-delimited
  ``blackboard-grade-center.xls``): Blackboard Learn's Grade Center upload layout (below);
- ``objective-mastery.csv`` and ``objective-mastery.html``: per learning objective, learners
  who attempted it, their mean share of its points, and the share of learners with at least
  80% of them, least-mastered first.

**The Blackboard file** follows Blackboard Learn's help for uploading grades (Original Course
View, *Grade Center → Work Offline → Upload*): "Uploading or Downloading Grade Center Items for
Working Offline",
http://library.blackboard.com/ref/3ea64795-6ecc-4abd-b595-0a9a8dfdec94/Content/_instructor_grade_center/grade_center_upload_download.htm
(the same text is today's help.blackboard.com page "Work offline with grade data"; a copy:
https://und.teamdynamix.com/TDClient/2048/IT/KB/ArticleDet?ID=59084). What it says, and what
this file does:

- learners are matched on their **username**: columns ``Last Name``, ``First Name``,
  ``Username`` (the nbgrader learner id, which is the Blackboard username when work is
  collected with ``clearlib course collect-lms``), one row per learner after a header row;
- a grade column is matched on its **column ID**: a header as Blackboard writes it in its own
  downloads, ``<name> [Total Pts: <points> Score] |<column id>`` (``Week 02 [Total Pts: 18
  Score] |123456``), updates that column. A column without an ID makes a **new column**, which
  Blackboard adds as a text column worth 0 points (not counted in totals until edited): the
  header is then the assignment's name, and :meth:`ExportResult.summary` says so;
- comma-delimited files (``.csv``) must hold every value in a quote character (``"``);
  tab-delimited files (the help gives them the extension ``.xls``) need none. Blackboard
  recommends tab-delimited files.

A grade waits for a hand grade when nbgrader's ``needs_manual_grade`` is true (a written
answer nobody has graded, or one changed since). While any does, :func:`export_grades` stops
and names who and what (``PendingGradesError``), unless told to leave those learners out of
the Blackboard file (``pending="complete_only"``) or to send provisional totals
(``pending="include"``).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearlib._exceptions import ClearlibError, ConfigError
from clearlib.course._notebook import (
    course_config,
    objectives,
    read_assignment,
)
from clearlib.course._notebook import course_dir as _course_dir

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ExportResult",
    "PendingGradesError",
    "PointsPossible",
    "blackboard_table",
    "cell_scores",
    "export_grades",
    "grades_table",
    "mastery_figure",
    "objective_mastery",
    "points_possible",
]

MASTERY_THRESHOLD = 0.8
BLACKBOARD_FILE = "blackboard-grade-center.csv"
#: The tab-delimited form: Blackboard's help gives tab-delimited uploads the extension .xls.
BLACKBOARD_TAB_FILE = "blackboard-grade-center.xls"
_DELIMITERS = {",": BLACKBOARD_FILE, "\t": BLACKBOARD_TAB_FILE}
PENDING = "pending"
_PENDING_CHOICES = ("stop", "complete_only", "include")


class PendingGradesError(ClearlibError):
    """Answers still wait for a hand grade, so some totals are not final (names who and what)."""


@dataclass(frozen=True)
class PointsPossible:
    """What one assignment is worth: every graded cell's points, and those graded by hand."""

    assignment: str
    total: float
    by_hand: float

    @property
    def autograded(self) -> float:
        """The points the autograder gives."""
        return self.total - self.by_hand

    def __str__(self) -> str:
        return (
            f"{self.assignment}: {self.total:g} points possible "
            f"({self.autograded:g} autograded, {self.by_hand:g} graded by hand)"
        )


def _manual_names(nb: Any) -> set[str]:
    """Grade ids of a gradebook notebook that a person grades: written answers and tasks."""
    return {c.name for c in nb.solution_cells} | {c.name for c in nb.task_cells}


def _gradebook_url(root: Path) -> tuple[str, str]:
    cfg = course_config(root)
    url = str(cfg.CourseDirectory.db_url or f"sqlite:///{root / 'gradebook.db'}")
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise ConfigError(
            f"No gradebook at {url.removeprefix('sqlite:///')}: nothing has been graded yet. "
            "Grade first: clearlib course grade ASSIGNMENT."
        )
    return url, str(cfg.CourseDirectory.course_id or "clear")


def _source_order(root: Path, assignment: str) -> dict[str, int]:
    try:
        info = read_assignment(assignment, course=root)
    except ConfigError:
        return {}
    return {c.grade_id: i for i, c in enumerate(info.cells)}


def cell_scores(assignments: list[str] | None = None, *, course_dir: Any = None) -> pd.DataFrame:
    """Every graded cell of every submission: one row per learner, assignment and grade id.

    Parameters
    ----------
    assignments : list of str, optional
        Only these assignments (default: every assignment in the gradebook).
    course_dir : path, optional
        The course root (default: ``course/`` of the checkout, or ``$CLEAR_COURSE_DIR``).

    Returns
    -------
    pandas.DataFrame
        Columns ``learner, assignment, notebook, grade_id, score, max_score,
        needs_manual_grade``; learners without a submission have no rows.

    Examples
    --------
    >>> cell_scores(["01-getting-started"]).columns.tolist()  # doctest: +SKIP
    ['learner', 'assignment', 'notebook', 'grade_id', 'score', 'max_score', 'needs_manual_grade']
    """
    import pandas as pd
    from nbgrader.api import Gradebook

    root = _course_dir(course_dir)
    url, course_id = _gradebook_url(root)
    rows = []
    with Gradebook(url, course_id) as gb:
        known = [a.name for a in gb.assignments]
        chosen = _chosen(assignments, known)
        for name in chosen:
            for sub in gb.assignment_submissions(name):
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        rows.append(
                            {
                                "learner": sub.student.id,
                                "assignment": name,
                                "notebook": nb.name,
                                "grade_id": grade.name,
                                "score": float(grade.score or 0.0),
                                "max_score": float(grade.max_score or 0.0),
                                "needs_manual_grade": bool(grade.needs_manual_grade),
                            }
                        )
    columns = [
        "learner",
        "assignment",
        "notebook",
        "grade_id",
        "score",
        "max_score",
        "needs_manual_grade",
    ]
    return pd.DataFrame(rows, columns=columns)


def _chosen(assignments: list[str] | None, known: list[str]) -> list[str]:
    if not assignments:
        return sorted(known)
    missing = [a for a in assignments if a not in known]
    if missing:
        raise ConfigError(
            f"No grades for {', '.join(missing)} in the gradebook. Assignments with grades: "
            f"{', '.join(sorted(known)) or 'none yet'}. Grade first: clearlib course grade "
            f"{missing[0]}."
        )
    return list(assignments)


def grades_table(assignment: str, *, course_dir: Any = None) -> pd.DataFrame:
    """One row per learner for one assignment: total, percent and each graded cell's score.

    A learner in the gradebook who handed nothing in scores 0 with ``submitted`` False (as
    ``nbgrader export`` does). A late penalty is taken off the score, never below 0. An answer
    waiting for a hand grade (nbgrader's ``needs_manual_grade``) is ``"pending"`` in its column,
    counts in ``pending_points`` (not in ``score``, the points so far) and makes the learner's
    status ``pending`` instead of ``complete``.

    Returns
    -------
    pandas.DataFrame
        Columns ``learner, assignment, submitted, status, score, max, percent,
        pending_points, pending_answers``, then one column per graded cell (its grade id, in
        notebook order).

    Examples
    --------
    >>> grades_table("01-getting-started").columns[:6].tolist()  # doctest: +SKIP
    ['learner', 'assignment', 'submitted', 'score', 'max', 'percent']
    """
    import pandas as pd
    from nbgrader.api import Gradebook, MissingEntry

    root = _course_dir(course_dir)
    url, course_id = _gradebook_url(root)
    order = _source_order(root, assignment)
    rows = []
    with Gradebook(url, course_id) as gb:
        _chosen([assignment], [a.name for a in gb.assignments])
        record = gb.find_assignment(assignment)
        max_score = float(record.max_score or 0.0)
        cell_ids = [c.name for nb in record.notebooks for c in (*nb.grade_cells, *nb.task_cells)]
        cell_ids.sort(key=lambda g: (order.get(g, len(order)), g))
        for student in sorted(gb.students, key=lambda s: s.id):
            row: dict[str, Any] = {"learner": student.id, "assignment": assignment}
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                row.update(
                    submitted=False,
                    status="not submitted",
                    score=0.0,
                    pending_points=0.0,
                    pending_answers="",
                )
            else:
                penalty = float(sub.late_submission_penalty or 0.0)
                grades = [g for nb in sub.notebooks for g in nb.grades]
                waiting = [g for g in grades if g.needs_manual_grade]
                done = sum(float(g.score or 0.0) for g in grades if not g.needs_manual_grade)
                row.update(
                    submitted=True,
                    status=PENDING if waiting else "complete",
                    score=max(0.0, done - penalty),
                    pending_points=sum(float(g.max_score or 0.0) for g in waiting),
                    pending_answers=" ".join(sorted(g.name for g in waiting)),
                )
                row.update(
                    {
                        g.name: PENDING if g.needs_manual_grade else float(g.score or 0.0)
                        for g in grades
                    }
                )
            rows.append(row)
    head = [
        "learner",
        "assignment",
        "submitted",
        "status",
        "score",
        "max",
        "percent",
        "pending_points",
        "pending_answers",
    ]
    table = pd.DataFrame(rows, columns=[*head, *cell_ids])
    table["max"] = max_score
    table["score"] = table["score"].astype(float)
    table["percent"] = (100 * table["score"] / max_score).round(1) if max_score else 0.0
    table["submitted"] = table["submitted"].astype(bool)
    table["pending_points"] = table["pending_points"].astype(float)
    return table


def points_possible(assignment: str, *, course_dir: Any = None) -> PointsPossible:
    """The points an assignment is worth, and how many of them are graded by hand.

    Give its Blackboard Grade Center column ``total`` points.

    Examples
    --------
    >>> print(points_possible("02-working-with-tables"))  # doctest: +SKIP
    02-working-with-tables: 21 points possible (18 autograded, 3 graded by hand)
    """
    from nbgrader.api import Gradebook

    root = _course_dir(course_dir)
    url, course_id = _gradebook_url(root)
    with Gradebook(url, course_id) as gb:
        _chosen([assignment], [a.name for a in gb.assignments])
        record = gb.find_assignment(assignment)
        total = by_hand = 0.0
        for nb in record.notebooks:
            manual = _manual_names(nb)
            for cell in (*nb.grade_cells, *nb.task_cells):
                points = float(cell.max_score or 0.0)
                total += points
                written = getattr(cell, "cell_type", "") == "markdown"
                by_hand += points if cell.name in manual or written else 0.0
    return PointsPossible(assignment, total, by_hand)


def blackboard_table(
    grades: Mapping[str, pd.DataFrame],
    *,
    names: Mapping[str, tuple[str, str]] | None = None,
    column_ids: Mapping[str, str] | None = None,
    complete_only: bool = False,
) -> pd.DataFrame:
    """Grades in Blackboard Learn's Grade Center upload layout: one row per learner.

    Parameters
    ----------
    grades : mapping of assignment to DataFrame
        :func:`grades_table` of each assignment.
    names : mapping of learner to (first name, last name), optional
        From the gradebook (``nbgrader db student import``); blank when unknown.
    column_ids : mapping of assignment to Grade Center column id, optional
        The id after ``|`` in a column header of a file downloaded from the Grade Center.
        With it the upload updates that column; without it Blackboard makes a new column.
    complete_only : bool
        Leave blank the learners whose grade is not final (``status`` ``pending``: an answer
        waits for a hand grade), so Blackboard keeps what it has for them.

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"learner": ["ab12"], "submitted": [True], "score": [7.5], "max": [10.0]})
    >>> t = blackboard_table({"01-getting-started": g}, column_ids={"01-getting-started": "1234"})
    >>> t.columns.tolist()
    ['Last Name', 'First Name', 'Username', '01-getting-started [Total Pts: 10 Score] |1234']
    >>> t.iloc[0].tolist()
    ['', '', 'ab12', '7.5']
    """
    import pandas as pd

    names = names or {}
    column_ids = column_ids or {}
    learners = sorted({str(x) for g in grades.values() for x in g["learner"]})
    out = pd.DataFrame(
        {
            "Last Name": [names.get(x, ("", ""))[1] or "" for x in learners],
            "First Name": [names.get(x, ("", ""))[0] or "" for x in learners],
            "Username": learners,
        }
    )
    for assignment, table in grades.items():
        most = float(table["max"].iloc[0]) if len(table) else 0.0
        cid = column_ids.get(assignment)
        header = f"{assignment} [Total Pts: {most:g} Score] |{cid}" if cid else assignment
        done = table[table["submitted"]]
        if complete_only and "status" in done:
            done = done[done["status"] != PENDING]
        scores = {str(r.learner): f"{float(r.score):g}" for r in done.itertuples()}
        out[header] = [scores.get(x, "") for x in learners]
    return out.sort_values(["Last Name", "First Name", "Username"], kind="stable").reset_index(
        drop=True
    )


def objective_mastery(
    assignments: list[str] | None = None,
    *,
    course_dir: Any = None,
    threshold: float = MASTERY_THRESHOLD,
) -> pd.DataFrame:
    """Per learning objective: how many learners attempted it and how many mastered it.

    A learner attempted an objective when they handed in an assignment with a graded cell
    tagged with it. Their share is the points they earned on those cells over the points
    possible; answers still waiting for a hand grade are left out of both. A learner masters
    the objective with a share of at least ``threshold``.

    Returns
    -------
    pandas.DataFrame
        Columns ``objective, week, text, assignments, learners_attempted, mean_share,
        share_mastered, ungraded_answers``, the least-mastered objective first.

    Examples
    --------
    >>> m = objective_mastery()  # doctest: +SKIP
    >>> m[["objective", "share_mastered"]].head(1)  # doctest: +SKIP
      objective  share_mastered
    0     LO2.3            0.42
    """
    import pandas as pd

    if not 0 < threshold <= 1:
        raise ConfigError(f"threshold must be a share between 0 and 1; it is {threshold}.")
    root = _course_dir(course_dir)
    scores = cell_scores(assignments, course_dir=root)
    tags = []
    for name in sorted(scores["assignment"].unique()):
        try:
            info = read_assignment(str(name), course=root)
        except ConfigError:
            continue  # graded, but its source is gone: its cells have no known objectives
        tags += [
            {"assignment": name, "grade_id": c.grade_id, "objective": o}
            for c in info.cells
            for o in c.objectives
        ]
    columns = [
        "objective",
        "week",
        "text",
        "assignments",
        "learners_attempted",
        "mean_share",
        "share_mastered",
        "ungraded_answers",
    ]
    tagged = scores.merge(pd.DataFrame(tags, columns=["assignment", "grade_id", "objective"]))
    if tagged.empty:
        return pd.DataFrame(columns=columns)
    ungraded = tagged[tagged["needs_manual_grade"]].groupby("objective").size()
    graded = tagged[~tagged["needs_manual_grade"]]
    per_learner = graded.groupby(["objective", "learner"], as_index=False)[
        ["score", "max_score"]
    ].sum()
    per_learner = per_learner[per_learner["max_score"] > 0]
    per_learner["share"] = per_learner["score"] / per_learner["max_score"]
    per_learner["mastered"] = per_learner["share"] >= threshold
    summary = per_learner.groupby("objective").agg(
        learners_attempted=("learner", "nunique"),
        mean_share=("share", "mean"),
        share_mastered=("mastered", "mean"),
    )
    where = tagged.groupby("objective")["assignment"].agg(lambda s: ", ".join(sorted(set(s))))
    known = objectives()
    table = pd.DataFrame({"objective": sorted(set(tagged["objective"]))})
    table["week"] = [known[o].week if o in known else pd.NA for o in table["objective"]]
    table["text"] = [known[o].text if o in known else "" for o in table["objective"]]
    table["assignments"] = table["objective"].map(where)
    table = table.merge(summary, left_on="objective", right_index=True, how="left")
    table["learners_attempted"] = table["learners_attempted"].fillna(0).astype(int)
    table["ungraded_answers"] = table["objective"].map(ungraded).fillna(0).astype(int)
    table["mean_share"] = table["mean_share"].astype(float).round(3)
    table["share_mastered"] = table["share_mastered"].astype(float).round(3)
    table = table.sort_values(["share_mastered", "mean_share", "objective"], na_position="last")
    return table[columns].reset_index(drop=True)


def mastery_figure(mastery: pd.DataFrame, *, threshold: float = MASTERY_THRESHOLD) -> Any:
    """A bar chart: the share of learners who mastered each objective, least-mastered on top.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"objective": ["LO1.3"], "text": ["Compute list sizes."],
    ...                   "share_mastered": [0.5], "learners_attempted": [4]})
    >>> mastery_figure(m).layout.xaxis.title.text
    'Learners with at least 80% of the points (%)'
    """
    import plotly.graph_objects as go

    from clearlib.viz import finish

    data = mastery.iloc[::-1]  # plotly draws the first bar at the bottom
    labels = [
        f"{o}: {t}" if len(t) <= 60 else f"{o}: {t[:57]}..."
        for o, t in zip(data["objective"], data["text"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=(100 * data["share_mastered"].astype(float)).round(1),
            y=labels,
            orientation="h",
            customdata=data["learners_attempted"],
            hovertemplate="%{y}<br>%{x}% of %{customdata} learners<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, 100])
    fig.update_layout(height=max(320, 60 + 40 * len(data)))
    return finish(
        fig,
        "Which objectives did learners master?",
        f"Learners with at least {threshold:.0%} of the points (%)",
        "Learning objective",
        "CLEAR course gradebook (nbgrader)",
    )


@dataclass
class ExportResult:
    """The files :func:`export_grades` wrote, and the tables in them."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    grades: dict[str, Any] = field(default_factory=dict)
    mastery: Any = None
    points: dict[str, PointsPossible] = field(default_factory=dict)
    pending: list[tuple[str, str, str, float]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    new_columns: list[str] = field(default_factory=list)
    board_file: str = BLACKBOARD_FILE

    def summary(self) -> str:
        """What was written, one file a line; the points to give each Blackboard column; what
        waits for a hand grade.

        Examples
        --------
        >>> ExportResult(Path("exports")).summary()
        'Exported 0 files to exports'
        """
        lines = [f"Exported {len(self.files)} files to {self.folder}"]
        lines += [f"  {p.name}" for p in self.files]
        if self.points:
            lines.append("Points possible (give each Blackboard column this many points):")
            lines += [f"  {p}" for p in self.points.values()]
        if self.pending:
            lines.append(_pending_message(self.pending, stopped=False))
        if self.left_out:
            lines.append(
                f"Left blank in {self.board_file} (not final yet): "
                + ", ".join(f"{x} ({a})" for a, x in self.left_out)
            )
        for name in self.new_columns:
            points = self.points.get(name)
            worth = f" worth {points.total:g} points" if points else ""
            lines.append(
                f"No Blackboard column ID for {name}: the upload makes a NEW column "
                f"{name!r}, which Blackboard creates as a text column worth 0 points. Edit it "
                f"(Edit Column Information) into a score column{worth}, or export again with "
                "its column ID (--blackboard-column-id) to update the column you created."
            )
        return "\n".join(lines)


def _pending_rows(grades: Mapping[str, pd.DataFrame]) -> list[tuple[str, str, str, float]]:
    """``(assignment, learner, grade ids, points)`` of each learner with answers waiting for a
    hand grade."""
    rows = []
    for name, table in grades.items():
        for row in table[table["status"] == PENDING].itertuples(index=False):
            cells = ", ".join(str(row.pending_answers).split())
            rows.append((name, str(row.learner), cells, float(row.pending_points)))
    return rows


def _pending_message(rows: list[tuple[str, str, str, float]], *, stopped: bool = True) -> str:
    """Who and what waits for a hand grade, and what to do."""
    who = "; ".join(
        f"{learner} ({assignment}: {cells}, {points:g} points)"
        for assignment, learner, cells, points in rows
    )
    head = (
        f"{len(rows)} learner(s) have answers waiting for a hand grade, so their totals are "
        f"not final: {who}."
    )
    if not stopped:
        return "Pending hand grades: " + head
    return (
        head + " Grade them in the formgrader (Nbgrader > Formgrader > Manual Grading) and "
        "export again; or export now with --complete-only (those learners are left blank in "
        "the Blackboard file, which keeps what it has for them) or --include-pending "
        "(their points so far, not final)."
    )


def _write_csv(table: pd.DataFrame, path: Path, *, quote_all: bool = False, sep: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(
        path, index=False, sep=sep, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    return path


def export_grades(
    assignments: list[str] | None = None,
    *,
    course_dir: Any = None,
    out: str | Path | None = None,
    column_ids: Mapping[str, str] | None = None,
    pending: str = "stop",
    delimiter: str = ",",
) -> ExportResult:
    """Write the grades CSVs, the Blackboard upload file and the objective mastery table and chart.

    Parameters
    ----------
    assignments : list of str, optional
        The assignments to export (default: every assignment with grades).
    course_dir : path, optional
        The course root (default: ``course/`` of the checkout, or ``$CLEAR_COURSE_DIR``).
    out : path, optional
        The folder to write (default: ``<course>/exports``).
    column_ids : mapping of assignment to Grade Center column id, optional
        See :func:`blackboard_table`.
    pending : {"stop", "complete_only", "include"}
        What to do while answers wait for a hand grade. ``"stop"`` (default): write nothing
        and raise :class:`PendingGradesError` naming each learner and answer. ``"complete_only"``:
        write every file, but leave learners with a pending answer blank in the Blackboard file.
        ``"include"``: write their provisional totals (points so far) too. The grades CSV
        always marks pending answers ``pending``.
    delimiter : {",", "\\t"}
        The Blackboard file's delimiter: ``","`` writes ``blackboard-grade-center.csv``, every
        value in quotes; ``"\\t"`` writes the tab-delimited ``blackboard-grade-center.xls``
        (Blackboard's help gives tab-delimited uploads that extension; no quotes needed).

    Returns
    -------
    ExportResult
        The files written and the tables in them.

    Raises
    ------
    ConfigError
        If there is no gradebook yet, or an assignment has no grades.
    PendingGradesError
        If answers wait for a hand grade and ``pending="stop"``.

    Examples
    --------
    >>> result = export_grades(["01-getting-started"])  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    Exported 4 files to course/exports
      01-getting-started-grades.csv
      blackboard-grade-center.csv
      objective-mastery.csv
      objective-mastery.html
    """
    from nbgrader.api import Gradebook

    if pending not in _PENDING_CHOICES:
        raise ConfigError(f"pending must be one of {_PENDING_CHOICES}; got {pending!r}.")
    if delimiter not in _DELIMITERS:
        raise ConfigError(
            f"delimiter must be ',' (quoted CSV) or '\\t' (tab-delimited), the two Blackboard "
            f"accepts; got {delimiter!r}."
        )
    root = _course_dir(course_dir)
    folder = Path(out) if out is not None else root / "exports"
    url, course_id = _gradebook_url(root)
    with Gradebook(url, course_id) as gb:
        chosen = _chosen(assignments, [a.name for a in gb.assignments])
        names = {s.id: (s.first_name or "", s.last_name or "") for s in gb.students}
    unknown = sorted(set(column_ids or {}) - set(chosen))
    if unknown:
        raise ConfigError(
            f"Blackboard column ids given for {', '.join(unknown)}, which is not being "
            f"exported. Exporting: {', '.join(chosen) or 'nothing'}."
        )
    result = ExportResult(folder, board_file=_DELIMITERS[delimiter])
    result.new_columns = [name for name in chosen if not (column_ids or {}).get(name)]
    for name in chosen:
        result.grades[name] = grades_table(name, course_dir=root)
        result.points[name] = points_possible(name, course_dir=root)
    result.pending = _pending_rows(result.grades)
    if result.pending and pending == "stop":
        raise PendingGradesError(_pending_message(result.pending))
    for name, table in result.grades.items():
        result.files.append(_write_csv(table, folder / f"{name}-grades.csv"))
    board = blackboard_table(
        result.grades,
        names=names,
        column_ids=column_ids,
        complete_only=pending == "complete_only",
    )
    if pending == "complete_only":
        result.left_out = sorted({(a, x) for a, x, _, _ in result.pending})
    result.files.append(
        _write_csv(board, folder / result.board_file, quote_all=delimiter == ",", sep=delimiter)
    )
    result.mastery = objective_mastery(chosen, course_dir=root)
    result.files.append(_write_csv(result.mastery, folder / "objective-mastery.csv"))
    if len(result.mastery):
        html_path = folder / "objective-mastery.html"
        mastery_figure(result.mastery).write_html(html_path, include_plotlyjs=True)
        result.files.append(html_path)
    return result
