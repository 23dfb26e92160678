"""Risk stratification: a plain logistic model of emergency admission, and the top-k% flags.

Build the inputs with :func:`clearlib.segment.build_features` (information before the index
date only) and :func:`clearlib.segment.build_outcome` (at least one emergency admission in the
12 months after); fit :class:`RiskModel`; judge it with :mod:`clearlib.segment`'s metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from clearlib._exceptions import DataError

__all__ = ["RiskModel", "flag_top"]


class RiskModel(ClassifierMixin, BaseEstimator):
    """Logistic regression on standardised features: the plain, explainable risk model.

    A pipeline of :class:`~sklearn.preprocessing.StandardScaler` and
    :class:`~sklearn.linear_model.LogisticRegression` (L2 penalty, lbfgs). Standardising first
    makes the coefficients comparable: each is the change in log-odds for one standard
    deviation of its feature (:meth:`coefficients`).

    Parameters
    ----------
    C : float, default 1.0
        Inverse strength of the L2 penalty (smaller is stronger).
    class_weight : dict, "balanced" or None, default None
        Passed to LogisticRegression. Keep None for calibrated probabilities.
    max_iter : int, default 1000
        Iterations of the solver.
    tol : float, default 1e-4
        Tolerance of the solver.

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted scaler and logistic regression.
    classes_ : ndarray
        The outcome's classes (for the default outcome ``[False, True]``).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients per standard deviation of each feature.
    intercept_ : ndarray
        The intercept(s).
    n_iter_ : ndarray
        Iterations the solver took.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit`` (DataFrame input only).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = X[:, 0] + rng.normal(scale=0.5, size=200) > 0
    >>> model = RiskModel().fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    >>> bool(model.coef_[0, 0] > model.coef_[0, 1])
    True
    """

    def __init__(
        self, C: float = 1.0, class_weight: Any = None, max_iter: int = 1000, tol: float = 1e-4
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: Any) -> RiskModel:
        """Fit the scaler and the logistic regression.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric or boolean features (e.g. :func:`clearlib.segment.build_features`), no
            missing values.
        y : array-like of shape (n_samples,)
            The outcome (e.g. ``build_outcome(...)["emergency_admission"]``).

        Returns
        -------
        self
        """
        if not isinstance(self.C, int | float) or isinstance(self.C, bool) or not self.C > 0:
            raise ValueError(f"RiskModel: C should be a positive number; found {self.C!r}.")
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.pipeline_ = Pipeline(
            [
                ("scale", StandardScaler()),
                (
                    "logistic",
                    LogisticRegression(
                        C=float(self.C),
                        class_weight=self.class_weight,
                        max_iter=self.max_iter,
                        tol=self.tol,
                    ),
                ),
            ]
        ).fit(X, y)
        logistic = self.pipeline_.named_steps["logistic"]
        self.classes_ = logistic.classes_
        self.coef_ = logistic.coef_
        self.intercept_ = logistic.intercept_
        self.n_iter_ = logistic.n_iter_
        return self

    def _X(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64)

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of the outcome for each row."""
        X = self._X(X)
        return self.pipeline_.decision_function(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class; column 1 is the risk of the outcome."""
        X = self._X(X)
        return self.pipeline_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """The more likely class (rarely useful: rank by :meth:`predict_proba` instead)."""
        X = self._X(X)
        return self.pipeline_.predict(X)

    def risk(self, X: Any) -> pd.Series | np.ndarray:
        """Probability of the outcome (the second class), indexed like ``X`` if a DataFrame."""
        p = self.predict_proba(X)[:, -1]
        if isinstance(X, pd.DataFrame):
            return pd.Series(p, index=X.index, name="risk")
        return p

    def coefficients(self) -> pd.DataFrame:
        """Coefficient and odds ratio per standard deviation of each feature, largest first.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> RiskModel().fit(X, [0, 0, 1, 1]).coefficients()["feature"].tolist()
        ['x0']
        """
        check_is_fitted(self)
        if self.coef_.shape[0] != 1:
            raise DataError(
                "coefficients() describes a model of one yes/no outcome; this one has "
                f"{len(self.classes_)} classes."
            )
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(self.n_features_in_)]
        coef = self.coef_[0]
        out = pd.DataFrame(
            {"feature": list(names), "coefficient_per_sd": coef, "odds_ratio_per_sd": np.exp(coef)}
        )
        order = np.argsort(-np.abs(coef), kind="stable")
        return out.iloc[order].reset_index(drop=True)


def flag_top(scores: Any, fractions: Any = (0.02, 0.05)) -> pd.DataFrame:
    """Rank risk scores and flag the top 2% and 5% (or any other fractions).

    The top fraction *f* of *n* people is the ``ceil(f * n)`` highest scores; ties at the
    boundary go to whoever comes first in ``scores`` (so exactly that many are flagged).

    Parameters
    ----------
    scores : pandas.Series or array-like
        Risk scores (higher is riskier); a Series keeps its index.
    fractions : sequence of float, default (0.02, 0.05)
        Fractions to flag, each in (0, 1].

    Returns
    -------
    pandas.DataFrame
        ``risk``, ``risk_rank`` (1 = highest), ``risk_percentile`` (100 = highest) and one
        boolean column per fraction: ``risk_top2`` and ``risk_top5`` for the defaults
        (``risk_top0_5`` for 0.005).

    Examples
    --------
    >>> import pandas as pd
    >>> flag_top(pd.Series([0.1, 0.9, 0.5, 0.3], index=list("abcd")), fractions=[0.25, 0.5])
       risk  risk_rank  risk_percentile  risk_top25  risk_top50
    a   0.1          4             25.0       False       False
    b   0.9          1            100.0        True        True
    c   0.5          2             75.0       False        True
    d   0.3          3             50.0       False       False
    """
    from clearlib.segment._metrics import _check_fractions, _top_order

    s = scores if isinstance(scores, pd.Series) else pd.Series(np.asarray(scores, dtype=float))
    values = s.to_numpy(dtype=float)
    if np.isnan(values).any():
        raise DataError(
            f"{int(np.isnan(values).sum())} risk score(s) are missing; score everyone (or drop "
            "them) before ranking."
        )
    fracs = _check_fractions(fractions)
    n = len(values)
    order = _top_order(values)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    out = pd.DataFrame(
        {"risk": values, "risk_rank": rank, "risk_percentile": 100.0 * (n - rank + 1) / n},
        index=s.index,
    )
    for f in fracs:
        out[top_column(f)] = rank <= int(np.ceil(f * n - 1e-9))
    return out


def top_column(fraction: float) -> str:
    """The flag column's name for a fraction: 0.02 -> ``risk_top2``, 0.005 -> ``risk_top0_5``."""
    return "risk_top" + f"{100 * fraction:g}".replace(".", "_")
