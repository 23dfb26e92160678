"""clearlib: the library behind CLEAR Workbooks.

Synthetic Primary Care Network data, validation of real extracts, segmentation and risk
stratification, workforce modelling, charts and the ``clearlib`` command.
"""

from clearlib._exceptions import ClearlibError, ConfigError, DataError, SpecError, ValidationError
from clearlib.data import PCNData

__version__ = "0.1.0"

__all__ = [
    "ClearlibError",
    "ConfigError",
    "DataError",
    "PCNData",
    "SpecError",
    "ValidationError",
    "__version__",
]
