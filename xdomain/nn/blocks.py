"""Shared network building blocks, written once and combined by every method file.

* :func:`conv_block` / :func:`deconv_block`: (de)conv → optional norm → optional activation
  (the DCGAN/DiscoGAN/CoGAN/UNIT/DTN layer).
* :func:`conv_stack`: the stride-2 conv encoder every method uses (DiscoGAN's G and D, DTN's D, the
  disentanglement encoders and critics), configured by widths / norm / activation; the first layer
  has its own norm (DCGAN: none).
* :func:`deconv_stack`: the mirrored decoder, ending in an output deconv (tanh by default).
* :func:`conv_discriminator`: a conv stack plus one convolution to ``n_out`` logits per image.
* :class:`ResBlock`: x + conv(norm(act(conv(x)))) at constant width (UNIT's shared layers).

**Weight tying** is structural: build a block once and hand the *same module* to two networks, e.g.
``shared = ResBlock(256)``; ``E1 = nn.Sequential(front1, shared)``; ``E2 = nn.Sequential(front2, shared)``.
``Method.adam`` and ``Method.inference_state_dict`` see such a tensor once
(:func:`xdomain.methods.base.unique_parameters`), so it gets one Adam update per step and ships once.
* :func:`mlp`: linear layers with an activation between (toy 2D nets, heads).
* :class:`GradientReversal`: identity forward, ``-λ·grad`` backward (Ganin & Lempitsky 2015;
  used by the disentanglement paper's exclusive decoders).
* :class:`Tile`: broadcast a code vector over a spatial map (decoders that take S plus a code).
* :func:`init_weights`: DCGAN init N(0, 0.02) for conv/linear, N(1, 0.02) for norm scales.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

_ACTS = {
    "relu": lambda: nn.ReLU(inplace=True),
    "lrelu": lambda: nn.LeakyReLU(0.2, inplace=True),
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "none": None,
}
NORMS = {"batch": nn.BatchNorm2d, "instance": lambda c: nn.InstanceNorm2d(c, affine=True), "none": None}


def activation(name: str) -> nn.Module | None:
    if name not in _ACTS:
        raise KeyError(f"unknown activation {name!r}; known: {', '.join(_ACTS)}")
    make = _ACTS[name]
    return make() if make else None


def _seq(layer: nn.Module, channels: int, norm: str, act: str) -> nn.Sequential:
    mods: list[nn.Module] = [layer]
    if norm not in NORMS:
        raise KeyError(f"unknown norm {norm!r}; known: {', '.join(NORMS)}")
    if NORMS[norm] is not None:
        mods.append(NORMS[norm](channels))
    a = activation(act)
    if a is not None:
        mods.append(a)
    return nn.Sequential(*mods)


def conv_block(cin: int, cout: int, k: int = 4, s: int = 2, p: int = 1, norm: str = "batch", act: str = "lrelu") -> nn.Sequential:
    """Conv2d → norm → act. Bias is dropped when a norm follows (it would be cancelled)."""
    return _seq(nn.Conv2d(cin, cout, k, s, p, bias=norm == "none"), cout, norm, act)


def deconv_block(cin: int, cout: int, k: int = 4, s: int = 2, p: int = 1, norm: str = "batch", act: str = "relu",
                 output_padding: int = 0) -> nn.Sequential:
    """ConvTranspose2d → norm → act (k=4, s=2, p=1 doubles H and W; so does k=3, s=2, p=1, output_padding=1)."""
    return _seq(nn.ConvTranspose2d(cin, cout, k, s, p, output_padding, bias=norm == "none"), cout, norm, act)


def conv_stack(cin: int, widths: Sequence[int], *, k: int = 4, s: int = 2, p: int = 1, norm: str = "batch",
               first_norm: str = "none", act: str = "lrelu") -> list[nn.Module]:
    """``len(widths)`` conv blocks (each halves H, W at the defaults); the first uses ``first_norm``.

    Returned as a list so callers splice it into their own ``nn.Sequential`` (flat weight names)."""
    chans = [cin, *widths]
    return [conv_block(a, b, k, s, p, norm=first_norm if i == 0 else norm, act=act)
            for i, (a, b) in enumerate(zip(chans[:-1], chans[1:]))]


def deconv_stack(cin: int, widths: Sequence[int], cout: int, *, norm: str = "batch", act: str = "relu",
                 out_act: str = "tanh", dropout: float = 0.0) -> list[nn.Module]:
    """Deconv blocks ``cin → widths… `` (each doubles H, W), then an output deconv to ``cout`` channels
    with ``out_act`` and no norm; optional dropout after each hidden block."""
    mods: list[nn.Module] = []
    c = cin
    for w in widths:
        mods.append(deconv_block(c, w, norm=norm, act=act))
        if dropout:
            mods.append(nn.Dropout(dropout))
        c = w
    mods.append(deconv_block(c, cout, norm="none", act=out_act))
    return mods


def conv_discriminator(cin: int, widths: Sequence[int], image_size: int, n_out: int = 1, *, norm: str = "batch",
                       first_norm: str = "none") -> nn.Sequential:
    """:func:`conv_stack` then one convolution over the remaining map → ``[B, n_out]`` logits."""
    side = image_size // 2 ** len(widths)
    k = min(4, side)  # a 4×4 conv over the 4×4 map of a 64×64 input (DiscoGAN §2.2); the whole map below that
    return nn.Sequential(*conv_stack(cin, widths, norm=norm, first_norm=first_norm),
                         nn.Conv2d(widths[-1], n_out, k, 1, 0), nn.Flatten())


class ResBlock(nn.Module):
    """``x + F(x)``, F = conv3×3 → norm → act → conv3×3 → norm, at constant width (UNIT, MUNIT)."""

    def __init__(self, ch: int, norm: str = "instance", act: str = "relu"):
        super().__init__()
        self.body = nn.Sequential(conv_block(ch, ch, 3, 1, 1, norm=norm, act=act),
                                  conv_block(ch, ch, 3, 1, 1, norm=norm, act="none"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def mlp(sizes: Sequence[int], act: str = "relu", last_act: str = "none", norm: bool = False) -> nn.Sequential:
    """Linear layers ``sizes[0] → … → sizes[-1]`` with ``act`` between and ``last_act`` at the end."""
    mods: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        mods.append(nn.Linear(a, b))
        last = i == len(sizes) - 2
        if norm and not last:
            mods.append(nn.BatchNorm1d(b))
        m = activation(last_act if last else act)
        if m is not None:
            mods.append(m)
    return nn.Sequential(*mods)


class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, lam: float) -> torch.Tensor:
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        return -ctx.lam * g, None


class GradientReversal(nn.Module):
    """Identity in the forward pass; multiplies the gradient by ``-lam`` in the backward pass."""

    def __init__(self, lam: float = 1.0):
        super().__init__()
        self.lam = lam

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _GradReverse.apply(x, self.lam)


class Tile(nn.Module):
    """[B, C] code → [B, C, H, W] map, to concatenate with a spatial feature."""

    def forward(self, code: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return code[:, :, None, None].expand(-1, -1, like.shape[-2], like.shape[-1])


INIT_SCHEMES = ("dcgan", "msra")


def init_weights(module: nn.Module, std: float = 0.02, scheme: str = "dcgan") -> nn.Module:
    """Initialisation, applied recursively: ``"dcgan"`` = weights N(0, std), norm scales N(1, std);
    ``"msra"`` = He-normal with fan-in (Caffe's MSRAFiller: std = sqrt(2 / fan_in); for a transposed conv
    fan_in = out channels · k²), norm scales 1. Biases zero in both."""
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"init scheme must be one of {INIT_SCHEMES}, got {scheme!r}")
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            if scheme == "msra":
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            else:
                nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d, nn.InstanceNorm2d)) and m.weight is not None:
            if scheme == "msra":
                nn.init.ones_(m.weight)
            else:
                nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
