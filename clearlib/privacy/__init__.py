"""Disclosure control: suppress small numbers, pseudonymise identifiers, gate what is published.

- :func:`suppress` hides counts from 1 to 4 (primary suppression) and the further cells that
  would let a row, column or grand total reveal them by subtraction (secondary suppression),
  and says why each cell was hidden.
- :func:`pseudonymise` replaces identifiers with keyed hashes (HMAC-SHA256 under a project key
  from :func:`generate_key`): the same person gets the same pseudonym in every table of a
  project, and nobody without the key can reverse or link them.
- :func:`check_publishable` is the publish gate that dashboards and reports pass through: it
  refuses small counts that are shown, patient-level identifiers and free text from records.

Examples
--------
>>> import pandas as pd
>>> from clearlib.privacy import check_publishable, suppress
>>> counts = pd.DataFrame({"practice_code": ["SYN-G001", "SYN-G002", "SYN-G003"],
...                        "n": [40, 3, 27]})
>>> check_publishable(counts).ok
False
>>> safe = suppress(counts, marker="*")
>>> list(safe.table["n"])
['40', '*', '*']
>>> check_publishable(safe).ok
True
"""

from clearlib.privacy._gate import SUPPRESSION_MARKERS, PublishCheck, check_publishable
from clearlib.privacy._pseudonymise import generate_key, pseudonymise
from clearlib.privacy._suppress import (
    TOTAL_LABELS,
    SuppressedTable,
    default_count_columns,
    suppress,
)

__all__ = [
    "SUPPRESSION_MARKERS",
    "TOTAL_LABELS",
    "PublishCheck",
    "SuppressedTable",
    "check_publishable",
    "default_count_columns",
    "generate_key",
    "pseudonymise",
    "suppress",
]
