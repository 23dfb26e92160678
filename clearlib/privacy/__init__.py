"""Disclosure control: suppress small numbers, pseudonymise identifiers, gate what is published.

- :func:`policy` names the project's disclosure policy (:data:`POLICIES`): ``hide-1-4`` (the
  default), ``nhs-hide-1-7-round-5`` (NHS England's HES convention), ``opensafely-redact-7-round-5``
  or ``opensafely-midpoint-6``. Every function below takes ``policy=``.
- :func:`suppress` hides small counts, 1 to 4 by default (primary suppression), and the further
  cells that would let a row, column or grand total reveal them by subtraction (secondary
  suppression), says why each cell was hidden, and rounds the rest under a rounding policy.
- :func:`pseudonymise` replaces identifiers with keyed hashes (HMAC-SHA256 under a project key
  from :func:`generate_key`): the same person gets the same pseudonym in every table of a
  project, and nobody without the key can reverse or link them.
- :func:`check_publishable` is the publish gate that dashboards and reports pass through: it
  refuses small counts that are shown, unrounded counts under a rounding policy, printed totals
  that give a hidden cell back, patient-level identifiers and free text from records;
  :func:`check_number` gates one number (a headline count) the same way.

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

from clearlib.privacy._gate import (
    SUPPRESSION_MARKERS,
    PublishCheck,
    check_number,
    check_publishable,
)
from clearlib.privacy._policy import POLICIES, Policy, policy
from clearlib.privacy._pseudonymise import generate_key, pseudonymise
from clearlib.privacy._suppress import (
    TOTAL_LABELS,
    SuppressedTable,
    default_count_columns,
    suppress,
)

__all__ = [
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
]
