"""The facts the course cites ship with it, and every citation names a section that exists.

Specs, scenarios, reference tables, chart source notes, lessons and assignments cite
``FACTS.md §N`` (or ``FACTS.md section N``). The page is ``datasets/FACTS.md``; a learner or a
fresh clone must be able to open it, and every section number cited must be one of its
headings.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FACTS = REPO / "datasets" / "FACTS.md"

#: Text files that may cite the facts page.
SUFFIXES = {".ipynb", ".py", ".toml", ".csv", ".md", ".json", ".txt", ".rst", ".cfg", ".yml"}
#: Folders never searched: environments, caches, and generated data (made, never edited).
SKIP_DIRS = {".venv", ".git", "node_modules", "__pycache__", "runs", "build", "dist"}

#: "FACTS.md §3", "FACTS.md`` §6", "FACTS.md section 6", "FACTS.md §1 and §3", "§5–6".
CITATION = re.compile(
    r"FACTS\.md[`'\"]*\s*(?:§|section\s+)\s*"
    r"(?P<first>\d+(?:\.\d+)?)"
    r"(?P<more>(?:\s*(?:,|and|or|–|-|to)\s*§?\s*\d+(?:\.\d+)?(?!\s*%))*)"
)
NUMBER = re.compile(r"\d+(?:\.\d+)?")
HEADING = re.compile(r"^#{2,3}\s+(\d+(?:\.\d+)?)\.?\s+\S", re.MULTILINE)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _sections() -> set[str]:
    return set(HEADING.findall(FACTS.read_text(encoding="utf-8")))


def _cited(text: str) -> list[str]:
    """Section numbers cited in a text, ranges like §5–6 expanded."""
    out: list[str] = []
    for m in CITATION.finditer(text):
        first = m.group("first")
        out.append(first)
        more = m.group("more")
        numbers = NUMBER.findall(more)
        if numbers and re.match(r"\s*(?:–|-|to)", more) and "." not in first + numbers[0]:
            out.extend(str(n) for n in range(int(first) + 1, int(numbers[0]) + 1))
            numbers = numbers[1:]
        out.extend(numbers)
    return out


def _files() -> list[Path]:
    found = []
    for root, dirs, files in os.walk(REPO):
        rel = Path(root).relative_to(REPO)
        dirs[:] = [
            d
            for d in dirs
            if d not in SKIP_DIRS
            and not d.startswith(".")
            # generated datasets under datasets/synthetic/<name>/ are not authored text
            and not (rel == Path("datasets/synthetic") and d not in {"specs", "scenarios"})
        ]
        found.extend(Path(root) / f for f in files if Path(f).suffix in SUFFIXES)
    # this file's examples of the pattern are not citations
    return [p for p in found if p != Path(__file__).resolve()]


def _text(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        nb = json.loads(text)
        return "\n".join("".join(cell.get("source", "")) for cell in nb.get("cells", []))
    return text


def test_facts_page_ships_in_the_repository():
    """datasets/FACTS.md exists, says it is the one cited source, and has sections 1 to 9."""
    assert FACTS.is_file(), f"expected the facts page at {FACTS.relative_to(REPO)}"
    text = FACTS.read_text(encoding="utf-8")
    assert "one source" in text.split("## 1.")[0]
    assert {str(n) for n in range(1, 10)} <= _sections()


def test_facts_page_links_resolve():
    """Every relative link in FACTS.md (its two QOF data files) points to a file that exists."""
    links = [t for t in LINK.findall(FACTS.read_text(encoding="utf-8")) if "://" not in t]
    assert any(t.endswith("prevalence_by_region.csv") for t in links)
    assert any(t.endswith("prevalence_by_imd_decile.csv") for t in links)
    missing = [t for t in links if not (FACTS.parent / t).is_file()]
    assert not missing, f"FACTS.md links to files that do not exist: {missing}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source = 'FACTS.md §3: eFI'", ["3"]),
        ("FACTS.md §1 and §3: 17.5%", ["1", "3"]),
        ("cite FACTS.md §5–6)", ["5", "6"]),
        ("FACTS.md section 6", ["6"]),
        ("``FACTS.md`` §4: 6 > 7", ["4"]),
        ("FACTS.md §5: 82%", ["5"]),
        ("FACTS.md §2.1 only", ["2.1"]),
    ],
)
def test_citation_pattern(text, expected):
    """The citation pattern reads the forms the repository uses, and nothing after them."""
    assert _cited(text) == expected


def test_every_citation_names_an_existing_section():
    """Every "FACTS.md §N" in notebooks, code, specs, tables and pages names a FACTS.md heading."""
    sections = _sections()
    bad: list[str] = []
    count = 0
    for path in _files():
        for number in _cited(_text(path)):
            count += 1
            if number not in sections:
                bad.append(f"{path.relative_to(REPO)}: FACTS.md §{number}")
    assert count > 50, f"expected the repository's many citations, found {count}"
    assert not bad, "citations of sections FACTS.md does not have:\n" + "\n".join(bad)


def test_lessons_link_to_the_facts_page():
    """Lessons that cite FACTS.md in prose link to it, by a path that resolves from the lesson."""
    citing = 0
    for path in sorted((REPO / "modules").glob("*/*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "markdown" or "FACTS.md" not in source:
                continue
            citing += 1
            targets = [t for t in LINK.findall(source) if t.endswith("FACTS.md")]
            assert targets, f"{path.name}: a markdown cell cites FACTS.md without linking it"
            for target in targets:
                assert (path.parent / target).resolve() == FACTS, f"{path.name}: link {target}"
    assert citing >= 2
