"""clearlib: the library behind CLEAR Workbooks.

Synthetic Primary Care Network data (``clearlib.synth``), loading and validating extracts
(``clearlib.data``), segmentation and risk stratification (``clearlib.segment``), workforce
modelling (``clearlib.workforce``), disclosure control (``clearlib.privacy``), course tooling
(``clearlib.course``), charts (``clearlib.viz``) and the ``clearlib`` command.

Examples
--------
>>> import clearlib
>>> pcn = clearlib.load_pcn("default")  # doctest: +SKIP
>>> pcn.patients.shape  # doctest: +SKIP
(54216, 15)
"""

from clearlib._exceptions import (
    ClearlibError,
    ConfigError,
    DataError,
    InfeasibleError,
    SpecError,
    ValidationError,
)
from clearlib.data import PCNData, load_pcn, validate

__version__ = "0.1.0"

__all__ = [
    "ClearlibError",
    "ConfigError",
    "DataError",
    "InfeasibleError",
    "PCNData",
    "SpecError",
    "ValidationError",
    "__version__",
    "load_pcn",
    "validate",
]
