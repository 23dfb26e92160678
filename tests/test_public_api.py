"""Each package has one public surface: an __all__ naming everything public it exports.

(ruff's RUF022 keeps each __all__ sorted, isort-style.)
"""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "clearlib",
    "clearlib.course",
    "clearlib.course.checks",
    "clearlib.dashboard",
    "clearlib.data",
    "clearlib.privacy",
    "clearlib.projects",
    "clearlib.reference",
    "clearlib.segment",
    "clearlib.synth",
    "clearlib.viz",
    "clearlib.workforce",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_complete_and_resolvable(name: str) -> None:
    """Every name in __all__ exists, and no other public name is exported."""
    module = importlib.import_module(name)
    exported = list(module.__all__)
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names {missing}, which do not exist"
    public = {  # functions and classes the package itself defines, not tools it imports
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and str(getattr(v, "__module__", "")).startswith(name)
    }
    assert public <= set(exported), (
        f"{name} exports {sorted(public - set(exported))} outside __all__"
    )
