"""``clearlib course similarity``: pairs of learners whose work is unusually alike, for a person
to look at. It never changes a mark.

Short pandas answers defeat code fingerprinting alone: a one-line ``groupby().sum()`` leaves
almost nothing to compare, and every correct answer looks like every other. So three signals
are combined, each discounted by how common it is in the cohort:

1. **The same wrong answers.** A failed check's message carries the learner's value ("it is
   61"), so two learners whose checks fail with the same message on a question gave the same
   wrong answer. A mistake many learners share (a usual one) weighs little: the weight is
   ``1 / (learners sharing it - 1)``.
2. **The same unusual code.** Each learner's answer code is normalised (comments and layout
   dropped, their own names replaced by one placeholder, so renaming does not hide a copy),
   cut into token k-grams and fingerprinted by winnowing, as MOSS does (Schleimer, Wilkerson
   and Aiken, "Winnowing: local algorithms for document fingerprinting", SIGMOD 2003).
   Fingerprints of the released notebook and of the model answers are discounted (starter code
   and the right answer are not evidence), and so are fingerprints found in more than a few
   learners' work. Reordering lines keeps most k-grams, so it hides little. (copydetect, a
   maintained implementation, works on files and needs matplotlib; the algorithm is a few
   lines here.)
3. **The same written answers**: word 3-gram overlap of the answers marked by hand, after
   lower-casing and dropping punctuation, leaving out the text the notebook gave them (the
   stub, the question) and answers too short to tell.

A pair is flagged **high** when it shares at least two wrong answers nobody else gave, or two
kinds of evidence; **medium** on one kind. Only flagged pairs are listed, highest first.
"""

from __future__ import annotations

import builtins
import csv
import hashlib
import html
import io
import keyword
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from clearlib._exceptions import ConfigError
from clearlib.course._notebook import course_dir as _course_dir

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "PairFlag",
    "SimilarityReport",
    "fingerprints",
    "similarity_report",
]

Level = Literal["high", "medium"]

#: Token k-gram length and winnowing window (MOSS-like values for short programs).
K = 5
WINDOW = 4
#: Written answers this alike (word 3-gram Jaccard) count as the same text.
WRITTEN_ALIKE = 0.6
#: Written answers shorter than this (word 3-grams of their own) are not compared.
MIN_WRITTEN = 6
#: Code counts as alike when this share of the smaller learner's rare fingerprints is shared,
#: and at least MIN_SHARED fingerprints are.
CODE_ALIKE = 0.5
MIN_SHARED = 3
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class _Work:
    """One learner's work on an assignment, as the similarity signals read it."""

    learner: str
    path: Path
    code: dict[str, str]  # answer cell grade id -> code
    written: dict[str, str]  # written answer grade id -> text
    failures: dict[str, str]  # test cell grade id -> the failing message


@dataclass(frozen=True)
class PairFlag:
    """Two learners whose work is unusually alike, and why.

    Attributes
    ----------
    learners : tuple of str
        The two learners (sorted).
    level : {"high", "medium"}
        How strong the evidence is (see the module docstring).
    score : float
        The combined evidence, for ranking: 2 per rare shared wrong answer (weighted), 3 for
        alike code (times its similarity), 3 per alike written answer.
    shared_wrong : list of (str, str)
        The questions where both gave the same wrong answer, with the check's message.
    code_similarity : float
        Share of the smaller learner's rare code fingerprints that the other has too.
    shared_fingerprints : int
        How many rare code fingerprints they share.
    written_alike : list of (str, float)
        Written answers that are alike, with their word 3-gram overlap.
    paths : tuple of Path
        Each learner's notebook.
    """

    learners: tuple[str, str]
    level: Level
    score: float
    shared_wrong: list[tuple[str, str]]
    code_similarity: float
    shared_fingerprints: int
    written_alike: list[tuple[str, float]]
    paths: tuple[Path, Path]

    @property
    def reasons(self) -> list[str]:
        """Why the pair was flagged, in plain words."""
        out = []
        if self.shared_wrong:
            qs = ", ".join(q for q, _ in self.shared_wrong)
            out.append(f"the same wrong answer in {len(self.shared_wrong)} question(s): {qs}")
        if self.shared_fingerprints >= MIN_SHARED and self.code_similarity >= CODE_ALIKE:
            out.append(
                f"{self.code_similarity:.0%} of their unusual code in common "
                f"({self.shared_fingerprints} fingerprints no other learner has)"
            )
        for q, share in self.written_alike:
            out.append(f"written answer {q} {share:.0%} alike")
        return out


@dataclass
class SimilarityReport:
    """The flagged pairs of one assignment, highest first."""

    assignment: str
    learners: int
    pairs: list[PairFlag] = field(default_factory=list)

    def to_csv(self, path: str | Path) -> Path:
        """Write the pairs as CSV (one row per pair, highest first); return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(
                [
                    "rank",
                    "learner_a",
                    "learner_b",
                    "level",
                    "score",
                    "same_wrong_answers",
                    "code_similarity",
                    "written_alike",
                    "reasons",
                ]
            )
            for rank, p in enumerate(self.pairs, start=1):
                writer.writerow(
                    [
                        rank,
                        *p.learners,
                        p.level,
                        f"{p.score:.2f}",
                        len(p.shared_wrong),
                        f"{p.code_similarity:.2f}",
                        len(p.written_alike),
                        "; ".join(p.reasons),
                    ]
                )
        return path

    def to_html(self, path: str | Path) -> Path:
        """Write a readable page: a row per pair, links to both notebooks, and the evidence."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = []
        for rank, p in enumerate(self.pairs, start=1):
            links = " and ".join(
                f'<a href="{html.escape(_relative(nb, path.parent))}">{html.escape(name)}</a>'
                for name, nb in zip(p.learners, p.paths, strict=True)
            )
            why = "".join(f"<li>{html.escape(r)}</li>" for r in p.reasons)
            wrong = "".join(
                f"<li><b>{html.escape(q)}</b>: {html.escape(_short(m))}</li>"
                for q, m in p.shared_wrong
            )
            detail = f"<ul>{why}</ul>" + (
                f"<details><summary>The shared wrong answers</summary><ul>{wrong}</ul></details>"
                if wrong
                else ""
            )
            rows.append(
                f'<tr class="{p.level}"><td>{rank}</td><td>{links}</td><td>{p.level}</td>'
                f"<td>{p.score:.1f}</td><td>{detail}</td></tr>"
            )
        body = "\n".join(rows) or '<tr><td colspan="5">No pair is unusually alike.</td></tr>'
        path.write_text(
            f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Similarity: {html.escape(self.assignment)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ccc; padding: .4rem; vertical-align: top; text-align: left; }}
tr.high td:nth-child(3) {{ color: #a00; font-weight: bold; }}
</style></head><body>
<h1>Work that is unusually alike: {html.escape(self.assignment)}</h1>
<p>{self.learners} learners; {len(self.pairs)} pair(s) flagged. This list is for a person to
look at: alike work is not proof of copying (a study group, a shared mistake from the same
lesson), and it never changes a mark.</p>
<table><thead><tr><th>#</th><th>Learners</th><th>Level</th><th>Score</th><th>Why</th></tr></thead>
<tbody>
{body}
</tbody></table></body></html>
""",
            encoding="utf-8",
        )
        return path


def _relative(target: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(target, start)).as_posix()


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _normalised_tokens(code: str) -> list[str]:
    """The code's tokens with layout and comments dropped and the learner's names made one.

    Examples
    --------
    >>> _normalised_tokens("total = df['n'].sum()  # add up")
    ['V', '=', 'V', '[', "'n'", ']', '.', 'sum', '(', ')']
    """
    tokens: list[str] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (
                tokenize.COMMENT,
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.ENDMARKER,
            ):
                continue
            text = tok.string
            if tok.type == tokenize.NAME and not (
                keyword.iskeyword(text) or text in _BUILTINS or previous == "."
            ):
                text = "V"
            tokens.append(text)
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens.extend(code.split())
    return tokens


def fingerprints(code: str, k: int = K, window: int = WINDOW) -> set[int]:
    """Winnowed fingerprints of normalised code (Schleimer, Wilkerson and Aiken 2003).

    Hash every k-gram of tokens, then keep the smallest hash of each window of ``window``
    consecutive hashes: any match of at least ``k + window - 1`` tokens is found.

    Examples
    --------
    >>> a = fingerprints("x = df.groupby('p')['n'].sum().sort_values()")
    >>> b = fingerprints("totals = df.groupby('p')['n'].sum().sort_values()")
    >>> a == b
    True
    >>> fingerprints("x = 1") == set()
    True
    """
    tokens = _normalised_tokens(code)
    if len(tokens) < k:
        return set()
    hashes = [
        int.from_bytes(
            hashlib.blake2b(" ".join(tokens[i : i + k]).encode(), digest_size=8).digest()
        )
        for i in range(len(tokens) - k + 1)
    ]
    if len(hashes) <= window:
        return {min(hashes)}
    return {min(hashes[i : i + window]) for i in range(len(hashes) - window + 1)}


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _read_work(learner: str, path: Path) -> _Work:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code, written, failures = {}, {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {}) or {}
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        if meta.get("solution") and cell.cell_type == "code":
            code[grade_id] = cell.source
        elif meta.get("solution"):
            written[grade_id] = cell.source
        elif meta.get("grade") and cell.cell_type == "code":
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                e = errors[-1]
                failures[grade_id] = f"{e.get('ename', '')}: {e.get('evalue', '')}".strip()
    return _Work(learner, path, code, written, failures)


def _cell_sources(nb: nbformat.NotebookNode) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def similarity_report(
    assignment: str,
    *,
    course_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
) -> SimilarityReport:
    """Rank the pairs of learners whose work on an assignment is unusually alike.

    Reads each learner's autograded notebook (``autograded/<learner>/<assignment>/``, where the
    checks' messages are), or the submitted one if it has not been graded; discounts the
    released notebook and the model answers. Writes ``exports/similarity/<assignment>.csv`` and
    ``.html`` (or under ``out_dir``).

    Parameters
    ----------
    assignment : str
        The assignment (``02-working-with-tables``).
    course_dir : str or Path, optional
        The course folder (default: the project's ``course/``).
    out_dir : str or Path, optional
        Where to write the CSV and HTML (default: ``<course>/exports/similarity``).

    Returns
    -------
    SimilarityReport

    Raises
    ------
    ConfigError
        If fewer than two learners have handed the assignment in.

    Examples
    --------
    >>> report = similarity_report("02-working-with-tables")  # doctest: +SKIP
    >>> [(p.learners, p.level) for p in report.pairs[:1]]  # doctest: +SKIP
    [(('ab123', 'cd456'), 'high')]
    """
    import nbformat

    root = _course_dir(course_dir)
    works: list[_Work] = []
    for step in ("autograded", "submitted"):
        for folder in sorted((root / step).glob(f"*/{assignment}")):
            learner = folder.parent.name
            if any(w.learner == learner for w in works):
                continue
            for nb_path in sorted(folder.glob("*.ipynb")):
                works.append(_read_work(learner, nb_path))
                break
    if len(works) < 2:
        raise ConfigError(
            f"{len(works)} learner(s) have handed in {assignment} in {root}: at least two are "
            "needed to compare. Collect the submissions first (clearlib course grade reads "
            "submitted/<learner>/<assignment>/)."
        )
    boiler: set[int] = set()
    given_words: set[tuple[str, ...]] = set()  # the written answers' stub and model text
    for step in ("release", "source"):
        for nb_path in (root / step / assignment).glob("*.ipynb"):
            nb = nbformat.read(nb_path, as_version=4)
            boiler |= fingerprints(_cell_sources(nb))
            given_words |= _shingles("\n".join(c.source for c in nb.cells if c.cell_type != "code"))

    prints = {w.learner: {q: fingerprints(c) - boiler for q, c in w.code.items()} for w in works}
    everyone = Counter(fp for fps in prints.values() for fp in set().union(*fps.values(), set()))
    rare_max = max(2, round(0.1 * len(works)))
    rare = {
        learner: {fp for fps in by_q.values() for fp in fps if everyone[fp] <= rare_max}
        for learner, by_q in prints.items()
    }
    wrong_count = Counter((q, m) for w in works for q, m in w.failures.items())
    pairs = []
    for a, b in combinations(works, 2):
        shared_wrong = [
            (q, m) for q, m in a.failures.items() if b.failures.get(q) == m and not _blank(m)
        ]
        weight = sum(1 / (wrong_count[(q, m)] - 1) for q, m in shared_wrong)
        ra, rb = rare[a.learner], rare[b.learner]
        shared = len(ra & rb)
        code_sim = shared / min(len(ra), len(rb)) if ra and rb else 0.0
        written = []
        for q, text in a.written.items():
            mine = _shingles(text) - given_words
            theirs = _shingles(b.written.get(q, "")) - given_words
            if min(len(mine), len(theirs)) < MIN_WRITTEN:
                continue  # unanswered, or too short to tell
            share = _jaccard(mine, theirs)
            if share >= WRITTEN_ALIKE:
                written.append((q, round(share, 2)))
        code_alike = shared >= MIN_SHARED and code_sim >= CODE_ALIKE
        kinds = (weight >= 1) + code_alike + bool(written)
        score = 2 * weight + (3 * code_sim if code_alike else 0) + 3 * len(written)
        if not kinds:
            continue
        rare_wrong = sum(wrong_count[(q, m)] == 2 for q, m in shared_wrong)
        level: Level = "high" if kinds >= 2 or rare_wrong >= 2 else "medium"
        pairs.append(
            PairFlag(
                learners=(a.learner, b.learner),
                level=level,
                score=round(score, 3),
                shared_wrong=shared_wrong,
                code_similarity=round(code_sim, 3),
                shared_fingerprints=shared,
                written_alike=written,
                paths=(a.path, b.path),
            )
        )
    pairs.sort(key=lambda p: (p.level != "high", -p.score, p.learners))
    report = SimilarityReport(assignment=assignment, learners=len(works), pairs=pairs)
    out = Path(out_dir) if out_dir else root / "exports" / "similarity"
    report.to_csv(out / f"{assignment}.csv")
    report.to_html(out / f"{assignment}.html")
    return report


def _blank(message: str) -> bool:
    """A failure that only says no answer was given (not answered, name not defined) is no
    evidence: every blank answer gives it."""
    from clearlib.course._answers import NOT_DEFINED

    return (
        "NotImplementedError" in message
        or message.startswith("NameError")
        or (message.startswith("AnswerError") and NOT_DEFINED in message)
    )
