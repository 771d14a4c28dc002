"""Cross-domain retrieval (Table 1, Fig. 4b of Gonzalez-Garcia et al. 2018): Euclidean nearest
neighbours of a query on shared features, exclusive features or raw pixels, in the other domain or
the union of both."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from xdomain.contract import FEATURES
from xdomain.explore.codes import SIDES, _batch, _model_input, check_side, exclusive_dim, other

Feature = Literal["shared", "exclusive", "pixels"]

@dataclass(frozen=True)
class Hit:
    side: str  # database domain ("A"/"B")
    index: int  # row in that domain's test split
    label: int  # -1 when unknown
    distance: float


def _to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Images ``[B, ...]`` in [-1, 1] as their 8-bit pixels ``[B, D]`` (what survives a PNG round trip)."""
    return ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).flatten(1)


@dataclass
class RetrievalIndex:
    """Features of a database of both domains, computed once (Table 1 and Fig. 4b of the paper).

    ``feats[kind][side]`` is ``[N, D]``: shared ``S`` flattened, exclusive ``E``, or raw pixels;
    ``sq_norms[kind][side]`` ``[N]`` their squared norms, so a query costs one matrix-vector
    product per side (``‖q − f‖² = ‖q‖² + ‖f‖² − 2·q·f``) to shortlist ``k + 16`` candidates,
    which are then re-ranked by exact Euclidean distance (the paper's measure). A query is recognised as a
    database image (:meth:`find`) by its nearest rows in pixel space, compared at 8 bits: nothing is hashed
    or stored for it while the index is built.
    """

    images: dict[str, torch.Tensor]  # side → [N, C, H, W]
    labels: dict[str, torch.Tensor]  # side → [N] (−1 when unknown)
    feats: dict[str, dict[str, torch.Tensor]]
    sq_norms: dict[str, dict[str, torch.Tensor]]

    @classmethod
    @torch.no_grad()
    def build(cls, model, images: dict[str, torch.Tensor], labels: dict[str, torch.Tensor] | None = None,
              batch_size: int = 500) -> "RetrievalIndex":
        has_codes = exclusive_dim(model) > 0
        feats: dict[str, dict[str, torch.Tensor]] = {k: {} for k in FEATURES}
        for side, x in images.items():
            feats["pixels"][side] = x.flatten(1)  # [N, C·H·W], a view: no copy of the images
            if has_codes:
                parts = [model.encode(_model_input(model, x[i:i + batch_size]), side) for i in range(0, len(x), batch_size)]
                feats["shared"][side] = torch.cat([s.flatten(1).cpu() for s, _ in parts])  # [N, |S|]
                feats["exclusive"][side] = torch.cat([e.cpu() for _, e in parts])  # [N, d]
        feats = {k: v for k, v in feats.items() if v}
        sq_norms = {k: {s: f.square().sum(1) for s, f in v.items()} for k, v in feats.items()}  # [N] each
        labels = labels or {s: torch.full((len(x),), -1) for s, x in images.items()}
        return cls(images=images, labels=labels, feats=feats, sq_norms=sq_norms)

    @classmethod
    def from_domains(cls, model, data: dict, limit: int | None = None) -> "RetrievalIndex":
        """From a :func:`xdomain.data.domains.get_domains` dict (first ``limit`` rows of each side)."""
        images = {s: data[s][:limit] for s in SIDES}
        labels = {s: data.get(f"label_{s}", torch.full((len(data[s]),), -1))[:limit] for s in SIDES}
        return cls.build(model, images, labels)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in FEATURES if k in self.feats)

    @torch.no_grad()
    def query_features(self, model, x: torch.Tensor, side: str) -> dict[str, torch.Tensor]:
        """``{kind: [D]}`` for one query image of ``side``."""
        x = _model_input(model, x)[:1]
        out = {"pixels": x.flatten().cpu()}
        if "shared" in self.feats:
            s, e = model.encode(x, side)
            out["shared"], out["exclusive"] = s.flatten().cpu(), e[0].cpu()
        return out

    def distances(self, q: torch.Tensor, kind: str, side: str) -> torch.Tensor:
        """Euclidean distances ``[N]`` from a query feature ``[D]`` to every ``side`` item."""
        f = self.feats[kind][side]
        d2 = self.sq_norms[kind][side] + q.square().sum() - 2 * (f @ q)  # [N]
        return d2.clamp_min_(0).sqrt_()

    @torch.no_grad()
    def search(self, model, x: torch.Tensor, side: str, target: Literal["other", "union"] = "other",
               k: int = 10, drop_self: bool = True) -> dict[str, list[Hit]]:
        """Top-``k`` neighbours of query ``x`` (of ``side``) per feature kind, nearest first.

        ``target="other"`` searches the other domain (cross-domain retrieval); ``"union"`` both.
        ``drop_self`` leaves out the query itself when it is one of the database's images (a test
        image finding itself in the union would be a trivial hit).
        """
        check_side(side)
        if target not in ("other", "union"):
            raise ValueError(f"target must be 'other' or 'union', got {target!r}")
        db_sides = [other(side)] if target == "other" else list(SIDES)
        q = self.query_features(model, x, side)
        me = self.find(x, side) if drop_self and side in db_sides else None
        results: dict[str, list[Hit]] = {}
        for kind in self.kinds:
            dists = []
            for s in db_sides:
                d = self.distances(q[kind], kind, s)  # [N]
                if s == side and me is not None:
                    d[me] = float("inf")
                dists.append(d)
            d = torch.cat(dists)  # [N_total]: db_sides concatenated
            n_ok = int(torch.isfinite(d).sum())
            cand = torch.topk(d, min(k + 16, n_ok), largest=False).indices  # shortlist by the fast formula
            exact = torch.stack([self._feature(db_sides, kind, int(i)) for i in cand]).sub_(q[kind]).norm(dim=1)
            order = torch.argsort(exact)[:min(k, n_ok)]  # re-ranked by exact distances, ascending
            results[kind] = [self._hit(db_sides, int(cand[j]), float(exact[j])) for j in order]
        return results

    FIND_CANDIDATES = 4  # nearest rows in pixel space checked for 8-bit equality

    def find(self, x: torch.Tensor, side: str) -> int | None:
        """Row of ``side`` holding this very image (equal 8-bit pixels), else ``None``.

        An equal image lies within 8-bit rounding of the query (≤ 1/255 per value), so it is among the
        nearest rows by pixel distance: those few are compared exactly, the rest are never looked at."""
        x = _batch(x)[:1].float().cpu()
        d = self.distances(x.flatten(), "pixels", check_side(side))  # [N]
        cand = torch.topk(d, min(self.FIND_CANDIDATES, len(d)), largest=False).indices.sort().values
        rows = self.images[side][cand]
        same = (_to_uint8(rows) == _to_uint8(x)).all(1)
        return int(cand[same][0]) if same.any() else None

    def _locate(self, db_sides: list[str], i: int) -> tuple[str, int]:
        for s in db_sides:  # map an index into the concatenated sides back to (side, row)
            if i < len(self.images[s]):
                return s, i
            i -= len(self.images[s])
        raise IndexError(i)

    def _feature(self, db_sides: list[str], kind: str, i: int) -> torch.Tensor:
        s, row = self._locate(db_sides, i)
        return self.feats[kind][s][row]

    def _hit(self, db_sides: list[str], i: int, distance: float) -> Hit:
        s, row = self._locate(db_sides, i)
        return Hit(s, row, int(self.labels[s][row]), distance)

    def image(self, hit: Hit) -> torch.Tensor:
        return self.images[hit.side][hit.index]


def share_from_other(hits: list[Hit], query_side: str) -> float:
    """Fraction of retrieved items from the domain other than the query's (Fig. 4b's 46% vs ~0%)."""
    return sum(h.side != query_side for h in hits) / max(1, len(hits))
