"""Invariants of the retrieval metrics (xdomain.metrics.retrieval)."""
from __future__ import annotations

import torch

from xdomain.metrics.retrieval import knn, other_domain_share, recall_at_1_exact, recall_at_1_label


def _feats(n: int = 60, d: int = 12, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_identical_features_give_recall_one():
    f = _feats()
    labels = torch.arange(60) % 10
    assert recall_at_1_exact(f, f.clone()) == 1.0
    assert recall_at_1_label(f, f.clone(), labels, labels) == 1.0


def test_recall_drops_when_the_pairing_is_broken():
    f = _feats()
    perm = torch.roll(torch.arange(60), 1)
    assert recall_at_1_exact(f, f[perm]) == 0.0  # each true match sits at another index
    labels = torch.arange(60) % 10
    assert recall_at_1_label(f, f[perm], labels, labels[perm]) == 1.0  # labels travel with the rows


def test_label_recall_counts_same_label_not_same_item():
    q = torch.tensor([[0.0], [10.0]])
    db = torch.tensor([[0.1], [9.0], [100.0]])
    assert recall_at_1_label(q, db, torch.tensor([3, 4]), torch.tensor([3, 5, 4])) == 0.5


def test_knn_orders_by_distance_and_can_exclude_self():
    db = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    assert knn(db[[1]], db, k=3).tolist() == [[1, 0, 2]]
    assert knn(db[[1]], db, k=2, exclude=torch.tensor([1])).tolist() == [[0, 2]]
    # chunking does not change the answer
    f = _feats(50)
    assert torch.equal(knn(f, f, k=4, chunk=7), knn(f, f, k=4, chunk=1000))


def test_other_domain_share_extremes():
    a = _feats(40)
    assert other_domain_share(a, a + 100.0, n_queries=40, k=10) == 0.0  # two far-apart clusters
    assert other_domain_share(a, a.clone(), n_queries=40, k=1) == 1.0  # each query's twin is nearest
