"""clearlib.privacy exports exactly its public names, sorted, each with a docstring."""

from __future__ import annotations

import clearlib.privacy as privacy


def test_all_is_complete():
    """__all__ lists the public API once each (ruff's RUF022 keeps it sorted), and every name exists."""
    assert len(privacy.__all__) == len(set(privacy.__all__))
    assert set(privacy.__all__) == {
        "POLICIES",
        "SUPPRESSION_MARKERS",
        "TOTAL_LABELS",
        "Policy",
        "PublishCheck",
        "SuppressedTable",
        "check_number",
        "check_publishable",
        "default_count_columns",
        "generate_key",
        "policy",
        "pseudonymise",
        "suppress",
    }
    public = {n for n in dir(privacy) if not n.startswith("_")}
    assert set(privacy.__all__) <= public


def test_public_callables_have_docstrings_with_examples():
    """Every public function has a numpydoc docstring with an Examples section."""
    for name in (
        "check_number",
        "check_publishable",
        "generate_key",
        "policy",
        "pseudonymise",
        "suppress",
    ):
        doc = getattr(privacy, name).__doc__
        assert doc and "Examples" in doc, name
