"""Realism: the default PCN meets every calibration target of its spec.

Targets, published values and sources come from the spec (and so from FACTS.md); the
measures are those of ``clearlib data profile``. Deprivation gradients are checked on a
200,000-patient copy of the default PCN, where sampling noise is small.
Set ``CLEAR_SEEDS=3`` (or more) to sweep extra seeds of the scaled check.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from clearlib.data import PCNData
from clearlib.data._profile import profile
from clearlib.synth import load_spec
from clearlib.synth._generate import generate_pcn

GROUPS = [
    "Age and sex",
    "QOF prevalence (all ages)",
    "Multimorbidity (2+ QOF registers)",
    "eFI categories, people 65+",
    "Appointments (GPAD)",
    "Seasonality",
    "Duration (minutes)",
    "Hospital use",
    "Emergency admissions by eFI, people 65+",
    "Appointments by age and sex",
    "Deaths",
    "Care homes",
]


@pytest.fixture(scope="module")
def default_profile(default_pcn):
    return profile(default_pcn)


@pytest.mark.parametrize("group", GROUPS)
def test_default_pcn_meets_targets(default_profile, group: str) -> None:
    """Every checked target in this group is within its tolerance on the default PCN."""
    rows = default_profile.table[default_profile.table["group"] == group]
    checked = rows[rows["within"].notna()]
    assert len(checked) > 0, f"no checked targets in {group!r}"
    bad = checked[~checked["within"].astype(bool)]
    assert bad.empty, (
        "outside tolerance:\n" + bad[["target", "published", "observed", "tolerance"]].to_string()
    )


def test_every_register_is_profiled(default_profile) -> None:
    """The profile reports all 20 QOF registers and the seven deprivation ratios."""
    t = default_profile.table
    assert (t["group"] == "QOF prevalence (all ages)").sum() == 20
    assert t["group"].str.startswith("Deprivation gradient").sum() == 7


def _seeds() -> list[int]:
    n = int(os.environ.get("CLEAR_SEEDS", "1"))
    return [20240401 + k for k in range(n)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", _seeds())
def test_deprivation_gradients_on_a_large_population(seed: int) -> None:
    """Most/least deprived quintile prevalence ratios are within ±25% of QOF's on 200,000 patients."""
    spec = load_spec("default").scaled(4.2)
    bundle = PCNData(**generate_pcn(spec, "SYN-PCN01", seed=seed), manifest={"name": spec.name})
    table = profile(bundle, spec).table
    ratios = table[table["group"].str.startswith("Deprivation gradient")]
    assert len(ratios) == 7
    assert ratios["within"].notna().all(), "the population was too small to check the ratios"
    bad = ratios[~ratios["within"].astype(bool)]
    assert bad.empty, bad[["target", "published", "observed"]].to_string()


def test_a_plain_logistic_model_finds_realistic_risk_signal(default_pcn) -> None:
    """Emergency admission in the 12 months after 1 April 2025, from what was known before it,
    is predicted by a plain logistic model with AUC 0.70-0.80 (QAdmissions 0.76-0.78)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    t = default_pcn
    idx = pd.Timestamp("2025-04-01")
    year_before, year_after = idx - pd.Timedelta(days=365), idx + pd.Timedelta(days=365)
    p = t.patients.set_index("patient_id")
    at = (p["registered_on"] < idx) & ~(p["died_on"] < idx) & ~(p["deregistered_on"] < idx)
    age = (idx - p["birth_date"]).dt.days / 365.25
    p = p[at & (age >= 18)]
    x = pd.DataFrame(
        {"age": age[p.index], "male": (p["sex"] == "M").astype(int), "imd": p["imd_decile"]}
    )

    def count(frame: pd.DataFrame) -> pd.Series:
        return frame.groupby("patient_id", observed=True).size().reindex(p.index, fill_value=0)

    x["conditions"] = count(t.conditions[t.conditions["diagnosed_on"] < idx])
    x["deficits"] = count(t.frailty_deficits[t.frailty_deficits["first_recorded_on"] < idx])
    he = t.hospital_events
    before = he[(he["start"] >= year_before) & (he["start"] < idx)]
    x["admissions_before"] = count(before[before["type"] == "emergency_admission"])
    x["ae_before"] = count(before[before["type"] == "ae"])
    ap = t.appointments
    x["appointments_before"] = count(ap[(ap["start"] >= year_before) & (ap["start"] < idx)])
    after = he[
        (he["start"] >= idx) & (he["start"] < year_after) & (he["type"] == "emergency_admission")
    ]
    y = p.index.isin(after["patient_id"]).astype(int)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x_tr, y_tr)
    auc = roc_auc_score(y_te, model.predict_proba(x_te)[:, 1])
    assert 0.70 <= auc <= 0.80, f"AUC {auc:.3f}"
    assert 0.03 < np.mean(y) < 0.15, "share of adults admitted in a year"


def test_activity_deaths_and_care_homes_are_profiled(default_profile) -> None:
    """The profile checks appointments by age and sex, deaths and care homes (issue #10)."""
    t = default_profile.table
    by_age = t[t["group"] == "Appointments by age and sex"]
    assert {"rate at 0-4 / rate at 15-44", "rate at 85+ / rate at 15-44"} <= set(by_age["target"])
    assert (t["group"] == "Deaths").sum() == 5
    assert (t["group"] == "Care homes").sum() == 3
    assert default_profile.checked["within"].notna().sum() >= 85


def test_young_children_and_the_oldest_use_general_practice_most(default_pcn) -> None:
    """Appointments per person-year: 0-4 above 5-14 and 15-44; 85+ the highest band, but well
    under the eightfold of 15-44 that ignoring the published profile gave."""
    from clearlib.data._profile import _age_bands, person_years_each

    extract = pd.Timestamp("2026-03-31")
    p = default_pcn.patients.set_index("patient_id")
    booked = default_pcn.appointments[default_pcn.appointments["status"] != "cancelled"]
    n = booked.groupby("patient_id", observed=True).size().reindex(p.index, fill_value=0)
    years = person_years_each(p, load_spec("default").params, extract)
    band = _age_bands(p, extract)
    rate = n.groupby(band, observed=False).sum() / years.groupby(band, observed=False).sum()
    assert rate["0-4"] > max(rate["5-14"], rate["15-44"])
    assert rate["85+"] == rate.max()
    assert rate["85+"] / rate["15-44"] < 4


def test_no_frailty_deficit_is_recorded_before_birth(default_pcn) -> None:
    """Every eFI deficit of the default PCN is first recorded on or after the patient's birth."""
    d = default_pcn.frailty_deficits.join(
        default_pcn.patients.set_index("patient_id")[["birth_date"]], on="patient_id"
    )
    assert (d["first_recorded_on"] >= d["birth_date"]).all()


def test_a_dataset_from_an_older_spec_is_profiled_without_the_new_targets(default_pcn) -> None:
    """A spec without the age, death and care-home targets gives a profile without those rows."""
    import copy
    import dataclasses

    spec = load_spec("default")
    params = copy.deepcopy(spec.params)
    del params["appointments"]["by_age"]
    del params["mortality"]["crude_deaths_per_1000"]
    del params["households"]["care_home_share_65_plus"]
    table = profile(default_pcn, dataclasses.replace(spec, params=params)).table
    assert not table["group"].isin(["Appointments by age and sex", "Deaths", "Care homes"]).any()
    assert (table["group"] == "Appointments (GPAD)").any()
