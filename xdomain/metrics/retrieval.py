"""Cross-domain retrieval metrics (Gonzalez-Garcia et al., NeurIPS 2018, §4.1, Table 1, Fig. 4b).

Queries from one domain are matched to a database by Euclidean distance on a feature (shared
part S, exclusive part E, or raw pixels), features flattened to ``[N, D]``.

* :func:`recall_at_1_label`  share of queries whose nearest database item has the query's label
  (the digit): the reading that reproduces the paper's Table 1 baselines (pixels ~30-40%,
  exclusive ~10% = chance over 10 digits).
* :func:`recall_at_1_exact`  share of queries whose nearest database item is their own pair
  (row *i* ↔ row *i*): stricter, as used for Facades/Maps in Table 1 (right).
* :func:`other_domain_share`  the union setting of Fig. 4b: among the ``k`` nearest neighbours of
  a query in A ∪ B (the query itself excluded), the share that comes from the other domain
  (paper: 46% with shared features, ~0% with pixels).
"""
from __future__ import annotations

import torch

from xdomain.registry import register_metric


def knn(query: torch.Tensor, database: torch.Tensor, k: int = 1, chunk: int = 1024,
        exclude: torch.Tensor | None = None) -> torch.Tensor:
    """Indices [N, k] of the ``k`` nearest database rows (Euclidean) of each query row.

    ``exclude`` [N] gives, per query, one database index to skip (its own copy), or −1.
    """
    q, db = query.flatten(1).float(), database.flatten(1).float()
    db_sq = (db ** 2).sum(1)  # [M]
    out = []
    for i in range(0, len(q), chunk):
        qc = q[i:i + chunk]
        d = db_sq[None, :] - 2 * qc @ db.T  # [n, M]; ‖q‖² is constant per row, so it is dropped
        if exclude is not None:
            ex = exclude[i:i + chunk]
            rows = torch.nonzero(ex >= 0).squeeze(1)
            d[rows, ex[rows]] = float("inf")
        out.append(d.topk(k, dim=1, largest=False).indices)
    return torch.cat(out)


@register_metric("recall_at_1_label")
def recall_at_1_label(query: torch.Tensor, database: torch.Tensor, q_labels: torch.Tensor,
                      db_labels: torch.Tensor) -> float:
    """Share of queries whose nearest database item (Euclidean) has the query's label (the paper's Recall@1)."""
    nn1 = knn(query, database, 1)[:, 0]
    return (db_labels[nn1] == q_labels).float().mean().item()


@register_metric("recall_at_1_exact")
def recall_at_1_exact(query: torch.Tensor, database: torch.Tensor) -> float:
    """Paired sets: query row i's true match is database row i."""
    nn1 = knn(query, database, 1)[:, 0]
    return (nn1 == torch.arange(len(query))).float().mean().item()


@register_metric("other_domain_share")
def other_domain_share(feats_a: torch.Tensor, feats_b: torch.Tensor, n_queries: int = 1000, k: int = 10) -> float:
    """Mean share of the k NN (in A ∪ B, self excluded) from the other domain, queries from both sides."""
    union = torch.cat([feats_a.flatten(1), feats_b.flatten(1)])  # [Na + Nb, D]
    na, nb = len(feats_a), len(feats_b)
    shares = []
    for offset, n, own_a in ((0, na, True), (na, nb, False)):
        idx = torch.arange(min(n_queries, n)) + offset
        nbrs = knn(union[idx], union, k, exclude=idx)  # [q, k]
        from_a = nbrs < na
        shares.append((~from_a if own_a else from_a).float().mean())
    return torch.stack(shares).mean().item()
