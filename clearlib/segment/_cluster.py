"""Unsupervised segmentation: k-means on standardised features, k chosen by silhouette.

Bridges to Health puts people in segments by rules someone wrote; clustering lets the data
group people by similarity, with no rules. Comparing the two (:func:`compare_segmentations`)
shows where they agree and what each one misses.

The criterion for k: the mean silhouette width (Rousseeuw 1987: how much closer each person
is to their own cluster than to the next one, from -1 to 1) on a random sample of people, for
every k from ``k_min`` to ``k_max``; the k with the highest wins. The silhouette needs all
pairwise distances, hence the sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from clearlib._exceptions import DataError

__all__ = [
    "CLUSTER_FEATURES",
    "PopulationClusters",
    "SegmentComparison",
    "clustering_features",
    "compare_segmentations",
]

#: The default clustering features (from :func:`clearlib.segment.segment_features`): need and
#: use, not demography alone. Counts are log-transformed by :func:`clustering_features`.
CLUSTER_FEATURES = (
    "age",
    "efi_score",
    "ltc_count",
    "repeat_medicines",
    "appointments_12m",
    "ae_12m",
    "emergency_admissions_12m",
    "outpatient_12m",
)
_NOT_COUNTS = ("age", "efi_score")


def clustering_features(
    features: pd.DataFrame, columns: Any = CLUSTER_FEATURES, *, log_counts: bool = True
) -> pd.DataFrame:
    """Pick the clustering columns and tame skewed counts with ``log(1 + x)``.

    A handful of people with 100+ appointments would otherwise get clusters of their own.

    Parameters
    ----------
    features : pandas.DataFrame
        From :func:`clearlib.segment.segment_features`.
    columns : sequence of str, default :data:`CLUSTER_FEATURES`
        Columns to keep.
    log_counts : bool, default True
        Apply ``log1p`` to every kept column but ``age`` and ``efi_score``.

    Returns
    -------
    pandas.DataFrame
        Float columns, indexed like ``features``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"age": [30.0], "ae_12m": [3]})
    >>> clustering_features(f, ["age", "ae_12m"]).round(3)
        age  ae_12m
    0  30.0   1.386
    """
    cols = list(columns)
    missing = [c for c in cols if c not in features.columns]
    if missing:
        raise DataError(
            f"features have no column {', '.join(map(repr, missing))}; build them with "
            "clearlib.segment.segment_features(pcn) or choose other columns."
        )
    out = features[cols].astype(float)
    if log_counts:
        for c in cols:
            if c not in _NOT_COUNTS:
                if (out[c] < 0).any():
                    raise DataError(
                        f"column {c!r} has negative values; it cannot be log-transformed as a count."
                    )
                out[c] = np.log1p(out[c])
    return out


class PopulationClusters(ClusterMixin, BaseEstimator):
    """k-means on standardised features, with k chosen by the silhouette on a sample.

    Parameters
    ----------
    n_clusters : int or None, default None
        Fix k; None chooses it by silhouette over ``k_min`` .. ``k_max``.
    k_min, k_max : int, default 2 and 8
        The range of k tried.
    sample_size : int, default 5000
        People sampled (without replacement) to compute each silhouette.
    n_init : int, default 4
        k-means restarts (the best is kept).
    random_state : int, RandomState or None
        Seed for the sample and k-means.

    Attributes
    ----------
    n_clusters_ : int
        The k used.
    silhouette_ : pandas.Series
        Mean silhouette width for each k tried (empty when ``n_clusters`` is fixed).
    scaler_ : StandardScaler
        The fitted standardisation.
    kmeans_ : KMeans
        The fitted k-means (on standardised features).
    labels_ : ndarray of int
        Cluster of each training row (0 .. k-1).
    cluster_centers_ : ndarray of shape (k, n_features)
        Cluster centres in the original units.
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 0.3, (50, 2)), rng.normal(5, 0.3, (50, 2))])
    >>> model = PopulationClusters(random_state=0).fit(X)
    >>> model.n_clusters_
    2
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        k_min: int = 2,
        k_max: int = 8,
        sample_size: int = 5000,
        n_init: int = 4,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.k_min = k_min
        self.k_max = k_max
        self.sample_size = sample_size
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> PopulationClusters:
        """Standardise, choose k (unless fixed) and fit k-means.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric features without missing values (e.g. :func:`clustering_features`).
        y : ignored

        Returns
        -------
        self
        """
        for name in ("k_min", "k_max", "sample_size", "n_init"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(
                    f"PopulationClusters: {name} should be a whole number >= 1; found {value!r}."
                )
        if self.k_min < 2 or self.k_max < self.k_min:
            raise ValueError(
                f"PopulationClusters: need 2 <= k_min <= k_max; found k_min={self.k_min}, "
                f"k_max={self.k_max}."
            )
        if self.n_clusters is not None and (
            isinstance(self.n_clusters, bool)
            or not isinstance(self.n_clusters, int | np.integer)
            or self.n_clusters < 1
        ):
            raise ValueError(
                f"PopulationClusters: n_clusters should be None or a whole number >= 1; found "
                f"{self.n_clusters!r}."
            )
        X = validate_data(self, X, dtype=np.float64)
        n = X.shape[0]
        rng = check_random_state(self.random_state)
        self.scaler_ = StandardScaler().fit(X)
        Z = self.scaler_.transform(X)
        if self.n_clusters is None:
            ks = [k for k in range(self.k_min, self.k_max + 1) if k < min(n, self.sample_size)]
            if not ks:
                raise ValueError(
                    f"n_samples={n}: choosing k by silhouette needs more than {self.k_min} people "
                    "(or fix n_clusters)."
                )
            take = rng.choice(n, size=min(n, self.sample_size), replace=False)
            Zs = Z[take]
            scores = {}
            for k in ks:
                km = KMeans(n_clusters=k, n_init=self.n_init, random_state=rng.randint(2**31 - 1))
                labels = km.fit_predict(Zs)
                found = len(np.unique(labels))
                scores[k] = silhouette_score(Zs, labels) if 1 < found < len(Zs) else np.nan
            self.silhouette_ = pd.Series(scores, name="silhouette", dtype=float)
            self.silhouette_.index.name = "k"
            if self.silhouette_.isna().all():
                raise ValueError(
                    "no k gave two or more distinct clusters; the rows may all be identical."
                )
            self.n_clusters_ = int(self.silhouette_.idxmax())
        else:
            self.silhouette_ = pd.Series(dtype=float, name="silhouette")
            self.n_clusters_ = int(self.n_clusters)
        self.kmeans_ = KMeans(
            n_clusters=self.n_clusters_, n_init=self.n_init, random_state=rng.randint(2**31 - 1)
        ).fit(Z)
        self.labels_ = self.kmeans_.labels_.astype(np.int64)
        self.cluster_centers_ = self.scaler_.inverse_transform(self.kmeans_.cluster_centers_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Nearest cluster (0 .. k-1) of each row."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.kmeans_.predict(self.scaler_.transform(X)).astype(np.int64)

    def centres(self) -> pd.DataFrame:
        """Cluster centres in the original units, one row per cluster, with its size."""
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(self.n_features_in_)]
        out = pd.DataFrame(self.cluster_centers_, columns=list(names))
        out.insert(0, "people", np.bincount(self.labels_, minlength=self.n_clusters_))
        out.index.name = "cluster"
        return out


@dataclass(frozen=True)
class SegmentComparison:
    """Two segmentations of the same people side by side.

    Attributes
    ----------
    crosstab : pandas.DataFrame
        People in each (first, second) pair of segments; rows the first, columns the second.
    adjusted_rand_index : float
        Agreement beyond chance: 1 identical, about 0 no better than chance (Hubert & Arabie
        1985).
    normalised_mutual_information : float
        Shared information, 0 (none) to 1 (the same partition).
    """

    crosstab: pd.DataFrame
    adjusted_rand_index: float
    normalised_mutual_information: float

    def row_shares(self) -> pd.DataFrame:
        """Each row of the crosstab as shares: where the first segmentation's groups went."""
        return self.crosstab.div(self.crosstab.sum(axis=1), axis=0)


def compare_segmentations(
    first: Any, second: Any, *, names: tuple[str, str] = ("Bridges to Health", "cluster")
) -> SegmentComparison:
    """Crosstab and adjusted Rand index of two segmentations of the same people.

    Parameters
    ----------
    first, second : pandas.Series or array-like
        Segment labels per person. Two Series are aligned on their index.
    names : (str, str)
        Labels for the crosstab's axes.

    Returns
    -------
    SegmentComparison

    Examples
    --------
    >>> c = compare_segmentations([1, 1, 2, 2], ["a", "a", "b", "b"])
    >>> c.adjusted_rand_index
    1.0
    >>> c.crosstab  # doctest: +NORMALIZE_WHITESPACE
    cluster            a  b
    Bridges to Health
    1                  2  0
    2                  0  2
    """
    both = isinstance(first, pd.Series) and isinstance(second, pd.Series)
    if both and not first.index.equals(second.index):
        missing = first.index.symmetric_difference(second.index)
        if len(missing):
            raise DataError(
                f"the two segmentations cover different people ({len(missing)} differ, e.g. "
                f"{missing[0]!r}); pass labels for the same people."
            )
        second = second.reindex(first.index)
    a = np.asarray(first.to_numpy() if isinstance(first, pd.Series) else first)
    b = np.asarray(second.to_numpy() if isinstance(second, pd.Series) else second)
    if a.ndim != 1 or b.ndim != 1 or len(a) != len(b) or len(a) == 0:
        raise DataError(
            f"expected two equal-length lists of segment labels; found {a.shape} and {b.shape}."
        )
    # keep a categorical's order (e.g. segment names in segment order) for the crosstab
    rows = pd.Series(first.array if isinstance(first, pd.Series) else a, name=names[0])
    cols = pd.Series(second.array if isinstance(second, pd.Series) else b, name=names[1])
    table = pd.crosstab(rows, cols)
    return SegmentComparison(
        crosstab=table,
        adjusted_rand_index=float(adjusted_rand_score(a, b)),
        normalised_mutual_information=float(normalized_mutual_info_score(a, b)),
    )
