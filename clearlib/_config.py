"""Where things live: the one place that knows paths.

Generated datasets go under ``datasets/synthetic/<name>/`` in a checkout of the repository,
or under ``$CLEAR_DATA_DIR`` when that is set, or under ``~/.cache/clearlib`` for an
installed package with no checkout beside it.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
REFERENCE_DIR = PACKAGE_DIR / "reference"

#: The first day of activity in a generated dataset (start of financial year 2024/25).
WINDOW_START = date(2024, 4, 1)
#: The extract date: the "as at" date for list sizes, registers and frailty.
EXTRACT_DATE = date(2026, 3, 31)

LARGE_TABLES = (
    "patients",
    "conditions",
    "frailty_deficits",
    "medications",
    "appointments",
    "hospital_events",
)
SMALL_TABLES = ("practices", "staff")
TABLES = ("practices", "staff", *LARGE_TABLES)


def _in_checkout() -> bool:
    return (REPO_DIR / "datasets" / "synthetic" / "specs").is_dir()


def synthetic_dir() -> Path:
    """The folder of specs and the data dictionary (repository checkout or packaged copy)."""
    if _in_checkout():
        return REPO_DIR / "datasets" / "synthetic"
    return PACKAGE_DIR / "_packaged"


def specs_dir() -> Path:
    """The folder of population specs (``*.toml``)."""
    return synthetic_dir() / "specs"


def datapackage_path() -> Path:
    """The data dictionary, ``datapackage.json``."""
    return synthetic_dir() / "datapackage.json"


def templates_dir() -> Path:
    """The project workbooks and dashboards (``templates/`` of a checkout, or the packaged copy)."""
    if (REPO_DIR / "templates" / "project").is_dir():
        return REPO_DIR / "templates"
    return PACKAGE_DIR / "_packaged" / "templates"


def data_dir() -> Path:
    """The folder that holds generated datasets, one sub-folder each."""
    env = os.environ.get("CLEAR_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    if _in_checkout():
        return REPO_DIR / "datasets" / "synthetic"
    return Path.home() / ".cache" / "clearlib"
