"""Exploring a disentangled representation: diverse translation, analogies, interpolation, retrieval.

Gradio-free logic behind the app's Translate / Analogies / Interpolate / Retrieve tabs, usable from
notebooks and tests. Follows §4.1 of Gonzalez-Garcia, van de Weijer & Bengio, *Image-to-image
translation for cross-domain disentanglement*, NeurIPS 2018.

Paper symbols → code (side ``"A"`` = domain X, side ``"B"`` = domain Y):

=========================  ===========================================================
``(S^X, E^X) = G_e(x)``     ``model.encode(x, "A")`` → shared ``[B, ...]``, exclusive ``[B, d]``
``G_d(S, z)``               ``model.decode(S, z, "B")`` (translation X→Y; ``z ~ N(0, I)``)
``F_d(S, E)``               ``model.decode(S, E, "A")``
=========================  ===========================================================

Tasks (all deterministic given their seed):

* diverse translation   ``ŷ_i = G_d(S^X, z_i)``, ``z_i ~ N(0, I)``            → :func:`translate_diverse`
* guided translation    ``ŷ = G_d(S^X, c)`` for a chosen code ``c`` (sliders)  → :func:`translate_with_code`
* visual analogy        query ``x_1``, reference ``x_2`` of one domain:
  ``F_d(S_1^X, E_2^X)`` — digit of the query, colour of the reference          → :func:`analogy_grid`
* interpolation         ``S_t = (1−t)·S_1 + t·S_2`` with ``E_1`` fixed (digit morphs, colour stays) or
  ``E_t = (1−t)·E_1 + t·E_2`` with ``S_1`` fixed (colour morphs, digit stays) → :func:`interpolate`
* retrieval (Table 1, Fig. 4b)  Euclidean nearest neighbours of a query on shared features,
  exclusive features or raw pixels, in the other domain or the union of both  → :class:`RetrievalIndex`

Anything with ``encode``/``decode`` and ``exclusive_dim > 0`` works ("capabilities, not names"); a
model with only ``translate`` still gets :func:`translate_diverse`. Models must be in eval mode
(:func:`xdomain.hub.load_model` returns them so), so encoding adds no training noise and BatchNorm
uses its running statistics. Images are ``[B, C, H, W]`` tensors in ``[-1, 1]``.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from xdomain.data import domains as _domains
from xdomain.data import sources

SIDES = ("A", "B")
DIRECTIONS = {"a2b": ("A", "B"), "b2a": ("B", "A")}
PARTS = ("shared", "exclusive", "both")
FEATURES = ("shared", "exclusive", "pixels")
Part = Literal["shared", "exclusive", "both"]
Feature = Literal["shared", "exclusive", "pixels"]


# ----------------------------------------------------------------------------- sides, capabilities
def direction_sides(direction: str) -> tuple[str, str]:
    """``"a2b"`` → ``("A", "B")`` (source side, target side)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    return DIRECTIONS[direction]


def check_side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"side must be 'A' or 'B', got {side!r}")
    return side


def other(side: str) -> str:
    return "B" if check_side(side) == "A" else "A"


def exclusive_dim(model) -> int:
    """Size of the exclusive code a model lets us set; 0 when it has none (plain translators)."""
    if not (hasattr(model, "encode") and hasattr(model, "decode")):
        return 0
    return int(getattr(model, "exclusive_dim", 0) or 0)


def require_codes(model) -> int:
    d = exclusive_dim(model)
    if d <= 0:
        raise ValueError(f"{type(model).__name__} has no shared/exclusive representation "
                         "(encode/decode with an exclusive code): this view needs a disentangling model.")
    return d


def domain_names(model) -> tuple[str, str]:
    return tuple(getattr(model, "domain_names", ("A", "B")))  # type: ignore[return-value]


def directions(model) -> tuple[str, ...]:
    """Directions a model translates: its own ``directions``; else both for encode/decode models, else a2b."""
    own = getattr(model, "directions", None)
    if own:
        return tuple(own)
    return tuple(DIRECTIONS) if exclusive_dim(model) > 0 else ("a2b",)


def direction_label(model, direction: str) -> str:
    """``"Male → Female"``; a one-way model is named by its target alone (``"emoji"``)."""
    src, dst = (domain_names(model)[SIDES.index(s)] for s in direction_sides(direction))
    return dst if directions(model) == ("a2b",) else f"{src} → {dst}"


def can_round_trip(model) -> bool:
    return hasattr(model, "round_trips") and set(directions(model)) == set(DIRECTIONS)


# ----------------------------------------------------------------------------- codes and translation
def random_codes(n: int, dim: int, seed: int) -> torch.Tensor:
    """``[n, dim]`` samples of N(0, I) from their own generator (the global RNG is untouched)."""
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(n, dim, generator=g)


def _batch(x: torch.Tensor) -> torch.Tensor:
    return x.unsqueeze(0) if x.ndim == 3 else x


def _model_input(model, x: torch.Tensor) -> torch.Tensor:
    return _batch(x).to(getattr(model, "device", "cpu"), torch.float32)


@torch.no_grad()
def exclusive_code(model, x: torch.Tensor, side: str) -> torch.Tensor:
    """``E`` of images ``x`` of ``side``: ``[B, d]`` (what "take the code from a reference" uses)."""
    require_codes(model)
    return model.encode(_model_input(model, x), check_side(side))[1].cpu()


@torch.no_grad()
def translate_with_code(model, x: torch.Tensor, direction: str, code: torch.Tensor) -> torch.Tensor:
    """``G_d(S^src(x), c)``: ``x`` ``[B,C,H,W]`` of the source side, ``code`` ``[d]`` or ``[B, d]``."""
    d = require_codes(model)
    src, dst = direction_sides(direction)
    x = _model_input(model, x)
    code = torch.as_tensor(code, dtype=torch.float32).reshape(-1, d).to(x.device)
    shared, _ = model.encode(x, src)
    if code.shape[0] != x.shape[0]:
        code = code.expand(x.shape[0], -1)
    return model.decode(shared, code, dst).cpu()


@torch.no_grad()
def translate_diverse(model, x: torch.Tensor, direction: str, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` translations of one image with ``z_i ~ N(0, I)`` (seeded): ``[n, C, H, W]``.

    Disentangling models decode one shared part with ``n`` codes in a single batch; other models
    fall back to ``model.translate(x, direction, seed=seed + i)``.
    """
    x = _model_input(model, x)[:1]  # [1, C, H, W]
    if exclusive_dim(model) > 0:
        src, dst = direction_sides(direction)
        s, _ = model.encode(x, src)  # [1, ...]: encoded once, decoded with n codes
        z = random_codes(n, exclusive_dim(model), seed).to(x.device)  # [n, d]
        return model.decode(s.expand(n, *s.shape[1:]), z, dst).cpu()
    return torch.cat([model.translate(x, direction, seed=seed + i).cpu() for i in range(n)])


@torch.no_grad()
def round_trips(model, x: torch.Tensor, direction: str, n: int = 1) -> list[torch.Tensor]:
    """``[x, G(x), back(G(x)), ...]`` (``2n + 1`` images ``[B, C, H, W]``); DiscoGAN Fig. 7f's drift."""
    if not can_round_trip(model):
        a, b = domain_names(model)
        raise ValueError(f"{a} → {b} translates one way only, so it has no round trip.")
    direction_sides(direction)
    return model.round_trips(_model_input(model, x), direction, int(n))


@torch.no_grad()
def apply_sequence(steps: list[tuple[object, str]], x: torch.Tensor) -> list[torch.Tensor]:
    """``[x, m1(x), m2(m1(x)), ...]`` for ``(model, direction)`` steps (DiscoGAN Fig. 7e)."""
    out = [_batch(x).cpu()]
    for model, direction in steps:
        out.append(model.translate(_model_input(model, out[-1]), direction).cpu())
    return out


# ----------------------------------------------------------------------------- analogies
@torch.no_grad()
def analogy_grid(model, queries: torch.Tensor, side: str, references: torch.Tensor | None = None,
                 codes: torch.Tensor | None = None) -> torch.Tensor:
    """Visual analogies ``out[i, j] = decode(S(query_i), E(reference_j))`` within one domain.

    Give reference images (their ``E`` is encoded) or exclusive ``codes`` ``[Kr, d]`` directly.
    Returns ``[Kq, Kr, C, H, W]``.
    """
    d = require_codes(model)
    check_side(side)
    q = _model_input(model, queries)
    if (references is None) == (codes is None):
        raise ValueError("give exactly one of references or codes")
    if references is not None:
        e = model.encode(_model_input(model, references), side)[1]  # [Kr, d]
    else:
        e = torch.as_tensor(codes, dtype=torch.float32).reshape(-1, d).to(q.device)
    s = model.encode(q, side)[0]  # [Kq, ...]
    kq, kr = s.shape[0], e.shape[0]
    s_rep = s.repeat_interleave(kr, dim=0)  # [Kq*Kr, ...]: row i repeated for every reference
    e_rep = e.repeat(kq, 1)  # [Kq*Kr, d]
    out = model.decode(s_rep, e_rep, side).cpu()  # [Kq*Kr, C, H, W]
    return out.reshape(kq, kr, *out.shape[1:])


def analogy_sheet(queries: torch.Tensor, outputs: torch.Tensor, references: torch.Tensor | None = None) -> torch.Tensor:
    """Lay out an analogy grid like the paper's Fig. 3b: references on top, queries on the left.

    ``outputs`` ``[Kq, Kr, C, H, W]`` → ``[(Kq+1)·(Kr+1), C, H, W]`` in row-major order (use
    ``nrow = Kr + 1``). The corner, and the top row when there are no reference images (random
    codes), are mid-grey.
    """
    kq, kr = outputs.shape[:2]
    blank = torch.zeros_like(outputs[0, 0])
    top = [blank] + ([r for r in references.cpu()] if references is not None else [blank] * kr)
    rows = [torch.stack(top)]
    for i in range(kq):
        rows.append(torch.cat([queries[i:i + 1].cpu(), outputs[i]]))
    return torch.cat(rows)


# ----------------------------------------------------------------------------- interpolation
@torch.no_grad()
def interpolate(model, x1: torch.Tensor, x2: torch.Tensor, side: str, part: Part = "exclusive", steps: int = 8) -> torch.Tensor:
    """Decode ``steps`` points between two images of ``side`` along one part of the representation.

    * ``"shared"``:    ``decode((1−t)·S_1 + t·S_2, E_1)`` — the digit morphs, the colour stays;
    * ``"exclusive"``: ``decode(S_1, (1−t)·E_1 + t·E_2)`` — the colour morphs, the digit stays;
    * ``"both"``:      both parts move together (``t = 1`` reconstructs ``x_2``).

    ``t`` runs over ``linspace(0, 1, steps)``, so frame 0 is ``decode(S_1, E_1)``. Returns ``[steps, C, H, W]``.
    """
    require_codes(model)
    check_side(side)
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
    if steps < 2:
        raise ValueError("an interpolation needs at least 2 steps")
    x = torch.cat([_model_input(model, x1)[:1], _model_input(model, x2)[:1]])
    s, e = model.encode(x, side)  # s [2, ...], e [2, d]
    t = torch.linspace(0, 1, steps, device=x.device)
    ts = t.view(-1, *([1] * (s.ndim - 1)))  # [steps, 1, 1, 1] for a spatial S
    te = t.view(-1, 1)  # [steps, 1]
    s_t = s[0:1] + ts * (s[1:2] - s[0:1]) if part in ("shared", "both") else s[0:1].expand(steps, *s.shape[1:])
    e_t = e[0:1] + te * (e[1:2] - e[0:1]) if part in ("exclusive", "both") else e[0:1].expand(steps, -1)
    return model.decode(s_t, e_t, side).cpu()  # [steps, C, H, W]


# ----------------------------------------------------------------------------- image helpers
def upscale(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Nearest-neighbour enlargement for display (32×32 pixels stay crisp squares)."""
    return x if factor == 1 else F.interpolate(_batch(x), scale_factor=factor, mode="nearest")


def to_uint8_hwc(x: torch.Tensor) -> np.ndarray:
    """``[C,H,W]``/``[B,C,H,W]`` in ``[-1,1]`` → ``[H,W,C]``/``[B,H,W,C]`` uint8."""
    t = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return t.movedim(-3, -1).numpy()


def from_uint8_hwc(arr: np.ndarray, size: int, channels: int = 3) -> torch.Tensor:
    """An RGB/grey uint8 array → ``[1, channels, size, size]`` in ``[-1, 1]``.

    When both sides are whole multiples of ``size`` the image is box-averaged down, which exactly
    undoes :func:`upscale` (so a displayed image fed back as input is the same tensor); any other
    size is centre-cropped and resized (:func:`xdomain.imageio.to_tensor`).
    """
    from xdomain.imageio import open_image, to_tensor

    img = open_image(arr)  # validates shape, → RGB
    a = np.asarray(img, dtype=np.float32)  # [H, W, 3]
    h, w = a.shape[:2]
    if h == w and h % size == 0:
        t = torch.from_numpy(a).permute(2, 0, 1)[None] / 127.5 - 1.0  # [1, 3, H, W]
        t = F.avg_pool2d(t, h // size) if h != size else t
        return t.mean(1, keepdim=True) if channels == 1 else t
    return to_tensor(img, size, channels)


def write_gif(frames: torch.Tensor, path: str | os.PathLike, *, scale: int = 4, duration_ms: int = 120,
              boomerang: bool = True) -> Path:
    """Write ``frames`` ``[N, C, H, W]`` in ``[-1, 1]`` as a looping GIF (enlarged ``scale``×).

    ``boomerang`` plays the sequence forward then back, so the loop has no jump.
    """
    if frames.ndim != 4 or frames.shape[0] < 1:
        raise ValueError(f"expected frames [N, C, H, W], got {tuple(frames.shape)}")
    seq = list(frames)
    if boomerang and len(seq) > 2:
        seq = seq + seq[-2:0:-1]
    imgs = [Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a) for a in to_uint8_hwc(upscale(torch.stack(seq), scale))]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imgs[0].save(path, format="GIF", save_all=True, append_images=imgs[1:], duration=duration_ms, loop=0, optimize=False)
    return path


# ----------------------------------------------------------------------------- drawn digits
def mnist_canvas(ink: np.ndarray, size: int = 32, box: int | None = None) -> np.ndarray:
    """A free-hand drawing → an MNIST-style digit: uint8 ``[size, size]``, white on black.

    ``ink`` ``[H, W]`` in ``[0, 1]`` (1 = stroke). As in MNIST's preparation: crop to the strokes,
    fit the longer side into a ``box``×``box`` square keeping the aspect ratio, then place it so
    its centre of mass sits at the canvas centre (MNIST: 20×20 box in 28×28, padded to 32 here,
    so ``box`` defaults to 20/32 of ``size``).
    """
    box = box or max(1, round(size * 20 / 32))
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"expected a 2-D stroke map, got shape {ink.shape}")
    ys, xs = np.nonzero(ink > 0.1)
    if len(ys) == 0:
        raise ValueError("The drawing is empty: draw a digit first.")
    crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    k = box / max(h, w)
    nh, nw = max(1, round(h * k)), max(1, round(w * k))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS), np.float32)
    canvas = np.zeros((size, size), np.float32)
    top, left = (size - nh) // 2, (size - nw) // 2
    canvas[top:top + nh, left:left + nw] = small
    total = canvas.sum()
    if total > 0:  # shift the centre of mass to the centre (integer shift, like MNIST)
        yy, xx = np.mgrid[:size, :size]
        dy = round((size - 1) / 2 - (yy * canvas).sum() / total)
        dx = round((size - 1) / 2 - (xx * canvas).sum() / total)
        dy = int(np.clip(dy, -top, size - top - nh))
        dx = int(np.clip(dx, -left, size - left - nw))
        canvas = np.roll(canvas, (dy, dx), axis=(0, 1))
    return np.clip(canvas, 0, 255).round().astype(np.uint8)


# (dataset, side) → how a grey digit [N,H,W] uint8 plus colours [N,3] in [0,1] is rendered into it.
DRAWING_RENDERERS: dict[tuple[str, str], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ("mnist_cd_cb", "A"): _domains.colour_digit,  # MNIST-CD: coloured digit on black
    ("mnist_cd_cb", "B"): _domains.colour_background,  # MNIST-CB: white digit on colour
}


def render_drawing(ink: np.ndarray, dataset: str, side: str, colour: tuple[float, float, float],
                   size: int = 32) -> torch.Tensor:
    """Render a drawn digit into a domain (same code as the dataset's), → ``[1, 3, size, size]``."""
    key = (dataset, check_side(side))
    if key not in DRAWING_RENDERERS:
        raise ValueError(f"drawing a digit is not supported for dataset {dataset!r} side {side}; upload an image instead.")
    digit = mnist_canvas(ink, size)[None]  # [1, size, size]
    rgb = DRAWING_RENDERERS[key](digit, np.asarray([colour], dtype=np.float32))  # [1, size, size, 3]
    return _domains.to_tensor(rgb)


# ----------------------------------------------------------------------------- test data
@lru_cache(maxsize=2)
def _test_domains(dataset: str, seed: int, root: str, size: int | None) -> dict:
    return _domains.get_domains(dataset, Path(root), "test", seed, size=size)


def test_domains(dataset: str, seed: int = 0, root: str | os.PathLike | None = None, size: int | None = None) -> dict:
    """The dataset's test split at ``size`` (cached per data root); raises ``DatasetMissingError`` if absent."""
    return _test_domains(dataset, int(seed), str(sources.resolve_root(root)), size)


# ----------------------------------------------------------------------------- retrieval
@dataclass(frozen=True)
class Hit:
    side: str  # database domain ("A"/"B")
    index: int  # row in that domain's test split
    label: int  # -1 when unknown
    distance: float


def _pixel_keys(x: torch.Tensor) -> list[bytes]:
    """Digests of images' 8-bit pixels ``[B, ...]``: equal for the same image after a PNG round trip."""
    q = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).flatten(1).numpy()  # [B, D]
    return [hashlib.blake2b(row.tobytes(), digest_size=12).digest() for row in q]


@dataclass
class RetrievalIndex:
    """Features of a database of both domains, computed once (Table 1 and Fig. 4b of the paper).

    ``feats[kind][side]`` is ``[N, D]``: shared ``S`` flattened, exclusive ``E``, or raw pixels;
    ``sq_norms[kind][side]`` ``[N]`` their squared norms, so a query costs one matrix-vector
    product per side (``‖q − f‖² = ‖q‖² + ‖f‖² − 2·q·f``) to shortlist ``k + 16`` candidates,
    which are then re-ranked by exact Euclidean distance (the paper's measure). ``keys[side]`` maps an image's pixel digest to its row, to recognise test queries.
    """

    images: dict[str, torch.Tensor]  # side → [N, C, H, W]
    labels: dict[str, torch.Tensor]  # side → [N] (−1 when unknown)
    feats: dict[str, dict[str, torch.Tensor]]
    sq_norms: dict[str, dict[str, torch.Tensor]]
    keys: dict[str, dict[bytes, int]]

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
        keys: dict[str, dict[bytes, int]] = {}
        for side, x in images.items():
            keys[side] = {}
            for i, key in enumerate(_pixel_keys(x)):
                keys[side].setdefault(key, i)
        labels = labels or {s: torch.full((len(x),), -1) for s, x in images.items()}
        return cls(images=images, labels=labels, feats=feats, sq_norms=sq_norms, keys=keys)

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

    def find(self, x: torch.Tensor, side: str) -> int | None:
        """Row of ``side`` holding this very image (up to 8-bit rounding), else ``None``."""
        return self.keys[check_side(side)].get(_pixel_keys(_batch(x)[:1])[0])

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
