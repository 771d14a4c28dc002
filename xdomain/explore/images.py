"""Image helpers for the exploration views: display enlargement, uint8 conversion, GIFs."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

def upscale(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Nearest-neighbour enlargement for display (32×32 pixels stay crisp squares)."""
    return x if factor == 1 else F.interpolate((x.unsqueeze(0) if x.ndim == 3 else x), scale_factor=factor, mode="nearest")


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


def side_by_side(rows: torch.Tensor) -> torch.Tensor:
    """``[R, N, C, H, W]`` (R sequences of N frames) → ``[N, C, H, R·W]``: frame ``i`` shows every row's
    frame ``i`` left to right (e.g. domain A | domain B of a shared-latent interpolation)."""
    if rows.ndim != 5 or rows.shape[0] < 1 or rows.shape[1] < 1:
        raise ValueError(f"expected rows [R, N, C, H, W], got {tuple(rows.shape)}")
    return torch.cat(list(rows), dim=-1)


def write_gif(frames: torch.Tensor, path: str | os.PathLike, *, scale: int = 4, duration_ms: int = 120,
              boomerang: bool = True) -> Path:
    """Write ``frames`` ``[N, C, H, W]`` in ``[-1, 1]`` as a looping GIF (enlarged ``scale``×).

    ``frames`` ``[R, N, C, H, W]`` plays R sequences side by side (:func:`side_by_side`: each GIF
    frame is ``R·W`` wide, e.g. A | B). ``boomerang`` plays the sequence forward then back, so the
    loop has no jump.
    """
    if frames.ndim == 5:
        frames = side_by_side(frames)
    if frames.ndim != 4 or frames.shape[0] < 1:
        raise ValueError(f"expected frames [N, C, H, W] or [R, N, C, H, W], got {tuple(frames.shape)}")
    seq = list(frames)
    if boomerang and len(seq) > 2:
        seq = seq + seq[-2:0:-1]
    imgs = [Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a) for a in to_uint8_hwc(upscale(torch.stack(seq), scale))]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imgs[0].save(path, format="GIF", save_all=True, append_images=imgs[1:], duration=duration_ms, loop=0, optimize=False)
    return path


