"""clearlib.segment's public surface: one sorted list, every name real and documented."""

from __future__ import annotations

import inspect

import clearlib.segment as segment
from clearlib.viz import _segment as charts


def test_all_lists_each_public_name_once_and_every_name_exists():
    """__all__ has no duplicates, every name exists, and no public name is left out."""
    assert len(segment.__all__) == len(set(segment.__all__))
    public = {n for n in dir(segment) if not n.startswith("_")}
    assert set(segment.__all__) <= public
    modules = {n for n in public if inspect.ismodule(getattr(segment, n))}
    assert public - modules == set(segment.__all__)


def test_every_public_function_and_class_has_a_docstring_with_an_example():
    """Each public callable says what it does, with an Examples section (numpydoc)."""
    for module, names in ((segment, segment.__all__), (charts, charts.__all__)):
        for name in names:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                doc = inspect.getdoc(obj) or ""
                assert doc, f"{name} has no docstring"
                if name not in {"AUCResult", "LeakageReport", "CohortResult", "SegmentComparison"}:
                    assert "Examples" in doc, f"{name}'s docstring has no example"
