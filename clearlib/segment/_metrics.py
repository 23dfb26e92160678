"""Judging a risk model: discrimination, calibration, what a top-k% list captures, and by group.

Definitions (each unit-tested against values worked out by hand):

- **AUC** (area under the ROC curve): the chance that a random person with the outcome scores
  higher than a random person without it, ties counting one half. Its confidence interval is
  DeLong's (DeLong et al., Biometrics 1988; the fast midrank algorithm of Sun & Xu, IEEE SPL
  2014) with a normal approximation, clipped to [0, 1]; or a percentile bootstrap.
- **Top k%**: the ``ceil(k * n)`` highest scores (ties at the boundary: first come, first
  flagged). **Sensitivity**: share of the people with the outcome who are flagged. **PPV**:
  share of flagged people with the outcome. **Share of admissions**: share of all the events
  (e.g. every emergency admission, counting repeats) that happen to flagged people.
- **Calibration by decile**: people sorted by predicted risk and cut into ten equal groups
  (decile 10 = highest risk); mean predicted risk against the observed rate.
- **By group**: the same measures within each group, with the top-k% list drawn from the
  *whole* population, so the table shows who the real list reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from clearlib._exceptions import DataError

__all__ = [
    "AUCResult",
    "auc_ci",
    "calibration_by_decile",
    "capture",
    "capture_curve",
    "metrics_by_group",
]


@dataclass(frozen=True)
class AUCResult:
    """An AUC with its confidence interval.

    Attributes
    ----------
    auc, lower, upper : float
        The estimate and the interval's bounds.
    se : float
        Standard error (DeLong; the bootstrap's standard deviation for ``bootstrap``).
    method : str
        ``"delong"`` or ``"bootstrap"``.
    confidence : float
        E.g. 0.95.
    n, n_positive : int
        People, and people with the outcome.
    """

    auc: float
    lower: float
    upper: float
    se: float
    method: str
    confidence: float
    n: int
    n_positive: int

    def __str__(self) -> str:
        return f"AUC {self.auc:.3f} ({self.confidence:.0%} CI {self.lower:.3f} to {self.upper:.3f}, {self.method})"


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------
def _vector(values: Any, name: str) -> np.ndarray:
    arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise DataError(f"{name} should be one value per person (1-D); found shape {arr.shape}.")
    return arr


def _check(
    y_true: Any, y_score: Any, events: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = _vector(y_true, "y_true")
    s = _vector(y_score, "y_score")
    if len(y) != len(s):
        raise DataError(
            f"y_true has {len(y)} values but y_score has {len(s)}; expected one of each per person."
        )
    if len(y) == 0:
        raise DataError("y_true is empty; expected one value per person.")
    try:
        yf = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"y_true should be 0/1 or True/False (had the outcome or not); found values such as "
            f"{y[0]!r}."
        ) from None
    if np.isnan(yf).any() or not np.isin(yf, (0.0, 1.0)).all():
        bad = yf[~np.isin(yf, (0.0, 1.0))][0]
        raise DataError(f"y_true should hold only 0/1 or True/False; found {bad!r}.")
    try:
        sf = np.asarray(s, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"y_score should be numbers (risk scores); found {s[0]!r}.") from None
    if not np.isfinite(sf).all():
        raise DataError(
            f"y_score has {int((~np.isfinite(sf)).sum())} missing or infinite value(s); score "
            "everyone (or drop them) first."
        )
    if events is None:
        ev = yf.copy()
    else:
        ev = np.asarray(_vector(events, "events"), dtype=float)
        if len(ev) != len(yf):
            raise DataError(f"events has {len(ev)} values but y_true has {len(yf)}.")
        if np.isnan(ev).any() or (ev < 0).any():
            raise DataError("events should be counts (0 or more) for every person.")
        if ((ev > 0) != (yf > 0)).any():
            raise DataError(
                "events and y_true disagree: a person with events should have y_true 1 and one "
                "without events 0 (pass build_outcome's emergency_admissions with its "
                "emergency_admission)."
            )
    return yf.astype(bool), sf, ev


def _check_fractions(fractions: Any) -> list[float]:
    fr = [fractions] if np.isscalar(fractions) else list(fractions)
    if not fr:
        raise DataError("fractions is empty; e.g. fractions=(0.02, 0.05) for the top 2% and 5%.")
    for f in fr:
        if isinstance(f, bool) or not isinstance(f, int | float | np.floating) or not 0 < f <= 1:
            raise DataError(f"each fraction should be in (0, 1], e.g. 0.02 for 2%; found {f!r}.")
    return [float(f) for f in fr]


def _top_order(scores: np.ndarray) -> np.ndarray:
    """Positions from highest to lowest score; ties keep their input order."""
    return np.argsort(-scores, kind="stable")


def _n_top(fraction: float, n: int) -> int:
    return int(np.ceil(fraction * n - 1e-9))


# ---------------------------------------------------------------------------------------------
# AUC
# ---------------------------------------------------------------------------------------------
def _delong(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    pos, neg = s[y], s[~y]
    m, n = len(pos), len(neg)
    r_all = rankdata(np.concatenate([pos, neg]))
    v10 = (r_all[:m] - rankdata(pos)) / n  # per positive: negatives below it (ties 1/2)
    v01 = 1.0 - (r_all[m:] - rankdata(neg)) / m  # per negative: positives above it
    auc = float(v10.mean())
    if m < 2 or n < 2:
        return auc, float("nan")
    var = v10.var(ddof=1) / m + v01.var(ddof=1) / n
    return auc, float(np.sqrt(var))


def auc_ci(
    y_true: Any,
    y_score: Any,
    *,
    method: str = "delong",
    confidence: float = 0.95,
    n_bootstraps: int = 1000,
    random_state: Any = None,
) -> AUCResult:
    """AUC with a confidence interval (DeLong by default, or bootstrap).

    Parameters
    ----------
    y_true : array-like of bool or 0/1
        Whether each person had the outcome.
    y_score : array-like of float
        Risk scores.
    method : {"delong", "bootstrap"}, default "delong"
        DeLong: normal approximation with DeLong's variance, clipped to [0, 1]. Bootstrap:
        percentile interval of ``n_bootstraps`` resamples of people (resamples with only one
        class are drawn again).
    confidence : float, default 0.95
        Coverage of the interval.
    n_bootstraps : int, default 1000
        Resamples for the bootstrap.
    random_state : int, numpy Generator or None
        Seed for the bootstrap.

    Returns
    -------
    AUCResult

    Examples
    --------
    Four people, two with the outcome: three of the four (positive, negative) pairs are in the
    right order, so the AUC is 0.75.

    >>> r = auc_ci([1, 1, 0, 0], [0.8, 0.35, 0.4, 0.1])
    >>> round(r.auc, 4), round(r.se, 4)
    (0.75, 0.3536)
    """
    y, s, _ = _check(y_true, y_score)
    m = int(y.sum())
    if m == 0 or m == len(y):
        raise DataError(
            f"AUC needs people with and without the outcome; all {len(y)} "
            f"{'had' if m else 'did not have'} it."
        )
    if not 0 < confidence < 1:
        raise DataError(f"confidence should be between 0 and 1, e.g. 0.95; found {confidence!r}.")
    auc, se = _delong(y, s)
    if method == "delong":
        z = norm.ppf(0.5 + confidence / 2)
        if np.isnan(se):  # one person in a class: DeLong's variance is not defined
            lower = upper = float("nan")
        else:
            lower, upper = max(0.0, auc - z * se), min(1.0, auc + z * se)
    elif method == "bootstrap":
        rng = np.random.default_rng(random_state)
        n = len(y)
        stats = []
        while len(stats) < n_bootstraps:
            idx = rng.integers(0, n, n)
            yy = y[idx]
            if yy.all() or not yy.any():
                continue
            stats.append(_delong(yy, s[idx])[0])
        arr = np.asarray(stats)
        alpha = (1 - confidence) / 2
        lower, upper = (float(v) for v in np.quantile(arr, [alpha, 1 - alpha]))
        se = float(arr.std(ddof=1))
    else:
        raise DataError(f"method should be 'delong' or 'bootstrap'; found {method!r}.")
    return AUCResult(auc, float(lower), float(upper), se, method, confidence, len(y), m)


# ---------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------
def calibration_by_decile(y_true: Any, y_prob: Any, *, n_groups: int = 10) -> pd.DataFrame:
    """Mean predicted risk against the observed rate, in ten equal groups by predicted risk.

    People are sorted by predicted risk (ties in input order) and person *i* of *n* (0-based)
    goes to group ``floor(i * n_groups / n) + 1``; group ``n_groups`` is the highest risk.

    Parameters
    ----------
    y_true : array-like of bool or 0/1
        Whether each person had the outcome.
    y_prob : array-like of float
        Predicted probabilities (0-1).
    n_groups : int, default 10
        Number of groups (10: deciles).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``decile``, ``n``, ``events``, ``expected`` (sum of predicted
        risks), ``mean_predicted``, ``observed_rate``, ``observed_lower`` and
        ``observed_upper`` (95% Wilson interval), ``observed_to_expected``.

    Examples
    --------
    >>> t = calibration_by_decile([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9], n_groups=2)
    >>> t[["decile", "n", "events", "mean_predicted", "observed_rate"]]
       decile  n  events  mean_predicted  observed_rate
    0       1  2       0            0.15            0.0
    1       2  2       2            0.60            1.0
    """
    y, p, _ = _check(y_true, y_prob)
    if (p < 0).any() or (p > 1).any():
        raise DataError("y_prob should be probabilities between 0 and 1 (use predict_proba).")
    if isinstance(n_groups, bool) or not isinstance(n_groups, int | np.integer) or n_groups < 1:
        raise DataError(f"n_groups should be a whole number >= 1; found {n_groups!r}.")
    n = len(y)
    if n < n_groups:
        raise DataError(f"{n} people cannot fill {n_groups} groups; use fewer groups.")
    order = np.argsort(p, kind="stable")
    group = np.empty(n, dtype=np.int64)
    group[order] = np.arange(n) * n_groups // n + 1
    frame = pd.DataFrame({"decile": group, "y": y.astype(float), "p": p})
    g = frame.groupby("decile", sort=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "events": g["y"].sum().astype("int64"),
            "expected": g["p"].sum(),
            "mean_predicted": g["p"].mean(),
            "observed_rate": g["y"].mean(),
        }
    )
    lo, hi = _wilson(out["events"].to_numpy(), out["n"].to_numpy())
    out["observed_lower"] = lo
    out["observed_upper"] = hi
    with np.errstate(divide="ignore", invalid="ignore"):
        out["observed_to_expected"] = out["events"] / out["expected"]
    return out.reset_index()


def _wilson(
    k: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k events in n."""
    z = norm.ppf(0.5 + confidence / 2)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    phat = k / n
    denom = 1 + z**2 / n
    centre = (phat + z**2 / (2 * n)) / denom
    half = z * np.sqrt(phat * (1 - phat) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


# ---------------------------------------------------------------------------------------------
# What a top-k% list captures
# ---------------------------------------------------------------------------------------------
def _capture_at(y: np.ndarray, s: np.ndarray, ev: np.ndarray, ks: np.ndarray) -> pd.DataFrame:
    order = _top_order(s)
    hits = np.cumsum(y[order])
    events = np.cumsum(ev[order])
    n_pos = y.sum()
    n_events = ev.sum()
    tp = hits[ks - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "flagged": ks,
                "threshold": s[order][ks - 1],
                "true_positives": tp.astype("int64"),
                "sensitivity": tp / n_pos if n_pos else np.nan,
                "ppv": tp / ks,
                "events_captured": events[ks - 1],
                "share_of_events": events[ks - 1] / n_events if n_events else np.nan,
            }
        )


def capture(
    y_true: Any, y_score: Any, *, fractions: Any = (0.02, 0.05), events: Any = None
) -> pd.DataFrame:
    """What the top 2% and 5% (or other fractions) by risk capture.

    Parameters
    ----------
    y_true : array-like of bool or 0/1
        Whether each person had the outcome (at least one emergency admission).
    y_score : array-like of float
        Risk scores.
    fractions : sequence of float, default (0.02, 0.05)
        Shares of the population to flag.
    events : array-like of int, optional
        Events per person (e.g. emergency admissions, counting repeats) for the share of
        admissions. Default: ``y_true`` (then the share equals the sensitivity).

    Returns
    -------
    pandas.DataFrame
        One row per fraction: ``fraction``, ``flagged``, ``threshold`` (lowest flagged score),
        ``true_positives``, ``sensitivity``, ``ppv``, ``events_captured``,
        ``share_of_events``.

    Examples
    --------
    Ten people; the top 20% are the two highest scores: one had the outcome (of three), with
    2 of the 6 admissions.

    >>> y = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    >>> admissions = [2, 0, 1, 0, 0, 3, 0, 0, 0, 0]
    >>> c = capture(y, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], fractions=[0.2], events=admissions)
    >>> c[["flagged", "true_positives", "sensitivity", "ppv", "share_of_events"]].round(4)
       flagged  true_positives  sensitivity  ppv  share_of_events
    0        2               1       0.3333  0.5           0.3333
    """
    y, s, ev = _check(y_true, y_score, events)
    fr = _check_fractions(fractions)
    ks = np.array([max(1, _n_top(f, len(y))) for f in fr])
    out = _capture_at(y, s, ev, ks)
    out.insert(0, "fraction", fr)
    return out


def capture_curve(
    y_true: Any, y_score: Any, *, events: Any = None, points: int = 200
) -> pd.DataFrame:
    """Sensitivity, PPV and share of admissions for every share of the population flagged.

    Evaluated at ``points`` evenly spaced shares from 0 to 1 (plus 2% and 5%), for a capture
    chart (:func:`clearlib.viz.capture_chart`). A model no better than chance follows the
    diagonal: flagging 10% of people captures 10% of admissions.

    Returns
    -------
    pandas.DataFrame
        ``share_flagged``, ``flagged``, ``sensitivity``, ``ppv``, ``share_of_events``, and
        ``threshold``; the first row is nobody flagged (all zeros).

    Examples
    --------
    >>> curve = capture_curve([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], points=4)
    >>> curve[["share_flagged", "sensitivity"]]
       share_flagged  sensitivity
    0           0.00          0.0
    1           0.25          0.5
    2           0.50          0.5
    3           0.75          1.0
    4           1.00          1.0
    """
    y, s, ev = _check(y_true, y_score, events)
    n = len(y)
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 1:
        raise DataError(f"points should be a whole number >= 1; found {points!r}.")
    shares = np.unique(np.concatenate([np.linspace(0, 1, points + 1)[1:], [0.02, 0.05]]))
    ks = np.unique(np.clip([_n_top(f, n) for f in shares], 1, n))
    out = _capture_at(y, s, ev, ks)
    out.insert(0, "share_flagged", ks / n)
    first = pd.DataFrame(
        {c: [0.0] for c in out.columns if c != "threshold"} | {"threshold": [np.inf]}
    )[out.columns]
    first["ppv"] = np.nan
    out = pd.concat([first, out], ignore_index=True)
    out["flagged"] = out["flagged"].astype("int64")
    out["true_positives"] = out["true_positives"].astype("int64")
    return out[["share_flagged", "flagged", "sensitivity", "ppv", "share_of_events", "threshold"]]


# ---------------------------------------------------------------------------------------------
# By group
# ---------------------------------------------------------------------------------------------
def metrics_by_group(
    y_true: Any,
    y_score: Any,
    groups: Any,
    *,
    fractions: Any = (0.02, 0.05),
    events: Any = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """AUC, calibration in the large and top-k% capture within each group (fairness check).

    The top-k% list is drawn from the whole population, then each group's share of it is
    measured: a group can be under-served by the real list even when its own AUC is good.

    Parameters
    ----------
    y_true, y_score : array-like or pandas.Series
        Outcome and risk score per person. Series are aligned to ``groups`` by index.
    groups : pandas.DataFrame or dict of Series
        One column per way of grouping, e.g. :func:`clearlib.segment.equity_groups`
        (``imd_quintile``, ``sex``, ``ethnicity``).
    fractions : sequence of float, default (0.02, 0.05)
        Top fractions for the list.
    events : array-like, optional
        Events per person for the share of admissions.
    confidence : float, default 0.95
        Coverage of the AUC's DeLong interval.

    Returns
    -------
    pandas.DataFrame
        One row per (grouping, group): ``grouping``, ``group``, ``n``, ``outcomes``,
        ``observed_rate``, ``mean_predicted``, ``observed_to_expected``, ``auc``,
        ``auc_lower``, ``auc_upper`` (NaN where a group lacks either class), and per fraction
        (``top2`` for 2%): ``top2_flagged_share`` (share of the group on the list),
        ``top2_sensitivity``, ``top2_ppv``, ``top2_share_of_events``.

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.Series([1, 0, 1, 0, 1, 0], index=list("abcdef"))
    >>> s = pd.Series([0.9, 0.1, 0.8, 0.2, 0.3, 0.4], index=list("abcdef"))
    >>> g = pd.DataFrame({"sex": ["F", "F", "F", "M", "M", "M"]}, index=list("abcdef"))
    >>> m = metrics_by_group(y, s, g, fractions=[0.5])
    >>> m[["group", "n", "auc", "top50_flagged_share", "top50_sensitivity"]].round(3)
      group  n  auc  top50_flagged_share  top50_sensitivity
    0     F  3  1.0                0.667                1.0
    1     M  3  0.5                0.333                0.0
    """
    if isinstance(groups, dict):
        groups = pd.DataFrame(groups)
    if not isinstance(groups, pd.DataFrame) or groups.shape[1] == 0:
        raise DataError(
            "groups should be a DataFrame (or dict) with one column per grouping, e.g. "
            "clearlib.segment.equity_groups(pcn, ids)."
        )
    y_in, s_in, ev_in = (
        _aligned(v, groups.index, name)
        for v, name in ((y_true, "y_true"), (y_score, "y_score"), (events, "events"))
    )
    y, s, ev = _check(y_in, s_in, ev_in)
    if len(y) != len(groups):
        raise DataError(
            f"groups has {len(groups)} rows but y_true has {len(y)}; expected one per person."
        )
    fr = _check_fractions(fractions)
    n = len(y)
    order = _top_order(s)
    flagged = {}
    for f in fr:
        flag = np.zeros(n, dtype=bool)
        flag[order[: max(1, _n_top(f, n))]] = True
        flagged[f] = flag
    rows = []
    for grouping in groups.columns:
        col = groups[grouping]
        values = (
            col.cat.categories
            if isinstance(col.dtype, pd.CategoricalDtype)
            else pd.unique(col.dropna())
        )
        if not isinstance(col.dtype, pd.CategoricalDtype):
            values = sorted(values, key=str)
        for value in values:
            mask = (col == value).to_numpy()
            k = int(mask.sum())
            if k == 0:
                continue
            yy, ss, ee = y[mask], s[mask], ev[mask]
            row: dict[str, Any] = {
                "grouping": grouping,
                "group": str(value),
                "n": k,
                "outcomes": int(yy.sum()),
                "observed_rate": yy.mean(),
                "mean_predicted": ss.mean(),
                "observed_to_expected": yy.sum() / ss.sum() if ss.sum() > 0 else np.nan,
            }
            if 0 < yy.sum() < k:
                r = auc_ci(yy, ss, confidence=confidence)
                row.update(auc=r.auc, auc_lower=r.lower, auc_upper=r.upper)
            else:
                row.update(auc=np.nan, auc_lower=np.nan, auc_upper=np.nan)
            for f in fr:
                key = "top" + f"{100 * f:g}".replace(".", "_")
                fl = flagged[f][mask]
                tp = int((fl & yy).sum())
                row[f"{key}_flagged_share"] = fl.mean()
                row[f"{key}_sensitivity"] = tp / yy.sum() if yy.sum() else np.nan
                row[f"{key}_ppv"] = tp / fl.sum() if fl.sum() else np.nan
                row[f"{key}_share_of_events"] = ee[fl].sum() / ee.sum() if ee.sum() else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _aligned(values: Any, index: pd.Index, name: str) -> Any:
    if values is None or not isinstance(values, pd.Series):
        return values
    if values.index.equals(index):
        return values
    missing = index.difference(values.index)
    if len(missing):
        raise DataError(
            f"{name} has no value for {len(missing)} people in groups (e.g. {missing[0]!r}); "
            "index both by patient_id."
        )
    return values.reindex(index)
