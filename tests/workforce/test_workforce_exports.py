"""clearlib.workforce has one public surface: a sorted __all__ of documented names."""

from __future__ import annotations

import inspect

import clearlib.viz._workforce as charts
import clearlib.workforce as wf


def test_all_is_sorted_and_complete():
    """__all__ is sorted (constants, classes, functions) and lists every public name."""
    public = {n for n in dir(wf) if not n.startswith("_")}
    modules = {n for n in public if inspect.ismodule(getattr(wf, n))}
    assert set(wf.__all__) == public - modules
    consts = [n for n in wf.__all__ if n.isupper()]
    classes = [n for n in wf.__all__ if n[0].isupper() and not n.isupper()]
    funcs = [n for n in wf.__all__ if n[0].islower()]
    assert wf.__all__ == sorted(consts) + sorted(classes) + sorted(funcs)


def test_every_public_name_is_documented():
    """Every exported function and class has a docstring; functions show an example or say why."""
    for name in wf.__all__:
        obj = getattr(wf, name)
        if callable(obj):
            assert inspect.getdoc(obj), name
    for name in charts.__all__:
        assert "Examples" in inspect.getdoc(getattr(charts, name)), name
