"""Grade exports and objective mastery, from a gradebook filled in by hand.

Assignment 01-tiny-list-sizes (the fixture: q1 test 2 points LO1.3, q2 test 1 point LO1.2,
q3 written answer 2 points LO1.1+LO1.3; 5 points) and 02-tables (one 4-point test, no source
notebook left, so no known objectives). Learners:

======  ====  ====  =============  =================  ======================
learner  q1    q2    q3 (by hand)  late penalty       01 score (of 5)
======  ====  ====  =============  =================  ======================
ada      2     1     1                                 4  (80%)
bob      0     1     2             1                   2  (40%)
cy       -     -     -             (handed nothing)    0  (0%)
dee      2     0     not graded                        2  (40%)
======  ====  ====  =============  =================  ======================

02-tables: ada 4, bob 2 (of 4).

dee's written answer waits for a hand grade: 2 of her 5 points are pending, so her score so far
is 2 and nothing provisional may reach Blackboard as final unless the tutor says so.
"""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clearlib import ConfigError
from clearlib.course import (
    blackboard_table,
    export_grades,
    grades_table,
    mastery_figure,
    objective_mastery,
)
from clearlib.course._cli import course_app
from clearlib.course._export import PendingGradesError, points_possible
from clearlib.course._notebook import ensure_nbgrader_tools

FIXTURE = Path(__file__).parent / "fixtures_check"
A1, A2 = "01-tiny-list-sizes", "02-tables"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course whose gradebook holds the grades in the module docstring."""
    from nbgrader.api import Gradebook

    ensure_nbgrader_tools()
    root = tmp_path_factory.mktemp("export")
    shutil.copytree(FIXTURE / "source", root / "source")
    with (
        warnings.catch_warnings(),  # nbgrader's own SQLAlchemy session warnings
        Gradebook(f"sqlite:///{root / 'gradebook.db'}", "clear") as gb,
    ):
        warnings.simplefilter("ignore")
        gb.add_assignment(A1)
        gb.add_notebook(A1, A1)
        gb.add_grade_cell("q1-list-sizes-test", A1, A1, max_score=2, cell_type="code")
        gb.add_grade_cell("q2-columns-test", A1, A1, max_score=1, cell_type="code")
        gb.add_grade_cell("q3-explain-list-size", A1, A1, max_score=2, cell_type="markdown")
        gb.add_assignment(A2)
        gb.add_notebook(A2, A2)
        gb.add_grade_cell("q1-filter-test", A2, A2, max_score=4, cell_type="code")
        gb.add_student("ada", first_name="Ada", last_name="Lovelace")
        gb.add_student("bob", first_name="Bob", last_name="Okafor")
        gb.add_student("cy")
        gb.add_student("dee")
        scores = {
            "ada": {"q1-list-sizes-test": 2, "q2-columns-test": 1, "q3-explain-list-size": 1},
            "bob": {"q1-list-sizes-test": 0, "q2-columns-test": 1, "q3-explain-list-size": 2},
            "dee": {"q1-list-sizes-test": 2, "q2-columns-test": 0, "q3-explain-list-size": None},
        }
        for learner, cells in scores.items():
            gb.add_submission(A1, learner)
            for cell, score in cells.items():
                grade = gb.find_grade(cell, A1, A1, learner)
                if cell.startswith("q3"):
                    grade.manual_score = score
                    grade.needs_manual_grade = score is None
                else:
                    grade.auto_score = score
                    grade.needs_manual_grade = False
        gb.find_submission_notebook(A1, A1, "bob").late_submission_penalty = 1.0
        for learner, score in {"ada": 4, "bob": 2}.items():
            gb.add_submission(A2, learner)
            grade = gb.find_grade("q1-filter-test", A2, A2, learner)
            grade.auto_score = score
            grade.needs_manual_grade = False
        gb.db.commit()
    return root


def test_grades_table(course: Path) -> None:
    """Totals after the late penalty, percent of 5, per-question scores, 0 for no submission."""
    table = grades_table(A1, course_dir=course)
    assert table.columns.tolist() == [
        "learner", "assignment", "submitted", "status", "score", "max", "percent",
        "pending_points", "pending_answers",
        "q1-list-sizes-test", "q2-columns-test", "q3-explain-list-size",
    ]  # fmt: skip
    assert table["learner"].tolist() == ["ada", "bob", "cy", "dee"]
    assert table["submitted"].tolist() == [True, True, False, True]
    assert table["status"].tolist() == ["complete", "complete", "not submitted", "pending"]
    assert table["score"].tolist() == [4.0, 2.0, 0.0, 2.0]
    assert table["max"].tolist() == [5.0] * 4
    assert table["percent"].tolist() == [80.0, 40.0, 0.0, 40.0]
    assert table["pending_points"].tolist() == [0.0, 0.0, 0.0, 2.0]
    assert table["pending_answers"].tolist() == ["", "", "", "q3-explain-list-size"]
    assert table["q1-list-sizes-test"].tolist()[:2] == [2.0, 0.0]
    assert table["q3-explain-list-size"].tolist()[:2] == [1.0, 2.0]
    assert table.loc[3, "q3-explain-list-size"] == "pending"  # not 0
    assert pd.isna(table.loc[2, "q1-list-sizes-test"])


def test_points_possible_says_what_the_blackboard_column_is_worth(course: Path) -> None:
    """01: 5 points, 2 of them (the written answer) by hand; 02: 4, none by hand."""
    one = points_possible(A1, course_dir=course)
    assert (one.total, one.by_hand, one.autograded) == (5.0, 2.0, 3.0)
    assert str(one) == "01-tiny-list-sizes: 5 points possible (3 autograded, 2 graded by hand)"
    assert points_possible(A2, course_dir=course).by_hand == 0.0


def test_blackboard_table(course: Path) -> None:
    """Last Name, First Name, Username, one column per assignment; blank when not handed in."""
    grades = {A1: grades_table(A1, course_dir=course), A2: grades_table(A2, course_dir=course)}
    names = {"ada": ("Ada", "Lovelace"), "bob": ("Bob", "Okafor")}
    table = blackboard_table(grades, names=names, column_ids={A1: "4321"})
    assert table.columns.tolist() == [
        "Last Name", "First Name", "Username",
        "01-tiny-list-sizes [Total Pts: 5 Score] |4321", "02-tables",
    ]  # fmt: skip
    assert table.values.tolist() == [
        ["", "", "cy", "", ""],
        ["", "", "dee", "2", ""],
        ["Lovelace", "Ada", "ada", "4", "4"],
        ["Okafor", "Bob", "bob", "2", "2"],
    ]
    complete = blackboard_table(grades, names=names, complete_only=True)
    assert complete.values.tolist()[1] == ["", "", "dee", "", ""]  # pending: left blank


def test_objective_mastery(course: Path) -> None:
    """Shares worked by hand; ungraded answers left out; least-mastered objective first."""
    m = objective_mastery(course_dir=course)
    assert m["objective"].tolist() == ["LO1.3", "LO1.1", "LO1.2"]
    assert m["learners_attempted"].tolist() == [3, 2, 3]
    assert m["mean_share"].tolist() == [0.75, 0.75, 0.667]  # LO1.3: (3/4 + 2/4 + 2/2) / 3
    assert m["share_mastered"].tolist() == [0.333, 0.5, 0.667]  # only dee has 80% of LO1.3
    assert m["ungraded_answers"].tolist() == [1, 1, 0]
    assert m["week"].tolist() == [1, 1, 1]
    assert m["text"].iloc[0] == "Compute list sizes and age-sex structure per practice."
    assert m["assignments"].tolist() == [A1] * 3


def test_mastery_threshold_is_a_share() -> None:
    """A threshold of 80 (a percent, not a share) is refused with a clear message."""
    with pytest.raises(ConfigError, match="share between 0 and 1"):
        objective_mastery(threshold=80)


def test_mastery_figure(course: Path) -> None:
    """One bar per objective, least-mastered at the top, in percent, titled and labelled."""
    fig = mastery_figure(objective_mastery(course_dir=course))
    bar = fig.data[0]
    assert list(bar.y)[-1].startswith("LO1.3: ")  # plotly draws the last category on top
    assert list(bar.x) == [66.7, 50.0, 33.3]
    assert fig.layout.title.text == "Which objectives did learners master?"
    assert fig.layout.xaxis.title.text == "Learners with at least 80% of the points (%)"


def test_export_stops_while_hand_grades_are_pending(course: Path, tmp_path: Path) -> None:
    """By default nothing is written while dee's answer waits; the error names her and it."""
    with pytest.raises(PendingGradesError) as error:
        export_grades(course_dir=course, out=tmp_path)
    message = str(error.value)
    assert "dee (01-tiny-list-sizes: q3-explain-list-size, 2 points)" in message
    assert "--complete-only" in message
    assert list(tmp_path.iterdir()) == []


def test_export_complete_only_leaves_pending_learners_blank(course: Path, tmp_path: Path) -> None:
    """--complete-only: dee is blank in the Blackboard file, pending in the grades CSV."""
    result = export_grades([A1], course_dir=course, out=tmp_path, pending="complete_only")
    lines = (tmp_path / "blackboard-grade-center.csv").read_text(encoding="utf-8").splitlines()
    assert lines[2] == '"","","dee",""'
    assert lines[3] == '"Lovelace","Ada","ada","4"'
    with (tmp_path / f"{A1}-grades.csv").open(encoding="utf-8") as f:
        dee = next(r for r in csv.DictReader(f) if r["learner"] == "dee")
    assert (dee["status"], dee["q3-explain-list-size"], dee["pending_points"]) == (
        "pending",
        "pending",
        "2.0",
    )
    text = result.summary()
    assert "01-tiny-list-sizes: 5 points possible (3 autograded, 2 graded by hand)" in text
    assert (
        "Left blank in blackboard-grade-center.csv (not final yet): dee (01-tiny-list-sizes)"
        in text
    )


def test_export_writes_every_file(course: Path, tmp_path: Path) -> None:
    """Grades per assignment, the Blackboard file with every value quoted, mastery CSV and HTML."""
    result = export_grades(
        course_dir=course, out=tmp_path, column_ids={A1: "4321"}, pending="include"
    )
    assert sorted(p.name for p in result.files) == [
        "01-tiny-list-sizes-grades.csv",
        "02-tables-grades.csv",
        "blackboard-grade-center.csv",
        "objective-mastery.csv",
        "objective-mastery.html",
    ]
    lines = (tmp_path / "blackboard-grade-center.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        '"Last Name","First Name","Username",'
        '"01-tiny-list-sizes [Total Pts: 5 Score] |4321","02-tables"'
    )
    assert lines[3] == '"Lovelace","Ada","ada","4","4"'
    with (tmp_path / "01-tiny-list-sizes-grades.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["learner"], r["score"], r["percent"]) for r in rows] == [
        ("ada", "4.0", "80.0"),
        ("bob", "2.0", "40.0"),
        ("cy", "0.0", "0.0"),
        ("dee", "2.0", "40.0"),
    ]
    page = (tmp_path / "objective-mastery.html").read_text(encoding="utf-8")
    assert "Which objectives did learners master?" in page
    assert pd.read_csv(tmp_path / "objective-mastery.csv")["objective"].tolist()[0] == "LO1.3"


def test_export_one_assignment(course: Path, tmp_path: Path) -> None:
    """Naming one assignment exports only it; Blackboard gets one grade column."""
    result = export_grades([A2], course_dir=course, out=tmp_path)  # nothing pending in 02
    assert list(result.grades) == [A2]
    header = (tmp_path / "blackboard-grade-center.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == '"Last Name","First Name","Username","02-tables"'
    assert result.mastery.empty  # 02-tables has no source notebook, so no known objectives


def test_export_refuses_unknown_assignments_and_missing_gradebook(
    course: Path, tmp_path: Path
) -> None:
    """Unknown assignments and a course never graded give a ConfigError saying what to do."""
    with pytest.raises(ConfigError, match="No grades for 05-nothing"):
        export_grades(["05-nothing"], course_dir=course, out=tmp_path)
    with pytest.raises(ConfigError, match="not being exported"):
        export_grades([A1], course_dir=course, out=tmp_path, column_ids={A2: "99"})
    with pytest.raises(ConfigError, match="pending must be one of"):
        export_grades([A1], course_dir=course, out=tmp_path, pending="later")
    (tmp_path / "empty" / "source").mkdir(parents=True)
    with pytest.raises(ConfigError, match="nothing has been graded yet"):
        export_grades(course_dir=tmp_path / "empty")


def test_cli_export(course: Path, tmp_path: Path) -> None:
    """`clearlib course export --all` writes the files and names the least-mastered objective."""
    runner = CliRunner()
    args = ["export", "--all", "--course-dir", str(course), "--out", str(tmp_path)]
    stopped = runner.invoke(course_app, args)
    assert stopped.exit_code == 1
    assert "PendingGradesError" in stopped.output
    assert "dee (01-tiny-list-sizes: q3-explain-list-size, 2 points)" in stopped.output
    args.append("--complete-only")
    result = runner.invoke(course_app, [*args, "--blackboard-column", f"{A1}=4321"])
    assert result.exit_code == 0, result.output
    assert "Exported 5 files" in result.output
    assert "01-tiny-list-sizes: 5 points possible (3 autograded, 2 graded by hand)" in result.output
    assert "Pending hand grades: 1 learner(s)" in result.output
    assert "Least mastered: LO1.3" in result.output
    assert "33% of 3 learners" in result.output
    both = runner.invoke(course_app, ["export", A1, "--all", "--course-dir", str(course)])
    assert both.exit_code == 1
    assert "not both" in both.output
    two = runner.invoke(course_app, [*args, "--include-pending"])
    assert two.exit_code == 1
    assert "not both" in two.output
    bad = runner.invoke(course_app, [*args, "--blackboard-column", "4321"])
    assert bad.exit_code == 1
    assert "ASSIGNMENT=COLUMN_ID" in bad.output


def test_blackboard_header_is_the_grade_center_form() -> None:
    """With a column ID the header is Blackboard's own `Name [Total Pts: N Score] |ID`; without
    one it is the plain name (Blackboard then makes a new text column worth 0 points)."""
    g = pd.DataFrame({"learner": ["ab12"], "submitted": [True], "score": [17.5], "max": [18.0]})
    with_id = blackboard_table({"Week 02": g}, column_ids={"Week 02": "123456"})
    assert with_id.columns.tolist() == [
        "Last Name",
        "First Name",
        "Username",
        "Week 02 [Total Pts: 18 Score] |123456",
    ]
    assert blackboard_table({"Week 02": g}).columns.tolist()[-1] == "Week 02"


def test_blackboard_csv_quotes_every_value(tmp_path: Path) -> None:
    """Comma-delimited: every value in double quotes, quotes inside doubled, commas kept."""
    from clearlib.course._export import _write_csv

    g = pd.DataFrame({"learner": ["ob1"], "submitted": [True], "score": [3.0], "max": [5.0]})
    table = blackboard_table({A1: g}, names={"ob1": ('Siobhán "Shiv"', "O'Brien, Jr")})
    path = _write_csv(table, tmp_path / "b.csv", quote_all=True)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [
        f'"Last Name","First Name","Username","{A1}"',
        '"O\'Brien, Jr","Siobhán ""Shiv""","ob1","3"',
    ]
    with path.open(encoding="utf-8") as f:
        assert next(iter(csv.DictReader(f)))["Last Name"] == "O'Brien, Jr"


def test_export_tab_delimited_and_the_new_column_note(course: Path, tmp_path: Path) -> None:
    """delimiter='\\t' writes blackboard-grade-center.xls (as Blackboard's help names tab files),
    unquoted; the summary warns that a column without an ID is a new 0-point text column."""
    result = export_grades([A2], course_dir=course, out=tmp_path, delimiter="\t")
    assert "blackboard-grade-center.xls" in [p.name for p in result.files]
    lines = (tmp_path / "blackboard-grade-center.xls").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Last Name\tFirst Name\tUsername\t02-tables"
    assert "Lovelace\tAda\tada\t4" in lines
    assert result.new_columns == [A2]
    text = result.summary()
    assert "No Blackboard column ID for 02-tables: the upload makes a NEW column" in text
    assert "text column worth 0 points" in text and "score column worth 4 points" in text
    with_id = export_grades([A2], course_dir=course, out=tmp_path, column_ids={A2: "77"})
    assert with_id.new_columns == [] and "NEW column" not in with_id.summary()
    with pytest.raises(ConfigError, match="delimiter must be"):
        export_grades([A2], course_dir=course, out=tmp_path, delimiter=";")


def test_cli_export_column_id_and_tab(course: Path, tmp_path: Path) -> None:
    """--blackboard-column-id names the one exported assignment's column; --tab writes the tab
    file; a column id with --all is refused, saying what to do."""
    runner = CliRunner()
    base = ["export", A2, "--course-dir", str(course), "--out", str(tmp_path)]
    result = runner.invoke(course_app, [*base, "--blackboard-column-id", "123456", "--tab"])
    assert result.exit_code == 0, result.output
    header = (tmp_path / "blackboard-grade-center.xls").read_text(encoding="utf-8").splitlines()[0]
    assert header == "Last Name\tFirst Name\tUsername\t02-tables [Total Pts: 4 Score] |123456"
    assert "NEW column" not in result.output
    plain = runner.invoke(course_app, base)
    assert plain.exit_code == 0, plain.output
    assert "which Blackboard creates as a text column worth 0 points" in plain.output
    refused = runner.invoke(
        course_app,
        ["export", "--all", "--course-dir", str(course), "--blackboard-column-id", "1"],
    )
    assert refused.exit_code == 1
    assert "--blackboard-column-id ID names the column of one assignment" in refused.output
