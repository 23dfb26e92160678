"""Risk features from before the index date, the outcome after it, and the leakage guard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _segment_frames import INDEX, tiny_segment_data

from clearlib import DataError
from clearlib.segment import (
    DEFAULT_INDEX_DATE,
    RiskModel,
    auc_ci,
    build_features,
    build_outcome,
    check_no_leakage,
    equity_groups,
    feature_dictionary,
    known_before,
    segment_features,
)


@pytest.fixture(scope="module")
def default_risk(default_pcn):
    """Features and outcome of the default PCN at the default index date (built once)."""
    X = build_features(default_pcn, DEFAULT_INDEX_DATE)
    return X, build_outcome(default_pcn, DEFAULT_INDEX_DATE)


def test_risk_population_is_adults_registered_at_the_index_date():
    """P1, P2, P6 (leaves later) and P8 qualify; P3 unborn, P4 not yet registered, P5 dead, P7 14."""
    X = build_features(tiny_segment_data(), INDEX)
    assert list(X.index) == ["P1", "P2", "P6", "P8"]
    assert list(build_features(tiny_segment_data(), INDEX, min_age=0).index) == [
        "P1",
        "P2",
        "P6",
        "P7",
        "P8",
    ]


def test_features_worked_out_by_hand_for_p1_and_p2():
    """P1 before 1 April 2025: 10 deficits, HYP+HF, 2 current medicines, 3 attended, 1 DNA, 5 bed days."""
    X = build_features(tiny_segment_data(), INDEX)
    p1 = X.loc["P1"]
    # 1940-01-01 to 2025-04-01 is 85 * 365 + 22 leap days + 90 days = 31,137 days
    assert p1["age"] == pytest.approx(31137 / 365.25)
    assert not p1["male"] and p1["imd_decile"] == 1
    assert p1["housebound"] and p1["lives_alone"] and not p1["care_home_resident"]
    assert p1["efi_deficits"] == 10 and p1["efi_score"] == pytest.approx(10 / 36)
    assert p1["HYP"] and p1["HF"] and not p1["PC"]
    assert p1["ltc_count"] == 2
    assert p1["repeat_medicines"] == 2
    assert (p1["appointments_12m"], p1["gp_appointments_12m"], p1["dna_12m"]) == (3, 2, 1)
    assert (p1["ae_12m"], p1["emergency_admissions_12m"], p1["emergency_bed_days_12m"]) == (1, 1, 5)
    p2 = X.loc["P2"]
    assert p2["male"] and p2["COPD"] and p2["efi_deficits"] == 5
    # admitted 25 March, discharged 5 April: 7 days in hospital before the index date
    assert (p2["emergency_admissions_12m"], p2["emergency_bed_days_12m"]) == (1, 7)
    assert X.loc["P6", "outpatient_12m"] == 1
    assert X.loc["P8", "care_home_resident"] and X.loc["P8", "DEM"]


def test_outcome_counts_emergency_admissions_in_the_year_after():
    """P1 has 2 emergency admissions after the index date; P2's began before it; P6 left."""
    y = build_outcome(tiny_segment_data(), INDEX)
    assert list(y.index) == ["P1", "P2", "P6", "P8"]
    assert y["emergency_admission"].to_dict() == {"P1": True, "P2": False, "P6": False, "P8": False}
    assert y.loc["P1", "emergency_admissions"] == 2
    assert y["left"].to_dict() == {"P1": False, "P2": False, "P6": True, "P8": False}
    assert not y["died"].any()


def test_outcome_window_past_the_extract_is_refused():
    """An index date whose year of follow-up runs past the extract names the latest usable date."""
    with pytest.raises(
        DataError, match=r"runs past the dataset's extract date 2026-03-31.*2025-04-01"
    ):
        build_outcome(tiny_segment_data(), "2025-06-01")


def test_index_after_the_extract_is_refused_and_early_index_warns(default_pcn):
    """Scoring after the extract is refused; a lookback before the data's window warns."""
    with pytest.raises(DataError, match="after the dataset's extract date"):
        build_features(tiny_segment_data(), "2026-06-01")
    with pytest.warns(UserWarning, match="only partly covered"):
        build_features(default_pcn, "2024-10-01")


def test_every_documented_feature_is_built_and_numeric(default_pcn, default_risk):
    """Risk and segment features match the feature dictionary and hold no missing values."""
    d = feature_dictionary()
    X = default_risk[0]
    F = segment_features(default_pcn)
    assert list(X.columns) == d.loc[d["used_by"] == "both", "feature"].tolist()
    assert list(F.columns) == d["feature"].tolist()
    for frame in (X, F):
        assert not frame.isna().any().any()
        assert all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes)
    assert (X["age"] >= 18).all()


# ---------------------------------------------------------------------------------------------
# Leakage
# ---------------------------------------------------------------------------------------------
def test_known_before_removes_and_blanks_later_records():
    """Cut at the index date: P1's later admissions and PC entry go; P6's departure is blanked."""
    cut = known_before(tiny_segment_data(), INDEX)
    assert "H3" not in set(cut.hospital_events["event_id"])
    assert not (
        (cut.conditions["patient_id"] == "P1") & (cut.conditions["condition"] == "PC")
    ).any()
    p = cut.patients.set_index("patient_id")
    assert pd.isna(p.loc["P6", "deregistered_on"])
    assert "P4" not in p.index and "P3" not in p.index
    med = cut.medications.set_index("medicine_class")
    assert pd.isna(med.loc["loop_diuretic", "stopped_on"]) and "opioid" not in med.index
    adm = cut.hospital_events.set_index("event_id")
    assert pd.isna(adm.loc["H5", "end"])  # P2 still in hospital at the index date


@pytest.mark.parametrize("later", ["2025-04-01", "2025-09-30", "2026-03-31"])
def test_features_do_not_change_as_later_records_arrive(default_pcn, default_risk, later):
    """Features at the index date are identical on the data as known at any later date."""
    full = default_risk[0]
    partial = build_features(known_before(default_pcn, later), DEFAULT_INDEX_DATE)
    pd.testing.assert_frame_equal(full, partial)


def test_later_data_does_not_change_earlier_predictions(default_pcn, default_risk):
    """A model fitted at the index date predicts the same from data cut at the index date."""
    X, out = default_risk
    y = out["emergency_admission"]
    model = RiskModel().fit(X, y)
    early = build_features(known_before(default_pcn, DEFAULT_INDEX_DATE), DEFAULT_INDEX_DATE)
    np.testing.assert_array_equal(model.risk(X).to_numpy(), model.risk(early).to_numpy())
    assert check_no_leakage(X, DEFAULT_INDEX_DATE, default_pcn).ok


def test_a_model_that_sees_the_outcome_window_fails_the_guard(default_pcn, default_risk):
    """Adding next year's admissions as a feature lifts the AUC and the guard names the column."""
    X, out = default_risk
    leaky = X.assign(admissions_next_year=out["emergency_admissions"])
    y = out["emergency_admission"]
    auc = auc_ci(y, RiskModel().fit(leaky, y).risk(leaky)).auc
    assert auc > 0.95  # too good to be true: it has seen the answer
    with pytest.raises(DataError, match="admissions_next_year"):
        check_no_leakage(leaky, DEFAULT_INDEX_DATE, default_pcn)


def test_guard_names_only_the_leaking_column_of_a_leaky_builder():
    """A builder that counts A&E visits up to the extract leaks through that column alone."""

    def leaky_builder(data, index_date, **kwargs):
        X = build_features(data, index_date, **kwargs)
        he = data["hospital_events"]
        ae_all = he[he["type"] == "ae"].groupby("patient_id").size()
        return X.assign(ae_ever=ae_all.reindex(X.index, fill_value=0).to_numpy())

    data = tiny_segment_data()
    X = leaky_builder(data, INDEX, min_age=0)
    report = check_no_leakage(X, INDEX, data, builder=leaky_builder, raise_error=False, min_age=0)
    assert not report.ok
    assert report.leaking_columns == ["ae_ever"]
    assert report.problems.loc[0, "rows_changed"] == 1  # P8's A&E visit in March 2026
    assert "ae_ever" in report.summary()


def test_guard_flags_people_not_yet_registered():
    """Features for someone who registered after the index date are reported as rows added."""
    data = tiny_segment_data()
    X = build_features(data, INDEX, min_age=0)
    extra = pd.DataFrame([X.iloc[0].to_numpy()], columns=X.columns, index=["P4"]).astype(X.dtypes)
    report = check_no_leakage(pd.concat([X, extra]), INDEX, data, raise_error=False, min_age=0)
    assert report.rows_added == 1 and not report.ok


def test_equity_groups_by_hand():
    """IMD decile 1 is quintile '1 most deprived', decile 10 '5 least deprived'; age bands at a date."""
    g = equity_groups(tiny_segment_data(), ["P1", "P2"], INDEX)
    assert g["imd_quintile"].astype(str).tolist() == ["1 most deprived", "5 least deprived"]
    assert g["age_band"].astype(str).tolist() == ["85+", "45-64"]
    assert g["ethnicity"].astype(str).tolist() == ["White", "Asian"]
    with pytest.raises(DataError, match="not in the patients table"):
        equity_groups(tiny_segment_data(), ["nobody"])


def test_plain_object_ids_give_the_same_features():
    """Ids held as Python objects (a hand-made extract) give the same features as Arrow strings."""
    data = tiny_segment_data()
    plain = {name: frame.astype({"patient_id": object}) for name, frame in data.items()}
    pd.testing.assert_frame_equal(
        build_features(plain, INDEX, min_age=0),
        build_features(data, INDEX, min_age=0),
        check_index_type=False,
    )
    pd.testing.assert_frame_equal(
        segment_features(plain), segment_features(data), check_index_type=False
    )
