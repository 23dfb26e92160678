"""Risk model and its metrics: AUC and interval, calibration, top-k% capture, by group.

Every expected value is worked out by hand in the test's comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from clearlib import DataError
from clearlib.segment import (
    DEFAULT_INDEX_DATE,
    RiskModel,
    auc_ci,
    build_features,
    build_outcome,
    calibration_by_decile,
    capture,
    capture_curve,
    equity_groups,
    flag_top,
    metrics_by_group,
)

Z95 = 1.959963984540054


def test_auc_and_delong_interval_by_hand():
    """Pairs (0.8>0.4, 0.8>0.1, 0.35<0.4, 0.35>0.1): AUC 3/4; DeLong variance 0.125/2 + 0.125/2."""
    # positives' components V10 = [1, 0.5], negatives' V01 = [0.5, 1]: both variances 0.125
    r = auc_ci([1, 1, 0, 0], [0.8, 0.35, 0.4, 0.1])
    assert r.auc == pytest.approx(0.75)
    assert r.se == pytest.approx(np.sqrt(0.125))
    assert r.lower == pytest.approx(0.75 - Z95 * np.sqrt(0.125))
    assert r.upper == 1.0  # 0.75 + 0.693 clipped to 1
    assert (r.n, r.n_positive, r.method) == (4, 2, "delong")


def test_auc_counts_ties_as_half():
    """Positive 0.5 against negatives 0.5 and 0.2: (0.5 + 1) / 2 = 0.75; one positive: no interval."""
    r = auc_ci([1, 0, 0], [0.5, 0.5, 0.2])
    assert r.auc == pytest.approx(0.75)
    assert np.isnan(r.lower) and np.isnan(r.upper)


def test_delong_variance_on_a_three_by_three_example():
    """Positives 3,5,6 and negatives 1,4,2 (scores): AUC 8/9; V10 = [2/3, 1, 1], V01 = [1, 2/3, 1]."""
    r = auc_ci([1, 1, 1, 0, 0, 0], [3, 5, 6, 1, 4, 2])
    assert r.auc == pytest.approx(8 / 9)
    var10 = np.var([2 / 3, 1, 1], ddof=1)  # = 1/27
    var01 = np.var([1, 2 / 3, 1], ddof=1)
    assert r.se == pytest.approx(np.sqrt(var10 / 3 + var01 / 3))
    assert var10 == pytest.approx(1 / 27)


def test_auc_agrees_with_scikit_learn_and_bootstrap_is_reproducible():
    """On random data the AUC equals sklearn's; a seeded bootstrap repeats and brackets it."""
    rng = np.random.default_rng(3)
    y = rng.random(400) < 0.3
    s = y + rng.normal(size=400)
    d = auc_ci(y, s)
    assert d.auc == pytest.approx(roc_auc_score(y, s))
    b1 = auc_ci(y, s, method="bootstrap", n_bootstraps=200, random_state=1)
    b2 = auc_ci(y, s, method="bootstrap", n_bootstraps=200, random_state=1)
    assert b1 == b2
    assert b1.lower < d.auc < b1.upper
    assert abs(b1.se - d.se) < 0.01


def test_auc_input_errors_say_what_to_do():
    """One class only, mismatched lengths, non-binary outcomes and missing scores are named."""
    with pytest.raises(DataError, match="with and without the outcome"):
        auc_ci([1, 1], [0.2, 0.3])
    with pytest.raises(DataError, match="y_true has 2 values but y_score has 3"):
        auc_ci([1, 0], [0.2, 0.3, 0.4])
    with pytest.raises(DataError, match="only 0/1"):
        auc_ci([2, 0], [0.2, 0.3])
    with pytest.raises(DataError, match="missing or infinite"):
        auc_ci([1, 0], [np.nan, 0.3])
    with pytest.raises(DataError, match="'delong' or 'bootstrap'"):
        auc_ci([1, 0], [0.9, 0.3], method="magic")


def test_calibration_by_hand_in_five_groups():
    """Scores 0.1..1.0 in pairs: events 0,1,1,1,2; means .15,.35,.55,.75,.95; O/E of group 2 = 1/0.7."""
    p = np.round(np.arange(1, 11) / 10, 1)
    y = [0, 0, 0, 1, 0, 1, 1, 0, 1, 1]
    t = calibration_by_decile(y, p, n_groups=5)
    assert t["decile"].tolist() == [1, 2, 3, 4, 5]
    assert t["n"].tolist() == [2] * 5
    assert t["events"].tolist() == [0, 1, 1, 1, 2]
    np.testing.assert_allclose(t["mean_predicted"], [0.15, 0.35, 0.55, 0.75, 0.95])
    np.testing.assert_allclose(t["observed_rate"], [0, 0.5, 0.5, 0.5, 1.0])
    assert t.loc[1, "observed_to_expected"] == pytest.approx(1 / 0.7)
    # Wilson for 0 of 2: upper = (z^2/4) / (1 + z^2/2) * 2
    upper = 2 * (Z95**2 / 4) / (1 + Z95**2 / 2)
    assert t.loc[0, "observed_lower"] == 0 and t.loc[0, "observed_upper"] == pytest.approx(upper)
    # the order of the input does not matter
    order = np.random.default_rng(0).permutation(10)
    shuffled = calibration_by_decile(np.asarray(y)[order], p[order], n_groups=5)
    pd.testing.assert_frame_equal(t, shuffled)


def test_calibration_refuses_scores_that_are_not_probabilities():
    """Log-odds instead of probabilities are refused with a pointer to predict_proba."""
    with pytest.raises(DataError, match="predict_proba"):
        calibration_by_decile([0, 1], [-2.0, 1.5], n_groups=2)


def test_capture_of_the_top_fifth_by_hand():
    """Top 20% of 10 = the 2 highest: 1 of 3 with the outcome, PPV 1/2, 2 of 6 admissions."""
    y = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    admissions = [2, 0, 1, 0, 0, 3, 0, 0, 0, 0]
    c = capture(y, np.arange(10, 0, -1), fractions=[0.2, 0.02], events=admissions)
    row = c.iloc[0]
    assert (row["flagged"], row["true_positives"]) == (2, 1)
    assert row["sensitivity"] == pytest.approx(1 / 3)
    assert row["ppv"] == pytest.approx(0.5)
    assert row["share_of_events"] == pytest.approx(2 / 6)
    assert row["threshold"] == 9
    # 2% of 10 people rounds up to 1 person: the top scorer, who had the outcome
    assert (c.iloc[1]["flagged"], c.iloc[1]["ppv"]) == (1, 1.0)


def test_capture_ties_at_the_boundary_go_to_the_first_listed():
    """Three people tie on the top score; the top third (1 person) is the first of them."""
    flags = flag_top(pd.Series([0.5, 0.5, 0.5], index=["x", "y", "z"]), fractions=[1 / 3])
    assert flags.iloc[:, -1].tolist() == [True, False, False]
    assert flags["risk_rank"].tolist() == [1, 2, 3]


def test_capture_curve_by_hand():
    """Scores in order .9,.8,.7,.1 with outcomes 1,0,1,0: sensitivity 1/2, 1/2, 1, 1."""
    curve = capture_curve([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], points=4)
    assert curve["share_flagged"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert curve["sensitivity"].tolist() == [0, 0.5, 0.5, 1.0, 1.0]
    assert curve["ppv"].iloc[1:].tolist() == pytest.approx([1.0, 0.5, 2 / 3, 0.5])


def test_events_must_agree_with_the_outcome():
    """Admissions for someone marked as having none is refused."""
    with pytest.raises(DataError, match="disagree"):
        capture([0, 1], [0.1, 0.9], events=[1, 1])


def test_metrics_by_group_use_the_whole_population_list():
    """Top half of 6 (a, c, f): women 2 of 3 flagged, both their outcomes; men 1 flagged, no outcome."""
    y = pd.Series([1, 0, 1, 0, 1, 0], index=list("abcdef"))
    s = pd.Series([0.9, 0.1, 0.8, 0.2, 0.3, 0.4], index=list("abcdef"))
    groups = pd.DataFrame({"sex": ["F", "F", "F", "M", "M", "M"]}, index=list("abcdef"))
    m = metrics_by_group(y, s, groups, fractions=[0.5]).set_index("group")
    assert m.loc["F", "top50_flagged_share"] == pytest.approx(2 / 3)
    assert m.loc["F", "top50_sensitivity"] == 1.0 and m.loc["F", "top50_ppv"] == 1.0
    assert m.loc["M", "top50_flagged_share"] == pytest.approx(1 / 3)
    assert m.loc["M", "top50_sensitivity"] == 0.0 and m.loc["M", "top50_ppv"] == 0.0
    # men: outcome e (0.3) against d (0.2, below) and f (0.4, above): AUC 1/2
    assert m.loc["M", "auc"] == 0.5 and m.loc["F", "auc"] == 1.0
    assert m.loc["F", "mean_predicted"] == pytest.approx(0.6)
    assert m.loc["F", "observed_to_expected"] == pytest.approx(2 / 1.8)


def test_metrics_by_group_aligns_series_on_the_index():
    """Outcome and scores given in another order than the groups are aligned by patient id."""
    y = pd.Series([0, 1, 1, 0], index=["d", "c", "a", "b"])
    s = pd.Series([0.2, 0.8, 0.9, 0.1], index=["d", "c", "a", "b"])
    groups = pd.DataFrame({"sex": ["F", "F", "M", "M"]}, index=["a", "b", "c", "d"])
    m = metrics_by_group(y, s, groups, fractions=[0.25]).set_index("group")
    assert m.loc["F", "top25_flagged_share"] == 0.5  # a has the highest score
    with pytest.raises(DataError, match="no value for 1 people"):
        metrics_by_group(y.drop("d"), s, groups)


def test_flag_top_names_and_percentiles():
    """Four scores: ranks 4,1,2,3; percentiles 25..100; top 25% is b alone."""
    f = flag_top(pd.Series([0.1, 0.9, 0.5, 0.3], index=list("abcd")), fractions=[0.25, 0.005])
    assert f["risk_rank"].tolist() == [4, 1, 2, 3]
    assert f["risk_percentile"].tolist() == [25.0, 100.0, 75.0, 50.0]
    assert f["risk_top25"].tolist() == [False, True, False, False]
    assert f["risk_top0_5"].sum() == 1


def test_risk_model_coefficients_are_per_standard_deviation():
    """A feature that decides the outcome gets the largest coefficient; odds ratio is exp(coef)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"signal": rng.normal(size=300), "noise": rng.normal(size=300)})
    y = X["signal"] + rng.normal(scale=0.3, size=300) > 0
    model = RiskModel().fit(X, y)
    coefs = model.coefficients()
    assert coefs["feature"].tolist()[0] == "signal"
    np.testing.assert_allclose(coefs["odds_ratio_per_sd"], np.exp(coefs["coefficient_per_sd"]))
    risk = model.risk(X)
    assert isinstance(risk, pd.Series) and risk.between(0, 1).all()
    with pytest.raises(ValueError, match="C should be a positive number"):
        RiskModel(C=0).fit(X, y)


def test_plain_logistic_model_lands_in_the_published_auc_range(default_pcn):
    """On the default PCN a held-out AUC of a plain logistic model is within 0.70-0.80."""
    X = build_features(default_pcn, DEFAULT_INDEX_DATE)
    out = build_outcome(default_pcn, DEFAULT_INDEX_DATE)
    y = out["emergency_admission"]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    model = RiskModel().fit(X_tr, y_tr)
    r = auc_ci(y_te, model.risk(X_te))
    assert 0.70 <= r.auc <= 0.80, str(r)
    # calibration: every decile's observed rate within 0.05 of its mean predicted risk
    cal = calibration_by_decile(y_te, model.risk(X_te))
    assert (cal["observed_rate"] - cal["mean_predicted"]).abs().max() < 0.05
    # the top 5% capture more of the admissions than 5%
    top = capture(y_te, model.risk(X_te), events=out.loc[X_te.index, "emergency_admissions"])
    assert (top["share_of_events"] > top["fraction"] * 2).all()
    groups = equity_groups(default_pcn, X_te.index, DEFAULT_INDEX_DATE)
    fair = metrics_by_group(y_te, model.risk(X_te), groups[["imd_quintile", "sex", "ethnicity"]])
    assert set(fair["grouping"]) == {"imd_quintile", "sex", "ethnicity"}
    assert fair["n"].groupby(fair["grouping"]).sum().eq(len(X_te)).all()
