"""Week 07 checks (risk stratification): the usual mistakes the other checks let through.

Each check takes a learner's answer (and their own functions and earlier answers) and fails
with a message naming the mistake when the answer is what that mistake gives, recomputed here
from ``pcn``: the palliative care register counted, DNAs counted, all history instead of the
365 days before, the index date ignored, the outcome window open or on the wrong side, the
training set or every adult scored, an AUC ranked the wrong way round or worked out on the
training set, each decile's share of the admissions, a top-k list rounded down, sensitivity over
the wrong people, a top 2% drawn within each group, a group's share of the list; and the shape
of the answers (one row per adult, a True/False outcome, ten deciles, one row per group). None
of them works out the right answer; the hidden tests in the assignment do that.

Examples
--------
>>> shares_of_each_group({"by_sex": __import__("pandas").DataFrame(
...     {"share_in_top2": [0.6, 0.4]}, index=["F", "M"])})
Traceback (most recent call last):
AssertionError: by_sex: share_in_top2 adds up to 1 over the groups, so it is each group's share of the list. It should be the share of the group on the list: people flagged in the group / people in the group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FAIRNESS_COLUMNS",
    "admitted_or_not",
    "auc_of_the_test_set",
    "calibration_deciles",
    "counts_the_year_before",
    "fairness_groups",
    "fairness_tables",
    "features_from_before",
    "flags_rounded_up",
    "held_out_scores",
    "judged_outcome",
    "one_row_per_adult",
    "outcome_window",
    "sensitivity_among_scored",
    "shares_of_each_group",
    "top_lists",
    "uses_its_index_date",
]

_DAY = pd.Timedelta(days=1)


def _fail(message: str) -> None:
    raise AssertionError(message)


def _same(a: Any, b: Any) -> bool:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return x.shape == y.shape and bool(np.allclose(x, y))


def _in(index: pd.Index, ids: Any) -> np.ndarray:
    """True for each label of ``index`` among ``ids`` (a set lookup: fast on text ids)."""
    wanted = set(ids)
    return np.fromiter((label in wanted for label in index), dtype=bool, count=len(index))


def _count(rows: pd.DataFrame, index: pd.Index) -> pd.Series:
    return rows.groupby("patient_id").size().reindex(index, fill_value=0)


def features_from_before(X: pd.DataFrame, pcn: Any, index_date: Any) -> None:
    """Check ``X``'s counts against the usual slips: the palliative care register counted as a
    condition, and DNAs and cancellations counted as appointments."""
    when = pd.Timestamp(index_date)
    c, a = pcn.conditions, pcn.appointments
    before = c[c["diagnosed_on"] < when]
    if (before["condition"] == "PC").any() and _same(X["ltc_count"], _count(before, X.index)):
        _fail(
            'ltc_count counts the palliative care register too: leave out condition "PC" (a '
            "stage of care, not a long-term condition)."
        )
    window = a[(a["start"] >= when - 365 * _DAY) & (a["start"] < when)]
    if (window["status"] != "attended").any() and _same(
        X["appointments_12m"], _count(window, X.index)
    ):
        _fail('appointments_12m counts DNAs and cancellations too: count status "attended" only.')


def counts_the_year_before(X: pd.DataFrame, pcn: Any, index_date: Any) -> None:
    """Check ``appointments_12m`` counts the 365 days before the index date, not all history
    (try it on a date with more than a year of records before it)."""
    when = pd.Timestamp(index_date)
    a = pcn.appointments
    ever = a[(a["start"] < when) & (a["status"] == "attended")]
    if (ever["start"] < when - 365 * _DAY).any() and _same(
        X["appointments_12m"], _count(ever, X.index)
    ):
        _fail(
            "appointments_12m counts every attended appointment before the index date: count only "
            "the 365 days before it (index_date - 365 days <= start < index_date)."
        )


def uses_its_index_date(
    builder: Callable[[Any, Any], Any],
    name: str,
    pcn: Any,
    adults_on: Callable[[pd.DataFrame, Any], pd.DataFrame],
    other_date: str = "2025-10-01",
) -> Any:
    """Call ``builder(pcn, other_date)`` and check it describes the adults on that date (the
    ``index_date`` argument is used, not ``INDEX_DATE``). Returns what the builder gave."""
    when = pd.Timestamp(other_date)
    out = builder(pcn, when)
    if not out.index.equals(adults_on(pcn.patients, when).index):
        _fail(
            f"{name}(pcn, {when:%d %B %Y}) should describe the adults on the list on that date: "
            "use the index_date argument inside the function, not INDEX_DATE."
        )
    return out


def outcome_window(y: pd.Series, y_january: pd.Series, pcn: Any, index_date: Any) -> None:
    """Check the outcome against the usual slips: every kind of hospital event, admissions
    before the index date, and a window with no end (``y_january``: the outcome on 1 January
    2025, from :func:`uses_its_index_date`)."""
    when = pd.Timestamp(index_date)
    e = pcn.hospital_events
    emergency = e[e["type"] == "emergency_admission"]
    in_year = e[(e["start"] >= when) & (e["start"] < when + 365 * _DAY)]
    flags = np.asarray(y, dtype=bool)
    if (in_year["type"] != "emergency_admission").any() and np.array_equal(
        flags, _in(y.index, in_year["patient_id"])
    ):
        _fail(
            "y counts every kind of hospital event (A&E, elective, outpatient): the outcome is "
            'type "emergency_admission" only.'
        )
    if np.array_equal(flags, _in(y.index, emergency.loc[emergency["start"] < when, "patient_id"])):
        _fail(
            "y uses admissions BEFORE the index date: those are history (a feature); the outcome "
            "is in the 365 days from it."
        )
    early = pd.Timestamp("2025-01-01")
    y2 = y_january
    later = emergency.loc[emergency["start"] >= early + 365 * _DAY, "patient_id"]
    open_ended = _in(y2.index, emergency.loc[emergency["start"] >= early, "patient_id"])
    if len(later) and np.array_equal(np.asarray(y2, dtype=bool), open_ended):
        _fail(
            "The outcome window should end 365 days after index_date: with an index date of "
            "1 January 2025 your outcome also counts admissions in 2026."
        )


def flags_rounded_up(captures: Mapping[float, Mapping[str, Any]], n_scored: int) -> None:
    """Check each list flags ``ceil(fraction x people scored)``, rounded up, not down.

    Examples
    --------
    >>> flags_rounded_up({0.02: {"flagged": 3}}, 101)
    >>> flags_rounded_up({0.02: {"flagged": 2}}, 101)
    Traceback (most recent call last):
    AssertionError: top 2% flags 2 people; 2% of the 101 scored is 2.02, rounded up to 3: int(np.ceil(fraction * len(risk))).
    """
    for fraction, got in captures.items():
        want = int(np.ceil(fraction * n_scored))
        if int(got["flagged"]) != want:
            _fail(
                f"top {fraction:.0%} flags {int(got['flagged']):,} people; {fraction:.0%} of the "
                f"{n_scored:,} scored is {fraction * n_scored:,.2f}, rounded up to {want:,}: "
                "int(np.ceil(fraction * len(risk)))."
            )


def sensitivity_among_scored(
    captures: Mapping[float, Mapping[str, Any]], y: pd.Series, risk: pd.Series
) -> None:
    """Check sensitivity divides by the admitted people among those scored, not everyone
    admitted in the PCN."""
    everyone, scored = int(np.asarray(y, dtype=bool).sum()), int(y.loc[risk.index].sum())
    for fraction, got in captures.items():
        tp = int(got["true_positives"])
        if everyone != scored and abs(float(got["sensitivity"]) - tp / everyone) < 1e-9:
            _fail(
                f"top {fraction:.0%}: sensitivity divides by everyone admitted in the PCN; divide "
                "by the admitted people among those scored (admitted.sum())."
            )


def shares_of_each_group(tables: Mapping[str, pd.DataFrame]) -> None:
    """Check ``share_in_top2`` is the share of each group on the list, not each group's share of
    the list (which adds up to 1 over the groups)."""
    for name, table in tables.items():
        shares = table["share_in_top2"].to_numpy(dtype=float)
        if len(shares) > 1 and abs(shares.sum() - 1) < 1e-6:
            _fail(
                f"{name}: share_in_top2 adds up to 1 over the groups, so it is each group's share "
                "of the list. It should be the share of the group on the list: people flagged in "
                "the group / people in the group."
            )


def _day(when: pd.Timestamp) -> str:
    return f"{when.day} {when:%B %Y}"


def one_row_per_adult(
    X: Any,
    make_features: Any,
    adults_on: Callable[[pd.DataFrame, Any], pd.DataFrame],
    pcn: Any,
    index_date: Any,
    columns: list[str],
) -> None:
    """Check ``X`` is a table of ``columns`` (in order) with one row per adult of
    ``adults_on(pcn.patients, index_date)``, in that order, and no missing values.

    Examples
    --------
    >>> one_row_per_adult(None, None, None, None, "2025-04-01", ["age"])
    Traceback (most recent call last):
    AssertionError: make_features should be a function: def make_features(data, index_date): ...
    """
    when = pd.Timestamp(index_date)
    if not callable(make_features):
        _fail("make_features should be a function: def make_features(data, index_date): ...")
    if not isinstance(X, pd.DataFrame):
        _fail(f"X should be a DataFrame; it is a {type(X).__name__}.")
    if list(X.columns) != list(columns):
        _fail(
            f"X should have exactly these columns, in this order: {list(columns)}; it has "
            f"{list(X.columns)}."
        )
    adults = adults_on(pcn.patients, when)
    if len(X) != len(adults):
        _fail(
            f"X has {len(X):,} rows; there are {len(adults):,} adults on the list on {_day(when)}. "
            "Start from adults_on(data.patients, index_date), not the list at the extract date or "
            "everyone ever registered."
        )
    if not X.index.equals(adults.index):
        _fail(
            "X should have one row per adult, indexed by patient_id, in the order of "
            "adults_on(...): reindex each count with .reindex(people.index, fill_value=0)."
        )
    if X.isna().any().any():
        _fail(
            "X has missing values: adults with no rows should count 0 "
            "(.reindex(people.index, fill_value=0))."
        )


def admitted_or_not(y: Any, make_outcome: Any, X: pd.DataFrame) -> None:
    """Check ``y`` is a True/False Series in the order of ``X``, with a plausible share admitted
    (an outcome of every hospital event, or a count, fails).

    Examples
    --------
    >>> X = pd.DataFrame({"age": [70, 80]}, index=["p1", "p2"])
    >>> admitted_or_not(pd.Series([2, 0], index=["p1", "p2"]), len, X)
    Traceback (most recent call last):
    AssertionError: y should be True/False (admitted or not), not a count: e.g. people.index.isin(admitted_ids).
    """
    if not callable(make_outcome):
        _fail("make_outcome should be a function: def make_outcome(data, index_date): ...")
    if not isinstance(y, pd.Series):
        _fail(f"y should be a pandas Series; it is a {type(y).__name__}.")
    if not y.index.equals(X.index):
        _fail(
            "y should have one value per adult, in the same order as X (index patient_id from "
            "adults_on)."
        )
    if not set(np.unique(y.to_numpy().astype(float))) <= {0.0, 1.0}:
        _fail(
            "y should be True/False (admitted or not), not a count: e.g. "
            "people.index.isin(admitted_ids)."
        )
    if not 0 < y.mean() < 0.5:
        _fail(
            f"{y.mean():.1%} of adults are 'admitted' in your y. Count only hospital events of "
            'type "emergency_admission" (not A&E, outpatient or elective) that start in the 365 '
            "days from the index date."
        )


def top_lists(
    captures: Mapping[float, Any], risk: pd.Series, admitted: pd.Series, n_adults: int
) -> None:
    """Check each top-list dict (keyed by its fraction): the four keys, a share of the people
    scored (not of all adults), the highest risks first (a PPV above the base rate of the people
    scored in ``admitted``), and sensitivity and PPV the right way round (from its own
    ``true_positives``).

    Examples
    --------
    >>> risk = pd.Series([0.9, 0.1, 0.8, 0.2], index=list("abcd"))
    >>> admitted = pd.Series([True, False, False, False], index=list("abcd"))
    >>> top_lists({0.5: {"flagged": 2}}, risk, admitted, 10)
    Traceback (most recent call last):
    AssertionError: top50 should be a dict with the keys ['flagged', 'ppv', 'sensitivity', 'true_positives']; it is {'flagged': 2}.
    """
    keys = {"flagged", "true_positives", "sensitivity", "ppv"}
    for fraction, got in captures.items():
        if not (isinstance(got, Mapping) and keys <= set(got)):
            _fail(
                f"top{fraction * 100:.0f} should be a dict with the keys {sorted(keys)}; it is {got!r}."
            )
    n = len(risk)
    n_admitted = int(np.asarray(admitted, dtype=bool).sum())
    base_rate = n_admitted / n
    for fraction, got in captures.items():
        k, pct = int(got["flagged"]), f"{fraction:.0%}"
        if k == int(np.ceil(fraction * n_adults)) and n_adults != n:
            _fail(
                f"top {pct}: you flagged {pct} of ALL adults ({k:,}); the list is drawn from the "
                f"people scored (the {n:,} in risk): {pct} of len(risk)."
            )
        if k not in (int(np.floor(fraction * n)), int(np.ceil(fraction * n))):
            _fail(
                f"top {pct} should flag {int(np.ceil(fraction * n)):,} people ({pct} of the {n:,} "
                f"scored, rounded up); yours flags {k:,}. Flag a share of the people scored, not of "
                "the whole list."
            )
        if float(got["ppv"]) <= base_rate:
            _fail(
                f"top {pct}: PPV {float(got['ppv']):.1%} is no better than the {base_rate:.1%} of "
                "everyone: you took the LOWEST risks. Sort highest first: "
                "sort_values(ascending=False)."
            )
        tp = int(got["true_positives"])
        if (
            k != n_admitted
            and abs(float(got["sensitivity"]) - tp / k) < 1e-9
            and abs(float(got["ppv"]) - tp / n_admitted) < 1e-9
        ):
            _fail(
                f"top {pct}: sensitivity and PPV are swapped. Sensitivity = flagged and admitted / "
                "ALL admitted; PPV = flagged and admitted / people FLAGGED."
            )


def judged_outcome(index: pd.Index, yours: Any, fallback: pd.Series) -> pd.Series:
    """The outcome to judge the people in ``index`` with: the learner's own (``yours``, from
    Question 2) when it is a Series holding every one of them, else ``fallback``.

    Examples
    --------
    >>> people = pd.Index(["p1", "p2"])
    >>> judged_outcome(people, pd.Series([1, 0, 1], index=["p2", "p1", "p3"]), None).tolist()
    [False, True]
    >>> judged_outcome(people, None, pd.Series([True, False], index=people)).tolist()
    [True, False]
    """
    if isinstance(yours, pd.Series) and yours.index.is_unique and index.isin(yours.index).all():
        return yours.loc[index].astype(bool)
    return fallback.reindex(index)


def held_out_scores(
    risk: Any, everyone: pd.Index, train: Any, test: Any, admitted: pd.Series
) -> None:
    """Check ``risk`` scores exactly the ``test`` people of the split (not every adult, not the
    ``train`` people), with probabilities that rank admitted people higher (``admitted``: the
    outcome of ``everyone``).

    Examples
    --------
    >>> everyone = pd.Index(["a", "b", "c", "d"])
    >>> admitted = pd.Series([True, False, True, False], index=everyone)
    >>> held_out_scores(pd.Series([0.8, 0.3], index=["c", "d"]), everyone, ["a", "b"], ["c", "d"],
    ...                 admitted)
    >>> held_out_scores(pd.Series([0.7, 0.2], index=["a", "b"]), everyone, ["a", "b"], ["c", "d"],
    ...                 admitted)
    Traceback (most recent call last):
    AssertionError: risk scores the training set: a model always looks better on the people it learned from. Score X_test.
    """
    from sklearn.metrics import roc_auc_score

    if not isinstance(risk, pd.Series):
        _fail(f"risk should be a pandas Series; it is a {type(risk).__name__}.")
    mine = set(risk.index)
    if mine == set(everyone):
        _fail(
            "risk scores every adult: judge the model on the held-out test set only "
            "(predict_proba(X_test))."
        )
    if mine == set(train):
        _fail(
            "risk scores the training set: a model always looks better on the people it learned "
            "from. Score X_test."
        )
    if len(mine) != len(test):
        _fail(
            f"risk should have one value per test-set adult ({len(test):,}); it has "
            f"{len(risk):,}. Use train_test_split(X, y, test_size=0.3, random_state=0, "
            "stratify=y) and index risk like X_test."
        )
    if mine != set(test):
        _fail(
            "risk is for different people than train_test_split(X, y, test_size=0.3, "
            "random_state=0, stratify=y) puts in the test set: use exactly these arguments, and "
            "index risk like X_test."
        )
    r = risk.to_numpy(dtype=float)
    if not (np.isfinite(r).all() and (r >= 0).all() and (r <= 1).all()):
        _fail(
            "risk should hold probabilities between 0 and 1: use model.predict_proba(X_test)[:, 1]."
        )
    auc = roc_auc_score(admitted.loc[risk.index], risk)
    if not auc > 0.5:
        _fail(
            f"Your risk ranks admitted people LOWER (AUC {auc:.2f}): predict_proba(...)[:, 0] is "
            "the probability of NOT being admitted. Take column 1 (the class True)."
        )


def auc_of_the_test_set(
    auc: Any, risk: pd.Series, admitted: pd.Series, names: Mapping[str, Any]
) -> None:
    """Check ``auc`` is a single number and not what the usual slips give: the scores ranked the
    wrong way round, the AUC of the training set or of every adult (worked out with the
    learner's own ``model``, ``X_train``, ``y_train``, ``X`` and ``y`` from ``names``, the
    notebook's variables, when they are there).

    Examples
    --------
    >>> risk = pd.Series([0.9, 0.2, 0.6, 0.4])
    >>> admitted = pd.Series([True, False, False, True])
    >>> auc_of_the_test_set(0.75, risk, admitted, {})
    >>> auc_of_the_test_set(0.25, risk, admitted, {})
    Traceback (most recent call last):
    AssertionError: auc is 1 minus the right answer: the scores are ranked the wrong way round (roc_auc_score(y_test, risk)).
    """
    from sklearn.metrics import roc_auc_score

    if not isinstance(auc, float | np.floating):
        _fail(f"auc should be a single number; it is a {type(auc).__name__}.")
    reversed_auc = roc_auc_score(admitted, -risk)
    if abs(auc - reversed_auc) <= 1e-6 and abs(reversed_auc - 0.5) >= 1e-6:
        _fail(
            "auc is 1 minus the right answer: the scores are ranked the wrong way round "
            "(roc_auc_score(y_test, risk))."
        )
    model = names.get("model")
    for features, outcome, who in (
        ("X_train", "y_train", "training set"),
        ("X", "y", "every adult"),
    ):
        # No such variables, or a model that cannot score them: nothing to compare with.
        try:
            other = roc_auc_score(names[outcome], model.predict_proba(names[features])[:, 1])
        except Exception:
            continue
        if abs(auc - other) < 1e-6:
            _fail(
                f"auc is {auc:.4f}, the AUC on the {who}: use roc_auc_score(y_test, risk), on the "
                "test set (not the training set)."
            )


def calibration_deciles(calibration: Any, risk: pd.Series, admitted: pd.Series) -> None:
    """Check ``calibration`` has the columns ``n``, ``mean_risk`` and ``admitted_rate``, the
    deciles 1 to 10 (10 the highest risk) holding everyone in ``risk``, and an admitted rate
    within each decile (not each decile's share of all admissions, which adds up to 1).

    Examples
    --------
    >>> risk = pd.Series(np.linspace(0.01, 0.5, 20))
    >>> admitted = pd.Series([False] * 15 + [True] * 5)
    >>> table = pd.DataFrame({"n": [2] * 10, "mean_risk": np.linspace(0.5, 0.01, 10),
    ...                       "admitted_rate": [0.0] * 10}, index=range(1, 11))
    >>> calibration_deciles(table, risk, admitted)
    Traceback (most recent call last):
    AssertionError: Decile 10 should be the HIGHEST predicted risk and decile 1 the lowest.
    """
    if not isinstance(calibration, pd.DataFrame):
        _fail("calibration should be a DataFrame, one row per decile.")
    for column in ["n", "mean_risk", "admitted_rate"]:
        if column not in calibration.columns:
            _fail(f"calibration needs a column {column!r}; it has {list(calibration.columns)}.")
    if [int(d) for d in calibration.index] != list(range(1, 11)):
        _fail(
            "calibration should have the deciles 1 to 10 as its index, in order; it has "
            f"{list(calibration.index)}."
        )
    if int(calibration["n"].sum()) != len(risk):
        _fail(
            f"The deciles hold {int(calibration['n'].sum()):,} people; the test set has "
            f"{len(risk):,}."
        )
    mean_risk = calibration["mean_risk"].to_numpy(dtype=float)
    if not mean_risk[-1] > mean_risk[0]:
        _fail("Decile 10 should be the HIGHEST predicted risk and decile 1 the lowest.")
    rate = calibration["admitted_rate"].to_numpy(dtype=float)
    if abs(rate.sum() - 1) <= 1e-6 and abs(rate.mean() - admitted.mean()) >= 0.01:
        _fail(
            "admitted_rate adds up to 1 across deciles: it should be the share of each decile's "
            "people admitted (mean of y within the decile), not the decile's share of all "
            "admissions."
        )


FAIRNESS_COLUMNS = ["n", "admitted_rate", "mean_risk", "share_in_top2", "top2_sensitivity"]


def fairness_groups(pcn: Any, ids: pd.Index) -> dict[str, pd.Series]:
    """Each scored person's group, as text, for ``by_deprivation`` (IMD quintile,
    ``(imd_decile + 1) // 2``), ``by_sex`` and ``by_ethnicity``, indexed by ``ids``."""
    p = pcn.patients.set_index("patient_id").loc[ids]
    return {
        "by_deprivation": ((p["imd_decile"] + 1) // 2).astype(int).astype(str),
        "by_sex": p["sex"].astype(str),
        "by_ethnicity": p["ethnicity"].astype(str),
    }


def _labels(table: pd.DataFrame, name: str) -> list[str]:
    if name == "by_deprivation":
        return [str(int(float(i))) for i in table.index]
    return [str(i) for i in table.index]


def fairness_tables(tables: Mapping[str, Any], pcn: Any, risk: pd.Series) -> None:
    """Check each fairness table (``by_deprivation``, ``by_sex``, ``by_ethnicity``): a DataFrame
    with the five columns, one row per group of the people in ``risk``, holding all of them, and
    not a top 2% drawn within each group (every group about 2% on the list, each exactly its own
    2%, rounded).

    Examples
    --------
    >>> fairness_tables({"by_sex": pd.Series([1.0])}, None, pd.Series([0.5]))
    Traceback (most recent call last):
    AssertionError: by_sex should be a DataFrame (from fairness_table).
    """
    groups: dict[str, pd.Series] | None = None
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            _fail(f"{name} should be a DataFrame (from fairness_table).")
        missing = [c for c in FAIRNESS_COLUMNS if c not in table.columns]
        if missing:
            _fail(f"{name} needs the columns {FAIRNESS_COLUMNS}; missing {missing}.")
        groups = groups or fairness_groups(pcn, risk.index)
        sizes = groups[name].value_counts()
        mine = table.set_axis(_labels(table, name))
        if sorted(mine.index) != sorted(sizes.index):
            _fail(
                f"{name} should have one row per group: {sorted(sizes.index)}; it has "
                f"{sorted(mine.index)}."
            )
        if int(mine["n"].sum()) != len(risk):
            _fail(
                f"{name}: the groups hold {int(mine['n'].sum()):,} people; the test set has "
                f"{len(risk):,}."
            )
        share = mine["share_in_top2"].to_numpy(dtype=float)
        n = sizes.loc[mine.index].to_numpy(dtype=float)
        own_lists = [k(0.02 * n) / n for k in (np.ceil, np.floor, np.round)]
        within = np.any([np.isclose(share, own, rtol=0, atol=1e-9) for own in own_lists], axis=0)
        if (np.abs(share - 0.02) < 0.0025).all() and within.all():
            _fail(
                f"{name}: every group has about 2% on the list, so you drew a top 2% WITHIN each "
                "group. The real list is drawn once from everyone scored; then measure each "
                "group's share of it."
            )
