"""Feedback for learners that never reveals hidden tests (jupyter/nbgrader#917).

nbgrader's ``generate_feedback`` renders the *autograded* notebook, whose test cells were
restored from the source version: hidden tests and their tracebacks are in plain view. Here the
same converter runs with :class:`LeakFreeFeedback` between ``GetGrades`` and the HTML export:

- hidden-test regions (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``) and mark
  schemes are cut from every cell, and any line of a hidden test left over is dropped;
- every error output keeps only its last line (``AssertionError: message``), never the
  traceback, which quotes the failing line of the test;
- each test cell's outputs are replaced by one box: points, a plain-language message (the
  assertion message the author wrote), what the test checks and its learning objectives;
- a summary table opens the feedback: every question, its points and objective;
- a written answer still waiting for a hand grade (nbgrader's ``needs_manual_grade``) shows as
  *pending*, never as 0, and the score says how many points are still to be marked;
- a failure raised by a hidden test names the mistake without its figures (every number and
  every value the message interpolates becomes "…"), so the feedback does not give away the
  expected answer while resubmission is open; ``LeakFreeFeedback.release_expected_values =
  True`` shows the full messages (for after the final deadline);
- a learner's plotly figure (stored only as ``application/vnd.plotly.v1+json``) gets a
  ``text/html`` rendering with plotly.js inlined once per page, so it shows offline.

After writing, :func:`generate_feedback` searches each HTML file's visible text for every line
of hidden-test source and for the markers, and deletes any file that still shows one.
"""

from __future__ import annotations

import ast
import html
import re
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Bool, List, Unicode

from clearlib._exceptions import ClearlibError, ConfigError
from clearlib.course._notebook import (
    BEGIN_HIDDEN,
    BEGIN_MARK_SCHEME,
    END_HIDDEN,
    END_MARK_SCHEME,
    GradedCell,
    _strip_region,
    course_config,
    docstring_of,
    graded_cells,
    objectives,
    read_assignment,
    strip_hidden_tests,
    strip_mark_scheme,
)
from clearlib.course._notebook import course_dir as _course_dir

__all__ = [
    "FeedbackReport",
    "LeakFreeFeedback",
    "PlotlyHTML",
    "QuietOverwriteCells",
    "add_figure_html",
    "figure_html",
    "find_leaks",
    "finish_page",
    "generate_feedback",
    "hidden_message",
    "hidden_statements",
    "mask_figures",
    "plain_message",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def plain_message(ename: str, evalue: str) -> str:
    """Say in plain words why a test failed, from its exception's name and value.

    An ``AssertionError`` carries the author's message for the learner, which is returned as
    it is; other errors get a sentence on what usually causes them and what to do.

    Examples
    --------
    >>> plain_message("AssertionError", "Your table should have one row per practice; it has 3")
    'Your table should have one row per practice; it has 3'
    >>> plain_message("NameError", "name 'list_sizes' is not defined").split(" (")[0]
    'The check could not find something your answer should have created'
    """
    evalue = _ANSI.sub("", evalue or "").strip()
    if ename == "AssertionError":
        return evalue or (
            "This check failed. Read the question again and compare your answer with what it "
            "asks for."
        )
    if ename == "NameError":
        return (
            f"The check could not find something your answer should have created ({evalue}). "
            "Run your answer cell (and the cells above it) and make sure it finishes without "
            "an error and uses the name the question gives."
        )
    if ename == "NotImplementedError":
        return (
            "You have not answered this yet: the answer cell still asks you to write your answer."
        )
    if ename in {"CellTimeoutError", "TimeoutError", "DeadKernelError"}:
        return (
            "This check ran out of time or memory. Look for a loop over rows that pandas could "
            "do in one step, or for a table that grows by accident (a join on the wrong key)."
        )
    if ename == "KeyError":
        return (
            f"The check looked for {evalue} in your answer and did not find it. Check the "
            "column (or index) names the question asks for."
        )
    if ename in {"TypeError", "ValueError", "AttributeError", "IndexError"}:
        return (
            f"The check could not use your answer ({ename}: {evalue}). Make sure it is the kind "
            "of object the question asks for (for example a table, a number or a chart)."
        )
    return f"The check stopped with an error ({ename}: {evalue})."


def _first_error(outputs: list[Any]) -> tuple[str, str] | None:
    for out in outputs:
        if out.get("output_type") == "error":
            return str(out.get("ename", "Error")), str(out.get("evalue", ""))
    return None


_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?%?")
HIDDEN_LEAD = "A hidden check found a mistake: "


def mask_figures(message: str) -> str:
    """A message with every number replaced by "…": what a hidden check may say.

    Examples
    --------
    >>> mask_figures("6,984 listed patients had no attended appointment, not 12.5%")
    '… listed patients had no attended appointment, not …'
    """
    return _NUMBER.sub("…", message)


def _template(node: ast.AST | None) -> list[str | None] | None:
    """An assertion message as literal parts and holes (None): ``f"{n} rows"`` is
    ``[None, " rows"]``; None when it is not built from strings."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        parts: list[str | None] = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            else:
                parts.append(None)
        return parts
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        return [*(left or [None]), *(right or [None])]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        left = _template(node.left)
        if left is None:
            return [None]
        parts = []
        for piece in left:
            if piece is None:
                parts.append(None)
                continue
            chunks = re.split(r"%[-#0 +]*\d*(?:\.\d+)?[sdifrgxXeEc]", piece)
            for i, chunk in enumerate(chunks):
                if i:
                    parts.append(None)
                parts.append(chunk)
        return parts
    is_format = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    base = _template(node.func.value) if is_format and node.func.attr == "format" else None
    if base:
        parts = []
        for piece in base:
            if piece is None:
                parts.append(None)
                continue
            for i, chunk in enumerate(re.split(r"\{[^{}]*\}", piece)):
                if i:
                    parts.append(None)
                parts.append(chunk)
        return parts
    return [None]


def _messages_of(block: str) -> list[list[str | None]]:
    """The message templates of every ``assert`` (and ``raise AssertionError(...)``) in code."""
    try:
        tree = ast.parse(textwrap.dedent(block))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        msg = None
        if isinstance(node, ast.Assert):
            msg = node.msg
        elif (
            isinstance(node, ast.Raise)
            and isinstance(node.exc, ast.Call)
            and getattr(node.exc.func, "id", "") == "AssertionError"
            and node.exc.args
        ):
            msg = node.exc.args[0]
        parts = _template(msg)
        if parts and any(p for p in parts if p):
            found.append(parts)
    return found


def _match(parts: list[str | None], message: str) -> re.Match[str] | None:
    pattern = "".join("(.*?)" if p is None else re.escape(p) for p in parts)
    return re.fullmatch(pattern, message, flags=re.DOTALL)


def _masked(parts: list[str | None], found: re.Match[str]) -> str:
    """The message with every hole and number replaced by "…"."""
    text = "".join("\x00" if p is None else p for p in parts)
    return mask_figures(text).replace("\x00", "…")


def hidden_message(source: str, ename: str, evalue: str) -> str | None:
    r"""The message to show for a test failure, when it came from the cell's hidden tests.

    ``source`` is the test cell's source as authored (hidden regions included). A failing
    ``AssertionError`` whose message matches one written in a hidden region (and none written
    outside) came from a hidden check; so does any failure of a cell with hidden tests whose
    assertion message matches no visible one. The figures of such a message are masked. Returns
    None when the failure came from a visible check or is not an assertion (show it as it is).

    Examples
    --------
    >>> src = (
    ...     "assert len(t) == 5, f'one row per practice; you have {len(t)}'\n"
    ...     "### BEGIN HIDDEN TESTS\n"
    ...     "assert n == e, f'{e:,} listed patients had no attended appointment'\n"
    ...     "### END HIDDEN TESTS"
    ... )
    >>> hidden_message(src, "AssertionError", "6,984 listed patients had no attended appointment")
    'A hidden check found a mistake: … listed patients had no attended appointment'
    >>> hidden_message(src, "AssertionError", "one row per practice; you have 3") is None
    True
    """
    blocks = _hidden_blocks(source)
    if not blocks:
        return None
    evalue = _ANSI.sub("", evalue or "").strip()
    visible = _messages_of(strip_hidden_tests(source))
    hidden = [t for block in blocks for t in _messages_of(block)]
    if ename == "AssertionError":
        for parts in hidden:
            found = _match(parts, evalue)
            if found and not any(_match(v, evalue) for v in visible):
                return HIDDEN_LEAD + _masked(parts, found)
        if any(_match(v, evalue) for v in visible):
            return None
        return HIDDEN_LEAD + mask_figures(plain_message(ename, evalue))
    return None  # another error: about the learner's own code (a name, a column), not a check


def _objective_html(ids: tuple[str, ...] | list[str]) -> str:
    known = objectives()
    parts = []
    for oid in ids:
        obj = known.get(oid)
        text = f": {html.escape(obj.text)}" if obj else ""
        parts.append(f"<b>{html.escape(oid)}</b>{text}")
    return "<br>\n".join(parts) or "(no objective recorded)"


def _fmt(x: float | None) -> str:
    if x is None:
        return "0"
    return f"{x:g}"


@dataclass
class _Row:
    grade_id: str
    label: str
    score: float
    points: float
    message: str
    objectives: tuple[str, ...]
    passed: bool
    pending: bool = False


class LeakFreeFeedback(NbGraderPreprocessor):
    """nbgrader preprocessor: feedback without hidden tests or tracebacks, with objectives.

    Runs after ``GetGrades`` (which puts each cell's score in its metadata). Configure it in
    ``nbgrader_config.py``::

        c.GenerateFeedback.preprocessors = [GetGrades, LeakFreeFeedback, CSSHTMLHeaderPreprocessor]
        c.LeakFreeFeedback.source_directory = "/path/to/course/source"
    """

    display_data_priority = List(
        [
            "text/html",
            "application/pdf",
            "text/latex",
            "image/svg+xml",
            "image/png",
            "image/jpeg",
            "text/plain",
        ],
        help="Output types in order of preference (as nbgrader's GetGrades).",
    ).tag(config=True)

    source_directory = Unicode(
        "",
        help="The course's source folder, to read each test's objectives and hidden lines "
        "(default: ./source, nbgrader's working folder being the course root).",
    ).tag(config=True)

    release_expected_values = Bool(
        False,
        help="Show hidden checks' failure messages in full, figures included. Leave False "
        "while learners may resubmit (the figures are often the expected answer); set True "
        "after the final deadline.",
    ).tag(config=True)

    def _source_cells(self, assignment: str, notebook: str) -> dict[str, GradedCell]:
        folder = Path(self.source_directory or "source")
        path = folder / assignment / f"{notebook}.ipynb"
        if not path.is_file():
            self.log.warning("No source notebook %s: feedback will list no objectives", path)
            return {}
        cells, _ = graded_cells(path)
        return {c.grade_id: c for c in cells}

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Clean every cell, then put a summary of the questions first."""
        import nbformat

        info = resources.get("nbgrader", {})
        source = self._source_cells(str(info.get("assignment", "")), str(info.get("notebook", "")))
        self._pending = _pending_grades(info)
        rows: list[_Row] = []
        for cell in nb.cells:
            self._clean(cell, source, rows)
        add_figure_html(nb)
        summary = nbformat.v4.new_markdown_cell(_summary_html(rows, info))
        if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5):
            summary["id"] = "clear-feedback-summary"
        else:  # cell ids arrived with nbformat 4.5
            summary.pop("id", None)
        nb.cells.insert(0, summary)
        return nb, resources

    def _clean(self, cell: Any, source: dict[str, GradedCell], rows: list[_Row]) -> None:
        if BEGIN_MARK_SCHEME in cell.source or END_MARK_SCHEME in cell.source:
            cell.source = strip_mark_scheme(cell.source)
        nbg = cell.get("metadata", {}).get("nbgrader", {}) or {}
        grade_id = str(nbg.get("grade_id", ""))
        src = source.get(grade_id)
        is_test = bool(nbg.get("grade")) and not nbg.get("solution") and cell.cell_type == "code"
        error = _first_error(cell.get("outputs", [])) if cell.cell_type == "code" else None
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    line = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
                    out["traceback"] = [_ANSI.sub("", line)]
        if is_test:
            cell.source = _strip_hidden(cell.source, src)
        if not (nbg.get("grade") or nbg.get("task")):
            return
        score = float(nbg.get("score") or 0.0)
        points = float(nbg.get("points") or 0.0)
        objs = src.objectives if src is not None else ()
        passed = points > 0 and score >= points
        pending = grade_id in getattr(self, "_pending", set())
        if is_test:
            label = "Check"
            if pending:
                message = "Your tutor is checking this mark."
            elif passed:
                message = "Passed."
            elif error is not None:
                message = self._message(src, *error)
            else:
                message = "Your tutor changed this mark: see their comment."
            what = docstring_of(cell.source)
            cell.outputs = [
                _result_output(score, points, message, what, objs, passed, pending=pending)
            ]
        else:
            label = "Written answer" if cell.cell_type == "markdown" else "Answer marked by hand"
            comment = str(nbg.get("comment") or "").strip()
            if pending:
                message = "Not marked yet: your tutor will mark this answer."
            else:
                message = comment or "Marked by your tutor."
        rows.append(_Row(grade_id, label, score, points, message, objs, passed, pending))

    def _message(self, src: GradedCell | None, ename: str, evalue: str) -> str:
        """What a failed check says: a hidden check's figures masked unless released."""
        if src is not None and not self.release_expected_values:
            masked = hidden_message(src.source, ename, evalue)
            if masked is not None:
                return masked
        return plain_message(ename, evalue)


def _pending_grades(info: dict[str, Any]) -> set[str]:
    """Grade ids of this submission that wait for a hand grade (``needs_manual_grade``)."""
    from nbgrader.api import Gradebook, MissingEntry

    url = info.get("db_url")
    if not url:
        return set()
    with Gradebook(url) as gb:
        try:
            nb = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
        except (MissingEntry, KeyError):
            return set()
        return {g.name for g in nb.grades if g.needs_manual_grade}


def figure_html(figure: dict[str, Any], *, include_plotlyjs: bool) -> str:
    """A plotly figure (its JSON) as an HTML fragment that draws it offline.

    With ``include_plotlyjs`` the fragment carries plotly.js itself (about 3.5 MB): give it to
    the first figure of a page only.

    Examples
    --------
    >>> page = figure_html({"data": [{"type": "bar", "y": [1, 2]}]}, include_plotlyjs=False)
    >>> "Plotly.newPlot" in page and "<script" in page
    True
    """
    import plotly.io as pio

    fig = {"data": figure.get("data", []), "layout": figure.get("layout", {})}
    return pio.to_html(
        fig,
        include_plotlyjs=include_plotlyjs,
        full_html=False,
        validate=False,
        config={"displaylogo": False, "responsive": True},
    )


def add_figure_html(nb: Any, *, inline_once: bool = True) -> int:
    """Give each plotly output of a notebook a ``text/html`` rendering; return how many.

    Outputs stored only as ``application/vnd.plotly.v1+json`` (what a plotly figure leaves
    when the notebook did not set a renderer) do not show in nbconvert's HTML. The first figure
    carries plotly.js, the others use it. An HTML rendering the figure already had is replaced:
    it may load plotly.js from a CDN (no use offline) or carry its own copy (megabytes each).
    """
    done = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if PLOTLY_MIME not in data:
                continue
            figure = data[PLOTLY_MIME]
            if isinstance(figure, str):
                import json

                figure = json.loads(figure)
            data["text/html"] = figure_html(figure, include_plotlyjs=not (inline_once and done))
            done += 1
    return done


class PlotlyHTML(NbGraderPreprocessor):
    """nbgrader preprocessor: a ``text/html`` rendering beside each learner's plotly figure.

    For the formgrader, which renders autograded notebooks with nbconvert: put it after
    ``Execute`` in ``c.Autograde.autograde_preprocessors``.
    """

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Add the HTML renderings (plotly.js inlined in the first)."""
        add_figure_html(nb)
        return nb, resources


class QuietOverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells``, without a warning for every test cell with hidden tests.

    A learner's copy of a test cell lacks its hidden tests, so its checksum never matches the
    source's: plain ``OverwriteCells`` warns "Attribute 'checksum' ... has changed!" for each.
    This one warns only when the learner's cell differs from the released version too (they
    edited a locked cell); the cell is put back from the source either way.
    """

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> Any:
        """Remember the learner's source, then let nbgrader put the cell back."""
        self._learner_source = cell.source
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name: str, attr: str, old: Any, new: Any) -> None:
        """Warn, except for the checksum of a locked cell that only lacks its hidden tests."""
        if attr == "checksum":
            try:
                source = self.gradebook.find_source_cell(name, self.notebook_id, self.assignment_id)
            except Exception:  # no source cell: say what nbgrader says
                source = None
            released = strip_hidden_tests(source.source).strip() if source is not None else None
            if released is not None and released == str(self._learner_source).strip():
                self.log.debug("Cell %s lacks its hidden tests, as released", name)
                return
        super().report_change(name, attr, old, new)


def _strip_hidden(source: str, src: GradedCell | None) -> str:
    cleaned = strip_hidden_tests(source)
    if src is None or not src.hidden_lines:
        return cleaned
    visible = {ln.strip() for ln in strip_hidden_tests(src.source).split("\n")}
    hidden = set(src.hidden_lines) - visible
    return "\n".join(ln for ln in cleaned.split("\n") if ln.strip() not in hidden)


def _result_output(
    score: float,
    points: float,
    message: str,
    what: str | None,
    objs: tuple[str, ...],
    passed: bool,
    *,
    pending: bool = False,
) -> Any:
    import nbformat

    colour, mark, verdict = (
        ("#009639", "&#10003;", "Passed") if passed else ("#8A1538", "&#10007;", "Not yet")
    )
    got = _fmt(score)
    if pending:
        colour, mark, verdict, got = "#768692", "&#8987;", "Pending", "pending"
    parts = [
        f'<div class="clear-feedback" style="border-left:4px solid {colour};padding:0.4em 0.8em;">',
        f"<p><b>{mark} {verdict}: {got} / {_fmt(points)} points</b></p>",
    ]
    if not passed:
        parts.append(f"<p>{html.escape(message)}</p>")
    if what:
        parts.append(f"<p><i>What this checks:</i> {html.escape(what)}</p>")
    parts.append(f"<p><i>Learning objective:</i> {_objective_html(objs)}</p></div>")
    text = f"{verdict}: {got} / {_fmt(points)} points. {'' if passed else message}".strip()
    return nbformat.v4.new_output(
        "display_data", data={"text/html": "".join(parts), "text/plain": text}
    )


def _summary_html(rows: list[_Row], info: dict[str, Any]) -> str:
    score = info.get("score")
    max_score = info.get("max_score")
    lines = ['<div class="clear-feedback-summary">', "<h2>Your feedback</h2>"]
    waiting = sum(r.points for r in rows if r.pending)
    if score is not None and max_score is not None and waiting:
        lines.append(
            f"<p><b>Score so far: {_fmt(float(score))} / {_fmt(float(max_score))}</b> "
            f"({_fmt(waiting)} points still to be marked by your tutor: this is not your final "
            "score)</p>"
        )
    elif score is not None and max_score is not None:
        lines.append(f"<p><b>Score: {_fmt(float(score))} / {_fmt(float(max_score))}</b></p>")
    if float(info.get("late_penalty") or 0) > 0:
        lines.append(f"<p>Late submission penalty: {_fmt(float(info['late_penalty']))}</p>")
    lines.append(
        "<p>Each question below shows your points and, where you lost some, what to look at "
        "again. The learning objective says which skill the question practises.</p>"
    )
    lines.append(
        '<table class="table table-condensed"><thead><tr><th>Question</th><th>Points</th>'
        "<th>Feedback</th><th>Learning objective</th></tr></thead><tbody>"
    )
    for r in rows:
        lines.append(
            f'<tr><td><a href="#{html.escape(r.grade_id)}">{html.escape(r.grade_id)}</a>'
            f"<br><small>{html.escape(r.label)}</small></td>"
            f"<td>{'pending' if r.pending else _fmt(r.score)} / {_fmt(r.points)}</td>"
            f"<td>{html.escape(r.message)}</td>"
            f"<td>{_objective_html(r.objectives)}</td></tr>"
        )
    lines.append("</tbody></table></div>")
    return "".join(lines)


class _TextExtractor(HTMLParser):
    """The text a reader sees in an HTML page (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in {"script", "style"}:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible_text(page: str) -> str:
    parser = _TextExtractor()
    parser.feed(page)
    parser.close()
    return re.sub(r"[ \t]+", " ", "".join(parts for parts in parser.parts))


_WORD = re.compile(r"\w+")
#: A script that is a library (plotly.js inlined for offline figures), not the page's content:
#: its minified code holds fragments such as ``return c`` that are no one's hidden test.
_LIBRARY_SCRIPT = re.compile(
    r"<script[^>]*>(?:(?!</script>).){0,400}?\* plotly\.js v\d.*?</script>", re.S
)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _informative(statement: str) -> bool:
    """A statement worth searching for: two or more names or numbers (not ``pass`` or ``)``)."""
    return len(_WORD.findall(statement)) >= 2


def _statements_of(block: str) -> list[str] | None:
    """The statements (nested ones too) of a block of Python, or None if it does not parse."""
    text = textwrap.dedent(block)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            segment = ast.get_source_segment(text, node)
            if segment and _informative(segment):
                found.append(_flat(segment))
    return found


def _hidden_blocks(source: str) -> list[str]:
    """The text of each hidden-test region of a cell, indentation kept, markers left out."""
    blocks: list[list[str]] = []
    inside = False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            inside = True
            blocks.append([])
        elif END_HIDDEN in line:
            inside = False
        elif inside:
            blocks[-1].append(line)
    return ["\n".join(b) for b in blocks]


def hidden_statements(source: str) -> list[str]:
    """Each statement of a cell's hidden tests, whitespace-normalised: what a leak would show.

    A leak is a hidden *statement* on the page, not a line: a line such as ``)`` or a fragment
    of a call that a visible test also contains reveals nothing. Nested statements count on
    their own (a leaked ``assert`` from inside a hidden loop is found). A region that does not
    parse on its own is read in the smallest runs of lines that do; a line that never does is
    kept whole.

    Examples
    --------
    >>> src = (
    ...     "assert x > 0\\n"
    ...     "### BEGIN HIDDEN TESTS\\n"
    ...     "for y in (1, 2):\\n"
    ...     "    assert x != y, (\\n"
    ...     '        "x must not be " + str(y)\\n'
    ...     "    )\\n"
    ...     "### END HIDDEN TESTS"
    ... )
    >>> for s in hidden_statements(src):
    ...     print(s)
    for y in (1, 2): assert x != y, ( "x must not be " + str(y) )
    assert x != y, ( "x must not be " + str(y) )
    """
    found: list[str] = []
    for block in _hidden_blocks(source):
        whole = _statements_of(block)
        if whole is not None:
            found += whole
            continue
        run: list[str] = []
        for line in block.split("\n"):
            run.append(line)
            parsed = _statements_of("\n".join(run))
            if parsed is not None:
                found += parsed
                run = []
        found += [_flat(ln) for ln in run if _informative(ln)]
    return list(dict.fromkeys(found))


def _shows(haystack: str, needle: str) -> bool:
    """Whether ``needle`` is in ``haystack`` as a whole: not inside a longer name."""
    head = r"(?<!\w)" if re.match(r"\w", needle) else ""
    tail = r"(?!\w)" if re.search(r"\w$", needle) else ""
    return re.search(head + re.escape(needle) + tail, haystack) is not None


def find_leaks(page: str, hidden: list[str], public: str | set[str] | None = None) -> list[str]:
    """The hidden-test statements (and markers) that an HTML page shows, in its text or markup.

    Parameters
    ----------
    page : str
        The HTML page.
    hidden : list of str
        Hidden-test statements (:func:`hidden_statements`); whitespace does not matter.
    public : str or set of str, optional
        What learners see anyway (the released notebook's source): a statement found there is
        not a leak.

    Examples
    --------
    >>> find_leaks("<pre><span>assert</span> x == 4</pre>", ["assert x == 4"])
    ['assert x == 4']
    >>> find_leaks("<p>Passed.</p>", ["assert x == 4"])
    []
    >>> find_leaks("<pre>assert x == 40</pre>", ["assert x == 4"])  # another statement
    []
    >>> find_leaks("<pre>assert x == 4</pre>", ["assert x == 4"], public="assert x == 4")
    []
    """
    seen = _flat(public if isinstance(public, str) else "\n".join(public or ()))
    text = _flat(_visible_text(page))
    raw = _flat(html.unescape(_LIBRARY_SCRIPT.sub("<script></script>", page)))
    found = [m for m in (BEGIN_HIDDEN, END_HIDDEN) if m in text or m in raw]
    for statement in hidden:
        needle = _flat(statement)
        if not needle or (seen and _shows(seen, needle)):
            continue
        if _shows(text, needle) or _shows(raw, needle):
            found.append(needle)
    return found


@dataclass
class FeedbackReport:
    """What :func:`generate_feedback` wrote: one HTML file per learner and notebook."""

    assignment: str
    files: list[Path] = field(default_factory=list)
    learners: list[str] = field(default_factory=list)
    log: str = ""

    def summary(self) -> str:
        """One line per learner: where their feedback is.

        Examples
        --------
        >>> FeedbackReport("01-getting-started").summary()
        'Feedback for 01-getting-started: 0 files for 0 learners.'
        """
        head = (
            f"Feedback for {self.assignment}: {len(self.files)} files for "
            f"{len(self.learners)} learners."
        )
        return "\n".join([head, *(f"  {p}" for p in self.files)])


_MATHJAX = re.compile(
    r"(<!-- Loading mathjax macro -->\s*)?<!-- Load mathjax -->.*?"
    r"<!-- End of mathjax configuration -->\s*",
    flags=re.DOTALL,
)


def finish_page(page: str, pending: dict[str, float] | None = None) -> str:
    """The last touches to a feedback page: offline, and pending grades said as pending.

    - MathJax, which nbgrader's template loads from a CDN, is taken out: the page works offline
      and any mathematics shows as its TeX source;
    - nbgrader's template prints every score as a number; an answer still waiting for a hand
      grade (``pending``: grade id to points) shows ``pending`` instead of 0, and the
      notebook's total says it is a score so far.

    Examples
    --------
    >>> page = '<a href="#q3">Written response</a> (Score: 0.0 / 2.0)'
    >>> finish_page(page, {"q3": 2.0})
    '<a href="#q3">Written response</a> (Score: pending / 2.0)'
    """
    page = _MATHJAX.sub("", page)
    for grade_id in pending or {}:
        gid = re.escape(html.escape(grade_id, quote=True))
        page = re.sub(
            rf'(<a href="#{gid}">[^<]*</a> \(Score: )[-\d.]+( / )',
            r"\g<1>pending\g<2>",
            page,
        )
        page = re.sub(
            rf'(<a name="{gid}"></a>(?:(?!<a name=).){{0,600}}?Score: )[-\d.]+( / )',
            r"\g<1>pending\g<2>",
            page,
            flags=re.DOTALL,
        )
    if pending:
        waiting = sum(pending.values())
        page = re.sub(
            r"(<h4>[^<]*\()Score: ([-\d.]+ / [-\d.]+)\)",
            rf"\g<1>Score so far: \g<2>; {waiting:g} points to be marked by your tutor)",
            page,
            count=1,
        )
    return page


def _pending_points(root: Path, assignment: str, learner: str) -> dict[str, float]:
    """Grade id to points of each answer of a learner waiting for a hand grade."""
    from nbgrader.api import Gradebook, MissingEntry

    cfg = course_config(root)
    url = str(cfg.CourseDirectory.db_url or f"sqlite:///{root / 'gradebook.db'}")
    with Gradebook(url, str(cfg.CourseDirectory.course_id or "clear")) as gb:
        try:
            submission = gb.find_submission(assignment, learner)
        except MissingEntry:
            return {}
        return {
            g.name: float(g.max_score or 0.0)
            for nb in submission.notebooks
            for g in nb.grades
            if g.needs_manual_grade
        }


def _public_text(info: Any) -> str:
    """The source learners are given: every notebook as released (solutions and hidden cut)."""
    import nbformat

    parts = []
    for path in info.notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            text = _strip_region(strip_hidden_tests(cell.source), BEGIN_SOLUTION, END_SOLUTION)
            parts.append(strip_mark_scheme(text))
    return "\n".join(parts)


def _learners_own_text(folder: Path) -> str:
    """What a learner wrote: the source of every cell of theirs that is not a test.

    A learner may write, in their own answer, a statement a hidden test also holds (the same
    helper function, say); their own code is no leak. Test cells are left out: the grader
    restores them from the source, hidden tests included.
    """
    import nbformat

    parts = []
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            nbg = cell.get("metadata", {}).get("nbgrader", {}) or {}
            if nbg.get("grade") and not nbg.get("solution"):
                continue
            parts.append(strip_hidden_tests(cell.source))
    return "\n".join(parts)


def generate_feedback(
    assignment: str,
    *,
    course_dir: str | Path | None = None,
    learners: list[str] | None = None,
) -> FeedbackReport:
    """Write leak-free HTML feedback for every autograded submission of an assignment.

    Runs nbgrader's ``GenerateFeedback`` with :class:`LeakFreeFeedback`, then checks each file:
    none may show a line of hidden-test source or a hidden-test marker.

    Parameters
    ----------
    assignment : str
        The assignment (a folder of ``course/source/``), already autograded.
    course_dir : path, optional
        The course root (default: ``course/`` of the checkout, or ``$CLEAR_COURSE_DIR``).
    learners : list of str, optional
        Only these learners (default: every learner with an autograded submission).

    Returns
    -------
    FeedbackReport
        The HTML files written, under ``<course>/feedback/<learner>/<assignment>/``.

    Raises
    ------
    ConfigError
        If the assignment does not exist or nothing has been autograded yet.
    ClearlibError
        If nbgrader fails, or a file would reveal a hidden test (that file is deleted).

    Examples
    --------
    >>> report = generate_feedback("01-getting-started")  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    Feedback for 01-getting-started: 12 files for 12 learners.
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import GetGrades
    from nbgrader.utils import capture_log

    root = _course_dir(course_dir)
    info = read_assignment(assignment, course=root)
    autograded = root / "autograded"
    done = sorted(
        p.parent.name for p in autograded.glob(f"*/{assignment}") if any(p.glob("*.ipynb"))
    )
    wanted = done if not learners else [x for x in learners if x in done]
    missing = sorted(set(learners or []) - set(done))
    if missing or not wanted:
        who = ", ".join(missing) if missing else "anyone"
        raise ConfigError(
            f"No autograded work of {who} for {assignment} in {autograded}. Autograde first: "
            f"clearlib course grade {assignment}."
        )
    cfg = course_config(root)
    cfg.GenerateFeedback.preprocessors = [GetGrades, LeakFreeFeedback, CSSHTMLHeaderPreprocessor]
    cfg.LeakFreeFeedback.source_directory = str(root / "source")
    cfg.HTMLExporter.template_name = "feedback"
    report = FeedbackReport(assignment)
    logs = []
    for learner in wanted:
        cfg.CourseDirectory.assignment_id = assignment
        cfg.CourseDirectory.student_id = learner
        coursedir = CourseDirectory(config=cfg)
        app = GenerateFeedback(coursedir=coursedir, config=cfg)
        app.force = True
        result = capture_log(app)
        logs.append(result.get("log", ""))
        if not result["success"]:
            tail = "\n".join(str(result.get("error", "")).strip().splitlines()[-3:])
            raise ClearlibError(
                f"nbgrader could not write feedback of {learner} for {assignment}: {tail}. "
                "Check the gradebook with `nbgrader db assignment list` from the course folder."
            )
        report.learners.append(learner)
        written = sorted((root / "feedback" / learner / assignment).glob("*.html"))
        pending = _pending_points(root, assignment, learner)
        for path in written:
            page = path.read_text(encoding="utf-8")
            path.write_text(finish_page(page, pending), encoding="utf-8")
        report.files.extend(written)
    report.log = "".join(logs)
    hidden = [st for cell in info.tests for st in hidden_statements(cell.source)]
    public = _public_text(info)
    leaking = []
    for path in report.files:
        own = _learners_own_text(autograded / path.parts[-3] / assignment)
        leaks = find_leaks(path.read_text(encoding="utf-8"), hidden, public + "\n" + own)
        if leaks:
            path.unlink()
            leaking.append(f"{path} ({len(leaks)} lines, e.g. {leaks[0]!r})")
    if leaking:
        report.files = [p for p in report.files if p.exists()]
        raise ClearlibError(
            "Feedback would have shown hidden tests, so these files were deleted: "
            + "; ".join(leaking)
            + ". Check that every hidden test sits between ### BEGIN HIDDEN TESTS and "
            "### END HIDDEN TESTS in the source notebook."
        )
    return report
