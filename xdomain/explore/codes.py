"""Translation, codes, analogies and interpolation on the :class:`~xdomain.methods.base.Translator` contract.

Follows §4.1 of Gonzalez-Garcia, van de Weijer & Bengio, *Image-to-image translation for cross-domain
disentanglement*, NeurIPS 2018 (paper symbols → code: ``(S^X, E^X) = G_e(x)`` ↔ ``model.encode(x, "A")``,
``G_d(S, z)`` ↔ ``model.decode(S, z, "B")``, ``F_d(S, E)`` ↔ ``model.decode(S, E, "A")``):

* diverse translation   ``ŷ_i = G_d(S^X, z_i)``, ``z_i ~ N(0, I)``            → :func:`translate_diverse`
  (UNIT: ``ŷ_i = G_2(μ_1(x) + η_i)``, Liu et al., NeurIPS 2017, §3)
* guided translation    ``ŷ = G_d(S^X, c)`` for a chosen code ``c`` (sliders)  → :func:`translate_with_code`
* visual analogy        ``F_d(S_1^X, E_2^X)``: content of the query, style of the reference → :func:`analogy_grid`
* interpolation         along S, E or both                                     → :func:`interpolate`
* shared-latent models (UNIT, CoGAN: ``latent == "shared"``, ``encode(x) → (z, None)``): one code renders
  both domains, so an interpolation ``z_t = (1−t)·z_1 + t·z_2`` is shown in A and in B → :func:`interpolate_shared`

What a view may do with a model is read from the contract (``latent``, ``code_dim``, ``directions``),
never from its name. Models must be in eval mode (``hub.load_model`` returns them so). Images are
``[B, C, H, W]`` tensors in ``[-1, 1]``; everything is deterministic given its seed.
"""
from __future__ import annotations

from typing import Literal

import torch

from xdomain.contract import (  # noqa: F401 - re-exported by xdomain.explore
    DIRECTIONS, PARTS, SIDES, check_side, direction_sides, exclusive_dim, other,
)

Part = Literal["shared", "exclusive", "both"]


def require_codes(model) -> int:
    d = exclusive_dim(model)
    if d <= 0:
        raise ValueError(f"{type(model).__name__} has no shared/exclusive representation "
                         "(encode/decode with an exclusive code): this view needs a disentangling model.")
    return d


def require_shared(model) -> None:
    """A model with one shared code and no exclusive part (``latent == "shared"``: UNIT, CoGAN), else ValueError."""
    latent = getattr(model, "latent", "none")
    if latent != "shared":
        hint = (" Its codes have an exclusive part: use interpolate() along the shared, exclusive or both parts."
                if latent == "shared+exclusive" else "")
        raise ValueError(f"{type(model).__name__} has no single shared latent space (latent = {latent!r}): "
                         f"interpolating in both domains needs a model whose encode gives one shared code "
                         f"(latent = 'shared', e.g. UNIT or CoGAN).{hint}")


def round_trips(model, x: torch.Tensor, direction: str, n: int = 1) -> list[torch.Tensor]:
    """``[x, G(x), back(G(x)), ...]`` (``2n + 1`` images); DiscoGAN Fig. 7f's drift."""
    return model.round_trips(_model_input(model, x), direction, int(n))


def round_trip_drift(trips: list[torch.Tensor]) -> list[float]:
    """Mean pixel change from the input after each round trip, on the [0, 1] scale (Fig. 7f)."""
    return [float((trips[2 * i + 2] - trips[0]).abs().mean()) / 2 for i in range((len(trips) - 1) // 2)]


def random_codes(n: int, dim: int, seed: int) -> torch.Tensor:
    """``[n, dim]`` samples of N(0, I) from their own generator (the global RNG is untouched)."""
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(n, dim, generator=g)


def _batch(x: torch.Tensor) -> torch.Tensor:
    return x.unsqueeze(0) if x.ndim == 3 else x


def _model_input(model, x: torch.Tensor) -> torch.Tensor:
    return _batch(x).to(model.device, torch.float32)


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
def translate_diverse(model, x: torch.Tensor, direction: str, n: int, seed: int = 0, scale: float = 1.0) -> torch.Tensor:
    """``n`` translations of one image with ``z_i ~ N(0, scale² I)`` (seeded): ``[n, C, H, W]``.

    Disentangling models decode one shared part with ``n`` exclusive codes in a single batch; models
    whose outputs are ``G(μ(x) + η)`` (``latent_noise``: UNIT's z = μ + η, §3) decode ``n`` draws
    ``η_i`` around the one encoding, also in one batch — ``scale`` 0 gives μ's output ``n`` times; other
    models fall back to ``model.translate(x, direction, seed=seed + i)`` (``scale`` unused).
    """
    x = _model_input(model, x)[:1]  # [1, C, H, W]
    if exclusive_dim(model) > 0:
        src, dst = direction_sides(direction)
        s, _ = model.encode(x, src)  # [1, ...]: encoded once, decoded with n codes
        z = scale * random_codes(n, exclusive_dim(model), seed).to(x.device)  # [n, d]
        return model.decode(s.expand(n, *s.shape[1:]), z, dst).cpu()
    if getattr(model, "latent_noise", False):
        eta = scale * model.draw_code(n, seed)  # [n, code_dim]
        return model.translate(x.expand(n, *x.shape[1:]), direction, code=eta).cpu()
    return torch.cat([model.translate(x, direction, seed=seed + i).cpu() for i in range(n)])


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


def shared_code(model, x: torch.Tensor, side: str) -> torch.Tensor:
    """The shared code ``z`` of images ``x`` of ``side`` (``encode(x, side)[0]``; ``latent == "shared"``).

    Encoding may optimise (CoGAN inverts its generator with autograd), so it runs outside inference
    mode — on a copy of ``x``, since tensors made in inference mode cannot enter autograd — and
    without gradient for everything else. The code stays on the model's device.
    """
    require_shared(model)
    check_side(side)
    with torch.inference_mode(False), torch.no_grad():
        z, _ = model.encode(_model_input(model, x).clone(), side)
    return z


@torch.no_grad()
def interpolate_shared(model, x1: torch.Tensor, x2: torch.Tensor, side: str, steps: int = 8) -> torch.Tensor:
    """Both domains along a line in a shared latent space (UNIT, CoGAN: ``latent == "shared"``).

    ``z_1, z_2`` = the shared codes of two images of ``side`` (``encode(x, side)[0]``);
    ``z_t = (1−t)·z_1 + t·z_2`` for ``t`` in ``linspace(0, 1, steps)``; row 0 renders every ``z_t``
    in domain A (``decode(z_t, None, "A")``), row 1 in domain B. Frame 0 is therefore the input's
    reconstruction on its own side and its translation on the other (frame ``steps−1``: the same
    for ``x_2``). Returns ``[2, steps, C, H, W]``.
    """
    require_shared(model)
    check_side(side)
    if steps < 2:
        raise ValueError("an interpolation needs at least 2 steps")
    x = torch.cat([_model_input(model, x1)[:1], _model_input(model, x2)[:1]])
    z = shared_code(model, x, side)  # [2, *z_shape]: both images in one batch (one inversion for CoGAN)
    t = torch.linspace(0, 1, steps, device=z.device).view(-1, *([1] * (z.ndim - 1)))  # [steps, 1, ...]
    z_t = z[0:1] + t * (z[1:2] - z[0:1])  # [steps, *z_shape]
    return torch.stack([model.decode(z_t, None, s).cpu() for s in SIDES])  # [2, steps, C, H, W]
