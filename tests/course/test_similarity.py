"""The similarity report: a planted copied pair ranks first; honest work raises no high flag.

A cohort hands in the fixture assignment (tests/course/fixtures): eight learners answer on
their own, in their own styles, three of them making the same usual mistake and one another
mistake; two hand in blanks; and a copied pair shares unusual code (renamed and reordered in
the copy), two wrong answers nobody else gave and a lightly edited written answer.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import _grading_course as gc

from clearlib._exceptions import ConfigError
from clearlib.course._grade import grade_assignment
from clearlib.course._similarity import fingerprints, similarity_report

pytestmark = pytest.mark.xdist_group("grading")

HONEST_WRITTEN = [
    "Practice C runs three sessions so it looks busiest by count of sessions.",
    "B sees twenty people in one go; I would compare patients per session per practice.",
    "By total patients C and B are close; check the dates covered before deciding anything.",
    "I think practice A is quiet. To check I would ask the practice manager for the rota.",
    "Per session B is the busiest. Counting sessions alone would mislead the board here.",
    "C has more sessions but they are small, so a rate per session tells a fairer story.",
    "Sessions vary a lot in size; the mean per practice would show which is under pressure.",
    "I would plot patients per session by practice and look at the spread before judging.",
]
COPIED_WRITTEN = (
    "Looking at the doubled column the median session is the fairest busiest measure, and I "
    "would confirm it with the reception team's own tally of arrivals for each clinic."
)

HONEST = {
    "h1": (
        'total_patients = int(sessions["patients"].sum())',
        'per_practice = sessions.groupby("practice")["patients"].sum()',
        'busiest = int(sessions["patients"].max())',
    ),
    "h2": (
        "total_patients = sessions.patients.sum()",
        'per_practice = sessions.groupby("practice").patients.sum()',
        'busiest = int(sessions["patients"].sum())',  # the usual mistake: 61
    ),
    "h3": (
        'total = 0\nfor n in sessions["patients"]:\n    total += n\ntotal_patients = total',
        'per_practice = sessions.pivot_table(index="practice", values="patients", '
        'aggfunc="sum")["patients"]',
        'busiest = max(sessions["patients"])',
    ),
    "h4": (
        'total_patients = int(sum(sessions["patients"]))',
        'per_practice = sessions.groupby(by="practice").sum()["patients"]',
        "busiest = int(sessions.patients.sum())",  # the usual mistake: 61
    ),
    "h5": (
        "total_patients = len(sessions)",  # a mistake of its own: 6
        'per_practice = sessions.groupby("practice", sort=True)["patients"].agg("sum")',
        'busiest = sessions["patients"].sort_values().iloc[-1]',
    ),
    "h6": (
        'total_patients = sessions["patients"].to_numpy().sum()',
        'per_practice = sessions.set_index("practice")["patients"].groupby(level=0).sum()',
        'busiest = sum(sessions["patients"])',  # the usual mistake: 61
    ),
    "h7": (
        'total_patients = int(sessions.loc[:, "patients"].sum())',
        'per_practice = sessions.groupby("practice")["patients"].apply(sum)',
        'busiest = sessions["patients"].nlargest(1).iloc[0]',
    ),
    "h8": (
        'counts = sessions["patients"]\ntotal_patients = int(counts.sum())',
        'per_practice = (\n    sessions.groupby("practice")["patients"]\n    .sum()\n)',
        "busiest = int(counts.max())",
    ),
}
COPIED = {
    "c1": (
        'tmp = sessions.copy()\ntmp["double"] = tmp["patients"] * 1\n'
        'total_patients = int(tmp["double"].iloc[:5].sum())',  # wrong: 52
        'per_practice = tmp.groupby("practice")["double"].agg(lambda s: s.sum())',
        'busiest = int(tmp["double"].median())',  # wrong: 8
    ),
    "c2": (
        'frame = sessions.copy()\nframe["twice"] = frame["patients"] * 1\n'
        'total_patients = int(frame["twice"].iloc[:5].sum())',
        'per_practice = frame.groupby("practice")["twice"].agg(lambda col: col.sum())',
        'busiest = int(frame["twice"].median())',
    ),
}


def _notebook(answers: tuple[str, str, str], written: str) -> nbformat.NotebookNode:
    nb = nbformat.read(gc.fixture_submission("correct"), as_version=4)
    code = dict(zip(["q1-total-patients", "q2-per-practice", "q3-busiest"], answers, strict=True))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in code:
            cell.source = code[grade_id]
        elif grade_id == "q4-explain":
            cell.source = written
    return nb


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cohort handed in and graded (the checks' messages carry the wrong values)."""
    course = gc.make_course(tmp_path_factory.mktemp("similar") / "course")
    folder = course / "handed-in"
    folder.mkdir()
    notebooks = {}
    for (learner, answers), written in zip(HONEST.items(), HONEST_WRITTEN, strict=True):
        notebooks[learner] = _notebook(answers, written)
    notebooks["c1"] = _notebook(COPIED["c1"], COPIED_WRITTEN)
    notebooks["c2"] = _notebook(
        COPIED["c2"], COPIED_WRITTEN.replace("fairest", "best").replace("own tally", "tally")
    )
    release = course / "release" / gc.ASSIGNMENT / f"{gc.ASSIGNMENT}.ipynb"
    paths = {}
    for learner, nb in notebooks.items():
        paths[learner] = folder / f"{learner}.ipynb"
        nbformat.write(nb, paths[learner])
    paths["blank1"] = paths["blank2"] = release
    gc.submit(course, paths)
    grade_assignment(gc.ASSIGNMENT, course_dir=course, jobs=2, progress=False)
    return course


def test_the_copied_pair_ranks_first_and_honest_work_is_not_flagged_high(cohort: Path) -> None:
    """c1 and c2 are first, high, with both shared wrong answers and their code; no honest or
    blank pair is high; three learners sharing the usual mistake are not flagged for it."""
    report = similarity_report(gc.ASSIGNMENT, course_dir=cohort)
    assert report.learners == 12
    first = report.pairs[0]
    assert first.learners == ("c1", "c2")
    assert first.level == "high"
    assert [q for q, _ in first.shared_wrong] == ["q1-total-patients-test", "q3-busiest-test"]
    assert first.code_similarity >= 0.5 and first.shared_fingerprints >= 3
    assert [q for q, _ in first.written_alike] == ["q4-explain"]
    others = [p for p in report.pairs[1:] if p.level == "high"]
    assert others == [], [(p.learners, p.reasons) for p in others]
    usual = {("h2", "h4"), ("h2", "h6"), ("h4", "h6")}
    assert not usual & {p.learners for p in report.pairs}
    assert not any("blank" in name for p in report.pairs for name in p.learners)


def test_the_report_is_written_as_csv_and_html(cohort: Path, tmp_path: Path) -> None:
    """The CSV has a row per flagged pair with its reasons; the page links both notebooks."""
    report = similarity_report(gc.ASSIGNMENT, course_dir=cohort, out_dir=tmp_path)
    rows = list(csv.DictReader((tmp_path / f"{gc.ASSIGNMENT}.csv").open(encoding="utf-8")))
    assert len(rows) == len(report.pairs)
    assert (rows[0]["learner_a"], rows[0]["learner_b"], rows[0]["level"]) == ("c1", "c2", "high")
    assert "the same wrong answer in 2 question(s)" in rows[0]["reasons"]
    page = (tmp_path / f"{gc.ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert "never changes a mark" in page
    for learner in ("c1", "c2"):
        link = f"autograded/{learner}/{gc.ASSIGNMENT}/{gc.ASSIGNMENT}.ipynb"
        assert link in page


def test_the_command_prints_the_ranking(cohort: Path, tmp_path: Path) -> None:
    """`clearlib course similarity` names the copied pair first and where the report is."""
    from typer.testing import CliRunner

    from clearlib._cli import app

    result = CliRunner().invoke(
        app,
        [
            "course",
            "similarity",
            gc.ASSIGNMENT,
            "--course-dir",
            str(cohort),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "12 learners compared" in result.output
    assert "1. c1 and c2 (high)" in result.output
    assert (tmp_path / f"{gc.ASSIGNMENT}.html").is_file()


def test_renaming_and_layout_do_not_change_fingerprints() -> None:
    """The same code with other names, comments and line breaks has the same fingerprints."""
    a = 'out = df.groupby("practice")["patients"].sum().sort_values(ascending=False)'
    b = (
        'res = df.groupby(\n    "practice"  # per practice\n)["patients"].sum().sort_values(\n'
        "    ascending=False\n)"
    )
    c = 'out = df.groupby("role")["patients"].mean().sort_values(ascending=True)'
    assert fingerprints(a.replace("df", "table")) == fingerprints(b)
    assert fingerprints(a) != fingerprints(c)


def test_fewer_than_two_learners_is_an_error(tmp_path: Path) -> None:
    """With one submission there is nothing to compare: a clear error."""
    course = gc.make_course(tmp_path / "course")
    gc.submit(course, {"only": gc.fixture_submission("correct")})
    with pytest.raises(ConfigError, match="at least two are needed"):
        similarity_report(gc.ASSIGNMENT, course_dir=course)
