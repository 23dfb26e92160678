"""Lessons tell the truth about their own output, and every chart says where its data came from.

A number in a lesson's prose that describes the output beside it ("about 200 people", "no role
is short") goes stale as soon as the data or the method changes, and a learner who sees 225 on
screen and 200 in the text stops trusting both. Such sentences are written by a code cell
(``Markdown(f"...")``) from the numbers just computed. A number in prose that is a published
fact carries its source. These checks read the committed lessons; executing them is
tests/notebooks/test_notebooks.py's job.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

import pytest

from clearlib import viz
from clearlib._config import REPO_DIR

#: Every week's lessons.
LESSONS = sorted(
    p
    for p in (REPO_DIR / "modules").glob("*/*.ipynb")
    if re.match(r"(0[1-9]|1[0-2])-", p.parent.name)
)
#: An approximate number: how prose usually describes an output it has seen.
APPROXIMATE = re.compile(
    r"\b(?:about|around|roughly|nearly|almost|approximately)\s+£?\d|~\s?£?\d|≈\s?£?\d", re.I
)
#: A paragraph that cites where its number comes from (a year in brackets, a named source).
CITED = re.compile(
    r"\([^)]*\b(?:19|20)\d\d\b[^)]*\)|FACTS\.md|\bnational(?:ly)?\b|\bpublished\b|"
    r"\bassum(?:e|ed|ption)s?\b|Time needed|\bspec\b",
    re.I,
)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _prose(source: str) -> list[str]:
    """Paragraphs of a markdown cell, without code blocks and collapsible answers' code."""
    source = re.sub(r"```.*?```", "", source, flags=re.S)
    return [p for p in re.split(r"\n\s*\n", source) if p.strip()]


def test_lessons_found():
    """The weeks' lessons are there to check."""
    assert len(LESSONS) >= 20


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:5])
def test_approximate_numbers_in_prose_cite_a_source(path: Path):
    """An "about N" in a lesson's prose is a cited fact; numbers read off outputs come from code."""
    found = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        for paragraph in _prose("".join(cell["source"])):
            if APPROXIMATE.search(paragraph) and not CITED.search(paragraph):
                found.append(f"cell {i}: {' '.join(paragraph.split())[:160]}")
    assert not found, (
        f"{path.name}: prose quotes approximate numbers with no source; if they describe an "
        "output, write the sentence with Markdown(f'...') from the computed values:\n"
        + "\n".join(found)
    )


def test_the_reported_contradictions_are_written_by_code():
    """09.02's verdict on the average gaps and 11.03's cohort sizes come from the computation."""
    gaps = next(p for p in LESSONS if p.name.startswith("09.02"))
    cohort = next(p for p in LESSONS if p.name.startswith("11.03"))
    for path, words in ((gaps, "roles {verb} short"), (cohort, "people in G003")):
        cells = _cells(path)
        markdown = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        code = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert words in code and "Markdown(" in code, f"{path.name}: {words!r} not written by code"
        assert "no role is short" not in markdown.replace("**", "")
        assert "About 200 people" not in markdown


def _needs_source() -> set[str]:
    """Chart helpers whose ``source`` has no default note: a lesson must give one."""
    names = {"finish"}
    for name in viz.__all__:
        func = getattr(viz, name)
        if not callable(func) or inspect.isclass(func):
            continue
        param = inspect.signature(func).parameters.get("source")
        if param is not None and param.default in (None, inspect.Parameter.empty):
            names.add(name)
    return names


def _chart_calls(source: str):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            yield name, node


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:5])
def test_every_chart_has_a_source_note(path: Path):
    """Every chart a lesson draws carries a source note, as lesson 01.02 tells learners to."""
    needs = _needs_source()
    missing = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        for name, call in _chart_calls("".join(cell["source"])):
            if name not in needs:
                continue
            given = any(k.arg == "source" for k in call.keywords)
            # finish(fig, title, x, y, source): the fifth argument is the source
            if name == "finish" and len(call.args) >= 5:
                given = True
            if not given:
                missing.append(f"cell {i}: {name}(...)")
    assert not missing, f"{path.name}: charts with no source note: {missing}"
