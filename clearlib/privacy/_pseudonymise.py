"""Pseudonymisation: replace identifiers with keyed hashes that only the key holder can link.

``pseudonymise`` replaces each identifier with ``PSN-`` and the first 16 hexadecimal digits
of its HMAC-SHA256 under a project key. The same identifier gets the same pseudonym in every
table pseudonymised with the same key (and salt), so tables still join; under another key it
gets an unrelated one. Without the key nobody can go back, or even test a guess: a plain hash
of an NHS number could be reversed by hashing every possible number, a keyed hash cannot.

The key is the secret: whoever holds it can test guesses again, so keep it out of notebooks,
outputs and the repository (an environment variable or a password manager), and never send
it with the data. Pseudonymised data about people is still personal data under UK GDPR
(Recital 26): it may go to an analyst under a data sharing agreement, never into a published
table. Publish aggregates only (see :func:`clearlib.privacy.check_publishable`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from clearlib._exceptions import ConfigError, DataError
from clearlib.privacy._suppress import as_list

__all__ = ["KEY_ENV_VAR", "MIN_KEY_LENGTH", "generate_key", "pseudonymise"]

#: The environment variable read when no key is passed.
KEY_ENV_VAR = "CLEAR_PSEUDONYM_KEY"
#: The shortest key accepted, in bytes (characters, for a key written as text).
MIN_KEY_LENGTH = 32


def generate_key() -> str:
    """Make a new random project key: 64 hexadecimal characters (256 bits).

    Make it once per project, store it where only the project team can read it (for example
    in the environment variable ``CLEAR_PSEUDONYM_KEY``), and never print or commit it.

    Examples
    --------
    >>> key = generate_key()
    >>> len(key), key == generate_key()
    (64, False)
    """
    return secrets.token_hex(32)


def _key_bytes(key: str | bytes | None) -> bytes:
    if key is None:
        key = os.environ.get(KEY_ENV_VAR)
        if not key:
            raise ConfigError(
                f"No pseudonymisation key: pass key=... or set the environment variable "
                f"{KEY_ENV_VAR}. What to do: make one key per project with "
                "clearlib.privacy.generate_key(), keep it where only the project team can read "
                "it, and use the same key for every table of the project."
            )
    if isinstance(key, str):
        raw = key.encode("utf-8")
    elif isinstance(key, bytes):
        raw = key
    else:
        raise ConfigError(f"The key must be text or bytes; found {type(key).__name__}.")
    if len(raw) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"The pseudonymisation key is too short: {len(raw)} characters, expected at least "
            f"{MIN_KEY_LENGTH}. A short key can be guessed, and then every pseudonym reversed. "
            "What to do: use clearlib.privacy.generate_key() (64 characters)."
        )
    return raw


def pseudonymise(
    frame: pd.DataFrame,
    columns: Hashable | Sequence[Hashable],
    *,
    key: str | bytes | None = None,
    salt: str = "",
    prefix: str = "PSN-",
    length: int = 16,
) -> pd.DataFrame:
    """Replace identifier columns with keyed pseudonyms (HMAC-SHA256, truncated, prefixed).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; it is not changed (a copy is returned).
    columns : column name or list of column names
        The identifier columns to replace, e.g. ``"patient_id"``. Values are compared as text
        with spaces at either end removed, so ``943 476 5919`` and ``9434765919`` differ:
        tidy identifiers first. Missing values and blanks stay as they are: a blank is not
        an identifier, and must not become one.
    key : str or bytes, optional
        The project's secret key, at least 32 characters (see :func:`generate_key`). By
        default it is read from the environment variable ``CLEAR_PSEUDONYM_KEY``.
    salt : str, default ""
        A non-secret label mixed into every hash, e.g. the project name. The same key with a
        different salt gives unrelated pseudonyms, so two projects sharing a key cannot link
        their tables. Use one salt for every table of a project.
    prefix : str, default "PSN-"
        Written before each pseudonym, so that nobody mistakes it for a real identifier.
    length : int, default 16
        Hexadecimal digits kept from the 64 of the hash (8 to 64). 16 digits (64 bits) keep
        collisions negligible for a population of millions.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with each of ``columns`` replaced by text pseudonyms.

    Raises
    ------
    clearlib.ConfigError
        If the key is missing or shorter than 32 characters.
    clearlib.DataError
        If a column is not in the table, ``length`` is out of range, or two different
        identifiers would share a pseudonym (use a larger ``length``).

    Examples
    --------
    >>> key = "an example key of at least thirty-two characters"
    >>> patients = pd.DataFrame({"patient_id": ["SYN-P001000001", "SYN-P001000002"]})
    >>> visits = pd.DataFrame({"patient_id": ["SYN-P001000002"], "n": [3]})
    >>> a = pseudonymise(patients, "patient_id", key=key)
    >>> b = pseudonymise(visits, "patient_id", key=key)
    >>> a["patient_id"].iloc[1] == b["patient_id"].iloc[0]
    True
    >>> a["patient_id"].iloc[0][:4], len(a["patient_id"].iloc[0])
    ('PSN-', 20)
    """
    raw = _key_bytes(key)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"pseudonymise() needs a pandas DataFrame; found {type(frame).__name__}.")
    cols = as_list(columns)
    missing = [c for c in cols if c not in frame.columns]
    if missing or not cols:
        raise DataError(
            f"pseudonymise(): column(s) {missing or 'none given'} not in the table; its columns "
            f"are {list(frame.columns)}. What to do: name the identifier columns to replace."
        )
    if not isinstance(length, int) or isinstance(length, bool) or not 8 <= length <= 64:
        raise DataError(f"length must be a whole number from 8 to 64; found {length!r}.")
    if not isinstance(salt, str):
        raise DataError(f"salt must be text (e.g. the project's name); found {salt!r}.")

    out = frame.copy()
    context = salt.encode("utf-8") + b"\x1f"
    for col in cols:
        s = frame[col]
        present = s.notna().to_numpy()
        text = s[present].astype("str").str.strip()
        filled = text.ne("").to_numpy()
        uniques = pd.unique(text[filled].to_numpy())
        table = {
            v: prefix
            + hmac.new(raw, context + str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:length]
            for v in uniques
        }
        if len(set(table.values())) < len(table):
            raise DataError(
                f"Two different values of {col!r} got the same pseudonym with length={length}. "
                "What to do: use a larger length (e.g. 24)."
            )
        result = pd.Series(s.to_numpy(dtype=object), index=frame.index)
        result.iloc[np.flatnonzero(present)[filled]] = text[filled].map(table).to_numpy()
        out[col] = result.astype("str")
    return out
