"""Week 05 checks (population health and Bridges to Health): each question's usual mistakes.

Each check takes a learner's answer (and what it is built on: ``features``, the given
``segments``, their own earlier answers) and fails with a message naming the mistake: a rule
broken for some person (someone with COPD and 2 deficits in segment 7), a segment that is not
the first rule met, or an answer equal to what a usual mistake gives, recomputed here. None of
them works out the right answer; the hidden tests in the assignment do that.

Examples
--------
>>> import pandas as pd
>>> per_segment(pd.Series([0.5] * 8, index=range(1, 9)), "gp_per_head")
>>> per_segment(pd.Series([0.5] * 7, index=range(1, 8)), "gp_per_head")
Traceback (most recent call last):
AssertionError: gp_per_head should have one value per segment, 1 to 8; its index is [1, 2, 3, 4, 5, 6, 7].
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearlib.course.checks._core import is_table

__all__ = [
    "PRECEDENCE",
    "PROFILE_COLUMNS",
    "admission_shares",
    "chronic_rule",
    "first_rule_met",
    "frailty_rule",
    "gp_use_per_head",
    "kept_the_rest_of_rule_8",
    "moved_into_segment_8",
    "one_segment_each",
    "organ_failure_rule",
    "per_segment",
    "profile_rates",
    "profile_table",
    "rule_columns",
]

PRECEDENCE = [6, 7, 8, 5, 4, 2, 3, 1]
PROFILE_COLUMNS = [
    "people",
    "share",
    "mean_age",
    "most_deprived_share",
    "ae_per_1000",
    "emergency_admissions_per_1000",
]
_SEGMENTS = list(range(1, 9))
_YEAR = (pd.Timestamp("2025-04-01"), pd.Timestamp("2026-04-01"))


def _fail(message: str) -> None:
    raise AssertionError(message)


def _close(a: Any, b: Any) -> bool:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-6, atol=1e-9, equal_nan=True))


def _by_segment(value: pd.Series) -> pd.Series:
    """A learner's per-segment Series with whole-number labels, in order 1 to 8."""
    out = pd.Series(value.to_numpy(dtype=float), index=[int(i) for i in value.index])
    return out.sort_index()


def _column(meets: pd.DataFrame, s: int) -> pd.Series:
    for c in meets.columns:
        if str(c).strip() == str(s):
            return meets[c].astype(bool)
    raise AssertionError(f"meets has no column {s}.")


def _first(who: pd.Series) -> str:
    return str(who.index[who.to_numpy()][0])


# Question 1 ----------------------------------------------------------------------------------


def rule_columns(meets: Any, features: pd.DataFrame) -> None:
    """Check ``meets``: one True/False column per segment, in precedence order, one row per person.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame(index=["P1"])
    >>> rule_columns(pd.DataFrame({s: [True] for s in PRECEDENCE}, index=f.index), f)
    >>> rule_columns(pd.DataFrame({s: [True] for s in sorted(PRECEDENCE)}, index=f.index), f)
    Traceback (most recent call last):
    AssertionError: meets should have the columns [6, 7, 8, 5, 4, 2, 3, 1] (segment numbers, in precedence order); it has [1, 2, 3, 4, 5, 6, 7, 8].
    """
    is_table(meets, "meets")
    columns = [str(c).strip() for c in meets.columns]
    if columns != [str(s) for s in PRECEDENCE]:
        _fail(
            f"meets should have the columns {PRECEDENCE} (segment numbers, in precedence order); "
            f"it has {list(meets.columns)}."
        )
    if not meets.index.equals(features.index):
        _fail(
            f"meets should have one row per person in features, in the same order (it has "
            f"{len(meets):,} rows; features has {len(features):,}). Build every column from "
            "features."
        )
    odd = [c for c in meets.columns if not pd.api.types.is_bool_dtype(meets[c])]
    if odd:
        _fail(
            f"Every column should hold True/False; columns {odd} do not. A comparison such as "
            'features["ltc_count"] >= 1 gives True/False.'
        )
    if not bool(meets.iloc[:, -1].all()):
        _fail("Column 1 (healthy, the catch-all) should be True for everyone.")


def organ_failure_rule(meets: pd.DataFrame, features: pd.DataFrame) -> None:
    """Check column 7 (HF, or COPD or CKD with 5+ deficits) for the usual slips with brackets."""
    mine, f = _column(meets, 7), features
    low = f["efi_deficits"] < 5
    if (mine & f["CKD"] & ~f["HF"] & ~f["COPD"] & low).any():
        _fail(
            "Column 7 leaves out the frailty condition: COPD or CKD count only with 5 or more "
            f"eFI deficits (e.g. {_first(mine & f['CKD'] & ~f['HF'] & low)})."
        )
    if (mine & f["COPD"] & ~f["HF"] & low).any():
        _fail(
            "Column 7 counts COPD patients with fewer than 5 deficits: put brackets round (COPD "
            'or CKD) before adding "and efi_deficits >= 5", because & is applied before |.'
        )
    if (~mine & f["HF"]).any():
        _fail("Column 7 leaves out people with heart failure (HF): they meet the rule on its own.")
    if (~mine & (f["COPD"] | f["CKD"]) & (f["efi_deficits"] == 5)).any():
        _fail("Column 7 should include people with exactly 5 deficits: use >= 5, not > 5.")


def frailty_rule(meets: pd.DataFrame, features: pd.DataFrame) -> None:
    """Check column 8 (9+ deficits, dementia or a care home) leaves nobody out."""
    mine, f = _column(meets, 8), features
    if (~mine & (f["efi_deficits"] == 9)).any():
        _fail("Column 8 should include people with exactly 9 deficits: use >= 9, not > 9.")
    if (~mine & f["care_home_resident"]).any():
        _fail('Column 8 leaves out care-home residents: add | features["care_home_resident"].')
    if (~mine & f["DEM"]).any():
        _fail('Column 8 leaves out people with dementia: add | features["DEM"].')
    if (mine & (f["efi_deficits"] < 9) & ~f["DEM"] & ~f["care_home_resident"]).any():
        _fail("Column 8 includes people who meet none of its three parts: check the threshold.")


def chronic_rule(meets: pd.DataFrame, features: pd.DataFrame) -> None:
    """Check column 4 is one long-term condition or more."""
    mine = _column(meets, 4)
    if (~mine & (features["ltc_count"] == 1)).any():
        _fail("Column 4 needs one long-term condition or more: ltc_count >= 1.")
    if (mine & (features["ltc_count"] == 0)).any():
        _fail("Column 4 includes people with no long-term condition: ltc_count >= 1.")


# Question 2 ----------------------------------------------------------------------------------


def one_segment_each(segment_number: Any, features: pd.DataFrame) -> None:
    """Check ``segment_number`` gives everyone on the list exactly one segment, 1 to 8."""
    is_table(segment_number, "segment_number", kind="Series")
    dups = int(segment_number.index.duplicated().sum())
    if dups:
        _fail(
            f"{dups:,} people appear more than once, so they are in two segments. Build one "
            "Series over features' index (np.select), not one table per rule stacked with "
            "pd.concat."
        )
    missing = features.index.difference(segment_number.index)
    if len(missing):
        _fail(
            f"{len(missing):,} people on the list have no segment (e.g. {missing[0]}): use "
            "features' index."
        )
    if len(segment_number) != len(features):
        _fail(
            f"segment_number has {len(segment_number):,} rows but {len(features):,} people are "
            "on the list: keep only the people in features."
        )
    values = pd.to_numeric(segment_number, errors="coerce").reindex(features.index)
    none = int((values.isna() | (values == 0)).sum())
    if none:
        _fail(
            f"{none:,} people have no segment (0 or missing). np.select gives its default when "
            "no rule is met: include the catch-all rule 1, which is True for everyone."
        )
    if not set(values.unique()) <= set(_SEGMENTS):
        _fail(f"Segments are numbered 1 to 8; segment_number holds {sorted(set(values.unique()))}.")
    if values.nunique() == 1:
        _fail(
            f"Everyone is in segment {int(values.iloc[0])}: the catch-all was tested first, or a "
            "loop let the last rule win. Test the rules in the precedence 6, 7, 8, 5, 4, 2, 3, 1 "
            "and take the first one met."
        )


def first_rule_met(segment_number: pd.Series, meets: pd.DataFrame) -> None:
    """Check each person's segment is a rule they meet (in your ``meets``), and that they meet
    no rule that comes before it in the precedence."""
    values = pd.to_numeric(segment_number, errors="coerce").reindex(meets.index)
    for rank, s in enumerate(PRECEDENCE):
        here = (values == s).to_numpy()
        if not here.any():
            continue
        if not _column(meets, s).to_numpy()[here].all():
            _fail(
                f"Some people are in segment {s} but do not meet rule {s} in meets: build "
                "segment_number from meets."
            )
        for earlier in PRECEDENCE[:rank]:
            jumped = here & _column(meets, earlier).to_numpy()
            if jumped.any():
                who = meets.index[jumped][0]
                _fail(
                    f"Some people are in segment {s} but meet rule {earlier}, which comes first "
                    f"(e.g. {who}): take the first one met in the precedence 6, 7, 8, 5, 4, 2, "
                    "3, 1 (np.select does, given the rules in that order)."
                )


# Question 3 ----------------------------------------------------------------------------------


def _default_segments(features: pd.DataFrame) -> pd.Series:
    from clearlib import segment

    return segment.BridgesToHealth().fit(features).assign(features)["segment"]


def moved_into_segment_8(moved_into_8: Any, mild_segments: Any, features: pd.DataFrame) -> None:
    """Check ``mild_segments`` (one per person) and ``moved_into_8`` (a count of people new to
    segment 8, not everyone now in it)."""
    if not (isinstance(mild_segments, pd.Series) and mild_segments.index.equals(features.index)):
        _fail(
            "mild_segments should be the 'segment' column of BridgesToHealth(rules=...)"
            ".assign(features): one segment number per person, indexed like features."
        )
    if not isinstance(moved_into_8, int | np.integer) or isinstance(moved_into_8, bool):
        _fail(f"moved_into_8 should be a whole number; it is a {type(moved_into_8).__name__}.")
    if not 0 < moved_into_8 < len(features):
        _fail(
            f"moved_into_8 is {moved_into_8}: lowering the threshold from 9 to 5 deficits should "
            "move some people into segment 8. Did the changed rules reach BridgesToHealth(rules=...)?"
        )
    before = _default_segments(features)
    now_in_8 = int((mild_segments == 8).sum())
    if moved_into_8 == now_in_8 and (before == 8).any():
        _fail(
            "moved_into_8 counts everyone now in segment 8; count only those who were not in 8 "
            "before (under the default rules)."
        )


def kept_the_rest_of_rule_8(mild_segments: pd.Series, features: pd.DataFrame) -> None:
    """Check nobody leaves segment 8 when only its threshold is lowered."""
    left = int(((_default_segments(features) == 8) & (mild_segments != 8)).sum())
    if left:
        _fail(
            f"{left:,} people left segment 8 under your rule: keep 'or DEM or care_home_resident' "
            "and change only the deficit threshold."
        )


# Question 4 ----------------------------------------------------------------------------------


def profile_table(profile: Any, features: pd.DataFrame) -> None:
    """Check ``profile``: segments 1 to 8, the six columns, everyone counted once, shares of 1."""
    is_table(profile, "profile", columns=PROFILE_COLUMNS)
    index = [int(i) for i in profile.index]
    if index != _SEGMENTS:
        _fail(f"profile should have one row per segment, indexed 1 to 8 in order; it has {index}.")
    people = float(profile["people"].sum())
    if int(people) != len(features):
        _fail(
            f"people adds up to {int(people):,}, but {len(features):,} people are on the list: "
            "each person should be counted once, in their segment."
        )
    share = float(profile["share"].sum())
    if abs(share - 100) < 0.01:
        _fail("share should be a fraction from 0 to 1, not a percentage.")
    if abs(share - 1) > 1e-6:
        _fail(
            f"share adds up to {share:.3f}; divide each segment's people by everyone on the list."
        )


def profile_rates(profile: pd.DataFrame, features: pd.DataFrame, segments: pd.Series) -> None:
    """Check the profile's shares and rates against the usual slips: decile 1 alone, per user,
    per person instead of per 1,000, per 1,000 of the whole list."""
    f = features.assign(_segment=segments)
    g = f.groupby("_segment")
    mine = profile.astype(float).set_axis(_SEGMENTS)
    if _close(mine["most_deprived_share"], g["imd_decile"].apply(lambda d: (d == 1).mean())):
        _fail(
            "most_deprived_share counts decile 1 only: the most deprived fifth is deciles 1 and 2 "
            "(imd_decile <= 2)."
        )
    for column, name in (
        ("ae_12m", "ae_per_1000"),
        ("emergency_admissions_12m", "emergency_admissions_per_1000"),
    ):
        per_user = g[column].apply(lambda x: x[x > 0].mean() * 1000)
        if _close(mine[name], per_user):
            _fail(
                f"{name} divides by the people who had one: per 1,000 people counts everyone in "
                "the segment."
            )
        if _close(mine[name], g[column].mean()):
            _fail(f"{name} is per person: multiply by 1,000.")
        if _close(mine[name], g[column].sum() / len(f) * 1000):
            _fail(f"{name} divides by everyone on the list: divide by the people in the segment.")


# Question 5 ----------------------------------------------------------------------------------


def per_segment(value: Any, name: str) -> None:
    """Check a Series with one number per segment, 1 to 8, none missing."""
    is_table(value, name, kind="Series")
    index = sorted(int(i) for i in value.index)
    if index != _SEGMENTS:
        _fail(f"{name} should have one value per segment, 1 to 8; its index is {index}.")
    if value.isna().any():
        _fail(f"Some values of {name} are missing (NaN): divide two Series indexed by segment.")


def gp_use_per_head(gp_per_head: pd.Series, segments: pd.Series) -> None:
    """Check ``gp_per_head`` against the usual slips: totals, per user, DNAs counted, every role,
    both years (each recomputed from ``pcn.appointments``)."""
    import clearlib

    a = clearlib.load_pcn().appointments
    seg = a["patient_id"].map(segments)
    on_list = seg.notna()
    year = (a["start"] >= _YEAR[0]) & (a["start"] < _YEAR[1])
    attended, gp = a["status"] == "attended", a["role"] == "gp"
    size = segments.value_counts().reindex(_SEGMENTS)
    mine = _by_segment(gp_per_head)

    def count(mask: pd.Series) -> pd.Series:
        return seg[mask & on_list].value_counts().reindex(_SEGMENTS, fill_value=0).astype(float)

    right_rows = year & attended & gp
    if _close(mine, count(right_rows)):
        _fail(
            "These look like totals, not per head: divide by the number of people in each segment."
        )
    users = (
        pd.DataFrame({"s": seg[right_rows & on_list], "p": a["patient_id"][right_rows & on_list]})
        .drop_duplicates()["s"]
        .value_counts()
        .reindex(_SEGMENTS)
    )
    slips = [
        (
            count(right_rows) / users,
            "You divided by the people who had a GP appointment. Per head divides by everyone in "
            "the segment, including people who had none.",
        ),
        (
            count(year & gp) / size,
            "You counted DNAs and cancelled appointments too: keep status 'attended' only.",
        ),
        (count(year & attended) / size, "You counted every role: keep role 'gp' only."),
        (
            count(attended & gp) / size,
            "You counted both years: keep appointments that start on or after 1 April 2025 and "
            "before 1 April 2026.",
        ),
    ]
    for wrong, message in slips:
        if _close(mine, wrong):
            _fail(message)


# Question 6 ----------------------------------------------------------------------------------


def admission_shares(admission_share: Any, features: pd.DataFrame, segments: pd.Series) -> None:
    """Check ``admission_share``: one fraction per segment adding up to 1, counting admissions
    (not people with one)."""
    per_segment(admission_share, "admission_share")
    mine = _by_segment(admission_share)
    total = float(mine.sum())
    if abs(total - 100) < 0.01:
        _fail("Give fractions from 0 to 1, not percentages.")
    if abs(total - 1) > 1e-6:
        _fail(
            f"admission_share adds up to {total:.3f}, not 1: divide each segment's admissions by "
            "all admissions (not by the people in the segment)."
        )
    admitted = features["emergency_admissions_12m"] > 0
    if _close(mine, (admitted.groupby(segments).sum() / admitted.sum()).reindex(_SEGMENTS)):
        _fail(
            "You counted people with an admission; count the admissions themselves (some people "
            "had several)."
        )
