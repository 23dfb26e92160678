"""The one exception tree of clearlib.

::

    ClearlibError                 every error clearlib raises on purpose
    ├── SpecError                 a population spec is malformed or inconsistent
    ├── DataError                 a dataset or extract is missing, unreadable or invalid
    │   └── ValidationError       an extract breaks the data dictionary (carries the report)
    ├── ConfigError               a path, option or environment setting cannot be used
    └── InfeasibleError           no team meets demand within the limits (names the constraints)

Every message says what was expected, what was found and what to do next. The CLI prints
``ErrorName: message`` and exits with status 1, without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ClearlibError",
    "ConfigError",
    "DataError",
    "InfeasibleError",
    "SpecError",
    "ValidationError",
]


class ClearlibError(Exception):
    """Base class of every error raised on purpose by clearlib."""


class SpecError(ClearlibError):
    """A population spec is malformed or inconsistent."""


class DataError(ClearlibError):
    """A dataset or extract is missing, unreadable or invalid."""


class ValidationError(DataError):
    """An extract breaks the data dictionary.

    Parameters
    ----------
    message : str
        A summary of every problem found.
    report : object, optional
        The full validation report (a :class:`clearlib.data.ValidationReport`).
    """

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class ConfigError(ClearlibError):
    """A path, option or environment setting cannot be used."""


class InfeasibleError(ClearlibError):
    """No team meets demand within the limits; ``constraints`` names those that cannot be met.

    Parameters
    ----------
    message : str
        What cannot be met, by how much, and what to relax.
    constraints : sequence of str
        Names of the constraints that cannot be met together with the rest.
    """

    def __init__(self, message: str, constraints: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.constraints = list(constraints)
