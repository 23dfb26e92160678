"""``clearlib course publish-learner``: the learner edition, with no answers in it.

Learners must never open the faculty repository: ``course/source`` holds every model answer
and hidden test, and its git history holds them all. The learner edition is a separate folder
(published as its own repository or branch) holding only what a learner needs:

- ``modules/``: the lessons, as in the repository (committed without outputs);
- ``assignments/NN-slug/``: each assignment as nbgrader releases it (answers replaced by
  stubs, hidden tests removed), made in a temporary course so nothing of the real one changes;
- ``clearlib/``, ``pyproject.toml``, ``datasets/`` (specs, data dictionary, facts and reference
  tables, mappings and code lists; no generated data) and ``templates/``: what the notebooks
  import and what makes the synthetic PCN;
- ``jupyter/``: the learner-side Jupyter configuration (``course/learner/jupyter``: faculty
  tools off, nbgrader's validator set up);
- ``README.md``, ``HANDING-IN.md`` (where the assignment is and how to hand it in, in five
  steps), ``Makefile`` (``make setup | lab | validate | submit | check``) and ``binder/`` for
  learners (``course/learner/edition``);
- ``my-work/``, git-ignored, where learners keep their copies, so an update never conflicts
  (and ``to-hand-in/``, where ``clearlib course submit`` puts the file to upload, ignored too);
- ``EDITION.json``: what it was built from.

Before it returns, :func:`scan_edition` searches every text file of the edition for each model
answer statement, hidden-test statement and model written answer of the course source (those a
learner does not see in the released notebooks or the lessons anyway); any found is an error,
and so are the nbgrader solution and hidden-test markers.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clearlib._config import REPO_DIR
from clearlib._exceptions import ClearlibError, ConfigError
from clearlib.course._notebook import BEGIN_HIDDEN, END_HIDDEN, list_assignments, week_of
from clearlib.course._notebook import course_dir as _course_dir

__all__ = [
    "LearnerEdition",
    "publish_learner_edition",
    "scan_edition",
]

BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
#: Repository paths copied as they are (no answers live in them).
COPIED = (
    "clearlib",
    "modules",
    "templates",
    "pyproject.toml",
    "datasets/synthetic/specs",
    "datasets/synthetic/scenarios",
    "datasets/synthetic/datapackage.json",
    "datasets/synthetic/README.md",
    "datasets/FACTS.md",
    "datasets/reference",
    "datasets/mappings",
    "datasets/codelists",
)
_IGNORE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".ipynb_checkpoints", ".pytest_cache", "*.egg-info"
)
_TEXT_SUFFIXES = {".ipynb", ".py", ".md", ".toml", ".json", ".txt", ".csv", ".cfg", ".html", ""}
#: Written model answers are searched sentence by sentence, sentences of this many words or more.
_MIN_WORDS = 8
#: Statements are searched for when they hold this many names, numbers or strings or more.
_MIN_NAMES = 3


@dataclass
class LearnerEdition:
    """What :func:`publish_learner_edition` wrote."""

    folder: Path
    assignments: list[str] = field(default_factory=list)
    lessons: int = 0
    #: Secrets the scan searched for (statements and sentences).
    searched: int = 0

    def summary(self) -> str:
        """One line: where, how many lessons and assignments, and the scan."""
        return (
            f"Learner edition in {self.folder}: {self.lessons} lessons, "
            f"{len(self.assignments)} assignments; no model answer or hidden test in it "
            f"({self.searched:,} searched for)."
        )


def _copy(src: Path, dest: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dest, ignore=_IGNORE, dirs_exist_ok=True)
    elif src.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)


def _git_commit(repo: Path) -> str:
    run = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return run.stdout.strip() if run.returncode == 0 else "unknown"


def publish_learner_edition(
    out: str | Path,
    *,
    course_dir: str | Path | None = None,
    through_week: int | None = None,
    commit: bool = False,
) -> LearnerEdition:
    """Build the learner edition in ``out`` (see the module docstring for what is in it).

    Parameters
    ----------
    out : str or Path
        The edition's folder. If it exists, everything the edition owns is replaced; its
        ``.git`` and learners' ``my-work/`` are kept, so faculty can keep the edition as a
        clone of the learners' repository and commit each week's build on top.
    course_dir : str or Path, optional
        The course folder (default: the project's ``course/``).
    through_week : int, optional
        Release the assignments of weeks up to this one only (default: all). Lessons are all
        included.
    commit : bool
        Commit the result in ``out`` (which must be a git repository), ready to push.

    Returns
    -------
    LearnerEdition

    Raises
    ------
    ConfigError
        If ``out`` is inside the faculty repository, or ``commit`` is asked of a folder that
        is not a git repository.
    ClearlibError
        If the scan finds a model answer or hidden test in the edition (it is left in place
        for inspection; nothing is committed).

    Examples
    --------
    >>> edition = publish_learner_edition("/tmp/clear-learners", through_week=2)  # doctest: +SKIP
    >>> edition.assignments  # doctest: +SKIP
    ['01-getting-started', '02-working-with-tables']
    """
    from clearlib.course._check import generate_release

    root = _course_dir(course_dir)
    out = Path(out).resolve()
    repo = REPO_DIR.resolve()
    if out == repo or repo in out.parents:
        raise ConfigError(
            f"{out} is inside the faculty repository ({repo}): the learner edition must live "
            "elsewhere (a clone of the learners' repository, or a new folder)."
        )
    if commit and not (out / ".git").exists():
        raise ConfigError(
            f"{out} is not a git repository, so there is nothing to commit to: clone the "
            "learners' repository there first (git clone URL OUT), or leave out --commit."
        )
    out.mkdir(parents=True, exist_ok=True)
    for child in out.iterdir():
        if child.name in (".git", "my-work"):
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()

    for rel in COPIED:
        _copy(repo / rel, out / rel)
    templates = root / "learner"
    _copy(templates / "jupyter", out / "jupyter")
    _copy(templates / "edition", out)
    _copy(repo / "binder" / "requirements.txt", out / "binder" / "requirements.txt")
    _copy(repo / "binder" / "runtime.txt", out / "binder" / "runtime.txt")
    (out / "my-work").mkdir(exist_ok=True)
    (out / ".gitignore").write_text(
        "# learners' own copies, the environment and generated data: never in the edition\n"
        "my-work/\nto-hand-in/\n.venv/\n__pycache__/\n.ipynb_checkpoints/\n*.egg-info/\n"
        "datasets/synthetic/*/\n!datasets/synthetic/specs/\n!datasets/synthetic/scenarios/\n",
        encoding="utf-8",
    )

    names = [
        a
        for a in list_assignments(root)
        if through_week is None or (week_of(a) or 0) <= through_week
    ]
    for name in names:
        generate_release(name, out / "assignments", course_dir=root)

    lessons = sum(1 for _ in (out / "modules").rglob("*.ipynb"))
    (out / "EDITION.json").write_text(
        json.dumps(
            {
                "built": datetime.now(UTC).isoformat(timespec="seconds"),
                "from_commit": _git_commit(repo),
                "assignments": names,
                "lessons": lessons,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    searched, leaks = scan_edition(out, course_dir=root)
    if leaks:
        shown = "\n".join(f"  {path}: {text[:120]}" for path, text in leaks[:20])
        raise ClearlibError(
            f"The learner edition in {out} holds {len(leaks)} piece(s) of model answers or hidden "
            f"tests (nothing was committed):\n{shown}\nFind where each came from and keep it "
            "out of the lessons and clearlib."
        )
    if commit:
        subprocess.run(["git", "-C", str(out), "add", "-A"], check=True, capture_output=True)
        subprocess.run(
            [
                "git",
                "-C",
                str(out),
                "commit",
                "--quiet",
                "--allow-empty",
                "-m",
                f"Learner edition: lessons and assignments {', '.join(names) or '(none)'}",
            ],
            check=True,
            capture_output=True,
        )
    return LearnerEdition(folder=out, assignments=names, lessons=lessons, searched=searched)


def _secrets(root: Path) -> dict[str, bool]:
    """Every model-answer statement, hidden-test statement and model written sentence of the
    course source, each with whether it *gives something away on its own*: a hidden ``assert``,
    a model statement that assigns a question's answer (a name its check reads), a written
    sentence. The others (a hidden test's helper such as counting rows per patient) are
    searched for in lessons and assignments, but not in clearlib, whose named checks build on
    the same plain steps to recognise mistakes."""
    import nbformat

    from clearlib.course._feedback import _WORD, _flat, _statements_of, hidden_statements

    secrets: dict[str, bool] = {}

    def add(statement: str, telling: bool) -> None:
        secrets[statement] = secrets.get(statement, False) or telling

    for nb_path in sorted((root / "source").glob("*/*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        cells = nb.cells
        for i, cell in enumerate(cells):
            meta = cell.metadata.get("nbgrader", {}) or {}
            if cell.cell_type == "code":
                for statement in hidden_statements(cell.source):
                    add(statement, statement.startswith("assert "))
                if meta.get("solution"):
                    block = _region(cell.source, BEGIN_SOLUTION, END_SOLUTION)
                    read = _names_checked(cells[i + 1 :])
                    for statement in _statements_of(block) or [_flat(block)]:
                        target = re.match(r"(\w+)\s*(?:\[.*?\])?\s*=[^=]", statement)
                        add(statement, bool(target and target.group(1) in read))
            elif meta.get("solution"):  # a model written answer
                for sentence in re.split(r"(?<=[.!?])\s+", _flat(cell.source)):
                    if len(sentence.split()) >= _MIN_WORDS:
                        add(sentence, True)
    # Statements of one or two names ("return c", ROLE = "practice_nurse") identify nothing.
    return {s: t for s, t in secrets.items() if len(_WORD.findall(s)) >= _MIN_NAMES}


def _names_checked(following: list) -> set[str]:
    """The names the next test cell reads: the question's answers."""
    from clearlib.course._notebook import strip_hidden_tests

    for cell in following:
        meta = cell.metadata.get("nbgrader", {}) or {}
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            try:
                tree = ast.parse(strip_hidden_tests(cell.source))
            except SyntaxError:
                return set()
            return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return set()


def _region(source: str, begin: str, end: str) -> str:
    lines, inside, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            inside = found = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return "\n".join(lines) if found else source


def _text_files(folder: Path) -> list[Path]:
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and ".git" not in p.relative_to(folder).parts
        and "my-work" not in p.relative_to(folder).parts
        and p.suffix in _TEXT_SUFFIXES
    ]


def scan_edition(
    folder: str | Path, *, course_dir: str | Path | None = None
) -> tuple[int, list[tuple[str, str]]]:
    """Search a learner edition for the course source's model answers and hidden tests.

    A statement (or written sentence) counts when it is found whole in a file of the edition
    and is not in what learners see anyway: the released assignments and the lessons. In
    ``clearlib/`` only the statements that give something away on their own count (hidden
    asserts, statements assigning an answer, written sentences; see :func:`_secrets`).

    Returns
    -------
    tuple of (int, list of (str, str))
        How many secrets were searched for, and each one found: (the file, relative to the
        edition, the text).
    """
    from clearlib.course._feedback import _flat, _shows

    folder = Path(folder)
    root = _course_dir(course_dir)
    secrets = _secrets(root)
    texts: dict[str, str] = {}
    for path in _text_files(folder):
        raw = path.read_text(encoding="utf-8", errors="replace")
        texts[path.relative_to(folder).as_posix()] = _flat(
            _notebook_text(raw) if path.suffix == ".ipynb" else raw
        )
    public = "\n".join(
        t for rel, t in texts.items() if rel.startswith(("assignments/", "modules/"))
    )
    # One text for all files (each found position maps back to its file): a substring search
    # per secret, then the whole-word check only where it is found.
    starts, parts, offset = [], [], 0
    for rel, text in texts.items():
        starts.append((offset, rel))
        parts.append(text)
        offset += len(text) + 1
    everything = "\n".join(parts)
    found: list[tuple[str, str]] = []
    for rel, text in texts.items():
        for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
            if f"### {marker}" in text and not rel.startswith("clearlib/"):
                found.append((rel, f"### {marker}"))
    for secret, telling in sorted(secrets.items()):
        at = everything.find(secret)
        if at < 0 or (secret in public and _shows(public, secret)):
            continue
        while at >= 0:
            rel = next(r for start, r in reversed(starts) if start <= at)
            if (telling or not rel.startswith("clearlib/")) and _shows(texts[rel], secret):
                found.append((rel, secret))
                break
            at = everything.find(secret, at + 1)
    return len(secrets), sorted(set(found))


def _notebook_text(raw: str) -> str:
    """The text of a notebook file: each cell's source and printed outputs, one after another."""
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    parts = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        parts.append("".join(source) if isinstance(source, list) else str(source))
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
    return "\n".join(parts)
