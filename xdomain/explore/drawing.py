"""Free-hand digits: a drawing normalised like MNIST and rendered into a domain (same code as the dataset's)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from PIL import Image

from xdomain.data import domains as _domains
from xdomain.explore.codes import check_side

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


