"""The wrong-answer corpus: the usual mistakes of each question, and which check catches them.

Each assignment has a corpus, ``course/mistakes/<assignment>.toml``: the mistakes its lessons
warn about and the ones its authors have seen, each written as the code a learner would put in
the answer cell(s) instead of the model answer. :func:`run_mistakes` runs the assignment's
model answers cell by cell and, for each mistake, puts the wrong code in place of the model's
answer(s) and runs on to the end, the way a learner runs their notebook, noting the first check
that fails:

- **visible**: the check the learner runs (a test cell without its hidden part), or an error
  in a cell the learner runs, fails: the learner finds the mistake while working;
- **hidden**: only a hidden test fails: the mistake is found at grading, and the feedback names
  it;
- **not caught**: every check passes.

A mistake says what it expects (``visible`` unless catching it visibly would give the answer
away, then ``hidden`` with the reason) and a piece of the message that must name it.
``clearlib course mistakes`` prints the counts per assignment; ``make test`` holds every
expectation, and every autograded question must have at least one mistake.

Corpus format (TOML)::

    [[mistake]]
    question = "q1-pharmacist-phone"     # the answer cell's grade id
    name = "sorted by start only"        # a few words
    warned_in = "question text"           # where the course warns: "lesson 02.01", "authors"...
    expect = "visible"                    # or "hidden", with reason = "..."
    message = "then by appointment_id"    # a piece of the check's message (case ignored)
    code = '''
    pharmacist_phone_mar = ...
    '''

A mistake in several answers at once gives ``[mistake.answers]`` (grade id = code) instead of
``question`` and ``code``.

The runner executes the notebook in a separate Python process (not a Jupyter kernel: cells run
with ``exec``, charts are not drawn), so a mistake that breaks the interpreter cannot harm the
caller, and it reads the dataset once (``clearlib.load_pcn`` keeps it in memory).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from clearlib._exceptions import ConfigError
from clearlib.course._notebook import course_dir as _course_dir

__all__ = [
    "Mistake",
    "MistakeOutcome",
    "MistakeReport",
    "read_corpus",
    "run_mistakes",
]

Caught = Literal["visible", "hidden", "not caught"]
CORPUS_DIR = "mistakes"
_KEYS = {"question", "name", "warned_in", "expect", "message", "code", "answers", "reason"}


@dataclass(frozen=True)
class Mistake:
    """One usual mistake: the wrong code for one or more answer cells, and what should catch it.

    Attributes
    ----------
    name : str
        A few words naming the mistake ("sorted by start only").
    answers : dict of str to str
        The answer cells' grade ids and the wrong code that replaces each model answer.
    expect : {"visible", "hidden"}
        Where it must be caught: by a check the learner runs, or only at grading.
    message : str
        A piece of the failing check's message (compared ignoring case): it names the mistake.
    warned_in : str
        Where the course warns about it ("lesson 02.01", "question text", "authors").
    reason : str
        Why it is caught only at grading (required when ``expect`` is "hidden").
    """

    name: str
    answers: dict[str, str]
    expect: Caught
    message: str
    warned_in: str = ""
    reason: str = ""

    @property
    def questions(self) -> list[str]:
        """The grade ids of the answers it changes, in notebook order of the corpus."""
        return list(self.answers)


@dataclass(frozen=True)
class MistakeOutcome:
    """What happened to one mistake: where it was caught, by which cell, with what message."""

    mistake: Mistake
    caught: Caught
    cell: str = ""
    message: str = ""
    #: An error that stopped the run before any check (e.g. the wrong code itself fails).
    error: str = ""

    @property
    def as_expected(self) -> bool:
        """True if it was caught where the corpus expects, with a message naming it."""
        return (
            self.caught == self.mistake.expect
            and self.mistake.message.lower() in self.message.lower()
        )

    def describe(self) -> str:
        """One line: the mistake, where it was caught and the message (or what went wrong)."""
        m = self.mistake
        where = f"{self.caught} ({self.cell})" if self.cell else self.caught
        text = f"{'/'.join(m.questions)} '{m.name}': caught {where}"
        if self.message:
            text += f": {self.message}"
        if self.error:
            text += f" (could not run: {self.error})"
        if not self.as_expected:
            text += f"  [expected {m.expect}, naming {m.message!r}]"
        return text


@dataclass
class MistakeReport:
    """The corpus of one assignment, run: an outcome per mistake, and what the model did."""

    assignment: str
    outcomes: list[MistakeOutcome] = field(default_factory=list)
    #: Checks the model answers fail (they should pass them all), as "grade id: message".
    model_failures: list[str] = field(default_factory=list)
    #: Autograded questions with no mistake in the corpus.
    uncovered: list[str] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        """How many mistakes were caught visibly, only at grading, and not at all."""
        counts: Counter[str] = Counter({"visible": 0, "hidden": 0, "not caught": 0})
        counts.update(o.caught for o in self.outcomes)
        return counts

    @property
    def unexpected(self) -> list[MistakeOutcome]:
        """The outcomes that are not what the corpus expects."""
        return [o for o in self.outcomes if not o.as_expected]

    @property
    def ok(self) -> bool:
        """True if every mistake is caught as expected, the model passes and no question lacks one."""
        return not (self.unexpected or self.model_failures or self.uncovered)

    def summary(self) -> str:
        """``02-working-with-tables: 14 mistakes: 12 caught visibly, 2 at grading, 0 not caught``."""
        c = self.counts
        return (
            f"{self.assignment}: {len(self.outcomes)} mistakes: {c['visible']} caught visibly, "
            f"{c['hidden']} only at grading, {c['not caught']} not caught"
        )


def corpus_path(assignment: str, course: str | Path | None = None) -> Path:
    """Where an assignment's corpus lives: ``<course>/mistakes/<assignment>.toml``."""
    return _course_dir(course) / CORPUS_DIR / f"{assignment}.toml"


def read_corpus(path: str | Path) -> list[Mistake]:
    """Read a corpus file, checking every entry.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` file of ``[[mistake]]`` entries (see the module docstring).

    Returns
    -------
    list of Mistake

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or an entry lacks a field, has an unknown one, or
        expects something other than "visible" or "hidden" (or "hidden" without a reason).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "01-demo.toml"
    >>> _ = f.write_text('''
    ... [[mistake]]
    ... question = "q1-list-size"
    ... name = "counted everyone ever registered"
    ... expect = "visible"
    ... message = "left or died"
    ... code = "list_size = len(patients)"
    ... ''')
    >>> [m.name for m in read_corpus(f)]
    ['counted everyone ever registered']
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"No wrong-answer corpus at {path}: write the usual mistakes of each question there "
            "(see clearlib/course/_mistakes.py for the format)."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    entries = data.get("mistake", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path} has no [[mistake]] entries.")
    mistakes = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        where = f"{path.name}, mistake {i} ({entry.get('name', 'unnamed')!r})"
        unknown = set(entry) - _KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown field(s) {sorted(unknown)}; the fields are {sorted(_KEYS)}."
            )
        if "answers" in entry:
            answers = dict(entry["answers"])
            if "code" in entry or "question" in entry:
                raise ConfigError(f"{where}: give either [mistake.answers] or question + code.")
        elif "question" in entry and "code" in entry:
            answers = {entry["question"]: entry["code"]}
        else:
            raise ConfigError(f"{where}: give question and code (or [mistake.answers]).")
        missing = [k for k in ("name", "expect", "message") if not entry.get(k)]
        if missing:
            raise ConfigError(f"{where}: missing {', '.join(missing)}.")
        if entry["name"] in seen:
            raise ConfigError(f"{where}: another mistake has the same name; names are unique.")
        seen.add(entry["name"])
        if entry["expect"] not in ("visible", "hidden"):
            raise ConfigError(
                f"{where}: expect is {entry['expect']!r}; it must be 'visible' or 'hidden'."
            )
        if entry["expect"] == "hidden" and not entry.get("reason"):
            raise ConfigError(
                f"{where}: a mistake caught only at grading needs a reason (why a visible check "
                "would give the answer away)."
            )
        mistakes.append(
            Mistake(
                name=entry["name"],
                answers=answers,
                expect=entry["expect"],
                message=entry["message"],
                warned_in=entry.get("warned_in", ""),
                reason=entry.get("reason", ""),
            )
        )
    return mistakes


def run_mistakes(
    assignment: str,
    *,
    course: str | Path | None = None,
    notebook: str | Path | None = None,
    corpus: str | Path | None = None,
    timeout: float = 900,
) -> MistakeReport:
    """Run an assignment's wrong-answer corpus against its checks.

    Parameters
    ----------
    assignment : str
        The assignment (``02-working-with-tables``).
    course : str or Path, optional
        The course folder (default: the project's ``course/``).
    notebook : str or Path, optional
        Another version of the source notebook (e.g. an older one, to compare checks before
        and after a change). Default: ``<course>/source/<assignment>/<assignment>.ipynb``.
    corpus : str or Path, optional
        Another corpus file. Default: ``<course>/mistakes/<assignment>.toml``.
    timeout : float, default 900
        Seconds the whole run may take.

    Returns
    -------
    MistakeReport

    Raises
    ------
    ConfigError
        If the corpus or notebook is missing or malformed, or a mistake names an answer cell
        the notebook does not have.

    Examples
    --------
    >>> report = run_mistakes("02-working-with-tables")  # doctest: +SKIP
    >>> report.summary()  # doctest: +SKIP
    '02-working-with-tables: 16 mistakes: 15 caught visibly, 1 only at grading, 0 not caught'
    """
    root = _course_dir(course)
    nb_path = Path(notebook) if notebook else root / "source" / assignment / f"{assignment}.ipynb"
    corpus_file = Path(corpus) if corpus else corpus_path(assignment, root)
    if not nb_path.is_file():
        raise ConfigError(f"No notebook at {nb_path}: check the assignment's name.")
    mistakes = read_corpus(corpus_file)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PLOTLY_RENDERER": "json"}
    # The notebook runs in a copy of its folder: files its cells write stay out of the course.
    with tempfile.TemporaryDirectory(prefix="clear-mistakes-") as tmp:
        work = Path(tmp) / assignment
        folder = root / "source" / assignment
        if folder.is_dir():
            shutil.copytree(folder, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        work.mkdir(exist_ok=True)
        shutil.copy(nb_path, work / nb_path.name)  # the version asked for (e.g. an older one)
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "clearlib.course._mistake_runner",
                str(work / nb_path.name),
                str(corpus_file.resolve()),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=work,
            check=False,
        )
    if run.returncode:
        raise ConfigError(
            f"The wrong-answer run of {assignment} failed ({nb_path}, {corpus_file}):\n"
            f"{run.stderr[-3000:]}"
        )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    by_name = {m.name: m for m in mistakes}
    outcomes = [
        MistakeOutcome(
            mistake=by_name[o["name"]],
            caught=o["caught"],
            cell=o["cell"],
            message=o["message"],
            error=o["error"],
        )
        for o in result["outcomes"]
    ]
    return MistakeReport(
        assignment=assignment,
        outcomes=outcomes,
        model_failures=result["model_failures"],
        uncovered=result["uncovered"],
    )


def outcome_dict(outcome: MistakeOutcome) -> dict:
    """An outcome as plain data (for JSON reports)."""
    return {**asdict(outcome), "as_expected": outcome.as_expected}
