"""check_publishable(): small counts, identifiers and free text are refused, with rows and advice."""

from __future__ import annotations

import pandas as pd
import pytest

from clearlib import DataError
from clearlib.privacy import check_publishable, pseudonymise, suppress


def _checks(result) -> list[tuple[str, str]]:
    return list(zip(result.problems["check"], result.problems["column"], strict=True))


def test_aggregate_table_without_small_counts_passes():
    """Appointments by practice and IMD decile (all 5 or more) is publishable; decile is a label."""
    t = pd.DataFrame(
        {
            "practice_code": ["SYN-G001", "SYN-G002"],
            "imd_decile": [1, 3],
            "appointments": [5, 120],
            "per_1000": [4.2, 3.1],
        }
    )
    result = check_publishable(t)
    assert result.ok, result.summary()
    assert result.count_cols == ("appointments",)
    assert result.summary().startswith("PUBLISHABLE")
    assert result.raise_if_blocked() is result


def test_small_counts_are_refused_with_their_rows():
    """Counts 1 and 4 in rows 2 and 4 (SYN-G002, SYN-G004) are reported; 0 and 5 are fine."""
    t = pd.DataFrame(
        {"dna": [0, 1, 5, 4]}, index=pd.Index([f"SYN-G00{i}" for i in range(1, 5)], name="p")
    )
    result = check_publishable(t, name="DNAs")
    assert _checks(result) == [("small_count", "dna")]
    problem = result.problems.iloc[0]
    assert problem["n_rows"] == 2
    assert problem["rows"] == "2 (SYN-G002), 4 (SYN-G004)"
    assert "suppress" in problem["advice"]
    with pytest.raises(DataError, match="BLOCKED: DNAs cannot be published"):
        result.raise_if_blocked()


def test_markers_and_missing_values_count_as_hidden():
    """Text counts "12", "*", "<5", "[c]" and a missing value are all fine; a shown "3" is not."""
    t = pd.DataFrame({"g": list("abcde"), "n": ["12", "*", "<5", "[c]", None]})
    assert check_publishable(t).ok
    t.loc[0, "n"] = "3"
    assert _checks(check_publishable(t)) == [("small_count", "n")]


def test_suppressed_table_is_checked_as_published():
    """suppress() output passes; its original counts (in .cells) are never looked at."""
    t = pd.DataFrame({"g": list("abc"), "n": [40, 3, 27]})
    assert check_publishable(suppress(t)).ok
    assert check_publishable(suppress(t, marker="*")).ok


@pytest.mark.parametrize(
    "column",
    [
        "patient_id",
        "NHS Number",
        "nhs_no",
        "date_of_birth",
        "birth_date",
        "DOB",
        "surname",
        "postcode",
        "appointment_id",
        "staff_id",
    ],
)
def test_identifier_columns_are_refused_by_name(column):
    """A column named like a patient-level (or record, staff) identifier blocks the table."""
    t = pd.DataFrame({column: ["x", "y"], "n": [10, 20]})
    assert ("identifier", column) in _checks(check_publishable(t))


def test_organisation_codes_are_not_identifiers():
    """practice_code, pcn_id, icb_id and a practice name are not patient-level identifiers."""
    t = pd.DataFrame(
        {"practice_code": ["SYN-G001"], "pcn_id": ["x"], "icb_id": ["y"], "name": ["Riverside"]}
    )
    assert check_publishable(t, count_cols=[]).ok


def test_identifier_values_are_refused_whatever_the_column_is_called():
    """SYN-P ids, PSN- pseudonyms and NHS-number shapes are found in innocently named columns."""
    pseud = pseudonymise(pd.DataFrame({"who": ["SYN-P001000001"]}), "who", key="k" * 32)
    for values in (["SYN-P001000001", "x"], [pseud["who"].iloc[0], "x"], ["943 476 5919", "x"]):
        result = check_publishable(pd.DataFrame({"group": values, "n": [10, 20]}))
        assert _checks(result) == [("identifier", "group")], result.summary()
        assert result.problems.iloc[0]["rows"] == "1"


def test_identifier_in_the_index_is_refused():
    """A table indexed by patient_id is patient-level, even with no identifier column."""
    t = pd.DataFrame({"n": [10, 20]}, index=pd.Index(["SYN-P001000001", "SYN-P001000002"]))
    t.index.name = "patient_id"
    assert ("identifier", "patient_id") in _checks(check_publishable(t))


def test_free_text_is_refused_by_name_and_by_content():
    """A "notes" column, and a column of long sentences, are free text; short labels are not."""
    by_name = pd.DataFrame({"consultation_notes": ["ok", "fine"], "n": [10, 20]})
    assert _checks(check_publishable(by_name)) == [("free_text", "consultation_notes")]
    sentences = [
        "Patient seen at home today with her daughter, reports two falls since Tuesday",
        "Discussed medication changes with the carer and arranged a review next week",
    ]
    by_content = pd.DataFrame({"detail": sentences, "n": [10, 20]})
    assert _checks(check_publishable(by_content)) == [("free_text", "detail")]
    labels = pd.DataFrame({"category": ["General Consultation Routine", "Walk-in"], "n": [9, 8]})
    assert check_publishable(labels).ok


def test_several_problems_are_all_reported():
    """One table with a small count, an NHS number column and notes gets three problems."""
    t = pd.DataFrame({"nhs_number": ["1", "2"], "notes": ["a", "b"], "n": [2, 30]})
    result = check_publishable(t)
    assert sorted(_checks(result)) == [
        ("free_text", "notes"),
        ("identifier", "nhs_number"),
        ("small_count", "n"),
    ]
    text = result.summary()
    assert text.startswith("BLOCKED") and "3 problems" in text


def test_count_cols_override_and_bad_count_column():
    """count_cols=["n"] leaves a numeric label alone; a text column of words is not a count."""
    t = pd.DataFrame({"priority": [1, 2], "n": [10, 20]})
    assert _checks(check_publishable(t)) == [("small_count", "priority")]
    assert check_publishable(t, count_cols=["n"]).ok
    with pytest.raises(DataError, match="not a count column"):
        check_publishable(pd.DataFrame({"g": ["a", "b"]}), count_cols=["g"])
