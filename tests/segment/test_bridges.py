"""Bridges to Health: precedence, rules as data, clear errors, and the segment profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _segment_frames import tiny_segment_data

from clearlib import ConfigError, DataError
from clearlib.segment import (
    BRIDGES_RULES,
    BridgesToHealth,
    Rule,
    bridges_rules,
    read_rules,
    segment_features,
    segment_profile,
    unit_costs,
)


def _person(**values) -> dict:
    """A person who meets no rule but 'Healthy', with some features changed."""
    base = {c: 0 for r in BRIDGES_RULES for c in r.columns()}
    base["age"] = 40
    base.update(values)
    return base


def _frame(**people) -> pd.DataFrame:
    return pd.DataFrame([_person(**v) for v in people.values()], index=list(people))


def test_default_precedence_is_the_documented_order():
    """Rules are tested 6 > 7 > 8 > 5 > 4 > 2 > 3 > 1 and every one but Healthy is described."""
    rules = bridges_rules()
    assert rules["segment"].tolist() == [6, 7, 8, 5, 4, 2, 3, 1]
    assert rules["precedence"].tolist() == list(range(1, 9))
    assert (rules["description"] != "").all()
    assumed = set(rules.loc[rules["assumption"] != "", "segment"])
    assert assumed == {6, 7, 8, 5, 2, 3}  # the data definitions beyond the published wording
    assert "no pregnancies" in rules.loc[rules["segment"] == 2, "assumption"].item()


def test_tiny_population_segments_worked_out_by_hand():
    """P1 end of life (also 7, 8, 5, 4), P2 organ failure, P3 infant, P4 acute, P7 chronic, P8 frail."""
    f = segment_features(tiny_segment_data())
    out = BridgesToHealth().fit(f).assign(f)
    assert out["segment"].to_dict() == {"P1": 6, "P2": 7, "P3": 2, "P4": 3, "P7": 4, "P8": 8}
    assert out.loc["P1", "also_meets"] == "7, 8, 5, 4"
    assert out.loc["P8", "also_meets"] == "4, 3"
    assert out.loc["P7", "also_meets"] == ""
    assert out.loc["P1", "reason"] == "on the palliative care register (QOF PC)"
    assert str(out.loc["P3", "segment_name"]) == "Maternal and infant health"


@pytest.mark.parametrize(
    ("person", "segment"),
    [
        (_person(PC=1, HF=1, efi_deficits=20), 6),
        (_person(HF=1, efi_deficits=20), 7),
        (_person(COPD=1, efi_deficits=4), 1),  # COPD with under 5 deficits, no LTC count given
        (_person(COPD=1, efi_deficits=5, ltc_count=1), 7),
        (_person(CKD=1, efi_deficits=5), 7),
        (_person(efi_deficits=9), 8),
        (_person(efi_deficits=8, ltc_count=1), 4),
        (_person(care_home_resident=1), 8),
        (_person(DEM=1, LD=1), 8),
        (_person(LD=1, ltc_count=2), 5),
        (_person(housebound=1), 5),
        (_person(ltc_count=1, ae_90d=2), 4),
        (_person(age=0.5, ae_90d=1), 2),
        (_person(age=0.5, ltc_count=1), 4),
        (_person(emergency_admissions_90d=1), 3),
        (_person(acute_appointments_90d=1), 3),
        (_person(), 1),
    ],
)
def test_each_rule_and_its_precedence(person, segment):
    """One person at a time: the highest segment in the precedence whose rule they meet."""
    X = pd.DataFrame([person])
    assert BridgesToHealth().fit(X).transform(X)[0, 0] == segment


def test_changing_a_threshold_moves_people():
    """Lowering the frailty threshold from 9 to 5 deficits moves a mildly frail person into 8."""
    X = _frame(a={"efi_deficits": 6, "ltc_count": 1})
    assert BridgesToHealth().fit(X).transform(X)[0, 0] == 4
    rules = bridges_rules()
    rules.loc[rules["segment"] == 8, "condition"] = "efi_deficits >= 5 or DEM or care_home_resident"
    assert BridgesToHealth(rules=rules).fit(X).transform(X)[0, 0] == 8


def test_changing_the_precedence_changes_the_winner():
    """With 'acutely ill' ranked above 'chronic conditions', a chronic person with an A&E visit is 3."""
    X = _frame(a={"ltc_count": 1, "ae_90d": 1})
    rules = bridges_rules()  # precedence 1..8 for segments 6, 7, 8, 5, 4, 2, 3, 1
    rules["precedence"] = rules["segment"].map({6: 1, 7: 2, 8: 3, 5: 4, 3: 5, 4: 6, 2: 7, 1: 8})
    assert BridgesToHealth(rules=rules).fit(X).transform(X)[0, 0] == 3
    assert BridgesToHealth().fit(X).transform(X)[0, 0] == 4


def test_rules_read_from_a_toml_file(tmp_path):
    """Two rules in TOML: frail people (eFI 9+) are 8, everyone else 1."""
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nsegment = 8\nname = "Frail"\ncondition = "efi_deficits >= 9"\nprecedence = 1\n'
        '[[rule]]\nsegment = 1\nname = "Rest"\ncondition = "True"\nprecedence = 2\n',
        encoding="utf-8",
    )
    X = pd.DataFrame({"efi_deficits": [12, 3]}, index=["a", "b"])
    out = BridgesToHealth(rules=path).fit(X).assign(X)
    assert out["segment"].tolist() == [8, 1]
    assert out["segment_name"].astype(str).tolist() == ["Frail", "Rest"]


def test_people_who_meet_no_rule_get_segment_zero():
    """Without a catch-all rule, unmatched people are segment 0, 'No segment'."""
    X = pd.DataFrame({"age": [0.5, 30]})
    out = BridgesToHealth(rules=[Rule(2, "Infant", "age < 1")]).fit(X).assign(X)
    assert out["segment"].tolist() == [2, 0]
    assert out["reason"].tolist()[1] == "no rule matched"


def test_a_missing_column_names_the_rule_and_the_table():
    """Features without PC: the error names the column, the rule and the conditions table."""
    X = pd.DataFrame([_person()]).drop(columns="PC")
    with pytest.raises(
        DataError, match=r"'PC' \(used by '6 End of life'; it comes from conditions"
    ):
        BridgesToHealth().fit(X)


def test_conditions_that_are_not_allowed_are_refused():
    """Function calls and text in a condition are refused before anything runs."""
    with pytest.raises(ConfigError, match="Call is not allowed"):
        read_rules([Rule(1, "bad", "__import__('os')")])
    with pytest.raises(ConfigError, match="only numbers and True/False"):
        read_rules([Rule(1, "bad", "sex == 'F'")])
    with pytest.raises(ConfigError, match="cannot read the condition"):
        read_rules([Rule(1, "bad", "age >")])
    with pytest.raises(ConfigError, match="unknown field"):
        read_rules([{"segment": 1, "name": "x", "condition": "True", "colour": "red"}])


def test_missing_values_never_meet_a_condition():
    """An unknown eFI meets neither 'efi >= 9' nor 'efi != 0'; it falls through to Healthy."""
    X = pd.DataFrame({"efi_deficits": [np.nan, 10.0]})
    rules = [Rule(8, "Frail", "efi_deficits >= 9", 1), Rule(7, "Any", "efi_deficits != 0", 2)]
    rules.append(Rule(1, "Rest", "True", 3))
    assert BridgesToHealth(rules=rules).fit(X).transform(X).ravel().tolist() == [1, 8]


def test_match_shows_every_rule_met():
    """match() lists all rules met before precedence: P1 meets five segments' rules."""
    f = segment_features(tiny_segment_data())
    m = BridgesToHealth().fit(f).match(f)
    assert m.loc["P1"].sum() == 6  # 6, 7, 8, 5, 4 and the catch-all
    assert m.columns[0] == "6 End of life"


def test_every_person_gets_exactly_one_segment_on_the_default_pcn(default_pcn):
    """The segments partition the registered list; segment 2 holds only under-ones."""
    f = segment_features(default_pcn)
    out = BridgesToHealth().fit(f).assign(f)
    assert len(out) == len(f) == default_pcn.practices["list_size"].sum()
    assert out["segment"].between(1, 8).all()
    assert (f.loc[out["segment"] == 2, "age"] < 1).all()
    assert set(out["segment"]) == set(range(1, 9))
    assert f.loc[out["segment"] == 6, "PC"].all()


def test_segment_profile_by_hand():
    """Two people in 8 and one in 1: sizes, shares, means and the cost proxy at the assumed prices."""
    f = pd.DataFrame(
        {
            "age": [80, 90, 30],
            "male": [True, False, False],
            "imd_decile": [1, 4, 9],
            "appointments_12m": [10, 20, 1],
            "gp_appointments_12m": [5, 8, 1],
            "ae_12m": [1, 3, 0],
            "emergency_admissions_12m": [1, 1, 0],
            "elective_admissions_12m": [0, 1, 0],
            "outpatient_12m": [2, 4, 0],
        },
        index=["a", "b", "c"],
    )
    segs = pd.DataFrame(
        {"segment": [8, 8, 1], "segment_name": ["Frailty and dementia"] * 2 + ["Healthy"]},
        index=["a", "b", "c"],
    )
    p = segment_profile(f, segs).set_index("segment")
    assert p.loc[8, "name"] == "Frailty and dementia" and p.loc[8, "people"] == 2
    assert p.loc[8, "share"] == pytest.approx(2 / 3)
    assert p.loc[8, "mean_age"] == 85 and p.loc[8, "female_share"] == 0.5
    assert p.loc[8, "most_deprived_share"] == 0.5
    assert p.loc[8, "appointments_per_head"] == 15 and p.loc[8, "ae_per_head"] == 2
    # a: 10*40 + 1*250 + 1*3000 + 0 + 2*150 = 3950; b: 800 + 750 + 3000 + 1500 + 600 = 6650
    assert p.loc[8, "total_cost"] == pytest.approx(3950 + 6650)
    assert p.loc[8, "cost_per_head"] == pytest.approx((3950 + 6650) / 2)
    assert p.loc[1, "total_cost"] == 40
    assert p["cost_share"].sum() == pytest.approx(1)
    cheap = segment_profile(f, segs, costs={"emergency_admissions_12m": 1000}).set_index("segment")
    assert cheap.loc[8, "total_cost"] == pytest.approx(3950 + 6650 - 2 * 2000)


def test_unit_costs_are_labelled_assumptions():
    """Every default unit cost is labelled an assumption."""
    assert unit_costs()["basis"].str.startswith("assumption").all()


def test_segment_profile_names_missing_columns():
    """A features table without ae_12m: the error names the column and where it comes from."""
    f = pd.DataFrame({"age": [1.0]})
    with pytest.raises(DataError, match=r"'ae_12m' from hospital_events"):
        segment_profile(f, pd.Series([1]))
