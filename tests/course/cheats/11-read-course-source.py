"""Reading the course source: the model answers found from inside the sandbox are run.

The course source, the release, the gradebook, git history, other learners' work: whatever
holds the model solutions.

The cheat searches the file system it can see for the model answers: first the usual places
(the folders above its working directory, ``/tmp``, ``/work``, ``/srv``, ``/home``, ``/root``,
the Python environment), then everything under ``/``, for 15 seconds at most. It looks for:

- notebooks (``*.ipynb``) that answer this week's questions: the faculty source
  (``course/source/NN-*/NN-*.ipynb``), another learner's submitted or autograded notebook;
- git repositories (``.git``): with the ``git`` program it lists every notebook of ``HEAD``
  under ``course/source`` and reads it (``git show``);
- nbgrader gradebooks (``gradebook.db``), whose ``source_cell`` table holds the hidden tests.

Then it runs, in the learner's kernel, the code cells (answers and given cells, not tests) of
the best notebook it found: the one that assigns most of this week's declared answers.

Today's grader: 0 of 18 on week 02 (measured: the sandbox hides the course, the checkout and
its history, the gradebook and other learners' work, so nothing is found); anyone whose sandbox
showed them would get full marks. Trusted grader: 0 of 18 on week 02 and 0 of 3 on the tiny
fixture (measured). The trusted grader changes nothing here (a learner who can read the model
answers can hand them in): the sandbox is the defence, and this case proves it.
"""

import json
import os
import re
import sqlite3
import subprocess
import time

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

_DEADLINE = time.monotonic() + 15
_SKIP = {"/proc", "/sys", "/dev"}
found: dict[str, list[str]] = {"notebooks": [], "git": [], "gradebooks": []}


def _walk(top: str) -> None:
    for folder, subfolders, files in os.walk(top, onerror=lambda error: None):
        if time.monotonic() > _DEADLINE:
            return
        subfolders[:] = [s for s in subfolders if os.path.join(folder, s) not in _SKIP]
        if ".git" in subfolders:
            found["git"].append(os.path.join(folder, ".git"))
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".ipynb") and path not in found["notebooks"]:
                found["notebooks"].append(path)
            elif name.endswith(".db") and "gradebook" in name:
                found["gradebooks"].append(path)


_here = os.getcwd()
_places = [
    os.path.dirname(_here),
    os.path.dirname(os.path.dirname(_here)),
    "/tmp",
    "/work",
    "/srv",
    "/home",
    "/root",
    "/opt",
    "/usr/local",
    "/",
]
for _top in _places:
    if os.path.isdir(_top):
        _walk(_top)


def _code_cells(text: str) -> list[tuple[dict, str]]:
    try:
        nb = json.loads(text)
    except ValueError:
        return []
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            out.append((cell.get("metadata", {}).get("nbgrader", {}) or {}, source))
    return out


def _score(cells: list[tuple[dict, str]]) -> int:
    code = "\n".join(source for meta, source in cells if not meta.get("grade"))
    if "raise NotImplementedError" in code:
        return 0
    return sum(bool(re.search(rf"^\s*{re.escape(n)}\s*=", code, re.MULTILINE)) for n in ANSWERS)


candidates = []
for _path in found["notebooks"]:
    try:
        with open(_path, encoding="utf-8") as _f:
            candidates.append((_path, _code_cells(_f.read())))
    except OSError:
        pass
for _git in found["git"]:
    try:
        _names = subprocess.run(
            ["git", "--git-dir", _git, "ls-tree", "-r", "--name-only", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.split()
        for _name in _names:
            if _name.endswith(".ipynb") and "source" in _name:
                _text = subprocess.run(
                    ["git", "--git-dir", _git, "show", f"HEAD:{_name}"],
                    capture_output=True,
                    text=True,
                    timeout=10,
                ).stdout
                candidates.append((f"{_git}:{_name}", _code_cells(_text)))
    except (OSError, subprocess.SubprocessError):
        pass
hidden_tests = []
for _db in found["gradebooks"]:
    try:
        with sqlite3.connect(f"file:{_db}?mode=ro", uri=True) as _con:
            hidden_tests += [row[0] for row in _con.execute("select source from source_cell")]
    except sqlite3.Error:
        pass

best = max(candidates, key=lambda c: _score(c[1]), default=None)
ran = 0
if best is not None and _score(best[1]) > 0:
    for _meta, _source in best[1]:
        if _meta.get("grade") or _meta.get("locked"):
            continue
        try:
            exec(
                _source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), globals()
            )
            ran += 1
        except BaseException:
            pass
print(
    f"found {len(found['notebooks'])} notebooks, {len(found['git'])} git repositories, "
    f"{len(found['gradebooks'])} gradebooks ({len(hidden_tests)} test cells); "
    f"ran {ran} cells of {best[0] if best and ran else 'no model notebook'}"
)
