"""Anticipatory-care cohorts: rules to a list with reasons, the waterfall, needs in hours."""

from __future__ import annotations

import pandas as pd
import pytest

from clearlib import ConfigError, DataError
from clearlib.segment import (
    PROACTIVE_CARE_RULES,
    Cohort,
    CohortRule,
    join_risk,
    needs_assumptions,
    size_needs,
)


def _people() -> pd.DataFrame:
    """Six people; comments say which rules each meets."""
    return pd.DataFrame(
        {
            # a: frail; b: frail in a care home; c: top-5% with 3 LTCs; d: frail and top-5% with 2
            # LTCs; e: top-5% but 1 LTC; f: frail, care home and palliative (care home first)
            "efi_deficits": [10, 12, 2, 9, 0, 15],
            "ltc_count": [1, 2, 3, 2, 1, 4],
            "risk_top5": [False, False, True, True, True, False],
            "care_home_resident": [False, True, False, False, False, True],
            "PC": [False, False, False, False, False, True],
        },
        index=list("abcdef"),
    )


def test_members_and_reasons_by_hand():
    """a, c and d are in; d has both reasons; b and f leave by the care-home rule."""
    result = Cohort().evaluate(_people())
    assert list(result.members.index) == ["a", "c", "d"]
    assert result.members["reasons"].to_dict() == {
        "a": "moderate or severe frailty",
        "c": "top 5% risk with 2+ conditions",
        "d": "moderate or severe frailty; top 5% risk with 2+ conditions",
    }
    assert result.members["n_reasons"].tolist() == [1, 1, 2]
    assert result.excluded["excluded_by"].to_dict() == {
        "b": "care home resident",
        "f": "care home resident",
    }
    assert len(result) == result.size == 3


def test_waterfall_counts_each_step_in_order():
    """6 people; 1 meets no include rule (e); care homes remove 2 (b, f); end of life then 0."""
    w = Cohort().evaluate(_people()).waterfall
    assert w["rule"].tolist() == [
        "population",
        "meets no include rule",
        "care home resident",
        "end of life",
        "cohort",
    ]
    assert w["removed"].tolist() == [0, 1, 2, 0, 0]
    assert w["remaining"].tolist() == [6, 5, 3, 3, 3]


def test_reordering_exclusions_changes_who_removes_whom():
    """With end of life tested first, f leaves by it instead: each person is counted once."""
    rules = list(PROACTIVE_CARE_RULES)
    rules[2], rules[3] = rules[3], rules[2]
    result = Cohort(rules).evaluate(_people())
    assert result.waterfall["removed"].tolist() == [0, 1, 1, 1, 0]
    assert result.excluded.loc["f", "excluded_by"] == "end of life"


def test_rule_counts_show_overlap():
    """Frailty is met by a, b, d and f; by a, b and f alone (counted before any exclusion)."""
    counts = Cohort().evaluate(_people()).rule_counts.set_index("rule")
    assert counts.loc["moderate or severe frailty", "met"] == 4
    assert counts.loc["moderate or severe frailty", "only_this"] == 3  # a, b, f
    assert counts.loc["top 5% risk with 2+ conditions", "met"] == 2  # c, d
    assert counts.loc["care home resident", "met"] == 2


def test_rules_from_a_table_and_their_errors():
    """A cohort from a DataFrame; a bad action or no include rule is refused."""
    table = pd.DataFrame(
        {
            "name": ["over 75", "care home"],
            "condition": ["age >= 75", "care_home_resident"],
            "action": ["include", "exclude"],
        }
    )
    people = pd.DataFrame({"age": [80, 90, 60], "care_home_resident": [False, True, False]})
    assert Cohort(table).evaluate(people).members.index.tolist() == [0]
    with pytest.raises(ConfigError, match="'include' or 'exclude'"):
        Cohort([CohortRule("x", "age > 1", "maybe")]).evaluate(people)
    with pytest.raises(DataError, match="no include rule"):
        Cohort([CohortRule("x", "age > 1", "exclude")]).evaluate(people)


def test_missing_risk_flags_point_to_join_risk():
    """Features without risk_top5: the message says how to add the flags."""
    with pytest.raises(DataError, match=r"'risk_top5'.*join_risk"):
        Cohort().evaluate(_people().drop(columns="risk_top5"))


def test_join_risk_flags_only_the_scored():
    """Children (no score) are never flagged; the top 50% of two scored adults is one person."""
    f = pd.DataFrame({"age": [80, 5, 60]}, index=["a", "b", "c"])
    out = join_risk(f, pd.Series([0.4, 0.1], index=["a", "c"]), fractions=[0.5])
    assert out["risk_top50"].tolist() == [True, False, False]
    assert out["risk"].isna().tolist() == [False, True, False]
    with pytest.raises(DataError, match="not in the features"):
        join_risk(f, pd.Series([0.3], index=["z"]))


def test_needs_sizing_by_hand():
    """100 people: 100 h assessments, 75 h plans, 100 h MDT (15 min x 4 staff), 100 h follow-up."""
    needs = size_needs(100).set_index("activity")
    assert needs["hours_per_year"].to_dict() == {
        "Proactive care needs assessment": 100.0,
        "Personalised care and support plan": 75.0,
        "Multidisciplinary team (MDT) review": 100.0,
        "Scheduled follow-up": 100.0,
        "Total": 375.0,
    }
    assert needs.loc["Scheduled follow-up", "contacts_per_year"] == 300
    assert needs_assumptions()["basis"].str.startswith("assumption").all()


def test_needs_minutes_can_be_overridden():
    """Follow-ups of 30 minutes instead of 20: 150 hours for 100 people; the basis says so."""
    needs = size_needs(100, minutes={"Scheduled follow-up": 30}).set_index("activity")
    assert needs.loc["Scheduled follow-up", "hours_per_year"] == 150
    assert needs.loc["Scheduled follow-up", "basis"] == "given by the user"
    table = needs_assumptions()
    table.loc[0, "per_person_per_year"] = 2
    assert (
        size_needs(10, table)
        .set_index("activity")
        .loc["Proactive care needs assessment", "hours_per_year"]
        == 20
    )
    with pytest.raises(DataError, match="no activity 'Yoga'"):
        size_needs(10, minutes={"Yoga": 5})


def test_needs_from_a_cohort_result():
    """The cohort's size feeds the sizing: 3 people, 3 needs assessments a year."""
    result = Cohort().evaluate(_people())
    needs = size_needs(result).set_index("activity")
    assert needs.loc["Proactive care needs assessment", "contacts_per_year"] == 3
    with pytest.raises(DataError, match="CohortResult"):
        size_needs("three")
