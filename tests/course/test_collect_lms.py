"""Blackboard in and out: a synthetic Assignment File Download is collected, graded, given
feedback packaged per learner, and exported in the Grade Center upload layout.

The download (built here, named as Blackboard names its files: clearlib/course/_lms.py cites
the sources) holds, for the tiny fixture assignment ``01-tiny-list-sizes`` (due 2026-01-12
12:00 UTC; Blackboard's times are UK time, which in January is UTC):

=======  ==========================  ===============================================
learner  attempt (Blackboard time)   files
=======  ==========================  ===============================================
ada      2026-01-12 08:00            the blank release (an older attempt)
ada      2026-01-12 09:30            the model answers; a second notebook (a copy)
bob      2026-01-13 10:15 (late)     the model answers
cy       2026-01-12 11:00            the model answers renamed ``my work (1).ipynb``;
                                     ``notes.pdf``
zed      2026-01-12 10:00            a notebook (zed is not in the cohort)
=======  ==========================  ===============================================

Each attempt has Blackboard's ``.txt`` details file, and the zip has a ``README.txt`` that
Blackboard did not name. The course penalises late work with nbgrader's ``zero`` method, so
bob's autograded points are all taken off.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import sys
import warnings
import zipfile
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import _tutor_week as week

from clearlib import ConfigError
from clearlib.course import (
    collect_lms,
    export_grades,
    generate_feedback,
    grade_assignment,
    grades_table,
    package_feedback,
    read_assignment,
)
from clearlib.course._cli import course_app
from clearlib.course._lms import (
    CollectError,
    attempt_file_name,
    parse_attempt_file,
    plan_collection,
)

SOURCE = Path(__file__).parent / "fixtures_check" / "source"
A = "01-tiny-list-sizes"
TITLE = "Week 01 list sizes"  # the assignment's name in Blackboard
DUE = dt.datetime(2026, 1, 12, 12, 0)
NAMES = {"ada": ("Ada", "Lovelace"), "bob": ("Bob", "Okafor"), "cy": ("Cy", "Twombly")}
ATTEMPTS = {  # (learner, attempt time): [(file name, content)]
    ("ada", dt.datetime(2026, 1, 12, 8, 0)): [(f"{A}.ipynb", "blank")],
    ("ada", dt.datetime(2026, 1, 12, 9, 30)): [(f"{A}.ipynb", "model"), (f"{A}-Copy1.ipynb", "blank")],
    ("bob", dt.datetime(2026, 1, 13, 10, 15)): [(f"{A}.ipynb", "model")],
    ("cy", dt.datetime(2026, 1, 12, 11, 0)): [("my work (1).ipynb", "model"), ("notes.pdf", "pdf")],
    ("zed", dt.datetime(2026, 1, 12, 10, 0)): [(f"{A}.ipynb", "model")],
}  # fmt: skip


def details(learner: str, when: dt.datetime, files: list[str]) -> str:
    """Blackboard's attempt details file, as the organisers cited in _lms.py read it."""
    first, last = NAMES.get(learner, ("Zed", "Unknown"))
    lines = [
        f"Name: {first} {last} ({learner})",
        f"Assignment: {TITLE}",
        f"Date Submitted: {when:%A, %d %B %Y %H:%M:%S} o'clock GMT",
        "Current Mark: Needs Marking",
        "",
        "Submission Field:",
        "There is no student submission text data for this assignment.",
        "",
        "Comments:",
        "There are no student comments for this assignment.",
        "",
        "Files:",
    ]
    for name in files:
        lines += [
            f"\tOriginal filename: {name}",
            f"\tFilename: {attempt_file_name(TITLE, learner, when, name)}",
        ]
    return "\n".join(lines) + "\n"


def blackboard_zip(course: Path, path: Path) -> Path:
    """The Assignment File Download of the module docstring."""
    nbs = {
        "model": nbformat.read(course / "source" / A / f"{A}.ipynb", as_version=4),
        "blank": nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4),
    }
    with zipfile.ZipFile(path, "w") as zf:
        for (learner, when), files in ATTEMPTS.items():
            zf.writestr(
                attempt_file_name(TITLE, learner, when),
                details(learner, when, [name for name, _ in files]),
            )
            for name, content in files:
                data = b"%PDF-1.4\n" if content == "pdf" else nbformat.writes(nbs[content])
                zf.writestr(attempt_file_name(TITLE, learner, when, name), data)
        zf.writestr("README.txt", "Downloaded from Blackboard\n")
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny assignment released, due at noon, a cohort of three, late work scored zero."""
    from nbgrader.api import Gradebook

    root = week.release(tmp_path_factory.mktemp("blackboard") / "course", A, SOURCE)
    with (root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{root / 'gradebook.db'}", "clear") as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_assignment(A, duedate=DUE)
        for learner, (first, last) in NAMES.items():
            gb.add_student(learner, first_name=first, last_name=last)
    return root


@pytest.fixture(scope="module")
def download(course: Path) -> Path:
    """The synthetic Blackboard zip."""
    return blackboard_zip(course, course.parent / "gradebook_CLEAR_Week01_2026-01-14.zip")


@pytest.fixture(scope="module")
def collected(course: Path, download: Path):
    """The download collected with collect_lms."""
    return collect_lms(download, A, course_dir=course)


def test_file_names_read_as_blackboard_writes_them() -> None:
    """Username, attempt time and the learner's file name come back out of Blackboard's name."""
    when = dt.datetime(2026, 1, 12, 9, 30, 5)
    name = attempt_file_name("Week 01_v2", "ab_12", when, "my_work.ipynb")
    assert name == "Week 01_v2_ab_12_attempt_2026-01-12-09-30-05_my_work.ipynb"
    info = parse_attempt_file(name)
    assert (info.prefix, info.attempt, info.original) == ("Week 01_v2_ab_12", when, "my_work.ipynb")
    assert parse_attempt_file("Week 01_ab12_attempt_2026-13-40-09-30-05.txt") is None


def test_summer_attempt_times_become_utc_and_underscored_usernames_are_found(
    tmp_path: Path,
) -> None:
    """A June attempt at 12:30 UK time is 11:30 UTC, late for an 11:00 UTC due date; the
    username ``ab_12`` (with an underscore) is read from the details file; a username not in
    the cohort is placed only when accepted."""
    when = dt.datetime(2026, 6, 1, 12, 30)
    nb = tmp_path / attempt_file_name("Week_01", "ab_12", when, "w.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), nb)
    (tmp_path / attempt_file_name("Week_01", "ab_12", when)).write_text(
        "Name: A B (ab_12)\n", encoding="utf-8"
    )
    placed, unplaced = plan_collection(
        tmp_path.iterdir(), notebooks=["w.ipynb"], due=dt.datetime(2026, 6, 1, 11, 0)
    )
    assert [(p.learner, p.attempt_utc, p.late) for p in placed] == [
        ("ab_12", dt.datetime(2026, 6, 1, 11, 30), True)
    ]
    assert placed[0].late_by == dt.timedelta(minutes=30)
    assert [u.kind for u in unplaced] == ["attempt-details"]
    strict = plan_collection(tmp_path.iterdir(), notebooks=["w.ipynb"], learners=["cd34"])
    assert strict[0] == [] and "--accept-unknown" in strict[1][-1].reason
    loose, _ = plan_collection(
        tmp_path.iterdir(), notebooks=["w.ipynb"], learners=["cd34"], accept_unknown=True
    )
    assert [(p.learner, p.unknown) for p in loose] == [("ab_12", True)]
    with pytest.raises(ConfigError, match="Unknown time zone 'GMT\\+1'"):
        plan_collection(tmp_path.iterdir(), notebooks=["w.ipynb"], timezone="GMT+1")


def test_collect_places_the_latest_attempt_of_each_learner(course: Path, collected) -> None:
    """ada's later attempt, bob's late one and cy's renamed notebook are placed under the
    assignment's name, each with its attempt time (UTC) as nbgrader's submission time."""
    placed = {p.learner: p for p in collected.placed}
    assert sorted(placed) == ["ada", "bob", "cy"]
    assert all(p.notebook == f"{A}.ipynb" for p in placed.values())
    assert placed["ada"].attempt == dt.datetime(2026, 1, 12, 9, 30)
    assert placed["cy"].renamed_from == "my work (1).ipynb"
    assert [p.learner for p in collected.late] == ["bob"]
    assert placed["bob"].late_by == dt.timedelta(hours=22, minutes=15)
    assert collected.due == DUE and collected.cohort_known
    for learner, stamp in [
        ("ada", "2026-01-12 09:30:00"),
        ("bob", "2026-01-13 10:15:00"),
        ("cy", "2026-01-12 11:00:00"),
    ]:
        folder = course / "submitted" / learner / A
        assert sorted(p.name for p in folder.iterdir()) == [f"{A}.ipynb", "timestamp.txt"]
        assert (folder / "timestamp.txt").read_text(encoding="utf-8") == stamp
    model = nbformat.writes(nbformat.read(course / "source" / A / f"{A}.ipynb", as_version=4))
    ada = (course / "submitted" / "ada" / A / f"{A}.ipynb").read_text(encoding="utf-8")
    assert ada == model  # the later attempt (the model answers), not the blank one
    assert not (course / "submitted" / "zed").exists()


def test_every_file_not_placed_has_its_reason(collected) -> None:
    """The unknown username, the PDF, the second notebook, the older attempt, the file not
    named by Blackboard, and the five details files: each listed, with why."""
    t = {  # the Blackboard names, shortened
        (learner, when): attempt_file_name(TITLE, learner, when) for (learner, when) in ATTEMPTS
    }
    ada1, ada2, _, cy, zed = t.values()
    why = {u.file.rsplit("/", 1)[-1]: (u.kind, u.learner) for u in collected.unplaced}
    assert why == {
        ada1: ("attempt-details", "ada"),
        ada2: ("attempt-details", "ada"),
        attempt_file_name(TITLE, "bob", dt.datetime(2026, 1, 13, 10, 15)): (
            "attempt-details",
            "bob",
        ),
        cy: ("attempt-details", "cy"),
        zed: ("attempt-details", "zed"),
        ada1.removesuffix(".txt") + f"_{A}.ipynb": ("older-attempt", "ada"),
        ada2.removesuffix(".txt") + f"_{A}-Copy1.ipynb": ("second-file", "ada"),
        cy.removesuffix(".txt") + "_notes.pdf": ("not-a-notebook", "cy"),
        zed.removesuffix(".txt") + f"_{A}.ipynb": ("unknown-username", "zed"),
        "README.txt": ("unrecognised-name", None),
    }
    reasons = {u.kind: u.reason for u in collected.problems}
    assert reasons["unknown-username"].startswith("unknown username: not a learner in the")
    assert "superseded by 2026-01-12 09:30:00" in reasons["older-attempt"]
    assert reasons["not-a-notebook"] == "not a notebook: .pdf"
    text = collected.summary()
    assert "Not placed (5):" in text and "Read 5 attempt-details files" in text
    assert "bob: 01-tiny-list-sizes.ipynb, attempt 2026-01-13 10:15:00, late by 22 h 15 min" in text


def test_cli_collect_lms_prints_the_table_and_warns(course: Path, download: Path) -> None:
    """The command prints the placed table and the reasons, exits 0 with a warning; a file
    that is not a zip is an error (exit 1) naming what to download."""
    runner = CliRunner()
    args = ["collect-lms", str(download), A, "--course-dir", str(course)]
    result = runner.invoke(course_app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Collected 3 notebooks of 01-tiny-list-sizes (due 2026-01-12 12:00 UTC)" in result.output
    assert "late" in result.output and "renamed from my work (1).ipynb" in result.output
    assert "Warning: 5 file(s) not placed:" in result.output
    assert "unknown username" in result.output
    bad = course.parent / "not-a-zip.zip"
    bad.write_text("no", encoding="utf-8")
    failed = runner.invoke(course_app, ["collect-lms", str(bad), A, "--course-dir", str(course)])
    assert failed.exit_code == 1
    assert "CollectError" in failed.output and "Assignment File Download" in failed.output
    with pytest.raises(CollectError, match="No file at"):
        collect_lms(course / "missing.zip", A, course_dir=course)
    with pytest.raises(ConfigError, match="No notebooks for assignment '02-tables'"):
        collect_lms(download, "02-tables", course_dir=course)


@pytest.fixture(scope="module")
def graded(course: Path, collected):
    """Grade the three collected learners in one call (after the CLI test collected again)."""
    return grade_assignment(A, course_dir=course, jobs=2, progress=False)


@pytest.fixture(scope="module")
def feedback(course: Path, graded):
    """Each graded learner's feedback, written once."""
    return generate_feedback(A, course_dir=course)


def test_grade_feedback_package_and_export(course: Path, graded, feedback, tmp_path: Path) -> None:
    """Grading marks bob late and (late work scores zero here) takes his points off; each
    learner's feedback is one file named with their username, zipped too; the Blackboard file
    has the documented layout, quoted CSV with a column ID, tab-delimited without."""
    from nbgrader.api import Gradebook

    info = read_assignment(A, course=SOURCE.parent)
    autograded = info.autograded_points
    assert [r.status for r in graded] == ["graded"] * 3, graded.summary()
    with (
        warnings.catch_warnings(),
        Gradebook(f"sqlite:///{course / 'gradebook.db'}", "clear") as gb,
    ):
        warnings.simplefilter("ignore")
        late = {x: gb.find_submission(A, x).total_seconds_late for x in ("ada", "bob", "cy")}
        penalty = gb.find_submission(A, "bob").late_submission_penalty
    assert late == {"ada": 0, "bob": (22 * 60 + 15) * 60, "cy": 0}
    assert penalty == autograded
    table = grades_table(A, course_dir=course).set_index("learner")
    assert table.loc["ada", "score"] == autograded  # written answer still pending
    assert table.loc["cy", "score"] == autograded  # the renamed notebook was graded
    assert table.loc["bob", "score"] == 0

    package = package_feedback(A, tmp_path / "returns", course_dir=course)
    names = {x: [p.name for p in paths] for x, paths in package.files.items()}
    assert names == {x: [f"{x}_{A}_feedback.html"] for x in ("ada", "bob", "cy")}
    with zipfile.ZipFile(package.archive) as zf:
        assert sorted(zf.namelist()) == sorted(f"{x}_{A}_feedback.html" for x in names)
    assert "Score so far" in (tmp_path / "returns" / f"ada_{A}_feedback.html").read_text(
        encoding="utf-8"
    )

    result = export_grades(
        [A], course_dir=course, out=tmp_path / "csv", column_ids={A: "123456"}, pending="include"
    )
    lines = (tmp_path / "csv" / "blackboard-grade-center.csv").read_text(encoding="utf-8")
    total = info.max_points
    assert lines.splitlines() == [
        f'"Last Name","First Name","Username","{A} [Total Pts: {total:g} Score] |123456"',
        f'"Lovelace","Ada","ada","{autograded:g}"',
        '"Okafor","Bob","bob","0"',
        f'"Twombly","Cy","cy","{autograded:g}"',
    ]
    assert result.new_columns == []
    tab = export_grades(
        [A], course_dir=course, out=tmp_path / "tab", pending="include", delimiter="\t"
    )
    text = (tmp_path / "tab" / "blackboard-grade-center.xls").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"Last Name\tFirst Name\tUsername\t{A}"
    with (tmp_path / "tab" / "blackboard-grade-center.xls").open(encoding="utf-8") as f:
        rows = {r["Username"]: r[A] for r in csv.DictReader(f, delimiter="\t")}
    assert rows == {"ada": f"{autograded:g}", "bob": "0", "cy": f"{autograded:g}"}
    assert "which Blackboard creates as a text column worth 0 points" in tab.summary()


def test_cli_package_feedback(course: Path, feedback, tmp_path: Path) -> None:
    """`clearlib course package-feedback` names each learner's file and says how to return it."""
    out = tmp_path / "out"
    result = CliRunner().invoke(
        course_app, ["package-feedback", A, str(out), "--course-dir", str(course)]
    )
    assert result.exit_code == 0, result.output
    assert f"bob: bob_{A}_feedback.html" in result.output
    assert "Feedback to Learner" in result.output
    assert (out / f"{A}_feedback.zip").is_file()
    empty = CliRunner().invoke(
        course_app, ["package-feedback", "02-none", str(out), "--course-dir", str(course)]
    )
    assert empty.exit_code == 0 and "No feedback for 02-none yet" in empty.output
    shutil.rmtree(out)
