"""Clusters: k chosen by silhouette, standardised features, comparison with Bridges to Health."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearlib import DataError
from clearlib.segment import (
    CLUSTER_FEATURES,
    PopulationClusters,
    clustering_features,
    compare_segmentations,
)


def _blobs(k: int, n: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [10, 10], [0, 10], [10, 0]])[:k]
    return np.vstack([rng.normal(c, 0.5, size=(n, 2)) for c in centres])


@pytest.mark.parametrize("k", [2, 3, 4])
def test_silhouette_finds_the_number_of_separated_groups(k):
    """k well-separated blobs: the silhouette peaks at k and every blob is one cluster."""
    X = _blobs(k)
    model = PopulationClusters(random_state=0).fit(X)
    assert model.n_clusters_ == k
    assert list(model.silhouette_.index) == list(range(2, 9))
    assert model.silhouette_.idxmax() == k
    labels = model.labels_.reshape(k, -1)
    assert all(len(set(row)) == 1 for row in labels)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_features_are_standardised_so_units_do_not_decide():
    """Age in days (huge numbers) does not swamp a small-unit feature that separates the groups."""
    rng = np.random.default_rng(1)
    age_days = rng.normal(20000, 3000, size=200)  # no structure, large scale
    score = np.r_[rng.normal(0, 0.01, 100), rng.normal(0.1, 0.01, 100)]  # two groups, tiny scale
    model = PopulationClusters(n_clusters=2, random_state=0).fit(np.c_[age_days, score])
    assert len(set(model.labels_[:100])) == 1 and len(set(model.labels_[100:])) == 1
    assert model.silhouette_.empty


def test_centres_are_in_original_units():
    """Centres of two blobs near (0, 0) and (10, 10), with their sizes."""
    model = PopulationClusters(n_clusters=2, random_state=0).fit(_blobs(2))
    centres = model.centres().sort_values("x0")
    np.testing.assert_allclose(centres[["x0", "x1"]], [[0, 0], [10, 10]], atol=0.3)
    assert centres["people"].tolist() == [60, 60]


def test_bad_parameters_are_explained():
    """k_min below 2 and too few people to choose k are refused with the reason."""
    with pytest.raises(ValueError, match="2 <= k_min <= k_max"):
        PopulationClusters(k_min=1).fit(_blobs(2))
    with pytest.raises(ValueError, match="n_samples=2"):
        PopulationClusters().fit(np.array([[0.0], [1.0]]))


def test_clustering_features_log_transform_counts_only():
    """Counts become log(1 + x); age and eFI score stay as they are."""
    f = pd.DataFrame({c: [0.0, 3.0] for c in CLUSTER_FEATURES})
    out = clustering_features(f)
    assert out["age"].tolist() == [0, 3] and out["efi_score"].tolist() == [0, 3]
    assert out["ae_12m"].tolist() == pytest.approx([0, np.log(4)])
    with pytest.raises(DataError, match="'ltc_count'"):
        clustering_features(f.drop(columns="ltc_count"))


def test_comparison_by_hand():
    """Identical partitions under other names: ARI 1; crossed halves: ARI -0.5 (worked out below)."""
    same = compare_segmentations([1, 1, 2, 2], ["a", "a", "b", "b"])
    assert same.adjusted_rand_index == 1.0
    assert same.crosstab.to_numpy().tolist() == [[2, 0], [0, 2]]
    # every cell holds 1: index 0, expected (2 * 2) / 6, maximum 2: (0 - 2/3) / (2 - 2/3)
    crossed = compare_segmentations([0, 0, 1, 1], [0, 1, 0, 1])
    assert crossed.adjusted_rand_index == pytest.approx(-0.5)
    assert crossed.normalised_mutual_information == pytest.approx(0.0)
    np.testing.assert_allclose(crossed.row_shares().to_numpy(), 0.5)


def test_comparison_aligns_series_and_refuses_different_people():
    """Series in another order are aligned by index; different people are refused."""
    a = pd.Series([1, 1, 2], index=["x", "y", "z"])
    b = pd.Series(["q", "p", "p"], index=["z", "x", "y"])
    assert compare_segmentations(a, b).adjusted_rand_index == 1.0
    with pytest.raises(DataError, match="cover different people"):
        compare_segmentations(a, pd.Series([1, 2, 3], index=["x", "y", "w"]))


def test_clusters_beside_bridges_to_health_on_the_default_pcn(default_pcn):
    """On the default PCN, k is chosen in 2..8 and the crosstab covers everyone."""
    from clearlib.segment import BridgesToHealth, segment_features

    f = segment_features(default_pcn)
    seg = BridgesToHealth().fit(f).assign(f)["segment_name"]
    model = PopulationClusters(k_max=5, sample_size=2000, n_init=2, random_state=0)
    labels = pd.Series(model.fit_predict(clustering_features(f)), index=f.index)
    c = compare_segmentations(seg, labels)
    assert 2 <= model.n_clusters_ <= 5
    assert c.crosstab.to_numpy().sum() == len(f)
    assert c.crosstab.index[0] == "Healthy"  # segment order, from the categorical
    assert 0 < c.adjusted_rand_index < 1
