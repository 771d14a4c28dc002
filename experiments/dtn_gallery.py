"""The DTN gallery of ``README.md`` and ``docs/dtn.md``: 16 CelebA *test* faces (16 different
identities, none seen in training) above their translations by a DTN checkpoint.

    python -m experiments.dtn_gallery [--checkpoint dtn-faces-emoji] [--out docs/dtn_faces_gallery.png] [--seed 0]
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from xdomain import hub
from xdomain.data import domains, resolve_root
from xdomain.imageio import save_png


def pick_identities(identity: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Row indices of ``n`` faces with ``n`` distinct identities, chosen at random under ``seed``."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.unique(identity), size=n, replace=False)
    return np.array([rng.choice(np.nonzero(identity == i)[0]) for i in ids])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", default="dtn-faces-emoji")
    ap.add_argument("--out", default="docs/dtn_faces_gallery.png")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-root")
    args = ap.parse_args()
    model = hub.load_model(args.checkpoint)
    x, cols = domains.celeba_split(resolve_root(args.data_root), "test")
    rows = pick_identities(cols["identity"], args.n, args.seed)
    faces = domains.to_tensor(np.asarray(x[cols["index"][rows]]))  # [n, 3, 64, 64]
    with torch.no_grad():
        emoji = model.translate(faces)
    per_row = 8
    grid = []
    for i in range(0, args.n, per_row):  # a row of faces, then the row of their emoji
        grid += [faces[i:i + per_row], emoji[i:i + per_row]]
    from torchvision.utils import make_grid

    sheet = make_grid(torch.cat(grid), nrow=per_row, padding=2, pad_value=1.0)
    save_png(sheet, args.out)
    print(f"wrote {args.out}: identities {cols['identity'][rows].tolist()}")


if __name__ == "__main__":
    main()
