"""Feedback: points, messages and objectives per question, and never a hidden test or traceback.

Two learners hand in the fixture assignment: ada passes q1's visible test but not its hidden one
and leaves q2 blank; bob keeps one practice in q1 (the visible test fails) and answers q2.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

import clearlib.course._feedback as feedback_module
from clearlib import ClearlibError, ConfigError
from clearlib.course import find_leaks, generate_feedback, plain_message
from clearlib.course._cli import course_app
from clearlib.course._feedback import _visible_text

# one worker builds the graded course the module's tests share (``--dist loadgroup``)
pytestmark = pytest.mark.xdist_group("feedback")

FIXTURE = Path(__file__).parent / "fixtures_check"
REPO = Path(__file__).resolve().parents[2]
NAME = "01-tiny-list-sizes"
ANSWERS = {
    "ada": {
        # a learner's chart, left as plotly stores it when no renderer is set
        "q1-list-sizes": 'list_sizes = patients.groupby("practice_code").size() * 0 + 1\n'
        "import plotly.express as px\n"
        "px.bar(x=list_sizes.index, y=list_sizes.values)",
        "q3-explain-list-size": "Bigger lists need more clinics.",
    },
    "bob": {
        "q1-list-sizes": 'list_sizes = patients.groupby("practice_code").size().head(1)',
        "q2-columns": "n_columns = patients.shape[1]",
    },
}


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the nbgrader command from the course folder, as faculty do."""
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    run = subprocess.run(
        [str(Path(bindir) / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture course, released, handed in by ada and bob, and autograded by nbgrader."""
    root = tmp_path_factory.mktemp("feedback") / "course"
    shutil.copytree(FIXTURE / "source", root / "source")
    shutil.copy(REPO / "course" / "nbgrader_config.py", root / "nbgrader_config.py")
    _nbgrader(root, "generate_assignment", NAME, "--force")
    release = root / "release" / NAME / f"{NAME}.ipynb"
    for learner, answers in ANSWERS.items():
        nb = nbformat.read(release, as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid]
        folder = root / "submitted" / learner / NAME
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NAME}.ipynb")
    _nbgrader(root, "autograde", NAME)
    return root


@pytest.fixture(scope="module")
def pages(course: Path) -> dict[str, str]:
    """Each learner's feedback HTML, made by generate_feedback."""
    report = generate_feedback(NAME, course_dir=course)
    assert report.learners == ["ada", "bob"]
    return {p.parts[-3]: p.read_text(encoding="utf-8") for p in report.files}


def _hidden_source_lines() -> list[str]:
    """Every line of hidden-test source in the fixture, markers included."""
    nb = nbformat.read(FIXTURE / "source" / NAME / f"{NAME}.ipynb", as_version=4)
    lines, inside = [], False
    for cell in nb.cells:
        for line in cell.source.split("\n"):
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            if inside and line.strip():
                lines.append(line.strip())
            if "END HIDDEN TESTS" in line:
                inside = False
    return lines


def _secret_lines(course: Path) -> list[str]:
    """Hidden-test lines that learners never see (not also in the released notebook)."""
    release = (course / "release" / NAME / f"{NAME}.ipynb").read_text(encoding="utf-8")
    return [ln for ln in _hidden_source_lines() if ln not in release]


def _rows(page: str) -> list[str]:
    """The summary table's rows as text, cells joined by ' | '."""
    table = page.split('<table class="table table-condensed">', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in table.split("<tr>")[2:]:
        cells = [_visible_text(c).strip() for c in row.split("<td>")[1:]]
        rows.append(" | ".join(re.sub(r"\s+", " ", c) for c in cells))
    return rows


def test_fixture_has_hidden_tests_for_the_leak_search() -> None:
    """The search below is not vacuous: 9 hidden lines, markers included, in 2 regions."""
    lines = _hidden_source_lines()
    assert len(lines) == 9
    assert lines.count("### BEGIN HIDDEN TESTS") == 2
    assert 'hidden_expected_sizes = patients["practice_code"].value_counts().sort_index()' in lines


def test_feedback_never_shows_hidden_test_source(course: Path, pages: dict[str, str]) -> None:
    """No line of hidden-test source, and no marker, in any learner's feedback HTML."""
    hidden = _secret_lines(course)
    assert len(hidden) == 8  # the lone ")" closing an assert is also in the visible tests
    for learner, page in pages.items():
        text = re.sub(r"\s+", " ", _visible_text(page))
        for line in hidden:
            flat = re.sub(r"\s+", " ", line)
            assert flat not in text, (learner, line)
            assert line not in page, (learner, line)
        assert "HIDDEN TESTS" not in page


def test_nbgraders_own_feedback_would_leak(course: Path, tmp_path: Path) -> None:
    """Control: nbgrader's default feedback shows the hidden tests that ours removes (#917)."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades

    from clearlib.course._check import _run
    from clearlib.course._notebook import course_config

    cfg = course_config(course)
    cfg.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor]
    cfg.CourseDirectory.feedback_directory = str(tmp_path / "nbgrader-feedback")
    cfg.HTMLExporter.template_name = "feedback"
    result = _run(GenerateFeedback, cfg, assignment_id=NAME, student_id="ada")
    assert result["success"], result
    page = next((tmp_path / "nbgrader-feedback").rglob("*.html")).read_text(encoding="utf-8")
    leaks = find_leaks(page, _hidden_source_lines())
    assert "BEGIN HIDDEN TESTS" in leaks
    assert 'hidden_expected_sizes = patients["practice_code"].value_counts().sort_index()' in leaks


def test_feedback_has_no_traceback_internals(pages: dict[str, str]) -> None:
    """Errors show one line, 'Name: message'; never a traceback, frame or ANSI escape."""
    for page in pages.values():
        text = _visible_text(page)
        for internal in ("Traceback", "most recent call last", "---->", "Cell In[", 'File "'):
            assert internal not in text, internal
        assert "\x1b[" not in page and "ansi-red" not in page
    ada = _visible_text(pages["ada"])
    assert "NotImplementedError: Write your answer here, then run the cell." in ada


def test_each_question_shows_points_message_and_objective(pages: dict[str, str]) -> None:
    """The summary gives every graded cell its points, plain message and objective with text."""
    lo11 = "LO1.1: Run, edit and save a notebook; restart and run all."
    lo12 = "LO1.2: Load the PCN dataset and describe its tables, keys and data dictionary."
    lo13 = "LO1.3: Compute list sizes and age-sex structure per practice."
    assert _rows(pages["ada"]) == [
        # a hidden check's message, with no figure to mask
        "q1-list-sizes-testCheck | 0 / 2 | A hidden check found a mistake: Some practices have "
        f"the wrong count: count every patient of a practice once | {lo13}",
        "q2-columns-testCheck | 0 / 1 | The check could not find something your answer should "
        "have created (name 'n_columns' is not defined). Run your answer cell (and the cells "
        "above it) and make sure it finishes without an error and uses the name the question "
        f"gives. | {lo12}",
        # written, not graded by hand yet: pending, never 0
        "q3-explain-list-sizeWritten answer | pending / 2 | Not marked yet: your tutor will "
        f"mark this answer. | {lo11} {lo13}",
    ]
    assert _rows(pages["bob"]) == [
        "q1-list-sizes-testCheck | 0 / 2 | Your list sizes should have one row per practice; "
        f"they have 1 rows | {lo13}",
        f"q2-columns-testCheck | 1 / 1 | Passed. | {lo12}",
        # nbgrader's own comment on an answer left as it was released
        f"q3-explain-list-sizeWritten answer | 0 / 2 | No response. | {lo11} {lo13}",
    ]
    ada = re.sub(r"\s+", " ", _visible_text(pages["ada"]))
    assert "Score so far: 0 / 5 (2 points still to be marked by your tutor" in ada
    assert "⌛ Pending" not in ada  # the written answer has no test box; only the table says it
    assert "Score: 1 / 5" in _visible_text(pages["bob"])
    # each test cell carries its own box too: verdict, points, what it checks, objective
    bob = re.sub(r"\s+", " ", _visible_text(pages["bob"]))
    assert "✓ Passed: 1 / 1 points" in bob
    assert "What this checks: Checks n_columns is a whole number" in bob


def test_nbgrader_generate_feedback_from_the_course_folder_is_leak_free(
    course: Path, tmp_path: Path
) -> None:
    """`nbgrader generate_feedback` run in the course folder uses the course config's cleaner."""
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    _nbgrader(copy, "generate_feedback", NAME, "--force")
    page = (copy / "feedback" / "ada" / NAME / f"{NAME}.html").read_text(encoding="utf-8")
    assert "Your feedback" in page
    assert find_leaks(page, _secret_lines(course)) == []


def test_leak_guard_deletes_feedback_that_shows_hidden_tests(
    course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the cleaner to miss a hidden test, the file is deleted and an error names it."""
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    monkeypatch.setattr(feedback_module, "_strip_hidden", lambda source, src: source)
    with pytest.raises(ClearlibError, match="would have shown hidden tests"):
        generate_feedback(NAME, course_dir=copy, learners=["bob"])
    assert not (copy / "feedback" / "bob" / NAME / f"{NAME}.html").exists()


def test_feedback_needs_autograded_work(tmp_path: Path) -> None:
    """Before autograding there is nothing to give feedback on: a ConfigError says what to do."""
    shutil.copytree(FIXTURE / "source", tmp_path / "source")
    with pytest.raises(ConfigError, match="Autograde first: clearlib course grade"):
        generate_feedback(NAME, course_dir=tmp_path)
    result = CliRunner().invoke(course_app, ["feedback", NAME, "--course-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "ConfigError" in result.output


@pytest.mark.parametrize(
    ("ename", "evalue", "expected"),
    [
        (
            "AssertionError",
            "Your table should have 5 rows; it has 3",
            "Your table should have 5 rows; it has 3",
        ),
        ("AssertionError", "", "This check failed. Read the question again"),
        ("KeyError", "'list_size'", "The check looked for 'list_size' in your answer"),
        ("CellTimeoutError", "", "This check ran out of time or memory."),
        (
            "ZeroDivisionError",
            "division by zero",
            "The check stopped with an error (ZeroDivisionError: division by zero).",
        ),
    ],
)
def test_plain_message(ename: str, evalue: str, expected: str) -> None:
    """An assertion's own message is kept; other errors get a plain sentence on what to do."""
    assert plain_message(ename, evalue).startswith(expected)


HIDDEN_06 = '''"""Checks efi_deficits counts each listed patient's deficits."""
assert isinstance(efi_deficits, pd.Series), "efi_deficits should be a Series."
assert _pd.Index(efi_deficits.index).is_unique, "One row per patient."
### BEGIN HIDDEN TESTS
_expected = _pcn.frailty_deficits.groupby("patient_id").size()
_missing = _pd.Index(_expected.index).difference(
    _pd.Index(efi_deficits.index)
)
assert len(_missing) == 0, (
    "Some patients with deficits are missing from efi_deficits."
)
for _check in [
    (1, 2),
    (3, 4),
]:
    assert _check[0] < _check[1], (
        "kept apart"
    )
### END HIDDEN TESTS
'''


def test_hidden_statements_are_whole_statements_nested_ones_too() -> None:
    """Statements, not lines: a bracket or a call fragment is never one; nested asserts are."""
    from clearlib.course import hidden_statements

    found = hidden_statements(HIDDEN_06)
    assert '_expected = _pcn.frailty_deficits.groupby("patient_id").size()' in found
    assert (
        "_missing = _pd.Index(_expected.index).difference( _pd.Index(efi_deficits.index) )" in found
    )
    assert 'assert _check[0] < _check[1], ( "kept apart" )' in found  # inside the hidden loop
    assert not [s for s in found if s in {"]", ")", "}", "), (", "_pd.Index(efi_deficits.index)"}]
    assert not [s for s in found if "isinstance(efi_deficits" in s]  # visible part left out


def test_leak_search_ignores_what_learners_can_see() -> None:
    """Brackets and fragments of hidden statements inside visible lines are not leaks (#13)."""
    from clearlib.course import hidden_statements

    visible_page = (
        "<pre>assert _pd.Index(efi_deficits.index).is_unique, &quot;One row per patient.&quot;\n"
        "]\n}\n), (\nassert _np.allclose(\n    a, b\n)</pre><p>AssertionError: One row per "
        "patient.</p>"
    )
    assert find_leaks(visible_page, hidden_statements(HIDDEN_06)) == []


def test_leak_search_catches_each_hidden_statement_whole() -> None:
    """Any hidden statement on the page is found, however it is wrapped or highlighted."""
    from clearlib.course import hidden_statements

    statements = hidden_statements(HIDDEN_06)
    for statement in statements:
        words = statement.split(" ")
        highlighted = "\n    ".join(f"<span>{html.escape(w)}</span>" for w in words)
        leaks = find_leaks(f"<div><pre>{highlighted}</pre></div>", statements)
        assert statement in leaks, statement
    # a longer name that merely contains a hidden statement is not that statement
    assert find_leaks("<pre>x_expected = 1</pre>", ["expected = 1"]) == []
    assert find_leaks("<pre>_expected = 1</pre>", ["_expected = 1"]) == ["_expected = 1"]


def test_a_hidden_statement_copied_into_an_output_is_caught(course: Path, tmp_path: Path) -> None:
    """A real leak planted in a visible output: the page is deleted and the error names it."""
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    graded = copy / "autograded" / "bob" / NAME / f"{NAME}.ipynb"
    nb = nbformat.read(graded, as_version=4)
    secret = 'hidden_expected_sizes = patients["practice_code"].value_counts().sort_index()'
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    first_code.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=secret + "\n"))
    nbformat.write(nb, graded)
    with pytest.raises(ClearlibError, match="would have shown hidden tests") as err:
        generate_feedback(NAME, course_dir=copy, learners=["bob"])
    assert "hidden_expected_sizes" in str(err.value)
    assert not (copy / "feedback" / "bob" / NAME / f"{NAME}.html").exists()


def test_a_learners_chart_is_drawn_in_feedback_offline(
    course: Path, pages: dict[str, str], chromium
) -> None:
    """ada's plotly figure renders in her feedback page in Chromium with the network blocked,
    and the page asks for nothing outside itself (no MathJax from a CDN)."""
    page_path = course / "feedback" / "ada" / NAME / f"{NAME}.html"
    assert "cdnjs" not in pages["ada"] and "mathjax/" not in pages["ada"].lower()
    requested: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            requested.append(r.request.url)
            r.abort()

    page = chromium.new_page()
    try:
        page.route("**/*", route)
        page.goto(page_path.as_uri(), wait_until="load", timeout=180_000)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        bars = page.eval_on_selector_all(".js-plotly-plot .point", "els => els.length")
    finally:
        page.close()
    assert bars == 3  # one bar per practice
    assert requested == []
    assert pages["ada"].count("Plotly.newPlot") == 1
    assert ".js-plotly-plot" not in pages["bob"] and "Plotly.newPlot" not in pages["bob"]


def test_figures_get_html_with_plotlyjs_once() -> None:
    """add_figure_html: each plotly output gets text/html; plotly.js rides on the first only."""
    from clearlib.course._feedback import PLOTLY_MIME, add_figure_html

    fig = {"data": [{"type": "bar", "y": [1, 2]}], "layout": {}}
    nb = nbformat.v4.new_notebook()
    for _ in range(2):
        cell = nbformat.v4.new_code_cell("fig")
        cell.outputs = [nbformat.v4.new_output("display_data", data={PLOTLY_MIME: fig})]
        nb.cells.append(cell)
    assert add_figure_html(nb) == 2
    first, second = (c.outputs[0].data["text/html"] for c in nb.cells)
    assert len(first) > 1_000_000 > len(second)  # plotly.js (about 3.5 MB) once
    assert "Plotly.newPlot" in first and "Plotly.newPlot" in second
    # run again (feedback of an autograded notebook whose figures have HTML): still once
    nb.cells[0].outputs[0].data["text/html"] = '<script src="https://cdn.plot.ly/x.js"></script>'
    assert add_figure_html(nb) == 2
    again = [c.outputs[0].data["text/html"] for c in nb.cells]
    assert len(again[0]) > 1_000_000 > len(again[1])
    assert "cdn.plot.ly/x.js" not in again[0]


@pytest.mark.parametrize(
    ("evalue", "expected"),
    [
        # an f-string: the holes and any figure become "…"
        (
            "6,984 listed patients had no attended appointment",
            "A hidden check found a mistake: … listed patients had no attended appointment",
        ),
        # %-formatting and str.format, with a practice code filled in
        (
            "SYN-G002 should have 2 patients",
            "A hidden check found a mistake: … should have … patients",
        ),
        (
            "The mean age should be 51.0 years, not 49.5",
            "A hidden check found a mistake: The mean age should be … years, not …",
        ),
        # a message written outside the hidden region is shown as it is
        ("Your table should have 3 rows; it has 2", None),
        # an assertion message matching nothing written: from a hidden check, figures masked
        ("found 12 rows", "A hidden check found a mistake: found … rows"),
    ],
)
def test_hidden_checks_messages_lose_their_figures(evalue: str, expected: str | None) -> None:
    """hidden_message masks what a hidden assert filled in; visible messages stay whole."""
    from clearlib.course._feedback import hidden_message

    source = (
        '"""Checks the table."""\n'
        "assert len(t) == 3, f'Your table should have 3 rows; it has {len(t)}'\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert n == e, f'{e:,} listed patients had no attended appointment'\n"
        "for code, size in sizes.items():\n"
        "    assert got[code] == size, '%s should have %d patients' % (code, size)\n"
        "assert m == a, 'The mean age should be {:.1f} years, not {}'.format(a, m)\n"
        "### END HIDDEN TESTS"
    )
    assert hidden_message(source, "AssertionError", evalue) == expected


def test_errors_that_are_not_checks_and_cells_without_hidden_tests_are_left_alone() -> None:
    """A NameError (the learner's own code) or a cell with no hidden tests: nothing masked."""
    from clearlib.course._feedback import hidden_message

    hidden = "assert x\n### BEGIN HIDDEN TESTS\nassert x == 4, f'x is {x}'\n### END HIDDEN TESTS"
    assert hidden_message(hidden, "NameError", "name 'x' is not defined") is None
    assert hidden_message("assert x == 4, f'x is {x}'", "AssertionError", "x is 3") is None


def _one_test_notebook(tmp_path: Path) -> tuple[Path, nbformat.NotebookNode]:
    """A source notebook with one hidden numeric check, and that cell failed as graded."""
    source = (
        '"""Checks the count of patients with no attended appointment."""\n'
        "### BEGIN HIDDEN TESTS\n"
        "assert n == e, f'{e:,} listed patients had no attended appointment'\n"
        "### END HIDDEN TESTS"
    )
    meta = {"grade": True, "solution": False, "locked": True, "points": 2, "schema_version": 3}
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {**meta, "grade_id": "q1-no-shows-test"}
    cell.metadata["clear"] = {"objectives": ["LO2.3"]}
    nb = nbformat.v4.new_notebook(cells=[cell])
    folder = tmp_path / "source" / "02-tables"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "02-tables.ipynb")
    graded = nbformat.v4.new_notebook(cells=[nbformat.from_dict(cell)])
    graded.cells[0].metadata["nbgrader"].update(score=0, points=2)
    graded.cells[0].outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="6,984 listed patients had no attended appointment",
            traceback=["..."],
        )
    ]
    return tmp_path / "source", graded


@pytest.mark.parametrize("release", [False, True])
def test_release_expected_values_gives_full_messages_after_the_deadline(
    tmp_path: Path, release: bool
) -> None:
    """LeakFreeFeedback masks a hidden check's figures unless release_expected_values is set."""
    from clearlib.course import LeakFreeFeedback

    folder, graded = _one_test_notebook(tmp_path)
    cleaner = LeakFreeFeedback(source_directory=str(folder), release_expected_values=release)
    resources = {"nbgrader": {"assignment": "02-tables", "notebook": "02-tables"}}
    nb, _ = cleaner.preprocess(graded, resources)
    text = nb.cells[1].outputs[0].data["text/plain"]
    if release:
        assert "6,984 listed patients had no attended appointment" in text
    else:
        assert "A hidden check found a mistake: … listed patients" in text
        assert "6,984" not in nb.cells[0].source + str(nb.cells[1].outputs)


def test_the_course_config_keeps_expected_values_back(tmp_path: Path) -> None:
    """course/nbgrader_config.py sets release_expected_values = False, and it is plain data."""
    import json

    from clearlib.course import course_config

    cfg = course_config(REPO / "course")
    assert cfg.LeakFreeFeedback.release_expected_values is False
    json.dumps(cfg)  # formgrader shows its configuration: no class objects in it


def test_an_inlined_plotly_library_is_not_a_leak() -> None:
    """plotly.js inlined for offline charts holds code like `return c`: not a hidden test."""
    import plotly.graph_objects as go
    import plotly.io as pio

    page = pio.to_html(go.Figure(go.Bar(y=[1, 2])), include_plotlyjs=True, full_html=True)
    assert "return c" in page  # the minified library really holds it
    assert find_leaks(page, ["return c"]) == []
    assert find_leaks(page + "<script>return c</script>", ["return c"]) == ["return c"]
