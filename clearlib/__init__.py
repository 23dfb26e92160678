"""clearlib: the library behind CLEAR Workbooks.

Synthetic Primary Care Network data, validation of real extracts, segmentation and risk
stratification, workforce modelling, charts and the ``clearlib`` command.

Examples
--------
>>> import clearlib
>>> pcn = clearlib.load_pcn("default")  # doctest: +SKIP
>>> pcn.patients.shape  # doctest: +SKIP
(54216, 15)
"""

from clearlib._exceptions import ClearlibError, ConfigError, DataError, SpecError, ValidationError
from clearlib.data import PCNData, load_pcn, validate

__version__ = "0.1.0"

__all__ = [
    "ClearlibError",
    "ConfigError",
    "DataError",
    "PCNData",
    "SpecError",
    "ValidationError",
    "__version__",
    "load_pcn",
    "validate",
]
