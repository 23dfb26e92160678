"""eFI and long-term condition counts as at a date, on hand-made frames and the default PCN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _segment_frames import EXTRACT, INDEX, tiny_segment_data

from clearlib import DataError
from clearlib.data._profile import efi_counts
from clearlib.segment import EFI_CATEGORIES, LTC_REGISTERS, REGISTERS, efi, ltc_counts


def _deficits(n_by_patient: dict[str, int], when: str = "2020-01-01") -> dict[str, pd.DataFrame]:
    rows = [(p, f"d{i:02d}", when) for p, n in n_by_patient.items() for i in range(n)]
    frame = pd.DataFrame(rows, columns=["patient_id", "deficit", "first_recorded_on"])
    frame["first_recorded_on"] = pd.to_datetime(frame["first_recorded_on"]).astype("datetime64[s]")
    return {"frailty_deficits": frame}


def test_efi_categories_change_at_the_published_cut_points():
    """4 deficits are fit, 5 and 8 mild, 9 and 13 moderate, 14 severe (Clegg 2016)."""
    counts = {"a": 4, "b": 5, "c": 8, "d": 9, "e": 13, "f": 14, "g": 0}
    out = efi(_deficits(counts), "2025-01-01", patient_ids=list(counts))
    assert out["efi_category"].astype(str).tolist() == [
        "fit",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "fit",
    ]
    assert out.loc["d", "efi_score"] == pytest.approx(9 / 36)
    assert out["efi_deficits"].tolist() == [4, 5, 8, 9, 13, 14, 0]
    assert list(out["efi_category"].cat.categories) == EFI_CATEGORIES["category"].tolist()


def test_efi_counts_a_deficit_recorded_on_the_as_at_date_but_not_the_day_after():
    """'As at 1 March' includes a deficit first recorded on 1 March and excludes 2 March."""
    data = _deficits({"a": 1}, when="2025-03-01")
    assert efi(data, "2025-03-01", patient_ids=["a"]).loc["a", "efi_deficits"] == 1
    assert efi(data, "2025-02-28", patient_ids=["a"]).loc["a", "efi_deficits"] == 0


def test_efi_defaults_to_the_registered_population_at_the_extract():
    """Without ids, eFI covers people registered at the extract: P1 has 11 deficits, P8 3."""
    out = efi(tiny_segment_data())
    assert list(out.index) == ["P1", "P2", "P3", "P4", "P7", "P8"]
    assert out.loc["P1", "efi_deficits"] == 11
    assert out.loc["P8", "efi_deficits"] == 3
    assert efi(tiny_segment_data(), INDEX).loc["P1", "efi_deficits"] == 10


def test_efi_rejects_more_rows_than_deficits_for_one_patient():
    """37 rows for one patient cannot be 37 distinct deficits: the message says to de-duplicate."""
    with pytest.raises(DataError, match="more than the 36 eFI deficits"):
        efi(_deficits({"a": 37}), "2025-01-01", patient_ids=["a"])


def test_efi_matches_the_realism_profile_on_the_default_pcn(default_pcn):
    """segment.efi agrees with the profile's efi_counts, over everyone on the practices' lists."""
    out = efi(default_pcn)
    expected = efi_counts(default_pcn.frailty_deficits, out.index, EXTRACT)
    np.testing.assert_array_equal(out["efi_deficits"].to_numpy(), expected.to_numpy())
    assert len(out) == default_pcn.practices["list_size"].sum()


def test_ltc_counts_every_register_but_palliative_care():
    """P1 is on HYP and HF (2 LTCs) and PC (flagged, not counted) at the extract."""
    out = ltc_counts(tiny_segment_data(), EXTRACT)
    assert list(out.columns) == [*REGISTERS, "ltc_count"]
    assert out.loc["P1", ["HYP", "HF", "PC"]].tolist() == [True, True, True]
    assert out.loc["P1", "ltc_count"] == 2
    assert out["ltc_count"].to_dict() == {"P1": 2, "P2": 1, "P3": 0, "P4": 0, "P7": 1, "P8": 1}
    assert "PC" not in LTC_REGISTERS and len(LTC_REGISTERS) == len(REGISTERS) - 1


def test_ltc_counts_as_at_an_earlier_date_leaves_out_later_diagnoses():
    """At the index date P1's palliative care entry (June 2025) is not there yet."""
    out = ltc_counts(tiny_segment_data(), INDEX)
    assert not out.loc["P1", "PC"]
    assert out.loc["P1", "HF"]


def test_ltc_counts_over_chosen_registers():
    """Counting only HF and COPD gives P1 one (HF) and P2 one (COPD), P8 none."""
    out = ltc_counts(tiny_segment_data(), EXTRACT, registers=["HF", "COPD"])
    assert out["ltc_count"].to_dict() == {"P1": 1, "P2": 1, "P3": 0, "P4": 0, "P7": 0, "P8": 0}


def test_unknown_register_is_named():
    """A register code that does not exist is named, with the list of real codes."""
    with pytest.raises(DataError, match=r"'XYZ'.*HYP"):
        ltc_counts(tiny_segment_data(), EXTRACT, registers=["XYZ"])


def test_missing_column_names_the_column_and_its_table():
    """A conditions table without diagnosed_on: the message names the column and the table."""
    data = tiny_segment_data()
    data["conditions"] = data["conditions"].drop(columns="diagnosed_on")
    with pytest.raises(DataError, match=r"conditions table has no column 'diagnosed_on'"):
        ltc_counts(data)


def test_dates_as_text_are_refused_with_a_fix():
    """Dates read as text (a raw CSV) are refused with the pd.to_datetime fix."""
    data = tiny_segment_data()
    data["conditions"]["diagnosed_on"] = data["conditions"]["diagnosed_on"].astype(str)
    with pytest.raises(DataError, match=r"'diagnosed_on'.*pd.to_datetime"):
        ltc_counts(data)


def test_a_missing_table_is_named():
    """Without a frailty_deficits table the message names the table."""
    data = tiny_segment_data()
    del data["frailty_deficits"]
    with pytest.raises(DataError, match="no frailty_deficits table"):
        efi(data)


def test_duplicate_or_missing_patient_ids_are_refused():
    """Two rows for P1, or a row without an id, are refused with what to fix."""
    data = tiny_segment_data()
    data["patients"] = pd.concat([data["patients"], data["patients"].iloc[[0]]])
    with pytest.raises(DataError, match=r"1 duplicate patient_id value\(s\), e.g. 'P1'"):
        efi(data)
    data = tiny_segment_data()
    data["patients"].loc[0, "patient_id"] = None
    with pytest.raises(DataError, match="without a patient_id"):
        efi(data)


def test_positions_are_the_same_from_the_cache_and_from_plain_strings():
    """Arrow-backed ids (cached encoding) and object ids give the same positions, -1 for strangers."""
    from clearlib.segment._data import positions

    ids = pd.Index(["b", "a", "c"], dtype="str")
    column = pd.Series(["a", "x", "c", "a", None], dtype="str")
    expected = [1, -1, 2, 1, -1]
    assert positions(ids, column).tolist() == expected
    assert positions(ids, column).tolist() == expected  # second call: from the cache
    assert positions(ids, column.astype(object)).tolist() == expected
