"""Charts survive export: every figure draws in nbconvert's HTML and nbgrader's feedback page.

plotly's default in a kernel writes only its JSON mime type, which JupyterLab draws and
nbconvert's HTML export drops without a trace. ``clearlib.viz.use_theme()`` (which every lesson
calls) makes each figure carry an offline ``text/html`` copy too. These tests execute a
notebook, export it as a learner, a tutor or nbviewer would, open the page in headless Chromium
with every network request refused, and count the plotly figures actually drawn.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from clearlib._config import REPO_DIR

PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: plotly.js itself is megabytes; a figure's own HTML is kilobytes.
PLOTLYJS_MIN_CHARS = 1_000_000

CELLS = [
    "import plotly.express as px\nfrom clearlib import viz\nviz.use_theme()",
    'viz.finish(px.bar(x=["A", "B"], y=[1, 2]), "Bars", "Practice", "Count", source="test")',
    "fig = px.line(x=[1, 2, 3], y=[3, 1, 2])\nfig.show()",
    "viz.use_theme()  # called again, as finish() does: plotly.js must not be embedded twice\n"
    "px.scatter(x=[1, 2], y=[2, 1])",
]


def _execute(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    env_renderer = os.environ.pop("PLOTLY_RENDERER", None)
    try:
        NotebookClient(
            nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
        ).execute()
    finally:
        if env_renderer is not None:
            os.environ["PLOTLY_RENDERER"] = env_renderer
    return nb


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return _execute(nb, tmp_path_factory.mktemp("export"))


def _figure_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if PLOTLY_MIME in out.get("data", {})
    ]


def _plotlyjs_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if len(str(out.get("data", {}).get("text/html", ""))) > PLOTLYJS_MIN_CHARS
    ]


def _drawn_offline(html: str, tmp_path: Path, browser) -> tuple[int, list[str]]:
    """Open a page with every non-file request aborted; return (figures drawn, page errors)."""
    page_path = tmp_path / "page.html"
    page_path.write_text(html, encoding="utf-8")
    errors: list[str] = []
    page = browser.new_page()
    try:
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri(), wait_until="load", timeout=180_000)
        page.wait_for_timeout(500)  # newPlot draws synchronously; let any layout settle
        drawn = page.locator(".js-plotly-plot .main-svg").evaluate_all(
            "els => new Set(els.map(e => e.closest('.js-plotly-plot'))).size"
        )
    finally:
        page.close()
    return int(drawn), errors


def test_each_figure_carries_offline_html_beside_the_json(executed):
    """Every figure's output has plotly's JSON and a text/html copy; plotly.js is embedded once."""
    figures = _figure_outputs(executed)
    assert len(figures) == 3
    for out in figures:
        html = out["data"].get("text/html", "")
        assert "Plotly.newPlot" in html, "a figure has no HTML copy: exported pages would drop it"
        assert "https://" not in html, "a figure's HTML fetches something from the network"
    assert len(_plotlyjs_outputs(executed)) == 1, "plotly.js should be embedded exactly once"


def test_exported_html_draws_every_figure_offline(executed, tmp_path, chromium):
    """nbconvert's HTML export (as nbviewer and Binder previews use) draws all 3 figures offline."""
    body, _ = HTMLExporter().from_notebook_node(executed)
    drawn, errors = _drawn_offline(body, tmp_path, chromium)
    assert drawn == 3, f"{drawn} of 3 figures drawn in the exported page; page errors: {errors}"


def test_feedback_page_draws_every_figure_offline(executed, tmp_path, chromium):
    """nbgrader's feedback page (template and CLEAR's leak-free preprocessor) draws all 3 figures."""
    import nbgrader

    from clearlib.course._feedback import LeakFreeFeedback

    root = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    exporter = HTMLExporter(
        template_name="feedback",
        extra_template_basedirs=[str(root / "templates")],
        extra_template_paths=[str(root / "static" / "node_modules" / "bootstrap" / "dist" / "css")],
    )
    exporter.register_preprocessor(LeakFreeFeedback(source_directory=str(tmp_path)), enabled=True)
    info = {
        "notebook": "export",
        "assignment": "export",
        "score": 0.0,
        "max_score": 0.0,
        "late_penalty": 0.0,
    }
    body, _ = exporter.from_notebook_node(executed, resources={"nbgrader": info})
    drawn, errors = _drawn_offline(body, tmp_path, chromium)
    assert drawn == 3, f"{drawn} of 3 figures drawn in the feedback page; page errors: {errors}"


@pytest.mark.slow
@pytest.mark.usefixtures("default_pcn")
def test_a_real_lesson_exports_with_all_its_charts(tmp_path, chromium):
    """Lesson 03.01, executed and exported to HTML, draws every chart it makes, offline."""
    path = next((REPO_DIR / "modules").glob("03-*/03.01-*.ipynb"))
    nb = _execute(nbformat.read(path, as_version=4), path.parent)
    expected = len(_figure_outputs(nb))
    assert expected >= 2
    assert len(_plotlyjs_outputs(nb)) == 1
    body, _ = HTMLExporter().from_notebook_node(nb)
    drawn, errors = _drawn_offline(body, tmp_path, chromium)
    assert drawn == expected, f"{drawn} of {expected} charts drawn; page errors: {errors}"
