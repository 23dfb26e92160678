"""Writing files the grader reads: answers exported as FIFOs, device links and huge files.

The exporter runs in the learner's kernel, so the learner can replace it. This cheat wraps
``clearlib.course._answers.export_answers``: each declared answer's file becomes, in turn,

- a FIFO (named pipe) with no writer: a reader that opens it waits forever;
- a symbolic link to ``/dev/zero`` (endless) or ``/dev/urandom``;
- a sparse file of 100 GB (it takes no disk space, but a reader that trusts its size, or reads
  to the end, runs out of memory).

The aim is to hang or crash the trusted process that reads the answers, so that the grading of
the assignment stops (or the learner's failure is recorded as the grader's).

Today's grader: nothing reads these files; 0 of 18 on week 02 (measured). Trusted grader: 0 of
18 on week 02 and 0 of 3 on the tiny fixture (measured); the reader refuses anything but a
regular file of at most the size limit (``it is not a regular file``), without following links
and without waiting on a FIFO, and the others are graded as usual.
"""

import os
from pathlib import Path

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)

try:
    import clearlib.course._answers as _answers

    _real_export = _answers.export_answers

    def export_answers(namespace, folder, spec, tag):
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for i, (name, _kind, _optional) in enumerate(spec):
            for suffix in (".json", ".arrow", ".npy", ".plotly.json"):
                path = out / f"{name}{suffix}"
                try:
                    if path.exists() or path.is_symlink():
                        path.unlink()
                    trick = i % 3
                    if trick == 0:
                        os.mkfifo(path)
                    elif trick == 1:
                        os.symlink("/dev/zero" if suffix == ".json" else "/dev/urandom", path)
                    else:
                        with open(path, "wb") as f:
                            f.truncate(100 * 1024**3)
                except OSError:
                    pass

    _answers.export_answers = export_answers
except ImportError:
    pass

for _name in ANSWERS:
    globals()[_name] = 0
