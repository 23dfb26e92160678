"""Tampering: the checks module the tests import, and Python's start-up (``.pth`` files).

The test cells call named checks (``from clearlib.course.checks import week02``). The cheat:

1. in its own kernel, replaces every function of every ``clearlib.course.checks`` module with
   one that does nothing, so the named checks pass whatever they are given;
2. on disk, tries to open each checks module (and clearlib's ``__init__.py``) for writing,
   and to create a ``.pth`` file in each ``site-packages`` folder: a ``.pth`` file runs code in
   every Python process that starts from that environment, the grader's included. The ``.pth``
   it writes holds only a comment (so that a run on a machine without the sandbox changes
   nothing); being able to write it at all is the hole.

Today's grader: 0 of 18 on week 02 (measured: the file writes fail, read-only, and some named
checks return values the tests go on to use, so the no-ops break them). Trusted grader: 0 of 18
on week 02 and 0 of 3 on the tiny fixture (measured): its checks module is imported in its own
process, from files the learner could not write.
"""

import importlib
import os
import pkgutil
import site
import sys

import clearlib
import clearlib.course.checks as checks

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


def _passes(*args, **kwargs):
    return None


for _name in dir(checks):  # the package's own checks (checks.is_table...)
    if not _name.startswith("_") and callable(getattr(checks, _name)):
        setattr(checks, _name, _passes)
for _info in pkgutil.iter_modules(checks.__path__):
    try:
        _module = importlib.import_module(f"clearlib.course.checks.{_info.name}")
    except Exception:
        continue
    for _name in dir(_module):
        if not _name.startswith("_") and callable(getattr(_module, _name)):
            setattr(_module, _name, _passes)

writable = []
_targets = [os.path.join(checks.__path__[0], f) for f in os.listdir(checks.__path__[0])]
_targets.append(clearlib.__file__)
for _path in _targets:
    try:
        os.close(os.open(_path, os.O_WRONLY | os.O_APPEND))
        writable.append(_path)
    except OSError:
        pass
for _folder in {*site.getsitepackages(), *[p for p in sys.path if p.endswith("site-packages")]}:
    try:
        with open(os.path.join(_folder, "clear_learner_cheat.pth"), "w") as _f:
            _f.write("# written by a learner's code during grading\n")
        writable.append(_folder)
    except OSError:
        pass
print(f"{len(writable)} module files or site-packages folders writable")

for _name in ANSWERS:
    globals()[_name] = 0
