"""How long a lesson or an assignment takes a learner: a small, documented estimate.

The syllabus promises about 2 hours of lessons and 1 to 2 hours of assignment a week. Whether a
notebook keeps that promise is a matter of counting, so each lesson states its estimate at the
top ("**Time needed:** about 45 minutes (reading 20, code and exercises 25).") and a test checks
the statement against this estimator.

The model
---------
The learners are clinicians new to Python, reading technical prose about their own work.

- **Reading:** the words of the markdown cells at :data:`WORDS_PER_MINUTE` (160; adults read
  plain prose at 200 to 250 words a minute and slow down for unfamiliar technical text). The
  collapsed answers (``<details>``) and fenced code are not counted here: opening an answer is
  part of an exercise.
- **Code:** :data:`MINUTES_PER_CODE_CELL` (1) to run each code cell and look at what it shows,
  plus :data:`MINUTES_PER_CODE_LINE` (0.15, about ten seconds) to read each line of code.
- **Exercises:** :data:`MINUTES_PER_EXERCISE` (6) for each "Try it" or "Exercise" heading: think,
  type, run, check, open the answer.
- **Assignments:** reading as above; each answer cell :data:`MINUTES_PER_ANSWER` (5) plus
  :data:`MINUTES_PER_SOLUTION_LINE` (0.75) for each line of the model solution (the model
  answers are dense pandas: the learner works each line out, it does not only type it); each
  written answer at :data:`WRITING_WORDS_PER_MINUTE` (15) for the model answer's length; each check cell
  :data:`MINUTES_PER_CHECK` (0.5) to run and read.
- **Going further:** a lesson section whose heading contains "Going further" is optional, up to
  the next heading of the same or a higher level; its time is counted apart (``optional``) and is not part of the week's 2 hours.

Every figure rounds to the nearest 5 minutes, as a stated estimate should.

Examples
--------
>>> est = estimate_cells([("markdown", "word " * 320), ("code", "x = 1\\ny = 2")])
>>> est.reading, est.doing, est.total
(2.0, 1.3, 3.3)
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MINUTES_PER_ANSWER",
    "MINUTES_PER_CHECK",
    "MINUTES_PER_CODE_CELL",
    "MINUTES_PER_CODE_LINE",
    "MINUTES_PER_EXERCISE",
    "MINUTES_PER_SOLUTION_LINE",
    "WORDS_PER_MINUTE",
    "WRITING_WORDS_PER_MINUTE",
    "TimeEstimate",
    "estimate_assignment",
    "estimate_cells",
    "estimate_lesson",
    "round5",
    "stated_assignment_hours",
    "stated_lesson_minutes",
    "time_line",
]

WORDS_PER_MINUTE = 160
MINUTES_PER_CODE_CELL = 1.0
MINUTES_PER_CODE_LINE = 0.15
MINUTES_PER_EXERCISE = 6.0
MINUTES_PER_ANSWER = 5.0
MINUTES_PER_SOLUTION_LINE = 0.75
WRITING_WORDS_PER_MINUTE = 15
MINUTES_PER_CHECK = 0.5

_ANSWER = re.compile(r"<details>.*?</details>", re.S)
_FENCE = re.compile(r"```.*?```", re.S)
_EXERCISE = re.compile(r"^#+.*\b(?:Try it|Exercise)", re.I | re.M)
_FURTHER = re.compile(r"^(#+)\s.*Going further", re.I)
_HEADING = re.compile(r"^(#+)\s", re.M)
_SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@dataclass(frozen=True)
class TimeEstimate:
    """Minutes a notebook takes.

    Attributes
    ----------
    reading : float
        Reading the prose.
    doing : float
        Running and reading code, exercises, answers and checks.
    optional : float
        The "Going further" sections (reading and doing), not in ``total``.
    """

    reading: float
    doing: float
    optional: float = 0.0

    @property
    def total(self) -> float:
        """Reading and doing, without the optional sections."""
        return round(self.reading + self.doing, 1)


def round5(minutes: float) -> int:
    """Round to the nearest 5 minutes (at least 5).

    Examples
    --------
    >>> round5(42.4), round5(42.6), round5(1)
    (40, 45, 5)
    """
    return max(5, 5 * math.floor(minutes / 5 + 0.5))


def _words(markdown: str) -> int:
    text = _FENCE.sub("", _ANSWER.sub("", markdown))
    return len(re.findall(r"[A-Za-z0-9£%]+", text))


def _code_lines(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip() and not line.strip().startswith("#"))


def estimate_cells(cells: list[tuple[str, str]]) -> TimeEstimate:
    """TimeEstimate a lesson from its cells, (kind, source) pairs; see the model above.

    Examples
    --------
    >>> cells = [("markdown", "## Try it\\nCount them."), ("code", "len(x)"),
    ...          ("markdown", "## Going further\\nMore."), ("code", "y")]
    >>> estimate_cells(cells)
    TimeEstimate(reading=0.0, doing=7.2, optional=1.2)
    """
    reading = doing = optional = 0.0
    further_level = 0  # heading level of the "Going further" section we are in, 0 outside
    for kind, source in cells:
        if kind == "markdown":
            parts = [(p, _words(p) / WORDS_PER_MINUTE, _exercises(p)) for p in _chunks(source)]
        elif kind == "code":
            lines = _code_lines(source)
            parts = [("", 0.0, MINUTES_PER_CODE_CELL + MINUTES_PER_CODE_LINE * lines)]
        else:
            continue
        for text, read, do in parts:
            heading = _HEADING.match(text)
            if heading:
                level = len(heading.group(1))
                if _FURTHER.match(text):
                    further_level = level
                elif level <= further_level:
                    further_level = 0
            if further_level:
                optional += read + do
            else:
                reading += read
                doing += do
    return TimeEstimate(round(reading, 1), round(doing, 1), round(optional, 1))


def _chunks(markdown: str) -> list[str]:
    """A markdown cell cut before each heading, so each piece starts with its heading."""
    fenced = [m.span() for m in _FENCE.finditer(markdown)]  # a "# comment" in code is no heading
    starts = [
        m.start()
        for m in _HEADING.finditer(markdown)
        if not any(a <= m.start() < b for a, b in fenced)
    ]
    cuts = [0, *(s for s in starts if s > 0), len(markdown)]
    return [markdown[a:b] for a, b in itertools.pairwise(cuts) if markdown[a:b].strip()]


def _exercises(markdown: str) -> float:
    return MINUTES_PER_EXERCISE * len(_EXERCISE.findall(markdown))


def _cells(path: Path) -> list[dict]:
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return [{**c, "source": "".join(c["source"])} for c in cells]


def estimate_lesson(path: str | Path) -> TimeEstimate:
    """TimeEstimate a lesson notebook (``modules/NN-*/NN.MM-*.ipynb``).

    The line that states the time is not counted as reading.
    """
    cells = [
        (c["cell_type"], _TIME_LINE.sub("", c["source"]))
        for c in _cells(Path(path))
        if c["cell_type"] in ("markdown", "code")
    ]
    return estimate_cells(cells)


def estimate_assignment(path: str | Path) -> TimeEstimate:
    """TimeEstimate an nbgrader source notebook (``course/source/NN-*/NN-*.ipynb``).

    Examples
    --------
    >>> from clearlib._config import REPO_DIR
    >>> est = estimate_assignment(next((REPO_DIR / "course/source").glob("01-*/01-*.ipynb")))
    >>> est.total > 30
    True
    """
    reading = doing = 0.0
    for cell in _cells(Path(path)):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = cell["source"]
        if cell["cell_type"] == "markdown":
            if meta.get("solution"):  # a written answer: the model answer's length
                doing += _words(source) / WRITING_WORDS_PER_MINUTE
            else:
                reading += _words(source) / WORDS_PER_MINUTE
        elif cell["cell_type"] == "code":
            if meta.get("solution"):
                lines = sum(_code_lines(block) for block in _SOLUTION.findall(source))
                doing += MINUTES_PER_ANSWER + MINUTES_PER_SOLUTION_LINE * lines
            elif meta.get("grade"):
                doing += MINUTES_PER_CHECK
            else:
                doing += MINUTES_PER_CODE_CELL + MINUTES_PER_CODE_LINE * _code_lines(source)
    return TimeEstimate(round(reading, 1), round(doing, 1))


_TIME_LINE = re.compile(
    r"\*\*Time needed:\*\* about (\d+) minutes \(reading (\d+), code and exercises (\d+)\)"
    r"(?:; the \"Going further\" sections? add about (\d+))?\."
)
_HOURS = re.compile(r"\*\*Time needed:\*\* about (?:([\d.]+) to )?([\d.]+) (hours?|minutes)\b")


def time_line(estimate: TimeEstimate) -> str:
    """The line a lesson states its time with.

    Examples
    --------
    >>> time_line(TimeEstimate(18.2, 31.0))
    '**Time needed:** about 50 minutes (reading 20, code and exercises 30).'
    >>> time_line(TimeEstimate(18.2, 31.0, optional=12))
    '**Time needed:** about 50 minutes (reading 20, code and exercises 30); the "Going further" sections add about 10.'
    """
    line = (
        f"**Time needed:** about {round5(estimate.total)} minutes (reading "
        f"{round5(estimate.reading)}, code and exercises {round5(estimate.doing)})"
    )
    if estimate.optional:
        line += f'; the "Going further" sections add about {round5(estimate.optional)}'
    return line + "."


def stated_lesson_minutes(path: str | Path) -> int | None:
    """The total minutes a lesson's first cells state, or None when no line states them."""
    for cell in _cells(Path(path))[:3]:
        m = _TIME_LINE.search(cell["source"])
        if m:
            return int(m.group(1))
    return None


def stated_assignment_hours(path: str | Path) -> float | None:
    """The most hours an assignment's first cell states, or None.

    "about 1 to 2 hours" is 2 and "about 90 minutes" is 1.5.
    """
    cells = _cells(Path(path))
    m = _HOURS.search(cells[0]["source"]) if cells else None
    if m is None:
        return None
    return float(m.group(2)) / (60 if m.group(3) == "minutes" else 1)
