"""Bridges to Health segmentation (Lynn et al., Milbank Q 2007) as a scikit-learn transformer.

Eight segments, every person in exactly one. NHS implementations give each person the
highest-need segment they qualify for; this module tests the rules in the teaching precedence
of FACTS.md §4: 6 > 7 > 8 > 5 > 4 > 2 > 3 > 1. Each rule is data (:data:`BRIDGES_RULES`, or
:func:`bridges_rules` as an editable DataFrame): change a threshold, a condition or the
precedence and pass the rules back to :class:`BridgesToHealth`.

The published framework names the segments but not the data definitions; those below are
teaching definitions on the synthetic data's columns, and every one that goes beyond the
published wording says so in its ``assumption``.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from clearlib._exceptions import DataError
from clearlib.segment._features import _source_of
from clearlib.segment._rules import Rule, evaluate, parse, read_rules, rules_frame

__all__ = [
    "BRIDGES_RULES",
    "UNIT_COSTS",
    "BridgesToHealth",
    "bridges_rules",
    "segment_profile",
    "unit_costs",
]

#: The default segments, in precedence order 6 > 7 > 8 > 5 > 4 > 2 > 3 > 1 (FACTS.md §4).
BRIDGES_RULES: tuple[Rule, ...] = (
    Rule(
        6,
        "End of life",
        "PC",
        1,
        "on the palliative care register (QOF PC)",
        "The register stands in for 'short period of decline before dying': people in their "
        "last year of life who are not yet on it are missed.",
    ),
    Rule(
        7,
        "Organ failure",
        "HF or ((COPD or CKD) and efi_deficits >= 5)",
        2,
        "heart failure; or COPD or chronic kidney disease (stage 3-5) with at least mild "
        "frailty (5 or more eFI deficits)",
        "The registers record neither COPD severity nor CKD stage, so at least mild frailty "
        "stands in for 'limited reserve with serious exacerbations'.",
    ),
    Rule(
        8,
        "Frailty and dementia",
        "efi_deficits >= 9 or DEM or care_home_resident",
        3,
        "moderate or severe frailty (9 or more eFI deficits), on the dementia register, or "
        "living in a care home",
        "Care-home residence as a marker of long decline is an assumption.",
    ),
    Rule(
        5,
        "Stable but serious disability",
        "LD or housebound",
        4,
        "on the learning disability register, or housebound",
        "Physical and sensory disability are not recorded in the data: the learning "
        "disability register and housebound status stand in for them.",
    ),
    Rule(
        4,
        "Chronic conditions",
        "ltc_count >= 1",
        5,
        "at least one long-term condition (any QOF register but palliative care)",
        "",
    ),
    Rule(
        2,
        "Maternal and infant health",
        "age < 1",
        6,
        "aged under 1",
        "The data hold no pregnancies, so the segment has infants only.",
    ),
    Rule(
        3,
        "Acutely ill",
        "ae_90d >= 1 or emergency_admissions_90d >= 1 or acute_appointments_90d >= 1",
        7,
        "an A&E attendance, an emergency admission or an attended acute GP-practice "
        "appointment (general acute, unplanned, walk-in) in the last 90 days",
        "The 90-day window and the choice of acute appointment categories are assumptions.",
    ),
    Rule(1, "Healthy", "True", 8, "everyone else", ""),
)


def bridges_rules() -> pd.DataFrame:
    """The default Bridges to Health rules as an editable DataFrame, in precedence order.

    Columns: ``segment``, ``name``, ``condition``, ``precedence``, ``description``,
    ``assumption``. Edit it and pass it to :class:`BridgesToHealth` (``rules=frame``).

    Examples
    --------
    >>> rules = bridges_rules()
    >>> rules["segment"].tolist()
    [6, 7, 8, 5, 4, 2, 3, 1]
    >>> rules.loc[rules["segment"] == 8, "condition"].item()
    'efi_deficits >= 9 or DEM or care_home_resident'
    """
    return rules_frame(BRIDGES_RULES)


class BridgesToHealth(TransformerMixin, BaseEstimator):
    """Give each person one Bridges to Health segment by rules tested in precedence order.

    Parameters
    ----------
    rules : sequence of Rule, DataFrame, str or Path, optional
        The segments. Default: :data:`BRIDGES_RULES`. A DataFrame (see
        :func:`bridges_rules`), a list of :class:`Rule` or a ``.toml``/``.csv`` file. Rules are
        tested by ``precedence`` (lowest first); a person takes the first one they meet.
        People who meet none get segment 0 ("No segment").

    Attributes
    ----------
    rules_ : list of Rule
        The rules in the order they are tested.
    columns_ : list of str
        The feature columns the rules use.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit`` (DataFrame input with string column names only). Without
        names, columns are called ``x0``, ``x1``, ... in the rules.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"PC": [1, 0, 0], "HF": [0, 1, 0], "COPD": [0, 0, 0], "CKD": [0, 0, 0],
    ...     "efi_deficits": [12, 3, 0], "DEM": [0, 0, 0], "care_home_resident": [0, 0, 0],
    ...     "LD": [0, 0, 0], "housebound": [0, 0, 0], "ltc_count": [2, 1, 0], "age": [80, 70, 30],
    ...     "ae_90d": [0, 0, 1], "emergency_admissions_90d": [0, 0, 0],
    ...     "acute_appointments_90d": [0, 0, 0]}, index=["p1", "p2", "p3"])
    >>> BridgesToHealth().fit(X).assign(X)[["segment", "segment_name"]]
        segment   segment_name
    p1        6    End of life
    p2        7  Organ failure
    p3        3    Acutely ill
    """

    def __init__(self, rules: Any = None) -> None:
        self.rules = rules

    def fit(self, X: Any, y: Any = None) -> BridgesToHealth:
        """Check the rules and that ``X`` has every column they use.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features, e.g. from :func:`clearlib.segment.segment_features`.
        y : ignored

        Returns
        -------
        self
        """
        rules = read_rules(BRIDGES_RULES if self.rules is None else self.rules, Rule)
        if not rules:
            raise DataError(
                "BridgesToHealth needs at least one rule; pass rules=None for the defaults."
            )
        order = sorted(range(len(rules)), key=lambda i: (rules[i].precedence, i))
        self.rules_ = [rules[i] for i in order]
        self._trees = [parse(r.condition) for r in self.rules_]
        self.columns_ = list(dict.fromkeys(c for r in self.rules_ for c in r.columns()))
        cols, _ = _validated(self, X, reset=True)
        _check_columns(self, cols)
        return self

    def _segments(self, X: Any) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
        """Per person: index into rules_ of the first rule met (-1: none), and the match matrix."""
        check_is_fitted(self)
        cols, n, index = _columns(self, X)
        matches = np.zeros((n, len(self.rules_)), dtype=bool)
        for j, tree in enumerate(self._trees):
            matches[:, j] = evaluate(tree, cols, n)
        first = np.where(matches.any(axis=1), matches.argmax(axis=1), -1)
        return first, matches, index

    def transform(self, X: Any) -> np.ndarray:
        """Segment number of each row, as a column: array of shape (n_samples, 1).

        Use :meth:`assign` for names and reasons.
        """
        first, _, _ = self._segments(X)
        ids = np.array([r.segment for r in self.rules_] + [0], dtype=np.int64)
        return ids[first].reshape(-1, 1)

    def assign(self, X: Any) -> pd.DataFrame:
        """Segment number, name and the reason (the rule met) for each row of ``X``.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``X`` (a DataFrame) or 0..n-1: ``segment`` (int), ``segment_name``
            (categorical, in segment-number order), ``reason`` (the rule in words) and
            ``also_meets`` (other segments' numbers the person qualifies for, lower in the
            precedence; empty if none).
        """
        first, matches, index = self._segments(X)
        seg = np.array([r.segment for r in self.rules_] + [0], dtype=np.int64)
        order = sorted({(r.segment, r.name) for r in self.rules_} | {(0, "No segment")})
        labels = list(dict.fromkeys(name for _, name in order))
        name_code = np.array(
            [labels.index(r.name) for r in self.rules_] + [labels.index("No segment")]
        )
        reasons = list(
            dict.fromkeys([r.description or r.condition for r in self.rules_] + ["no rule matched"])
        )
        reason_code = np.array(
            [reasons.index(r.description or r.condition) for r in self.rules_]
            + [reasons.index("no rule matched")]
        )
        catch_all = np.array([_always(r.condition) for r in self.rules_])
        out = pd.DataFrame(
            {
                "segment": seg[first],
                "segment_name": pd.Categorical.from_codes(name_code[first], categories=labels),
                "reason": pd.Categorical.from_codes(reason_code[first], categories=reasons),
                "also_meets": _also_meets(matches & ~catch_all, first, seg[:-1]),
            },
            index=index,
        )
        out["segment_name"] = out["segment_name"].cat.remove_unused_categories()
        out["reason"] = out["reason"].cat.remove_unused_categories()
        return out

    def match(self, X: Any) -> pd.DataFrame:
        """Which rules each row meets (one boolean column per rule), before precedence.

        Column names are ``"<segment> <name>"``, e.g. ``"6 End of life"``. People usually meet
        several: precedence picks one.
        """
        _, matches, index = self._segments(X)
        return pd.DataFrame(
            matches, index=index, columns=[f"{r.segment} {r.name}" for r in self.rules_]
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The one output column: ``["segment"]``."""
        check_is_fitted(self)
        return np.asarray(["segment"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _always(condition: str) -> bool:
    """True for a catch-all condition (``True`` or ``1``): it says nothing about a person."""
    body = parse(condition).body
    return isinstance(body, ast.Constant) and bool(body.value)


def _also_meets(matches: np.ndarray, first: np.ndarray, seg: np.ndarray) -> pd.Categorical:
    """For each row, the segment numbers of rules met after the chosen one, as text."""
    k = matches.shape[1]
    later = matches & (np.arange(k)[None, :] > first[:, None]) & (first[:, None] >= 0)
    if k <= 62:  # each row's pattern as one integer: np.unique on a vector is fast
        bits = later.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
        keys, inverse = np.unique(bits, return_inverse=True)
        patterns = [[bool(key >> j & 1) for j in range(k)] for key in keys]
    else:
        rows, inverse = np.unique(later, axis=0, return_inverse=True)
        patterns = [list(row) for row in rows]
    texts = [
        ", ".join(map(str, dict.fromkeys(int(seg[j]) for j in range(k) if p[j]))) for p in patterns
    ]
    labels = list(dict.fromkeys(texts))
    code = np.array([labels.index(t) for t in texts], dtype=np.int64)
    return pd.Categorical.from_codes(code[np.asarray(inverse).ravel()], categories=labels)


# ---------------------------------------------------------------------------------------------
# Input handling shared by the transformer (and the cohort builder)
# ---------------------------------------------------------------------------------------------
def _names(est: Any, n_features: int) -> list[str]:
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        return [str(c) for c in names]
    return [f"x{i}" for i in range(n_features)]


def _validated(est: Any, X: Any, *, reset: bool) -> tuple[dict[str, np.ndarray], int]:
    """Validate X (sklearn conventions); return the used columns as numpy arrays, and n rows."""
    if isinstance(X, pd.DataFrame):
        validate_data(est, X, skip_check_array=True, reset=reset)
        if X.shape[0] < 1:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
            )
        names = _names(est, X.shape[1])
        used = [c for c in est.columns_ if c in names]
        return {c: _numeric(X.iloc[:, names.index(c)], c) for c in used}, X.shape[0]
    arr = validate_data(est, X, reset=reset, dtype=np.float64, ensure_all_finite="allow-nan")
    names = _names(est, arr.shape[1])
    return {c: arr[:, names.index(c)] for c in est.columns_ if c in names}, arr.shape[0]


def _columns(est: Any, X: Any) -> tuple[dict[str, np.ndarray], int, pd.Index | None]:
    cols, n = _validated(est, X, reset=False)
    _check_columns(est, cols)
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(n)
    return cols, n, index


def _numeric(series: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.fillna(False).to_numpy(dtype=bool)
    try:
        values = pd.to_numeric(series, errors="raise")
    except (TypeError, ValueError):
        source = _source_of(name)
        hint = f" It comes from {source}." if source else ""
        raise DataError(
            f"column {name!r} should be numeric or boolean; found {series.dtype} (e.g. "
            f"{series.dropna().iloc[0]!r}).{hint} Build features with "
            "clearlib.segment.segment_features."
        ) from None
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(arr).any():
        raise DataError(
            f"column {name!r} holds infinite values; replace them with NaN or a number."
        )
    return arr


def _check_columns(est: Any, cols: dict[str, np.ndarray]) -> None:
    missing = [c for c in est.columns_ if c not in cols]
    if not missing:
        return
    problems = []
    for c in missing:
        users = [
            f"{getattr(r, 'segment', '')} {r.name}".strip() for r in est.rules_ if c in r.columns()
        ]
        source = _source_of(c)
        where = (
            f"it comes from {source} (build it with clearlib.segment.segment_features)"
            if source
            else "it is not a documented feature (clearlib.segment.feature_dictionary())"
        )
        problems.append(f"{c!r} (used by {', '.join(repr(u) for u in users)}; {where})")
    raise DataError(
        f"{type(est).__name__}: X has no column " + "; ".join(problems) + ". Add the column or "
        "change the rules."
    )


# ---------------------------------------------------------------------------------------------
# Segment profile
# ---------------------------------------------------------------------------------------------
#: Unit costs behind the cost proxy: every figure an *assumption* (illustrative round numbers,
#: not a tariff). Replace them with local costs or National Cost Collection values.
UNIT_COSTS = pd.DataFrame(
    {
        "item": [
            "GP-practice appointment (any role)",
            "A&E attendance",
            "emergency admission",
            "elective admission",
            "outpatient attendance",
        ],
        "feature": [
            "appointments_12m",
            "ae_12m",
            "emergency_admissions_12m",
            "elective_admissions_12m",
            "outpatient_12m",
        ],
        "unit_cost_gbp": [40.0, 250.0, 3000.0, 1500.0, 150.0],
        "basis": ["assumption: illustrative round figure, not a tariff; replace with local costs"]
        * 5,
    }
)


def unit_costs() -> pd.DataFrame:
    """The unit costs of the segment cost proxy (a copy you can edit), each labelled an assumption.

    Examples
    --------
    >>> unit_costs().set_index("feature").loc["emergency_admissions_12m", "unit_cost_gbp"]
    np.float64(3000.0)
    """
    return UNIT_COSTS.copy()


_PROFILE_COLUMNS = (
    "age",
    "male",
    "imd_decile",
    "appointments_12m",
    "gp_appointments_12m",
    "ae_12m",
    "emergency_admissions_12m",
    "elective_admissions_12m",
    "outpatient_12m",
)


def segment_profile(features: pd.DataFrame, segments: Any, *, costs: Any = None) -> pd.DataFrame:
    """Size, age, sex, deprivation, GP and hospital use per head, and a cost proxy per segment.

    Use per head is over the 365 days to the features' date (:func:`segment_features`); the
    cost proxy multiplies each use by a unit cost (:func:`unit_costs`, every figure an
    assumption) and adds them up.

    Parameters
    ----------
    features : pandas.DataFrame
        From :func:`clearlib.segment.segment_features` (needs ``age``, ``male``,
        ``imd_decile`` and the ``*_12m`` use columns).
    segments : pandas.Series or DataFrame
        Each person's segment, indexed like ``features``: a Series (numbers or labels), or the
        output of :meth:`BridgesToHealth.assign` (its ``segment`` and ``segment_name``).
    costs : DataFrame or dict, optional
        Unit costs: a table like :func:`unit_costs` or ``{feature: cost}`` to override some.

    Returns
    -------
    pandas.DataFrame
        One row per segment: ``segment``, ``name``, ``people``, ``share``, ``mean_age``,
        ``female_share``, ``mean_imd_decile``, ``most_deprived_share`` (IMD deciles 1-2),
        ``appointments_per_head``, ``gp_appointments_per_head``, ``ae_per_head``,
        ``emergency_admissions_per_head``, ``elective_admissions_per_head``,
        ``outpatient_per_head``, ``cost_per_head``, ``total_cost``, ``cost_share``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"age": [80, 40], "male": [True, False], "imd_decile": [1, 6],
    ...     "appointments_12m": [10, 2], "gp_appointments_12m": [4, 1], "ae_12m": [1, 0],
    ...     "emergency_admissions_12m": [1, 0], "elective_admissions_12m": [0, 0],
    ...     "outpatient_12m": [2, 0]}, index=["a", "b"])
    >>> p = segment_profile(f, pd.Series([8, 1], index=["a", "b"]))
    >>> p[["segment", "people", "cost_per_head"]]
       segment  people  cost_per_head
    0        1       1           80.0
    1        8       1         3950.0
    """
    if not isinstance(features, pd.DataFrame):
        raise DataError(
            f"features should be a DataFrame from clearlib.segment.segment_features; found "
            f"{type(features).__name__}."
        )
    table = _unit_costs(costs)
    needed = list(dict.fromkeys([*_PROFILE_COLUMNS, *table["feature"]]))
    missing = [c for c in needed if c not in features.columns]
    if missing:
        where = "; ".join(f"{c!r} from {_source_of(c) or 'your own data'}" for c in missing)
        raise DataError(
            f"features have no column {where}. Build them with "
            "clearlib.segment.segment_features(pcn)."
        )
    seg, names = _segment_labels(segments, features.index)
    f = features[needed].astype(float)
    cost = np.zeros(len(f))
    for feature, price in zip(table["feature"], table["unit_cost_gbp"], strict=True):
        cost += f[feature].to_numpy() * float(price)
    f = f.assign(
        _female=1.0 - f["male"],
        _deprived=(f["imd_decile"] <= 2).astype(float),
        _cost=cost,
        _segment=seg.to_numpy(),
    )
    g = f.groupby("_segment", observed=True, sort=True)
    out = pd.DataFrame(
        {
            "people": g.size(),
            "mean_age": g["age"].mean(),
            "female_share": g["_female"].mean(),
            "mean_imd_decile": g["imd_decile"].mean(),
            "most_deprived_share": g["_deprived"].mean(),
            "appointments_per_head": g["appointments_12m"].mean(),
            "gp_appointments_per_head": g["gp_appointments_12m"].mean(),
            "ae_per_head": g["ae_12m"].mean(),
            "emergency_admissions_per_head": g["emergency_admissions_12m"].mean(),
            "elective_admissions_per_head": g["elective_admissions_12m"].mean(),
            "outpatient_per_head": g["outpatient_12m"].mean(),
            "cost_per_head": g["_cost"].mean(),
            "total_cost": g["_cost"].sum(),
        }
    )
    out.insert(1, "share", out["people"] / out["people"].sum())
    total = out["total_cost"].sum()
    out["cost_share"] = out["total_cost"] / total if total else np.nan
    out.index.name = "segment"
    out = out.reset_index()
    out.insert(1, "name", [names.get(s, str(s)) for s in out["segment"]])
    out["people"] = out["people"].astype("int64")
    return out


def _unit_costs(costs: Any) -> pd.DataFrame:
    table = unit_costs()
    if costs is None:
        return table
    if isinstance(costs, pd.DataFrame):
        missing = [c for c in ("feature", "unit_cost_gbp") if c not in costs.columns]
        if missing:
            raise DataError(
                f"the unit-cost table has no column {', '.join(map(repr, missing))}; start from "
                "clearlib.segment.unit_costs() and edit it."
            )
        return costs
    if isinstance(costs, dict):
        unknown = [k for k in costs if k not in set(table["feature"])]
        if unknown:
            raise DataError(
                f"no unit cost for {', '.join(map(repr, unknown))}; the costed features are "
                f"{', '.join(table['feature'])}."
            )
        table = table.copy()
        for k, v in costs.items():
            table.loc[table["feature"] == k, "unit_cost_gbp"] = float(v)
            table.loc[table["feature"] == k, "basis"] = "given by the user"
        return table
    raise DataError(
        f"costs should be a DataFrame or a dict of feature: cost; found {type(costs).__name__}."
    )


def _segment_labels(segments: Any, index: pd.Index) -> tuple[pd.Series, dict[Any, str]]:
    names: dict[Any, str] = {}
    if isinstance(segments, pd.DataFrame):
        if "segment" not in segments.columns:
            raise DataError(
                "segments should be a Series, or a DataFrame with a 'segment' column (from "
                "BridgesToHealth.assign)."
            )
        if "segment_name" in segments.columns:
            pairs = segments[["segment", "segment_name"]].drop_duplicates()
            names = dict(zip(pairs["segment"], pairs["segment_name"].astype(str), strict=True))
        seg = segments["segment"]
    elif isinstance(segments, pd.Series):
        seg = segments
    else:
        seg = pd.Series(
            check_array(np.asarray(segments).reshape(-1, 1), dtype=None).ravel(), index=index
        )
    if not seg.index.equals(index):
        missing = index.difference(seg.index)
        if len(missing):
            raise DataError(
                f"{len(missing)} people in the features have no segment (e.g. {missing[0]!r}); "
                "index the segments by patient_id like the features."
            )
        seg = seg.reindex(index)
    return seg, names
