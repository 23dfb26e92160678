"""The cheat corpus: code a learner might hand in to score marks without answering.

Each ``NN-class-name.py`` beside this file is the text a cheater puts in the first answer cell
of a blank release (every other answer left as released: ``raise NotImplementedError()``). Its
docstring's first line names the class of cheat; the rest says what it does and what it scores.
The line ``ANSWERS: dict[str, str] = {}`` is filled in with the week's declared answers (name
-> kind), read from the ``# answers:`` lines of the release's test cells: what the learner sees.

Used by ``tests/course/test_cheats.py`` (a few cheats on one week) and
``benchmarks/bench_grading.py --cheats`` (every cheat on every week).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import os
import re
import site
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
PLACEHOLDER = "ANSWERS: dict[str, str] = {}"
_DECLARATION = re.compile(r"^\s*#\s*answers\s*:(?P<body>.*)$", re.IGNORECASE | re.MULTILINE)
#: What a cheat creates when a write it should not be able to make succeeds.
MARKERS = ("LEARNER-WROTE-HERE.txt", "clear_learner_cheat.pth")


def cheat_files() -> list[Path]:
    """Every cheat of the corpus, in order (``01-hook-input-transformer.py``...)."""
    return sorted(p for p in HERE.glob("[0-9][0-9]-*.py"))


def cheat(name: str) -> Path:
    """The cheat whose file name starts with ``name`` (``"07"`` or ``"07-spoof-equal"``)."""
    found = [p for p in cheat_files() if p.name.startswith(name)]
    if len(found) != 1:
        raise KeyError(f"{name!r} matches {[p.name for p in found]} in {HERE}")
    return found[0]


def cheat_class(path: Path) -> str:
    """The class of cheat, from the first line of its docstring (before the colon)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.split(":", 1)[0].strip()


def learner_id(path: Path) -> str:
    """A learner id for the cheat (nbgrader ids: letters, digits, ``-`` and ``_``)."""
    return "cheat-" + path.stem


def declared_answers(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """``{name: kind}`` of every ``# answers:`` line in the notebook's test cells, in order."""
    out: dict[str, str] = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        match = _DECLARATION.search(cell.source)
        if not match or match.group("body").strip().lower() == "none":
            continue
        for item in match.group("body").split(","):
            name, _, kind = item.partition(":")
            if name.strip():
                out.setdefault(name.strip(), kind.strip())
    return out


def cheat_notebook(release: Path | nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """The blank ``release`` notebook with the cheat ``path`` as its first answer cell."""
    nb = (
        copy.deepcopy(release)
        if isinstance(release, nbformat.NotebookNode)
        else nbformat.read(release, as_version=4)
    )
    code = path.read_text(encoding="utf-8")
    if PLACEHOLDER not in code:
        raise ValueError(f"{path.name} has no line {PLACEHOLDER!r} for the week's answers")
    code = code.replace(PLACEHOLDER, f"ANSWERS = {declared_answers(nb)!r}", 1)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            cell.source = code
            return nb
    raise ValueError("the release has no code answer cell to put the cheat in")


def guarded_files() -> list[Path]:
    """The files the tampering cheats try to write: clearlib's checks modules and package
    ``__init__``, the reference tables and the synthetic dataset."""
    import clearlib
    import clearlib.course.checks as checks
    import clearlib.reference as reference
    from clearlib._config import data_dir

    files = [Path(clearlib.__file__)]
    files += sorted(Path(checks.__path__[0]).glob("*.py"))
    files += sorted(Path(reference.__file__).parent.glob("*.csv"))
    data = data_dir()
    if data.is_dir():
        files += sorted(p for p in data.rglob("*") if p.is_file())
    return files


def fingerprint(files: list[Path]) -> dict[str, str]:
    """``{path: sha256}`` of small files, ``{path: size:mtime}`` of large ones."""
    out = {}
    for path in files:
        try:
            info = path.stat()
        except OSError:
            out[str(path)] = "missing"
            continue
        if info.st_size <= 4 * 1024 * 1024:
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[str(path)] = f"{info.st_size}:{info.st_mtime_ns}"
    return out


def leftovers() -> list[Path]:
    """Marker files a cheat left where it should not have been able to write (and removes
    them, so that one failed run does not spoil the next)."""
    import clearlib.reference as reference
    from clearlib._config import data_dir

    folders = [Path(reference.__file__).parent, *site.getsitepackages()]
    folders += [Path(p) for p in sys.path if p.endswith("site-packages")]
    found = []
    for folder in dict.fromkeys(folders):
        for name in MARKERS:
            if (Path(folder) / name).exists():
                found.append(Path(folder) / name)
    data = data_dir()
    if data.is_dir():
        found += list(data.rglob(MARKERS[0]))
    for path in found:
        os.remove(path)
    return found
