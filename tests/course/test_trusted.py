"""The trusted grader: answers cross as data, tests run outside the learner's kernel."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import _grading_course as gc

from clearlib.course._answers import (
    KINDS,
    Answer,
    AnswerDeclarationError,
    AnswerExportError,
    export_answers,
    load_answer,
    parse_answers,
    undeclared_names,
)
from clearlib.course._grade import grade_assignment

pytestmark = pytest.mark.xdist_group("grading")

ASSIGNMENT = "01-trusted-fixture"


# --- declarations -------------------------------------------------------------------------------
def test_parse_answers_reads_names_kinds_and_optional() -> None:
    """The '# answers:' line gives each name, its kind, and '?' for None accepted."""
    source = '"""Checks."""\n# answers: a: number, b_2: table?, f: function\nassert a'
    assert parse_answers(source) == [
        Answer("a", "number"),
        Answer("b_2", "table", optional=True),
        Answer("f", "function"),
    ]
    assert parse_answers("# answers: none\nassert True") == []


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("assert x", "no '# answers:' line"),
        ("# answers: x: anything", "kind among"),
        ("# answers: x: number, x: text", "twice"),
        ("# answers: x: number\n# answers: y: number", "two '# answers:' lines"),
    ],
)
def test_bad_declarations_say_what_to_write(source: str, match: str) -> None:
    """A missing or malformed declaration raises an error naming the fix."""
    with pytest.raises(AnswerDeclarationError, match=match):
        parse_answers(source)


def test_undeclared_names_finds_what_a_test_reads_from_elsewhere() -> None:
    """Names read but not declared, bound in the cell, builtin or allowed are reported."""
    cell = (
        "# answers: rate: number\n"
        "from math import isclose\n"
        "expected = sessions['n'].sum() / len(patients)\n"
        "assert isclose(rate, expected), [p for p in secret]\n"
        "def helper(x):\n    return x + offset\n"
    )
    assert undeclared_names(cell, allowed={"patients"}) == ["offset", "secret", "sessions"]


# --- export and load ----------------------------------------------------------------------------
class Anything:
    """Equal to everything."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


class LyingFloat(float):
    """A float equal to everything."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


class Evil:
    """Runs code if unpickled."""

    def __reduce__(self):
        return (print, ("pickled!",))


def _round_trip(tmp_path: Path, values: dict, spec: list[tuple[str, str, bool]]) -> dict:
    export_answers(values, str(tmp_path), spec, "c1")
    out = {}
    for name, kind, optional in spec:
        try:
            out[name] = load_answer(tmp_path, Answer(name, kind, optional))
        except AnswerExportError as exc:
            out[name] = exc
    return out


def test_every_kind_round_trips_with_exact_types(tmp_path: Path) -> None:
    """Each kind crosses as data and comes back with the same value and a plain type."""
    import plotly.graph_objects as go

    frame = pd.DataFrame(
        {"n": [1, 2], "when": pd.to_datetime(["2026-01-01", "2026-02-01"]).astype("M8[s]")},
        index=pd.Index(["a", "b"], name="practice"),
    )
    series = pd.Series([1.5, 2.5], index=pd.Index(["p", "q"], name="k"), name="rate")
    values = {
        "n": np.int64(7),
        "x": 2.5,
        "ok": True,
        "s": "text",
        "items": [1, (2, "b"), {"k": 1.5}],
        "d": {1: "a", "b": [None, 2]},
        "ts": pd.Timestamp("2026-03-01"),
        "table": frame,
        "series": series,
        "array": np.arange(6).reshape(2, 3),
        "figure": go.Figure(go.Bar(x=[1], y=[2])),
        "maybe": None,
    }
    spec = [
        ("n", "number", False),
        ("x", "number", False),
        ("ok", "boolean", False),
        ("s", "text", False),
        ("items", "list", False),
        ("d", "dict", False),
        ("ts", "timestamp", False),
        ("table", "table", False),
        ("series", "series", False),
        ("array", "array", False),
        ("figure", "figure", False),
        ("maybe", "table", True),
    ]
    got = _round_trip(tmp_path, values, spec)
    assert type(got["n"]) is np.int64 and got["n"] == 7
    assert type(got["x"]) is float and got["x"] == 2.5
    assert got["ok"] is True and got["s"] == "text"
    assert got["items"] == [1, (2, "b"), {"k": 1.5}] and got["d"] == {1: "a", "b": [None, 2]}
    assert got["ts"] == pd.Timestamp("2026-03-01")
    pd.testing.assert_frame_equal(got["table"], frame)
    pd.testing.assert_series_equal(got["series"], series)
    assert type(got["table"]) is pd.DataFrame and type(got["series"]) is pd.Series
    np.testing.assert_array_equal(got["array"], values["array"])
    assert type(got["figure"]) is go.Figure and list(got["figure"].data[0].y) == [2]
    assert got["maybe"] is None
    assert set(KINDS) >= {kind for _, kind, _ in spec}


def test_wrong_kinds_are_refused_with_a_plain_message(tmp_path: Path) -> None:
    """Liars, wrong types, missing names and pickling objects score nothing, said plainly."""
    values = {
        "a": Anything(),
        "f": LyingFloat(0.0),
        "b": True,
        "frame": pd.DataFrame({"x": [1]}).pipe(lambda d: type("Sub", (pd.DataFrame,), {})(d)),
        "evil": Evil(),
        "objects": np.array([Evil()], dtype=object),
        "nested": [1, Evil()],
        "none": None,
    }
    spec = [
        ("a", "number", False),
        ("f", "number", False),
        ("b", "number", False),
        ("frame", "table", False),
        ("evil", "dict", False),
        ("objects", "array", False),
        ("nested", "list", False),
        ("none", "number", False),
        ("missing", "text", False),
    ]
    got = _round_trip(tmp_path, values, spec)
    assert all(isinstance(v, AnswerExportError) for v in got.values()), got
    assert str(got["a"]) == "`a` must be a number; found an object of type `Anything`"
    assert str(got["f"]) == "`f` must be a number; found an object of type `LyingFloat`"
    assert "found an object of type `bool`" in str(got["b"])
    assert "found an object of type `Sub`" in str(got["frame"])
    assert "`Evil`" in str(got["evil"]) and "`Evil`" in str(got["nested"])
    assert "found None" in str(got["none"])
    assert "`missing` is not defined" in str(got["missing"])
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"pickle" not in written and b"\x80\x04" not in written


def test_tables_with_categorical_columns_and_clearlib_objects_cross(tmp_path: Path) -> None:
    """A crosstab by a categorical, and clearlib objects nested in a dict, come back equal."""
    from clearlib.workforce import Capacity

    people = pd.DataFrame({"band": pd.Categorical(["a", "b", "a"]), "sex": ["F", "M", "M"]})
    crosstab = pd.crosstab(people["sex"], people["band"])
    capacity = Capacity.from_staff(pd.DataFrame({"role": ["gp", "gp"], "wte": [1.0, 0.6]}))
    values = {"ct": crosstab, "d": {"cap": capacity, "parts": [pd.Series([1, 2], name="s")]}}
    got = _round_trip(tmp_path, values, [("ct", "table", False), ("d", "dict", False)])
    pd.testing.assert_frame_equal(got["ct"], crosstab)
    assert type(got["d"]["cap"]) is Capacity
    pd.testing.assert_series_equal(got["d"]["cap"].per_week(), capacity.per_week())
    pd.testing.assert_series_equal(got["d"]["parts"][0], values["d"]["parts"][0])


def test_figures_keep_their_data_and_series_by_month_their_periods(tmp_path: Path) -> None:
    """A plotly figure's arrays (written as typed base64 by plotly 6+) come back as numbers,
    and a Series indexed by month keeps its PeriodIndex, when read by a fresh trusted Python."""
    import subprocess

    import plotly.express as px

    fig = px.imshow(np.arange(6.0).reshape(2, 3))
    fig.add_bar(x=np.array([1, 2]), y=np.array([3.5, 4.5]))
    months = pd.PeriodIndex(["2025-04", "2025-05"], freq="M", name="month")
    per_day = pd.Series([61.5, 58.0], index=months, name="per_working_day")
    export_answers(
        {"fig": fig, "s": per_day}, str(tmp_path), [("fig", "figure", 0), ("s", "series", 0)], "c"
    )
    read = (
        "import json, sys\n"
        "from clearlib.course._answers import Answer, load_answer\n"
        "fig = load_answer(sys.argv[1], Answer('fig', 'figure'))\n"
        "s = load_answer(sys.argv[1], Answer('s', 'series'))\n"
        "print(json.dumps({'z': fig.data[0].z.tolist(), 'x': list(map(int, fig.data[1].x)),\n"
        "  'y': list(fig.data[1].y), 'index': [str(p) for p in s.index],\n"
        "  'dtype': str(s.index.dtype), 'name': s.name}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", read, str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "z": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]],
        "x": [1, 2],
        "y": [3.5, 4.5],
        "index": ["2025-04", "2025-05"],
        "dtype": "period[M]",
        "name": "per_working_day",
    }


def test_a_typed_array_of_another_type_is_refused(tmp_path: Path) -> None:
    """A figure whose data claims a type plotly never writes is refused, not decoded."""
    (tmp_path / "fig.plotly.json").write_text(
        json.dumps({"data": [{"type": "bar", "x": {"dtype": "O", "bdata": "AA=="}}]})
    )
    with pytest.raises(AnswerExportError, match="array of a type"):
        load_answer(tmp_path, Answer("fig", "figure"))


def test_a_fifo_where_an_answer_should_be_is_refused_at_once(tmp_path: Path) -> None:
    """A named pipe in the export folder fails the answer instead of blocking the reader."""
    import os

    os.mkfifo(tmp_path / "n.json")
    with pytest.raises(AnswerExportError, match="not a regular file"):
        load_answer(tmp_path, Answer("n", "number"))


def test_loader_never_unpickles_what_the_kernel_wrote(tmp_path: Path, capsys) -> None:
    """A pickle or a symbolic link where an answer should be is refused, not loaded."""
    import pickle

    (tmp_path / "arr.npy").write_bytes(pickle.dumps(Evil()))
    np.save(tmp_path / "obj.npy", np.array([1, "x"], dtype=object), allow_pickle=True)
    (tmp_path / "link.json").symlink_to("/etc/hostname")
    for name in ("arr", "obj"):
        with pytest.raises(AnswerExportError, match="could not be read"):
            load_answer(tmp_path, Answer(name, "array"))
    with pytest.raises(AnswerExportError, match="could not be read"):
        load_answer(tmp_path, Answer("link", "text"))
    assert "pickled!" not in capsys.readouterr().out


# --- grading a whole assignment -----------------------------------------------------------------
SETUP = """\
import pandas as pd

sessions = pd.DataFrame(
    {"practice": ["A", "A", "B", "C", "C", "C"], "patients": [12, 8, 20, 5, 7, 9]}
)"""

QUESTIONS = [
    (
        "q1-total",
        "total_patients = int(sessions['patients'].sum())",
        '"""Checks total_patients."""\n# answers: total_patients: number\n'
        "assert total_patients == 61, f'total_patients should be 61; it is {total_patients}'",
        1,
    ),
    (
        "q2-per-practice",
        "per_practice = sessions.groupby('practice')['patients'].sum()",
        '"""Checks per_practice."""\n# answers: per_practice: series\n'
        "assert len(per_practice) == 3, 'one row per practice'\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert per_practice['B'] == 20, 'B saw 20'\n"
        "### END HIDDEN TESTS",
        2,
    ),
    (
        "q3-busiest",
        "busiest = int(sessions['patients'].max())",
        '"""Checks busiest."""\n# answers: busiest: number\n'
        "assert busiest == sessions['patients'].max(), 'busiest is the largest session'",
        1,
    ),
    (
        "q4-bigger",
        "def bigger(a, b):\n    return a if a > b else b",
        '"""Checks bigger."""\n# answers: bigger: function\n'
        "assert bigger(3, 5) == 5, 'bigger(3, 5) should be 5'\n"
        "assert bigger(9, 2) == 9, 'bigger(9, 2) should be 9'",
        2,
    ),
]
FULL = sum(points for *_, points in QUESTIONS)


def _source_notebook(path: Path) -> Path:
    cells = [
        nbformat.v4.new_markdown_cell("# Trusted grading fixture"),
        _cell(nbformat.v4.new_code_cell(SETUP), "setup", locked=True),
    ]
    for grade_id, solution, test, points in QUESTIONS:
        answer = f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION"
        cells.append(_cell(nbformat.v4.new_code_cell(answer), grade_id, solution=True))
        cells.append(
            _cell(nbformat.v4.new_code_cell(test), f"{grade_id}-test", grade=True, points=points)
        )
    cells.append(
        _cell(
            nbformat.v4.new_markdown_cell("Practice B."),
            "q5-explain",
            solution=True,
            grade=True,
            points=1,
        )
    )
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _cell(cell, grade_id: str, *, locked=False, solution=False, grade=False, points=0):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked or (grade and not solution),
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


#: What each cheat puts in the first answer cell (the other answers are left blank).
CHEATS = {
    "transformer": ("get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])"),
    "run_cell": (
        "ip = get_ipython()\n"
        "_real = ip.run_cell\n"
        "def _fake(raw_cell, *args, **kwargs):\n"
        "    return _real('total_patients = 61', *args, **kwargs)\n"
        "ip.run_cell = _fake"
    ),
    "strip_asserts": (
        "import ast\n"
        "class _NoAsserts(ast.NodeTransformer):\n"
        "    def visit_Assert(self, node):\n"
        "        return ast.Pass()\n"
        "get_ipython().ast_transformers.append(_NoAsserts())"
    ),
    "anything": (
        "class Anything:\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def __len__(self):\n        return 3\n"
        "    def __getitem__(self, key):\n        return Anything()\n"
        "    def __call__(self, *a):\n        return Anything()\n"
        "total_patients = per_practice = busiest = Anything()"
    ),
    "lying_float": (
        "class F(float):\n    def __eq__(self, other):\n        return True\n"
        "total_patients = busiest = F(0)"
    ),
}


def _submission(release: Path, dest: Path, answers: dict[str, str]) -> Path:
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    """The fixture assignment with model, blank, cheating and hanging learners, graded once."""
    base = tmp_path_factory.mktemp("trusted")
    source = _source_notebook(base / "src" / f"{ASSIGNMENT}.ipynb")
    course = gc.make_course(base / "course", timeout=8, source=source)
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    models = {gid: solution for gid, solution, _, _ in QUESTIONS}
    learners = {
        "model": models,
        "blank": {},
        **{name: {"q1-total": code} for name, code in CHEATS.items()},
        "os_exit": {"q4-bigger": "import os\nos._exit(0)"},
        "hangs": {
            **models,
            "q4-bigger": "def bigger(a, b):\n    while True:\n        pass",
        },
    }
    notebooks = {
        name: _submission(release, base / "nb" / f"{name}.ipynb", answers)
        for name, answers in learners.items()
    }
    gc.submit(course, notebooks, assignment=ASSIGNMENT)
    report = grade_assignment(
        ASSIGNMENT, course_dir=course, jobs=2, cell_timeout=8, progress=False, force=True
    )
    return course, report


def test_model_scores_full_and_blank_scores_nothing(graded) -> None:
    """The model answers pass every test; the released notebook passes none."""
    _, report = graded
    assert report["model"].code_score == FULL, report.summary()
    assert report["blank"].code_score == 0, report.summary()


@pytest.mark.parametrize("learner", [*CHEATS, "os_exit"])
def test_cheats_on_a_blank_notebook_score_nothing(graded, learner: str) -> None:
    """Transformers, patched run_cell, stripped asserts, liars and a killed kernel score 0."""
    _, report = graded
    assert report[learner].code_score == 0, report.summary()


def test_liars_are_told_what_type_was_found(graded) -> None:
    """The feedback line names the answer, its kind and the type found."""
    _, report = graded
    messages = {q.grade_id: q.message for q in report["lying_float"].questions}
    assert messages["q1-total-test"] == (
        "AnswerError: Q1: `total_patients` must be a number; found an object of type `F`"
    )
    anything = {q.grade_id: q.message for q in report["anything"].questions}
    assert (
        "`per_practice` must be a pandas Series; found an object of type `Anything`"
        in (anything["q2-per-practice-test"])
    )


def test_a_function_that_hangs_fails_only_its_own_question(graded) -> None:
    """A function answer is called with a time limit; the other questions keep their points."""
    _, report = graded
    result = report["hangs"]
    scores = {q.grade_id: q.score for q in result.questions if q.kind == "autograded"}
    assert scores["q4-bigger-test"] == 0
    assert result.code_score == FULL - 2, report.summary()
    message = next(q.message for q in result.questions if q.grade_id == "q4-bigger-test")
    assert "bigger" in message and "more than" in message


def test_visible_test_messages_read_as_in_jupyterlab(graded) -> None:
    """A failing test's output is its own exception line; outputs of answers are kept."""
    course, report = graded
    blank = {q.grade_id: q.message for q in report["blank"].questions}
    assert "AnswerError: Q1: `total_patients` is not defined" in blank["q1-total-test"]
    path = course / "autograded" / "model" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(path.read_text())
    tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade") is True]
    assert all(c["cell_type"] == "markdown" or c["outputs"] == [] for c in tests)
    assert any("BEGIN HIDDEN TESTS" in "".join(c["source"]) for c in tests)
