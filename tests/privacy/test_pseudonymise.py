"""pseudonymise() and generate_key(): keyed, consistent, irreversible without the key."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from clearlib import ConfigError, DataError
from clearlib.privacy import generate_key, pseudonymise

KEY = "k" * 40


def test_pseudonym_is_the_truncated_hmac_sha256_with_prefix():
    """SYN-P001000001 -> "PSN-" + the first 16 hex digits of HMAC-SHA256(key, salt + 0x1f + id)."""
    out = pseudonymise(pd.DataFrame({"patient_id": ["SYN-P001000001"]}), "patient_id", key=KEY)
    digest = hmac.new(KEY.encode(), b"\x1fSYN-P001000001", hashlib.sha256).hexdigest()
    assert out["patient_id"].iloc[0] == "PSN-" + digest[:16]


def test_same_person_same_pseudonym_across_tables_and_columns():
    """One id in patients.patient_id and appointments.patient_id gets one pseudonym."""
    patients = pd.DataFrame({"patient_id": ["SYN-P1", "SYN-P2", "SYN-P3"]})
    visits = pd.DataFrame({"patient_id": ["SYN-P3", "SYN-P1", "SYN-P3"], "n": [1, 2, 3]})
    a = pseudonymise(patients, "patient_id", key=KEY)
    b = pseudonymise(visits, ["patient_id"], key=KEY)
    lookup = dict(zip(patients["patient_id"], a["patient_id"], strict=True))
    assert b["patient_id"].tolist() == [lookup["SYN-P3"], lookup["SYN-P1"], lookup["SYN-P3"]]
    assert a["patient_id"].nunique() == 3
    assert b["n"].tolist() == [1, 2, 3]
    assert visits["patient_id"].tolist() == ["SYN-P3", "SYN-P1", "SYN-P3"]  # input unchanged


def test_another_key_or_salt_gives_unrelated_pseudonyms():
    """The same ids under another key, or another salt, share no pseudonym with the first."""
    ids = pd.DataFrame({"patient_id": [f"SYN-P{i:09d}" for i in range(200)]})
    first = set(pseudonymise(ids, "patient_id", key=KEY)["patient_id"])
    other_key = set(pseudonymise(ids, "patient_id", key="q" * 40)["patient_id"])
    other_salt = set(pseudonymise(ids, "patient_id", key=KEY, salt="project-2")["patient_id"])
    assert first.isdisjoint(other_key) and first.isdisjoint(other_salt)
    assert len(first) == 200


def test_missing_values_and_blanks_stay_as_they_are_and_spaces_at_the_ends_are_ignored():
    """A missing id stays missing and a blank stays blank; " SYN-P1 " and "SYN-P1" match."""
    df = pd.DataFrame({"patient_id": [" SYN-P1 ", None, "SYN-P1", "", "  "]})
    out = pseudonymise(df, "patient_id", key=KEY)
    assert out["patient_id"].isna().tolist() == [False, True, False, False, False]
    assert out["patient_id"].iloc[0] == out["patient_id"].iloc[2]
    assert out["patient_id"].iloc[0].startswith("PSN-")
    assert out["patient_id"].iloc[3:].tolist() == ["", "  "]


def test_prefix_and_length_options():
    """prefix="X-" and length=24 give "X-" + 24 hex digits."""
    out = pseudonymise(pd.DataFrame({"id": ["a"]}), "id", key=KEY, prefix="X-", length=24)[
        "id"
    ].iloc[0]
    assert out.startswith("X-") and len(out) == 26
    assert all(c in "0123456789abcdef" for c in out[2:])


def test_key_from_the_environment(monkeypatch):
    """With no key passed, CLEAR_PSEUDONYM_KEY is used; the result equals passing it."""
    monkeypatch.setenv("CLEAR_PSEUDONYM_KEY", KEY)
    df = pd.DataFrame({"patient_id": ["SYN-P1"]})
    assert pseudonymise(df, "patient_id").equals(pseudonymise(df, "patient_id", key=KEY))


@pytest.mark.parametrize("key", [None, "", "short key", b"0123456789"])
def test_missing_or_short_key_is_refused(monkeypatch, key):
    """No key (and none in the environment) or fewer than 32 characters raise ConfigError."""
    monkeypatch.delenv("CLEAR_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"generate_key\(\)"):
        pseudonymise(pd.DataFrame({"patient_id": ["SYN-P1"]}), "patient_id", key=key)


def test_unknown_column_and_bad_length_are_refused():
    """A column not in the table, or length 4, raise DataError naming the problem."""
    df = pd.DataFrame({"patient_id": ["SYN-P1"]})
    with pytest.raises(DataError, match="nhs_number"):
        pseudonymise(df, "nhs_number", key=KEY)
    with pytest.raises(DataError, match="length"):
        pseudonymise(df, "patient_id", key=KEY, length=4)


def test_generate_key_is_64_hex_characters_and_random():
    """Two keys differ; each is 64 hexadecimal characters and is accepted."""
    a, b = generate_key(), generate_key()
    assert a != b and len(a) == 64
    int(a, 16)
    pseudonymise(pd.DataFrame({"id": ["x"]}), "id", key=a)
